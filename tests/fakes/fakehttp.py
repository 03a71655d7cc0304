"""Minimal asyncio HTTP/1.1 server shared by the VK and Telegram fakes.

Standard library only.  http.server is thread-per-request and far too slow for the
benchmark (20k messages at 5k+ req/s), so this is a small hand-rolled server:

  * request line + headers + Content-Length body (chunked request bodies are also
    decoded because it costs ten lines, but nothing here sends chunked responses);
  * keep-alive by default for HTTP/1.1, pipelining works because requests on one
    connection are answered strictly in order;
  * `Expect: 100-continue` is answered, because libcurl sends it for large POSTs and
    would otherwise stall for a second per request;
  * query string, application/x-www-form-urlencoded, multipart/form-data (text
    fields in `form`, file parts -- those with a filename -- in `files` as
    {"filename", "type", "data": bytes}) and application/json bodies are parsed up
    front.

Besides the server this module holds the pieces both fakes share: the JSON control
API router, the fault queue, a sliding-window rate limiter and the command-line
runner (--port/--port-file/--max-seconds, SIGTERM handling).
"""

import argparse
import asyncio
import collections
import json
import os
import signal
import sys
import time
import traceback
from urllib.parse import parse_qsl, unquote

HOST = "127.0.0.1"  # never listen on anything but loopback

REASONS = {
    100: "Continue", 200: "OK", 204: "No Content", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 413: "Payload Too Large", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 500: "Internal Server Error",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}

MAX_HEAD = 1 << 20        # 1 MiB of request line + headers is already absurd
MAX_BODY = 64 << 20       # bodies above this are refused with 413


