"""Hostile channels: the real binary against both fakes in hostile mode.

Each round asks a fake (POST /_control/hostile, tests/fakes/hostile.py) for a seeded mix
of legal-but-nasty updates (lone and reversed surrogate escapes, \\u0000, raw invalid
UTF-8, overlong texts, every attachment kind without text, unknown types and fields,
huge and negative ids, numbers as strings, fields missing, arrays where objects are
expected, stale and forged buttons, a duplicate delivery), ordinary messages, and one
or more elements that are not JSON at all, all in the same long-poll answer. Then:

  * every message-like update is answered exactly once (a reply naming it, or for
    button presses and id-less chat messages, the callback answered once and a reply
    in that conversation);
  * nothing else is answered (no reply to an ignorable or undecodable update's peer,
    and no reply to a peer that was never in the mix, e.g. a rounded huge id);
  * an undecodable element costs only itself; an unknown button gets the menu;
  * the bot stays up and keeps answering.

Figures are printed as plain lines per channel: updates sent, message-like, answered,
doubles, lost, unexpected replies."""

import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402

VK_TOKEN = "vk-test-token-secret-0001"
TG_TOKEN = "123456:TEST-token-secret-0002"
EMPTY_TEXT = "сообщение пустое"
STALE_TEXT = "кнопка уже не работает"

# (seed, ordinary messages, undecodable elements) per round; round 1 has exactly one
# undecodable element among ~90 others in the same answer.
VK_ROUNDS = [(1, 20, 1), (2, 15, 1), (3, 10, 3)]
TG_ROUNDS = [(1, 20, 1), (2, 15, 1), (3, 10, 2)]


def bot_config(vk, tg):
    return {"log": {"level": "info"},
            "vk": {"token": VK_TOKEN, "group_id": 123456, "api_url": vk.base_url + "/method",
                   "wait": 2, "rate_per_s": 1000, "chat_rate_per_s": 1000},
            "telegram": {"token": TG_TOKEN, "api_url": tg.base_url, "timeout": 2,
                         "rate_per_s": 1000, "chat_rate_per_s": 1000}}


class Tally:
    def __init__(self, name):
        self.name = name
        self.updates = self.message_like = self.ignorable = self.undecodable = 0
        self.answered = self.doubles = self.lost = self.unexpected = 0
        self.problems = []

    def line(self):
        return ("%s: %d updates sent (%d message-like, %d ignorable, %d undecodable); "
                "answered %d, doubles %d, lost %d, unexpected replies %d"
                % (self.name, self.updates, self.message_like, self.ignorable,
                   self.undecodable, self.answered, self.doubles, self.lost, self.unexpected))


def callback_calls(fake, kind):
    if kind == "vk":
        calls = fake.calls("messages.sendMessageEventAnswer")
        return collections.Counter(c["params"].get("event_id") for c in calls)
    calls = fake.calls("answerCallbackQuery")
    return collections.Counter(str(c["params"].get("callback_query_id")) for c in calls)


