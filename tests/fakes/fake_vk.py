#!/usr/bin/env python3
"""Fake VK API + Bots Long Poll server for deskbot tests (stdlib only).

Run:  python3 tests/fakes/fake_vk.py --port 0 --port-file /tmp/vk.port \
          [--token T] [--group-id N] [--max-seconds 600]

Wire format follows /work/shared/specs/vk.md (API 5.199):
  * `GET|POST /method/<name>` with params in the query string or a form body
    (urlencoded or multipart).  Like the real API, an application/json body is NOT
    read, so a client sending JSON gets "no access_token passed".
  * API errors are HTTP 200 {"error":{"error_code","error_msg","request_params"}}.
  * Uploads: docs.getMessagesUploadServer (type=doc) / photos.getMessagesUploadServer
    give an upload_url here (`POST /upload/doc|photo/N`, multipart field "file" /
    "photo"; fault method name "upload"); docs.save(file, title) and
    photos.saveMessagesPhoto(server, photo, hash) turn the answer into an attachment
    "doc<owner>_<id>" / "photo<owner>_<id>" that messages.send takes (an unknown one is
    error 100).  Sent records carry "file": the upload ({"kind", "field", "filename",
    "type", "size", "sha256", "attachment"}); stats "uploads" lists every upload.
  * `GET /lp?act=a_check&key=..&ts=..&wait=..` is the Bots Long Poll server that
    groups.getLongPollServer points at.  ts is the sequence number of the last
    event; polling with ts=T returns the events after T (re-polling an old ts
    replays them, as VK does).  Wrong key -> {"failed":2}; a ts older than the
    kept history (e.g. after /_control/reset) -> {"failed":1,"ts":current}.

Control API (JSON in/out; GET or POST; bodies may be one object, a list, or
{"events"|"faults"|"users": [...]}):
  POST /_control/inject   [{"peer_id", "from_id"|"user_id", "text", "payload",
                            "attachments", "fwd_messages", "reply_message",
                            "client_info", "message": {extra fields}, "v",
                            "event_id" (force a duplicate), "type": message_new
                            (default) | message_reply | message_edit | message_event
                            | message_typing_state | message_allow | message_deny |
                            wall_reply_new | wall_reply_edit ("id": the comment) |
                            wall_reply_delete ("id") (with "post_id", "owner_id") |
                            group_join | group_leave | <any, with "object">},
                           {"raw": {...envelope...}}, {"raw_json": "text"},
                           {"raw_b64": "bytes, e.g. invalid UTF-8"}]
        -> {"injected": [{"type", "event_id", "ts", "inject_ns", "message_id",
                          "conversation_message_id", "peer_id",
                          "callback_event_id" (message_event)}], "ts"}
  GET  /_control/sent?since=N&peer=P -> {"count", "messages": [{"seq", "peer",
        "text", "random_id", "message_id", "conversation_message_id", "reply_to",
        "forward", "keyboard", "attachment", "payload", "recv_ns", "inject_ns",
        "deliver_ns", "last_inject_ns", "params"}]}   (duplicates are not recorded)
  GET  /_control/calls?method=M -> {"count", "calls": [...]}  (other methods,
        e.g. messages.sendMessageEventAnswer with "known", "event_data", "inject_ns")
  GET  /_control/stats    -> {"sent", "duplicates_suppressed", "requests": {method:
        n, "lp": n}, "api_errors", "errors_injected", "faults_fired", ...}
  POST /_control/fault    {"method": "messages.send"|"lp"|"*", "kind", "count": 1,
        "skip": 0, "process": false, ...}; kinds: http {"status"}, error {"code"},
        drop, drop_after, reset, slow {"delay_ms"}, malformed, failed {"code":1|2|3}
  POST /_control/reset    clear messages, events, stats, faults (ids and ts keep
        growing; polling an older ts then answers failed:1)
  POST /_control/users    [{"id", "first_name", "screen_name", "followers_count", ...}]
  POST /_control/block    {"peer_id", "code": 901, "blocked": true}
  POST /_control/config   {"lp_batch": 100, "rate_limit_per_s": null}
  POST /_control/expire_key {}          GET /_control/state
  POST /_control/execute_errors {"errors": [{"code": 10|9|901|..., "peer_id": P
        (optional: any call), "count": 1}]} -> {"pending": n}: the next matching
        messages.send calls inside `execute` fail with that code (a `false` slot and an
        execute_errors entry, as VK answers), without being sent
  execute: POST /method/execute code="return [API.messages.send({...}),...];" (the
        subset deskbot generates: JSON-literal arguments), at most 25 calls; answers
        {"response": [message_id | false, ...], "execute_errors": [...]} as VK does
        (spec 7.1); a code it cannot read -> error 12. Stats: "execute_calls",
        "execute_requests".
  POST /_control/hostile  {"seed": 1, "ordinary": 20, "undecodable": 1} -> {"cases":
        [{"label", "expect": answer|ignore|lost|dup, "peer", "message_id",
          "callback_id", "ts"}]}: hostile mode (hostile.py), one seeded mix of
        legal-but-nasty events, ordinary messages and elements that are not JSON,
        queued at once so that they share long-poll answers
  POST /_control/callback {"url": "http://127.0.0.1:P/hooks/vk", "secret", "confirmation"}
        -> {"confirmed", "confirm_status", "confirm_answer", "push"}: Callback API mode
        (spec section 8): the confirmation request first, then every new event POSTed
        there with "secret", resent until answered "ok" (webhook_push.py); {"url": ""}
        stops it. The long poll keeps serving the same events (VK allows both).
  POST /_control/push     {"retry_s", "concurrency", "duplicate"} -> the push figures
Timestamps are time.monotonic_ns() (CLOCK_MONOTONIC, comparable across processes).
"""

import base64
import collections
import hashlib
import json
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_files  # noqa: E402
import fakehttp  # noqa: E402
import hostile  # noqa: E402
import webhook_push  # noqa: E402
from fakehttp import ControlError, Response, json_bytes, json_response  # noqa: E402

