#!/usr/bin/env python3
"""Fake Telegram Bot API server for deskbot tests (stdlib only).

Run:  python3 tests/fakes/fake_telegram.py --port 0 --port-file /tmp/tg.port \
          [--token 123456:TEST] [--max-seconds 600]

Wire format follows /work/shared/specs/telegram.md:
  * `GET|POST /bot<TOKEN>/<method>`, params from the query string, a urlencoded or
    multipart form, or a JSON object body; object params (reply_markup,
    reply_parameters, allowed_updates, ...) may be JSON strings (form) or objects.
    Method names are case-insensitive.
  * Success: HTTP 200 {"ok":true,"result":...}.  Failure: HTTP status = error_code,
    {"ok":false,"error_code":N,"description":"...","parameters":{...}} (+ a
    Retry-After header on 429).  Wrong token -> 401 "Unauthorized".
  * getUpdates is a real long poll with offset confirmation (updates below `offset`
    are forgotten for good), `limit`, `timeout` (clamped to 50) and
    `allowed_updates` (remembered, applied to updates injected afterwards, like
    Telegram).  A new getUpdates while one is still waiting ends the old one with
    409 "terminated by other getUpdates request", as the reference server does.
  * sendMessage validates chat_id, text (non-empty, <= 4096 UTF-16 units after
    entity parsing), parse_mode markup (HTML/MarkdownV2/Markdown: a bot that forgets
    to escape gets 400 "can't parse entities"), reply_markup and reply_parameters.
  * sendDocument / sendPhoto take the file as a multipart/form-data upload (field
    "document" / "photo", chat_id, caption <= 1024); /_control/sent records them
    with "method" and "file": {"field", "filename", "type", "size", "sha256"}.

Control API (JSON in/out; GET or POST; bodies may be one object, a list, or
{"updates"|"faults": [...]}):
  POST /_control/inject   [{"chat_id", "user_id", "text", "type": message (default)
                            | edited_message | channel_post | callback_query |
                            my_chat_member | chat_member | <any, with "object">,
                            "data"|"callback_data", "message_id" (callback / edit
                            target), "contact": true|{...}, "photo": true,
                            "caption", "entities", "reply_to_message_id",
                            "chat_type", "title", "first_name", "username",
                            "language_code", "status"/"old_status" (member updates),
                            "message": {extra fields}},
                           {"raw": {...}}, {"raw_json": "text"}, {"raw_b64": "..."}]
        -> {"injected": [{"type", "update_id", "inject_ns", "message_id", "chat_id",
                          "callback_query_id", "filtered" (not in allowed_updates)}]}
  GET  /_control/sent?since=N&peer=P -> {"count", "messages": [{"seq", "peer",
        "chat_id", "text", "plain_text", "message_id", "reply_to",
        "reply_parameters", "keyboard" (= reply_markup, parsed), "parse_mode",
        "entities", "link_preview_options", "disable_notification", "random_id"
        (always null), "recv_ns", "inject_ns", "deliver_ns", "last_inject_ns",
        "params"}]}
  GET  /_control/calls?method=M -> {"count", "calls": [...]}  (answerCallbackQuery
        with "known" and "inject_ns", sendChatAction, editMessageText, ...)
  GET  /_control/stats    -> {"sent", "duplicates_suppressed" (always 0), "requests",
        "api_errors", "errors_injected", "faults_fired", "pending_updates",
        "confirmed", "conflicts", ...}
  POST /_control/fault    {"method": "sendMessage"|"getUpdates"|"*", "kind",
        "count": 1, "skip": 0, "process": false, ...}; kinds: http {"status"},
        error {"code", "retry_after", "description", "migrate_to_chat_id"}, drop,
        drop_after, reset, slow {"delay_ms"}, malformed
  POST /_control/reset    clear updates, messages, stats, faults, settings
        (update_id and message_id keep growing)
  POST /_control/block    {"chat_id", "blocked": true, "description"} -> 403
  POST /_control/config   {"strict_chats": false, "chats": [...],
        "rate_limit_per_s": null, "webhook_url": ""}
  GET  /_control/state
  POST /_control/hostile  {"seed": 1, "ordinary": 20, "undecodable": 1} -> {"cases":
        [{"label", "expect": answer|ignore|lost, "peer", "message_id", "callback_id",
          "update_id"}]}: hostile mode (hostile.py), one seeded mix of legal-but-nasty
        updates, ordinary messages and updates that are not JSON, queued at once
Timestamps are time.monotonic_ns() (CLOCK_MONOTONIC, comparable across processes).

  POST /_control/push     {"retry_s", "concurrency", "duplicate"} -> the push figures
Webhook mode: setWebhook with an http://127.0.0.1 URL makes the fake POST every queued
and every new update there (header X-Telegram-Bot-Api-Secret-Token), resending what is
not answered 2xx (webhook_push.py); getUpdates answers 409 meanwhile; deleteWebhook
hands what was not accepted back to getUpdates. Other URLs are only recorded.
Not emulated: files, the "re-poll within 3 s is slowed down" quirk.
"""

import asyncio
import base64
import collections
import itertools
import hashlib
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_files  # noqa: E402
import fakehttp  # noqa: E402
import hostile  # noqa: E402
import webhook_push  # noqa: E402
from fakehttp import ControlError, Response, json_bytes  # noqa: E402

UPDATE_ID_BASE = 100000000
DEFAULT_DISALLOWED = {"chat_member", "message_reaction", "message_reaction_count"}
MESSAGE_TYPES = ("message", "edited_message", "channel_post", "edited_channel_post")

DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
         "instance is running",
    429: "Too Many Requests: retry after %d",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
QUERY_TOO_OLD = ("Bad Request: query is too old and response timeout expired or query "
                 "ID is invalid")
WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first")
MALFORMED_BODY = b'{"ok":true,"result":[{"update_id":'

INLINE_ACTIONS = ("callback_data", "url", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                  "copy_text", "callback_game", "pay")
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
             "tg-spoiler", "span", "blockquote", "tg-emoji", "tg-time"}


