"""Starts the real deskbot binary for integration tests (stdlib only).

    with Deskbot(config={...}) as bot:      # a private temp dir, port and store
        bot.get("/healthz")
    # leaving the block sends SIGTERM and checks a clean exit

Every wait is bounded; the process is killed if it does not stop in time.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("DESKBOT_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BINARY = os.environ.get("DESKBOT_BINARY", os.path.join(SOURCE_DIR, "build", "deskbot"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Failure(AssertionError):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


class Deskbot:
    """One deskbot process in its own temporary directory.

    config: dict written as the JSON config (None: run with no config file at all,
    which is the embedded default). http.listen and store.path are filled in unless
    given. env: extra environment variables.
    """

    def __init__(self, config=None, env=None, workdir=None, copy_replies=True, args=None):
        self.owns_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="deskbot-it-")
        self.port = free_port()
        self.config = config
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.args = args or []
        self.proc = None
        self.log_path = os.path.join(self.dir, "deskbot.log")
        if copy_replies and not os.path.exists(os.path.join(self.dir, "replies")):
            shutil.copytree(os.path.join(SOURCE_DIR, "replies"), os.path.join(self.dir, "replies"))

    def start(self, timeout=15.0):
        # free_port() releases the port before deskbot binds it; a test that opens many
        # client sockets can take it as a source port meanwhile. Then (and only when the
        # port was ours to choose) pick another one.
        for attempt in range(3):
            try:
                return self._start(timeout)
            except Failure as e:
                own_port = self.config is not None and "listen" not in (self.config.get("http") or {})
                if attempt == 2 or not own_port or "address in use" not in str(e):
                    raise
                if self.log and not self.log.closed:
                    self.log.close()
                self.port = free_port()

    def _start(self, timeout):
        cmd = [BINARY, "run"] + self.args
        if self.config is not None:
            cfg = json.loads(json.dumps(self.config))
            cfg.setdefault("http", {}).setdefault("listen", "127.0.0.1:%d" % self.port)
            cfg.setdefault("store", {}).setdefault("path", os.path.join(self.dir, "deskbot.db"))
            path = os.path.join(self.dir, "config.json")
            with open(path, "w") as f:
                json.dump(cfg, f)
            cmd += ["--config", path]
            listen = cfg["http"]["listen"]
            self.port = int(listen.rsplit(":", 1)[1])
        else:
            self.port = 8080
        self.log = open(self.log_path, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure("deskbot exited early with %d:\n%s" % (self.proc.returncode,
                                                                    self.read_log()))
            try:
                status, _ = self.get("/healthz", timeout=1)
                if status in (200, 503):
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        raise Failure("deskbot did not answer /healthz within %.0fs:\n%s" % (timeout, self.read_log()))

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def request(self, method, path, body=None, headers=None, timeout=10):
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method,
                                     headers=headers or {})
        if data is not None and "Content-Type" not in (headers or {}):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def get(self, path, timeout=10):
        return self.request("GET", path, timeout=timeout)

    def get_json(self, path):
        status, body = self.get(path)
        return status, json.loads(body)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20.0, expect_code=0):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("deskbot did not stop within %.0fs after SIGTERM" % timeout)
        self.log.close()
        if expect_code is not None:
            check(code == expect_code, "deskbot exited with %s, expected %s:\n%s"
                  % (code, expect_code, self.read_log()[-3000:]))
        return code

    def kill(self):
        """kill -9: what a crash looks like to the store."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if not self.log.closed:
            self.log.close()

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def cleanup(self):
        self.kill()
        if self.owns_dir and not os.environ.get("DESKBOT_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
        finally:
            if exc_type is not None:
                print("---- deskbot log (%s) ----\n%s" % (self.dir, self.read_log()[-6000:]))
            self.cleanup()
        return False


class Runner:
    """Runs named test functions, prints one line each and 'N passed, N failed'."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, fn):
        start = time.monotonic()
        try:
            fn()
        except Exception as e:  # report every failure, keep going
            self.failed += 1
            print("FAIL %s (%.1fs): %s: %s" % (fn.__name__, time.monotonic() - start,
                                               type(e).__name__, e), flush=True)
            return
        self.passed += 1
        print("ok   %s (%.1fs)" % (fn.__name__, time.monotonic() - start), flush=True)

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        raise SystemExit(1 if self.failed else 0)