API_VERSION = "5.199"
CHAT_PEER_BASE = 2000000000
TS_BASE = 1000            # first event gets ts 1001; non-zero so "0" bugs show
MSG_ID_BASE = 100         # message ids are shared by inbound and outbound messages

ERROR_MSGS = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    7: "Permission to perform this action is denied",
    8: "Invalid request: v is required",
    9: "Flood control",
    10: "Internal server error",
    14: "Captcha needed",
    15: "Access denied",
    18: "User was deleted or banned",
    27: "Group authorization failed: method is unavailable with group auth.",
    29: "Rate limit reached",
    100: "One of the parameters specified was missing or invalid",
    113: "Invalid user id",
    900: "Can't send messages for users from blacklist",
    901: "Can't send messages for users without permission",
    902: "Can't send messages to this user due to their privacy settings",
    911: "Keyboard format is invalid",
    914: "Message is too long",
    917: "You don't have access to this chat",
}

DEFAULT_CLIENT_INFO = {
    "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback",
                       "intent_subscribe", "intent_unsubscribe"],
    "keyboard": True, "inline_keyboard": True, "carousel": True, "lang_id": 0,
}

KEYBOARD_ACTIONS = {"text", "callback", "open_link", "location", "vkpay", "open_app"}

# A truncated body with HTTP 200: what a proxy cutting the response looks like.
MALFORMED_BODY = b'{"response":{"key":"8c2a","ts":'


class VKError(Exception):
    def __init__(self, code, detail=None, extra=None):
        Exception.__init__(self, code)
        self.code = code
        self.detail = detail
        self.extra = extra


def _int(params, name, required=True):
    v = params.get(name)
    if v is None or v == "":
        if required:
            raise VKError(100, "%s is a required parameter" % name)
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise VKError(100, "%s not integer" % name)