class TGError(Exception):
    def __init__(self, code, description=None, parameters=None):
        Exception.__init__(self, code)
        self.code = code
        self.description = description
        self.parameters = parameters


def utf16_len(s):
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text, i):
    return len(text[:i].encode("utf-8", "surrogatepass"))


def _entities_error(msg):
    return TGError(400, "Bad Request: can't parse entities: " + msg)


# ---------------------------------------------------------------------------
# Formatting validators.  They return the plain text (markup removed) so the
# length limit is applied "after entity parsing", and raise like Telegram on markup
# a careless bot produces (unescaped user text).  Approximations of TDLib's parsers,
# strict where a correct bot is unaffected.
# ---------------------------------------------------------------------------

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^>]*)?)>")
_ENT_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def html_plain(text):
    out = []
    stack = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "<":
            m = _TAG_RE.match(text, i)
            if not m:
                raise _entities_error("Unclosed start tag at byte offset %d"
                                      % _byte_offset(text, i))
            closing, name, _attrs = m.group(1), m.group(2).lower(), m.group(3)
            if name not in HTML_TAGS:
                raise _entities_error('Unsupported start tag "%s" at byte offset %d'
                                      % (name, _byte_offset(text, i)))
            if closing:
                if not stack or stack[-1] != name:
                    raise _entities_error('Unmatched end tag at byte offset %d, expected '
                                          '"</%s>", found "</%s>"'
                                          % (_byte_offset(text, i),
                                             stack[-1] if stack else "", name))
                stack.pop()
            else:
                stack.append(name)
            i = m.end()
            continue
        if c == "&":
            m = _ENT_RE.match(text, i)
            if m:
                ent = m.group(1)
                if ent[0] == "#":
                    code = int(ent[2:], 16) if ent[1] in "xX" else int(ent[1:])
                    out.append(chr(code) if 0 < code < 0x110000 else "\ufffd")
                    i = m.end()
                    continue
                if ent in _NAMED:
                    out.append(_NAMED[ent])
                    i = m.end()
                    continue
            # Unknown or unterminated entities are kept as literal text, like TDLib.
        out.append(c)
        i += 1
    if stack:
        raise _entities_error('Can\'t find end tag corresponding to start tag "%s"' % stack[-1])
    return "".join(out)


def markdown_v2_plain(text):
    out = []
    open_marks = []          # stack of *, _, __, ~, ||, [
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 < n and 0 < ord(text[i + 1]) < 127:
                out.append(text[i + 1])
                i += 2
                line_start = False
                continue
            out.append(c)
            i += 1
            continue
        if c == "`":
            # code / pre: everything up to the closing backtick(s) is literal, only
            # \` and \\ are escapes.
            fence = "```" if text.startswith("```", i) else "`"
            j = i + len(fence)
            while j < n and not text.startswith(fence, j):
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise _entities_error("Can't find end of %s entity at byte offset %d"
                                      % ("Pre" if fence == "```" else "Code",
                                         _byte_offset(text, i)))
            out.append(text[i + len(fence):j].replace("\\`", "`").replace("\\\\", "\\"))
            i = j + len(fence)
            line_start = False
            continue
        if c == ">" and line_start:
            i += 1                                  # blockquote marker
            continue
        if c in "*~" or c == "_" or (c == "|" and text.startswith("||", i)):
            mark = c
            if c == "_" and text.startswith("__", i):
                mark = "__"
            elif c == "|":
                mark = "||"
            if open_marks and open_marks[-1] == mark:
                open_marks.pop()
            else:
                open_marks.append(mark)
            i += len(mark)
            line_start = False
            continue
        if c == "[":
            open_marks.append("[")
            i += 1
            continue
        if c == "]" and open_marks and open_marks[-1] == "[":
            open_marks.pop()
            if not text.startswith("(", i + 1):
                # Telegram treats "[text]" without a URL as reserved characters.
                raise _entities_error("Character ']' is reserved and must be escaped with "
                                      "the preceding '\\'")
            j = i + 2
            while j < n and text[j] != ")":
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise _entities_error("Can't find end of a URL at byte offset %d"
                                      % _byte_offset(text, i))
            i = j + 1
            continue
        if c in "_*[]()~`>#+-=|{}.!":
            raise _entities_error("Character '%s' is reserved and must be escaped with the "
                                  "preceding '\\'" % c)
        out.append(c)
        line_start = c == "\n"
        i += 1
    if open_marks:
        raise _entities_error("Can't find end of %s entity"
                              % {"*": "Bold", "_": "Italic", "__": "Underline",
                                 "~": "Strikethrough", "||": "Spoiler",
                                 "[": "TextUrl"}[open_marks[-1]])
    return "".join(out)


_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def markdown_plain(text):
    # Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url); no escaping of
    # ordinary punctuation, but unbalanced markers are an error.
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "*_`":
            fence = "```" if text.startswith("```", i) else c
            j = text.find(fence, i + len(fence))
            if j < 0:
                raise _entities_error("Can't find end of the entity starting at byte offset %d"
                                      % _byte_offset(text, i))
            out.append(text[i + len(fence):j])
            i = j + len(fence)
            continue
        if c == "[":
            m = _MD_LINK_RE.match(text, i)
            if not m:
                raise _entities_error("Can't find end of the entity starting at byte offset %d"
                                      % _byte_offset(text, i))
            out.append(m.group(1))
            i = m.end()
            continue
        out.append(c)
        i += 1
    return "".join(out)


PARSE_MODES = {"html": html_plain, "markdownv2": markdown_v2_plain, "markdown": markdown_plain}