class Request:
    """One parsed HTTP request.

    `query` and `form` are plain dicts (last value wins, as the real APIs treat
    repeated keys); `json` is the decoded JSON body or None.  Encoding problems are
    reported, not raised, so each fake can answer them the way its real API does.
    """

    __slots__ = ("method", "target", "path", "version", "headers", "body", "query",
                 "form", "files", "json", "json_error", "bad_utf8", "t_ns", "peer")

    def __init__(self, method, target, version, headers, body, t_ns, peer):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.t_ns = t_ns          # time.monotonic_ns() when the full request was read
        self.peer = peer
        self.json = None
        self.json_error = None
        self.bad_utf8 = False
        path, _, qs = target.partition("?")
        self.path = unquote(path) if "%" in path else path
        self.query = self._parse_qs(qs) if qs else {}
        self.form = {}
        self.files = {}
        if body:
            self._parse_body()

    def _parse_qs(self, text):
        # Percent-escapes must decode to valid UTF-8; a client that splits a
        # multi-byte character (e.g. when chunking long texts) should be caught.
        try:
            return dict(parse_qsl(text, keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError:
            self.bad_utf8 = True
            return dict(parse_qsl(text, keep_blank_values=True, errors="replace"))

    def _parse_body(self):
        ctype = self.headers.get("content-type", "").lower()
        if ctype.startswith("application/x-www-form-urlencoded"):
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_utf8 = True
                text = self.body.decode("utf-8", "replace")
            self.form = self._parse_qs(text)
        elif ctype.startswith("application/json"):
            try:
                self.json = json.loads(self.body.decode("utf-8"))
            except UnicodeDecodeError:
                self.bad_utf8 = True
                self.json_error = "body is not valid UTF-8"
            except ValueError as e:
                self.json_error = str(e)
        elif ctype.startswith("multipart/form-data"):
            self.form = self._parse_multipart(self.headers["content-type"])

    def _parse_multipart(self, ctype):
        # Only text fields matter to the fakes (no uploads), so this is the bare
        # minimum: split on the boundary, take name="..." from Content-Disposition.
        boundary = None
        for part in ctype.split(";")[1:]:
            k, _, v = part.strip().partition("=")
            if k.lower() == "boundary":
                boundary = v.strip('"')
        if not boundary:
            return {}
        out = {}
        for chunk in self.body.split(b"--" + boundary.encode("latin-1")):
            if chunk in (b"", b"--", b"--\r\n") or chunk.startswith(b"--"):
                continue
            head, sep, value = chunk.partition(b"\r\n\r\n")
            if not sep:
                continue
            name = filename = ptype = None
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-disposition:"):
                    for attr in line.decode("utf-8", "replace").split(";"):
                        k, _, v = attr.strip().partition("=")
                        if k == "name":
                            name = v.strip('"')
                        elif k == "filename":
                            filename = v.strip('"')
                elif line.lower().startswith(b"content-type:"):
                    ptype = line.decode("latin-1").partition(":")[2].strip()
            if name is None:
                continue
            if value.endswith(b"\r\n"):
                value = value[:-2]
            if filename is not None:
                self.files[name] = {"filename": filename, "type": ptype, "data": value}
                continue
            try:
                out[name] = value.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_utf8 = True
                out[name] = value.decode("utf-8", "replace")
        return out

    def params(self, use_json=True):
        """Merged parameters: query, then form, then (optionally) JSON object keys."""
        p = dict(self.query)
        if self.form:
            p.update(self.form)
        if use_json and isinstance(self.json, dict):
            p.update(self.json)
        return p


class Response:
    """What a handler returns.  `action` lets fault injection misbehave:
    'drop' closes the connection without answering (FIN), 'reset' aborts it (RST)."""

    __slots__ = ("status", "body", "content_type", "headers", "action")

    def __init__(self, status=200, body=b"", content_type="application/json",
                 headers=None, action=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers
        self.action = action


def json_bytes(obj):
    # Compact separators keep responses small; ensure_ascii (the default) means lone
    # surrogates injected on purpose come out as \udXXX escapes, like real JSON APIs.
    return json.dumps(obj, separators=(",", ":")).encode("ascii")


def json_response(obj, status=200, headers=None):
    return Response(status, json_bytes(obj), "application/json", headers)


def html_response(status):
    # Gateways in front of real APIs answer 5xx with HTML; clients must not choke.
    reason = REASONS.get(status, "Error")
    body = ("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s"
            "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            % (status, reason, status, reason)).encode()
    return Response(status, body, "text/html")


DROP = Response(action="drop")
RESET = Response(action="reset")


class HTTPServer:
    """asyncio HTTP/1.1 server.

    `handler(req)` returns either a Response (answered at once, in the same event
    loop callback that received the bytes) or an awaitable resolving to one (run
    as a Task: long polls, slow faults).  The synchronous fast path matters: with a
    Task and StreamReader per request a sequential keep-alive client tops out
    around 4.5k req/s; answering straight from data_received roughly doubles that.
    """

    def __init__(self, handler, port=0, name="fake"):
        self.handler = handler
        self.port = port
        self.name = name.encode("latin-1")
        self.connections = 0      # accepted connections, for stats
        self.requests = 0
        self._server = None

    async def start(self):
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _HTTPProtocol(self), HOST, self.port, backlog=1024, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    def close(self):
        if self._server:
            self._server.close()

    def encode(self, resp, keep):
        status = resp.status
        head = b"HTTP/1.1 %d %s\r\nServer: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n" % (
            status, REASONS.get(status, "Unknown").encode(), self.name,
            resp.content_type.encode("latin-1"), len(resp.body))
        if resp.headers:
            for k, v in resp.headers.items():
                head += ("%s: %s\r\n" % (k, v)).encode("latin-1")
        head += b"Connection: keep-alive\r\n\r\n" if keep else b"Connection: close\r\n\r\n"
        return head + resp.body


class _BadRequest(Exception):
    def __init__(self, status, text):
        Exception.__init__(self, text)
        self.status = status
        self.text = text


class _HTTPProtocol(asyncio.Protocol):
    """One connection.  Requests are handled strictly one at a time, in order, so
    pipelined requests are answered in order; bytes arriving while an async handler
    runs simply wait in the buffer."""

    def __init__(self, server):
        self.server = server
        self.buf = bytearray()
        self.transport = None
        self.busy = False          # an async handler is running for this connection
        self.closed = False
        self.continue_sent = False
        self.peer = None

    def connection_made(self, transport):
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        self.server.connections += 1

    def connection_lost(self, exc):
        self.closed = True

    def data_received(self, data):
        self.buf += data
        if not self.busy:
            self._process()

    def _fail(self, status, text):
        self.transport.write(self.server.encode(
            Response(status, text.encode(), "text/plain"), False))
        self.transport.close()
        self.closed = True

    def _parse(self):
        """Parse one complete request off the buffer, or return None if incomplete."""
        buf = self.buf
        while buf[:2] == b"\r\n":               # RFC 7230: tolerate stray CRLFs
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                raise _BadRequest(431, "headers too large")
            return None
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise _BadRequest(400, "bad request line")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        start = end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body, consumed = self._chunked(start)
            if body is None:
                return None
        else:
            try:
                clen = int(headers.get("content-length", "0"))
                if clen < 0:
                    raise ValueError
            except ValueError:
                raise _BadRequest(400, "bad content-length")
            if clen > MAX_BODY:
                raise _BadRequest(413, "body too large")
            if len(buf) < start + clen:
                # libcurl waits (up to 1 s) for this before sending a large body.
                if clen and not self.continue_sent and \
                        headers.get("expect", "").lower() == "100-continue":
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.continue_sent = True
                return None
            body = bytes(buf[start:start + clen])
            consumed = start + clen
        del buf[:consumed]
        self.continue_sent = False
        conn_hdr = headers.get("connection", "").lower()
        keep = ("close" not in conn_hdr) if version == "HTTP/1.1" else ("keep-alive" in conn_hdr)
        return Request(method, target, version, headers, body, time.monotonic_ns(),
                       self.peer), keep

    def _chunked(self, pos):
        # Re-parsed from scratch on every data_received until complete; chunked
        # request bodies are rare enough for that to be fine.
        buf = self.buf
        parts = []
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None, 0
            try:
                n = int(bytes(buf[pos:eol]).split(b";")[0].strip(), 16)
            except ValueError:
                raise _BadRequest(400, "bad chunk size")
            pos = eol + 2
            if n == 0:
                while True:                      # trailers, up to the blank line
                    eol = buf.find(b"\r\n", pos)
                    if eol < 0:
                        return None, 0
                    if eol == pos:
                        return b"".join(parts), eol + 2
                    pos = eol + 2
            if len(buf) < pos + n + 2:
                return None, 0
            parts.append(bytes(buf[pos:pos + n]))
            pos += n + 2
            if pos > MAX_BODY:
                raise _BadRequest(413, "body too large")

    def _process(self):
        while not self.busy and not self.closed and self.buf:
            try:
                parsed = self._parse()
            except _BadRequest as e:
                self._fail(e.status, e.text)
                return
            if parsed is None:
                return
            req, keep = parsed
            self.server.requests += 1
            try:
                resp = self.server.handler(req)
            except Exception:
                traceback.print_exc()
                resp = json_response({"fake_internal_error": True}, 500)
            if isinstance(resp, Response):
                self._respond(resp, keep)
            else:
                self.busy = True
                task = asyncio.ensure_future(resp)
                task.add_done_callback(lambda t, keep=keep: self._done(t, keep))

    def _done(self, task, keep):
        self.busy = False
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            # A bug in a fake must be loud (stderr) but must not kill the server.
            traceback.print_exception(type(exc), exc, exc.__traceback__)
            resp = json_response({"fake_internal_error": True}, 500)
        else:
            resp = task.result()
        if self.closed:
            return
        self._respond(resp, keep)
        self._process()

    def _respond(self, resp, keep):
        if resp.action == "drop":
            self.transport.close()               # FIN without an answer
            self.closed = True
            return
        if resp.action == "reset":
            self.transport.abort()               # RST
            self.closed = True
            return
        self.transport.write(self.server.encode(resp, keep))
        if not keep:
            self.transport.close()
            self.closed = True


# ---------------------------------------------------------------------------
# Control API helper
# ---------------------------------------------------------------------------

class ControlError(Exception):
    """Raised by control handlers for a bad request from the test; becomes HTTP 400."""


class Control:
    """Routes `/_control/<name>` to `fn(body: dict, query: dict) -> JSON-able`.

    The body is the JSON request body ({} when absent); handlers may be plain
    functions or coroutines.  Errors in the test's request come back as
    400 {"error": "..."} so a broken test sees why, instead of a hang.
    """

    PREFIX = "/_control/"

    def __init__(self):
        self.routes = {}

    def add(self, name, fn, methods=("GET", "POST")):
        self.routes[name] = (fn, methods)

    async def handle(self, req):
        name = req.path[len(self.PREFIX):].strip("/")
        entry = self.routes.get(name)
        if entry is None:
            return json_response({"error": "unknown control endpoint %r" % name,
                                  "endpoints": sorted(self.routes)}, 404)
        fn, methods = entry
        if req.method not in methods:
            return json_response({"error": "use %s" % "/".join(methods)}, 405)
        if req.json_error:
            return json_response({"error": "bad JSON body: " + req.json_error}, 400)
        body = req.json if req.json is not None else {}
        if req.form and not body:
            body = dict(req.form)
        try:
            result = fn(body, req.query)
            if asyncio.iscoroutine(result):
                result = await result
        except ControlError as e:
            return json_response({"error": str(e)}, 400)
        if isinstance(result, Response):
            return result
        return json_response(result)


def as_list(body, key):
    """Control bodies accept either a single object, a list, or {key: [...]}."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return body[key]
    if isinstance(body, dict) and body:
        return [body]
    raise ControlError("expected an object, a list, or {%r: [...]}" % key)


# ---------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------

# Kinds every fake understands; each fake adds its own ('error', 'failed', ...).
COMMON_FAULT_KINDS = ("http", "drop", "drop_after", "reset", "slow", "malformed")


class FaultQueue:
    """FIFO of fault specs per method name ("*" matches any method).

    A spec is a dict: {"method", "kind", "count" (default 1), "skip" (let this many
    matching calls through first), "process" (also perform the real call before
    misbehaving, i.e. "the server did it but the answer was lost"), plus
    kind-specific fields}.  Only the head spec of a method's queue is consulted, so
    specs queued for one method fire in the order they were added.
    """

    def __init__(self, kinds, normalize=lambda m: m):
        self.kinds = set(COMMON_FAULT_KINDS) | set(kinds)
        self.normalize = normalize
        self.queues = {}
        self.fired = collections.Counter()      # "method kind" -> n
        self.fired_total = 0

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("fault spec must be an object")
        spec = dict(spec)
        method = spec.get("method")
        if not method or not isinstance(method, str):
            raise ControlError("fault needs \"method\" (API method name or \"*\")")
        kind = spec.get("kind")
        if kind not in self.kinds:
            raise ControlError("fault kind %r unknown; one of %s" % (kind, sorted(self.kinds)))
        for f in ("count", "skip"):
            v = spec.get(f, 1 if f == "count" else 0)
            if not isinstance(v, int) or v < 0 or (f == "count" and v < 1):
                raise ControlError("fault %r must be a non-negative integer (count >= 1)" % f)
            spec[f] = v
        if kind == "http":
            status = spec.get("status", 500)
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise ControlError("http fault needs an integer status")
            spec["status"] = status
        if kind == "slow":
            ms = spec.get("delay_ms", spec.get("ms", 1000))
            if not isinstance(ms, (int, float)) or ms < 0:
                raise ControlError("slow fault needs delay_ms >= 0")
            spec["delay_ms"] = ms
        if kind == "drop_after":
            spec["kind"] = "drop"
            spec["process"] = True
        spec["method"] = "*" if method == "*" else self.normalize(method)
        self.queues.setdefault(spec["method"], collections.deque()).append(spec)
        return spec

    def take(self, method):
        """Return the fault to apply to this call of `method`, or None."""
        if not self.queues:
            return None
        for key in (method, "*"):
            q = self.queues.get(key)
            if not q:
                continue
            spec = q[0]
            if spec["skip"] > 0:
                spec["skip"] -= 1
                return None
            spec["count"] -= 1
            if spec["count"] <= 0:
                q.popleft()
                if not q:
                    del self.queues[key]
            self.fired["%s %s" % (method, self.describe(spec))] += 1
            self.fired_total += 1
            return spec
        return None

    @staticmethod
    def describe(spec):
        kind = spec["kind"]
        if kind == "http":
            return "http:%d" % spec["status"]
        if kind in ("error", "failed"):
            return "%s:%s" % (kind, spec.get("code"))
        return kind

    def pending(self):
        return [dict(s) for q in self.queues.values() for s in q]

    def clear(self):
        self.queues.clear()
        self.fired.clear()
        self.fired_total = 0


async def resolve(r):
    """Await `r` if it is awaitable (handlers may answer synchronously or not)."""
    if isinstance(r, Response):
        return r
    return await r


async def apply_common_fault(spec, call, malformed_body):
    """Handle the transport-level fault kinds shared by both fakes.

    `call` is a zero-argument function doing the real work and returning a Response
    (or an awaitable of one).  Returns a Response, or None when the kind is
    API-specific (the fake handles 'error'/'failed' itself).
    """
    kind = spec["kind"]
    if kind == "slow":
        # Delay first, then do the work: the request "sits" in the server, so a client
        # that times out and retries makes the fake process both attempts.
        await asyncio.sleep(spec["delay_ms"] / 1000.0)
        return await resolve(call())
    if kind not in ("http", "drop", "reset", "malformed"):
        return None
    if spec.get("process"):
        await resolve(call())
    if kind == "http":
        return html_response(spec["status"])
    if kind == "drop":
        return DROP
    if kind == "reset":
        return RESET
    return Response(200, malformed_body, "application/json")


class RateLimiter:
    """Sliding one-second window; `allow()` is False once `per_s` calls were seen."""

    def __init__(self, per_s):
        self.per_s = per_s
        self.stamps = collections.deque()

    def allow(self):
        now = time.monotonic()
        s = self.stamps
        while s and now - s[0] >= 1.0:
            s.popleft()
        if len(s) >= self.per_s:
            return False
        s.append(now)
        return True


class Waiters:
    """Long-poll wake-up: each waiting request owns an Event; `notify()` sets them all."""

    def __init__(self):
        self._events = set()

    async def wait(self, timeout):
        """Sleep until notify() or `timeout` seconds; returns True if notified."""
        if timeout <= 0:
            return False
        ev = asyncio.Event()
        self._events.add(ev)
        try:
            await asyncio.wait_for(ev.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self._events.discard(ev)

    def notify(self):
        for ev in self._events:
            ev.set()

    def __len__(self):
        return len(self._events)


# ---------------------------------------------------------------------------
# Command-line runner
# ---------------------------------------------------------------------------

def write_port_file(path, port):
    # Write-then-rename so a polling test never reads a half-written file.
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def run(make_app, description, add_args=None, argv=None):
    """Parse the common flags, build the app, serve until SIGTERM/SIGINT/--max-seconds.

    `make_app(args)` returns an object with `handle(req)` (returning a Response or an
    awaitable of one), `name`, and `bound(server)` (told the HTTPServer once
    listening, e.g. to build the VK long-poll server URL from its port).
    """
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = ephemeral)")
    ap.add_argument("--port-file", help="write the bound port number here once listening")
    ap.add_argument("--max-seconds", type=float, default=600.0,
                    help="exit by itself after this long, so a leaked fake never lingers")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    if add_args:
        add_args(ap)
    args = ap.parse_args(argv)
    app = make_app(args)
    try:
        asyncio.run(_serve(app, args))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(app, args):
    handler = app.handle
    if args.verbose:
        inner = handler

        def log(req, resp):
            sys.stderr.write("%s %s %s -> %s\n" % (app.name, req.method, req.target,
                                                   resp.action or resp.status))
            return resp

        def handler(req):
            r = inner(req)
            if isinstance(r, Response):
                return log(req, r)

            async def later():
                return log(req, await r)
            return later()
    server = HTTPServer(handler, args.port, app.name)
    await server.start()
    app.bound(server)
    if args.port_file:
        write_port_file(args.port_file, server.port)
    sys.stderr.write("%s listening on http://%s:%d (max %.0fs)\n"
                     % (app.name, HOST, server.port, args.max_seconds))
    sys.stderr.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    except asyncio.TimeoutError:
        sys.stderr.write("%s: --max-seconds reached, exiting\n" % app.name)
    server.close()
