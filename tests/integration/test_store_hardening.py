#!/usr/bin/env python3
"""Issue 10 against the real binary (the store, login, admin and export side): a damaged
store is refused, ulimit -f does not kill the daemon, /healthz and /metrics stay fast at
a large outbox, old rows are deleted by retention, a short admin token is refused and
wrong admin tokens are throttled, throttled logins make one audit row, not one each, CSV
export neutralises formula cells, and deskbot check refuses invalid UTF-8 and \\u0000.

Every wait is bounded; everything listens on 127.0.0.1."""

import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import BINARY, SOURCE_DIR, Deskbot, Failure, Runner, check  # noqa: E402
from test_console import WS, config, raw  # noqa: E402

ADMIN = "a-long-admin-token-0123456789abcdef0123"
DAY = 86400


def db_path(bot):
    return os.path.join(bot.dir, "deskbot.db")


def made_store():
    """A bot that ran once (schema in place) and stopped: returns it, for its dir."""
    bot = Deskbot(config={})
    start(bot)
    bot.stop()
    return bot


def start(bot, timeout=15):
    """bot.start, again on a new port when another test on this machine took ours."""
    for attempt in range(3):
        try:
            return bot.start(timeout=timeout)
        except Failure as e:
            if "cannot listen" not in str(e) or attempt == 2:
                raise
            bot.port = harness.free_port()


@contextlib.contextmanager
def running(bot, timeout=15):
    """Like "with Deskbot(...)", through start() above."""
    start(bot, timeout)
    ok = False
    try:
        yield bot
        ok = True
    finally:
        if ok:
            bot.stop()
        else:
            print("---- deskbot log (%s) ----\n%s" % (bot.dir, bot.read_log()[-4000:]))
        bot.cleanup()


def start_expecting_failure(bot, timeout=15):
    try:
        bot.start(timeout=timeout)
    except Failure as e:
        return str(e)
    bot.stop()
    raise Failure("deskbot started:\n" + bot.read_log()[-2000:])


def test_damaged_store_is_refused():
    bot = made_store()
    try:
        db = sqlite3.connect(db_path(bot))
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                   "i < 3000) INSERT INTO outbox (channel, kind, peer_id, text, status, "
                   "created_ms, next_attempt_ms) SELECT 'web', 'message', i, "
                   "printf('%.300c', 'x'), 'sent', i, i FROM n")
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        size = os.path.getsize(db_path(bot))
        with open(db_path(bot), "r+b") as f:
            for page in range(size // 4096 // 3, size // 4096 * 2 // 3, 7):
                f.seek(page * 4096)
                f.write(b"\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff")
        msg = start_expecting_failure(bot)
        check("quick_check" in msg, "no quick_check reason:\n" + msg[-1500:])
    finally:
        bot.cleanup()


def test_file_size_limit_does_not_kill():
    """ulimit -f 1.5 MB: the daemon stays up, /healthz says why it is degraded."""
    wrapper_dir = os.path.join(os.environ.get("TMPDIR", "/tmp"), "deskbot-fsize-%d" % os.getpid())
    os.makedirs(wrapper_dir, exist_ok=True)
    wrapper = os.path.join(wrapper_dir, "deskbot")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec prlimit --fsize=1500000 %s \"$@\"\n" % BINARY)
    os.chmod(wrapper, 0o755)
    saved = harness.BINARY
    harness.BINARY = wrapper
    fast = {"chat_rate_per_s": 1000, "chat_burst": 1000, "address_rate_per_s": 1000,
            "address_burst": 1000}
    bot = Deskbot(config={"http": fast, "store": {"retention_days": 0}})
    try:
        start(bot)
        status, _, headers = raw(bot, "GET", "/chat")
        check(status == 200, "chat page %s" % status)
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        ws = WS(bot.port, "/chat/ws", cookie=cookie)
        check(ws.status == 101, "chat socket %s" % ws.status)
        ws.send({"type": "hello"})
        text = "a question about my tariff, please " * 40  # 1.4 KB, under the chat's cap
        degraded = None
        for i in range(600):
            if bot.proc.poll() is not None:
                break
            try:
                ws.send({"type": "message", "text": "%d %s" % (i, text), "id": "m%d" % i})
            except OSError:
                break
            if i % 20 == 19:
                try:
                    status, body = bot.get("/healthz", timeout=5)
                except OSError:
                    continue
                if status == 503:
                    degraded = json.loads(body)
                    break
            time.sleep(0.005)
        check(bot.proc.poll() is None,
              "deskbot died (code %s) at the file size limit:\n%s"
              % (bot.proc.returncode, bot.read_log()[-1500:]))
        check(degraded is not None, "never degraded at the limit")
        check("file size limit" in degraded["store"], "store state: %s" % degraded["store"])
        ws.close()
        bot.stop()
    finally:
        harness.BINARY = saved
        bot.cleanup()
        os.unlink(wrapper)
        os.rmdir(wrapper_dir)


