"""The PostgreSQL store against the real binary and the fakes: the bot answers through a
store at store.url, and a PostgreSQL restart under a burst from VK and Telegram loses
nothing (every message answered, no VK reply twice, Telegram doubles within the
documented window), /healthz says the store is down meanwhile and ok afterwards, all by
itself. The test runs its own throwaway cluster (tests/pg-cluster.sh), so restarting it
disturbs no other test. Without a PostgreSQL server it is skipped with a line, or fails
when DESKBOT_TEST_REQUIRE_PG is set (CI)."""

import glob
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import wait_for  # noqa: E402
from harness import BINARY, SOURCE_DIR, Deskbot, Runner, check  # noqa: E402
from test_channels import (answered, bot_config, check_once_and_ordered, fakes,  # noqa: E402
                           inject_tg, inject_vk)

CLUSTER = os.path.join(SOURCE_DIR, "tests", "pg-cluster.sh")


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="deskbot-it-pg-")
        self.url = subprocess.run(["sh", CLUSTER, "start", self.dir], check=True, timeout=120,
                                  capture_output=True, text=True).stdout.strip()

    def database(self, name):
        """A new, empty database on the cluster (a fake's message ids start again with
        each fake, so each test has a store of its own); its URL."""
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url, "-c",
                        "CREATE DATABASE %s" % name], check=True, timeout=120)
        return self.url.rsplit("/", 1)[0] + "/" + name

    def restart(self):
        subprocess.run(["sh", CLUSTER, "restart", self.dir], check=True, timeout=120)

    def stop(self):
        subprocess.run(["sh", CLUSTER, "stop", self.dir], timeout=120)


def pg_config(url, vk, tg, **extra):
    cfg = bot_config(vk, tg, **extra)
    cfg["store"] = {"url": url}
    return cfg


def test_answers_through_postgresql(cluster):
    vk, tg = fakes()
    with vk, tg:
        with Deskbot(config=pg_config(cluster.database("answers"), vk, tg)) as bot:
            a = inject_vk(vk, 40, 7)
            b = inject_tg(tg, 40, 7)
            check_once_and_ordered(vk, a, answered(vk, a))
            check_once_and_ordered(tg, b, answered(tg, b))
            status, h = bot.get_json("/healthz")
            check(status == 200 and h["store"] == "ok", h)
            check(not os.path.exists(os.path.join(bot.dir, "deskbot.db")),
                  "a SQLite file was made next to a PostgreSQL store")
            check("on PostgreSQL" in bot.read_log(), "the start line does not name the store")


def test_restart_under_traffic_loses_nothing(cluster):
    vk, tg = fakes()
    with vk, tg:
        with Deskbot(config=pg_config(cluster.database("restart"), vk, tg)) as bot:
            a = inject_vk(vk, 1000, 200, base_peer=80000)
            b = inject_tg(tg, 1000, 200, base_peer=7800000000)
            wait_for(lambda: len(vk.sent()) > 100 and len(tg.sent()) > 100, 60, 0.02,
                     "part of the burst answered")
            seen = set()
            stop = threading.Event()

            def watch():
                while not stop.is_set():
                    try:
                        status, h = bot.get_json("/healthz")
                        seen.add((status, h["store"].split(":")[0]))
                    except Exception:  # noqa: BLE001 (the bot is busy; try again)
                        pass
                    time.sleep(0.02)
            watcher = threading.Thread(target=watch)
            watcher.start()
            t0 = time.monotonic()
            cluster.restart()
            restart_s = time.monotonic() - t0
            by_vk = answered(vk, a, timeout=120)
            by_tg = answered(tg, b, timeout=120)
            recovered_s = time.monotonic() - t0
            stop.set()
            watcher.join()
            check_once_and_ordered(vk, a, by_vk)
            tg_doubles = sum(len(v) - 1 for v in by_tg.values())
            print("postgresql restart (%.1f s) under 2 x 1000 messages: all answered %.1f s "
                  "after it began; VK 0 doubled (%d resends suppressed by random_id), "
                  "Telegram %d doubled; /healthz saw %s" % (
                      restart_s, recovered_s, vk.stats()["duplicates_suppressed"],
                      tg_doubles, sorted(seen)), flush=True)
            check(tg_doubles <= 64, "too many Telegram doubles: %d" % tg_doubles)
            check(any(status == 503 for status, _ in seen), "/healthz never said the store "
                  "was down during the restart: %s" % sorted(seen))
            status, h = bot.get_json("/healthz")
            check(status == 200 and h["store"] == "ok", "the store did not recover: %s" % h)
            log = bot.read_log()
            check("lost the PostgreSQL connection" in log, "the loss is not in the log")
            check("re-established" in log, "the reconnect is not in the log")


