#!/usr/bin/env python3
"""Self-test for the VK and Telegram fakes.

Plain script (no pytest): starts each fake as a subprocess and talks to it with
urllib / http.client exactly as a bot would.  Prints one line per test and
'N passed, N failed' at the end; exit status is non-zero if anything failed.

    python3 tests/fakes/test_fakes.py [-k substring] [-v]
"""

import base64
import json
import os
import socket
import sys
import threading
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import FakeServer, KeepAlive, http_call, http_json, wait_for  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(a, b, what="value"):
    if a != b:
        raise AssertionError("%s: expected %r, got %r" % (what, b, a))


# ---------------------------------------------------------------------------
# VK helpers
# ---------------------------------------------------------------------------

def vk_call(vk, method, _raw=False, **params):
    params.setdefault("access_token", vk.token)
    params.setdefault("v", "5.199")
    status, headers, body = http_call(vk.api_base + method, params)
    if _raw:
        return status, headers, body
    eq(status, 200, "VK HTTP status")
    return json.loads(body)


def vk_lp_server(vk):
    return vk_call(vk, "groups.getLongPollServer", group_id=vk.group_id)["response"]


def vk_poll(server, key, ts, wait=0, timeout=15):
    url = server + "?" + urllib.parse.urlencode(
        {"act": "a_check", "key": key, "ts": ts, "wait": wait})
    status, _, body = http_call(url, method="GET", timeout=timeout)
    eq(status, 200, "long poll HTTP status")
    return json.loads(body)


def vk_send(vk, peer, random_id, text, **extra):
    return vk_call(vk, "messages.send", peer_id=peer, random_id=random_id, message=text,
                   **extra)


# ---------------------------------------------------------------------------
# Telegram helpers
# ---------------------------------------------------------------------------

def tg_call(tg, method, _json=None, _get=False, _timeout=15, **params):
    """JSON body if _json given, GET query if _get, else urlencoded form."""
    url = tg.api_base + method
    if _json is not None:
        return http_call(url, json_body=_json, timeout=_timeout)
    return http_call(url, params or None, method="GET" if _get else "POST", timeout=_timeout)


def tg_json(tg, method, _json=None, **params):
    status, headers, body = tg_call(tg, method, _json, **params)
    data = json.loads(body)
    if data.get("ok"):
        eq(status, 200, "status of ok answer")
    else:
        eq(status, data["error_code"], "HTTP status equals error_code")
    return data


def expect_connection_dropped(fn):
    try:
        r = fn()
    except Exception:
        return
    raise AssertionError("expected the connection to be dropped, got %r" % (r,))


# ---------------------------------------------------------------------------
# VK tests
# ---------------------------------------------------------------------------

@test
def vk_get_long_poll_server(vk, tg):
    r = vk_lp_server(vk)
    check(isinstance(r["ts"], str) and r["ts"].isdigit(), "ts must be a decimal string")
    eq(r["server"], "http://127.0.0.1:%d/lp" % vk.port, "server URL")
    check(len(r["key"]) >= 16, "key")
    e = vk_call(vk, "groups.getLongPollServer", group_id=1)["error"]
    eq(e["error_code"], 15, "wrong group")
    e = vk_call(vk, "groups.getLongPollServer", access_token="bad", group_id=vk.group_id)["error"]
    eq(e["error_code"], 5, "bad token")
    check(all(set(p) == {"key", "value"} for p in e["request_params"]), "request_params shape")
    check("bad" not in json.dumps(e["request_params"]), "token must not be echoed")
    check({"key": "method", "value": "groups.getLongPollServer"} in e["request_params"])


@test
def vk_long_poll_timeout_empty(vk, tg):
    lp = vk_lp_server(vk)
    t = time.monotonic()
    r = vk_poll(lp["server"], lp["key"], lp["ts"], wait=1)
    dt = time.monotonic() - t
    eq(r, {"ts": lp["ts"], "updates": []}, "empty answer")
    check(0.9 <= dt < 3, "held for ~wait seconds (%.2f)" % dt)


@test
def vk_long_poll_events_ts_and_replay(vk, tg):
    lp = vk_lp_server(vk)
    res = vk.inject([{"peer_id": 1001, "text": "Hello"},
                     {"peer_id": 1001, "text": "second", "payload": {"command": "start"}},
                     {"peer_id": 2000000005, "from_id": 1002, "text": "in chat"}])
    r = vk_poll(lp["server"], lp["key"], lp["ts"], wait=5)
    check(isinstance(r["ts"], str), "ts is a string")
    eq(int(r["ts"]), int(lp["ts"]) + 3, "ts advanced by 3")
    eq([u["event_id"] for u in r["updates"]], [x["event_id"] for x in res], "event ids in order")
    u = r["updates"][0]
    eq(sorted(u), ["event_id", "group_id", "object", "type", "v"], "envelope keys")
    eq((u["type"], u["v"], u["group_id"]), ("message_new", "5.199", vk.group_id), "envelope")
    m = u["object"]["message"]
    eq((m["peer_id"], m["from_id"], m["text"], m["out"]), (1001, 1001, "Hello", 0), "message")
    check(m["id"] > 0 and m["conversation_message_id"] >= 1 and isinstance(m["date"], int))
    check("callback" in u["object"]["client_info"]["button_actions"], "client_info")
    eq(r["updates"][1]["object"]["message"]["payload"], '{"command": "start"}',
       "payload is a JSON string")
    chat_msg = r["updates"][2]["object"]["message"]
    eq((chat_msg["id"], chat_msg["from_id"]), (0, 1002), "group chat message id 0")
    # At-least-once: re-polling the old ts replays the same events.
    r2 = vk_poll(lp["server"], lp["key"], lp["ts"], wait=0)
    eq([u["event_id"] for u in r2["updates"]], [x["event_id"] for x in res], "replay")
    r3 = vk_poll(lp["server"], lp["key"], r["ts"], wait=0)
    eq(r3, {"ts": r["ts"], "updates": []}, "nothing after the new ts")
    # A fresh getLongPollServer reports the current ts.
    eq(vk_lp_server(vk)["ts"], r["ts"], "getLongPollServer ts")