def timed_get(bot, path):
    t0 = time.monotonic()
    status, _ = bot.get(path)
    check(status in (200, 503), "%s: %s" % (path, status))
    return (time.monotonic() - t0) * 1000


def test_health_and_metrics_fast_at_large_outbox():
    bot = made_store()
    try:
        db = sqlite3.connect(db_path(bot))
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                   "i < 520000) INSERT INTO outbox (channel, kind, peer_id, text, status, "
                   "created_ms, next_attempt_ms, sent_ms) SELECT 'web', 'message', i % 5000, "
                   "'answer', 'sent', 1000 + i, 1000 + i, 1000 + i FROM n")
        db.commit()
        db.close()
        bot.config = {"store": {"retention_days": 0}}
        start(bot, timeout=60)
        for _ in range(3):
            timed_get(bot, "/healthz")
        health = sorted(timed_get(bot, "/healthz") for _ in range(40))
        metrics = sorted(timed_get(bot, "/metrics") for _ in range(40))
        print("  /healthz at 520k outbox rows: p50 %.1f ms, p99 %.1f ms; /metrics p50 %.1f ms,"
              " p99 %.1f ms" % (statistics.median(health), health[-1],
                                statistics.median(metrics), metrics[-1]), flush=True)
        check(statistics.median(health) < 10, "healthz p50 %.1f ms" % statistics.median(health))
        check(statistics.median(metrics) < 10, "metrics p50 %.1f ms" % statistics.median(metrics))
        bot.stop()
    finally:
        bot.cleanup()


def test_retention_deletes_old_rows():
    bot = made_store()
    try:
        now = int(time.time())
        old = now - 200 * DAY
        db = sqlite3.connect(db_path(bot))
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                   "i < 3000) INSERT INTO inbound (channel, dedup_key, peer_id, user_id, "
                   "message_id, date, text, received_at) SELECT 'web', 'k' || i, 7, 7, i, ?, "
                   "'hello', ? FROM n", (old, old))
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                   "i < 3000) INSERT INTO outbox (channel, kind, peer_id, text, status, "
                   "created_ms, next_attempt_ms) SELECT 'web', 'message', 7, 'answer', "
                   "'sent', ?, ? FROM n", (old * 1000, old * 1000))
        db.execute("INSERT INTO audit (at, actor, action) VALUES (?, 'marina', 'login'), "
                   "(?, 'marina', 'login')", (now - 400 * DAY, now))
        db.commit()
        db.close()
        with running(bot):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                db = sqlite3.connect(db_path(bot), timeout=5)
                left = db.execute("SELECT (SELECT count(*) FROM inbound), (SELECT count(*) "
                                  "FROM outbox), (SELECT count(*) FROM audit)").fetchone()
                db.close()
                if left == (1, 1, 1) and "retention: deleted" in bot.read_log():
                    break
                time.sleep(0.2)
            check(left == (1, 1, 1), "rows left after retention: %s" % (left,))
            check("retention: deleted" in bot.read_log(), "no retention log line")
            status, _ = bot.get("/healthz")
            check(status == 200, "healthz %s" % status)
    finally:
        bot.cleanup()


