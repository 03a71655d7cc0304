#!/usr/bin/env python3
"""The console's learning page «Непонятые вопросы» against the real binary (issue #12
item 6): a web-chat customer asks something the bot does not understand; the admin sees
it in GET /api/misses, attaches it to an intent (the file edited as text: one line
added, the rest byte for byte), and the same question is then answered with that
intent; undo puts the file back byte for byte and the question falls back again, its
miss listed again. A change that would break the set (a new intent with too few
examples) is refused with the reason and writes nothing; an operator, a request
without the CSRF token and one without a session are refused. With --pg the same on a
PostgreSQL store (a throwaway cluster)."""

import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Deskbot, Runner, check  # noqa: E402
from test_console import Customer, Session, config, raw  # noqa: E402

QUESTION = "какого цвета ваш логотип"
INTENT = "support_contacts"
FILE = "intents/services.json"


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def answer_of(customer, text):
    customer.say(text)
    return customer.reply()["text"]


def groups_with(admin, text, query=""):
    status, r = admin.get("/api/misses" + query)
    check(status == 200, "misses: %s %s" % (status, r))
    return [g for g in r["groups"] if text in g["examples"]], r


def test_attach_answer_undo(store=None):
    with Deskbot(config=config(**({"store": store} if store else {}))) as bot:
        path = os.path.join(bot.dir, "replies", FILE)
        with open(path, encoding="utf-8") as f:
            original = f.read()
        customer = Customer(bot)
        fallback = answer_of(customer, QUESTION)
        admin = Session(bot, "marina")

        # Refused: an operator, no CSRF token, no session.
        oleg = Session(bot, "oleg")
        status, _ = oleg.get("/api/misses")
        check(status == 403, "an operator listed misses: %s" % status)
        status, _ = admin.post("/api/misses/attach", {"intent": INTENT, "texts": [QUESTION]},
                               csrf=False)
        check(status == 403, "an attach without CSRF: %s" % status)
        status, _, _ = raw(bot, "POST", "/api/misses/attach",
                           {"intent": INTENT, "texts": [QUESTION]})
        check(status == 401, "an attach without a session: %s" % status)
        check(sha(path) == hashlib.sha256(original.encode()).hexdigest(),
              "a refused request changed the file")

        found, r = groups_with(admin, QUESTION)
        check(len(found) == 1, "the question is not listed: %s" % r)
        group = found[0]
        check(group["outcome"] == "fallback" and group["count"] >= 1, group)
        check(group["intent"] and group["intent_title"], "no best guess: %s" % group)
        check(any(i["id"] == INTENT for i in r["intents"]), "no intent list")
        found, _ = groups_with(admin, QUESTION, "?outcome=clarify")
        check(not found, "the outcome filter let a fallback through")

        # A change that would break the set: refused with the reason, nothing written.
        status, r = admin.post("/api/misses/create",
                               {"id": "logo", "title": "Логотип", "answer": "Синий.",
                                "texts": [QUESTION]})
        check(status == 422, "a broken set accepted: %s %s" % (status, r))
        check(any("at least 3" in e for e in r.get("errors", [])), r)
        check(not os.path.exists(os.path.join(bot.dir, "replies", "intents", "logo.json")),
              "a refused intent file was written")

        status, r = admin.post("/api/misses/attach", {"intent": INTENT, "group": group["ids"]})
        check(status == 200 and r["added"] == 1, "attach: %s %s" % (status, r))
        with open(path, encoding="utf-8") as f:
            edited = f.read()
        # One line more, in its neighbours' indentation; the line before it gains the
        # comma JSON needs; every other line byte for byte.
        old_lines, new_lines = original.split("\n"), edited.split("\n")
        check(len(new_lines) == len(old_lines) + 1, "more than a line added")
        at = next(i for i, ln in enumerate(new_lines) if QUESTION in ln)
        check(new_lines[:at - 1] == old_lines[:at - 1] and new_lines[at + 1:] == old_lines[at:],
              "other lines changed")
        check(new_lines[at - 1] == old_lines[at - 1] + ",", new_lines[at - 1])
        indent = lambda ln: ln[:len(ln) - len(ln.lstrip())]  # noqa: E731
        check(indent(new_lines[at]) == indent(new_lines[at - 1]), "indentation: %r" % new_lines[at])
        check("+" in r["diff"] and QUESTION in r["diff"], r["diff"])
        found, _ = groups_with(admin, QUESTION)
        check(not found, "an attached miss is still listed")

        answered = answer_of(customer, QUESTION)
        check(answered != fallback, "still not understood after the attach: %s" % answered)
        status, changes = admin.get("/api/misses/changes")
        check(status == 200 and changes["changes"][0]["intent"] == INTENT, changes)
        change = changes["changes"][0]["id"]
        check(changes["changes"][0]["attached"] >= 1, changes)

        # Undo refused while the file differs from what the change wrote.
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n")
        status, r = admin.post("/api/misses/changes/%d/undo" % change)
        check(status == 409, "undo over a changed file: %s %s" % (status, r))
        with open(path, "w", encoding="utf-8") as f:
            f.write(edited)

        status, r = admin.post("/api/misses/changes/%d/undo" % change)
        check(status == 200, "undo: %s %s" % (status, r))
        with open(path, encoding="utf-8") as f:
            check(f.read() == original, "undo did not put the file back")
        again = answer_of(customer, QUESTION)
        check(again == fallback, "still answered after the undo: %s" % again)
        found, _ = groups_with(admin, QUESTION)
        check(found and found[0]["count"] >= 2, "the miss did not come back: %s" % found)
        status, r = admin.post("/api/misses/changes/%d/undo" % change)
        check(status == 409, "a second undo: %s" % status)

        # «Новый интент» from the group: a file of its own, the question answered
        # with its answer; undoing it removes the file.
        found, _ = groups_with(admin, QUESTION)
        new_file = os.path.join(bot.dir, "replies", "intents", "logo.json")
        status, r = admin.post("/api/misses/create",
                               {"id": "logo", "title": "Логотип", "answer": "Наш логотип синий.",
                                "texts": [QUESTION, "логотип какого цвета", "цвет логотипа компании",
                                          QUESTION.upper()],
                                "ids": found[0]["ids"]})
        check(status == 200 and r["added"] == 3, "create: %s %s" % (status, r))
        check(os.path.exists(new_file) and r["diff"].startswith("--- /dev/null"), r["diff"])
        found, _ = groups_with(admin, QUESTION)
        check(not found, "the created intent's misses are still listed")
        check("логотип синий" in answer_of(customer, QUESTION), "the new intent does not answer")
        status, r = admin.post("/api/misses/changes/%d/undo" % r["change"])
        check(status == 200 and not os.path.exists(new_file), "undo of a create: %s %s" % (status, r))
        check(answer_of(customer, QUESTION) == fallback, "answered after the create was undone")

        log = bot.read_log()
        check("misses: attached to support_contacts" in log, "no log line of the change")


def test_on_postgresql(cluster):
    test_attach_answer_undo({"url": cluster.database("misses")})


def main():
    if sys.argv[1:] == ["--pg"]:
        from test_postgres import run_on_a_cluster
        del sys.argv[1:]  # its own argv names the tests to run
        run_on_a_cluster("it_misses_pg", [test_on_postgresql])
        return
    r = Runner()
    r.run(test_attach_answer_undo)
    r.finish()


if __name__ == "__main__":
    main()