def store_copy(src, url):
    r = subprocess.run([BINARY, "store", "copy", "--from", src, "--to", url], timeout=120,
                       capture_output=True, text=True)
    check(r.returncode == 0, "store copy failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
    return r.stdout


def copied(out, table):
    """(rows, copied) of one table in store copy's report."""
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == table:
            return int(parts[1]), int(parts[3])
    raise AssertionError("store copy did not report %s: %s" % (table, out))


def test_store_copy_moves_a_sqlite_store(cluster):
    """A bot that ran on SQLite is stopped with messages waiting at both platforms; its
    store is copied into PostgreSQL (a second copy copies nothing) and the bot started on
    PostgreSQL answers the waiting messages from the copied cursors, and none of the old
    ones again."""
    vk, tg = fakes()
    with vk, tg:
        workdir = tempfile.mkdtemp(prefix="deskbot-it-copy-")
        with Deskbot(config=bot_config(vk, tg), workdir=workdir):
            a = inject_vk(vk, 60, 12)
            b = inject_tg(tg, 60, 12)
            check_once_and_ordered(vk, a, answered(vk, a))
            check_once_and_ordered(tg, b, answered(tg, b))
        # The bot is stopped; customers keep writing.
        a2 = inject_vk(vk, 30, 12, text="как сменить тариф")
        b2 = inject_tg(tg, 30, 12, text="как сменить тариф")
        url = cluster.database("copied")
        out = store_copy(os.path.join(workdir, "deskbot.db"), url)
        check(copied(out, "inbound") == (120, 120), out)
        check(copied(out, "outbox")[1] >= 120, out)
        check(copied(out, "cursors") == (2, 2), out)
        check("id sequences moved" in out, out)
        again = store_copy(os.path.join(workdir, "deskbot.db"), url)
        check("copied 0 of" in again, "a second copy copied something: %s" % again)
        with Deskbot(config=pg_config(url, vk, tg), workdir=workdir) as bot:
            check_once_and_ordered(vk, a + a2, answered(vk, a + a2))
            check_once_and_ordered(tg, b + b2, answered(tg, b + b2))
            status, h = bot.get_json("/healthz")
            check(status == 200 and h["store"] == "ok", h)
            check("on PostgreSQL" in bot.read_log(), "the second bot is not on PostgreSQL")
        n = subprocess.run(["psql", "-tA", url, "-c", "SELECT count(*) FROM inbound"],
                           check=True, timeout=60, capture_output=True, text=True).stdout
        check(int(n) == 180, "PostgreSQL holds %s messages, not 180" % n.strip())
        print("store copy: %s" % out.strip().splitlines()[-1], flush=True)


def run_on_a_cluster(name, tests):
    """The main of a test file whose tests take a throwaway cluster: skipped without a
    PostgreSQL server, or failing when DESKBOT_TEST_REQUIRE_PG is set (CI)."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        if os.environ.get("DESKBOT_TEST_REQUIRE_PG"):
            print("%s: no PostgreSQL server installed, but DESKBOT_TEST_REQUIRE_PG is set"
                  % name)
            sys.exit(1)
        print("%s: skipped (no PostgreSQL server installed)" % name)
        sys.exit(0)
    cluster = Cluster()
    try:
        r = Runner()
        only = sys.argv[1:]
        for t in tests:
            if not only or t.__name__ in only:
                run = (lambda t=t: t(cluster))
                run.__name__ = t.__name__
                r.run(run)
        r.finish()
    finally:
        cluster.stop()


if __name__ == "__main__":
    run_on_a_cluster("it_postgres", [test_answers_through_postgresql,
                                     test_restart_under_traffic_loses_nothing,
                                     test_store_copy_moves_a_sqlite_store])
