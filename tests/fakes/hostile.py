"""Hostile mode of the fakes: a seeded generator of legal-but-nasty updates (stdlib only).

Each generated case is the exact wire text of one VK event or one Telegram update, and
what a correct bot must do with it:

  "answer"  a customer's message or button press: answered exactly once
  "ignore"  not a customer's message (echo, typing, unknown type, a community's
            message, a field the API promises missing or of another type): never answered
  "lost"    truly undecodable (not JSON): costs only itself, never its neighbours

The texts are what real clients and APIs can send: lone and reversed surrogate escapes
("\\ud83d": an emoji cut in half; "\\udc80\\udcff": surrogate-escaped bytes), "\\u0000",
raw invalid UTF-8, overlong texts, every attachment kind without text, unknown update
types and fields, huge and negative ids, numbers as strings, fields missing, arrays
where objects are expected, stale or forged button payloads, duplicates.

Every case gets a peer of its own (peer_base + n), so "answered" and "nothing else is
answered" can be checked per peer. The fakes expose this as POST /_control/hostile
(see fake_vk.py / fake_telegram.py); mix() interleaves the cases with ordinary
messages using the same seed, so a run is reproducible.
"""

import json
import random

ATTACH_VK = ["photo", "video", "audio", "doc", "link", "market", "market_album", "wall",
             "wall_reply", "sticker", "gift", "audio_message", "graffiti", "poll", "story",
             "call", "article", "podcast", "widget"]
ATTACH_TG = ["photo", "document", "video", "voice", "audio", "sticker", "location",
             "animation", "video_note", "venue", "poll", "dice", "game", "story",
             "contact"]

# JSON string literals (wire text, quotes included) a client may legally send.
HOSTILE_TEXTS = [
    ("lone-high-surrogate", '"\\ud83d"'),
    ("lone-low-surrogate", '"\\ude00 \\u0431\\u0430\\u043b\\u0430\\u043d\\u0441"'),
    ("reversed-pair", '"\\ude00\\ud83d"'),
    ("escaped-invalid-bytes", '"\\udc80\\udcff"'),
    ("half-emoji-in-words", '"\\u043a\\u0430\\u043a \\ud83d \\u0431\\u0430\\u043b\\u0430\\u043d\\u0441"'),
    ("nul-inside", '"\\u0431\\u0430\\u043b\\u0430\\u043d\\u0441\\u0000\\u0442\\u0430\\u0440\\u0438\\u0444"'),
    ("nul-only", '"\\u0000"'),
    ("nul-first", '"\\u0000 hello"'),
    ("pair-ok-emoji", '"\\ud83d\\ude00"'),
    ("overlong-text", json.dumps("я" * 60000, ensure_ascii=False)),
    ("control-chars", '"\\u0001\\u0002\\u001b[31m"'),
    ("bidi-and-zero-width", '"\\u202e\\u200b\\ufeff\\u043f\\u0440\\u0438\\u0432\\u0435\\u0442"'),
    ("escaped-slash-and-quotes", '"\\/\\"\\\\\\"\\b\\f"'),
]
# Raw bytes spliced into a JSON string (not escapes): invalid UTF-8 on the wire.
RAW_BYTES = [
    ("raw-ff", b"\xff\xfe"),
    ("raw-overlong", b"\xc0\xaf"),
    ("raw-encoded-surrogate", b"\xed\xa0\x80"),
    ("raw-truncated", b"\xe2\x82"),
    ("raw-past-10ffff", b"\xf4\x90\x80\x80"),
]


class Case:
    def __init__(self, label, expect, wire, peer, message_id=None, callback_id=None,
                 raw=False):
        self.label = label
        self.expect = expect
        self.wire = wire          # bytes: the event / update as it goes on the wire
        self.peer = peer
        self.message_id = message_id
        self.callback_id = callback_id

    def info(self):
        return {"label": self.label, "expect": self.expect, "peer": self.peer,
                "message_id": self.message_id, "callback_id": self.callback_id}


