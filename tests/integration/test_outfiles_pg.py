#!/usr/bin/env python3
"""Approved files on a PostgreSQL store: the Telegram flow of test_outfiles.py (exact
bytes once, a retried 500, the snapshot served from the store as bytea, a permanent
refusal on the line, forged ids refused) against a throwaway cluster."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_outfiles import test_telegram  # noqa: E402
from test_postgres import run_on_a_cluster  # noqa: E402


def test_telegram_on_postgresql(cluster):
    test_telegram(cluster.database("outfiles"))


if __name__ == "__main__":
    run_on_a_cluster("it_outfiles_pg", [test_telegram_on_postgresql])