@test
def vk_long_poll_wakes_on_inject(vk, tg):
    lp = vk_lp_server(vk)
    out = {}

    def poll():
        t = time.monotonic()
        out["r"] = vk_poll(lp["server"], lp["key"], lp["ts"], wait=10)
        out["dt"] = time.monotonic() - t
    th = threading.Thread(target=poll)
    th.start()
    wait_for(lambda: vk.stats()["lp_waiting"] == 1, 5, message="poll to be waiting")
    vk.inject({"peer_id": 7, "text": "wake"})
    th.join(12)
    eq(len(out["r"]["updates"]), 1, "one update")
    check(out["dt"] < 3, "returned promptly (%.2fs)" % out["dt"])


@test
def vk_long_poll_batches(vk, tg):
    vk.config(lp_batch=2)
    lp = vk_lp_server(vk)
    vk.inject([{"peer_id": 5, "text": str(i)} for i in range(5)])
    ts, sizes, texts = lp["ts"], [], []
    for _ in range(4):
        r = vk_poll(lp["server"], lp["key"], ts, wait=0)
        sizes.append(len(r["updates"]))
        texts += [u["object"]["message"]["text"] for u in r["updates"]]
        ts = r["ts"]
    eq(sizes, [2, 2, 1, 0], "batch sizes")
    eq(texts, ["0", "1", "2", "3", "4"], "order")


@test
def vk_long_poll_wrong_key_and_reset(vk, tg):
    lp = vk_lp_server(vk)
    eq(vk_poll(lp["server"], "nope", lp["ts"]), {"failed": 2}, "wrong key")
    vk.inject({"peer_id": 5, "text": "x"})
    vk.reset()
    r = vk_poll(lp["server"], lp["key"], lp["ts"])
    eq(r.get("failed"), 1, "history before reset is gone -> failed:1")
    eq(r["ts"], vk_lp_server(vk)["ts"], "failed:1 carries the current ts")


@test
def vk_send_records_and_dedups(vk, tg):
    inj = vk.inject({"peer_id": 1001, "text": "help"})[0]
    kb = {"one_time": False, "inline": True, "buttons": [[
        {"action": {"type": "callback", "label": "Rate 5", "payload": "{\"rate\":5}"},
         "color": "positive"}]]}
    r1 = vk_send(vk, 1001, 777, "Hi!", reply_to=inj["message_id"], keyboard=json.dumps(kb))
    mid = r1["response"]
    check(isinstance(mid, int) and mid > 0, "message id")
    r2 = vk_send(vk, 1001, 777, "Hi!", reply_to=inj["message_id"], keyboard=json.dumps(kb))
    eq(r2, {"response": mid}, "duplicate returns the original id")
    r3 = vk_send(vk, 1002, 777, "other peer, same random_id")
    check(r3["response"] != mid, "random_id is scoped per peer")
    vk_send(vk, 1001, 0, "zero 1")
    vk_send(vk, 1001, 0, "zero 2")           # random_id 0 disables the check
    fwd = {"peer_id": 1001, "conversation_message_ids": [inj["conversation_message_id"]],
           "is_reply": True}
    vk_send(vk, 1001, 778, "via forward", forward=json.dumps(fwd))
    sent = vk.sent()
    eq([m["text"] for m in sent],
       ["Hi!", "other peer, same random_id", "zero 1", "zero 2", "via forward"], "recorded")
    m = sent[0]
    eq((m["peer"], m["random_id"], m["reply_to"], m["message_id"]),
       (1001, 777, inj["message_id"], mid), "record fields")
    eq(m["keyboard"], kb, "keyboard recorded as parsed JSON")
    eq(m["inject_ns"], inj["inject_ns"], "inject timestamp linked by reply_to")
    check(m["recv_ns"] > m["inject_ns"], "recv after inject")
    eq(sent[4]["inject_ns"], inj["inject_ns"], "linked through forward")
    eq(sent[4]["forward"], fwd, "forward parsed")
    eq(sent[1]["inject_ns"], None, "no link")
    eq([m["seq"] for m in vk.sent(since=3)], [4, 5], "since=")
    eq(len(vk.sent(peer=1002)), 1, "peer filter")
    st = vk.stats()
    eq((st["sent"], st["duplicates_suppressed"], st["requests"]["messages.send"]), (5, 1, 6),
       "stats")


@test
def vk_send_validation(vk, tg):
    def err(**p):
        r = vk_call(vk, "messages.send", **p)
        check("error" in r, "expected an error, got %r" % r)
        return r["error"]["error_code"]
    eq(err(peer_id=1, message="x"), 100, "random_id required")
    eq(err(random_id=1, message="x"), 100, "peer_id required")
    eq(err(peer_id=1, random_id=1), 100, "empty message")
    eq(err(peer_id=1, random_id=1, message="x" * 9001), 914, "too long")
    eq(err(peer_id=1, random_id=1, message="x", keyboard="{bad"), 911, "bad keyboard JSON")
    eq(err(peer_id=1, random_id=1, message="x",
           keyboard=json.dumps({"buttons": [[{"action": {"type": "nope"}}]]})), 911,
       "bad keyboard action")
    eq(err(peer_id=1, random_id=1, message="x", v=""), 8, "v required")
    eq(err(peer_id=1, random_id=1, message="x", access_token="wrong"), 5, "bad token")
    r = vk_call(vk, "no.suchMethod")
    eq(r["error"]["error_code"], 3, "unknown method")
    # JSON bodies are not read by VK: the token is "missing".
    st, body = http_json(vk.api_base + "messages.send",
                         json_body={"access_token": vk.token, "v": "5.199", "peer_id": 1,
                                    "random_id": 1, "message": "x"})
    eq(body["error"]["error_code"], 5, "JSON body ignored")
    check("no access_token" in body["error"]["error_msg"])
    # Bearer header and GET are equivalent to the form parameter.
    st, _, b = http_call(vk.api_base + "messages.send?" + urllib.parse.urlencode(
        {"v": "5.199", "peer_id": 3, "random_id": 9, "message": "get+bearer"}), method="GET",
        headers={"Authorization": "Bearer " + vk.token})
    check(isinstance(json.loads(b)["response"], int), "GET with bearer token works")
    eq(vk.sent()[-1]["text"], "get+bearer", "recorded")
    eq(len(vk.sent()), 1, "errors are not recorded as sent")


