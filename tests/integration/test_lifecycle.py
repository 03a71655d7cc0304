"""The daemon's lifecycle: the embedded default starts with no config in an empty
directory, answers /healthz and /metrics, refuses what it should, reloads on SIGHUP,
exits 0 on SIGTERM; a bad config or an unusable store stops start-up with one line."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile

from harness import BINARY, Deskbot, Runner, check, free_port


def port_8080_free():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 8080))
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_embedded_default_no_config():
    # No config file and no ./replies: the binary finds its default reply set itself.
    import time
    deadline = time.monotonic() + 15  # another program may be releasing it
    while not port_8080_free() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not port_8080_free():
        raise AssertionError("port 8080 is taken; the embedded default listens there")
    bot = Deskbot(config=None, copy_replies=False)
    with bot:
        status, health = bot.get_json("/healthz")
        check(status == 200, "healthz status %d" % status)
        check(health["status"] == "ok", health)
        check(health["store"] == "ok", health)
        check(health["channels"]["vk"]["state"] == "off", health)
        check(health["channels"]["telegram"]["state"] == "off", health)
        check(isinstance(health["uptime_s"], (int, float)), health)
        check(os.path.exists(os.path.join(bot.dir, "deskbot.db")), "store file not created")


def test_metrics_and_404_and_oversized():
    with Deskbot(config={}) as bot:
        status, text = bot.get("/metrics")
        check(status == 200, "metrics status %d" % status)
        check("# TYPE process_resident_memory_bytes gauge" in text, text[:500])
        check("deskbot_uptime_seconds " in text, text[:500])
        status, _ = bot.get("/no/such/path")
        check(status == 404, "unknown path gave %d" % status)
        status, _ = bot.request("POST", "/admin/reload", body=b"x" * (200 * 1024))
        check(status == 413, "oversized body gave %d" % status)


def test_admin_reload_needs_token_and_sighup_reloads():
    with Deskbot(config={"admin": {"token": "adm-secret-1-0123456789abcdef0123456"}}) as bot:
        status, _ = bot.request("POST", "/admin/reload")
        check(status == 401, "reload without token gave %d" % status)
        status, _ = bot.request("POST", "/admin/reload",
                                headers={"Authorization": "Bearer wrong"})
        check(status == 401, "reload with a wrong token gave %d" % status)
        status, body = bot.request("POST", "/admin/reload",
                                   headers={"Authorization": "Bearer adm-secret-1-0123456789abcdef0123456"})
        check(status == 200, "reload with token gave %d %s" % (status, body))
        check(json.loads(body)["ok"] is True, body)
        bot.signal(signal.SIGHUP)
        import time
        deadline = time.monotonic() + 5
        while "SIGHUP" not in bot.read_log() and time.monotonic() < deadline:
            time.sleep(0.05)
        check("SIGHUP" in bot.read_log(), "no log line for SIGHUP")
        status, _ = bot.get("/healthz")
        check(status == 200, "not healthy after SIGHUP")
        check("adm-secret-1-0123456789abcdef0123456" not in bot.read_log(), "admin token in the log")


def run_fail(args, cwd):
    p = subprocess.run([BINARY] + args, cwd=cwd, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def test_bad_config_is_one_clear_line():
    d = tempfile.mkdtemp(prefix="deskbot-it-")
    try:
        path = os.path.join(d, "c.json")
        with open(path, "w") as f:
            json.dump({"vk": {"group_id": -1}}, f)
        code, out = run_fail(["run", "--config", path], d)
        check(code == 1, "exit %d" % code)
        check("config: vk.group_id: expected a positive integer" in out, out)
    finally:
        shutil.rmtree(d)


def test_store_from_newer_version_refused():
    d = tempfile.mkdtemp(prefix="deskbot-it-")
    try:
        import sqlite3
        db = os.path.join(d, "deskbot.db")
        con = sqlite3.connect(db)
        con.execute("PRAGMA user_version = 999")
        con.close()
        path = os.path.join(d, "c.json")
        with open(path, "w") as f:
            json.dump({"store": {"path": db}, "http": {"listen": "127.0.0.1:%d" % free_port()},
                       "replies": {"dir": os.path.join(os.environ.get("DESKBOT_SOURCE_DIR", "."), "replies")}}, f)
        code, out = run_fail(["run", "--config", path], d)
        check(code == 1, "exit %d" % code)
        check("newer" in out, out)
    finally:
        shutil.rmtree(d)


def test_port_in_use_fails_cleanly():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    d = tempfile.mkdtemp(prefix="deskbot-it-")
    try:
        path = os.path.join(d, "c.json")
        with open(path, "w") as f:
            json.dump({"http": {"listen": "127.0.0.1:%d" % port},
                       "replies": {"dir": os.path.join(os.environ.get("DESKBOT_SOURCE_DIR", "."), "replies")}}, f)
        code, out = run_fail(["run", "--config", path], d)
        check(code == 1, "exit %d: %s" % (code, out))
        check("cannot listen" in out, out)
    finally:
        s.close()
        shutil.rmtree(d)


if __name__ == "__main__":
    r = Runner()
    for t in (test_embedded_default_no_config, test_metrics_and_404_and_oversized,
              test_admin_reload_needs_token_and_sighup_reloads, test_bad_config_is_one_clear_line,
              test_store_from_newer_version_refused, test_port_in_use_fails_cleanly):
        r.run(t)
    r.finish()
