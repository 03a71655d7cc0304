"""Live reload: messages keep flowing during 100 reloads, none is lost, each is answered
by the old or the new reply set and never a mix; a broken edit never reaches a customer
and the reload answer says exactly where it is broken."""

import json
import os
import re
import shutil
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402

TG_TOKEN = "123456:TEST-token-reload"
ADMIN = "admin-reload-token-0123456789abcdef"


def balance_answer(replies_dir, marker):
    """Rewrites the balance answer in place with a marker naming the variant."""
    path = os.path.join(replies_dir, "intents", "account.json")
    with open(path) as f:
        data = json.load(f)
    for it in data["intents"]:
        if it["id"] == "balance":
            base = it["answer"]["ru"].split(" [")[0]
            it["answer"]["ru"] = "%s [%s]" % (base, marker)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.rename(tmp, path)  # admins' editors replace files whole, too


def reload(bot):
    return bot.request("POST", "/admin/reload", headers={"Authorization": "Bearer " + ADMIN})


def test_hundred_reloads_under_load():
    tg = FakeServer("telegram", token=TG_TOKEN)
    with tg:
        bot = Deskbot(config={"admin": {"token": ADMIN},
                              "telegram": {"token": TG_TOKEN, "api_url": tg.base_url,
                                           "timeout": 2, "rate_per_s": 1000,
                                           "chat_rate_per_s": 1000}})
        replies = os.path.join(bot.dir, "replies")
        balance_answer(replies, "A")
        with bot:
            stop = threading.Event()
            injected = []

            def customers():
                i = 0
                while not stop.is_set():
                    got = tg.inject([{"chat_id": 7100000000 + (i + k) % 50,
                                      "user_id": 7100000000 + (i + k) % 50,
                                      "text": "как проверить баланс"} for k in range(5)])
                    injected.extend(got)
                    i += 5
                    time.sleep(0.01)
            t = threading.Thread(target=customers)
            t.start()
            versions = set()
            try:
                for n in range(100):
                    balance_answer(replies, "B" if n % 2 == 0 else "A")
                    status, body = reload(bot)
                    check(status == 200, "reload %d: %d %s" % (n, status, body))
                    versions.add(json.loads(body)["version"])
            finally:
                stop.set()
                t.join()
            check(len(versions) >= 2, "the version never changed: %s" % versions)
            want = {(i["chat_id"], i["message_id"]) for i in injected}

            def all_answered():
                got = {(m["peer"], m["reply_to"]) for m in tg.sent() if m.get("reply_to")}
                return want <= got
            wait_for(all_answered, 60, 0.2, "every message answered")
            # Each reply's text is the answer of the set version recorded with it.
            db = sqlite3.connect(os.path.join(bot.dir, "deskbot.db"))
            rows = db.execute("SELECT text, replyset_version FROM outbox WHERE "
                              "source = 'faq:balance'").fetchall()
            check(len(rows) >= len(want), "%d rows for %d messages" % (len(rows), len(want)))
            marker_of = {}
            for text, version in rows:
                m = re.search(r"\[([AB])\]$", text)
                check(m, "answer without a marker: %r" % text[-40:])
                marker_of.setdefault(version, set()).add(m.group(1))
            mixed = {v: s for v, s in marker_of.items() if len(s) > 1}
            check(not mixed, "one version answered with two texts: %s" % mixed)
            check(len(marker_of) >= 2, "all answers from one version: %s" % marker_of)
            print("reload: %d messages answered across %d reply-set versions during 100 reloads"
                  % (len(want), len(marker_of)), flush=True)


def test_broken_edit_never_reaches_customers():
    tg = FakeServer("telegram", token=TG_TOKEN)
    with tg:
        bot = Deskbot(config={"admin": {"token": ADMIN},
                              "telegram": {"token": TG_TOKEN, "api_url": tg.base_url,
                                           "timeout": 2}})
        replies = os.path.join(bot.dir, "replies")
        with bot:
            _, health = bot.get_json("/healthz")
            good = health["replies"]["version"]
            path = os.path.join(replies, "templates.json")
            with open(path) as f:
                text = f.read()
            # An admin's typo: a missing comma on line 5, and an unknown placeholder.
            lines = text.split("\n")
            lines[4] = lines[4].rstrip(",")
            with open(path, "w") as f:
                f.write("\n".join(lines))
            status, body = reload(bot)
            check(status == 422, "broken set accepted: %d %s" % (status, body))
            ans = json.loads(body)
            check(ans["ok"] is False and ans["version"] == good, ans)
            check(any(re.search(r"templates\.json:\d+:\d+: ", e) for e in ans["errors"]),
                  ans["errors"])
            tg.inject({"chat_id": 7200000001, "user_id": 7200000001, "text": "как проверить баланс"})
            wait_for(lambda: tg.sent(), 10, 0.05, "an answer")
            check("*100#" in tg.sent()[0]["text"], tg.sent()[0]["text"])
            # SIGHUP with the same broken file: still the good set.
            import signal
            bot.signal(signal.SIGHUP)
            time.sleep(0.5)
            _, health = bot.get_json("/healthz")
            check(health["replies"]["version"] == good, health)
            check("the running set stays in place" in bot.read_log(), "no log line")


if __name__ == "__main__":
    r = Runner()
    for t in (test_hundred_reloads_under_load, test_broken_edit_never_reaches_customers):
        if len(sys.argv) < 2 or t.__name__ in sys.argv[1:]:
            r.run(t)
    r.finish()