class FakeVK:
    name = "fake-vk"

    def __init__(self, token, group_id):
        self.token = token
        self.group_id = group_id
        self.port = None
        self.server = None
        self.waiters = fakehttp.Waiters()
        self.faults = fakehttp.FaultQueue(("error", "failed"))
        self.control = fakehttp.Control()
        self.pusher = webhook_push.Pusher()
        self.callback = {}            # Callback API server: url, secret, confirmed
        self.pushed_ts = 0            # events up to this ts went to the callback server
        for name in ("inject", "sent", "stats", "fault", "reset", "calls", "users",
                     "block", "config", "expire_key", "state", "hostile", "execute_errors",
                     "callback", "push"):
            self.control.add(name, getattr(self, "_control_" + name.replace("-", "_")))
        # Counters that survive /_control/reset so a bot that keeps running across
        # tests never sees ids or ts go backwards.
        self.next_ts = TS_BASE
        self.next_mid = MSG_ID_BASE
        self.cmid = collections.Counter()         # peer -> last conversation_message_id
        self.key = secrets.token_hex(16)
        self._req_ns = 0
        self._reset_state()

    def _reset_state(self):
        self.events = []              # [(ts, json bytes, inbound record or None)]
        self.min_ts = self.next_ts    # polling with a ts below this -> failed:1
        self.inbound_by_mid = {}
        self.inbound_by_cmid = {}
        self.last_inject_by_peer = {}
        self.pending_callbacks = {}   # message_event event_id -> inject record
        self.sent = []
        self.files = fake_files.FileStore()  # /files/<key> -> served bytes
        self.dedup = {}               # (peer, random_id) -> (message_id, cmid)
        self.uploads = []             # every file POSTed to an upload URL, in order
        self.upload_tokens = {}       # upload answer token -> upload record
        self.saved = {}               # "doc<owner>_<id>" / "photo<owner>_<id>" -> upload
        self.calls = []
        self.blocked = {}             # peer -> error code
        self.users = {}               # id -> profile overrides for users.get
        self.requests = collections.Counter()
        self.api_errors = collections.Counter()
        self.dups = 0
        self.injected = 0
        self.delivered = 0
        self.lp_batch = 100
        self.limiter = None
        self.faults.clear()
        self._reset_execute()

    def bound(self, server):
        self.server = server
        self.port = server.port

    # ------------------------------------------------------------------ routing

    def handle(self, req):
        # Returns a Response, or a coroutine for the slow paths (long poll, faults,
        # control); see fakehttp.HTTPServer for why the split matters.
        path = req.path
        if path.startswith("/method/"):
            return self._api(req, path[8:])
        if path == "/lp" or path.startswith("/lp/"):
            return self._longpoll(req)
        if path.startswith("/_control/"):
            return self.control.handle(req)
        if path.startswith("/files/"):
            return self.files.response(path[len("/files/"):])
        if path.startswith("/upload/"):
            self.requests["<upload>"] += 1
            fault = self.faults.take("upload")
            call = lambda: self._upload(req)  # noqa: E731
            if fault is not None:
                return self._upload_fault(fault, call)
            return call()
        return fakehttp.html_response(404)

    # ------------------------------------------------------------------ uploads

    async def _upload_fault(self, fault, call):
        resp = await fakehttp.apply_common_fault(fault, call, MALFORMED_BODY)
        return resp if resp is not None else call()

    def _upload(self, req):
        """The upload server (docs / photos getMessagesUploadServer's upload_url): the
        bytes as multipart/form-data, field "file" (a document) or "photo"."""
        kind = req.path.split("/")[2] if req.path.count("/") >= 2 else ""
        if req.method != "POST" or kind not in ("doc", "photo"):
            return fakehttp.html_response(404)
        field = "photo" if kind == "photo" else "file"
        f = req.files.get(field)
        if f is None or not f["data"]:
            # What VK answers: a photo server an empty photo list, a doc server an error.
            if kind == "photo":
                return json_response({"server": 1, "photo": "[]", "hash": "0"})
            return json_response({"error": "no file"})
        if kind == "photo" and not (f["data"].startswith(b"\x89PNG") or
                                    f["data"].startswith(b"\xff\xd8\xff")):
            return json_response({"server": 1, "photo": "[]", "hash": "0"})
        digest = hashlib.sha256(f["data"]).hexdigest()
        rec = {"seq": len(self.uploads) + 1, "kind": kind, "field": field,
               "filename": f["filename"], "type": f["type"], "size": len(f["data"]),
               "sha256": digest}
        self.uploads.append(rec)
        token = "%s|%d|%s" % (kind, rec["seq"], digest[:20])
        self.upload_tokens[token] = rec
        if kind == "photo":
            photo = json.dumps([{"photo": token, "sizes": []}])
            return json_response({"server": 123, "photo": photo,
                                  "hash": hashlib.md5(photo.encode()).hexdigest()})
        return json_response({"file": token})

    def _upload_server(self, p, kind):
        peer = _int(p, "peer_id", required=False)
        if peer is None:
            raise VKError(100, "peer_id is undefined")
        if kind == "doc" and p.get("type", "doc") not in ("doc", "audio_message", "graffiti"):
            raise VKError(100, "type is invalid")
        self._log_call(("docs" if kind == "doc" else "photos") + ".getMessagesUploadServer", p)
        url = "http://127.0.0.1:%d/upload/%s/%d" % (self.port, kind, len(self.uploads) + 1)
        out = {"upload_url": url}
        if kind == "photo":
            out.update({"album_id": -14, "user_id": 0, "group_id": self.group_id})
        return out

    def m_docs_upload_server(self, p):
        return self._upload_server(p, "doc")

    def m_photos_upload_server(self, p):
        return self._upload_server(p, "photo")

    def m_docs_save(self, p):
        rec = self.upload_tokens.get(p.get("file", ""))
        if rec is None or rec["kind"] != "doc":
            raise VKError(100, "file is invalid")
        self._log_call("docs.save", p)
        doc_id = 600000 + rec["seq"]
        owner = -self.group_id
        self.saved["doc%d_%d" % (owner, doc_id)] = rec
        title = p.get("title") or rec["filename"]
        return {"type": "doc", "doc": {"id": doc_id, "owner_id": owner, "title": title,
                                       "size": rec["size"], "ext": title.rsplit(".", 1)[-1],
                                       "url": "http://127.0.0.1:%d/doc" % self.port}}

    def m_photos_save(self, p):
        try:
            photo = json.loads(p.get("photo", ""))
            token = photo[0]["photo"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise VKError(100, "photo is undefined")
        rec = self.upload_tokens.get(token)
        if rec is None or rec["kind"] != "photo" or not p.get("hash") or not p.get("server"):
            raise VKError(100, "photo is invalid")
        self._log_call("photos.saveMessagesPhoto", p)
        photo_id = 700000 + rec["seq"]
        owner = -self.group_id
        self.saved["photo%d_%d" % (owner, photo_id)] = rec
        return [{"id": photo_id, "owner_id": owner, "album_id": -14, "sizes": []}]

    def _file_attachments(self, item):
        """photo / doc / audio_message / sticker: true in an injected message add that
        attachment, its file served here under /files/ (file_mode: fake_files.MODES), or
        at file_url when given (a host the bot must refuse)."""
        out = []
        mode = item.get("file_mode", "ok")
        for vk_type, kind in (("photo", "photo"), ("doc", "document"),
                              ("audio_message", "voice"), ("sticker", "sticker")):
            if not item.get(vk_type):
                continue
            key = "%s_%d%s" % (vk_type, len(self.files.files),
                               ".png" if kind in ("photo", "sticker") else "")
            try:
                self.files.add(key, kind, mode, item.get("file_name"))
            except ValueError as e:
                raise ControlError(str(e))
            url = item.get("file_url") or "http://127.0.0.1:%d/files/%s" % (self.port, key)
            small = url.replace("/files/", "/files/small_")
            if vk_type == "photo":
                obj = {"id": 457239017, "owner_id": 1, "sizes": [
                    {"type": "s", "url": small, "width": 75, "height": 56},
                    {"type": "x", "url": url, "width": 604, "height": 453}]}
            elif vk_type == "doc":
                obj = {"id": 1, "owner_id": 1, "title": item.get("file_name", "scan.pdf"),
                       "ext": "pdf", "size": self.files.size(key), "url": url}
            elif vk_type == "audio_message":
                obj = {"id": 1, "owner_id": 1, "duration": 3, "link_ogg": url,
                       "link_mp3": url + ".mp3"}
            else:
                obj = {"product_id": 1, "sticker_id": 9, "images": [
                    {"url": small, "width": 64, "height": 64},
                    {"url": url, "width": 512, "height": 512}]}
            out.append({"type": vk_type, vk_type: obj})
        return out

    def _error(self, method, params, code, detail=None, extra=None):
        self.api_errors["%s %d" % (method, code)] += 1
        msg = ERROR_MSGS.get(code, "Unknown error")
        if detail:
            msg = "%s: %s" % (msg, detail)
        rp = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
        for k, v in params.items():
            if k != "access_token":
                rp.append({"key": k, "value": str(v)})
        err = {"error_code": code, "error_msg": msg, "request_params": rp}
        if code == 14:
            err["captcha_sid"] = str(secrets.randbelow(10 ** 12))
            err["captcha_img"] = "https://api.vk.com/captcha.php?sid=%s" % err["captcha_sid"]
        if extra:
            err.update(extra)
        return json_response({"error": err})

    def _api(self, req, method):
        self.requests[method] += 1
        # Real VK ignores JSON bodies; only query + form params count.
        params = req.params(use_json=False)
        if "access_token" not in params:
            auth = req.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                params["access_token"] = auth[7:].strip()

        def call():
            self._req_ns = req.t_ns
            try:
                return json_response({"response": self._dispatch(method, params)})
            except _ExecuteAnswer as e:
                return json_response({"response": e.results, "execute_errors": e.errors})
            except VKError as e:
                return self._error(method, params, e.code, e.detail, e.extra)

        fault = self.faults.take(method)
        if fault is not None:
            return self._api_fault(fault, method, params, call)
        if self.limiter is not None and not self.limiter.allow():
            return self._error(method, params, 6)
        return call()

    async def _api_fault(self, fault, method, params, call):
        resp = await fakehttp.apply_common_fault(fault, call, MALFORMED_BODY)
        if resp is not None:
            return resp
        if fault.get("process"):
            call()
        if fault["kind"] == "error":
            return self._error(method, params, int(fault.get("code", 10)),
                               fault.get("detail"), fault.get("extra"))
        # 'failed' is meaningful only for the long poll; elsewhere behave normally.
        return call()

    def _dispatch(self, method, params):
        token = params.get("access_token")
        if not token:
            raise VKError(5, None,
                          {"error_msg": "User authorization failed: no access_token passed."})
        if token != self.token:
            raise VKError(5)
        if not params.get("v"):
            raise VKError(8)
        fn = self.METHODS.get(method)
        if fn is None:
            raise VKError(3)
        return fn(self, params)

    # ------------------------------------------------------------------ methods

    def m_get_long_poll_server(self, p):
        gid = _int(p, "group_id")
        if gid != self.group_id:
            raise VKError(15, "no access to this group")
        return {"key": self.key, "server": "http://127.0.0.1:%d/lp" % self.port,
                "ts": str(self.next_ts)}

    def m_send(self, p):
        random_id = _int(p, "random_id")
        text = p.get("message", "")
        if len(text) > 9000:
            raise VKError(914)
        if not text and not p.get("attachment") and not p.get("sticker_id") \
                and not p.get("forward_messages"):
            raise VKError(100, "message is empty or invalid")
        keyboard = None
        if p.get("keyboard"):
            keyboard = _parse_keyboard(p["keyboard"])
        forward = None
        if p.get("forward"):
            try:
                forward = json.loads(p["forward"])
                if not isinstance(forward, dict):
                    raise ValueError
            except ValueError:
                raise VKError(100, "forward is invalid")
        reply_to = _int(p, "reply_to", required=False)
        if p.get("peer_ids"):
            try:
                peers = [int(x) for x in p["peer_ids"].split(",") if x.strip()]
            except ValueError:
                raise VKError(100, "peer_ids is invalid")
            if not peers or len(peers) > 100:
                raise VKError(100, "peer_ids is invalid")
            out = []
            for peer in peers:
                try:
                    mid, cmid = self._send_one(peer, random_id, text, keyboard, forward,
                                               reply_to, p)
                    out.append({"peer_id": peer, "message_id": mid,
                                "conversation_message_id": cmid})
                except VKError as e:
                    out.append({"peer_id": peer, "error": {
                        "code": e.code, "description": ERROR_MSGS.get(e.code, "")}})
            return out
        peer = _int(p, "peer_id", required=False)
        if peer is None:
            peer = _int(p, "user_id", required=False)
        if peer is None:
            raise VKError(100, "peer_id is undefined")
        return self._send_one(peer, random_id, text, keyboard, forward, reply_to, p)[0]

    def _send_one(self, peer, random_id, text, keyboard, forward, reply_to, p):
        if peer in self.blocked:
            raise VKError(self.blocked[peer])
        attached = self._attached_file(p.get("attachment"))
        key = (peer, random_id)
        if random_id != 0:          # random_id=0 disables the duplicate check on VK
            prev = self.dedup.get(key)
            if prev is not None:
                self.dups += 1
                return prev
        self.next_mid += 1
        mid = 0 if peer >= CHAT_PEER_BASE else self.next_mid
        self.cmid[peer] += 1
        cmid = self.cmid[peer]
        if random_id != 0:
            self.dedup[key] = (mid, cmid)
        linked = None
        if reply_to:
            linked = self.inbound_by_mid.get(reply_to)
        if linked is None and forward:
            fpeer = forward.get("peer_id", peer)
            for c in forward.get("conversation_message_ids") or []:
                linked = self.inbound_by_cmid.get((fpeer, c))
                if linked:
                    break
            if linked is None:
                for m in forward.get("message_ids") or []:
                    linked = self.inbound_by_mid.get(m)
                    if linked:
                        break
        rec = {
            "seq": len(self.sent) + 1, "method": "messages.send",
            "peer": peer, "peer_id": peer, "text": text, "random_id": random_id,
            "message_id": mid, "conversation_message_id": cmid,
            "reply_to": reply_to, "forward": forward, "keyboard": keyboard,
            "attachment": p.get("attachment"), "payload": p.get("payload"),
            "file": attached,
            "dont_parse_links": p.get("dont_parse_links"),
            "disable_mentions": p.get("disable_mentions"),
            "recv_ns": self._now_ns,
            "inject_ns": linked["inject_ns"] if linked else None,
            "deliver_ns": linked["deliver_ns"] if linked else None,
            "last_inject_ns": self.last_inject_by_peer.get(peer),
            "params": {k: v for k, v in p.items() if k != "access_token"},
        }
        self.sent.append(rec)
        return mid, cmid

    def _attached_file(self, attachment):
        """The upload an attachment of messages.send names (saved by docs.save /
        photos.saveMessagesPhoto); VK refuses one it does not know."""
        if not attachment:
            return None
        first = attachment.split(",")[0].strip()
        if not (first.startswith("doc") or first.startswith("photo")):
            return None
        rec = self.saved.get(first)
        if rec is None:
            raise VKError(100, "attachment is invalid")
        return dict(rec, attachment=first)

    def m_event_answer(self, p):
        event_id = p.get("event_id")
        if not event_id:
            raise VKError(100, "event_id is undefined")
        user_id = _int(p, "user_id")
        peer_id = _int(p, "peer_id")
        data = None
        if p.get("event_data"):
            if len(p["event_data"]) > 1000:
                raise VKError(100, "event_data is too long")
            try:
                data = json.loads(p["event_data"])
            except ValueError:
                raise VKError(100, "event_data is invalid")
        src = self.pending_callbacks.pop(event_id, None)
        self._log_call("messages.sendMessageEventAnswer", p, event_id=event_id,
                       user_id=user_id, peer_id=peer_id, event_data=data,
                       known=src is not None,
                       inject_ns=src["inject_ns"] if src else None)
        return 1

    def m_users_get(self, p):
        ids = p.get("user_ids", p.get("user_id", ""))
        fields = [f.strip() for f in p.get("fields", "").split(",") if f.strip()]
        out = []
        for raw in [x.strip() for x in str(ids).split(",") if x.strip()]:
            uid = None
            if raw.lstrip("-").isdigit():
                uid = int(raw)
            elif raw.startswith("id") and raw[2:].isdigit():
                uid = int(raw[2:])
            else:
                for u in self.users.values():
                    if u.get("screen_name") == raw:
                        uid = u["id"]
            if uid is None or uid <= 0:
                raise VKError(113)
            prof = self._profile(uid)
            item = {k: prof[k] for k in ("id", "first_name", "last_name",
                                         "can_access_closed", "is_closed") if k in prof}
            if "deactivated" in prof:
                item["deactivated"] = prof["deactivated"]
            for f in fields:
                if f in prof:
                    item[f] = prof[f]
            out.append(item)
        return out

    def _profile(self, uid):
        prof = {"id": uid, "first_name": "User%d" % uid, "last_name": "Test",
                "can_access_closed": True, "is_closed": False,
                "screen_name": "id%d" % uid, "followers_count": 0}
        prof.update(self.users.get(uid, {}))
        return prof

    def m_groups_get_by_id(self, p):
        return {"groups": [{"id": self.group_id, "name": "Deskbot Fake Community",
                            "screen_name": "club%d" % self.group_id, "is_closed": 0,
                            "type": "group"}], "profiles": []}

    def m_create_comment(self, p):
        post = _int(p, "post_id")
        owner = _int(p, "owner_id", required=False) or -self.group_id
        if p.get("from_group") and int(p["from_group"]) != self.group_id:
            raise VKError(15, "from_group is not this community")
        if not p.get("message"):
            raise VKError(100, "message is empty")
        self.next_mid += 1
        cid = self.next_mid
        self._log_call("wall.createComment", p, comment_id=cid)
        # VK echoes the community's own comment into the long poll, as it does
        # message_reply: a bot must not answer itself.
        self._inject_one({"type": "wall_reply_new", "id": cid, "from_id": -self.group_id,
                          "peer_id": -self.group_id, "post_id": post, "owner_id": owner,
                          "text": p.get("message", ""),
                          "reply_to_comment": p.get("reply_to_comment") or 0},
                         time.monotonic_ns())
        self.waiters.notify()
        return {"comment_id": cid}

    def _log_call(self, method, p, **extra):
        rec = {"seq": len(self.calls) + 1, "method": method, "recv_ns": self._now_ns,
               "params": {k: v for k, v in p.items() if k != "access_token"}}
        rec.update(extra)
        self.calls.append(rec)

    # Receive time (monotonic_ns, taken by the HTTP layer once the whole request was
    # read) of the API call being handled; handlers run synchronously, so a single
    # attribute set just before dispatch is enough.
    @property
    def _now_ns(self):
        return self._req_ns

    # ------------------------------------------------------------------ long poll

    async def _longpoll(self, req):
        self.requests["lp"] += 1
        p = req.params(use_json=False)

        def call():
            return self._poll(p)

        fault = self.faults.take("lp")
        if fault is not None:
            resp = await fakehttp.apply_common_fault(fault, call, b'{"ts":"1","updates":[{"type"')
            if resp is not None:
                return resp
            if fault["kind"] == "failed":
                code = int(fault.get("code", 2))
                if code == 1:
                    return json_response({"failed": 1, "ts": str(self.next_ts)})
                # 2: key expired; 3: session lost.  Either way the old key stops
                # working, so the client really must call getLongPollServer again.
                self.key = secrets.token_hex(16)
                return json_response({"failed": code})
        return await call()

    async def _poll(self, p):
        if p.get("act") != "a_check":
            return json_response({"failed": 2, "error": "act must be a_check"})
        if p.get("key") != self.key:
            return json_response({"failed": 2})
        try:
            ts = int(p.get("ts", ""))
        except ValueError:
            return json_response({"failed": 1, "ts": str(self.next_ts)})
        if ts < self.min_ts:
            # History before min_ts is gone (reset): VK's "history outdated" answer.
            return json_response({"failed": 1, "ts": str(self.next_ts)})
        try:
            wait = max(0.0, min(float(p.get("wait", 25)), 90.0))
        except ValueError:
            wait = 25.0
        deadline = time.monotonic() + wait
        while ts >= self.next_ts:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Response(200, b'{"ts":"%d","updates":[]}' % ts)
            await self.waiters.wait(remaining)
            if ts < self.min_ts:                    # reset while we waited
                return json_response({"failed": 1, "ts": str(self.next_ts)})
        start = ts - self.min_ts                    # events[i] has ts min_ts + i + 1
        batch = self.events[start:start + self.lp_batch]
        now = time.monotonic_ns()
        for _, _, inbound in batch:
            if inbound is not None and inbound["deliver_ns"] is None:
                inbound["deliver_ns"] = now
                self.delivered += 1
        new_ts = batch[-1][0] if batch else ts
        body = b'{"ts":"%d","updates":[%s]}' % (new_ts, b",".join(b[1] for b in batch))
        return Response(200, body)

    # ------------------------------------------------------------------ control API

    def _control_inject(self, body, query):
        items = fakehttp.as_list(body, "events")
        out = []
        now = time.monotonic_ns()
        for item in items:
            if not isinstance(item, dict):
                raise ControlError("each event must be an object")
            out.append(self._inject_one(item, now))
        self.injected += len(items)
        self.waiters.notify()
        self._push_new()
        return {"injected": out, "ts": str(self.next_ts)}

    def _inject_one(self, item, now):
        etype = item.get("type", "message_new")
        event_id = item.get("event_id") or secrets.token_hex(20)
        result = {"type": etype, "event_id": event_id, "inject_ns": now}
        inbound = None
        if "raw_json" in item:
            # Verbatim event text (may be invalid JSON / contain lone-surrogate
            # escapes); surrogatepass turns lone surrogates into invalid UTF-8 bytes.
            data = item["raw_json"].encode("utf-8", "surrogatepass")
        elif "raw_b64" in item:
            data = base64.b64decode(item["raw_b64"])     # any bytes, e.g. invalid UTF-8
        elif "raw" in item:
            data = json_bytes(item["raw"])
        else:
            obj, inbound = self._build_object(etype, item, now, result)
            env = {"type": etype, "event_id": event_id, "v": item.get("v", API_VERSION),
                   "object": obj, "group_id": item.get("group_id", self.group_id)}
            data = json_bytes(env)
        self.next_ts += 1
        self.events.append((self.next_ts, data, inbound))
        result["ts"] = str(self.next_ts)
        return result

    def _build_object(self, etype, item, now, result):
        if "object" in item:
            return item["object"], None
        user = item.get("from_id", item.get("user_id"))
        peer = item.get("peer_id", item.get("peer", user))
        if peer is None:
            raise ControlError("event needs peer_id or from_id/user_id")
        if user is None:
            user = peer if peer < CHAT_PEER_BASE else 1
        peer, user = int(peer), int(user)
        if etype in ("message_new", "message_reply", "message_edit"):
            self.next_mid += 1
            mid = item.get("id", 0 if peer >= CHAT_PEER_BASE else self.next_mid)
            self.cmid[peer] += 1
            cmid = self.cmid[peer]
            out = 1 if etype == "message_reply" else 0
            msg = {"id": mid, "date": int(item.get("date", time.time())), "peer_id": peer,
                   "from_id": -self.group_id if out and "from_id" not in item else user,
                   "out": out, "text": item.get("text", ""),
                   "conversation_message_id": cmid,
                   "attachments": item.get("attachments", []) + self._file_attachments(item),
                   "fwd_messages": item.get("fwd_messages", []),
                   "important": False, "is_hidden": False}
            if "payload" in item:
                pl = item["payload"]
                msg["payload"] = pl if isinstance(pl, str) else json.dumps(pl)
            for k in ("reply_message", "ref", "ref_source", "geo"):
                if k in item:
                    msg[k] = item[k]
            if isinstance(item.get("message"), dict):
                msg.update(item["message"])
            result.update(message_id=mid, conversation_message_id=cmid, peer_id=peer)
            inbound = None
            if etype == "message_new":
                inbound = {"inject_ns": now, "deliver_ns": None}
                if mid:
                    self.inbound_by_mid[mid] = inbound
                self.inbound_by_cmid[(peer, cmid)] = inbound
                self.last_inject_by_peer[peer] = now
                ci = dict(DEFAULT_CLIENT_INFO)
                ci.update(item.get("client_info") or {})
                return {"message": msg, "client_info": ci}, inbound
            return msg, None
        if etype == "message_event":
            cb_id = item.get("callback_event_id") or secrets.token_hex(6)
            inbound = {"inject_ns": now, "deliver_ns": None}
            self.pending_callbacks[cb_id] = inbound
            self.last_inject_by_peer[peer] = now
            result.update(callback_event_id=cb_id, peer_id=peer)
            return {"user_id": user, "peer_id": peer, "event_id": cb_id,
                    "payload": item.get("payload", {}),
                    "conversation_message_id": item.get("conversation_message_id",
                                                        self.cmid[peer])}, inbound
        if etype in ("wall_reply_new", "wall_reply_edit", "wall_reply_restore"):
            # A comment under a community post (spec 3.3); "id" names an existing one
            # (edit), else a new comment id is drawn.
            if "id" in item:
                cid = int(item["id"])
            else:
                self.next_mid += 1
                cid = self.next_mid
            post = int(item.get("post_id", 1))
            owner = int(item.get("owner_id", -self.group_id))
            result.update(comment_id=cid, post_id=post, peer_id=user)
            obj = {"id": cid, "from_id": user, "date": int(item.get("date", time.time())),
                   "text": item.get("text", ""), "post_id": post, "owner_id": owner,
                   "post_owner_id": owner, "parents_stack": [], "thread": {"count": 0}}
            if item.get("reply_to_comment"):
                obj["reply_to_comment"] = int(item["reply_to_comment"])
                obj["reply_to_user"] = int(item.get("reply_to_user", 0))
            return obj, None
        if etype == "wall_reply_delete":
            result.update(comment_id=int(item["id"]), peer_id=user)
            return {"owner_id": int(item.get("owner_id", -self.group_id)),
                    "id": int(item["id"]), "deleter_id": user,
                    "post_id": int(item.get("post_id", 1))}, None
        if etype == "message_typing_state":
            return {"state": item.get("state", "typing"), "from_id": user,
                    "to_id": -self.group_id}, None
        if etype == "message_allow":
            return {"user_id": user, "key": item.get("key", "")}, None
        if etype == "message_deny":
            return {"user_id": user}, None
        if etype in ("group_join", "group_leave"):
            return {"user_id": user, "join_type": item.get("join_type", "join")}, None
        return {}, None

    def _control_hostile(self, body, query):
        """Hostile mode (tests/fakes/hostile.py): injects, in one go so that they share
        long-poll answers, the seeded hostile events mixed with `ordinary` plain
        messages and `undecodable` (0..3) elements that are not JSON at all. Returns
        each case with what a correct bot does with it ("answer", "ignore", "lost",
        "dup" for a second delivery of the same message) and its peer."""
        seed = int(body.get("seed", query.get("seed", 1)))
        n_ordinary = int(body.get("ordinary", 20))
        n_bad = int(body.get("undecodable", 1))
        cases = hostile.vk_cases(seed, group_id=self.group_id)
        bad = hostile.vk_undecodable(seed)[:n_bad]
        base = 870000000 + (seed % 1000) * 1000
        ordinary = [{"peer_id": base + i, "from_id": base + i,
                     "text": "как проверить баланс %d" % i} for i in range(n_ordinary)]
        now = time.monotonic_ns()
        out = []
        for it in hostile.mix(seed, cases, ordinary, bad):
            if isinstance(it, hostile.Case):
                self.next_ts += 1
                self.events.append((self.next_ts, it.wire, None))
                if it.callback_id:
                    self.pending_callbacks[it.callback_id] = {"inject_ns": now,
                                                              "deliver_ns": None}
                info = it.info()
            else:
                r = self._inject_one(it, now)
                info = {"label": "ordinary", "expect": "answer", "peer": r["peer_id"],
                        "message_id": r["message_id"], "callback_id": None}
            info["ts"] = str(self.next_ts)
            out.append(info)
        self.injected += len(out)
        self.waiters.notify()
        self._push_new()
        return {"cases": out, "ts": str(self.next_ts)}

    # ------------------------------------------------------------------ Callback API

    def _with_secret(self, data):
        """The envelope with "secret" spliced in first (the rest stays byte for byte, so a
        hostile event stays as hostile); what is not an object goes as it is."""
        secret = self.callback.get("secret")
        head = data.lstrip()
        if not secret or not head.startswith(b"{"):
            return data
        rest = head[1:].lstrip()
        sep = b"," if rest and not rest.startswith(b"}") else b""
        return b'{"secret":%s%s%s' % (json_bytes(secret), sep, head[1:])

    def _push_new(self):
        if not self.pusher.active:
            return
        now = time.monotonic_ns()
        for ts, data, inbound in self.events:
            if ts <= self.pushed_ts:
                continue
            if inbound is not None and inbound.get("deliver_ns") is None:
                inbound["deliver_ns"] = now
                self.delivered += 1
            self.pusher.push(ts, self._with_secret(data))
            self.pushed_ts = ts

    async def _control_callback(self, body, query):
        """Adds a Callback API server as the community settings do (spec section 8):
        {"url": "http://127.0.0.1:P/hooks/vk", "secret", "confirmation"} -> VK posts
        {"type":"confirmation"} first and takes the server only when the answer is the
        confirmation code; from then on every new event is pushed there (with
        "secret"), resent until answered "ok". {"url": ""} removes the server."""
        url = body.get("urls") or body.get("url", "")
        self.pusher.stop()
        self.callback = {}
        if not url:
            return {"confirmed": False, "push": self.pusher.stats()}
        self.pusher.start(url, ok_body="ok")
        self.callback = {"url": url, "secret": body.get("secret")}
        conf = {"type": "confirmation", "group_id": int(body.get("group_id", self.group_id))}
        status, text = await self.pusher.post(self._with_secret(json_bytes(conf)))
        confirmed = status == 200 and text.strip() == str(body.get("confirmation", ""))
        self.callback.update(confirmed=confirmed, confirm_status=status,
                             confirm_answer=text[:200])
        if not confirmed:
            self.pusher.stop()
        else:
            self.pushed_ts = self.next_ts   # only events from now on, as VK does
        return dict(self.callback, secret=None, push=self.pusher.stats())

    def _control_push(self, body, query):
        """Webhook delivery (webhook_push.py): settings in, its figures out."""
        return self.pusher.configure(body)

    def _control_sent(self, body, query):
        since = int(query.get("since", body.get("since", 0)) or 0)
        peer = query.get("peer", body.get("peer"))
        msgs = self.sent[since:]
        if peer is not None:
            msgs = [m for m in msgs if str(m["peer"]) == str(peer)]
        return {"count": len(self.sent), "messages": msgs}

    def _control_calls(self, body, query):
        method = query.get("method", body.get("method"))
        calls = self.calls if not method else [c for c in self.calls if c["method"] == method]
        return {"count": len(calls), "calls": calls}

    def _control_stats(self, body, query):
        return {
            "sent": len(self.sent), "duplicates_suppressed": self.dups,
            "requests": dict(self.requests), "requests_total": sum(self.requests.values()),
            "api_errors": dict(self.api_errors),
            "faults_fired": dict(self.faults.fired), "errors_injected": self.faults.fired_total,
            "faults_pending": self.faults.pending(),
            "injected": self.injected, "delivered": self.delivered,
            "calls": len(self.calls), "lp_waiting": len(self.waiters),
            "ts": str(self.next_ts),
            "connections": self.server.connections if self.server else 0,
            "execute_requests": self.execute_requests, "execute_calls": self.execute_calls,
            "execute_errors_fired": dict(self.execute_fired),
            "push": self.pusher.stats(),
            "uploads": list(self.uploads),
        }

    def _control_fault(self, body, query):
        specs = fakehttp.as_list(body, "faults")
        return {"queued": [self.faults.add(s) for s in specs]}

    def _control_reset(self, body, query):
        self._reset_state()
        self.waiters.notify()    # waiting polls notice ts < min_ts and answer failed:1
        return {"ok": True, "ts": str(self.next_ts)}

    def _control_users(self, body, query):
        if not body:
            return {"users": list(self.users.values())}
        for u in fakehttp.as_list(body, "users"):
            if not isinstance(u, dict) or not isinstance(u.get("id"), int):
                raise ControlError("each user needs an integer id")
            self.users.setdefault(u["id"], {}).update(u)
        return {"users": list(self.users.values())}

    def _control_block(self, body, query):
        # Persistent per-peer send failure (user blocked the community / never allowed
        # messages): more realistic than a counted fault for "stop sending" tests.
        peer = body.get("peer_id", body.get("peer"))
        if not isinstance(peer, int):
            raise ControlError("need integer peer_id")
        if body.get("blocked", True):
            self.blocked[peer] = int(body.get("code", 901))
        else:
            self.blocked.pop(peer, None)
        return {"blocked": {str(k): v for k, v in self.blocked.items()}}

    def _control_config(self, body, query):
        if "lp_batch" in body:
            self.lp_batch = max(1, int(body["lp_batch"]))
        if "rate_limit_per_s" in body:
            n = body["rate_limit_per_s"]
            self.limiter = fakehttp.RateLimiter(int(n)) if n else None
        return {"lp_batch": self.lp_batch,
                "rate_limit_per_s": self.limiter.per_s if self.limiter else None,
                "token": self.token, "group_id": self.group_id}

    def _control_expire_key(self, body, query):
        self.key = secrets.token_hex(16)
        return {"key": self.key}

    def _control_state(self, body, query):
        return {"ts": str(self.next_ts), "min_ts": str(self.min_ts), "key": self.key,
                "server": "http://127.0.0.1:%d/lp" % self.port, "group_id": self.group_id,
                "token": self.token, "events": len(self.events)}


    # ------------------------------------------------------------------ execute

    def _reset_execute(self):
        self.execute_faults = []      # [{"code", "peer_id" or None, "count"}]
        self.execute_fired = collections.Counter()
        self.execute_requests = 0
        self.execute_calls = 0

    def _control_execute_errors(self, body, query):
        for e in fakehttp.as_list(body, "errors"):
            if not isinstance(e, dict) or not isinstance(e.get("code"), int):
                raise ControlError("each error needs an integer code")
            self.execute_faults.append({"code": e["code"], "peer_id": e.get("peer_id"),
                                        "count": int(e.get("count", 1))})
        return {"pending": sum(f["count"] for f in self.execute_faults)}

    def _take_execute_fault(self, peer):
        for f in self.execute_faults:
            if f["count"] > 0 and (f["peer_id"] is None or f["peer_id"] == peer):
                f["count"] -= 1
                if f["count"] == 0:
                    self.execute_faults.remove(f)
                return f["code"]
        return None

    def m_execute(self, p):
        calls = _parse_vkscript(p.get("code", ""))
        if calls is None:
            raise VKError(12, "the fake reads only return [API.messages.send({...}),...];")
        if len(calls) > 25:
            raise VKError(13, "too many API calls in execute")
        self.execute_requests += 1
        results, errors = [], []
        for method, args in calls:
            self.execute_calls += 1
            params = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in args.items()}
            params["access_token"] = p.get("access_token")
            params["v"] = p.get("v")
            try:
                if method != "messages.send":
                    raise VKError(3)
                code = self._take_execute_fault(_int(params, "peer_id", required=False))
                if code is not None:
                    self.execute_fired[str(code)] += 1
                    raise VKError(code)
                results.append(self.m_send(params))
            except VKError as e:
                self.api_errors["execute/%s %d" % (method, e.code)] += 1
                msg = ERROR_MSGS.get(e.code, "Unknown error")
                if e.detail:
                    msg = "%s: %s" % (msg, e.detail)
                results.append(False)
                errors.append({"method": method, "error_code": e.code, "error_msg": msg})
        if errors:
            raise _ExecuteAnswer(results, errors)
        return results