def judge(fake, kind, cases, since, tally, timeout=60):
    """Waits until every case to answer has its answer (or timeout), lets late doubles
    arrive, then counts. Returns the messages sent in this round."""
    answer = [c for c in cases if c["expect"] == "answer"]

    def by_reply(sent):
        return collections.Counter((m["peer"], m.get("reply_to")) for m in sent)

    def is_answered(c, sent, replies, cbs):
        if c["callback_id"]:
            return cbs[c["callback_id"]] >= 1 and any(m["peer"] == c["peer"] for m in sent)
        if c["message_id"] and (kind == "telegram" or c["peer"] < 2000000000):
            return replies[(c["peer"], c["message_id"])] >= 1
        return any(m["peer"] == c["peer"] for m in sent)

    def all_answered():
        sent = fake.sent(since=since)
        replies, cbs = by_reply(sent), callback_calls(fake, kind)
        return all(is_answered(c, sent, replies, cbs) for c in answer)
    try:
        wait_for(all_answered, timeout, 0.2, "%s hostile round answered" % kind)
    except TimeoutError:
        pass  # counted as lost below, with the cases named
    time.sleep(1.5)  # a double would come after the first answer
    sent = fake.sent(since=since)
    replies, cbs = by_reply(sent), callback_calls(fake, kind)
    per_peer = collections.defaultdict(list)
    for m in sent:
        per_peer[m["peer"]].append(m)
    answer_peers = {c["peer"] for c in answer}
    for c in cases:
        tally.updates += 1
        if c["expect"] == "dup":
            continue  # a second delivery of a message counted once, as "answer"
        if c["expect"] == "lost":
            tally.undecodable += 1
        elif c["expect"] == "ignore":
            tally.ignorable += 1
        else:
            tally.message_like += 1
        got = per_peer.get(c["peer"], [])
        if c["expect"] != "answer":
            if got and c["peer"] not in answer_peers:
                tally.unexpected += len(got)
                tally.problems.append("%s %s (%s) answered: %r" % (
                    kind, c["label"], c["expect"], got[0]["text"][:60]))
            continue
        if not is_answered(c, sent, replies, cbs):
            tally.lost += 1
            tally.problems.append("%s %s (peer %s) not answered" % (kind, c["label"], c["peer"]))
            continue
        tally.answered += 1
        # Exactly once: one callback answer, and no reply sent twice.
        extra = 0
        if c["callback_id"]:
            extra += cbs[c["callback_id"]] - 1
        keys = [(m.get("reply_to"), m["text"]) for m in got]
        extra += len(keys) - len(set(keys))
        if extra:
            tally.doubles += extra
            tally.problems.append("%s %s answered %d extra time(s)" % (kind, c["label"], extra))
        # A button press is never told its message is empty; an unknown one gets
        # the stale-button text with the menu.
        if c["callback_id"]:
            texts = " | ".join(m["text"] for m in got)
            if EMPTY_TEXT in texts:
                tally.problems.append("%s %s got the empty-message text" % (kind, c["label"]))
            if "known" not in c["label"] and (STALE_TEXT not in texts or
                                              not any(m.get("keyboard") for m in got)):
                tally.problems.append("%s %s did not get the stale-button menu: %r" % (
                    kind, c["label"], texts[:80]))
    known = {c["peer"] for c in cases}
    for peer, msgs in per_peer.items():
        if peer not in known:
            tally.unexpected += len(msgs)
            tally.problems.append("%s reply to a peer not in the mix: %s" % (kind, peer))
    return sent


def healthy(bot):
    status, h = bot.get_json("/healthz")
    return status == 200 and h["channels"]["vk"]["state"] == "polling" and \
        h["channels"]["telegram"]["state"] == "polling"


def test_hostile_mix_every_message_answered_once():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=900)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=900)
    with vk, tg:
        vk.config(lp_batch=1000)  # each round in one long-poll answer
        with Deskbot(config=bot_config(vk, tg)) as bot:
            tallies = []
            for kind, fake, rounds in (("vk", vk, VK_ROUNDS), ("telegram", tg, TG_ROUNDS)):
                t = Tally("VK" if kind == "vk" else "Telegram")
                for seed, ordinary, bad in rounds:
                    since = len(fake.sent())
                    cases = fake.control("hostile", {"seed": seed, "ordinary": ordinary,
                                                     "undecodable": bad})["cases"]
                    judge(fake, kind, cases, since, t)
                    check(bot.proc.poll() is None, "deskbot died during a hostile round")
                print(t.line(), flush=True)
                tallies.append(t)
            log = bot.read_log()
            dropped = log.count("is unreadable")
            print("undecodable elements logged and dropped one by one: %d" % dropped, flush=True)
            problems = [p for t in tallies for p in t.problems]
            for p in problems[:40]:
                print("  problem: %s" % p, flush=True)
            for t in tallies:
                check(t.lost == 0, "%s: %d message-like updates lost" % (t.name, t.lost))
                check(t.doubles == 0, "%s: %d doubles" % (t.name, t.doubles))
                check(t.unexpected == 0, "%s: %d unexpected replies" % (t.name, t.unexpected))
            check(not problems, "%d problem(s), first: %s" % (len(problems), problems[:1]))
            want_bad = sum(r[2] for r in VK_ROUNDS) + sum(r[2] for r in TG_ROUNDS)
            check(dropped >= want_bad, "only %d of %d undecodable elements logged as dropped"
                  % (dropped, want_bad))
            check("unreadable three times" not in log, "a whole VK batch was skipped")
            check("fetching updates one by one" not in log, "Telegram isolated a batch")
            # Still up, still answering ordinary traffic on both channels.
            check(healthy(bot), "channels not polling after the hostile rounds")
            a = vk.inject({"peer_id": 890000001, "from_id": 890000001, "text": "баланс"})[0]
            b = tg.inject({"chat_id": 8900000001, "user_id": 8900000001, "text": "баланс"})[0]
            wait_for(lambda: any(m.get("reply_to") == a["message_id"] for m in vk.sent()), 20,
                     0.1, "VK answered after the hostile rounds")
            wait_for(lambda: any(m.get("reply_to") == b["message_id"] for m in tg.sent()), 20,
                     0.1, "Telegram answered after the hostile rounds")


if __name__ == "__main__":
    r = Runner()
    r.run(test_hostile_mix_every_message_answered_once)
    r.finish()
