"""VK wall comments through the real binary and the VK fake: a complaint under a post
becomes a case linked to its thread, gets exactly one approved public reply (a replayed
event does not answer twice) and the case follows the author into private messages; a
provocation is flagged and never answered in public; a question gets its public
template; edits and deletes are recorded; nasty comment payloads do not stop the
others."""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402
import test_console  # noqa: E402
from test_complaints import export  # noqa: E402

VK_TOKEN = "vk-token-wall"
GROUP = 123456
REPLIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "replies")


def template(tid):
    with open(os.path.join(REPLIES, "templates.json"), encoding="utf-8") as f:
        for t in json.load(f)["templates"]:
            if t["id"] == tid:
                return t["text"]["ru"]
    raise AssertionError("no template %s" % tid)


def config(vk, console=False):
    cfg = test_console.config() if console else {}
    cfg["vk"] = {"token": VK_TOKEN, "group_id": GROUP, "api_url": vk.base_url + "/method",
                 "wait": 2, "rate_per_s": 1000, "chat_rate_per_s": 1000}
    return cfg


def comment(vk, user, text, post=10):
    r = vk.inject({"type": "wall_reply_new", "from_id": user, "text": text,
                   "post_id": post})[0]
    return r["comment_id"]


def replies_to(vk, cid):
    return [c for c in vk.calls("wall.createComment")
            if int(c["params"].get("reply_to_comment", 0)) == cid]


def case_of(bot, cid):
    for r in export(bot):
        if (r.get("wall") or {}).get("comment_id") == cid:
            return r
    return None


def test_complaint_troll_question():
    vk = FakeServer("vk", token=VK_TOKEN, group_id=GROUP)
    with vk, Deskbot(config=config(vk)) as bot:
        vk.control("users", [{"id": 601, "first_name": "Блогер", "followers_count": 250000}])
        # A complaint: one approved public reply, a case linked to the thread.
        c1 = comment(vk, 601, "уже третий день не работает интернет, безобразие")
        wait_for(lambda: replies_to(vk, c1), 15, 0.05, "the public reply to the complaint")
        call = replies_to(vk, c1)[0]["params"]
        check(call["message"] == template("public_complaint"), call)
        check(int(call["post_id"]) == 10 and int(call["owner_id"]) == -GROUP and
              int(call["from_group"]) == GROUP, call)
        check(not vk.sent(peer=601), "the bot wrote privately to a commenter first")
        wait_for(lambda: case_of(bot, c1), 10, 0.2, "the complaint's case")
        case1 = case_of(bot, c1)
        w = case1["wall"]
        check(w["post_id"] == 10 and w["owner_id"] == -GROUP and not w["troll"], w)
        check(w["link"] == "https://vk.com/wall-%d_10?reply=%d" % (GROUP, c1), w)
        check(case1["peer_id"] == 601 and case1["status"] == "new", case1)

        # The same event delivered again (a replay under another event id): not twice.
        vk.inject({"type": "wall_reply_new", "id": c1, "from_id": 601, "post_id": 10,
                   "text": "уже третий день не работает интернет, безобразие"})
        # A provocation in the same thread: flagged, never answered in public.
        c2 = comment(vk, 602, "делайте репост, пусть все узнают какие они обманщики")
        # Someone joining with the same problem.
        c3 = comment(vk, 603, "у меня тоже не работает интернет, ужас какой-то")
        wait_for(lambda: replies_to(vk, c3), 15, 0.05, "the second complainer's reply")
        wait_for(lambda: case_of(bot, c2) and case_of(bot, c3), 10, 0.2, "the cases")
        check(len(replies_to(vk, c1)) == 1, "complaint answered %d times" %
              len(replies_to(vk, c1)))
        check(not replies_to(vk, c2), "a provocation was answered in public")
        troll = case_of(bot, c2)
        check(troll["wall"]["troll"] and troll["flags"]["spread_call"], troll)
        t = case_of(bot, c3)["wall"]["thread"]
        check(t["replies"] == 3 and t["authors"] == [601, 602, 603], t)
        check(t["complaining"] == [601, 603] and t["trolls"] == [602], t)
        # The bot's own comments came back through the long poll: none answered.
        check(len(vk.calls("wall.createComment")) == 2, vk.calls("wall.createComment"))

        # A question: its approved public answer.
        c4 = comment(vk, 604, "как проверить баланс", post=11)
        wait_for(lambda: replies_to(vk, c4), 15, 0.05, "the question's public answer")
        check(replies_to(vk, c4)[0]["params"]["message"] == template("public_answer_balance"),
              replies_to(vk, c4))
        check(case_of(bot, c4) is None, "a question opened a case")

        # The complaint's author writes in private: the message joins his case.
        vk.inject({"peer_id": 601, "from_id": 601, "text": "пишу по поводу интернета в Химках"})
        wait_for(lambda: vk.sent(peer=601), 15, 0.05, "the private answer")

        def joined():
            tr = case_of(bot, c1).get("transcript") or []
            return any("Химках" in (line.get("text") or "") for line in tr)
        wait_for(joined, 10, 0.2, "the private message in the comment's case")

        # Edits and deletes: recorded, never answered.
        n_calls = len(vk.calls("wall.createComment"))
        vk.inject({"type": "wall_reply_edit", "id": c4, "from_id": 604, "post_id": 11,
                   "text": "как проверить баланс? уже не надо"})
        vk.inject({"type": "wall_reply_delete", "id": c4, "from_id": 604, "post_id": 11})
        # Nasty payloads next to an ordinary comment: each skipped with a log line.
        vk.inject({"raw": {"type": "wall_reply_new", "event_id": "n1",
                           "object": {"id": "строка", "from_id": 605, "post_id": 10,
                                      "owner_id": -GROUP}}},
                  {"raw": {"type": "wall_reply_new", "event_id": "n2",
                           "object": {"id": 99999, "from_id": 605, "owner_id": -GROUP}}},
                  {"raw_b64": base64.b64encode(
                      b'{"type":"wall_reply_new","event_id":"n3","object":{"id":99998,'
                      b'"from_id":606,"post_id":12,"owner_id":-123456,'
                      b'"text":"\xff\xfe \xd0 \xd0\xb1\xd0\xb0\xd0\xbb\xd0\xb0\xd0\xbd\xd1"}}'
                  ).decode()},
                  {"type": "wall_reply_new", "from_id": 607, "post_id": 12, "text": ""},
                  {"type": "wall_reply_new", "from_id": 608, "post_id": 12,
                   "text": "интернет " * 20000})
        c9 = comment(vk, 609, "как проверить баланс", post=12)
        wait_for(lambda: replies_to(vk, c9), 15, 0.05, "a comment after the nasty ones")
        later = vk.calls("wall.createComment")[n_calls:]
        check(not [c for c in later if int(c["params"]["reply_to_comment"]) == c4],
              "an edit or a delete was answered")
        check(len(later) == 3, "expected answers to the broken-UTF-8 question, the long "
              "complaint and the last question only: %s" % later)
        log = bot.read_log()
        check("wall_reply_new event with missing fields skipped" in log, "no log line")
        check("comment %d deleted" % c4 in log, "the delete was not recorded")