@test
def vk_send_multipart_and_peer_ids(vk, tg):
    boundary = "XyZ123"
    parts = {"access_token": vk.token, "v": "5.199", "peer_id": "11", "random_id": "5",
             "message": "multipart ✓"}
    body = "".join('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                   % (boundary, k, v) for k, v in parts.items()) + "--%s--\r\n" % boundary
    st, _, b = http_call(vk.api_base + "messages.send", raw_body=body.encode(),
                         content_type="multipart/form-data; boundary=" + boundary)
    check(isinstance(json.loads(b)["response"], int), "multipart accepted")
    eq(vk.sent()[-1]["text"], "multipart ✓", "multipart text")
    vk.control("block", {"peer_id": 13})
    r = vk_call(vk, "messages.send", peer_ids="11,12,13", random_id=6, message="bulk")
    items = r["response"]
    eq([i["peer_id"] for i in items], [11, 12, 13], "peer_ids answer")
    check(all("message_id" in i and "conversation_message_id" in i for i in items[:2]))
    eq(items[2]["error"]["code"], 901, "per-peer error")


@test
def vk_message_event_and_answer(vk, tg):
    lp = vk_lp_server(vk)
    res = vk.inject([{"type": "message_event", "peer_id": 1001, "user_id": 1001,
                      "payload": {"rate": 5}, "conversation_message_id": 3},
                     {"type": "message_reply", "peer_id": 1001, "text": "operator says hi"},
                     {"type": "message_typing_state", "peer_id": 1001},
                     {"type": "message_allow", "user_id": 1001},
                     {"type": "wall_reply_new", "object": {"id": 5, "post_id": 1, "text": "c"}}])
    r = vk_poll(lp["server"], lp["key"], lp["ts"])
    ups = r["updates"]
    eq([u["type"] for u in ups], ["message_event", "message_reply", "message_typing_state",
                                  "message_allow", "wall_reply_new"], "types")
    ev = ups[0]["object"]
    eq((ev["user_id"], ev["peer_id"], ev["payload"], ev["conversation_message_id"]),
       (1001, 1001, {"rate": 5}, 3), "message_event object")
    eq(ev["event_id"], res[0]["callback_event_id"], "callback event id")
    check(ev["event_id"] != ups[0]["event_id"], "object.event_id differs from envelope id")
    reply = ups[1]["object"]
    eq((reply["out"], reply["from_id"], reply["text"]), (1, -vk.group_id, "operator says hi"),
       "message_reply is a bare message")
    eq(ups[2]["object"], {"state": "typing", "from_id": 1001, "to_id": -vk.group_id}, "typing")
    eq(ups[4]["object"]["text"], "c", "verbatim object")
    a = vk_call(vk, "messages.sendMessageEventAnswer", event_id=ev["event_id"], user_id=1001,
                peer_id=1001, event_data=json.dumps({"type": "show_snackbar", "text": "Saved"}))
    eq(a, {"response": 1}, "answer")
    c = vk.calls("messages.sendMessageEventAnswer")
    eq(len(c), 1, "answer recorded")
    eq((c[0]["known"], c[0]["event_data"]["text"]), (True, "Saved"), "answer record")
    eq(c[0]["inject_ns"], res[0]["inject_ns"], "answer linked to injection")
    vk_call(vk, "messages.sendMessageEventAnswer", event_id="unknown", user_id=1, peer_id=1)
    eq(vk.calls("messages.sendMessageEventAnswer")[-1]["known"], False, "unknown event")


@test
def vk_raw_and_duplicate_events(vk, tg):
    lp = vk_lp_server(vk)
    vk.inject([{"peer_id": 9, "text": "a", "event_id": "dup1"},
               {"peer_id": 9, "text": "a again", "event_id": "dup1"},
               {"raw": {"type": "message_new", "object": {"message": {"text": "no ids"}}}},
               {"raw_json": '{"type":"message_new","v":"5.80","object":{"id":1,"text":"\\ud800"}}'},
               {"peer_id": 9, "text": "old version", "v": "5.80"}])
    status, _, body = http_call(lp["server"] + "?" + urllib.parse.urlencode(
        {"act": "a_check", "key": lp["key"], "ts": lp["ts"], "wait": 0}), method="GET")
    check(b'"text":"\\ud800"' in body, "raw JSON spliced verbatim")
    ups = json.loads(body)["updates"]
    eq([u.get("event_id") for u in ups[:2]], ["dup1", "dup1"], "duplicate event_id replayed")
    eq(ups[2]["object"]["message"]["text"], "no ids", "raw event")
    eq(ups[4]["v"], "5.80", "version override")


@test
def vk_users_get(vk, tg):
    vk.control("users", {"users": [{"id": 1001, "first_name": "Ivan", "last_name": "Petrov",
                                    "screen_name": "ivan", "followers_count": 57},
                                   {"id": 1003, "deactivated": "deleted"}]})
    r = vk_call(vk, "users.get", user_ids="1001,1002,ivan,1003",
                fields="screen_name,followers_count")["response"]
    eq(r[0], {"id": 1001, "first_name": "Ivan", "last_name": "Petrov",
              "can_access_closed": True, "is_closed": False, "screen_name": "ivan",
              "followers_count": 57}, "configured user")
    eq((r[1]["id"], r[1]["screen_name"], r[1]["followers_count"]), (1002, "id1002", 0),
       "default user")
    eq(r[2]["id"], 1001, "lookup by screen name")
    eq(r[3].get("deactivated"), "deleted", "deactivated")
    r = vk_call(vk, "users.get", user_ids="1001")["response"][0]
    check("screen_name" not in r, "fields only when requested")
    eq(vk_call(vk, "users.get", user_ids="no_such_name")["error"]["error_code"], 113, "bad id")


@test
def vk_fault_http_5xx(vk, tg):
    vk.fault("messages.send", "http", status=500)
    vk.fault("messages.send", "http", status=502)
    for want in (500, 502):
        st, hd, body = vk_call(vk, "messages.send", _raw=True, peer_id=1, random_id=1,
                               message="x")
        eq(st, want, "status")
        check(hd["content-type"].startswith("text/html"), "HTML body")
        try:
            json.loads(body)
            raise AssertionError("5xx body must not be JSON")
        except ValueError:
            pass
    check("response" in vk_send(vk, 1, 1, "x"), "next call normal")
    eq(len(vk.sent()), 1, "faulted calls not processed")


@test
def vk_fault_api_errors(vk, tg):
    for code in (6, 9, 10, 901, 14):
        vk.fault("messages.send", "error", code=code)
    got = []
    for _ in range(5):
        st, _, body = vk_call(vk, "messages.send", _raw=True, peer_id=1, random_id=2,
                              message="x")
        eq(st, 200, "API errors are HTTP 200")
        e = json.loads(body)["error"]
        check(isinstance(e["error_msg"], str) and e["request_params"], "error shape")
        got.append(e["error_code"])
        if e["error_code"] == 14:
            check(e["captcha_sid"] and e["captcha_img"], "captcha fields")
    eq(got, [6, 9, 10, 901, 14], "codes in queue order")
    st = vk.stats()
    eq(st["errors_injected"], 5, "errors_injected")
    eq(st["faults_fired"]["messages.send error:6"], 1, "faults_fired key")
    eq(st["faults_pending"], [], "queue drained")


@test
def vk_fault_drop_and_idempotent_retry(vk, tg):
    vk.fault("messages.send", "drop")
    expect_connection_dropped(lambda: vk_send(vk, 1, 50, "lost"))
    eq(len(vk.sent()), 0, "plain drop: not processed")
    # drop_after: VK performed the send but the answer never arrived; the retry with
    # the same random_id must not create a second message.
    vk.fault("messages.send", "drop_after")
    expect_connection_dropped(lambda: vk_send(vk, 1, 51, "sent once"))
    eq(len(vk.sent()), 1, "processed before the drop")
    r = vk_send(vk, 1, 51, "sent once")
    eq(r["response"], vk.sent()[0]["message_id"], "retry returns the original id")
    eq((len(vk.sent()), vk.stats()["duplicates_suppressed"]), (1, 1), "no duplicate")
    vk.fault("messages.send", "reset")
    expect_connection_dropped(lambda: vk_send(vk, 1, 52, "rst"))
    # An http fault with process=true: done, but the gateway answered 502.
    vk.fault("messages.send", "http", status=502, process=True)
    eq(vk_call(vk, "messages.send", _raw=True, peer_id=1, random_id=53, message="y")[0], 502)
    eq(vk.sent()[-1]["random_id"], 53, "processed despite 502")


@test
def vk_fault_slow_malformed_wildcard(vk, tg):
    vk.fault("messages.send", "slow", delay_ms=400)
    t = time.monotonic()
    check("response" in vk_send(vk, 1, 60, "slow"), "slow answers normally")
    check(time.monotonic() - t >= 0.38, "delayed")
    vk.fault("messages.send", "malformed")
    st, _, body = vk_call(vk, "messages.send", _raw=True, peer_id=1, random_id=61, message="m")
    eq(st, 200, "malformed is 200")
    try:
        json.loads(body)
        raise AssertionError("body should be invalid JSON")
    except ValueError:
        pass
    vk.fault("*", "error", code=10, skip=1)
    check("response" in vk_call(vk, "users.get", user_ids="1"), "skip lets one through")
    eq(vk_call(vk, "users.get", user_ids="1")["error"]["error_code"], 10, "wildcard fires")


@test
def vk_fault_long_poll_failed(vk, tg):
    lp = vk_lp_server(vk)
    vk.inject({"peer_id": 1, "text": "before"})
    vk.fault("lp", "failed", code=1)
    r = vk_poll(lp["server"], lp["key"], lp["ts"])
    eq(r, {"failed": 1, "ts": str(int(lp["ts"]) + 1)}, "failed:1 with the current ts")
    vk.fault("lp", "failed", code=2)
    eq(vk_poll(lp["server"], lp["key"], lp["ts"]), {"failed": 2}, "failed:2")
    eq(vk_poll(lp["server"], lp["key"], lp["ts"]), {"failed": 2}, "old key stays invalid")
    lp2 = vk_lp_server(vk)
    check(lp2["key"] != lp["key"], "new key")
    r = vk_poll(lp2["server"], lp2["key"], lp["ts"])       # keep own ts after failed:2
    eq(len(r["updates"]), 1, "no loss after failed:2")
    vk.fault("lp", "failed", code=3)
    eq(vk_poll(lp2["server"], lp2["key"], r["ts"]), {"failed": 3}, "failed:3")
    eq(vk_poll(lp2["server"], lp2["key"], r["ts"]), {"failed": 2}, "key dropped by failed:3")
    vk.fault("lp", "http", status=502)
    vk.fault("lp", "drop")
    lp3 = vk_lp_server(vk)
    url = lp3["server"] + "?" + urllib.parse.urlencode(
        {"act": "a_check", "key": lp3["key"], "ts": lp3["ts"], "wait": 0})
    eq(http_call(url, method="GET")[0], 502, "lp 502")
    expect_connection_dropped(lambda: http_call(url, method="GET"))
    vk.control("expire_key", {})
    eq(vk_poll(lp3["server"], lp3["key"], lp3["ts"]), {"failed": 2}, "expire_key")


@test
def vk_block_and_rate_limit(vk, tg):
    vk.control("block", {"peer_id": 66, "code": 900})
    for _ in range(2):
        eq(vk_send(vk, 66, 1, "x")["error"]["error_code"], 900, "blocked persistently")
    vk.control("block", {"peer_id": 66, "blocked": False})
    check("response" in vk_send(vk, 66, 1, "x"), "unblocked")
    vk.config(rate_limit_per_s=3)
    codes = [vk_send(vk, 67, i + 10, "r").get("error", {}).get("error_code") for i in range(5)]
    eq(codes, [None, None, None, 6, 6], "error 6 above the rate")
    vk.config(rate_limit_per_s=0)


# ---------------------------------------------------------------------------
# Telegram tests
# ---------------------------------------------------------------------------

@test
def tg_get_me_bad_token_unknown_method(vk, tg):
    r = tg_json(tg, "getMe")
    eq((r["ok"], r["result"]["is_bot"], r["result"]["id"]), (True, True, 123456), "getMe")
    st, _, b = http_call("%s/bot%s/getMe" % (tg.base_url, "123456:WRONG"), {})
    eq(st, 401, "wrong token status")
    eq(json.loads(b), {"ok": False, "error_code": 401, "description": "Unauthorized"}, "401 body")
    r = tg_json(tg, "noSuchMethod")
    eq(r["error_code"], 404, "unknown method")
    eq(tg_json(tg, "GETME")["ok"], True, "method names are case-insensitive")
    eq(tg_json(tg, "deleteWebhook", drop_pending_updates="true")["result"], True, "deleteWebhook")


@test
def tg_get_updates_offset_limit(vk, tg):
    res = tg.inject([{"chat_id": 42, "text": "/start"}, {"chat_id": 42, "text": "two"},
                     {"chat_id": 43, "text": "three"}])
    ids = [x["update_id"] for x in res]
    eq(ids, list(range(ids[0], ids[0] + 3)), "sequential update ids")
    r = tg_json(tg, "getUpdates")
    eq([u["update_id"] for u in r["result"]], ids, "all pending")
    u = r["result"][0]
    m = u["message"]
    eq(sorted(u), ["message", "update_id"], "update keys")
    eq((m["chat"]["id"], m["chat"]["type"], m["from"]["id"], m["text"]),
       (42, "private", 42, "/start"), "message")
    eq(m["entities"], [{"type": "bot_command", "offset": 0, "length": 6}], "command entity")
    eq([u["update_id"] for u in tg_json(tg, "getUpdates")["result"]], ids,
       "unconfirmed updates are returned again")
    eq([u["update_id"] for u in tg_json(tg, "getUpdates", offset=ids[1], limit=1)["result"]],
       [ids[1]], "offset confirms lower ids; limit")
    eq([u["update_id"] for u in tg_json(tg, "getUpdates")["result"]], ids[1:],
       "confirmed update is gone")
    eq(tg_json(tg, "getUpdates", offset=ids[2] + 1)["result"], [], "all confirmed")
    eq(tg.stats()["pending_updates"], 0, "queue empty")
    tg.inject([{"chat_id": 1, "text": str(i)} for i in range(5)])
    r = tg_json(tg, "getUpdates", offset=-2)["result"]
    eq([u["message"]["text"] for u in r], ["3", "4"], "negative offset keeps the last N")


@test
def tg_get_updates_long_poll(vk, tg):
    t = time.monotonic()
    eq(tg_json(tg, "getUpdates", timeout=1)["result"], [], "empty after timeout")
    check(0.9 <= time.monotonic() - t < 3, "held ~timeout")
    out = {}

    def poll():
        t0 = time.monotonic()
        out["r"] = tg_json(tg, "getUpdates", _json={"timeout": 10})
        out["dt"] = time.monotonic() - t0
    th = threading.Thread(target=poll)
    th.start()
    wait_for(lambda: tg.stats()["polls_waiting"] == 1, 5, message="poll waiting")
    res = tg.inject({"chat_id": 5, "text": "wake"})
    th.join(12)
    eq([u["update_id"] for u in out["r"]["result"]], [res[0]["update_id"]], "woken")
    check(out["dt"] < 3, "prompt (%.2fs)" % out["dt"])


@test
def tg_get_updates_conflict(vk, tg):
    out = {}

    def poll():
        out["r"] = tg_call(tg, "getUpdates", timeout=10)
    th = threading.Thread(target=poll)
    th.start()
    wait_for(lambda: tg.stats()["polls_waiting"] == 1, 5, message="poll waiting")
    eq(tg_json(tg, "getUpdates")["ok"], True, "second poller served")
    th.join(5)
    st, _, b = out["r"]
    eq(st, 409, "first poller terminated")
    check(json.loads(b)["description"].startswith("Conflict: terminated by other getUpdates"))
    eq(tg.stats()["conflicts"], 1, "counted")


@test
def tg_allowed_updates(vk, tg):
    tg_json(tg, "getUpdates", allowed_updates=json.dumps(["message"]))
    r = tg.inject([{"type": "callback_query", "chat_id": 5, "data": "x"},
                   {"chat_id": 5, "text": "m"}])
    eq(r[0].get("filtered"), True, "not allowed -> not created")
    eq([list(u)[1] for u in tg_json(tg, "getUpdates")["result"]], ["message"], "only message")
    tg_json(tg, "getUpdates", _json={"allowed_updates": [], "offset": r[1]["update_id"] + 1})
    r = tg.inject([{"type": "callback_query", "chat_id": 5, "data": "x"},
                   {"type": "chat_member", "chat_id": -100123, "user_id": 5}])
    eq((r[0].get("filtered"), r[1].get("filtered")), (None, True), "[] = default set")


@test
def tg_send_message_encodings_and_links(vk, tg):
    inj = tg.inject({"chat_id": 42, "text": "help me"})[0]
    mk = {"inline_keyboard": [[{"text": "Yes", "callback_data": "fb:1:42"},
                               {"text": "Site", "url": "https://example.com"}]]}
    r = tg_json(tg, "sendMessage", {"chat_id": 42, "text": "JSON", "reply_markup": mk,
                                    "reply_parameters": {"message_id": inj["message_id"]}})
    res = r["result"]
    eq((res["chat"]["id"], res["text"], res["from"]["is_bot"]), (42, "JSON", True), "Message")
    eq(res["reply_to_message"]["message_id"], inj["message_id"], "reply_to_message")
    eq(res["reply_markup"], mk, "inline markup echoed")
    r = tg_json(tg, "sendMessage", chat_id="42", text="form",
                reply_markup=json.dumps({"keyboard": [[{"text": "Send my number",
                                                        "request_contact": True}]],
                                         "resize_keyboard": True}),
                reply_to_message_id=str(inj["message_id"]))
    check(r["ok"] and "reply_markup" not in r["result"], "reply keyboard not echoed")
    st, _, b = tg_call(tg, "sendMessage", _get=True, chat_id=42, text="query ünï")
    eq(json.loads(b)["result"]["text"], "query ünï", "GET query params")
    sent = tg.sent()
    eq([m["text"] for m in sent], ["JSON", "form", "query ünï"], "recorded in order")
    eq((sent[0]["peer"], sent[0]["reply_to"], sent[0]["keyboard"]), (42, inj["message_id"], mk))
    eq(sent[1]["keyboard"]["keyboard"][0][0]["request_contact"], True, "form markup parsed")
    eq(sent[1]["reply_to"], inj["message_id"], "legacy reply_to_message_id")
    eq((sent[0]["inject_ns"], sent[1]["inject_ns"], sent[2]["inject_ns"]),
       (inj["inject_ns"], inj["inject_ns"], None), "inject timestamps linked by reply")
    eq(sent[2]["last_inject_ns"], inj["inject_ns"], "last inbound for the chat")
    check(sent[0]["deliver_ns"] is None, "not delivered yet: never polled")
    check(all(m["recv_ns"] > inj["inject_ns"] for m in sent), "monotonic ns")
    r = tg_json(tg, "sendMessage", {"chat_id": 42, "text": "<b>bold</b> &lt;tag&gt; &amp;",
                                    "parse_mode": "HTML"})
    eq(r["result"]["text"], "bold <tag> &", "HTML rendered to plain text")
    eq(tg.sent()[-1]["parse_mode"], "HTML", "parse_mode recorded")


@test
def tg_send_message_validation(vk, tg):
    def err(body):
        r = tg_json(tg, "sendMessage", body)
        check(not r["ok"], "expected error for %r" % (body,))
        return r["error_code"], r["description"]
    tg.inject({"chat_id": 42, "text": "x"})
    eq(err({"text": "x"}), (400, "Bad Request: chat_id is empty"), "no chat_id")
    eq(err({"chat_id": "abc", "text": "x"})[1], "Bad Request: chat not found", "bad chat_id")
    eq(err({"chat_id": 42, "text": ""})[1], "Bad Request: message text is empty", "empty")
    eq(err({"chat_id": 42, "text": " \n "})[1], "Bad Request: message text is empty", "blank")
    eq(err({"chat_id": 42, "text": "x" * 4097})[1], "Bad Request: message is too long", "4097")
    check(tg_json(tg, "sendMessage", {"chat_id": 42, "text": "x" * 4096})["ok"], "4096 ok")
    emoji = "\U0001F600"
    check(tg_json(tg, "sendMessage", {"chat_id": 42, "text": emoji * 2048})["ok"], "2048 emoji")
    eq(err({"chat_id": 42, "text": emoji * 2049})[1], "Bad Request: message is too long",
       "length counted in UTF-16 units")
    check(tg_json(tg, "sendMessage", {"chat_id": 42, "text": "<b>" + "y" * 4096 + "</b>",
                                      "parse_mode": "HTML"})["ok"], "limit after parsing")
    code, desc = err({"chat_id": 42, "text": "a < b", "parse_mode": "HTML"})
    check(desc.startswith("Bad Request: can't parse entities"), "unescaped < : " + desc)
    check(err({"chat_id": 42, "text": "<b>x</i>", "parse_mode": "HTML"})[1]
          .startswith("Bad Request: can't parse entities"), "mismatched tags")
    check(err({"chat_id": 42, "text": "<foo>x</foo>", "parse_mode": "HTML"})[1]
          .startswith("Bad Request: can't parse entities: Unsupported start tag"), "tag")
    check(tg_json(tg, "sendMessage", {"chat_id": 42, "text": "a &lt; b & c", "parse_mode":
                                      "HTML"})["ok"], "escaped HTML ok")
    check(err({"chat_id": 42, "text": "Order 1.5 done!", "parse_mode": "MarkdownV2"})[1]
          .startswith("Bad Request: can't parse entities: Character '.' is reserved"), "MDv2")
    check(tg_json(tg, "sendMessage", {"chat_id": 42, "text": "*Order* 1\\.5 done\\!",
                                      "parse_mode": "MarkdownV2"})["ok"], "escaped MDv2 ok")
    eq(err({"chat_id": 42, "text": "x", "parse_mode": "Fancy"})[1],
       "Bad Request: unsupported parse_mode", "parse_mode")
    eq(err({"chat_id": 42, "text": "x", "reply_markup": {"inline_keyboard": [[
        {"text": "b", "callback_data": "z" * 65}]]}})[1], "Bad Request: BUTTON_DATA_INVALID",
       "callback_data > 64 bytes")
    check(err({"chat_id": 42, "text": "x", "reply_markup": {"inline_keyboard": [[
        {"text": "b"}]]}})[1].startswith("Bad Request: can't parse inline keyboard button"))
    eq(tg_json(tg, "sendMessage", chat_id=42, text="x", reply_markup="{oops")["description"],
       "Bad Request: can't parse reply keyboard markup JSON object", "bad markup JSON")
    eq(err({"chat_id": 42, "text": "x", "reply_parameters": {"message_id": 999}})[1],
       "Bad Request: message to be replied not found", "reply to unknown message")
    check(tg_json(tg, "sendMessage", {"chat_id": 42, "text": "x", "reply_parameters": {
        "message_id": 999, "allow_sending_without_reply": True}})["ok"], "allow without reply")
    # A client that cuts a UTF-8 sequence in half (e.g. splitting long text by bytes).
    st, _, b = http_call(tg.api_base + "sendMessage", raw_body=b"chat_id=42&text=%D0%9F%D1",
                         content_type="application/x-www-form-urlencoded")
    eq((st, json.loads(b)["description"]),
       (400, "Bad Request: strings must be encoded in UTF-8"), "invalid UTF-8 rejected")
    st, _, b = http_call(tg.api_base + "sendMessage", raw_body=b'{"chat_id":42,',
                         content_type="application/json")
    eq(st, 400, "bad JSON body rejected")
    tg.config(strict_chats=True)
    eq(err({"chat_id": 777, "text": "x"})[1], "Bad Request: chat not found", "strict chats")
    check(tg_json(tg, "sendMessage", {"chat_id": 42, "text": "x"})["ok"], "known chat ok")


@test
def tg_callback_query_and_answer(vk, tg):
    tg.inject({"chat_id": 42, "text": "hi"})
    sent = tg_json(tg, "sendMessage", {"chat_id": 42, "text": "Helpful?", "reply_markup": {
        "inline_keyboard": [[{"text": "Yes", "callback_data": "fb:1"}]]}})["result"]
    res = tg.inject({"type": "callback_query", "chat_id": 42, "user_id": 42, "data": "fb:1",
                     "message_id": sent["message_id"]})[0]
    ups = tg_json(tg, "getUpdates")["result"]
    cq = ups[-1]["callback_query"]
    eq((cq["id"], cq["data"], cq["from"]["id"], cq["message"]["message_id"]),
       (res["callback_query_id"], "fb:1", 42, sent["message_id"]), "callback_query")
    check(isinstance(cq["chat_instance"], str), "chat_instance")
    eq(tg_json(tg, "answerCallbackQuery", callback_query_id=cq["id"], text="Thanks")["result"],
       True, "answered")
    r = tg_json(tg, "answerCallbackQuery", callback_query_id=cq["id"])
    eq((r["ok"], r["error_code"]), (False, 400), "second answer fails")
    check("query is too old" in r["description"])
    c = tg.calls("answerCallbackQuery")
    eq([x["known"] for x in c], [True, False], "calls recorded")
    eq(c[0]["inject_ns"], res["inject_ns"], "linked to injection")


@test
def tg_other_update_types(vk, tg):
    first = tg.inject({"chat_id": 42, "text": "orig"})[0]
    res = tg.inject([
        {"type": "edited_message", "chat_id": 42, "message_id": first["message_id"],
         "text": "edited"},
        {"type": "my_chat_member", "chat_id": 42, "status": "kicked"},
        {"chat_id": 42, "contact": True},
        {"chat_id": 42, "photo": True, "caption": "pic"},
        {"chat_id": -100500, "user_id": 42, "chat_type": "supergroup", "text": "in group"},
        {"type": "poll", "chat_id": 42, "object": {"id": "p1", "question": "?"}}])
    ups = tg_json(tg, "getUpdates", offset=first["update_id"] + 1)["result"]
    eq([u["update_id"] for u in ups], [r["update_id"] for r in res], "ids")
    em = ups[0]["edited_message"]
    eq((em["message_id"], em["text"], "edit_date" in em), (first["message_id"], "edited", True))
    mcm = ups[1]["my_chat_member"]
    eq((mcm["new_chat_member"]["status"], mcm["old_chat_member"]["status"],
        mcm["new_chat_member"]["user"]["is_bot"]), ("kicked", "member", True), "block")
    c = ups[2]["message"]["contact"]
    eq(c["user_id"], 42, "contact user_id")
    check(c["phone_number"].isdigit(), "phone")
    p = ups[3]["message"]
    eq((len(p["photo"]), p["caption"], "text" in p), (2, "pic", False), "photo")
    eq(ups[4]["message"]["chat"]["type"], "supergroup", "group chat")
    eq(ups[5]["poll"]["question"], "?", "verbatim object")


@test
def tg_raw_malformed_updates(vk, tg):
    res = tg.inject([
        {"raw": {"some_future_update": {"x": 1}}},
        {"raw": {"message": {"message_id": 5}}},                        # no chat / from
        {"raw": {"message": {"message_id": 6, "chat": {"id": 1, "type": "private"},
                             "date": 0, "text": "bad \ud800 surrogate"}}},
        {"raw_json": '{"message":{"message_id":7,"chat":{"id":1,"type":"private"},'
                     '"date":0,"text":"\\udc80\\ud83d"}}'},
        {"raw_b64": base64.b64encode(b'{"update_id":%d,"message":{"text":"\xff\xfe"}}'
                                     % 999999999).decode()},
        {"chat_id": 1, "text": "after"}])
    st, _, body = tg_call(tg, "getUpdates")
    eq(st, 200, "status")
    check(b'"some_future_update"' in body, "unknown type delivered")
    check(b'"text":"bad \\ud800 surrogate"' in body, "lone surrogate escape from raw")
    check(b'"\\udc80\\ud83d"' in body, "raw_json verbatim")
    check(b'\xff\xfe' in body, "raw bytes verbatim (invalid UTF-8)")
    try:
        body.decode("utf-8")
        raise AssertionError("body should contain invalid UTF-8")
    except UnicodeDecodeError:
        pass
    ids = [r["update_id"] for r in res]
    eq(ids[4], 999999999, "update_id taken from raw bytes")
    check(b'{"update_id":%d,"message":{"message_id":7' % ids[3] in body,
          "update_id spliced into raw_json")
    # The bot can still confirm past all of them.
    tg_call(tg, "getUpdates", offset=max(ids) + 1)
    eq(tg.stats()["pending_updates"], 0, "confirmed past malformed updates")


@test
def tg_fault_error_envelopes(vk, tg):
    tg.fault("sendMessage", "error", code=429, retry_after=7)
    tg.fault("sendMessage", "error", code=403)
    tg.fault("sendMessage", "error", code=409)
    tg.fault("getUpdates", "error", code=409)
    tg.fault("sendMessage", "error", code=400, migrate_to_chat_id=-1001234,
             description="Bad Request: group chat was upgraded to a supergroup chat")
    st, hd, b = tg_call(tg, "sendMessage", chat_id=42, text="x")
    eq((st, json.loads(b)), (429, {"ok": False, "error_code": 429, "description":
                                   "Too Many Requests: retry after 7",
                                   "parameters": {"retry_after": 7}}), "429")
    eq(hd.get("retry-after"), "7", "Retry-After header")
    r = tg_json(tg, "sendMessage", chat_id=42, text="x")
    eq(r["description"], "Forbidden: bot was blocked by the user", "403")
    r = tg_json(tg, "sendMessage", chat_id=42, text="x")
    eq(r["error_code"], 409, "409 on send")
    r = tg_json(tg, "getUpdates")
    check(r["description"].startswith("Conflict:"), "409 on getUpdates")
    r = tg_json(tg, "sendMessage", chat_id=42, text="x")
    eq(r["parameters"], {"migrate_to_chat_id": -1001234}, "migrate parameter")
    eq(tg_json(tg, "sendMessage", chat_id=42, text="x")["ok"], True, "then normal")
    eq(tg.stats()["errors_injected"], 5, "counted")


@test
def tg_fault_transport(vk, tg):
    tg.fault("sendMessage", "http", status=500)
    tg.fault("sendMessage", "http", status=502)
    for want in (500, 502):
        st, hd, b = tg_call(tg, "sendMessage", chat_id=42, text="x")
        eq(st, want, "status")
        check(hd["content-type"].startswith("text/html") and b.startswith(b"<html>"), "html")
    tg.fault("sendMessage", "drop")
    expect_connection_dropped(lambda: tg_call(tg, "sendMessage", chat_id=42, text="x"))
    eq(len(tg.sent()), 0, "nothing processed")
    tg.fault("sendMessage", "drop_after")
    expect_connection_dropped(lambda: tg_call(tg, "sendMessage", chat_id=42, text="dup?"))
    eq([m["text"] for m in tg.sent()], ["dup?"], "processed, answer lost")
    tg.fault("getUpdates", "slow", delay_ms=300)
    t = time.monotonic()
    eq(tg_json(tg, "getUpdates")["ok"], True, "slow")
    check(time.monotonic() - t >= 0.28, "delayed")
    tg.fault("getUpdates", "malformed")
    st, _, b = tg_call(tg, "getUpdates")
    eq(st, 200, "malformed 200")
    try:
        json.loads(b)
        raise AssertionError("should be invalid JSON")
    except ValueError:
        pass
    st = tg.stats()
    eq(st["errors_injected"], 6, "all counted")
    eq(st["faults_fired"].get("sendMessage http:502"), 1, "keyed by method and kind")


@test
def tg_webhook_block_ratelimit(vk, tg):
    tg_json(tg, "setWebhook", url="https://example.com/hook")
    r = tg_json(tg, "getUpdates")
    eq(r["error_code"], 409, "webhook active")
    check("webhook is active" in r["description"])
    tg_json(tg, "deleteWebhook")
    eq(tg_json(tg, "getUpdates")["ok"], True, "after deleteWebhook")
    tg.control("block", {"chat_id": 99})
    for _ in range(2):
        r = tg_json(tg, "sendMessage", chat_id=99, text="x")
        eq((r["error_code"], r["description"]), (403, "Forbidden: bot was blocked by the user"))
    tg.config(rate_limit_per_s=2)
    codes = [tg_json(tg, "sendMessage", chat_id=5, text="x").get("error_code") for _ in range(3)]
    eq(codes, [None, None, 429], "429 above the rate")
    tg.config(rate_limit_per_s=0)


# ---------------------------------------------------------------------------
# Process lifecycle and throughput
# ---------------------------------------------------------------------------

def _listening_addrs(port):
    """Local addresses (hex, /proc/net/tcp format) listening on `port`."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    addr, p = cols[1].split(":")
                    if int(p, 16) == port and cols[3] == "0A":
                        out.append(addr)
        except OSError:
            pass
    return out


@test
def lifecycle_loopback_sigterm_max_seconds(vk, tg):
    eq(_listening_addrs(vk.port), ["0100007F"], "VK fake listens on 127.0.0.1 only")
    eq(_listening_addrs(tg.port), ["0100007F"], "TG fake listens on 127.0.0.1 only")
    f = FakeServer("vk").start()
    eq(f.stop(), 0, "SIGTERM -> exit 0")
    f = FakeServer("telegram", max_seconds=1).start()
    t = time.monotonic()
    f.proc.wait(10)
    check(time.monotonic() - t < 5, "exits after --max-seconds")
    eq(f.proc.returncode, 0, "clean exit")
    f.stop()


def _raw_keepalive_rate(port, path, bodies, ctype):
    """Sequential keep-alive loop on a bare socket (client overhead kept minimal)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n" % (path, ctype)
    buf = b""
    t = time.perf_counter()
    for body in bodies:
        s.sendall(b"%sContent-Length: %d\r\n\r\n%s" % (head.encode(), len(body), body))
        while True:
            i = buf.find(b"\r\n\r\n")
            if i >= 0:
                j = buf.find(b"Content-Length: ", 0, i) + 16
                n = int(buf[j:buf.find(b"\r\n", j)])
                if len(buf) >= i + 4 + n:
                    check(buf.startswith(b"HTTP/1.1 200"), "200 expected")
                    buf = buf[i + 4 + n:]
                    break
            buf += s.recv(65536)
    dt = time.perf_counter() - t
    s.close()
    return len(bodies) / dt


@test
def throughput_keepalive_send(vk, tg):
    n = 3000
    ka = KeepAlive(tg.base_url)
    path = "/bot%s/sendMessage" % tg.token
    t = time.perf_counter()
    for i in range(n):
        st, _ = ka.post_json(path, {"chat_id": 42, "text": "bench %d" % i})
        eq(st, 200, "bench status")
    tg_httpclient = n / (time.perf_counter() - t)
    ka.close()
    tg_raw = _raw_keepalive_rate(
        tg.port, path, [json.dumps({"chat_id": 42, "text": "raw %d" % i}).encode()
                        for i in range(n)], "application/json")
    vk_raw = _raw_keepalive_rate(
        vk.port, "/method/messages.send",
        [urllib.parse.urlencode({"access_token": vk.token, "v": "5.199", "peer_id": 1001,
                                 "random_id": i + 1, "message": "raw %d" % i}).encode()
         for i in range(n)], "application/x-www-form-urlencoded")
    eq(len(tg.sent()), 2 * n, "all recorded")
    eq(len(vk.sent()), n, "all recorded")
    print("    throughput (1 connection, sequential keep-alive): Telegram sendMessage "
          "http.client %.0f req/s, raw socket %.0f req/s; VK messages.send raw socket %.0f req/s"
          % (tg_httpclient, tg_raw, vk_raw))
    check(min(tg_raw, vk_raw) > 500, "implausibly slow")


def main():
    args = sys.argv[1:]
    only = args[args.index("-k") + 1] if "-k" in args else None
    verbose = "-v" in args
    passed = failed = 0
    vk = FakeServer("vk", max_seconds=300, verbose=verbose).start()
    tg = FakeServer("telegram", max_seconds=300, verbose=verbose).start()
    try:
        for fn in TESTS:
            if only and only not in fn.__name__:
                continue
            vk.reset()
            tg.reset()
            t = time.monotonic()
            try:
                fn(vk, tg)
                passed += 1
                print("PASS %-45s %.2fs" % (fn.__name__, time.monotonic() - t))
            except Exception:
                failed += 1
                print("FAIL %s" % fn.__name__)
                traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
    finally:
        if failed or verbose:
            # The fakes print tracebacks of their own bugs to stderr; show them.
            for f in (vk, tg):
                print("---- %s fake log ----\n%s" % (f.kind, f.log()[-5000:]))
        vk.stop()
        tg.stop()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
