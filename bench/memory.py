#!/usr/bin/env python3
"""bench/memory: the daemon's resident memory idle and after a realistic mixed load.

Usage: python3 bench/memory.py [--binary build-bench/deskbot] [--messages 3000]
                               [--chats 300] [--only vk|telegram]

For each channel: the real binary (store on) against the reference fake of tests/fakes,
which takes any text. Prints VmRSS after 2 s of idling with the channel polling, then
VmRSS 2 s after the fake has a reply to every one of --messages customer messages, and
VmHWM (the peak). The messages are the labelled utterances of tests/data (typos, glued
words, layout and transliteration, English, complaints, small talk: what real customers
send, and what makes the bot look words up in its spelling dictionary), spread over
--chats chats in a fixed shuffled order."""

import argparse
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
from client import FakeServer, wait_for  # noqa: E402

TOKENS = {"vk": "vk-bench-token", "telegram": "123456:BENCH-token"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def utterances():
    with open(os.path.join(ROOT, "tests", "data", "utterances.tsv"), encoding="utf-8") as f:
        rows = [r["text"] for r in csv.DictReader(f, delimiter="\t") if r.get("text")]
    return rows


def start_bot(binary, kind, fake, workdir):
    cfg = {"http": {"listen": "127.0.0.1:%d" % free_port()},
           "store": {"path": os.path.join(workdir, "deskbot.db")},
           "replies": {"dir": os.path.join(ROOT, "replies")},
           "log": {"level": "warn"}}
    if kind == "vk":
        cfg["vk"] = {"token": TOKENS["vk"], "group_id": 123456,
                     "api_url": fake.base_url + "/method", "wait": 5,
                     "rate_per_s": 1e6, "chat_rate_per_s": 1e6}
    else:
        cfg["telegram"] = {"token": TOKENS["telegram"], "api_url": fake.base_url,
                           "timeout": 5, "rate_per_s": 1e6, "chat_rate_per_s": 1e6}
    path = os.path.join(workdir, "c.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(workdir, "bot.log"), "wb")
    return subprocess.Popen([binary, "run", "--config", path], cwd=workdir, stdout=log,
                            stderr=subprocess.STDOUT)


def run(kind, binary, n, chats):
    base = 100000 if kind == "vk" else 7000000000
    key = "peer_id" if kind == "vk" else "chat_id"
    who = "from_id" if kind == "vk" else "user_id"
    texts = utterances()
    rnd = random.Random(9)
    batch = [{key: base + rnd.randrange(chats), who: 0, "text": texts[i % len(texts)]}
             for i in range(n)]
    for m in batch:
        m[who] = m[key]
    fake = FakeServer(kind, token=TOKENS[kind], max_seconds=1800)
    fake.start()
    workdir = tempfile.mkdtemp(prefix="deskbot-bench-")
    bot = None
    try:
        bot = start_bot(binary, kind, fake, workdir)
        wait_for(lambda: fake.stats()["requests"].get("lp" if kind == "vk" else "getUpdates"),
                 30, 0.05, "the bot polling")
        time.sleep(2.0)
        idle = status_kb(bot.pid, "VmRSS")
        for k in range(0, n, 500):
            fake.inject(batch[k:k + 500])
        deadline = time.monotonic() + 600
        while True:
            answered = {(m["peer"], m["reply_to"]) for m in fake.sent() if m.get("reply_to")}
            if len(answered) >= n:
                break
            if time.monotonic() > deadline or bot.poll() is not None:
                raise SystemExit("%s: only %d of %d messages answered" % (kind, len(answered), n))
            time.sleep(0.5)
        time.sleep(2.0)
        after = status_kb(bot.pid, "VmRSS")
        peak = status_kb(bot.pid, "VmHWM")
        print("memory %-8s idle RSS %.1f MB; after %d mixed messages from %d chats: RSS %.1f MB, "
              "peak %.1f MB" % (kind, idle / 1024, n, chats, after / 1024, peak / 1024),
              flush=True)
    finally:
        if bot is not None and bot.poll() is None:
            bot.terminate()
            bot.wait(timeout=30)
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "deskbot"))
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--chats", type=int, default=300)
    ap.add_argument("--only", choices=["vk", "telegram"])
    a = ap.parse_args()
    a.binary = os.path.abspath(a.binary)
    for kind in ("vk", "telegram"):
        if not a.only or a.only == kind:
            run(kind, a.binary, a.messages, a.chats)


if __name__ == "__main__":
    main()
