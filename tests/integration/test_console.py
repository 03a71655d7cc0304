#!/usr/bin/env python3
"""Console and web chat against the real binary (stdlib only, no browser):
pages and their headers, login (cookie flags, wrong password, throttling), refusal
without a session or CSRF token, the web chat through the pipeline, a case created by a
complaint arriving live on an operator's WebSocket, claim/reply/handback, two claims
at once, hostile text stored and sent back as data, a reconnecting customer's history,
the audit log, the figures, and reloading the reply set from the console.

A minimal RFC 6455 client (WS below) talks to /ws and /chat/ws."""

import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINARY, SOURCE_DIR, Deskbot, Runner, check  # noqa: E402

PASSWORD = "correct horse battery"
HOSTILE = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">',
           '"><svg onload=alert(1)>', 'javascript:alert(1)', "'; DROP TABLE cases; --"]


def password_hash(pw):
    out = subprocess.run([BINARY, "passwd"], input=pw + "\n", capture_output=True, text=True,
                         timeout=30)
    check(out.returncode == 0, "deskbot passwd failed: %s" % out.stderr)
    return out.stdout.strip()


_HASH = None


# What customers are told instead of the login (anna has none: the fallback).
NAMES = {"marina": "Марина Соколова", "oleg": "Олег Петров"}


def config(**extra):
    global _HASH
    if _HASH is None:
        _HASH = password_hash(PASSWORD)
    cfg = {"operators": [{"login": "marina", "password_hash": _HASH, "role": "admin",
                          "display_name": NAMES["marina"]},
                         {"login": "oleg", "password_hash": _HASH, "role": "operator",
                          "display_name": NAMES["oleg"]},
                         {"login": "anna", "password_hash": _HASH, "role": "operator"}],
           "log": {"level": "info"}}
    cfg.update(extra)
    return cfg