def _splice(obj, literals):
    """json.dumps(obj) with each "@@k@@" string replaced by the wire text literals[k]."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    literals = dict({"s": '"\\ud83d"'}, **literals)
    for k, lit in literals.items():
        text = text.replace(b'"@@%s@@"' % k.encode(), lit if isinstance(lit, bytes)
                            else lit.encode("utf-8"))
    return text


class _Gen:
    def __init__(self, seed, peer_base, id_base):
        # Peers and ids of different seeds never meet: runs can share a fake and a bot.
        self.rnd = random.Random(seed)
        self.peer = peer_base + (seed % 1000) * 1000
        self.mid = id_base + (seed % 1000) * 1000

    def next_peer(self):
        self.peer += 1
        return self.peer

    def next_mid(self):
        self.mid += 1
        return self.mid


# ----------------------------------------------------------------------------- VK

def vk_cases(seed, peer_base=810000000, id_base=50000000, group_id=123456):
    g = _Gen(seed, peer_base, id_base)
    cases = []

    def event(etype, obj, extra_env=None):
        env = {"type": etype, "event_id": "%040x" % g.rnd.getrandbits(160), "v": "5.199",
               "object": obj, "group_id": group_id}
        env.update(extra_env or {})
        return env

    def message(peer, mid, text="@@t@@", **extra):
        m = {"id": mid, "date": 1718000000, "peer_id": peer, "from_id": peer, "out": 0,
             "text": text, "conversation_message_id": mid % 100000, "attachments": [],
             "fwd_messages": [], "important": False, "is_hidden": False}
        m.update(extra)
        return m

    def new(label, expect, text_lit='"\\u0431\\u0430\\u043b\\u0430\\u043d\\u0441"', mutate=None,
            env_extra=None, client_info=None):
        peer, mid = g.next_peer(), g.next_mid()
        msg = message(peer, mid)
        obj = {"message": msg, "client_info": client_info if client_info is not None
               else {"button_actions": ["text", "callback"], "keyboard": True,
                     "inline_keyboard": True, "lang_id": 0}}
        ev = event("message_new", obj, env_extra)
        if mutate:
            mutate(ev, msg)
        peer = int(msg.get("peer_id", peer))     # after "numbers as strings", huge ids
        cases.append(Case(label, expect, _splice(ev, {"t": text_lit}), peer, mid))

    for label, lit in HOSTILE_TEXTS:
        new(label, "answer", lit)
    for label, raw in RAW_BYTES:
        new(label, "answer", b'"abc ' + raw + b' def"')
    for kind in ATTACH_VK:
        new("attachment-" + kind, "answer", '""',
            lambda ev, m, k=kind: m.update(attachments=[{"type": k, k: {"id": 1, "owner_id": -1}}]))
    new("no-text-field", "answer", mutate=lambda ev, m: m.pop("text"))
    new("text-null", "answer", "null")
    new("text-number", "answer", "12345")
    new("text-array", "answer", '["a"]')
    new("unknown-fields", "answer", mutate=lambda ev, m: (
        m.update(brand_new_field={"nested": [1, {"x": None}]}, is_cropped=True),
        ev.update(secret_new_envelope_field=[1, 2, 3])))
    new("numbers-as-strings", "answer", mutate=lambda ev, m: m.update(
        id=str(m["id"]), peer_id=str(m["peer_id"]), from_id=str(m["from_id"]),
        date=str(m["date"]), out="0"))
    new("huge-user-id", "answer", mutate=lambda ev, m: m.update(
        from_id=m["from_id"] + 2 ** 40, peer_id=m["peer_id"] + 2 ** 40))
    new("attachments-object", "answer", mutate=lambda ev, m: m.update(attachments={"0": 1}))
    # Files the console would fetch from URLs that are not VK's (refused when fetched)
    # and shapes that are not files.
    new("photo-url-javascript", "answer", '""', lambda ev, m: m.update(attachments=[
        {"type": "photo", "photo": {"sizes": [{"url": "javascript:alert(1)", "width": 1,
                                               "height": 1}, {"url": 5}, None]}}]))
    new("doc-url-foreign-host", "answer", '""', lambda ev, m: m.update(attachments=[
        {"type": "doc", "doc": {"url": "https://evil.example/x.exe", "title": "@@s@@"}},
        {"type": "audio_message", "audio_message": {"link_ogg": ["x"]}},
        {"type": "sticker", "sticker": {"images": "x"}}]))
    new("client-info-array", "answer", client_info=[1, 2])
    new("payload-lone-surrogate", "answer",
        mutate=lambda ev, m: m.update(payload='{"p":"\\ud83d"}'))
    new("payload-stale-intent", "answer",
        mutate=lambda ev, m: m.update(payload='{"p":"intent:retired_long_ago"}'))
    new("payload-not-json", "answer", mutate=lambda ev, m: m.update(payload="{{{"))
    new("fwd-and-reply-message", "answer", mutate=lambda ev, m: m.update(
        fwd_messages=[{"id": 1, "text": "@@s@@", "from_id": 5}],
        reply_message={"id": 2, "text": "x", "attachments": [{"type": "photo"}]}))
    # a duplicate delivery of the same message: answered once
    peer, mid = g.next_peer(), g.next_mid()
    dup = _splice(event("message_new", {"message": message(peer, mid)}),
                  {"t": '"\\u0431\\u0430\\u043b\\u0430\\u043d\\u0441"'})
    cases.append(Case("duplicate-delivery", "answer", dup, peer, mid))
    cases.append(Case("duplicate-delivery-again", "dup", dup, peer, mid))

    # chats (peer >= 2e9): no message id, answered by conversation_message_id
    cpeer = 2000000000 + g.rnd.randrange(1000, 9000) + seed * 10000
    obj = {"message": dict(message(cpeer, 0, from_id=g.next_peer()),
                           conversation_message_id=g.next_mid() % 100000)}
    cases.append(Case("group-chat-no-id", "answer", _splice(event("message_new", obj),
                      {"t": '"\\ud83d \\u0431\\u0430\\u043b\\u0430\\u043d\\u0441"'}), cpeer))

    # button presses (message_event): known, stale, forged, no payload, hostile payload
    for label, payload in [("event-known", {"p": "intent:balance"}),
                           ("event-stale-intent", {"p": "intent:retired_long_ago"}),
                           ("event-forged", {"command": "@@s@@"}),
                           ("event-payload-string", '{"p":"garbage"}'),
                           ("event-payload-array", [1, 2]),
                           ("event-vote-no-such-idea", {"p": "idea:vote:999999999"}),
                           ("event-vote-overflow", {"p": "idea:vote:" + "9" * 40}),
                           ("event-no-payload", None)]:
        peer = g.next_peer()
        cb = "cb%012x" % g.rnd.getrandbits(48)
        obj = {"user_id": peer, "peer_id": peer, "event_id": cb,
               "conversation_message_id": 1}
        if payload is not None:
            obj["payload"] = payload
        cases.append(Case(label, "answer", _splice(event("message_event", obj), {}), peer,
                          callback_id=cb))

    def ignored(label, etype, obj_fn, env_extra=None):
        peer = g.next_peer()
        cases.append(Case(label, "ignore", _splice(event(etype, obj_fn(peer), env_extra), {}),
                          peer))

    ignored("echo-message-reply", "message_reply",
            lambda p: dict(message(p, g.next_mid(), text="ours"), out=1, from_id=-group_id))
    ignored("typing", "message_typing_state",
            lambda p: {"state": "typing", "from_id": p, "to_id": -group_id})
    ignored("community-message", "message_new",
            lambda p: {"message": message(p, g.next_mid(), text="x", from_id=-7)})
    ignored("out-message", "message_new",
            lambda p: {"message": message(p, g.next_mid(), text="x", out=1)})
    ignored("edit", "message_edit", lambda p: message(p, g.next_mid(), text="edited"))
    ignored("unknown-type", "wall_post_new", lambda p: {"id": p, "text": "@@s@@"})
    ignored("unknown-type-2", "message_reaction_event", lambda p: {"peer_id": p})
    ignored("group-join", "group_join", lambda p: {"user_id": p, "join_type": "join"})
    ignored("object-array", "message_new", lambda p: [p])
    ignored("message-array", "message_new", lambda p: {"message": [p]})
    ignored("message-missing", "message_new", lambda p: {"client_info": {}})
    ignored("peer-missing", "message_new",
            lambda p: {"message": {"id": g.next_mid(), "from_id": p, "text": "x"}})
    ignored("id-past-2^53", "message_new", lambda p: {"message": dict(
        message(p, g.next_mid(), text="x"), peer_id=2 ** 63 - 1, from_id=2 ** 63 - 1)})
    ignored("type-missing", "message_new", lambda p: {"message": message(p, 1, text="x")},
            {"type": None})
    # Comments under the community's posts: answered in public if at all (never with a
    # private message), nasty ones skipped with a log line, none stopping the others.
    def comment(p, text="@@s@@", **extra):
        c = {"id": g.next_mid(), "from_id": p, "date": 1718000000, "text": text,
             "post_id": 5, "owner_id": -group_id}
        c.update(extra)
        return c
    ignored("wall-lone-surrogate", "wall_reply_new", lambda p: comment(p))
    ignored("wall-provocation", "wall_reply_new", lambda p: comment(
        p, "делайте репост, пусть все узнают, я подам в суд"))
    ignored("wall-huge-text", "wall_reply_new", lambda p: comment(p, "интернет " * 30000))
    ignored("wall-id-string", "wall_reply_new", lambda p: comment(p, "x", id="x"))
    ignored("wall-no-post", "wall_reply_new", lambda p: dict(comment(p, "x"), post_id=None))
    ignored("wall-text-object", "wall_reply_new", lambda p: comment(p, {"a": [1]}))
    ignored("wall-own-comment", "wall_reply_new", lambda p: comment(p, "x", from_id=-group_id))
    ignored("wall-edit-unknown", "wall_reply_edit", lambda p: comment(p, "edited"))
    ignored("wall-delete-unknown", "wall_reply_delete",
            lambda p: {"id": g.next_mid(), "owner_id": -group_id, "deleter_id": p,
                       "post_id": 5})
    return cases


def vk_undecodable(seed, peer_base=880000000, id_base=58000000):
    """Elements that are not JSON: each must cost only itself."""
    g = _Gen(seed, peer_base, id_base)
    out = []
    p, m = g.next_peer(), g.next_mid()
    out.append(Case("not-json-bareword", "lost", (
        '{"type":"message_new","event_id":"bad%d","object":{"message":{"id":%d,"peer_id":%d,'
        '"from_id":%d,"text": undefined}}}' % (m, m, p, p)).encode(), p, m))
    p, m = g.next_peer(), g.next_mid()
    out.append(Case("not-json-unterminated", "lost", (
        '{"type":"message_new","event_id":"bad%d","object":{"message":{"id":%d,"peer_id":%d,'
        '"from_id":%d,"text":"cut}}}' % (m, m, p, p)).encode(), p, m))
    p, m = g.next_peer(), g.next_mid()
    out.append(Case("not-json-brace-missing", "lost", (
        '{"type":"message_new","event_id":"bad%d","object":{"message":{"id":%d,"peer_id":%d,'
        '"from_id":%d,"text":"x"}}' % (m, m, p, p)).encode(), p, m))
    g.rnd.shuffle(out)
    return out


# ----------------------------------------------------------------------------- Telegram

def tg_cases(seed, peer_base=8100000000, id_base=500):
    g = _Gen(seed, peer_base, id_base)
    cases = []

    def user(uid, **extra):
        u = {"id": uid, "is_bot": False, "first_name": "Hostile", "language_code": "ru"}
        u.update(extra)
        return u

    def new(label, expect, text_lit='"\\u0431\\u0430\\u043b\\u0430\\u043d\\u0441"', mutate=None,
            chat_id=None):
        peer = chat_id if chat_id is not None else g.next_peer()
        mid = g.next_mid()
        msg = {"message_id": mid, "from": user(peer if peer > 0 else g.next_peer()),
               "chat": {"id": peer, "type": "private" if peer > 0 else "supergroup"},
               "date": 1718000000, "text": "@@t@@"}
        up = {"message": msg}
        if mutate:
            mutate(up, msg)
        if isinstance(msg.get("chat"), dict):
            peer = int(msg["chat"]["id"])        # after "numbers as strings", huge ids
        cases.append(Case(label, expect, _splice(up, {"t": text_lit}), peer, mid))

    for label, lit in HOSTILE_TEXTS:
        new(label, "answer", lit)
    for label, raw in RAW_BYTES:
        new(label, "answer", b'"abc ' + raw + b' def"')
    for kind in ATTACH_TG:
        def att(up, m, k=kind):
            m.pop("text")
            m[k] = [{"file_id": "f", "width": 1}] if k == "photo" else {"file_id": "f", "x": 1}
            if k == "contact":  # someone else's card: not the customer's number
                m[k] = {"phone_number": "79990000000", "first_name": "X", "user_id": 1}
        new("attachment-" + kind, "answer", mutate=att)
    # Files the console would fetch: sizes that are not objects, a file_id far too long,
    # a document whose name is markup (kept as text; the fetch itself is it_files').
    new("photo-sizes-not-objects", "answer", mutate=lambda up, m: (
        m.pop("text"), m.update(photo=[1, "x", None, [], {"file_id": 7}])))
    new("file-id-64k", "answer", mutate=lambda up, m: (
        m.pop("text"), m.update(document={"file_id": "A" * 65536, "file_name": "@@s@@"})))
    new("voice-and-sticker-arrays", "answer", mutate=lambda up, m: (
        m.pop("text"), m.update(voice=[{"file_id": "v"}], sticker="st")))
    new("caption-only", "answer", mutate=lambda up, m: (
        m.pop("text"), m.update(photo=[{"file_id": "f"}], caption="@@s@@")))
    new("no-text-field", "answer", mutate=lambda up, m: m.pop("text"))
    new("text-null", "answer", "null")
    new("text-number", "answer", "12345")
    new("unknown-fields", "answer", mutate=lambda up, m: (
        m.update(brand_new_field={"a": [1, {"b": None}]}, is_topic_message=True),
        up.update(future_field=[1, 2])))
    new("numbers-as-strings", "answer", mutate=lambda up, m: (
        m.update(message_id=str(m["message_id"]), date=str(m["date"])),
        m["chat"].update(id=str(m["chat"]["id"])), m["from"].update(id=str(m["from"]["id"]))))
    new("huge-ids-52-bits", "answer", chat_id=2 ** 52 - 1 - seed * 1000 - g.rnd.randrange(999),
        mutate=lambda up, m: m["from"].update(id=2 ** 52 - 7))
    new("negative-supergroup-chat", "answer", chat_id=-1001000000000 - seed * 1000 - g.rnd.randrange(999))
    new("from-array-where-object", "ignore", mutate=lambda up, m: m.update({"from": [1]}))
    new("chat-array", "ignore", mutate=lambda up, m: m.update(chat=[1]))
    new("chat-missing", "ignore", mutate=lambda up, m: m.pop("chat"))
    new("from-bot", "ignore", mutate=lambda up, m: m["from"].update(is_bot=True))
    new("chat-id-past-2^53", "ignore",
        mutate=lambda up, m: m["chat"].update(id=2 ** 63 - 1))

    def rekey(kind):
        return lambda up, m: up.update({kind: up.pop("message")})
    new("edited-message", "ignore", mutate=rekey("edited_message"))
    new("channel-post", "ignore", mutate=rekey("channel_post"))
    new("business-message", "ignore", mutate=rekey("business_message"))
    new("message-array", "ignore", mutate=lambda up, m: up.update(message=[1]))
    for kind in ("message_reaction", "purchased_paid_media", "brand_new_update_kind"):
        peer = g.next_peer()
        cases.append(Case("unknown-" + kind, "ignore",
                          _splice({kind: {"chat": {"id": peer}, "x": "@@s@@"}}, {}), peer))

    # button presses: known, stale, forged, hostile, none
    for label, data in [("callback-known", "intent:balance"),
                        ("callback-stale-intent", "intent:retired_long_ago"),
                        ("callback-stale-plan", "plan:archived_2019"),
                        ("callback-forged", "x" * 64),
                        ("callback-lone-surrogate", "@@d@@"),
                        ("callback-vote-no-such-idea", "idea:vote:999999999"),
                        ("callback-vote-overflow", "idea:vote:" + "9" * 40),
                        ("callback-no-data", None)]:
        peer = g.next_peer()
        qid = "%d%06d" % (peer % 10 ** 9, g.rnd.randrange(10 ** 6))
        cq = {"id": qid, "from": user(peer), "chat_instance": "42",
              "message": {"message_id": 1, "chat": {"id": peer, "type": "private"}, "date": 0}}
        if data is not None:
            cq["data"] = data
        cases.append(Case(label, "answer", _splice({"callback_query": cq}, {"d": '"\\ud83d"'}),
                          peer, callback_id=qid))
    return cases


def tg_undecodable(seed, peer_base=8800000000, id_base=900):
    g = _Gen(seed, peer_base, id_base)
    out = []
    p, m = g.next_peer(), g.next_mid()
    out.append(Case("not-json-bareword", "lost", (
        '{"message":{"message_id":%d,"from":{"id":%d},"chat":{"id":%d,"type":"private"},'
        '"text": NaN}}' % (m, p, p)).encode(), p, m))
    p, m = g.next_peer(), g.next_mid()
    out.append(Case("not-json-unterminated", "lost", (
        '{"message":{"message_id":%d,"from":{"id":%d},"chat":{"id":%d,"type":"private"},'
        '"text":"cut}}' % (m, p, p)).encode(), p, m))
    g.rnd.shuffle(out)
    return out



# ----------------------------------------------------------------------------- MAX

ATTACH_MAX = ["image", "video", "audio", "file", "sticker", "share", "location", "contact"]


def max_cases(seed, peer_base=9100000000, id_base=700000):
    """MAX updates (../shared/specs/max.md section 3): each case is one Update object.
    MAX has no update_id and message ids are strings; a case's peer is the user id a
    dialog reply goes to (a group chat's negative id for chat messages)."""
    g = _Gen(seed, peer_base, id_base)
    cases = []

    def user(uid, **extra):
        u = {"user_id": uid, "first_name": "Hostile", "last_name": None, "username": None,
             "is_bot": False, "last_activity_time": 1775025600000}
        u.update(extra)
        return u

    def new(label, expect, text_lit='"\\u0431\\u0430\\u043b\\u0430\\u043d\\u0441"', mutate=None,
            chat_id=None, times=1):
        uid = g.next_peer()
        n = g.next_mid()
        chat_type = "chat" if chat_id is not None else "dialog"
        msg = {"sender": user(uid),
               "recipient": {"chat_id": chat_id if chat_id is not None else uid + 10 ** 12,
                             "chat_type": chat_type, "user_id": 229229229},
               "timestamp": 1775025604400 + n,
               "body": {"mid": "mid.%032x" % (seed * 10 ** 9 + n), "seq": n, "text": "@@t@@",
                        "attachments": None}}
        up = {"update_type": "message_created", "timestamp": 1775025604499 + n,
              "user_locale": "ru", "message": msg}
        if mutate:
            mutate(up, msg)
        peer = chat_id if chat_id is not None else uid
        wire = _splice(up, {"t": text_lit})
        cases.append(Case(label, expect, wire, peer))
        for _ in range(times - 1):
            cases.append(Case(label + "-again", "dup", wire, peer))

    for label, lit in HOSTILE_TEXTS:
        new(label, "answer", lit)
    for label, raw in RAW_BYTES:
        new(label, "answer", b'"abc ' + raw + b' def"')
    for kind in ATTACH_MAX:
        def att(up, m, k=kind):
            m["body"]["text"] = None
            payload = {"token": "t", "url": "https://example.invalid/x"}
            if k == "contact":  # someone else's card: not the customer's number
                payload = {"vcf_info": "BEGIN:VCARD\r\nTEL:+79990000000\r\nEND:VCARD",
                           "hash": "h", "max_info": user(1)}
            m["body"]["attachments"] = [{"type": k, "payload": payload}]
        new("attachment-" + kind, "answer", mutate=att)
    new("no-text-field", "answer", mutate=lambda up, m: m["body"].pop("text"))
    new("text-null", "answer", "null")
    new("text-number", "answer", "12345")
    new("attachments-not-array", "answer", mutate=lambda up, m: m["body"].update(attachments=7))
    new("unknown-fields", "answer", mutate=lambda up, m: (
        m.update(brand_new_field={"a": [1, {"b": None}]}, stat={"views": 1}),
        up.update(future_field=[1, 2])))
    new("numbers-as-strings", "answer", mutate=lambda up, m: (
        m["sender"].update(user_id=str(m["sender"]["user_id"])),
        m.update(timestamp=str(m["timestamp"])), m["body"].update(seq=str(m["body"]["seq"]))))
    new("seq-past-2^53", "answer", mutate=lambda up, m: m["body"].update(seq=2 ** 60 + 7))
    new("locale-odd", "answer", mutate=lambda up, m: up.update(user_locale="@@s@@"))
    new("sent-twice", "answer", times=2)
    new("group-chat-negative", "answer", chat_id=-70801090403050 - seed * 1000 - g.rnd.randrange(999))
    new("sender-missing-channel-post", "ignore", mutate=lambda up, m: m.pop("sender"))
    new("sender-array", "ignore", mutate=lambda up, m: m.update(sender=[1]))
    new("sender-bot", "ignore", mutate=lambda up, m: m["sender"].update(is_bot=True))
    new("body-missing", "ignore", mutate=lambda up, m: m.pop("body"))
    new("mid-missing", "ignore", mutate=lambda up, m: m["body"].pop("mid"))
    new("mid-number", "ignore", mutate=lambda up, m: m["body"].update(mid=12345))
    new("user-id-past-2^53", "ignore", mutate=lambda up, m: m["sender"].update(user_id=2 ** 63 - 1))
    new("chat-type-channel", "ignore", mutate=lambda up, m: m["recipient"].update(chat_type="channel"))
    new("message-array", "ignore", mutate=lambda up, m: up.update(message=[1]))
    new("update-type-number", "ignore", mutate=lambda up, m: up.update(update_type=7))
    for kind in ("message_edited", "message_removed", "bot_added", "user_added",
                 "chat_title_changed", "brand_new_update_kind"):
        new("type-" + kind, "ignore", mutate=lambda up, m, k=kind: up.update(update_type=k))

    # button presses: known, stale, forged, hostile, none, keyboard message gone
    for label, payload, gone in [("callback-known", "intent:balance", False),
                                 ("callback-stale-intent", "intent:retired_long_ago", False),
                                 ("callback-stale-plan", "plan:archived_2019", False),
                                 ("callback-forged", "x" * 1024, False),
                                 ("callback-lone-surrogate", "@@d@@", False),
                                 ("callback-no-payload", None, False),
                                 ("callback-vote-no-such-idea", "idea:vote:999999999", False),
                                 ("callback-vote-overflow", "idea:vote:" + "9" * 40, False),
                                 ("callback-message-deleted", "intent:nonexistent", True)]:
        uid = g.next_peer()
        cid = "cb.%d.%06d" % (uid, g.rnd.randrange(10 ** 6))
        up = {"update_type": "message_callback", "timestamp": 1775025605000,
              "callback": {"timestamp": 1775025605000, "callback_id": cid, "payload": payload,
                           "user": user(uid)},
              "message": None if gone else {
                  "sender": user(229229229, is_bot=True),
                  "recipient": {"chat_id": uid + 10 ** 12, "chat_type": "dialog",
                                "user_id": uid},
                  "timestamp": 1775025600000, "body": {"mid": "mid.%032x" % uid, "seq": 1,
                                                       "text": "menu"}},
              "user_locale": "ru"}
        cases.append(Case(label, "answer", _splice(up, {"d": '"\\ud83d"'}), uid,
                          callback_id=cid))
    return cases


def max_undecodable(seed, peer_base=9800000000, id_base=990000):
    g = _Gen(seed, peer_base, id_base)
    out = []
    for label, tail in (("not-json-bareword", '"text": NaN}}}'),
                        ("not-json-unterminated", '"text":"cut}}}')):
        p, m = g.next_peer(), g.next_mid()
        out.append(Case(label, "lost", (
            '{"update_type":"message_created","timestamp":%d,"message":{"sender":'
            '{"user_id":%d},"recipient":{"chat_type":"dialog"},"body":{"mid":"mid.%d",%s'
            % (1775025604000 + m, p, m, tail)).encode(), p))
    g.rnd.shuffle(out)
    return out


def mix(seed, hostile, ordinary, undecodable=()):
    """Interleaves hostile cases with ordinary items (dicts for the fake's builder),
    reproducibly; undecodable cases go at random positions, never first or last so
    that each has neighbours on both sides."""
    rnd = random.Random(seed ^ 0x5EED)
    items = list(hostile) + list(ordinary)
    rnd.shuffle(items)
    for bad in undecodable:
        items.insert(rnd.randrange(1, max(2, len(items))), bad)
    return items
