#!/usr/bin/env python3
"""Fake MAX messenger Bot API server for deskbot tests (stdlib only).

Run:  python3 tests/fakes/max_fake.py --port 0 --port-file /tmp/max.port \
          [--token max-test-token] [--max-seconds 600]

Wire format follows /work/shared/specs/max.md:
  * `Authorization: <token>` on every call (no "Bearer"); a wrong or missing token
    -> 401 {"code":"verify.token","message":"Invalid access_token"}.
  * Errors: {"code":"<dotted.key>","message":"..."} with a meaningful HTTP status.
  * GET /me -> BotInfo.
  * GET /updates?marker=&limit=1..1000&timeout=0..90&types=a,b: a real long poll.
    Each update has a position; passing `marker` forgets every update before it for
    good (they count as read) and returns the ones from it on; the answer's `marker`
    is the position after the last update returned (with no updates: the marker
    asked for, or 0 / null when config {"empty_marker": 0 | null} says so, as the Go
    SDK sees it). `types` filters (filtered updates are read too).
  * POST /messages?user_id=N | chat_id=N (exactly one): NewMessageBody, text
    <= 4000 characters, inline_keyboard limits (<= 30 rows, <= 7 per row, <= 3 per
    row for request_contact / link / open_app / request_geo_location, <= 210
    buttons, text 1..128, callback payload 1..1024), link {"type":"reply","mid"}.
    -> {"message": Message} with body.mid and body.seq. A blocked user -> 403.
  * Uploads: POST /uploads?type=file|image -> {"url"} here (`POST /upload/N`, no
    Authorization: the URL is the credential; multipart field "data"; fault method
    name "upload") -> {"token"}; a message's attachment {"type": "file"|"image",
    "payload": {"token"}} names it (an unknown token is 400). config {"not_ready": N}:
    the next N messages with a fresh token answer 400 attachment.not.ready. Sent
    records carry "file": the upload ({"type", "field", "filename", "mime", "size",
    "sha256"}); stats "uploads" lists every upload.
  * POST /answers?callback_id=ID: {"notification"} and/or {"message"} ->
    {"success":true}; an unknown callback id -> {"success":false,"message":...}.

Control API (JSON; GET or POST; bodies may be one object, a list, or {"updates": [...]}):
  POST /_control/inject  [{"user_id", "text", "type": message_created (default) |
        message_callback | bot_started | bot_stopped | dialog_removed |
        message_edited | message_removed | <any>, "chat_id" (group chat, negative),
        "chat_type" (dialog | chat | channel), "payload" (button / start payload),
        "callback_id", "contact": "+7916..." (the user's own card), "first_name",
        "username", "user_locale"}, {"raw": {...}}, {"raw_json": "text"},
        {"raw_b64": "..."}]
      -> {"injected": [{"type", "marker", "mid", "user_id", "chat_id", "peer",
                        "callback_id"}]}
  GET  /_control/sent?since=N&peer=P -> {"count", "messages": [{"seq", "peer",
        "user_id", "chat_id", "text", "mid", "reply_to" (link.mid), "keyboard" (the
        inline_keyboard buttons), "format", "notify", "recv_ns", "inject_ns"}]}
  GET  /_control/calls?method=answers -> {"count", "calls": [{"method", "params",
        "body", "known"}]}
  GET  /_control/stats  -> {"sent", "duplicates_suppressed" (always 0: no idempotency
        key), "requests", "api_errors", "faults_fired", "pending_updates", "read"}
  POST /_control/fault  {"method": "updates"|"messages"|"answers"|"*", "kind",
        "count", "skip", "process"}; kinds: http {"status"}, error {"status",
        "code", "message", "retry_after" (a Retry-After header)}, drop,
        drop_after, reset, slow {"delay_ms"}, malformed (a truncated answer)
  POST /_control/block  {"user_id", "blocked": true} -> sends get 403
  POST /_control/config {"rate_limit_per_s": null, "empty_marker": "keep"|0|null,
        "webhook": false (long polling refused with 405 while "subscribed")}
  POST /_control/reset  clear updates, messages, stats, faults (positions and ids
        keep growing)
  POST /_control/hostile {"seed", "ordinary", "undecodable"} -> {"cases": [{"label",
        "expect": answer|ignore|lost|dup, "peer", "message_id", "callback_id"}]}:
        hostile mode (hostile.max_cases), queued at once so that they share answers
  GET|POST|DELETE /subscriptions (spec section 6): POST {"url", "update_types",
        "secret"} with an http://127.0.0.1 URL makes the fake POST every queued and new
        update there (header X-Max-Bot-Api-Secret), resent until answered 200
        (webhook_push.py); long polling answers 405 while a subscription exists;
        DELETE ?url= hands what was not accepted back to /updates.
  POST /_control/push   {"retry_s", "concurrency", "duplicate"} -> the push figures
Timestamps are time.monotonic_ns().
"""

