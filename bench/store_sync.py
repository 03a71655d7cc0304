#!/usr/bin/env python3
"""Commit cost of synchronous=NORMAL vs FULL in WAL mode, shaped like deskbot's batch
commit (an inbound row, its reply row and the cursor in one transaction).

    python3 bench/store_sync.py [DIR] [COMMITS]

DIR is where the test store goes (default: the current directory: measure on the disk
the real store lives on; tmpfs shows no difference)."""

import os
import sqlite3
import sys
import tempfile
import time


def run(dirname, mode, commits):
    fd, path = tempfile.mkstemp(prefix="deskbot-sync-", suffix=".db", dir=dirname)
    os.close(fd)
    os.unlink(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=" + mode)
    db.execute("CREATE TABLE inbound (id INTEGER PRIMARY KEY, k TEXT UNIQUE, text TEXT)")
    db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, text TEXT, status TEXT)")
    db.execute("CREATE TABLE cursors (channel TEXT PRIMARY KEY, value TEXT)")
    t0 = time.perf_counter()
    for i in range(commits):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO inbound (k, text) VALUES (?, ?)", ("m%d" % i, "hello " * 10))
        db.execute("INSERT INTO outbox (text, status) VALUES (?, 'pending')", ("answer " * 20,))
        db.execute("INSERT INTO cursors VALUES ('vk', ?) ON CONFLICT (channel) DO UPDATE SET "
                   "value = excluded.value", (str(i),))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    db.close()
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except OSError:
            pass
    return commits / elapsed, elapsed / commits * 1e3


def main():
    dirname = sys.argv[1] if len(sys.argv) > 1 else "."
    commits = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    for mode in ("NORMAL", "FULL", "NORMAL", "FULL"):
        rate, ms = run(dirname, mode, commits)
        print("synchronous=%-6s %7.0f commits/s  %.3f ms per commit  (%d commits in %s)"
              % (mode, rate, ms, commits, os.path.abspath(dirname)), flush=True)


if __name__ == "__main__":
    main()
