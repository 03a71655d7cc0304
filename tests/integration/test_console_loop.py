#!/usr/bin/env python3
"""The console's loop with the customer, against the real binary and the fakes: while a
secretary types, the customer sees "печатает…" (VK messages.setActivity, Telegram
sendChatAction, the web chat's own frame), never more often than once per 4 s a case;
a resolved case asks the customer for a 1..5 rating, the press is stored on the case,
in the audit log and the report (its satisfaction), and a forged press is stale."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402
from test_console import Customer, Session, complain, config  # noqa: E402

VK_TOKEN = "vk-test-token-secret-0001"
TG_TOKEN = "123456:TEST-token-secret-0002"
COMPLAINT = "У меня уже третий день не работает мобильный интернет, ничего не грузится!"
ANSWERS = ["+7 916 123-45-67", "Москва, улица Ленина 5",
           "С понедельника не грузится ничего, перезагружал телефон", "не знаю"]
THROTTLE_S = 4.0


def bot_config(vk, tg):
    return config(vk={"token": VK_TOKEN, "group_id": 123456, "api_url": vk.base_url + "/method",
                      "wait": 2, "rate_per_s": 1000, "chat_rate_per_s": 1000},
                  telegram={"token": TG_TOKEN, "api_url": tg.base_url, "timeout": 2,
                            "rate_per_s": 1000, "chat_rate_per_s": 1000})


def complain_on(fake, peer, key):
    """Complains through a fake channel until the bot names a case; returns the case's
    number as the bot told it."""
    said = 0
    for i in range(7):
        text = COMPLAINT if i == 0 else ANSWERS[min(i - 1, len(ANSWERS) - 1)]
        fake.inject({key: peer, ("from_id" if key == "peer_id" else "user_id"): peer,
                     "text": text})
        msgs = wait_for(lambda: (lambda s: s if len(s) > said else None)(fake.sent(peer=peer)),
                        10, 0.1, "a reply to %s" % peer)
        said = len(msgs)
        if any("обращени" in m["text"].lower() and any(c.isdigit() for c in m["text"])
               for m in msgs):
            return
    raise AssertionError("no case created on %s" % peer)


def case_of(op, channel, peer):
    status, r = op.get("/api/cases?channel=" + channel)
    check(status == 200, r)
    ids = [c["id"] for c in r["cases"] if c["peer_id"] == peer]
    check(len(ids) == 1, "cases of %s %s: %s" % (channel, peer, r))
    return ids[0]


def type_for(op, case_id, seconds, every_s=0.25):
    """Posts a typing notice every every_s for seconds; returns how many the server sent."""
    sent, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        status, r = op.post("/api/cases/%d/typing" % case_id)
        check(status == 200, "typing: %s %s" % (status, r))
        sent += 1 if r["sent"] else 0
        time.sleep(every_s)
    return sent


def test_customer_sees_typing():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            complain_on(vk, 5001, "peer_id")
            complain_on(tg, 7000005001, "chat_id")
            op = Session(bot, "oleg")
            vk_case = case_of(op, "vk", 5001)
            tg_case = case_of(op, "telegram", 7000005001)
            # Only the holder's typing reaches the customer.
            status, r = op.post("/api/cases/%d/typing" % vk_case)
            check(status == 409, "typing into an unclaimed case: %s %s" % (status, r))
            check(not vk.calls("messages.setActivity"), vk.calls("messages.setActivity"))
            for cid in (vk_case, tg_case):
                status, r = op.post("/api/cases/%d/claim" % cid)
                check(status == 200, r)
            status, r = op.post("/api/cases/%d/typing" % vk_case, csrf=False)
            check(status == 403, "typing without the CSRF token: %s" % status)

            # 9 s of typing, a notice asked for every 0.25 s: three at most reach VK.
            sent = type_for(op, vk_case, 9.0)
            calls = wait_for(lambda: vk.calls("messages.setActivity") or None, 5, 0.1,
                             "messages.setActivity")
            time.sleep(0.3)
            calls = vk.calls("messages.setActivity")
            check(len(calls) == sent and 2 <= sent <= 3, "setActivity %d, sent %d: %s"
                  % (len(calls), sent, calls))
            for c in calls:
                check(c["params"].get("peer_id") == "5001" and c["params"].get("type") == "typing",
                      c)
            gaps = [(b["recv_ns"] - a["recv_ns"]) / 1e9 for a, b in zip(calls, calls[1:])]
            check(all(g >= THROTTLE_S - 0.2 for g in gaps), "setActivity too often: %s" % gaps)

            # Telegram: one sendChatAction for a burst; the VK case's throttle is its own.
            check(type_for(op, tg_case, 1.0) == 1, "one notice for a 1 s burst")
            calls = wait_for(lambda: tg.calls("sendChatAction") or None, 5, 0.1,
                             "sendChatAction")
            check(len(calls) == 1, calls)
            p = calls[0]["params"]
            check(str(p.get("chat_id")) == "7000005001" and p.get("action") == "typing", p)

            # The web chat shows it on the chat page.
            cust = Customer(bot)
            complain(cust)
            web_case = case_of(op, "web", cust.peer)
            status, r = op.post("/api/cases/%d/claim" % web_case)
            check(status == 200, r)
            status, r = op.post("/api/cases/%d/typing" % web_case)
            check(status == 200 and r["sent"], r)
            cust.ws.wait_for(lambda m: m["type"] == "typing", 5)


def rating_buttons(msg):
    kb = msg.get("keyboard") or {}
    return [b.get("callback_data") for row in kb.get("inline_keyboard", []) for b in row]


def test_resolved_case_is_rated():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    peer = 7000006001
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            complain_on(tg, peer, "chat_id")
            op = Session(bot, "oleg")
            cid = case_of(op, "telegram", peer)
            status, r = op.post("/api/cases/%d/claim" % cid)
            check(status == 200, r)
            before = len(tg.sent(peer=peer))
            status, r = op.post("/api/cases/%d/status" % cid,
                                {"status": "resolved", "resolution": "перезапустили профиль"})
            check(status == 200, r)
            question = wait_for(lambda: next((m for m in tg.sent(peer=peer)[before:]
                                              if rating_buttons(m)), None),
                                10, 0.1, "the rating question")
            check("Оцените" in question["text"], question["text"])
            buttons = rating_buttons(question)
            check(buttons == ["rate:%d:%d" % (cid, n) for n in range(1, 6)], buttons)

            # A forged press (another case) is a stale button, nothing is stored.
            before = len(tg.sent(peer=peer))
            tg.inject({"type": "callback_query", "chat_id": peer, "user_id": peer,
                       "data": "rate:%d:5" % (cid + 1000), "message_id": question["message_id"]})
            stale = wait_for(lambda: tg.sent(peer=peer)[before:] or None, 10, 0.1, "stale reply")
            check("кнопка уже не работает" in stale[0]["text"], stale[0]["text"])

            before = len(tg.sent(peer=peer))
            tg.inject({"type": "callback_query", "chat_id": peer, "user_id": peer,
                       "data": buttons[3], "message_id": question["message_id"]})
            thanks = wait_for(lambda: tg.sent(peer=peer)[before:] or None, 10, 0.1, "thanks")
            check("Спасибо за оценку" in thanks[0]["text"], thanks[0]["text"])

            status, r = op.get("/api/cases/%d" % cid)
            check(status == 200 and r["case"].get("rating", {}).get("score") == 4, r["case"])
            admin = Session(bot, "marina")
            status, r = admin.get("/api/audit?case_id=%d" % cid)
            check(any(a.get("action") == "rating" and a.get("detail") == "4"
                      for a in r["audit"]), r["audit"])
            status, rep = admin.get("/api/reports?days=1")
            check(status == 200, rep)
            sat = rep["satisfaction"]
            check(sat["asked"] == 1 and sat["count"] == 1 and sat["average"] == 4, sat)
            check(sat["distribution"] == [0, 0, 0, 1, 0], sat)
            check(sat["operators"] == [{"login": "oleg", "count": 1, "average": 4}], sat)


def main():
    r = Runner()
    for t in [test_customer_sees_typing, test_resolved_case_is_rated]:
        r.run(t)
    r.finish()


if __name__ == "__main__":
    main()
