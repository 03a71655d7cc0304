#!/usr/bin/env python3
"""bench/cluster: several deskbot instances on one PostgreSQL (issue #14).

Usage: python3 bench/cluster.py [--binary build-bench/deskbot] [--messages 10000]
                                [--chats 1000] [--only vk|telegram] [--instances 1,2,3]

Starts a throwaway PostgreSQL cluster (tests/pg-cluster.sh) and, for each channel,
against the C fake (bench/fastfake.c, build-bench/bench/fastfake):
  1. messages/s end to end (first delivery to last reply) with 1, 2 and 3 instances on
     one PostgreSQL database, the burst held in the fake until the channel's holder
     polls. With long polling one instance holds the channel, polls it and sends its
     replies (the others stand by), so the figure shows what the leases cost, not a
     spread of the work; a spread comes from webhook intake (it_cluster measures it).
  2. kill -9 of the instance holding the channel in the middle of a burst, with 3
     instances: the time from the kill to the first reply sent by the new holder, and to
     the last reply of the burst.
Prints its figures; asserts nothing (the tests do)."""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from channels import (ROOT, TOKENS, FastFake, find_fastfake, free_port,  # noqa: E402
                      wait_answered)

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from test_postgres import Cluster  # noqa: E402  (the throwaway PostgreSQL of the tests)


class Instance:
    def __init__(self, binary, kind, fake, url, name):
        self.dir = tempfile.mkdtemp(prefix="deskbot-bench-i-")
        self.port = free_port()
        self.name = name
        cfg = {"http": {"listen": "127.0.0.1:%d" % self.port}, "store": {"url": url},
               "replies": {"dir": os.path.join(ROOT, "replies")}, "log": {"level": "info"},
               "cluster": {"instance": name}}
        if kind == "vk":
            cfg["vk"] = {"token": TOKENS["vk"], "group_id": 123456,
                         "api_url": fake.base_url + "/method", "wait": 5, "rate_per_s": 1e6,
                         "chat_rate_per_s": 1e6}
        else:
            cfg["telegram"] = {"token": TOKENS["telegram"], "api_url": fake.base_url,
                               "timeout": 5, "rate_per_s": 1e6, "chat_rate_per_s": 1e6}
        path = os.path.join(self.dir, "c.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.dir, "bot.log"), "wb")
        self.proc = subprocess.Popen([binary, "run", "--config", path], cwd=self.dir,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def health(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % self.port, timeout=2) as r:
            return json.loads(r.read())

    def holds(self, kind):
        try:
            h = self.health()
        except OSError:
            return False
        return h.get("channels", {}).get(kind, {}).get("holder") == self.name

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise TimeoutError(what)


def throughput(kind, binary, fastfake, pg, n, chats, instances):
    fake = FastFake(fastfake, kind, n, chats, extra=["--spread", 1])
    bots = []
    try:
        fake.start()
        url = pg.database("bench_%s_%d" % (kind, instances))
        bots = [Instance(binary, kind, fake, url, "b%d" % (i + 1)) for i in range(instances)]
        wait(lambda: fake.stats()["held"] >= 1, 60, "the holder polling")
        fake.call("/_start", "POST")
        st = wait_answered(fake, n, 900)
        span = (st["last_answer_ns"] - st["first_deliver_ns"]) / 1e9
        holder = next((b.name for b in bots if b.holds(kind)), "?")
        print("cluster %-8s %d instance(s) on one PostgreSQL: %d messages (%d chats) in %.2f s: "
              "%.0f messages/s end to end (held by %s; %d sends for %d messages)"
              % (kind, instances, n, chats, span, n / span, holder, st["sent"], n), flush=True)
        return n / span
    finally:
        for b in bots:
            b.stop()
        fake.stop()


def failover(kind, binary, fastfake, pg, n, chats):
    fake = FastFake(fastfake, kind, n, chats, extra=["--spread", 1])
    bots = []
    try:
        fake.start()
        url = pg.database("bench_%s_kill" % kind)
        bots = [Instance(binary, kind, fake, url, "k%d" % (i + 1)) for i in range(3)]
        wait(lambda: fake.stats()["held"] >= 1, 60, "the holder polling")
        holder = wait(lambda: next((b for b in bots if b.holds(kind)), None), 30, "a holder")
        fake.call("/_start", "POST")
        wait(lambda: fake.stats()["answered"] >= n // 3, 300, "a third answered")
        holder.proc.kill()
        t_kill = time.monotonic()
        holder.proc.wait()
        sent = fake.stats()["sent"]
        wait(lambda: fake.stats()["sent"] > sent, 60, "a reply after the kill")
        t_first = time.monotonic() - t_kill
        wait_answered(fake, n, 900)
        t_last = time.monotonic() - t_kill
        new = next((b.name for b in bots if b is not holder and b.holds(kind)), "?")
        st = fake.stats()
        print("cluster %-8s kill -9 of the holder %s (3 instances, a third of %d answered): "
              "first reply from the new holder %s %.2f s after the kill (lease 6 s, renewed "
              "every 2 s), the burst's last %.2f s after; %d messages with more than one "
              "reply, %d duplicate random_id" % (kind, holder.name, n, new, t_first, t_last,
                                                  st["multi_replied"], st["dup_random_id"]),
              flush=True)
    finally:
        for b in bots:
            b.stop()
        fake.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "deskbot"))
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--chats", type=int, default=1000)
    ap.add_argument("--only", choices=["vk", "telegram"])
    ap.add_argument("--instances", default="1,2,3")
    args = ap.parse_args()
    fastfake = find_fastfake()
    if not fastfake:
        raise SystemExit("bench/cluster: build the C fake first (build-bench/bench/fastfake)")
    pg = Cluster()
    try:
        for kind in ([args.only] if args.only else ["vk", "telegram"]):
            rates = {}
            for k in [int(x) for x in args.instances.split(",")]:
                rates[k] = throughput(kind, args.binary, fastfake, pg, args.messages,
                                      args.chats, k)
            if 1 in rates:
                print("cluster %-8s relative to 1 instance: %s" % (kind, ", ".join(
                    "%d: %.0f%%" % (k, 100 * v / rates[1]) for k, v in sorted(rates.items()))),
                    flush=True)
            failover(kind, args.binary, fastfake, pg, args.messages, args.chats)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