def test_short_admin_token_is_refused():
    bot = Deskbot(config={"admin": {"token": "x"}})
    try:
        msg = start_expecting_failure(bot)
        check("admin.token" in msg and "32" in msg, "no clear reason:\n" + msg[-1500:])
    finally:
        bot.cleanup()


def reload(bot, token):
    return bot.request("POST", "/admin/reload",
                       headers={"Authorization": "Bearer " + token})[0]


def test_wrong_admin_tokens_are_throttled():
    with running(Deskbot(config={"admin": {"token": ADMIN}})) as bot:
        check(reload(bot, ADMIN) == 200, "reload with the token")
        codes = [reload(bot, "guess-%d" % i) for i in range(12)]
        check(codes[0] == 401, "first wrong token: %s" % codes[0])
        check(429 in codes, "never throttled: %s" % codes)
        check(reload(bot, ADMIN) == 429, "the right token got through a running lock")
        log = bot.read_log()
        check(log.count("reload refused") <= 8, "a log line per refusal")


def test_throttled_logins_make_one_audit_row():
    with running(Deskbot(config=config())) as bot:
        codes = []
        for i in range(40):
            status, _, _ = raw(bot, "POST", "/api/login", {"login": "oleg", "password": "no"})
            codes.append(status)
        check(codes[0] == 401 and codes.count(429) >= 30, "codes: %s" % codes)
        bot.stop()
        db = sqlite3.connect(db_path(bot))
        rows = db.execute("SELECT count(*) FROM audit WHERE action = 'login_throttled'"
                          ).fetchone()[0]
        db.close()
        check(rows <= 2, "%d audit rows for %d throttled logins" % (rows, codes.count(429)))
        lines = bot.read_log().count("throttled for")
        check(lines <= 2, "%d log lines for throttled logins" % lines)