def test_public_view_and_secretary_reply():
    vk = FakeServer("vk", token=VK_TOKEN, group_id=GROUP)
    with vk, Deskbot(config=config(vk, console=True)) as bot:
        vk.control("users", [{"id": 701, "first_name": "Ольга", "followers_count": 48000}])
        c1 = comment(vk, 701, "уже третий день не работает интернет, безобразие", post=20)
        c2 = comment(vk, 702, "делайте репост, пусть все узнают какие они обманщики", post=20)
        c3 = comment(vk, 703, "как проверить баланс", post=20)
        wait_for(lambda: replies_to(vk, c1) and replies_to(vk, c3), 15, 0.05, "public replies")
        wait_for(lambda: case_of(bot, c1) and case_of(bot, c2), 10, 0.2, "the cases")
        s = test_console.Session(bot, "oleg")
        status, data = s.get("/api/public")
        check(status == 200 and len(data["threads"]) == 1, (status, data))
        t = data["threads"][0]
        check(t["post_id"] == 20 and t["replies"] == 3 and t["trolls"] == [702], t)
        by_id = {c["comment_id"]: c for c in t["comments"]}
        check(by_id[c1]["reading"] == "complaint" and by_id[c2]["reading"] == "troll" and
              by_id[c3]["reading"] == "question", by_id)
        # The author's reach arrives with users.get, after the comment.
        wait_for(lambda: s.get("/api/public")[1]["threads"][0]["comments"][0]["followers"]
                 == 48000, 10, 0.2, "the author's followers")
        ids = [x["id"] for x in data["templates"]]
        check("public_complaint" in ids and "apology" not in ids, ids)
        case_id = t["case_ids"][0]  # any case of the thread may answer in it
        # Only approved public templates, only comments of the case's thread.
        status, err = s.post("/api/cases/%d/public_reply" % case_id, {"template": "apology"})
        check(status == 422, (status, err, case_id))
        status, _ = s.post("/api/cases/%d/public_reply" % case_id,
                           {"template": "public_invite_private", "comment_id": 424242})
        check(status == 404, status)
        status, _ = s.post("/api/cases/%d/public_reply" % case_id,
                           {"template": "public_invite_private", "comment_id": c3})
        check(status == 200, status)
        wait_for(lambda: len(replies_to(vk, c3)) == 2, 10, 0.05, "the secretary's reply")
        check(replies_to(vk, c3)[1]["params"]["message"] == template("public_invite_private"),
              replies_to(vk, c3))
        # A deleted comment gets no reply.
        vk.inject({"type": "wall_reply_delete", "id": c3, "from_id": 703, "post_id": 20})
        wait_for(lambda: "comment %d deleted" % c3 in bot.read_log(), 10, 0.1, "the delete")
        status, _ = s.post("/api/cases/%d/public_reply" % case_id,
                           {"template": "public_invite_private", "comment_id": c3})
        check(status == 409, status)
        admin = test_console.Session(bot, "marina")
        status, audit = admin.get("/api/audit?case_id=%d" % case_id)
        check(status == 200, status)
        rows = [a for a in audit["audit"] if a.get("action") == "public_reply"]
        check(len(rows) == 1 and rows[0].get("actor", rows[0].get("login")) == "oleg" and
              "комментарий %d" % c3 in (rows[0].get("detail") or ""), rows)


if __name__ == "__main__":
    r = Runner()
    r.run(test_complaint_troll_question)
    r.run(test_public_view_and_secretary_reply)
    r.finish()
