"""The outbox at the platforms' real limits, through the real binary and the fakes.

- VK execute batching: ready replies go out as up to 25 messages.send in one execute,
  within 20 requests a second (the fake refuses the 21st with error 6: none is refused);
  per-call errors inside an execute (10, 9, 901) are handled as the same error on a
  single send: 10 and 9 are retried and answered exactly once (9 after its flood hold),
  901 marks the customer blocked and is not retried; an execute that went through but
  whose answer was lost is retried without doubling anything (random_id); a compile
  error (12) switches to single sends, logged once.
- Fairness: one chat floods 1,000 messages before 100 others write once; the others are
  answered within seconds, not behind the flood.
- Telegram: a 429 with retry_after holds that chat only; other chats go on at once."""

import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402

VK_TOKEN = "vk-test-token-secret-0001"
TG_TOKEN = "123456:TEST-token-secret-0002"


def vk_config(vk, **kw):
    cfg = {"token": VK_TOKEN, "group_id": 123456, "api_url": vk.base_url + "/method", "wait": 2}
    cfg.update(kw)
    return {"log": {"level": "info"}, "vk": cfg}


def tg_config(tg, **kw):
    cfg = {"token": TG_TOKEN, "api_url": tg.base_url, "timeout": 2}
    cfg.update(kw)
    return {"log": {"level": "info"}, "telegram": cfg}


def inject_vk(vk, peers, text="как проверить баланс"):
    items = [{"peer_id": p, "from_id": p, "text": "%s %d" % (text, i)}
             for i, p in enumerate(peers)]
    out = []
    for k in range(0, len(items), 500):
        out += vk.inject(items[k:k + 500])
    return out


def replies_by_message(fake):
    by = collections.defaultdict(list)
    for m in fake.sent():
        if m.get("reply_to"):
            by[(m["peer"], m["reply_to"])].append(m)
    return by


def wait_answered(fake, injected, timeout):
    want = {(i.get("peer_id", i.get("chat_id")), i["message_id"]) for i in injected}

    def done():
        by = replies_by_message(fake)
        return by if want <= set(by) else None
    try:
        return wait_for(done, timeout, 0.1, "replies to %d messages" % len(want))
    except TimeoutError:
        missing = sorted(want - set(replies_by_message(fake)))
        raise AssertionError("%d of %d unanswered, e.g. %s" % (len(missing), len(want),
                                                              missing[:5]))


def check_once(by, injected):
    for i in injected:
        key = (i.get("peer_id", i.get("chat_id")), i["message_id"])
        # The first reply of a message may be followed by more parts; each part once.
        texts = [m["text"] for m in by.get(key, [])]
        check(len(texts) == len(set(texts)), "message %s answered twice: %s" % (key, texts))


def check_ordered(fake):
    per_peer = collections.defaultdict(list)
    for m in fake.sent():
        if m.get("reply_to"):
            per_peer[m["peer"]].append(m["reply_to"])
    for peer, ids in per_peer.items():
        check(ids == sorted(ids), "chat %s answered out of order: %s" % (peer, ids[:10]))


def test_vk_execute_batching_and_per_call_errors():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=900)
    with vk:
        vk.config(rate_limit_per_s=20)  # VK's limit: the 21st request in a second is error 6
        with Deskbot(config=vk_config(vk)) as bot:
            # One of each per-call error, on chats of their own.
            vk.control("execute_errors", {"errors": [
                {"code": 10, "peer_id": 50001}, {"code": 9, "peer_id": 50002},
                {"code": 901, "peer_id": 50003}]})
            flood_hold_from = time.monotonic()
            burst = inject_vk(vk, list(range(50001, 50061)))
            ok = [i for i in burst if i["peer_id"] not in (50002, 50003)]
            by = wait_answered(vk, ok, 30)
            check_once(by, ok)
            st = vk.stats()
            check(st["execute_requests"] >= 1, "no execute: %s" % st)
            check(st["execute_errors_fired"] == {"10": 1, "9": 1, "901": 1},
                  "per-call errors fired: %s" % st["execute_errors_fired"])
            # 60 replies (at least) in far fewer requests than replies.
            sends = st["requests"].get("messages.send", 0)
            check(st["execute_calls"] >= 55 and st["execute_requests"] <= 20,
                  "batching: %d executes for %d calls, %d single sends" % (
                      st["execute_requests"], st["execute_calls"], sends))
            # 901: blocked, recorded, not retried.

            def blocked():
                _, m = bot.get("/metrics")
                return 'deskbot_send_blocked_total{channel="vk"} 1' in m
            wait_for(blocked, 10, 0.1, "the 901 customer recorded as blocked")
            check(not replies_by_message(vk).get((50003, burst[2]["message_id"])),
                  "the blocked customer got a reply")

            # An execute that went through but whose answer was lost: retried, VK drops
            # the repeated random_ids, every message still has one reply.
            vk.fault("execute", "drop_after", count=1)
            again = inject_vk(vk, list(range(51001, 51021)))
            by = wait_answered(vk, again, 30)
            check_once(by, again)
            check(vk.stats()["duplicates_suppressed"] >= 1,
                  "the retried execute was not de-duplicated: %s" % vk.stats())

            # Error 12 (cannot compile): single sends from then on, logged once.
            vk.fault("execute", "error", count=1, code=12)
            later = inject_vk(vk, list(range(52001, 52011)))
            by = wait_answered(vk, later, 30)
            check_once(by, later)
            more = inject_vk(vk, list(range(52101, 52111)))
            by = wait_answered(vk, more, 30)
            check_once(by, more)
            log = bot.read_log()
            check(log.count("execute refused") == 1, "12 not logged exactly once")
            st2 = vk.stats()
            check(st2["requests"].get("messages.send", 0) >= sends + 10,
                  "no single sends after 12: %s" % st2["requests"])

            # 9 (flood control): the same 120 s hold as a single send, then answered once.
            key9 = (50002, burst[1]["message_id"])
            check(not replies_by_message(vk).get(key9), "9 was retried before its hold")
            wait_for(lambda: replies_by_message(vk).get(key9), 150, 0.5,
                     "the flood-controlled reply after its hold")
            check(time.monotonic() - flood_hold_from >= 115, "9 was not held")
            by = replies_by_message(vk)
            check_once(by, burst[:2])
            check_ordered(vk)
            st = vk.stats()
            refused = {k: v for k, v in st["api_errors"].items() if k.endswith(" 6")}
            check(not refused, "requests refused with error 6: %s" % refused)


