#!/usr/bin/env python3
"""The idea board against the real binary and the fakes: a Telegram customer proposes an
idea ("у меня есть предложение", what, why) and is thanked with its number; two VK
customers see the top ideas and vote with the buttons (a replayed press and a second
press count once); an admin lists, routes, merges (votes merged, no double votes) and
changes the status in the console API (session and CSRF needed, operators refused), each
change in the idea's audit; the author hears of each status change through the outbox;
the export is JSON or CSV with the UTF-8 BOM; hostile texts are stored as data."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402
from test_console import Session, raw  # noqa: E402
from test_console_loop import TG_TOKEN, VK_TOKEN, bot_config  # noqa: E402

AUTHOR = 7000008001
VOTERS = [6001, 6002]


def say_tg(tg, peer, text):
    """Sends text from a Telegram customer; returns the bot's new messages."""
    before = len(tg.sent(peer=peer))
    tg.inject({"chat_id": peer, "user_id": peer, "text": text})
    return wait_for(lambda: tg.sent(peer=peer)[before:] or None, 10, 0.1,
                    "a reply to %r" % text)


def say_vk(vk, peer, text):
    before = len(vk.sent(peer=peer))
    vk.inject({"peer_id": peer, "from_id": peer, "text": text})
    return wait_for(lambda: vk.sent(peer=peer)[before:] or None, 10, 0.1,
                    "a reply to %r" % text)


def vk_buttons(msg):
    """The (label, payload token) of each button of a VK message."""
    kb = msg.get("keyboard") or {}
    if isinstance(kb, str):
        kb = json.loads(kb)
    out = []
    for row in kb.get("buttons", []):
        for b in row:
            a = b.get("action", {})
            p = a.get("payload")
            token = json.loads(p).get("p") if isinstance(p, str) else None
            out.append((a.get("label"), token, p))
    return out


def press_vk(vk, peer, payload, event_id=None):
    item = {"type": "message_event", "peer_id": peer, "user_id": peer,
            "payload": json.loads(payload)}
    if event_id:
        item["event_id"] = event_id
    return vk.inject(item)


def idea_of(admin, idea_id):
    status, r = admin.get("/api/ideas/%d" % idea_id)
    check(status == 200, "idea %d: %s %s" % (idea_id, status, r))
    return r


def propose(tg, peer, what, why):
    """Goes through the collection; returns the idea's number from the thanks."""
    r = say_tg(tg, peer, "Здравствуйте, у меня есть предложение")
    check("что вы предлагаете" in r[-1]["text"], r[-1]["text"])
    # A text in Latin letters (the hostile one) is answered in English.
    r = say_tg(tg, peer, what)
    check("Чем это поможет" in r[-1]["text"] or "How would it help" in r[-1]["text"],
          r[-1]["text"])
    r = say_tg(tg, peer, why)
    text = r[-1]["text"]
    mark = "№" if "№" in text else "#"
    check(("Спасибо за идею" in text or "Thank you for the idea" in text) and mark in text, text)
    return int(text.split(mark, 1)[1].split()[0])