def validate_reply_markup(m):
    if not isinstance(m, dict):
        raise TGError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in m:
        rows = m["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise TGError(400, "Bad Request: can't parse inline keyboard: "
                               "field \"inline_keyboard\" must be an Array of Arrays")
        for row in rows:
            for b in row:
                if not isinstance(b, dict) or not isinstance(b.get("text"), str):
                    raise TGError(400, "Bad Request: can't parse inline keyboard button: "
                                       "Field \"text\" must be of type String")
                actions = [a for a in INLINE_ACTIONS if a in b]
                if len(actions) != 1:
                    raise TGError(400, "Bad Request: can't parse inline keyboard button: "
                                       "Text buttons are unallowed in the inline keyboard")
                if "callback_data" in b:
                    data = b["callback_data"]
                    if not isinstance(data, str) or \
                            not 1 <= len(data.encode("utf-8", "surrogatepass")) <= 64:
                        raise TGError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in b and not re.match(r"^(https?|tg)://\S+$", str(b["url"])):
                    raise TGError(400, "Bad Request: inline keyboard button URL '%s' is invalid"
                                  % b["url"])
    elif "keyboard" in m:
        rows = m["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise TGError(400, "Bad Request: can't parse reply keyboard markup: "
                               "field \"keyboard\" must be an Array of Arrays")
        for row in rows:
            for b in row:
                text = b if isinstance(b, str) else b.get("text") if isinstance(b, dict) else None
                if not isinstance(text, str) or not text:
                    raise TGError(400, "Bad Request: can't parse keyboard button: "
                                       "Field \"text\" must be of type String")
        ph = m.get("input_field_placeholder")
        if ph is not None and not 1 <= len(ph) <= 64:
            raise TGError(400, "Bad Request: can't parse reply keyboard markup: "
                               "input_field_placeholder is too long")
    elif m.get("remove_keyboard") is not True and m.get("force_reply") is not True:
        raise TGError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return m


def _json_param(params, name, what):
    v = params.get(name)
    if v is None or v == "":
        return None
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            raise TGError(400, "Bad Request: can't parse %s JSON object" % what)
    return v


def _bool(v):
    return v is True or (isinstance(v, str) and v.lower() in ("true", "1")) or v == 1


def _int_param(params, name, default):
    v = params.get(name)
    if v is None or v == "":
        return default
    try:
        return int(v)
    except (TypeError, ValueError):
        raise TGError(400, "Bad Request: invalid %s specified" % name)