def test_vk_flood_does_not_delay_others():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=900)
    with vk:
        vk.config(rate_limit_per_s=20)
        with Deskbot(config=vk_config(vk)) as bot:
            flood = inject_vk(vk, [60000] * 1000, text="не работает интернет")
            others = inject_vk(vk, list(range(60001, 60101)))
            by = wait_answered(vk, others, 20)
            lat = sorted((min(m["recv_ns"] for m in by[(i["peer_id"], i["message_id"])]) -
                          i["inject_ns"]) / 1e9 for i in others)
            p99 = lat[int(len(lat) * 0.99) - 1]
            print("others: p50 %.2f s, p99 %.2f s, max %.2f s" % (lat[len(lat) // 2], p99,
                                                                 lat[-1]))
            check(p99 <= 3.0, "the others waited behind the flood: p99 %.2f s" % p99)
            # The flooding chat goes at its own rate (20 a second), in order.
            time.sleep(1.0)
            check_ordered(vk)
            flood_replies = [m for m in vk.sent() if m["peer"] == 60000]
            check(flood_replies, "the flooding chat got nothing")
            del flood, bot


def test_flood_read_back_from_the_store_in_order():
    """A chat keeps 64 rows in memory; the rest wait in the store and are read back in id
    order as it drains: all of a 300-message flood is answered, once each, in order,
    while others who write meanwhile still go first."""
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=900)
    with vk:
        with Deskbot(config=vk_config(vk, rate_per_s=1000, chat_rate_per_s=1000)) as bot:
            flood = inject_vk(vk, [61000] * 300, text="как проверить баланс")
            others = inject_vk(vk, list(range(61001, 61021)))
            by = wait_answered(vk, others, 20)
            by = wait_answered(vk, flood, 120)
            check_once(by, flood)
            check_ordered(vk)
            del bot


def test_telegram_retry_after_holds_one_chat():
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=900)
    with tg:
        with Deskbot(config=tg_config(tg)) as bot:
            first = tg.inject({"chat_id": 7400000000, "user_id": 7400000000,
                               "text": "как пополнить счет"})
            wait_answered(tg, first, 15)
            tg.fault("sendMessage", "error", count=1, code=429, retry_after=4)
            held = tg.inject({"chat_id": 7400000000, "user_id": 7400000000,
                              "text": "как пополнить счет 2"})
            wait_for(lambda: tg.stats()["faults_fired"], 10, 0.05, "the 429 to fire")
            t429 = time.monotonic()
            others = tg.inject([{"chat_id": 7400000001 + i, "user_id": 7400000001 + i,
                                 "text": "баланс %d" % i} for i in range(20)])
            wait_answered(tg, others, 10)
            took = time.monotonic() - t429
            check(took < 3.5, "other chats waited for one chat's retry_after: %.1f s" % took)
            check(not replies_by_message(tg).get((7400000000, held[0]["message_id"])),
                  "the held chat was retried before retry_after")
            wait_answered(tg, held, 15)
            check(time.monotonic() - t429 >= 3.9, "retry_after not honoured")
            _, m = bot.get("/metrics")
            check("deskbot_send_retries_total{channel=\"telegram\"} 1" in m, "retry not counted")


if __name__ == "__main__":
    r = Runner()
    r.run(test_telegram_retry_after_holds_one_chat)
    r.run(test_vk_flood_does_not_delay_others)
    r.run(test_flood_read_back_from_the_store_in_order)
    r.run(test_vk_execute_batching_and_per_call_errors)
    r.finish()