def test_idea_board():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            first = propose(tg, AUTHOR, "Сделайте семейный тариф на пятерых",
                            "Вся семья платила бы меньше")
            hostile = '<script>window.__pwned=1</script> "; DROP TABLE ideas; --'
            second = propose(tg, AUTHOR + 1, hostile, "=1+1")
            check(second == first + 1, (first, second))

            # Two VK customers ask for the top ideas and vote with the buttons.
            event = None
            for n, peer in enumerate(VOTERS):
                r = say_vk(vk, peer, "покажи лучшие идеи")
                top = r[-1]
                check("Семейный" in top["text"] or "семейный" in top["text"], top["text"])
                buttons = vk_buttons(top)
                tokens = [t for _, t, _ in buttons]
                check("idea:vote:%d" % first in tokens, buttons)
                payload = next(p for _, t, p in buttons if t == "idea:vote:%d" % first)
                before = len(vk.sent(peer=peer))
                got = press_vk(vk, peer, payload)
                event = got[0]["event_id"] if n == 0 else event
                thanks = wait_for(lambda: vk.sent(peer=peer)[before:] or None, 10, 0.1,
                                  "the vote's thanks")
                check("голос" in thanks[-1]["text"], thanks[-1]["text"])
            # The first voter's press replayed (same event) and pressed again: once.
            press_vk(vk, VOTERS[0], payload, event_id=event)
            before = len(vk.sent(peer=VOTERS[0]))
            press_vk(vk, VOTERS[0], payload)
            wait_for(lambda: vk.sent(peer=VOTERS[0])[before:] or None, 10, 0.1, "second press")

            admin = Session(bot, "marina")
            status, r = admin.get("/api/ideas")
            check(status == 200, r)
            ideas = {i["id"]: i for i in r["ideas"]}
            check(ideas[first]["votes"] == 2, ideas[first])
            check(ideas[first]["channel"] == "telegram" and ideas[first]["user_id"] == AUTHOR,
                  ideas[first])
            check(ideas[second]["what"] == hostile, ideas[second])
            check([s["label"] for s in r["statuses"]] ==
                  ["новая", "на рассмотрении", "запланирована", "сделана", "отклонена"],
                  r["statuses"])
            check("Тарифы и цены" in r["units"], r["units"])

            # Operators and requests without the CSRF token are refused.
            oleg = Session(bot, "oleg")
            status, _ = oleg.get("/api/ideas")
            check(status == 403, "an operator listed ideas: %s" % status)
            status, _ = admin.post("/api/ideas/%d/status" % first, {"status": "review"},
                                   csrf=False)
            check(status == 403, "a change without CSRF: %s" % status)
            status, _, _ = raw(bot, "GET", "/api/ideas")
            check(status == 401, "no session: %s" % status)

            # Route to a unit; an unknown unit is refused.
            status, r = admin.post("/api/ideas/%d/route" % first, {"unit": "Тарифы и цены"})
            check(status == 200 and r["idea"]["unit"] == "Тарифы и цены", r)
            status, r = admin.post("/api/ideas/%d/route" % first, {"unit": "Отдел котиков"})
            check(status == 409, (status, r))

            # Each status change reaches the author through the outbox.
            for st, word in [("review", "на рассмотрении"), ("planned", "запланирована")]:
                before = len(tg.sent(peer=AUTHOR))
                status, r = admin.post("/api/ideas/%d/status" % first, {"status": st})
                check(status == 200 and r["notified"] and r["idea"]["status"] == st, r)
                told = wait_for(lambda: tg.sent(peer=AUTHOR)[before:] or None, 10, 0.1,
                                "the author's notice of %s" % st)
                check(word in told[-1]["text"] and "№%d" % first in told[-1]["text"],
                      told[-1]["text"])
            status, r = admin.post("/api/ideas/%d/status" % first, {"status": "planned"})
            check(status == 409, "the same status again: %s %s" % (status, r))
            status, r = admin.post("/api/ideas/%d/status" % first, {"status": "maybe"})
            check(status == 400, (status, r))

            # Merge the second into the first: a voter of both counts once.
            before = len(vk.sent(peer=VOTERS[1]))
            press_vk(vk, VOTERS[1], payload.replace(str(first), str(second)))
            wait_for(lambda: vk.sent(peer=VOTERS[1])[before:] or None, 10, 0.1, "vote 2")
            check(idea_of(admin, second)["idea"]["votes"] == 1, "second's vote")
            status, r = admin.post("/api/ideas/%d/merge" % second, {"into": first})
            check(status == 200 and r["idea"]["id"] == first and r["idea"]["votes"] == 2, r)
            check(idea_of(admin, second)["idea"]["merged_into"] == first, "merged_into")
            audit = idea_of(admin, first)["audit"]
            check([a["action"] for a in audit] == ["idea_route", "idea_status", "idea_status"]
                  and all(a["actor"] == "marina" for a in audit), audit)
            check(idea_of(admin, second)["audit"][0]["action"] == "idea_merge", "merge audit")

            # Exports: JSON, and CSV with the BOM (a formula-like cell neutralised).
            status, body, headers = raw(bot, "GET", "/api/ideas/export?format=json",
                                        headers={"Cookie": admin.cookie})
            check(status == 200 and len(json.loads(body)) == 2, (status, body[:200]))
            req_csv = raw(bot, "GET", "/api/ideas/export?format=csv&sep=%3B",
                          headers={"Cookie": admin.cookie})
            status, body, headers = req_csv
            check(status == 200 and headers.get("Content-Type", "").startswith("text/csv"),
                  (status, headers))
            check(body.startswith("\ufeffid;created_at;"), body[:40])
            check('"\'=1+1"' in body, body)
            log = bot.read_log()
            check("idea" in log, "no idea log line")


def main():
    r = Runner()
    r.run(test_idea_board)
    r.finish()


if __name__ == "__main__":
    main()