def login_from(bot, source, password, login="marina"):
    """POST /api/login from another loopback address (127.0.0.x): a different client."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10,
                                      source_address=(source, 0))
    try:
        conn.request("POST", "/api/login", json.dumps({"login": login, "password": password}),
                     {"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


def test_owner_not_locked_out_by_others_even_after_restart():
    """Failures from other addresses lock the login for them, not for the address its
    owner logged in from before (remembered across a restart through the audit log)."""
    from test_console import PASSWORD
    bot = Deskbot(config=config())
    try:
        start(bot)
        check(login_from(bot, "127.0.0.1", PASSWORD) == 200, "first login")
        bot.stop()
        start(bot)
        codes = [login_from(bot, "127.0.0.%d" % (10 + i), "guess-%d" % i) for i in range(8)]
        check(codes[0] == 401 and 429 in codes, "no lock: %s" % codes)
        check(login_from(bot, "127.0.0.99", PASSWORD) == 429, "a new address got through")
        status = login_from(bot, "127.0.0.1", PASSWORD)
        check(status == 200, "the owner was locked out at her own address: %s" % status)
        bot.stop()
    finally:
        bot.cleanup()


def test_login_check_does_not_block_the_loop():
    """Logins back to back (yescrypt, 20-25 ms each) while /healthz is polled: the check
    runs on the thread pool, so health answers stay quick (before: each waited for it)."""
    import threading
    from test_console import PASSWORD
    with running(Deskbot(config=config())) as bot:
        stop = threading.Event()
        logins = []

        def login_loop():
            while not stop.is_set() and len(logins) < 200:
                status, _, _ = raw(bot, "POST", "/api/login", {"login": "marina",
                                                                "password": PASSWORD})
                logins.append(status)

        t = threading.Thread(target=login_loop)
        t.start()
        try:
            time.sleep(0.2)
            lat = sorted(timed_get(bot, "/healthz") for _ in range(150))
        finally:
            stop.set()
            t.join(timeout=30)
        p50, p90 = lat[len(lat) // 2], lat[len(lat) * 9 // 10]
        print("  /healthz during back-to-back logins (%d, %s): p50 %.1f ms, p90 %.1f ms, "
              "max %.1f ms" % (len(logins), sorted(set(logins)), p50, p90, lat[-1]), flush=True)
        check(logins and set(logins) == {200}, "logins: %s" % sorted(set(logins)))
        check(p90 < 8, "healthz p90 %.1f ms while logging in" % p90)


def test_csv_export_neutralises_formulas():
    bot = made_store()
    try:
        hostile = {"display_name": "=HYPERLINK(\"http://evil\",\"x\")", "summary": "+1+cmd|' /C calc'!A0",
                   "phone": "-2+3", "location": "@SUM(A1:A9)", "account": "\tTAB",
                   "category": "\rCR", "number": "W-000001", "status": "new", "channel": "web"}
        db = sqlite3.connect(db_path(bot))
        db.execute("INSERT INTO cases (number, channel, peer_id, user_id, status, record, "
                   "created_at, updated_at) VALUES ('W-000001', 'web', 1, 1, 'new', ?, ?, ?)",
                   (json.dumps(hostile), int(time.time()), int(time.time())))
        db.commit()
        db.close()
        cfg = os.path.join(bot.dir, "export.json")
        with open(cfg, "w") as f:
            json.dump({"store": {"path": db_path(bot)}}, f)
        out = subprocess.run([BINARY, "cases", "export", "--format", "csv", "--config", cfg],
                             capture_output=True, timeout=30, cwd=bot.dir)
        check(out.returncode == 0, "export failed: %s" % out.stderr.decode()[-500:])
        text = out.stdout.decode()
        for key, value in hostile.items():
            if key in ("number", "status", "channel"):
                continue
            quoted = '"' + value.replace('"', '""') + '"'
            check(quoted not in text, "%s exported verbatim: %r" % (key, text))
            check('"\'' + value.replace('"', '""')[:3] in text, "%s not neutralised: %r"
                  % (key, text))
    finally:
        bot.cleanup()


def test_check_refuses_bad_text_in_the_reply_set():
    import shutil
    import tempfile
    for bad, what in [(b"\xff\xfe", "invalid UTF-8"), (b"abc\\u0000def", "\\u0000")]:
        d = tempfile.mkdtemp(prefix="deskbot-rs-")
        try:
            shutil.copytree(os.path.join(SOURCE_DIR, "replies"), os.path.join(d, "replies"))
            path = os.path.join(d, "replies", "templates.json")
            with open(path, "rb") as f:
                data = f.read()
            at = data.index(b'"ru": "') + 7  # inside a template's text
            with open(path, "wb") as f:
                f.write(data[:at] + bad + data[at:])
            out = subprocess.run([BINARY, "check", "--replies", os.path.join(d, "replies")],
                                 capture_output=True, timeout=60)
            text = (out.stdout + out.stderr).decode("utf-8", "replace")
            check(out.returncode == 1, "check accepted %s: %s" % (what, text[-500:]))
            check("templates.json:" in text and what in text, "no file:line for %s: %s"
                  % (what, text[-500:]))
        finally:
            shutil.rmtree(d, ignore_errors=True)


def main():
    r = Runner()
    for t in [test_damaged_store_is_refused, test_file_size_limit_does_not_kill,
              test_health_and_metrics_fast_at_large_outbox, test_retention_deletes_old_rows,
              test_short_admin_token_is_refused, test_wrong_admin_tokens_are_throttled,
              test_throttled_logins_make_one_audit_row, test_login_check_does_not_block_the_loop,
              test_owner_not_locked_out_by_others_even_after_restart,
              test_csv_export_neutralises_formulas,
              test_check_refuses_bad_text_in_the_reply_set]:
        r.run(t)
    r.finish()


if __name__ == "__main__":
    main()