class _ExecuteAnswer(Exception):
    """An execute answer with execute_errors: the response plus the failed calls."""
    def __init__(self, results, errors):
        super().__init__("execute_errors")
        self.results = results
        self.errors = errors


def _parse_vkscript(code):
    """The VKScript subset deskbot generates: return [API.m.n({json}),...]; -> a list of
    (method, args) or None when the code is anything else."""
    code = code.strip()
    if not code.startswith("return") or not code.endswith(";"):
        return None
    body = code[len("return"):-1].strip()
    if not body.startswith("[") or not body.endswith("]"):
        return None
    body = body[1:-1]
    dec = json.JSONDecoder()
    out, i = [], 0
    while i < len(body):
        while i < len(body) and body[i] in " \n\t,":
            i += 1
        if i >= len(body):
            break
        if not body.startswith("API.", i):
            return None
        j = body.find("(", i)
        if j < 0:
            return None
        method = body[i + 4:j]
        try:
            args, end = dec.raw_decode(body, j + 1)
        except ValueError:
            return None
        if not isinstance(args, dict) or end >= len(body) or body[end] != ")":
            return None
        out.append((method, args))
        i = end + 1
    return out


def _parse_keyboard(text):
    """Parse and sanity-check a keyboard JSON string (error 911 like VK)."""
    try:
        kb = json.loads(text)
    except ValueError as e:
        raise VKError(911, "invalid JSON: %s" % e)
    if not isinstance(kb, dict) or not isinstance(kb.get("buttons"), list):
        raise VKError(911, "buttons is required")
    inline = bool(kb.get("inline"))
    if inline and kb.get("one_time"):
        raise VKError(911, "one_time is not allowed with inline")
    rows = kb["buttons"]
    max_rows, max_total = (6, 10) if inline else (10, 40)
    if len(rows) > max_rows:
        raise VKError(911, "too many rows")
    total = 0
    for row in rows:
        if not isinstance(row, list) or len(row) > 5:
            raise VKError(911, "each row must be an array of at most 5 buttons")
        for b in row:
            total += 1
            action = b.get("action") if isinstance(b, dict) else None
            if not isinstance(action, dict) or action.get("type") not in KEYBOARD_ACTIONS:
                raise VKError(911, "button action type is invalid")
            if action["type"] in ("text", "callback", "open_link") and \
                    not (0 < len(action.get("label", "")) <= 40):
                raise VKError(911, "label must be 1..40 characters")
            if "payload" in action and (not isinstance(action["payload"], str)
                                        or len(action["payload"]) > 255):
                raise VKError(911, "payload must be a JSON string of at most 255 chars")
    if total > max_total:
        raise VKError(911, "too many buttons")
    return kb


