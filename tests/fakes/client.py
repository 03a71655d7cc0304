"""Helpers for tests that drive the VK / Telegram fakes (stdlib only).

    from client import FakeServer, wait_for
    with FakeServer("telegram") as tg:            # or "vk"
        tg.inject({"chat_id": 42, "text": "/start"})
        # ... start deskbot pointed at tg.base_url ...
        msgs = tg.wait_for_sent(1, timeout=5)

Everything here is bounded: starting waits at most `timeout` for the port file,
every HTTP call has a timeout, and the fake itself exits after --max-seconds.
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = {"vk": "fake_vk.py", "telegram": "fake_telegram.py", "tg": "fake_telegram.py",
           "max": "max_fake.py"}
DEFAULT_TOKENS = {"vk": "vk-test-token", "telegram": "123456:TEST-token", "max": "max-test-token"}
DEFAULT_GROUP_ID = 123456


def wait_for(predicate, timeout=5.0, interval=0.02, message="condition"):
    """Poll `predicate()` until it returns something truthy; return that value.

    Raises TimeoutError after `timeout` seconds (the last exception raised by the
    predicate, if any, is chained for diagnosis).
    """
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:     # e.g. connection refused while something starts
            last_exc = e
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, message)) \
                from last_exc
        time.sleep(interval)


def http_call(url, params=None, method="POST", json_body=None, timeout=10.0, headers=None,
              raw_body=None, content_type=None):
    """One HTTP request the way a bot would make it; never raises on HTTP status.

    `params` are sent as a urlencoded form for POST (query string for GET);
    `json_body` (any JSON value) is sent as application/json instead; `raw_body`
    (bytes, with `content_type`) is sent verbatim, e.g. deliberately broken bodies.
    Returns (status, headers dict with lower-case keys, body bytes).
    """
    data = None
    hdrs = dict(headers or {})
    if raw_body is not None:
        data = raw_body
        hdrs["Content-Type"] = content_type or "application/octet-stream"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        hdrs["Content-Type"] = "application/json"
    elif params is not None:
        enc = urllib.parse.urlencode(params)
        if method == "GET":
            url += ("&" if "?" in url else "?") + enc
        else:
            data = enc.encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, {k.lower(): v for k, v in e.headers.items()}, body


def http_json(url, params=None, method="POST", json_body=None, timeout=10.0):
    """http_call + JSON decode; returns (status, decoded body)."""
    status, _, body = http_call(url, params, method, json_body, timeout)
    return status, json.loads(body)


class KeepAlive:
    """Persistent HTTP/1.1 connection (http.client) for loops and benchmarks."""

    def __init__(self, base_url, timeout=10.0):
        u = urllib.parse.urlsplit(base_url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)

    def post_form(self, path, params):
        body = urllib.parse.urlencode(params)
        self.conn.request("POST", path, body,
                          {"Content-Type": "application/x-www-form-urlencoded"})
        r = self.conn.getresponse()
        return r.status, r.read()

    def post_json(self, path, obj):
        self.conn.request("POST", path, json.dumps(obj), {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        return r.status, r.read()

    def close(self):
        self.conn.close()


class FakeServer:
    """A fake API server running as a subprocess on 127.0.0.1."""

    def __init__(self, kind, token=None, group_id=None, max_seconds=600, extra_args=(),
                 python=None, verbose=False):
        if kind not in SCRIPTS:
            raise ValueError("kind must be one of %s" % sorted(SCRIPTS))
        self.kind = "telegram" if kind == "tg" else kind
        self.token = token or DEFAULT_TOKENS[self.kind]
        self.group_id = group_id or DEFAULT_GROUP_ID
        self.max_seconds = max_seconds
        self.extra_args = list(extra_args)
        self.python = python or sys.executable
        self.verbose = verbose
        self.proc = None
        self.port = None
        self._tmp = None

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout=10.0):
        self._tmp = tempfile.mkdtemp(prefix="fake-%s-" % self.kind)
        port_file = os.path.join(self._tmp, "port")
        self.log_path = os.path.join(self._tmp, "stderr.log")
        cmd = [self.python, os.path.join(HERE, SCRIPTS[self.kind]), "--port", "0",
               "--port-file", port_file, "--token", self.token,
               "--max-seconds", str(self.max_seconds)]
        if self.kind == "vk":
            cmd += ["--group-id", str(self.group_id)]
        if self.verbose:
            cmd.append("--verbose")
        cmd += self.extra_args
        # stderr goes to a file, not a pipe: a pipe nobody reads would eventually
        # block the fake.
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("fake %s exited with %s:\n%s"
                                   % (self.kind, self.proc.returncode, self.log()))
            try:
                with open(port_file) as f:
                    return int(f.read().strip() or 0)
            except FileNotFoundError:
                return 0
        try:
            self.port = wait_for(ready, timeout, 0.01, "fake %s port file" % self.kind)
        except RuntimeError:
            self.stop()
            raise
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self, timeout=5.0):
        """SIGTERM, then SIGKILL if it does not exit; returns the exit code."""
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout)
            rc = self.proc.returncode
            self._log.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        return rc

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, AttributeError):
            return ""

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- URLs ----------------------------------------------------------------

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def api_base(self):
        """VK: .../method/ ; Telegram: .../bot<token>/  (append the method name)."""
        if self.kind == "vk":
            return self.base_url + "/method/"
        return "%s/bot%s/" % (self.base_url, self.token)

    # -- control API -----------------------------------------------------------

    def control(self, name, body=None, query=None, timeout=10.0):
        url = "%s/_control/%s" % (self.base_url, name)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        method = "GET" if body is None else "POST"
        status, _, raw = http_call(url, method=method, json_body=body, timeout=timeout)
        data = json.loads(raw)
        if status != 200:
            raise RuntimeError("control %s -> %d: %s" % (name, status, data))
        return data

    def inject(self, *items):
        """Inject inbound events/updates; returns the list of per-item results."""
        if len(items) == 1 and isinstance(items[0], list):
            items = items[0]
        return self.control("inject", list(items))["injected"]

    def sent(self, since=0, peer=None):
        q = {"since": since}
        if peer is not None:
            q["peer"] = peer
        return self.control("sent", query=q)["messages"]

    def calls(self, method=None):
        return self.control("calls", query={"method": method} if method else None)["calls"]

    def stats(self):
        return self.control("stats")

    def fault(self, method, kind, count=1, **kw):
        spec = dict(kw, method=method, kind=kind, count=count)
        return self.control("fault", spec)["queued"]

    def reset(self):
        return self.control("reset", {})

    def config(self, **kw):
        return self.control("config", kw)

    def wait_for_sent(self, n, timeout=5.0, peer=None):
        """Wait until at least `n` messages were sent (to `peer`); return them."""
        def enough():
            msgs = self.sent(peer=peer)
            return msgs if len(msgs) >= n else None
        return wait_for(enough, timeout, 0.02, "%d sent messages" % n)


def start_fake(kind, **kw):
    return FakeServer(kind, **kw).start()