class WS:
    """A tiny WebSocket client: text frames only, enough for these tests."""

    def __init__(self, port, path, cookie=None, origin=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key,
                 "Sec-WebSocket-Version: 13"]
        if cookie:
            lines.append("Cookie: " + cookie)
        if origin:
            lines.append("Origin: " + origin)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        self.buf = b""

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(hdr + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("socket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=10):
        self.sock.settimeout(timeout)
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                raise EOFError("closed by server")
            if op == 1:
                return json.loads(payload.decode())

    def wait_for(self, pred, timeout=10):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                m = self.recv(timeout=max(0.05, deadline - time.monotonic()))
            except socket.timeout:
                break
            seen.append(m)
            if pred(m):
                return m
        raise AssertionError("no matching frame within %.0fs; got %s" % (timeout, seen[-8:]))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Session:
    """An operator logged in through the API."""

    def __init__(self, bot, login, password=PASSWORD):
        self.bot = bot
        status, body, headers = raw(bot, "POST", "/api/login",
                                    {"login": login, "password": password})
        check(status == 200, "login of %s: %s %s" % (login, status, body))
        cookie = headers.get("Set-Cookie", "")
        self.cookie = cookie.split(";", 1)[0]
        self.set_cookie = cookie
        self.csrf = json.loads(body)["csrf"]
        self.login = login

    def get(self, path):
        status, body, _ = raw(self.bot, "GET", path, headers={"Cookie": self.cookie})
        return status, json.loads(body) if body else None

    def post(self, path, body=None, csrf=True):
        h = {"Cookie": self.cookie}
        if csrf:
            h["X-CSRF-Token"] = self.csrf
        status, text, _ = raw(self.bot, "POST", path, body or {}, headers=h)
        return status, json.loads(text) if text else None

    def ws(self):
        w = WS(self.bot.port, "/ws", cookie=self.cookie)
        check(w.status == 101, "console socket refused: %s" % w.status)
        w.send({"type": "hello"})
        w.wait_for(lambda m: m["type"] == "hello")
        return w


def raw(bot, method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(bot.url(path), data=data, method=method,
                                 headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


class Customer:
    """A web-chat customer: a cookie from /chat, then the chat socket."""

    def __init__(self, bot, name=None):
        status, _, headers = raw(bot, "GET", "/chat")
        check(status == 200, "chat page: %s" % status)
        self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        self.bot = bot
        self.name = name
        self.connect()

    def connect(self):
        self.ws = WS(self.bot.port, "/chat/ws", cookie=self.cookie)
        check(self.ws.status == 101, "chat socket refused: %s" % self.ws.status)
        self.ws.send({"type": "hello", "name": self.name} if self.name else {"type": "hello"})
        self.peer = self.ws.wait_for(lambda m: m["type"] == "hello")["peer_id"]
        self.history = self.ws.wait_for(lambda m: m["type"] == "history")["lines"]

    def say(self, text, key=None):
        key = key or base64.b16encode(os.urandom(8)).decode()
        self.ws.send({"type": "message", "text": text, "id": key})
        self.ws.wait_for(lambda m: m["type"] == "ack" and m["id"] == key)
        return key

    def reply(self, pred=lambda m: True, timeout=10):
        return self.ws.wait_for(lambda m: m["type"] == "message" and m["from"] != "customer"
                                and pred(m), timeout)


def complain(customer, ws_console=None):
    """Complains and answers the interview until a case is created; returns its id."""
    customer.say("У меня уже третий день не работает мобильный интернет, ничего не грузится!")
    answers = ["+7 916 123-45-67", "Москва, улица Ленина 5", "С понедельника не грузится ничего, "
               "перезагружал телефон", "не знаю"]
    for i in range(6):
        m = customer.reply()
        if "обращени" in m["text"].lower() and any(ch.isdigit() for ch in m["text"]):
            break
        customer.say(answers[min(i, len(answers) - 1)])
    if ws_console:
        ev = ws_console.wait_for(lambda m: m["type"] == "case_created", timeout=10)
        return ev["case_id"], ev
    return None, None


def claim_race(case_id, *sessions):
    """The sessions claim the case at the same moment: exactly one wins, the others are
    told who holds it. The winner's login."""
    results = {}

    def claim(s):
        results[s.login] = s.post("/api/cases/%d/claim" % case_id)
    ts = [threading.Thread(target=claim, args=(s,)) for s in sessions]
    [t.start() for t in ts]
    [t.join() for t in ts]
    codes = sorted(r[0] for r in results.values())
    check(codes == [200] + [409] * (len(sessions) - 1), "claims: %s" % results)
    winner = [k for k, r in results.items() if r[0] == 200][0]
    for r in results.values():
        if r[0] == 409:
            check(r[1].get("holder") == winner, "a loser is not told the holder: %s" % (r,))
    return winner


def test_pages_and_headers():
    with Deskbot(config=config()) as bot:
        for path, ctype in [("/console", "text/html"), ("/console/console.js", "javascript"),
                            ("/console/console.css", "text/css"), ("/chat", "text/html"),
                            ("/chat/chat.js", "javascript")]:
            status, body, headers = raw(bot, "GET", path)
            check(status == 200, "%s: %s" % (path, status))
            check(ctype in headers.get("Content-Type", ""), "%s type %s" % (path, headers))
            csp = headers.get("Content-Security-Policy", "")
            check("script-src 'self'" in csp, "%s without a strict CSP: %s" % (path, csp))
        status, _, headers = raw(bot, "GET", "/chat")
        c = headers.get("Set-Cookie", "")
        check("HttpOnly" in c and "SameSite=Strict" in c, "chat cookie flags: %s" % c)
        # No asset uses innerHTML or inline handlers.
        for name in os.listdir(os.path.join(os.environ.get("DESKBOT_SOURCE_DIR", "."), "bot",
                                            "console")):
            _, body, _ = raw(bot, "GET", "/console/" + name)
            check("innerHTML" not in body and "outerHTML" not in body and
                  "insertAdjacentHTML" not in body and "document.write" not in body,
                  "%s writes HTML" % name)
            if name.endswith(".html"):
                check(" onclick=" not in body and "<script>" not in body and
                      "style=" not in body, "%s has inline script or style" % name)
        check(raw(bot, "GET", "/console/../config.json")[0] == 404, "path traversal")


def test_login_refusals_and_csrf():
    with Deskbot(config=config()) as bot:
        status, body, _ = raw(bot, "POST", "/api/login", {"login": "marina", "password": "nope"})
        check(status == 401, "wrong password: %s %s" % (status, body))
        status, _, _ = raw(bot, "GET", "/api/cases")
        check(status == 401, "no session: %s" % status)
        status, _, _ = raw(bot, "GET", "/api/cases", headers={"Cookie": "deskbot_session=" + "a" * 64})
        check(status == 401, "forged session: %s" % status)
        w = WS(bot.port, "/ws")
        check(w.status != 101, "console socket without a session accepted")
        w.close()
        s = Session(bot, "oleg")
        check("HttpOnly" in s.set_cookie and "SameSite=Strict" in s.set_cookie and
              "Max-Age=" in s.set_cookie, "session cookie flags: %s" % s.set_cookie)
        check(s.post("/api/logout", csrf=False)[0] == 403, "logout without CSRF token")
        h = {"Cookie": s.cookie, "X-CSRF-Token": s.csrf, "Origin": "http://evil.example"}
        check(raw(bot, "POST", "/api/logout", {}, h)[0] == 403, "foreign origin accepted")
        w = WS(bot.port, "/ws", cookie=s.cookie, origin="http://evil.example")
        check(w.status != 101, "console socket from a foreign origin accepted")
        w.close()
        check(s.get("/api/stats")[0] == 403, "operator reached an admin endpoint")
        check(s.post("/api/admin/reload")[0] == 403, "operator reloaded")
        # Throttling: repeated failures lock the login out for a while.
        codes = [raw(bot, "POST", "/api/login", {"login": "anna", "password": "x%d" % i})[0]
                 for i in range(5)]
        check(codes[:3] == [401, 401, 401] and 429 in codes, "no throttling: %s" % codes)
        status, body, _ = raw(bot, "POST", "/api/login", {"login": "anna", "password": PASSWORD})
        check(status == 429, "locked login let in at once: %s" % status)
        # Secrets never reach the log.
        log = bot.read_log()
        check(PASSWORD not in log and s.cookie.split("=", 1)[1] not in log and s.csrf not in log,
              "a secret reached the log")
        check(s.post("/api/logout")[0] == 200, "logout")
        check(s.get("/api/cases")[0] == 401, "session alive after logout")


def test_chat_and_case_flow():
    with Deskbot(config=config()) as bot:
        marina, oleg = Session(bot, "marina"), Session(bot, "oleg")
        live = oleg.ws()
        cust = Customer(bot, name="Иван")
        cust.say("Как проверить баланс?")
        bot_answer = cust.reply()
        check(bot_answer["from"] == "bot" and bot_answer["text"], "no FAQ answer: %s" % bot_answer)
        case_id, ev = complain(cust, live)
        check(ev["case"]["channel"] == "web" and ev["case"]["status"] == "new",
              "case summary: %s" % ev)
        status, body = oleg.get("/api/cases")
        check(any(c["id"] == case_id for c in body["cases"]), "case not in the queue")
        # Two claims at once: exactly one wins, the other is told who holds it.
        winner = claim_race(case_id, marina, oleg)
        holder = marina if winner == "marina" else oleg
        other = oleg if holder is marina else marina
        check(other.post("/api/cases/%d/reply" % case_id, {"text": "hi"})[0] == 409,
              "non-holder replied")
        # Templates are filled from the case.
        status, t = holder.get("/api/cases/%d/templates" % case_id)
        greet = [x for x in t["templates"] if x["id"] == "op_greeting"][0]
        check(("Меня зовут %s," % NAMES[holder.login]) in greet["filled"] and
              holder.login not in greet["filled"] and ("%06d" % case_id) in greet["filled"],
              "template not filled: %s" % greet)
        check(holder.post("/api/cases/%d/reply" % case_id,
                          {"text": "Ответ {reason}"})[0] == 422, "unfilled placeholder sent")
        text = greet["filled"].replace("{name}", "Иван")
        status, body = holder.post("/api/cases/%d/reply" % case_id,
                                   {"text": text, "template": "op_greeting"})
        check(status == 200, "reply: %s %s" % (status, body))
        got = cust.reply(lambda m: m["from"] == "operator")
        check(got["text"] == text, "customer got %r" % got["text"])
        # While a person holds the chat the bot keeps quiet (one auto notice at most).
        cust.say("Спасибо, жду")
        # Hostile text: stored and returned as data, byte for byte.
        for h in HOSTILE:
            cust.say(h)
        live.wait_for(lambda m: m["type"] == "customer_message" and m["entry"]["text"] == HOSTILE[-1])
        status, body = holder.get("/api/cases/%d" % case_id)
        texts = [x["text"] for x in body["case"]["transcript"]]
        for h in HOSTILE:
            check(h in texts, "hostile text altered: %r" % h)
        check(body["conversation"]["mode"] == "human", "claim did not hand over: %s" % body)
        # Notes and status.
        check(holder.post("/api/cases/%d/note" % case_id, {"text": "<b>заметка</b>"})[0] == 200, "note")
        check(holder.post("/api/cases/%d/note" % case_id, {"text": 5})[0] == 400, "bad note")
        check(holder.post("/api/cases/%d/status" % case_id, {"status": "bogus"})[0] == 400, "bad status")
        check(holder.post("/api/cases/%d/status" % case_id, {"status": "waiting"})[0] == 200, "waiting")
        # Back to the bot: the next FAQ question is answered automatically.
        status, body = holder.post("/api/cases/%d/handback" % case_id, {"notify": True})
        check(status == 200, "handback: %s %s" % (status, body))
        cust.reply(lambda m: "бот" in m["text"] or "вопрос" in m["text"])
        cust.say("Как проверить баланс?")
        ans = cust.reply(lambda m: m["from"] == "bot")
        check(ans["text"], "no automatic answer after handback")
        # A reconnecting customer sees the history.
        cust.ws.close()
        cust.connect()
        froms = {l["from"] for l in cust.history}
        check({"customer", "bot", "operator"} <= froms, "history incomplete: %s" % froms)
        status, body = holder.post("/api/cases/%d/close" % case_id, {"resolution": "помогли"})
        check(status == 200 and body["case"]["status"] == "closed", "close: %s" % body)
        check(holder.post("/api/cases/%d/close" % case_id, {})[0] == 400, "close without resolution")
        # The audit log has every action.
        status, body = marina.get("/api/audit?case_id=%d" % case_id)
        actions = [a["action"] for a in body["audit"]]
        for a in ["claim", "reply", "note", "status", "handback"]:
            check(a in actions, "audit lacks %s: %s" % (a, actions))
        status, stats = marina.get("/api/stats")
        check(status == 200 and stats["today"]["messages"].get("web", 0) > 0 and
              stats["today"]["answered"]["people"] >= 1, "stats: %s" % stats)
        live.close()
        cust.ws.close()


def test_reload_from_console():
    with Deskbot(config=config()) as bot:
        s = Session(bot, "marina")
        status, body = s.post("/api/admin/reload")
        check(status == 200 and body["ok"] and body["version"], "reload: %s %s" % (status, body))
        with open(os.path.join(bot.dir, "replies", "settings.json"), "w") as f:
            f.write('{"thresholds": oops}\n')
        status, body = s.post("/api/admin/reload")
        check(status == 422 and not body["ok"] and body["errors"] and
              "settings.json:1:" in body["errors"][0], "broken reload: %s %s" % (status, body))


def test_csv_export_for_a_russian_spreadsheet():
    """--separator ';' gives a file a Russian spreadsheet opens as it is: UTF-8 BOM,
    semicolons, local times instead of Unix seconds, formula-like cells neutralised."""
    with Deskbot(config=config()) as bot:
        cust = Customer(bot, name="=HYPERLINK(\"http://evil\")")
        complain(cust)
        env = dict(os.environ, TZ="Europe/Moscow")
        p = subprocess.run([BINARY, "cases", "export", "--format", "csv", "--separator", ";",
                            "--config", os.path.join(bot.dir, "config.json")],
                           capture_output=True, timeout=30, cwd=bot.dir, env=env)
        check(p.returncode == 0, p.stderr)
        out = p.stdout
        check(out.startswith(b"\xef\xbb\xbf"), "no BOM: %r" % out[:10])
        lines = out[3:].decode().strip().split("\n")
        check(lines[0].startswith("number;created_at;updated_at;sla_due_at;channel"), lines[0])
        check(len(lines) == 2, lines)
        cells = lines[1].split(";")
        check(cells[0] == '"000001"', cells)
        # dd.mm.yyyy hh:mm on the reply set's clock (UTC+3), not seconds since 1970.
        check(re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", cells[1]) is not None, cells[1])
        created = [c for c in json.loads(subprocess.run(
            [BINARY, "cases", "export", "--format", "json", "--config",
             os.path.join(bot.dir, "config.json")], capture_output=True, timeout=30,
            cwd=bot.dir).stdout) if c["number"] == "000001"][0]["created_at"]
        local = time.gmtime(created + 180 * 60)
        check(cells[1] == time.strftime("%d.%m.%Y %H:%M", local), (cells[1], created))
        check('"\'=HYPERLINK(""http://evil"")"' in lines[1], lines[1])
        p = subprocess.run([BINARY, "cases", "export", "--format", "csv", "--separator", "|",
                            "--config", os.path.join(bot.dir, "config.json")],
                           capture_output=True, timeout=30, cwd=bot.dir)
        check(p.returncode == 2 and b"separator" in p.stderr, p.stderr)


def test_help_lists_every_command():
    """deskbot --help lists exactly the commands main.c and cli_*.c accept: read from
    the sources, so a new command without a help line fails here."""
    src = os.path.join(SOURCE_DIR, "bot")
    with open(os.path.join(src, "main.c"), encoding="utf-8") as f:
        accepted = set(re.findall(r'strcmp\(cmd, "([a-z]+)"\)', f.read())) - {"help"}
    subs = []  # ("cases", "export"): a command's own subcommands, from its cli_*.c body
    for name in sorted(os.listdir(src)):
        if name.startswith("cli_") and name.endswith(".c"):
            with open(os.path.join(src, name), encoding="utf-8") as f:
                for cmd, body in re.findall(r"^int cli_([a-z]+)\(int argc, char \*\*argv\)\n\{"
                                            r"(.*?)^\}", f.read(), re.M | re.S):
                    subs += [(cmd, sub) for sub in
                             re.findall(r'strcmp\(argv\[0\], "([a-z]+)"\)', body)]
    check(accepted >= {"run", "check", "match", "chat", "passwd", "cases", "version"}, accepted)
    check(("cases", "export") in subs, subs)
    for args in (["--help"], ["-h"], ["help"]):
        p = subprocess.run([BINARY] + args, capture_output=True, timeout=10, text=True)
        check(p.returncode == 0, p.stderr)
        listed = set(re.findall(r"^  ([a-z]+)\b", p.stdout, re.M))
        check(listed - {"help"} == accepted, "--help lists %s, main.c accepts %s"
              % (sorted(listed), sorted(accepted)))
        for cmd, sub in subs:
            check(("  %s %s " % (cmd, sub)) in p.stdout, "--help lacks %s %s" % (cmd, sub))
    p = subprocess.run([BINARY, "nonsense"], capture_output=True, timeout=10, text=True)
    check(p.returncode == 2 and "unknown command" in p.stderr and "  run" in p.stderr, p.stderr)


def main():
    r = Runner()
    for t in [test_pages_and_headers, test_login_refusals_and_csrf, test_chat_and_case_flow,
              test_reload_from_console, test_csv_export_for_a_russian_spreadsheet,
              test_help_lists_every_command]:
        r.run(t)
    r.finish()


if __name__ == "__main__":
    main()
