"""Several official pages in one instance, through the real binary: two VK communities
and two Telegram bots, each on its own fake. Every customer message is answered exactly
once on the page it came to (the same user on two pages is two conversations), each
page keeps its own cursor across a restart, /healthz and /metrics show each page, and a
case names the page it was opened on."""

import collections
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402
from test_console import PASSWORD, Session, password_hash  # noqa: E402

VK_MAIN = ("vk-token-pages-main-0001", 111111)
VK_NORTH = ("vk-token-pages-north-0002", 222222)
TG_MAIN = "111111:TEST-token-pages-main"
TG_SALES = "222222:TEST-token-pages-sales"
FAST = {"rate_per_s": 1000, "chat_rate_per_s": 1000}


def fakes():
    return {"vk": FakeServer("vk", token=VK_MAIN[0], group_id=VK_MAIN[1], max_seconds=600),
            "vk:north": FakeServer("vk", token=VK_NORTH[0], group_id=VK_NORTH[1],
                                   max_seconds=600),
            "telegram": FakeServer("telegram", token=TG_MAIN, max_seconds=600),
            "telegram:sales": FakeServer("telegram", token=TG_SALES, max_seconds=600)}


def config(f):
    """The section's own page as before pages existed, plus one labelled page each; the
    north community's token comes from the environment (DESKBOT_VK_TOKEN_NORTH)."""
    vk = dict(FAST, token=VK_MAIN[0], group_id=VK_MAIN[1], wait=2,
              api_url=f["vk"].base_url + "/method",
              pages=[{"label": "north", "title": "ВК Север", "group_id": VK_NORTH[1],
                      "api_url": f["vk:north"].base_url + "/method"}])
    tg = dict(FAST, token=TG_MAIN, timeout=2, api_url=f["telegram"].base_url,
              pages=[{"label": "sales", "title": "Продажи", "token": TG_SALES,
                      "api_url": f["telegram:sales"].base_url}])
    return {"log": {"level": "info"}, "vk": vk, "telegram": tg}


ENV = {"DESKBOT_VK_TOKEN_NORTH": VK_NORTH[0]}


def inject(fake, n, peers, text, base_peer):
    if fake.kind == "vk":
        items = [{"peer_id": base_peer + i % peers, "from_id": base_peer + i % peers,
                  "text": "%s %d" % (text, i)} for i in range(n)]
    else:
        items = [{"chat_id": base_peer + i % peers, "user_id": base_peer + i % peers,
                  "text": "%s %d" % (text, i)} for i in range(n)]
    return fake.inject(items)


def key(item):
    return (item.get("peer_id", item.get("chat_id")), item["message_id"])


def replies_by_message(fake):
    by = collections.defaultdict(list)
    for m in fake.sent():
        if m.get("reply_to"):
            by[(m["peer"], m["reply_to"])].append(m)
    return by


def answered_once(fake, injected, timeout=30):
    """Every injected message has exactly one reply naming it on this fake, and this
    fake answered nothing else."""
    want = {key(i) for i in injected}
    wait_for(lambda: want <= set(replies_by_message(fake)), timeout, 0.1,
             "replies to %d messages on %s" % (len(want), fake.kind))
    time.sleep(0.5)  # a double would come at once
    by = replies_by_message(fake)
    doubles = {k: len(v) for k, v in by.items() if len(v) > 1}
    check(not doubles, "answered more than once: %s" % list(doubles.items())[:5])
    check(set(by) == want, "%s answered messages it was not sent: %s" % (
        fake.kind, sorted(set(by) - want)[:5]))


# The same customers (peer ids) write to every page: four conversations each.
PEERS = {"vk": 5000, "vk:north": 5000, "telegram": 7100000000, "telegram:sales": 7100000000}


def test_each_page_answers_its_own_customers_once():
    f = fakes()
    with f["vk"], f["vk:north"], f["telegram"], f["telegram:sales"]:
        with Deskbot(config=config(f), env=ENV) as bot:
            sent = {p: inject(f[p], 40, 5, "как проверить баланс " + p, PEERS[p]) for p in f}
            for p in f:
                answered_once(f[p], sent[p])
            status, h = bot.get_json("/healthz")
            for p in f:
                check(h["channels"][p]["state"] == "polling", (p, h["channels"]))
            check(h["channels"]["vk:north"]["title"] == "ВК Север", h["channels"])
            check(h["channels"]["vk:north"]["platform"] == "vk", h["channels"])
            check(h["channels"]["telegram:sales"]["label"] == "sales", h["channels"])
            check("label" not in h["channels"]["vk"], "the single page got a label")
            status, metrics = bot.get("/metrics")
            for p in f:
                line = 'deskbot_updates_total{channel="%s"} 40' % p
                check(line in metrics, "no %s in /metrics" % line)
                check('deskbot_replies_sent_total{channel="%s"}' % p in metrics, p)
            log = bot.read_log()
            for secret in (VK_MAIN[0], VK_NORTH[0], TG_MAIN, TG_SALES):
                check(secret not in log and secret not in metrics, "a token leaked")
            check("vk:north: starting for community %d" % VK_NORTH[1] in log,
                  "the north page's log lines do not name it")