import asyncio
import base64
import collections
import hashlib
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
import webhook_push  # noqa: E402
import hostile  # noqa: E402
from fakehttp import ControlError, Response, json_bytes  # noqa: E402

MARKER_BASE = 25493970
MALFORMED_BODY = b'{"updates":[{"update_type":"message_created","timestamp":'
SPECIAL_BUTTONS = ("request_contact", "link", "open_app", "request_geo_location")
BUTTON_TYPES = ("callback", "link", "request_contact", "request_geo_location", "open_app",
                "message", "clipboard", "chat")


class MaxError(Exception):
    def __init__(self, status, code, message):
        Exception.__init__(self, code)
        self.status, self.code, self.message = status, code, message


def bad(message, code="bad.request"):
    return MaxError(400, code, message)


def validate_keyboard(att):
    payload = att.get("payload")
    rows = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not rows:
        raise bad("inline_keyboard: buttons must be a non-empty array of rows")
    if len(rows) > 30:
        raise bad("inline_keyboard: at most 30 rows")
    total = 0
    for row in rows:
        if not isinstance(row, list) or not row:
            raise bad("inline_keyboard: each row must be a non-empty array")
        special = any(isinstance(b, dict) and b.get("type") in SPECIAL_BUTTONS for b in row)
        if len(row) > (3 if special else 7):
            raise bad("inline_keyboard: too many buttons in a row")
        for b in row:
            total += 1
            if not isinstance(b, dict) or b.get("type") not in BUTTON_TYPES:
                raise bad("inline_keyboard: unknown button type")
            text = b.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= 128:
                raise bad("inline_keyboard: button text must be 1..128 characters")
            if b["type"] == "callback":
                p = b.get("payload")
                if not isinstance(p, str) or not 1 <= len(p.encode("utf-8")) <= 1024:
                    raise bad("inline_keyboard: callback payload must be 1..1024 bytes")
    if total > 210:
        raise bad("inline_keyboard: at most 210 buttons")