class FakeTelegram:
    name = "fake-telegram"

    def __init__(self, token):
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_user = {"id": int(head) if head.isdigit() else 777000, "is_bot": True,
                         "first_name": "Deskbot Fake", "username": "deskbot_fake_bot",
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.server = None
        self.waiters = fakehttp.Waiters()
        self.faults = fakehttp.FaultQueue(("error",), normalize=self._canonical)
        self.control = fakehttp.Control()
        self.pusher = webhook_push.Pusher()
        for name in ("inject", "sent", "stats", "fault", "reset", "calls", "block", "config",
                     "state", "hostile", "push"):
            self.control.add(name, getattr(self, "_control_" + name))
        # Ids survive /_control/reset: a running bot must never see them go back.
        self.next_update_id = UPDATE_ID_BASE
        self.next_mid = collections.Counter()      # chat -> last message_id
        self.next_cbq = 0
        self._req_ns = 0
        self._reset_state()

    def _reset_state(self):
        self.queue = collections.deque()   # [update_id, bytes, type, inbound record]
        self.custom_ids = False            # a raw update brought its own update_id
        self.messages = {}                 # (chat_id, message_id) -> message dict
        self.inbound = {}                  # (chat_id, message_id) -> inject record
        self.last_inject_by_chat = {}
        self.last_bot_msg = {}             # chat -> last bot message (for callbacks)
        self.chats = {}
        self.pending_cbq = {}              # callback query id -> inject record
        self.sent = []
        self.calls = []
        self.files = fake_files.FileStore()  # file_path -> served bytes
        self.file_paths = {}               # file_id -> file_path
        self.blocked = {}
        self.strict_chats = False
        self.webhook_url = ""
        self.pusher.stop()
        self.allowed = None                # None = Telegram's default set
        self.poll_owner = None
        self.limiter = None
        self.requests = collections.Counter()
        self.api_errors = collections.Counter()
        self.injected = self.filtered = self.delivered = self.confirmed = 0
        self.conflicts = 0
        self.faults.clear()

    def bound(self, server):
        self.server = server

    @staticmethod
    def _canonical(method):
        return CANONICAL.get(method.lower(), method)

    # ------------------------------------------------------------------ routing

    def _error(self, method, code, description=None, parameters=None):
        self.api_errors["%s %d" % (method, code)] += 1
        if description is None:
            description = DESCRIPTIONS.get(code, "Error")
            if code == 429:
                retry = (parameters or {}).get("retry_after", 5)
                description = description % retry
        body = {"ok": False, "error_code": code, "description": description}
        headers = None
        if parameters:
            body["parameters"] = parameters
            if "retry_after" in parameters:
                headers = {"Retry-After": str(parameters["retry_after"])}
        return Response(code, json_bytes(body), "application/json", headers)

    def handle(self, req):
        # Returns a Response, or a coroutine for the slow paths (getUpdates, faults,
        # control); see fakehttp.HTTPServer for why the split matters.
        path = req.path
        if path.startswith("/_control/"):
            return self.control.handle(req)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot"):].partition("/")
            if token != self.token:
                return self._error("-", 401, "Unauthorized")
            self.requests["<file>"] += 1
            return self.files.response(file_path)
        if not path.startswith("/bot"):
            return self._error("-", 404, "Not Found")
        token, _, method = path[4:].partition("/")
        if token != self.token:
            self.requests["<bad token>"] += 1
            return self._error("-", 401, "Unauthorized")
        method = self._canonical(method)
        self.requests[method] += 1
        fn = METHODS.get(method)
        if fn is None:
            return self._error(method, 404, "Not Found: method not found")
        if req.bad_utf8:
            return self._error(method, 400, "Bad Request: strings must be encoded in UTF-8")
        if req.json_error:
            return self._error(method, 400, "Bad Request: can't parse JSON: " + req.json_error)
        if req.json is not None and not isinstance(req.json, dict):
            return self._error(method, 400, "Bad Request: JSON body must be an object")
        params = req.params()

        def call():
            self._req_ns = req.t_ns
            self._req_files = req.files
            try:
                result = fn(self, params)
            except TGError as e:
                return self._error(method, e.code, e.description, e.parameters)
            if asyncio.iscoroutine(result):
                return self._finish(method, result)
            if isinstance(result, Response):
                return result
            return Response(200, b'{"ok":true,"result":%s}' % json_bytes(result))

        fault = self.faults.take(method)
        if fault is not None:
            return self._faulted(fault, method, call)
        if self.limiter is not None and method != "getUpdates" and not self.limiter.allow():
            return self._error(method, 429, None, {"retry_after": 1})
        return call()

    async def _finish(self, method, coro):
        try:
            result = await coro
        except TGError as e:
            return self._error(method, e.code, e.description, e.parameters)
        if isinstance(result, Response):
            return result
        return Response(200, b'{"ok":true,"result":%s}' % json_bytes(result))

    async def _faulted(self, fault, method, call):
        resp = await fakehttp.apply_common_fault(fault, call, MALFORMED_BODY)
        if resp is not None:
            return resp
        if fault.get("process"):
            await fakehttp.resolve(call())
        code = int(fault.get("code", 500))
        parameters = dict(fault.get("parameters") or {})
        if code == 429:
            parameters.setdefault("retry_after", int(fault.get("retry_after", 5)))
        if "migrate_to_chat_id" in fault:
            parameters["migrate_to_chat_id"] = fault["migrate_to_chat_id"]
        return self._error(method, code, fault.get("description"), parameters or None)

    # ------------------------------------------------------------------ methods

    async def m_get_updates(self, p):
        if self.webhook_url:
            raise TGError(409, WEBHOOK_CONFLICT)
        offset = _int_param(p, "offset", 0)
        limit = max(1, min(_int_param(p, "limit", 100), 100))
        timeout = max(0, min(_int_param(p, "timeout", 0), 50))
        allowed = _json_param(p, "allowed_updates", "allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise TGError(400, "Bad Request: can't parse allowed_updates JSON object")
            self.allowed = set(allowed) if allowed else None
        self._confirm(offset)
        me = object()
        if self.poll_owner is not None:
            self.waiters.notify()        # a poller still waiting must now get 409
        self.poll_owner = me
        deadline = time.monotonic() + timeout
        while not self.queue:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self.waiters.wait(remaining)
            if self.poll_owner is not me:
                self.conflicts += 1
                raise TGError(409)
            if self.webhook_url:
                raise TGError(409, "Conflict: terminated by setWebhook request")
        if self.poll_owner is me:
            self.poll_owner = None
        batch = list(itertools.islice(self.queue, limit))
        now = time.monotonic_ns()
        for u in batch:
            rec = u[3]
            if rec is not None and rec["deliver_ns"] is None:
                rec["deliver_ns"] = now
                self.delivered += 1
        return Response(200, b'{"ok":true,"result":[%s]}' % b",".join(u[1] for u in batch))

    def _confirm(self, offset):
        q = self.queue
        before = len(q)
        if offset < 0:
            while len(q) > -offset:
                q.popleft()
        elif offset > 0:
            if self.custom_ids:
                self.queue = q = collections.deque(u for u in q if u[0] >= offset)
            else:
                while q and q[0][0] < offset:
                    q.popleft()
        self.confirmed += before - len(q)

    def _chat_id(self, p, name="chat_id"):
        v = p.get(name)
        if v is None or v == "":
            raise TGError(400, "Bad Request: %s is empty" % name)
        if isinstance(v, bool):
            raise TGError(400, "Bad Request: chat not found")
        if isinstance(v, int):
            chat = v
        elif isinstance(v, str) and re.match(r"^-?[0-9]{1,19}$", v):
            chat = int(v)
        elif isinstance(v, str) and v.startswith("@") and len(v) > 1:
            for c in self.chats.values():
                if c.get("username") == v[1:]:
                    return c["id"]
            raise TGError(400, "Bad Request: chat not found")
        else:
            raise TGError(400, "Bad Request: chat not found")
        if chat in self.blocked:
            raise TGError(403, self.blocked[chat])
        if self.strict_chats and chat not in self.chats:
            raise TGError(400, "Bad Request: chat not found")
        return chat

    def _chat_obj(self, chat):
        return self.chats.get(chat) or {"id": chat, "type": "private" if chat > 0 else "group"}

    def m_send_message(self, p):
        text = p.get("text")
        if text is not None and not isinstance(text, str):
            text = json.dumps(text) if not isinstance(text, (int, float)) else str(text)
        chat = self._chat_id(p)
        if text is None or not text.strip():
            raise TGError(400, "Bad Request: message text is empty")
        parse_mode = p.get("parse_mode") or None
        plain = text
        if parse_mode:
            fn = PARSE_MODES.get(str(parse_mode).lower())
            if fn is None:
                raise TGError(400, "Bad Request: unsupported parse_mode")
            plain = fn(text)
            if not plain.strip():
                raise TGError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > 4096:
            raise TGError(400, "Bad Request: message is too long")
        markup = _json_param(p, "reply_markup", "reply keyboard markup")
        if markup is not None:
            validate_reply_markup(markup)
        rp = _json_param(p, "reply_parameters", "reply parameters")
        if rp is not None and (not isinstance(rp, dict) or "message_id" not in rp):
            raise TGError(400, "Bad Request: can't parse reply parameters JSON object")
        reply_to = None
        allow_without = _bool(p.get("allow_sending_without_reply"))
        if rp:
            reply_to = rp["message_id"]
            allow_without = allow_without or _bool(rp.get("allow_sending_without_reply"))
        elif p.get("reply_to_message_id") not in (None, ""):
            reply_to = p["reply_to_message_id"]
        target = None
        if reply_to is not None:
            try:
                reply_to = int(reply_to)
            except (TypeError, ValueError):
                raise TGError(400, "Bad Request: message to be replied not found")
            rchat = chat
            if rp and rp.get("chat_id") not in (None, ""):
                rchat = int(rp["chat_id"])
            target = self.messages.get((rchat, reply_to))
            if target is None and not allow_without:
                raise TGError(400, "Bad Request: message to be replied not found")
        self.next_mid[chat] += 1
        mid = self.next_mid[chat]
        msg = {"message_id": mid, "from": self.bot_user, "chat": self._chat_obj(chat),
               "date": int(time.time()), "text": plain}
        if target is not None:
            msg["reply_to_message"] = {k: v for k, v in target.items()
                                       if k != "reply_to_message"}
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        self.messages[(chat, mid)] = msg
        self.last_bot_msg[chat] = msg
        linked = self.inbound.get((chat, reply_to)) if reply_to is not None else None
        self.sent.append({
            "seq": len(self.sent) + 1, "method": "sendMessage",
            "peer": chat, "chat_id": chat, "text": text, "plain_text": plain,
            "message_id": mid, "random_id": None,
            "reply_to": reply_to, "reply_parameters": rp, "keyboard": markup,
            "reply_markup": markup, "parse_mode": parse_mode,
            "entities": _json_param(p, "entities", "entities"),
            "link_preview_options": _json_param(p, "link_preview_options",
                                                "link preview options"),
            "disable_notification": _bool(p.get("disable_notification")),
            "recv_ns": self._req_ns,
            "inject_ns": linked["inject_ns"] if linked else None,
            "deliver_ns": linked["deliver_ns"] if linked else None,
            "last_inject_ns": self.last_inject_by_chat.get(chat),
            "params": p,
        })
        return msg

    def _send_file(self, p, field, method):
        """sendDocument / sendPhoto with the file uploaded as multipart/form-data (a
        file_id or URL string in the field is not supported: deskbot always uploads)."""
        chat = self._chat_id(p)
        f = (getattr(self, "_req_files", None) or {}).get(field)
        if f is None:
            if p.get(field) not in (None, ""):
                raise TGError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            raise TGError(400, "Bad Request: there is no %s in the request" % field)
        if not f["data"]:
            raise TGError(400, "Bad Request: file must be non-empty")
        caption = p.get("caption")
        if caption is not None and utf16_len(caption) > 1024:
            raise TGError(400, "Bad Request: message caption is too long")
        if field == "photo" and not (f["data"].startswith(b"\x89PNG") or
                                     f["data"].startswith(b"\xff\xd8\xff")):
            raise TGError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        self.next_mid[chat] += 1
        mid = self.next_mid[chat]
        digest = hashlib.sha256(f["data"]).hexdigest()
        file_id = "out-%s-%d" % (digest[:16], mid)
        msg = {"message_id": mid, "from": self.bot_user, "chat": self._chat_obj(chat),
               "date": int(time.time())}
        if caption:
            msg["caption"] = caption
        if field == "photo":
            msg["photo"] = [{"file_id": file_id, "file_unique_id": digest[:16],
                             "width": 48, "height": 48, "file_size": len(f["data"])}]
        else:
            msg["document"] = {"file_id": file_id, "file_unique_id": digest[:16],
                               "file_name": f["filename"], "mime_type": f["type"],
                               "file_size": len(f["data"])}
        self.messages[(chat, mid)] = msg
        self.last_bot_msg[chat] = msg
        self.sent.append({
            "seq": len(self.sent) + 1, "method": method,
            "peer": chat, "chat_id": chat, "text": caption or "", "plain_text": caption or "",
            "caption": caption, "message_id": mid, "random_id": None, "reply_to": None,
            "keyboard": None, "recv_ns": self._req_ns,
            "file": {"field": field, "filename": f["filename"], "type": f["type"],
                     "size": len(f["data"]), "sha256": digest},
            "params": p,
        })
        return msg

    def m_send_document(self, p):
        return self._send_file(p, "document", "sendDocument")

    def m_send_photo(self, p):
        return self._send_file(p, "photo", "sendPhoto")

    def m_answer_callback_query(self, p):
        qid = p.get("callback_query_id")
        src = self.pending_cbq.pop(str(qid), None) if qid not in (None, "") else None
        text = p.get("text")
        self._log_call("answerCallbackQuery", p, known=src is not None,
                       inject_ns=src["inject_ns"] if src else None)
        if src is None:
            raise TGError(400, QUERY_TOO_OLD)
        if text is not None and len(str(text)) > 200:
            raise TGError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def m_get_me(self, p):
        return self.bot_user

    def _drain(self):
        """Webhook mode: every queued update goes to the bot's URL instead of getUpdates."""
        if not self.pusher.active:
            return
        now = time.monotonic_ns()
        while self.queue:
            uid, data, _, rec = self.queue.popleft()
            if rec is not None and rec["deliver_ns"] is None:
                rec["deliver_ns"] = now
                self.delivered += 1
            self.pusher.push(uid, data)

    def m_delete_webhook(self, p):
        self.webhook_url = ""
        # What was not accepted yet waits for getUpdates again, as on Telegram.
        left = self.pusher.stop()
        for uid, data in reversed(left):
            self.queue.appendleft([uid, data, "raw", None])
        if _bool(p.get("drop_pending_updates")):
            self.confirmed += len(self.queue)
            self.queue.clear()
        self._log_call("deleteWebhook", p)
        return True

    def m_set_webhook(self, p):
        self.webhook_url = str(p.get("url") or "")
        self._log_call("setWebhook", p)
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise TGError(400, "Bad Request: secret token contains unallowed characters")
        if self.webhook_url.startswith("http://127.0.0.1"):
            # Pushed for real (a test URL); any other URL is only recorded.
            for uid, data in reversed(self.pusher.stop()):
                self.queue.appendleft([uid, data, "raw", None])
            self.pusher.start(self.webhook_url,
                              {"X-Telegram-Bot-Api-Secret-Token": str(secret)} if secret else {})
            self._drain()
        self.waiters.notify()         # a waiting getUpdates is terminated by setWebhook
        return True

    def m_get_webhook_info(self, p):
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self.queue)}

    def m_send_chat_action(self, p):
        self._chat_id(p)
        self._log_call("sendChatAction", p)
        return True

    def m_edit_message_text(self, p):
        chat = self._chat_id(p)
        mid = _int_param(p, "message_id", None)
        msg = self.messages.get((chat, mid))
        if msg is None or msg.get("from") is not self.bot_user:
            raise TGError(400, "Bad Request: message to edit not found")
        text = p.get("text")
        if not text or not str(text).strip():
            raise TGError(400, "Bad Request: message text is empty")
        markup = _json_param(p, "reply_markup", "reply keyboard markup")
        if markup is not None:
            validate_reply_markup(markup)
        if msg.get("text") == text and msg.get("reply_markup") == markup:
            raise TGError(400, "Bad Request: message is not modified: specified new message "
                               "content and reply markup are exactly the same as a current "
                               "content and reply markup of the message")
        msg["text"] = text
        msg["edit_date"] = int(time.time())
        if markup is not None:
            msg["reply_markup"] = markup
        self._log_call("editMessageText", p)
        return msg

    def _log_call(self, method, p, **extra):
        rec = {"seq": len(self.calls) + 1, "method": method, "recv_ns": self._req_ns,
               "params": p}
        rec.update(extra)
        self.calls.append(rec)

    # ------------------------------------------------------------------ injection

    def _allowed(self, utype):
        if self.allowed is None:
            return utype not in DEFAULT_DISALLOWED
        return utype in self.allowed

    def _user(self, item, uid):
        u = {"id": uid, "is_bot": False, "first_name": item.get("first_name", "User%d" % uid)}
        if item.get("last_name"):
            u["last_name"] = item["last_name"]
        u["username"] = item.get("username", "user%d" % uid)
        u["language_code"] = item.get("language_code", "ru")
        return u

    def _chat(self, item, chat_id, user):
        if chat_id in self.chats and "chat_type" not in item:
            return self.chats[chat_id]
        ctype = item.get("chat_type")
        if ctype is None:
            ctype = "private" if chat_id > 0 else \
                "supergroup" if str(chat_id).startswith("-100") else "group"
        if ctype == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if user.get("last_name"):
                chat["last_name"] = user["last_name"]
            chat["username"] = user["username"]
        else:
            chat = {"id": chat_id, "type": ctype, "title": item.get("title", "Test %s" % ctype)}
            if item.get("chat_username"):
                chat["username"] = item["chat_username"]
        self.chats[chat_id] = chat
        return chat

    def _control_inject(self, body, query):
        items = fakehttp.as_list(body, "updates")
        out = []
        now = time.monotonic_ns()
        for item in items:
            if not isinstance(item, dict):
                raise ControlError("each update must be an object")
            out.append(self._inject_one(item, now))
        self.waiters.notify()
        self._drain()
        return {"injected": out, "next_update_id": self.next_update_id + 1}

    def _inject_one(self, item, now):
        self.injected += 1
        if "raw" in item or "raw_json" in item or "raw_b64" in item:
            return self._inject_raw(item, now)
        utype = item.get("type", "message")
        result = {"type": utype, "inject_ns": now}
        if not self._allowed(utype):
            # Telegram never creates updates of types the bot did not ask for.
            self.filtered += 1
            result["filtered"] = True
            return result
        uid = item.get("user_id", item.get("from_id"))
        chat_id = item.get("chat_id", item.get("peer", uid))
        if chat_id is None:
            raise ControlError("update needs chat_id or user_id")
        chat_id = int(chat_id)
        uid = int(uid) if uid is not None else (chat_id if chat_id > 0 else 1)
        user = self._user(item, uid)
        chat = self._chat(item, chat_id, user)
        inbound = None
        if "object" in item:
            obj = item["object"]
        elif utype in MESSAGE_TYPES:
            obj, inbound = self._message(item, utype, chat, user, now)
            result.update(message_id=obj["message_id"], chat_id=chat_id)
        elif utype == "callback_query":
            self.next_cbq += 1
            qid = str(item.get("callback_query_id", "%d%06d" % (uid % 10 ** 9, self.next_cbq)))
            mid = item.get("message_id")
            msg = self.messages.get((chat_id, mid)) if mid is not None \
                else self.last_bot_msg.get(chat_id)
            if msg is None:
                # The button's message is unknown: Telegram sends an
                # InaccessibleMessage (date 0) in that case.
                msg = {"chat": chat, "message_id": mid or 0, "date": 0}
            obj = {"id": qid, "from": user, "message": msg,
                   "chat_instance": str(abs(chat_id) * 7919 % 10 ** 18)}
            data = item.get("data", item.get("callback_data"))
            if data is not None:
                obj["data"] = data
            inbound = {"inject_ns": now, "deliver_ns": None}
            self.pending_cbq[qid] = inbound
            self.last_inject_by_chat[chat_id] = now
            result.update(callback_query_id=qid, chat_id=chat_id)
        elif utype in ("my_chat_member", "chat_member"):
            new = item.get("status", "kicked")
            old = item.get("old_status", "member" if new == "kicked" else "kicked")
            member = self.bot_user if utype == "my_chat_member" else user
            newm = {"user": member, "status": new}
            if new == "kicked":
                newm["until_date"] = 0
            obj = {"chat": chat, "from": user, "date": int(time.time()),
                   "old_chat_member": {"user": member, "status": old},
                   "new_chat_member": newm}
        else:
            obj = {}
        self.next_update_id += 1
        uid_ = self.next_update_id
        self.queue.append([uid_, json_bytes({"update_id": uid_, utype: obj}), utype, inbound])
        result["update_id"] = uid_
        return result

    def _message(self, item, utype, chat, user, now):
        chat_id = chat["id"]
        edited = utype.startswith("edited_")
        if edited and item.get("message_id") is not None:
            mid = int(item["message_id"])
        else:
            self.next_mid[chat_id] += 1
            mid = self.next_mid[chat_id]
        msg = {"message_id": mid}
        if chat["type"] != "channel":
            msg["from"] = user
        msg["chat"] = chat
        msg["date"] = int(item.get("date", time.time()))
        if edited:
            msg["edit_date"] = int(time.time())
        text = item.get("text")
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                cmd = text.split()[0] if text.split() else text
                msg["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": utf16_len(cmd)}]
        if item.get("entities"):
            msg["entities"] = item["entities"]
        contact = item.get("contact")
        if contact is True:
            contact = {"phone_number": "7999%07d" % (user["id"] % 10 ** 7),
                       "first_name": user["first_name"], "user_id": user["id"]}
        if contact:
            msg["contact"] = contact
        mode = item.get("file_mode", "ok")
        if item.get("photo"):
            fid = "AgACAgIAAxkBAAI%d_%d" % (abs(chat_id), mid)
            self._file(fid + "s", "photo", mode)
            self._file(fid + "x", "photo", mode)
            msg["photo"] = [
                {"file_id": fid + "s", "file_unique_id": "AQAD%ds" % mid, "width": 90,
                 "height": 90, "file_size": 1500},
                {"file_id": fid + "x", "file_unique_id": "AQAD%dx" % mid, "width": 1280,
                 "height": 960, "file_size": 98000}]
        for kind, key in (("document", "document"), ("voice", "voice"), ("sticker", "sticker")):
            if item.get(key):
                fid = "BQACAgIAAxkBAAI%s%d_%d" % (kind[0], abs(chat_id), mid)
                name = item.get("file_name", "scan.pdf") if kind == "document" else None
                self._file(fid, kind, mode, name)
                msg[key] = {"file_id": fid, "file_unique_id": "AgAD" + fid[-8:],
                            "file_size": self.files.size(self.file_paths[fid])}
                if name:
                    msg[key]["file_name"] = name
                if kind == "voice":
                    msg[key].update(duration=3, mime_type="audio/ogg")
                if kind == "sticker":
                    msg[key].update(width=512, height=512, is_animated=False, is_video=False,
                                    type="regular")
        if item.get("caption") is not None:
            msg["caption"] = item["caption"]
        rt = item.get("reply_to_message_id")
        if rt is not None and (chat_id, rt) in self.messages:
            msg["reply_to_message"] = {k: v for k, v in self.messages[(chat_id, rt)].items()
                                       if k != "reply_to_message"}
        if isinstance(item.get("message"), dict):
            msg.update(item["message"])
        self.messages[(chat_id, mid)] = msg
        inbound = None
        if not edited:
            inbound = {"inject_ns": now, "deliver_ns": None}
            self.inbound[(chat_id, mid)] = inbound
            self.last_inject_by_chat[chat_id] = now
        return msg, inbound

    def _file(self, file_id, kind, mode, name=None):
        path = "%s/file_%d%s" % ({"photo": "photos", "sticker": "stickers", "voice": "voice"}
                                 .get(kind, "documents"), len(self.file_paths),
                                 ".png" if kind in ("photo", "sticker") else "")
        try:
            self.files.add(path, kind, mode, name)
        except ValueError as e:
            raise ControlError(str(e))
        self.file_paths[file_id] = path

    def m_get_file(self, p):
        fid = p.get("file_id")
        if not isinstance(fid, str) or not fid:
            raise TGError(400, "Bad Request: file_id is empty")
        path = self.file_paths.get(fid)
        if path is None:
            raise TGError(400, "Bad Request: invalid file_id")
        self._log_call("getFile", p)
        return {"file_id": fid, "file_unique_id": "AgAD" + fid[-8:],
                "file_size": self.files.size(path), "file_path": path}

    def _inject_raw(self, item, now):
        """Malformed / unknown updates, injected as-is for robustness tests.

        raw: an object serialised as JSON (lone surrogates become \\udXXX escapes);
        raw_json: text spliced verbatim into the getUpdates result (lone surrogates
        are written as their invalid UTF-8 byte sequences); raw_b64: raw bytes.
        update_id is added (as the first key) unless the item or the raw object
        already has one, so the bot can still advance its offset past it.
        """
        given = item.get("update_id")
        if "raw" in item:
            raw = item["raw"]
            if isinstance(raw, dict):
                if "update_id" in raw:
                    given = raw["update_id"]
                else:
                    self.next_update_id += 1
                    given = self.next_update_id
                    raw = dict({"update_id": given}, **raw)
            data = json_bytes(raw)
        else:
            if "raw_json" in item:
                data = item["raw_json"].encode("utf-8", "surrogatepass")
            else:
                data = base64.b64decode(item["raw_b64"])
            if given is None:
                m = re.search(rb'"update_id"\s*:\s*(-?\d+)', data)
                if m:
                    given = int(m.group(1))
                elif data.lstrip().startswith(b"{"):
                    self.next_update_id += 1
                    given = self.next_update_id
                    idx = data.index(b"{") + 1
                    rest = data[idx:].lstrip()
                    sep = b"," if rest and not rest.startswith(b"}") else b""
                    data = data[:idx] + b'"update_id":%d' % given + sep + data[idx:]
        if given is None:
            self.next_update_id += 1
            given = self.next_update_id
        else:
            given = int(given)
            if given != self.next_update_id:
                self.custom_ids = True
            self.next_update_id = max(self.next_update_id, given)
        self.queue.append([given, data, "raw", None])
        return {"type": "raw", "update_id": given, "inject_ns": now}

    # ------------------------------------------------------------------ control API

    def _control_hostile(self, body, query):
        """Hostile mode (tests/fakes/hostile.py): queues, in one go so that they share
        getUpdates answers, the seeded hostile updates mixed with `ordinary` plain
        messages and `undecodable` (0..2) updates that are not JSON at all. Returns
        each case with what a correct bot does with it ("answer", "ignore", "lost"),
        its chat and update_id."""
        seed = int(body.get("seed", query.get("seed", 1)))
        n_ordinary = int(body.get("ordinary", 20))
        n_bad = int(body.get("undecodable", 1))
        cases = hostile.tg_cases(seed)
        bad = hostile.tg_undecodable(seed)[:n_bad]
        base = 8700000000 + (seed % 1000) * 1000
        ordinary = [{"chat_id": base + i, "user_id": base + i,
                     "text": "как пополнить счет %d" % i} for i in range(n_ordinary)]
        now = time.monotonic_ns()
        out = []
        for it in hostile.mix(seed, cases, ordinary, bad):
            if isinstance(it, hostile.Case):
                self.injected += 1
                r = self._inject_raw({"raw_b64": base64.b64encode(it.wire).decode()}, now)
                if it.callback_id:
                    self.pending_cbq[it.callback_id] = {"inject_ns": now, "deliver_ns": None}
                info = it.info()
            else:
                r = self._inject_one(it, now)
                info = {"label": "ordinary", "expect": "answer", "peer": r["chat_id"],
                        "message_id": r["message_id"], "callback_id": None}
            info["update_id"] = r["update_id"]
            out.append(info)
        self.waiters.notify()
        self._drain()
        return {"cases": out}

    def _control_push(self, body, query):
        """Webhook delivery (webhook_push.py): settings in, its figures out."""
        return self.pusher.configure(body)

    def _control_sent(self, body, query):
        since = int(query.get("since", body.get("since", 0)) or 0)
        peer = query.get("peer", body.get("peer", body.get("chat_id")))
        msgs = self.sent[since:]
        if peer is not None:
            msgs = [m for m in msgs if str(m["peer"]) == str(peer)]
        return {"count": len(self.sent), "messages": msgs}

    def _control_calls(self, body, query):
        method = query.get("method", body.get("method"))
        calls = self.calls if not method else \
            [c for c in self.calls if c["method"].lower() == method.lower()]
        return {"count": len(calls), "calls": calls}

    def _control_stats(self, body, query):
        return {
            "sent": len(self.sent), "duplicates_suppressed": 0,
            "requests": dict(self.requests), "requests_total": sum(self.requests.values()),
            "api_errors": dict(self.api_errors),
            "faults_fired": dict(self.faults.fired), "errors_injected": self.faults.fired_total,
            "faults_pending": self.faults.pending(),
            "injected": self.injected, "filtered": self.filtered, "delivered": self.delivered,
            "pending_updates": len(self.queue), "confirmed": self.confirmed,
            "conflicts": self.conflicts, "calls": len(self.calls),
            "polls_waiting": len(self.waiters), "push": self.pusher.stats(),
            "connections": self.server.connections if self.server else 0,
        }

    def _control_fault(self, body, query):
        specs = fakehttp.as_list(body, "faults")
        return {"queued": [self.faults.add(s) for s in specs]}

    def _control_reset(self, body, query):
        self._reset_state()
        self.waiters.notify()
        return {"ok": True, "next_update_id": self.next_update_id + 1}

    def _control_block(self, body, query):
        chat = body.get("chat_id", body.get("peer"))
        if not isinstance(chat, int):
            raise ControlError("need integer chat_id")
        if body.get("blocked", True):
            self.blocked[chat] = body.get("description", DESCRIPTIONS[403])
        else:
            self.blocked.pop(chat, None)
        return {"blocked": {str(k): v for k, v in self.blocked.items()}}

    def _control_config(self, body, query):
        if "strict_chats" in body:
            self.strict_chats = bool(body["strict_chats"])
        for c in body.get("chats") or []:
            if not isinstance(c, dict) or not isinstance(c.get("id"), int):
                raise ControlError("each chat needs an integer id")
            c = dict(c)
            c.setdefault("type", "private" if c["id"] > 0 else "group")
            self.chats[c["id"]] = c
        if "rate_limit_per_s" in body:
            n = body["rate_limit_per_s"]
            self.limiter = fakehttp.RateLimiter(int(n)) if n else None
        if "webhook_url" in body:
            self.webhook_url = str(body["webhook_url"] or "")
        return {"strict_chats": self.strict_chats, "chats": list(self.chats.values()),
                "rate_limit_per_s": self.limiter.per_s if self.limiter else None,
                "webhook_url": self.webhook_url, "token": self.token}

    def _control_state(self, body, query):
        return {"next_update_id": self.next_update_id + 1, "pending_updates": len(self.queue),
                "allowed_updates": sorted(self.allowed) if self.allowed is not None else None,
                "webhook_url": self.webhook_url, "token": self.token, "bot": self.bot_user}