def test_cursors_per_page_across_a_restart():
    f = fakes()
    with f["vk"], f["vk:north"], f["telegram"], f["telegram:sales"]:
        bot = Deskbot(config=config(f), env=ENV)
        try:
            bot.start()
            first = {p: inject(f[p], 8, 4, "тариф " + p, PEERS[p]) for p in f}
            for p in f:
                answered_once(f[p], first[p])
            bot.stop()
            db = sqlite3.connect(os.path.join(bot.dir, "deskbot.db"))
            cursors = dict(db.execute("SELECT channel, value FROM cursors"))
            check(set(f) <= set(cursors), "a page has no cursor: %s" % cursors)
            inbound = dict(db.execute("SELECT channel, count(*) FROM inbound GROUP BY channel"))
            check(all(inbound.get(p) == 8 for p in f), inbound)
            convs = dict(db.execute("SELECT channel, count(*) FROM conversations "
                                    "GROUP BY channel"))
            check(all(convs.get(p) == 4 for p in f), "conversations per page: %s" % convs)
            db.close()
            # Only some pages get messages while the bot is down: each page resumes
            # from its own cursor, none replays another's and none skips.
            down = {p: inject(f[p], 6, 3, "пока бот спал " + p, PEERS[p] + 100)
                    for p in ("vk:north", "telegram")}
            bot.start()
            for p in f:
                answered_once(f[p], first[p] + down.get(p, []))
            for p in ("vk", "vk:north"):
                check(f[p].stats()["duplicates_suppressed"] == 0, "%s resent" % p)
            bot.stop()
        finally:
            bot.cleanup()


def test_a_case_names_its_page():
    f = fakes()
    with f["vk"], f["vk:north"], f["telegram"], f["telegram:sales"]:
        cfg = config(f)
        cfg["operators"] = [{"login": "oleg", "password_hash": password_hash(PASSWORD),
                             "role": "operator"}]
        bot = Deskbot(config=cfg, env=ENV)
        try:
            bot.start()
            chat = 7100000777
            # The same customer asks for a person on the sales bot only.
            a = f["telegram:sales"].inject({"chat_id": chat, "user_id": chat,
                                           "first_name": "Анна",
                                           "text": "позовите живого человека"})
            b = f["telegram"].inject({"chat_id": chat, "user_id": chat, "first_name": "Анна",
                                      "text": "как проверить баланс"})
            answered_once(f["telegram:sales"], a)
            answered_once(f["telegram"], b)
            # The console: the session names the pages, the queue filters by page and
            # the case shows its page.
            oleg = Session(bot, "oleg")
            status, me = oleg.get("/api/session")
            pages = {p["id"]: p for p in me["pages"]}
            check(pages.get("telegram:sales") == {"id": "telegram:sales", "platform": "telegram",
                                                  "label": "sales", "title": "Продажи"}, me)
            check(pages["vk:north"]["title"] == "ВК Север", me["pages"])
            check("vk" not in pages and "telegram" not in pages, "single pages listed")
            status, body = oleg.get("/api/cases?channel=telegram:sales")
            check(status == 200 and len(body["cases"]) == 1, body)
            status, none = oleg.get("/api/cases?channel=telegram")
            check(status == 200 and not none["cases"], "the other bot's filter: %s" % none)
            status, one = oleg.get("/api/cases/%d" % body["cases"][0]["id"])
            check(one["case"]["page"]["title"] == "Продажи", one["case"])
            # An operator's reply goes out through the bot the customer wrote to.
            case_id = body["cases"][0]["id"]
            check(oleg.post("/api/cases/%d/claim" % case_id)[0] == 200, "claim")
            n_main = len(f["telegram"].sent())
            status, r = oleg.post("/api/cases/%d/reply" % case_id, {"text": "Олег на связи"})
            check(status == 200, "reply: %s %s" % (status, r))
            wait_for(lambda: any(m["text"] == "Олег на связи"
                                 for m in f["telegram:sales"].sent(peer=chat)), 15, 0.1,
                     "the operator's reply on the sales bot")
            time.sleep(0.5)
            check(len(f["telegram"].sent()) == n_main, "the other bot sent something")
            bot.stop()
            db = sqlite3.connect(os.path.join(bot.dir, "deskbot.db"))
            rows = db.execute("SELECT channel, record FROM cases").fetchall()
            db.close()
            check(len(rows) == 1, "cases: %s" % rows)
            channel, record = rows[0]
            record = json.loads(record)
            check(channel == "telegram:sales", channel)
            check(record["channel"] == "telegram:sales", record)
            check(record["page"] == {"label": "sales", "title": "Продажи"}, record.get("page"))
        finally:
            bot.cleanup()


if __name__ == "__main__":
    r = Runner()
    tests = [test_each_page_answers_its_own_customers_once,
             test_cursors_per_page_across_a_restart, test_a_case_names_its_page]
    only = sys.argv[1:]
    for t in tests:
        if not only or t.__name__ in only:
            r.run(t)
    r.finish()