class FakeMax:
    name = "fake-max"

    def __init__(self, token):
        self.token = token
        self.bot_user = {"user_id": 229229229, "first_name": "Deskbot Fake",
                         "username": "deskbot_fake_bot", "is_bot": True,
                         "last_activity_time": int(time.time() * 1000)}
        self.server = None
        self.waiters = fakehttp.Waiters()
        self.faults = fakehttp.FaultQueue(("error",))
        self.control = fakehttp.Control()
        self.pusher = webhook_push.Pusher()
        for name in ("inject", "sent", "stats", "fault", "reset", "calls", "block", "config",
                     "hostile", "push"):
            self.control.add(name, getattr(self, "_control_" + name))
        # Positions, ids and sequence numbers survive /_control/reset.
        self.next_pos = MARKER_BASE
        self.next_seq = 116328147937082000
        self.next_cb = 0
        self._reset_state()

    def _reset_state(self):
        self.queue = collections.deque()   # [position, bytes, type, inject record]
        self.sent = []
        self.calls = []
        self.callbacks = {}                # callback_id -> inject record
        self.blocked = set()
        self.limiter = None
        self.empty_marker = "keep"
        self.webhook = False
        self.subscriptions = []            # [{"url", "time", "update_types", "secret"}]
        self.pusher.stop()
        self.requests = collections.Counter()
        self.api_errors = collections.Counter()
        self.read = 0
        self.uploads = []                  # every file POSTed to an upload URL
        self.upload_urls = {}              # N -> type asked for at /uploads
        self.tokens = {}                   # token -> upload record
        self.not_ready = 0
        self.faults.clear()

    def bound(self, server):
        self.server = server

    def _error(self, method, e):
        self.api_errors["%s %d %s" % (method, e.status, e.code)] += 1
        return Response(e.status, json_bytes({"code": e.code, "message": e.message}))

    def handle(self, req):
        path = req.path
        if path.startswith("/_control/"):
            return self.control.handle(req)
        method = path.strip("/").split("/")[0] or "-"
        self.requests[method] += 1
        if method == "upload":
            fault = self.faults.take("upload")
            call = lambda: self._upload(req)  # noqa: E731
            return self._faulted(fault, "upload", call) if fault is not None else call()
        if req.headers.get("authorization") != self.token:
            return self._error(method, MaxError(401, "verify.token", "Invalid access_token"))
        routes = {("GET", "me"): self.m_me, ("GET", "updates"): self.m_updates,
                  ("GET", "subscriptions"): self.m_subscriptions,
                  ("POST", "subscriptions"): self.m_subscribe,
                  ("DELETE", "subscriptions"): self.m_unsubscribe,
                  ("POST", "messages"): self.m_messages, ("POST", "answers"): self.m_answers,
                  ("POST", "uploads"): self.m_uploads}
        fn = routes.get((req.method, method))
        if fn is None:
            return self._error(method, MaxError(404 if method not in ("me", "updates",
                                                "messages", "answers", "subscriptions",
                                                "uploads")
                                                else 405,
                                                "not.found", "Path %s not found" % path))

        def call():
            try:
                result = fn(req)
            except MaxError as e:
                return self._error(method, e)
            if asyncio.iscoroutine(result):
                return self._finish(method, result)
            return result

        fault = self.faults.take(method)
        if fault is not None:
            return self._faulted(fault, method, call)
        if self.limiter is not None and method != "updates" and not self.limiter.allow():
            return self._error(method, MaxError(429, "too.many.requests", "Too many requests"))
        return call()

    async def _finish(self, method, coro):
        try:
            return await coro
        except MaxError as e:
            return self._error(method, e)

    async def _faulted(self, fault, method, call):
        resp = await fakehttp.apply_common_fault(fault, call, MALFORMED_BODY)
        if resp is not None:
            return resp
        if fault.get("process"):
            await fakehttp.resolve(call())
        status = int(fault.get("status", fault.get("code_status", 500)))
        e = MaxError(status, str(fault.get("code", "internal.error")),
                     str(fault.get("message", "Injected error")))
        r = self._error(method, e)
        if "retry_after" in fault:
            r.headers = dict(r.headers or {}, **{"Retry-After": str(fault["retry_after"])})
        return r

    # ------------------------------------------------------------------ methods

    def m_me(self, req):
        return Response(200, json_bytes(self.bot_user))

    @staticmethod
    def _int(q, name, default, lo, hi):
        v = q.get(name)
        if v in (None, ""):
            return default
        try:
            n = int(v)
        except ValueError:
            raise bad("%s must be an integer" % name)
        if not lo <= n <= hi:
            raise bad("%s must be in %d..%d" % (name, lo, hi))
        return n

    async def m_updates(self, req):
        if self.webhook or self.subscriptions:
            raise MaxError(405, "method.not.allowed",
                           "Long polling is not available while a webhook is subscribed")
        q = req.query
        limit = self._int(q, "limit", 100, 1, 1000)
        timeout = self._int(q, "timeout", 30, 0, 90)
        marker = self._int(q, "marker", 0, 0, 2 ** 62)
        types = set(t for t in (q.get("types") or "").split(",") if t)
        if marker:
            while self.queue and self.queue[0][0] < marker:
                self.queue.popleft()
                self.read += 1
        deadline = time.monotonic() + timeout
        while True:
            batch = [u for u in self.queue if not types or u[2] in types or u[2] is None]
            if batch or time.monotonic() >= deadline:
                break
            await self.waiters.wait(deadline - time.monotonic())
        if types:  # filtered updates count as read once passed over
            first = batch[0][0] if batch else self.next_pos
            while self.queue and self.queue[0][0] < first and \
                    not (self.queue[0][2] in types or self.queue[0][2] is None):
                self.queue.popleft()
                self.read += 1
        batch = batch[:limit]
        now = time.monotonic_ns()
        for u in batch:
            if u[3] is not None and u[3].get("deliver_ns") is None:
                u[3]["deliver_ns"] = now
        if batch:
            out_marker = json_bytes(batch[-1][0] + 1)
        elif self.empty_marker == "keep":
            out_marker = json_bytes(marker or self.next_pos + 1)
        else:
            out_marker = json_bytes(self.empty_marker)
        return Response(200, b'{"updates":[%s],"marker":%s}'
                        % (b",".join(u[1] for u in batch), out_marker))

    def _body(self, req):
        if req.bad_utf8:
            raise bad("strings must be encoded in UTF-8")
        if req.json_error or not isinstance(req.json, dict):
            raise bad("request body must be a JSON object")
        return req.json

    def m_messages(self, req):
        q = req.query
        has_user, has_chat = q.get("user_id") not in (None, ""), q.get("chat_id") not in (None, "")
        if has_user == has_chat:
            raise bad("exactly one of user_id and chat_id is required")
        try:
            peer = int(q["user_id"] if has_user else q["chat_id"])
        except ValueError:
            raise bad("user_id / chat_id must be an integer")
        body = self._body(req)
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise bad("text must be a string")
        if text is not None and len(text) > 4000:
            raise bad("text: length must be at most 4000", "text.too.long")
        keyboard = None
        atts = body.get("attachments")
        if atts is not None:
            if not isinstance(atts, list):
                raise bad("attachments must be an array")
            for a in atts:
                if not isinstance(a, dict) or not isinstance(a.get("type"), str):
                    raise bad("attachment must be an object with a type")
                if a["type"] == "inline_keyboard":
                    validate_keyboard(a)
                    keyboard = a["payload"]["buttons"]
        if not text and not atts:
            raise bad("message must have text or attachments", "message.empty")
        link = body.get("link")
        reply_to = None
        if link is not None:
            if not isinstance(link, dict) or link.get("type") not in ("reply", "forward") or \
                    not isinstance(link.get("mid"), str):
                raise bad("link must be {type: reply|forward, mid}")
            reply_to = link["mid"]
        if has_user and peer in self.blocked:
            raise MaxError(403, "chat.denied", "chat.denied: the user blocked the bot")
        attached = self._attached_file(atts)
        self.next_seq += 1
        seq = self.next_seq
        mid = "mid.%016x%016x" % (peer & (2 ** 64 - 1), seq)
        rec = {"seq": len(self.sent) + 1, "peer": peer,
               "user_id": peer if has_user else None, "chat_id": None if has_user else peer,
               "text": text or "", "mid": mid, "reply_to": reply_to, "keyboard": keyboard,
               "format": body.get("format"), "notify": body.get("notify", True),
               "file": attached, "recv_ns": req.t_ns}
        self.sent.append(rec)
        msg = {"sender": self.bot_user,
               "recipient": {"chat_id": peer, "chat_type": "dialog" if has_user else "chat",
                             "user_id": peer if has_user else None},
               "timestamp": int(time.time() * 1000),
               "body": {"mid": mid, "seq": seq, "text": text, "attachments": atts}}
        return Response(200, json_bytes({"message": msg}))

    def m_uploads(self, req):
        utype = req.query.get("type")
        if utype not in ("image", "video", "audio", "file"):
            raise bad("type must be one of image, video, audio, file")
        n = len(self.upload_urls) + 1
        self.upload_urls[n] = utype
        return Response(200, json_bytes(
            {"url": "http://127.0.0.1:%d/upload/%d" % (self.server.port, n)}))

    def _upload(self, req):
        try:
            n = int(req.path.strip("/").split("/")[1])
        except (IndexError, ValueError):
            n = 0
        utype = self.upload_urls.get(n)
        if req.method != "POST" or utype is None:
            return self._error("upload", MaxError(404, "not.found", "no such upload url"))
        f = req.files.get("data")
        if f is None or not f["data"]:
            return self._error("upload", bad("no file in field data"))
        if utype == "image" and not (f["data"].startswith(b"\x89PNG") or
                                     f["data"].startswith(b"\xff\xd8\xff")):
            return self._error("upload", bad("not an image", "upload.error"))
        digest = hashlib.sha256(f["data"]).hexdigest()
        rec = {"seq": len(self.uploads) + 1, "type": utype, "field": "data",
               "filename": f["filename"], "mime": f["type"], "size": len(f["data"]),
               "sha256": digest}
        self.uploads.append(rec)
        token = "tok-%d-%s" % (rec["seq"], digest[:16])
        self.tokens[token] = dict(rec, fresh=True)
        return Response(200, json_bytes({"token": token}))

    def _attached_file(self, atts):
        for a in atts or []:
            if a.get("type") not in ("file", "image"):
                continue
            token = (a.get("payload") or {}).get("token")
            rec = self.tokens.get(token) if isinstance(token, str) else None
            if rec is None or (rec["type"] == "image") != (a["type"] == "image"):
                raise bad("attachment: unknown token", "attachment.invalid")
            if rec["fresh"] and self.not_ready > 0:
                self.not_ready -= 1
                raise MaxError(400, "attachment.not.ready",
                               "Key: errors.process.attachment.file.not.processed")
            rec["fresh"] = False
            return {k: v for k, v in rec.items() if k != "fresh"}
        return None

    def m_answers(self, req):
        cid = req.query.get("callback_id")
        if not cid:
            raise bad("callback_id is required")
        body = self._body(req)
        if not body.get("notification") and not body.get("message"):
            raise bad("answer must have a notification or a message")
        known = cid in self.callbacks
        self.calls.append({"method": "answers", "params": {"callback_id": cid}, "body": body,
                           "known": known, "recv_ns": req.t_ns})
        if not known:
            return Response(200, json_bytes({"success": False,
                                             "message": "callback not found"}))
        return Response(200, b'{"success":true}')

    # ------------------------------------------------------------------ injection

    # ------------------------------------------------------------------ subscriptions

    def m_subscriptions(self, req):
        subs = [{k: v for k, v in sub.items() if k != "secret"} for sub in self.subscriptions]
        return Response(200, json_bytes({"subscriptions": subs}))

    def m_subscribe(self, req):
        body = self._body(req)
        url = body.get("url")
        secret = body.get("secret")
        if not isinstance(url, str) or not url.startswith(("https://", "http://127.0.0.1")):
            raise bad("url must be https://")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{5,256}", str(secret)):
            raise bad("secret: 5 to 256 of A-Z, a-z, 0-9, _ and -")
        self.calls.append({"method": "subscribe", "params": {}, "body": body, "known": True})
        self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
        self.subscriptions.append({"url": url, "time": int(time.time() * 1000),
                                   "update_types": body.get("update_types"),
                                   "secret": secret})
        if url.startswith("http://127.0.0.1"):
            # Pushed for real (a test URL): https ones are only recorded.
            for pos, data in reversed(self.pusher.stop()):
                self.queue.appendleft([pos, data, None, None])
            self.pusher.start(url, {"X-Max-Bot-Api-Secret": secret} if secret else {})
            self._drain()
        return Response(200, json_bytes({"success": True}))

    def m_unsubscribe(self, req):
        url = req.query.get("url", "")
        self.calls.append({"method": "unsubscribe", "params": {"url": url}, "body": None,
                           "known": any(s["url"] == url for s in self.subscriptions)})
        self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
        if self.pusher.url == url:
            for pos, data in reversed(self.pusher.stop()):
                self.queue.appendleft([pos, data, None, None])
        return Response(200, json_bytes({"success": True}))

    def _drain(self):
        """Webhook mode: every queued update goes to the subscribed URL instead."""
        if not self.pusher.active:
            return
        while self.queue:
            pos, data, _, _ = self.queue.popleft()
            self.read += 1
            self.pusher.push(pos, data)

    def _control_push(self, body, query):
        """Webhook delivery (webhook_push.py): settings in, its figures out."""
        return self.pusher.configure(body)

    def _user(self, item, uid):
        u = {"user_id": uid, "first_name": item.get("first_name", "Test"),
             "last_name": item.get("last_name"), "username": item.get("username"),
             "is_bot": bool(item.get("is_bot", False)),
             "last_activity_time": int(time.time() * 1000)}
        return u

    def _queue(self, data, utype, rec):
        self.next_pos += 1
        self.queue.append([self.next_pos, data, utype, rec])
        return self.next_pos

    def _inject_one(self, item, now):
        if any(k in item for k in ("raw", "raw_json", "raw_b64")):
            if "raw" in item:
                data = json_bytes(item["raw"])
            elif "raw_json" in item:
                data = item["raw_json"].encode("utf-8", "surrogatepass")
            else:
                data = base64.b64decode(item["raw_b64"])
            pos = self._queue(data, None, None)
            return {"type": "raw", "marker": pos}
        utype = item.get("type", "message_created")
        uid = int(item.get("user_id", item.get("peer", 1)))
        ts = int(time.time() * 1000)
        chat_type = item.get("chat_type", "chat" if "chat_id" in item else "dialog")
        chat_id = int(item.get("chat_id", uid + 10 ** 12))
        peer = uid if chat_type == "dialog" else chat_id
        up = {"update_type": utype, "timestamp": ts, "user_locale": item.get("user_locale", "ru")}
        info = {"type": utype, "user_id": uid, "chat_id": chat_id, "peer": peer, "mid": None,
                "callback_id": None}
        rec = {"inject_ns": now, "deliver_ns": None}
        self.next_seq += 1
        mid = "mid.%016x%016x" % (chat_id & (2 ** 64 - 1), self.next_seq)
        message = {"sender": self._user(item, uid),
                   "recipient": {"chat_id": chat_id, "chat_type": chat_type,
                                 "user_id": self.bot_user["user_id"]},
                   "timestamp": ts,
                   "body": {"mid": mid, "seq": self.next_seq, "text": item.get("text", ""),
                            "attachments": None}}
        if item.get("contact"):
            message["body"]["attachments"] = [{"type": "contact", "payload": {
                "vcf_info": "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL;TYPE=cell:%s\r\nEND:VCARD\r\n"
                            % item["contact"], "hash": "h", "max_info": self._user(item, uid)}}]
        if utype in ("message_created", "message_edited"):
            up["message"] = message
            info["mid"] = mid
        elif utype == "message_callback":
            self.next_cb += 1
            cid = item.get("callback_id") or "cb.%d.%d" % (uid, self.next_cb)
            up["callback"] = {"timestamp": ts, "callback_id": cid,
                              "payload": item.get("payload"), "user": self._user(item, uid)}
            bot_msg = dict(message, sender=self.bot_user)
            up["message"] = bot_msg
            self.callbacks[cid] = rec
            info["callback_id"] = cid
        elif utype in ("bot_started", "bot_stopped", "dialog_removed"):
            up.update(chat_id=chat_id, user=self._user(item, uid))
            if utype == "bot_started":
                up["payload"] = item.get("payload")
        elif utype == "message_removed":
            up.update(message_id=mid, chat_id=chat_id, user_id=uid)
        else:
            up.update(chat_id=chat_id, user=self._user(item, uid))
        info["marker"] = self._queue(json_bytes(up), utype, rec)
        return info

    # ------------------------------------------------------------------ control API

    def _control_inject(self, body, query):
        now = time.monotonic_ns()
        out = [self._inject_one(it, now) for it in fakehttp.as_list(body, "updates")]
        self.waiters.notify()
        self._drain()
        return {"injected": out}

    def _control_hostile(self, body, query):
        seed = int(body.get("seed", query.get("seed", 1)))
        n_ordinary = int(body.get("ordinary", 20))
        n_bad = int(body.get("undecodable", 1))
        cases = hostile.max_cases(seed)
        bad_cases = hostile.max_undecodable(seed)[:n_bad]
        base = 9700000000 + (seed % 1000) * 1000
        ordinary = [{"user_id": base + i, "text": "как пополнить счет %d" % i}
                    for i in range(n_ordinary)]
        now = time.monotonic_ns()
        out = []
        for it in hostile.mix(seed, cases, ordinary, bad_cases):
            if isinstance(it, hostile.Case):
                self._queue(it.wire, None, None)
                if it.callback_id:
                    self.callbacks[it.callback_id] = {"inject_ns": now, "deliver_ns": None}
                out.append(it.info())
            else:
                r = self._inject_one(it, now)
                out.append({"label": "ordinary", "expect": "answer", "peer": r["peer"],
                            "message_id": None, "callback_id": None})
        self.waiters.notify()
        self._drain()
        return {"cases": out}

    def _control_sent(self, body, query):
        since = int(query.get("since", body.get("since", 0)) or 0)
        peer = query.get("peer", body.get("peer"))
        msgs = self.sent[since:]
        if peer is not None:
            msgs = [m for m in msgs if str(m["peer"]) == str(peer)]
        return {"count": len(self.sent), "messages": msgs}

    def _control_calls(self, body, query):
        method = query.get("method", body.get("method"))
        calls = [c for c in self.calls if not method or c["method"] == method]
        return {"count": len(calls), "calls": calls}

    def _control_stats(self, body, query):
        return {"sent": len(self.sent), "duplicates_suppressed": 0,
                "requests": dict(self.requests), "api_errors": dict(self.api_errors),
                "faults_fired": dict(self.faults.fired),
                "errors_injected": self.faults.fired_total,
                "faults_pending": self.faults.pending(),
                "pending_updates": len(self.queue), "read": self.read,
                "polls_waiting": len(self.waiters), "push": self.pusher.stats(),
                "subscriptions": len(self.subscriptions), "uploads": list(self.uploads)}

    def _control_fault(self, body, query):
        return {"queued": [self.faults.add(s) for s in fakehttp.as_list(body, "faults")]}

    def _control_reset(self, body, query):
        self._reset_state()
        return {"ok": True}

    def _control_block(self, body, query):
        uid = int(body.get("user_id", 0))
        if body.get("blocked", True):
            self.blocked.add(uid)
        else:
            self.blocked.discard(uid)
        return {"blocked": sorted(self.blocked)}

    def _control_config(self, body, query):
        if "rate_limit_per_s" in body:
            r = body["rate_limit_per_s"]
            self.limiter = fakehttp.RateLimiter(r) if r else None
        if "empty_marker" in body:
            if body["empty_marker"] not in ("keep", 0, None):
                raise ControlError("empty_marker: \"keep\", 0 or null")
            self.empty_marker = body["empty_marker"]
        if "webhook" in body:
            self.webhook = bool(body["webhook"])
        if "not_ready" in body:
            self.not_ready = int(body["not_ready"] or 0)
        self.waiters.notify()
        return {"rate_limit_per_s": self.limiter.per_s if self.limiter else None,
                "empty_marker": self.empty_marker, "webhook": self.webhook}


def main(argv=None):
    return fakehttp.run(lambda a: FakeMax(a.token), "Fake MAX Bot API server",
                        lambda ap: ap.add_argument("--token", default="max-test-token"),
                        argv)


if __name__ == "__main__":
    sys.exit(main())
