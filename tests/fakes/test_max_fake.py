#!/usr/bin/env python3
"""Self-test for the MAX fake: it speaks ../shared/specs/max.md the way the real API
does (auth header, error bodies, marker semantics, send validation, answers), so the
integration tests that lean on it test the bot and not the fake's mistakes.

    python3 tests/fakes/test_max_fake.py
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import FakeServer, http_call  # noqa: E402

TOKEN = "max-fake-selftest-token"


def call(fake, method, path, body=None, token=TOKEN):
    headers = {"Authorization": token} if token else {}
    raw = json.dumps(body).encode() if body is not None else None
    status, _, data = http_call(fake.base_url + path, method=method, headers=headers,
                                raw_body=raw, content_type="application/json")
    return status, json.loads(data) if data else None


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def main():
    with FakeServer("max", token=TOKEN, max_seconds=120) as fake:
        # Auth: the raw token in Authorization; anything else is verify.token.
        for tok in (None, "Bearer " + TOKEN, "wrong"):
            s, b = call(fake, "GET", "/me", token=tok)
            check(s == 401 and b["code"] == "verify.token", (tok, s, b))
        s, b = call(fake, "GET", "/me")
        check(s == 200 and b["is_bot"], b)
        # Marker: updates before it are read for good; an empty poll keeps it (or 0).
        a, c = fake.inject([{"user_id": 1, "text": "a"}, {"user_id": 2, "text": "b"}])
        s, b = call(fake, "GET", "/updates?timeout=0")
        check(s == 200 and len(b["updates"]) == 2 and b["marker"] == c["marker"] + 1, b)
        check(b["updates"][0]["message"]["body"]["mid"].startswith("mid."), b)
        s, b2 = call(fake, "GET", "/updates?timeout=0&marker=%d" % c["marker"])
        check(len(b2["updates"]) == 1 and b2["updates"][0]["message"]["sender"]["user_id"] == 2,
              b2)
        s, b3 = call(fake, "GET", "/updates?timeout=0&marker=%d" % b["marker"])
        check(b3["updates"] == [] and b3["marker"] == b["marker"], b3)
        fake.config(empty_marker=0)
        s, b4 = call(fake, "GET", "/updates?timeout=0&marker=%d" % b["marker"])
        check(b4["marker"] == 0, b4)
        t = time.monotonic()
        call(fake, "GET", "/updates?timeout=1&marker=%d" % b["marker"])
        check(time.monotonic() - t >= 0.9, "timeout not honoured")
        s, b = call(fake, "GET", "/updates?limit=0")
        check(s == 400, b)
        # Sends: exactly one of user_id / chat_id, text <= 4000, keyboard limits.
        ok = {"text": "hi", "attachments": [{"type": "inline_keyboard", "payload": {
            "buttons": [[{"type": "callback", "text": "Да", "payload": "p"}],
                        [{"type": "request_contact", "text": "Номер"}]]}}]}
        s, b = call(fake, "POST", "/messages?user_id=5", ok)
        check(s == 200 and b["message"]["body"]["mid"] and b["message"]["body"]["seq"], b)
        for path, body in [("/messages", ok), ("/messages?user_id=5&chat_id=-1", ok),
                           ("/messages?user_id=5", {"text": "я" * 4001}),
                           ("/messages?user_id=5", {"text": ""}),
                           ("/messages?user_id=5", {"text": "x", "attachments": [
                               {"type": "inline_keyboard", "payload": {"buttons": [
                                   [{"type": "request_contact", "text": "n"}] * 4]}}]}),
                           ("/messages?user_id=5", {"text": "x", "attachments": [
                               {"type": "inline_keyboard", "payload": {"buttons": [
                                   [{"type": "callback", "text": "b", "payload": "p"}]] * 31}}]}),
                           ("/messages?user_id=5", {"text": "x", "attachments": [
                               {"type": "inline_keyboard", "payload": {"buttons": [
                                   [{"type": "callback", "text": "b", "payload": "x" * 1025}]]}}]})]:
            s, b = call(fake, "POST", path, body)
            check(s == 400 and "code" in b and "message" in b, (path, s, b))
        fake.control("block", {"user_id": 6})
        s, b = call(fake, "POST", "/messages?user_id=6", {"text": "x"})
        check(s == 403, b)
        sent = fake.sent()
        check(len(sent) == 1 and sent[0]["peer"] == 5 and sent[0]["keyboard"], sent)
        # Answers: a known callback id succeeds, an unknown one says success false.
        cb = fake.inject({"type": "message_callback", "user_id": 7, "payload": "x"})[0]
        s, b = call(fake, "POST", "/answers?callback_id=" + cb["callback_id"],
                    {"notification": "ok"})
        check(s == 200 and b == {"success": True}, b)
        s, b = call(fake, "POST", "/answers?callback_id=nope", {"notification": "ok"})
        check(s == 200 and b["success"] is False, b)
        s, b = call(fake, "POST", "/answers?callback_id=" + cb["callback_id"], {})
        check(s == 400, b)
        # Faults and the rate limit answer with MAX's error body.
        fake.fault("messages", "error", status=429, code="too.many.requests")
        s, b = call(fake, "POST", "/messages?user_id=5", {"text": "x"})
        check(s == 429 and b["code"] == "too.many.requests", b)
        fake.config(rate_limit_per_s=1)
        codes = [call(fake, "POST", "/messages?user_id=5", {"text": "x"})[0] for _ in range(3)]
        check(429 in codes, codes)
        # Hostile mode: every case comes with what a correct bot does with it.
        cases = fake.control("hostile", {"seed": 1, "ordinary": 3, "undecodable": 1})["cases"]
        kinds = {c["expect"] for c in cases}
        check(kinds == {"answer", "ignore", "lost", "dup"}, kinds)
    print("max fake: auth, marker, long-poll timeout, send validation, answers, faults, "
          "rate limit and hostile mode behave as the spec says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
