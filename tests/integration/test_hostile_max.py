"""Hostile MAX: the real binary against tests/fakes/max_fake.py in hostile mode.

Each round asks the fake (POST /_control/hostile, hostile.max_cases) for a seeded mix of
legal-but-nasty updates (lone and reversed surrogate escapes, \\u0000, raw invalid
UTF-8, overlong texts, every attachment kind without text, unknown update types and
fields, huge ids and seq past 2^53, numbers as strings, fields missing, arrays where
objects are expected, bots and channel posts, stale, forged and orphaned buttons, the
same update delivered twice), ordinary messages, and elements that are not JSON, all in
the same /updates answer. As test_hostile_channels.py for VK and Telegram:

  * every message-like update is answered exactly once (its customer or group chat
    gets a reply, a button press its callback answered once);
  * nothing else is answered, and no peer outside the mix;
  * an undecodable element costs only itself; an unknown button gets the menu;
  * the bot stays up and keeps answering."""

import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402

MAX_TOKEN = "max-test-token-secret-0003"
EMPTY_TEXT = "сообщение пустое"
STALE_TEXT = "кнопка уже не работает"
ROUNDS = [(1, 20, 1), (2, 15, 1), (3, 10, 2)]


def judge(fake, cases, since, problems, timeout=60):
    answer = [c for c in cases if c["expect"] == "answer"]

    def state():
        sent = fake.sent(since=since)
        per_peer = collections.defaultdict(list)
        for m in sent:
            per_peer[m["peer"]].append(m)
        cbs = collections.Counter(c["params"]["callback_id"] for c in fake.calls("answers"))
        return per_peer, cbs

    def is_answered(c, per_peer, cbs):
        if c["callback_id"] and cbs[c["callback_id"]] < 1:
            return False
        return bool(per_peer.get(c["peer"]))
    try:
        wait_for(lambda: all(is_answered(c, *state()) for c in answer), timeout, 0.2,
                 "the hostile round answered")
    except TimeoutError:
        pass  # counted below, with the cases named
    time.sleep(1.5)  # a double would come after the first answer
    per_peer, cbs = state()
    tally = collections.Counter()
    answer_peers = {c["peer"] for c in answer}
    for c in cases:
        tally["updates"] += 1
        tally[{"answer": "message_like", "ignore": "ignorable", "lost": "undecodable",
               "dup": "dup"}[c["expect"]]] += 1
        got = per_peer.get(c["peer"], [])
        if c["expect"] in ("ignore", "lost"):
            if got and c["peer"] not in answer_peers:
                tally["unexpected"] += len(got)
                problems.append("%s (%s) answered: %r" % (c["label"], c["expect"],
                                                          got[0]["text"][:60]))
            continue
        if c["expect"] == "dup":
            continue  # the second delivery: its first is counted as "answer"
        if not is_answered(c, per_peer, cbs):
            tally["lost"] += 1
            problems.append("%s (peer %s) not answered" % (c["label"], c["peer"]))
            continue
        tally["answered"] += 1
        texts = [m["text"] for m in got]
        extra = len(texts) - len(set(texts))
        if c["callback_id"]:
            extra += cbs[c["callback_id"]] - 1
            joined = " | ".join(texts)
            if EMPTY_TEXT in joined:
                problems.append("%s got the empty-message text" % c["label"])
            if "known" not in c["label"] and (STALE_TEXT not in joined or
                                              not any(m["keyboard"] for m in got)):
                problems.append("%s did not get the stale-button menu: %r" % (
                    c["label"], joined[:80]))
        if extra:
            tally["doubles"] += extra
            problems.append("%s answered %d extra time(s)" % (c["label"], extra))
    known = {c["peer"] for c in cases}
    for peer, msgs in per_peer.items():
        if peer not in known:
            tally["unexpected"] += len(msgs)
            problems.append("reply to a peer not in the mix: %s" % peer)
    return tally


def test_hostile_mix_every_message_answered_once():
    with FakeServer("max", token=MAX_TOKEN, max_seconds=900) as fake:
        cfg = {"log": {"level": "info"},
               "max": {"api_url": fake.base_url, "timeout": 2, "limit": 1000,
                       "rate_per_s": 1000, "chat_rate_per_s": 1000}}
        with Deskbot(config=cfg, env={"DESKBOT_MAX_TOKEN": MAX_TOKEN}) as bot:
            total = collections.Counter()
            problems = []
            for seed, ordinary, bad in ROUNDS:
                since = len(fake.sent())
                cases = fake.control("hostile", {"seed": seed, "ordinary": ordinary,
                                                 "undecodable": bad})["cases"]
                total += judge(fake, cases, since, problems)
                check(bot.proc.poll() is None, "deskbot died during a hostile round")
            print("MAX: %d updates sent (%d message-like, %d ignorable, %d undecodable, %d "
                  "second deliveries); answered %d, doubles %d, lost %d, unexpected replies %d"
                  % (total["updates"], total["message_like"], total["ignorable"],
                     total["undecodable"], total["dup"],
                     total["answered"], total["doubles"], total["lost"], total["unexpected"]),
                  flush=True)
            log = bot.read_log()
            dropped = log.count("is unreadable")
            print("undecodable elements logged and dropped one by one: %d" % dropped, flush=True)
            for p in problems[:40]:
                print("  problem: %s" % p, flush=True)
            check(not problems, "%d problem(s), first: %s" % (len(problems), problems[:1]))
            check(dropped >= sum(r[2] for r in ROUNDS), "only %d undecodable logged" % dropped)
            check("fetching updates one by one" not in log, "a whole answer was isolated")
            _, h = bot.get_json("/healthz")
            check(h["channels"]["max"]["state"] == "polling", h)
            a = fake.inject({"user_id": 9990000001, "text": "баланс"})[0]
            wait_for(lambda: fake.sent(peer=a["peer"]), 20, 0.1, "answered after the rounds")


if __name__ == "__main__":
    r = Runner()
    r.run(test_hostile_mix_every_message_answered_once)
    r.finish()
