"""Several deskbot instances on one PostgreSQL store (issue #14 items 2 to 4), through
the real binaries and the VK and Telegram fakes: each channel is worked by one instance
at a time (its lease, shown in /healthz); kill -9 of the instance holding the channels in
the middle of a burst of 2,000 messages per channel loses nothing, shows no VK reply
twice (random_id), keeps Telegram doubles within the documented window, and the channels
move to another instance within 10 s; VK Callback API deliveries spread round-robin over
three instances are all answered once, by the holder; the console works across two
instances (one login, live updates, an atomic claim, logout everywhere); a case timer due
while its instance is dead fires once elsewhere; a PostgreSQL restart under two instances
loses nothing; a graceful stop hands the channels over at once. Instances are started at
the same moment (they race to migrate a new database). Skipped without a PostgreSQL
server (failing when DESKBOT_TEST_REQUIRE_PG is set)."""

import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import wait_for  # noqa: E402
from harness import Deskbot, check  # noqa: E402
from test_channels import answered, check_once_and_ordered, fakes, inject_tg, inject_vk  # noqa: E402
from test_postgres import pg_config, run_on_a_cluster  # noqa: E402

CHANNELS = ("vk", "telegram")


def start_instances(url, vk, tg, n, **extra):
    """n instances started at the same moment (as a deployment does), each waited for;
    on a new database they race to migrate it."""
    bots = [Deskbot(config=pg_config(url, vk, tg, cluster={"instance": "i%d" % (i + 1)},
                                     **extra)) for i in range(n)]
    errors = []

    def start(b):
        try:
            b.start()
        except Exception as e:  # noqa: BLE001 (reported below, with the others)
            errors.append(e)
    threads = [threading.Thread(target=start, args=(b,)) for b in bots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        stop_all(bots)
        raise errors[0]
    return bots


def holders(bots):
    """{channel: instance} as the live instances' /healthz tell it (the holder's own word
    counts: it is the one that says it holds the channel)."""
    out = {}
    for b in bots:
        if b.proc is None or b.proc.poll() is not None:
            continue
        try:
            status, h = b.get_json("/healthz")
        except OSError:
            continue
        for ch in CHANNELS:
            holder = h.get("channels", {}).get(ch, {}).get("holder")
            if holder and holder == h.get("instance"):
                out[ch] = holder
    return out


def metric(bot, series):
    """One series' value from the instance's /metrics (0 when absent)."""
    status, body = bot.get("/metrics")
    text = body.decode() if isinstance(body, bytes) else body
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    return 0.0


def by_name(bots, name):
    return next(b for b in bots if b.config["cluster"]["instance"] == name)


def stop_all(bots):
    for b in bots:
        if b.proc is not None and b.proc.poll() is None:
            b.stop()
        b.cleanup()


def test_one_holder_per_channel_and_kill_9_of_it(cluster):
    vk, tg = fakes()
    with vk, tg:
        bots = start_instances(cluster.database("kill"), vk, tg, 3)
        try:
            held = wait_for(lambda: (lambda h: h if len(h) == 2 else None)(holders(bots)), 20,
                            0.05, "both channels held")
            # One holder each, and every instance agrees on who it is.
            for b in bots:
                status, h = b.get_json("/healthz")
                for ch in CHANNELS:
                    check(h["channels"][ch]["holder"] == held[ch],
                          "%s says %s holds %s, not %s" % (h["instance"],
                                                           h["channels"][ch]["holder"], ch,
                                                           held[ch]))
            a = inject_vk(vk, 2000, 400, base_peer=60000)
            b = inject_tg(tg, 2000, 400, base_peer=7700000000)
            wait_for(lambda: len(vk.sent()) > 300 and len(tg.sent()) > 300, 60, 0.02,
                     "part of the burst answered")
            victim = by_name(bots, held["vk"])
            victim.kill()
            t_kill = time.monotonic()
            sent_at_kill = len(vk.sent()) + len(tg.sent())
            others = [x for x in bots if x is not victim]
            moved = wait_for(lambda: (lambda h: h if len(h) == 2 and victim.config["cluster"][
                "instance"] not in h.values() else None)(holders(others)), 30, 0.05,
                "the channels taken over")
            t_moved = time.monotonic() - t_kill
            wait_for(lambda: len(vk.sent()) + len(tg.sent()) > sent_at_kill, 30, 0.01,
                     "a reply after the kill")
            t_first = time.monotonic() - t_kill
            by_vk = answered(vk, a, timeout=120)
            by_tg = answered(tg, b, timeout=120)
            check_once_and_ordered(vk, a, by_vk)
            tg_doubles = sum(len(v) - 1 for v in by_tg.values())
            print("3 instances, kill -9 of %s (holding %s) mid-burst of 2 x 2000: channels "
                  "moved to %s in %.1f s, first reply %.1f s after the kill; VK 0 doubled "
                  "(%d resends suppressed by random_id), Telegram %d doubled" % (
                      victim.config["cluster"]["instance"], ", ".join(sorted(held)),
                      sorted(set(moved.values())), t_moved, t_first,
                      vk.stats()["duplicates_suppressed"], tg_doubles), flush=True)
            check(t_moved <= 10.0, "the channels took %.1f s to move" % t_moved)
            check(tg_doubles <= 64, "too many Telegram doubles: %d" % tg_doubles)
            log = by_name(bots, moved["vk"]).read_log()
            check("holds vk now" in log, "the new holder does not log the take-over")
        finally:
            stop_all(bots)


def test_webhook_burst_spread_over_instances(cluster):
    """VK's Callback API delivering 2,000 events round-robin over three instances (a load
    balancer): each instance stores what it is given, and the one instance holding vk
    sends every reply, whichever instance made it (it finds the others' rows in the
    store), once."""
    from test_hooks import VK_CONFIRMATION, VK_GROUP, VK_SECRET, VK_TOKEN
    vk, tg = fakes()
    with vk, tg:
        url = cluster.database("hooks")
        bots = []
        for i in range(3):
            cfg = pg_config(url, None, None, cluster={"instance": "h%d" % (i + 1)})
            cfg["vk"] = {"token": VK_TOKEN, "group_id": VK_GROUP,
                         "api_url": vk.base_url + "/method", "rate_per_s": 1000,
                         "chat_rate_per_s": 1000, "callback_confirmation": VK_CONFIRMATION,
                         "callback_secret": VK_SECRET}
            bots.append(Deskbot(config=cfg).start())
        try:
            wait_for(lambda: "vk" in holders(bots), 20, 0.05, "vk held")
            conf = vk.control("callback", {
                "urls": ["http://127.0.0.1:%d/hooks/vk" % b.port for b in bots],
                "secret": VK_SECRET, "confirmation": VK_CONFIRMATION})
            check(conf["confirmed"], "confirmation not answered: %r" % conf)
            vk.control("push", {"concurrency": 6, "retry_s": 0.2})
            t0 = time.monotonic()
            a = inject_vk(vk, 2000, 400, base_peer=90000)
            by = answered(vk, a, timeout=120)
            took = time.monotonic() - t0
            check_once_and_ordered(vk, a, by)
            # Every instance took deliveries; only the holder sent.
            per_instance = {b.config["cluster"]["instance"]:
                            int(metric(b, 'deskbot_updates_total{channel="vk"}')) for b in bots}
            print("2000 VK Callback API events round-robin over 3 instances: all answered "
                  "once in %.1f s; events taken per instance %s; sent by %s; push %r" % (
                      took, per_instance, holders(bots).get("vk"),
                      vk.stats()["push"]["statuses"]), flush=True)
            check(all(n > 0 for n in per_instance.values()),
                  "an instance took no deliveries: %r" % per_instance)
        finally:
            stop_all(bots)


def test_console_across_instances(cluster):
    """Two instances, one store: a secretary logged in on one is logged in on the other
    (the session is in the store) and sees the case another instance opened; two
    secretaries on two instances claim one case at the same moment: exactly one holds
    it, the other is told who; a logout on one instance ends the session on both."""
    from test_console import Customer, Session, claim_race, complain, config, raw
    url = cluster.database("console")
    bots = []
    for i in range(2):
        cfg = config(store={"url": url}, cluster={"instance": "c%d" % (i + 1)})
        bots.append(Deskbot(config=cfg).start())
    try:
        a, b = bots
        marina = Session(a, "marina")
        live = marina.ws()
        oleg = Session(b, "oleg")
        live_b = oleg.ws()
        cust = Customer(a, name="Иван")
        case_id, _ = complain(cust, live)
        check(case_id, "no case opened")
        # The case a opened reaches the console on b live (through the store).
        t0 = time.monotonic()
        ev = live_b.wait_for(lambda m: m["type"] == "case_created" and m["case_id"] == case_id,
                             timeout=10)
        relay_s = time.monotonic() - t0
        check(ev["case"]["status"] == "new", "the relayed summary: %s" % ev)
        # marina's cookie, made on a, is good on b.
        status, text, _ = raw(b, "GET", "/api/cases", headers={"Cookie": marina.cookie})
        check(status == 200 and any(c["id"] == case_id for c in json.loads(text)["cases"]),
              "b does not take a's session or does not see the case: %s %s" % (status,
                                                                                text[:200]))
        winner = claim_race(case_id, marina, oleg)
        # Each console hears of the claim, whichever instance took it.
        for w in (live, live_b):
            w.wait_for(lambda m: m["type"] == "case_updated" and m["case_id"] == case_id and
                       (m.get("case") or {}).get("assignee") == winner, timeout=10)
        # Logged out on a: b refuses the cookie within the recheck period (3 s).
        check(marina.post("/api/logout")[0] == 200, "logout")
        wait_for(lambda: raw(b, "GET", "/api/cases", headers={"Cookie": marina.cookie})[0]
                 == 401, 10, 0.2, "b refusing a session logged out on a")
        print("console across 2 instances: one login for both, the new case on the other "
              "console %.2f s after the first, the claim race won by %s, logout seen on the "
              "other" % (relay_s, winner), flush=True)
    finally:
        stop_all(bots)


def test_postgresql_restart_under_two_instances(cluster):
    """PostgreSQL restarted in the middle of a burst with two instances on it: nothing
    lost, no VK reply twice, the channels still held by one instance, all by itself."""
    vk, tg = fakes()
    with vk, tg:
        bots = start_instances(cluster.database("pgrestart"), vk, tg, 2)
        try:
            wait_for(lambda: (lambda h: h if len(h) == 2 else None)(holders(bots)), 20,
                     0.05, "both channels held")
            a = inject_vk(vk, 1000, 200, base_peer=70000)
            b = inject_tg(tg, 1000, 200, base_peer=7900000000)
            wait_for(lambda: len(vk.sent()) > 100 and len(tg.sent()) > 100, 60, 0.02,
                     "part of the burst answered")
            t0 = time.monotonic()
            cluster.restart()
            by_vk = answered(vk, a, timeout=120)
            by_tg = answered(tg, b, timeout=120)
            took = time.monotonic() - t0
            check_once_and_ordered(vk, a, by_vk)
            tg_doubles = sum(len(v) - 1 for v in by_tg.values())
            held = wait_for(lambda: (lambda h: h if len(h) == 2 else None)(holders(bots)), 20,
                            0.05, "both channels held after the restart")
            print("PostgreSQL restarted under 2 instances and 2 x 1000 messages: all answered "
                  "%.1f s after; VK 0 doubled, Telegram %d doubled; held by %s" % (
                      took, tg_doubles, held), flush=True)
            check(tg_doubles <= 64, "too many Telegram doubles: %d" % tg_doubles)
        finally:
            stop_all(bots)


def psql(url, sql):
    out = subprocess.run(["psql", "-tA", url, "-c", sql], check=True, timeout=60,
                         capture_output=True, text=True).stdout.strip()
    return out


def test_case_timer_fires_once_on_another_instance(cluster):
    """A case opened on instance a at 11:00 on a Tuesday waits for a secretary; a is
    killed; b and c, started together at 11:16 (DESKBOT_CLOCK), both find its 15-minute
    "unclaimed" timer due: it fires once, on one of them."""
    from test_console import Customer, complain, config
    url = cluster.database("timers")

    def bot(name, when):
        return Deskbot(config=config(store={"url": url}, cluster={"instance": name}),
                       env={"DESKBOT_CLOCK": when})
    a = bot("t1", "2026-12-01T11:00:00+03:00").start()
    others = []
    try:
        complain(Customer(a, name="Иван"))
        case_id = wait_for(lambda: psql(url, "SELECT max(id) FROM cases"), 10, 0.1,
                           "the case in the store")
        due = psql(url, "SELECT due_at - (SELECT created_at FROM cases WHERE id = %s) FROM "
                        "console_timers WHERE case_id = %s AND kind = 'unclaimed'" % (
                            case_id, case_id))
        check(due == "900", "the unclaimed timer is not due 15 min after the case: %r" % due)
        a.kill()
        others = [bot("t2", "2026-12-01T11:16:00+03:00"), bot("t3", "2026-12-01T11:16:00+03:00")]
        threads = [threading.Thread(target=b.start) for b in others]
        [t.start() for t in threads]
        [t.join() for t in threads]
        fired = "SELECT fired FROM console_timers WHERE case_id = %s AND kind = 'unclaimed'" % \
            case_id
        wait_for(lambda: psql(url, fired) not in ("", "0"), 20, 0.1, "the timer fired")
        time.sleep(3)  # a second firing would come within a tick or two
        check(psql(url, fired) == "1", "fired %s times" % psql(url, fired))
        by = [b.config["cluster"]["instance"] for b in others
              if "ждёт без исполнителя" in b.read_log()]
        print("case timer due while its instance was dead: fired once, by %s" % by, flush=True)
        check(len(by) == 1, "the alert was raised by %s" % by)
    finally:
        stop_all([a] + others)


def test_graceful_stop_hands_over_at_once(cluster):
    """A holder stopped with SIGTERM gives its leases up: another instance takes the
    channels at its next renewal, not after the lease would have run out."""
    vk, tg = fakes()
    with vk, tg:
        bots = start_instances(cluster.database("handover"), vk, tg, 2,
                               )
        try:
            held = wait_for(lambda: (lambda h: h if len(h) == 2 else None)(holders(bots)), 20,
                            0.05, "both channels held")
            holder = by_name(bots, held["vk"])
            other = next(x for x in bots if x is not holder)
            t0 = time.monotonic()
            holder.stop()
            wait_for(lambda: (lambda h: h if len(h) == 2 else None)(holders([other])), 15,
                     0.05, "the other instance holding both channels")
            took = time.monotonic() - t0
            check("gave vk up" in holder.read_log(), "the stopped holder did not give vk up")
            a = inject_vk(vk, 50, 10)
            b = inject_tg(tg, 50, 10)
            check_once_and_ordered(vk, a, answered(vk, a))
            check_once_and_ordered(tg, b, answered(tg, b))
            print("graceful stop of the holder: the other instance holds both channels "
                  "%.1f s later" % took, flush=True)
            check(took < 5.0, "the hand-over took %.1f s" % took)
        finally:
            stop_all(bots)


if __name__ == "__main__":
    run_on_a_cluster("it_cluster", [
        test_one_holder_per_channel_and_kill_9_of_it, test_webhook_burst_spread_over_instances,
        test_console_across_instances, test_case_timer_fires_once_on_another_instance,
        test_postgresql_restart_under_two_instances, test_graceful_stop_hands_over_at_once])