METHODS = {
    "getUpdates": FakeTelegram.m_get_updates,
    "sendMessage": FakeTelegram.m_send_message,
    "answerCallbackQuery": FakeTelegram.m_answer_callback_query,
    "getMe": FakeTelegram.m_get_me,
    "deleteWebhook": FakeTelegram.m_delete_webhook,
    "setWebhook": FakeTelegram.m_set_webhook,
    "getWebhookInfo": FakeTelegram.m_get_webhook_info,
    "sendChatAction": FakeTelegram.m_send_chat_action,
    "editMessageText": FakeTelegram.m_edit_message_text,
    "getFile": FakeTelegram.m_get_file,
    "sendDocument": FakeTelegram.m_send_document,
    "sendPhoto": FakeTelegram.m_send_photo,
}


def _logged_method(method):
    """Harmless methods a bot may call: logged in /_control/calls, result true."""
    def fn(self, p):
        self._log_call(method, p)
        return True
    return fn


for _m in ("deleteMessage", "editMessageReplyMarkup", "setMyCommands", "logOut", "close"):
    METHODS[_m] = _logged_method(_m)
CANONICAL = {m.lower(): m for m in METHODS}


def main(argv=None):
    def add_args(ap):
        ap.add_argument("--token", default="123456:TEST-token", help="accepted bot token")
    return fakehttp.run(lambda a: FakeTelegram(a.token), "Fake Telegram Bot API server",
                        add_args, argv)


if __name__ == "__main__":
    sys.exit(main())