FakeVK.METHODS = {
    "groups.getLongPollServer": FakeVK.m_get_long_poll_server,
    "groups.getById": FakeVK.m_groups_get_by_id,
    "messages.send": FakeVK.m_send,
    "messages.sendMessageEventAnswer": FakeVK.m_event_answer,
    "users.get": FakeVK.m_users_get,
    "execute": FakeVK.m_execute,
    "wall.createComment": FakeVK.m_create_comment,
    "docs.getMessagesUploadServer": FakeVK.m_docs_upload_server,
    "photos.getMessagesUploadServer": FakeVK.m_photos_upload_server,
    "docs.save": FakeVK.m_docs_save,
    "photos.saveMessagesPhoto": FakeVK.m_photos_save,
}


def _ok_method(method):
    """Harmless methods a bot may call: logged in /_control/calls, answer 1."""
    def fn(self, p):
        self._log_call(method, p)
        return 1
    return fn


for _m in ("messages.markAsRead", "messages.setActivity", "groups.setLongPollSettings"):
    FakeVK.METHODS[_m] = _ok_method(_m)


def main(argv=None):
    def add_args(ap):
        ap.add_argument("--token", default="vk-test-token", help="accepted access_token")
        ap.add_argument("--group-id", type=int, default=123456, help="community id")
    return fakehttp.run(lambda a: FakeVK(a.token, a.group_id),
                        "Fake VK API and Bots Long Poll server", add_args, argv)


if __name__ == "__main__":
    sys.exit(main())
