#!/usr/bin/env python3
"""bench/channels: bursts through the VK and Telegram fakes, end to end.

(The saturation burst is queued while the bot is stopped and drained when it comes
back: the backlog after a restart.)

Usage: python3 bench/channels.py [--binary build-bench/deskbot] [--messages 20000]
                                  [--chats 5000] [--rate 1000] [--only vk|telegram]
                                  [--fake fast|python] [--fastfake PATH] [--curve]

--limits: the platforms' real limits (issue 13), with the fake enforcing them
(fastfake --limits 1: VK error 6 above 20 requests/s, Telegram 429 above 30/s or a
chat's allowance) and the bot on its default limits:
  1. a burst of 2,000 messages from 500 customers: time to the last answer, answers/s,
     p50/p99 time to answer (goals: VK >= 450/s, Telegram >= 27/s);
  2. one customer flooding 1,000 messages while 100 others write once: the others'
     p50/p99 (goals: <= 2 s VK, <= 5 s Telegram);
  3. requests the fake refused with 6 / 429 in both (goal 0);
  4. the fake answering every request after 50 ms, at most 32 (and 16) at a time, no
     limits: answers/s against the fake's own capacity (32 / 50 ms = 640 requests/s;
     goal 90%);
     VK also with execute_max 1 (one row per request), where the capacity in answers
     is the same 640/s; and a VK burst at the limits with 200 ms latency (the window
     follows latency).

--curve: per-message CPU and throughput at 4, 50, 200 and 1,000 messages a chat (the
same --messages spread over fewer, longer conversations), from chats with scattered ids
(fastfake --spread 1; --sequential-ids for consecutive ids, see run_curve). --rounds N
measures every point N times, taking turns, and prints the medians and the range: on a
shared machine, compare points with that.

--fake fast (the default when the fastfake binary is built: build-bench/bench/fastfake,
from bench/fastfake.c) uses a C fake that costs a few us per request, so the bot, not
the fake, sets the pace; the burst is held in the fake and released with POST /_start
once the bot polls (no restart). --fake python uses tests/fakes (the reference wire
formats, 130-260 us of CPU per request: the fake limits throughput).

For each channel: a fake on 127.0.0.1 (pinned to one core) and the real binary with the
store on (pinned to the other core).
  1. saturation: the whole burst is queued in the fake before the bot starts; prints
     messages per second answered end to end (first delivery to last reply).
  2. below saturation: messages arrive at --rate per second; prints p50/p99/max latency
     from the fake delivering a message to the fake receiving its reply.
Also prints the bot's peak RSS (VmHWM)."""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

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


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User + system CPU time the process has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def taskset(cpu, pid):
    subprocess.run(["taskset", "-pc", str(cpu), str(pid)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def start_bot(binary, kind, fake, workdir, limits=False, vk_extra=None):
    cfg = {"http": {"listen": "127.0.0.1:%d" % free_port()},
           "store": {"path": os.path.join(workdir, "deskbot.db")},
           "replies": {"dir": os.path.join(ROOT, "replies")},
           "log": {"level": "warn"}}
    if kind == "vk":
        cfg["vk"] = {"token": TOKENS["vk"], "group_id": 123456, "api_url": fake.base_url + "/method",
                     "wait": 5, "rate_per_s": 1e6, "chat_rate_per_s": 1e6}
    else:
        cfg["telegram"] = {"token": TOKENS["telegram"], "api_url": fake.base_url, "timeout": 5,
                           "rate_per_s": 1e6, "chat_rate_per_s": 1e6}
    if limits:  # the defaults: the platforms' published limits
        for k in ("rate_per_s", "chat_rate_per_s"):
            cfg[kind].pop(k)
    if kind == "vk" and vk_extra:
        cfg["vk"].update(vk_extra)
    path = os.path.join(workdir, "c.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(workdir, "bot.log"), "wb")
    p = subprocess.Popen([binary, "run", "--config", path], cwd=workdir, stdout=log,
                         stderr=subprocess.STDOUT)
    taskset(0, p.pid)
    return p


def items(kind, n, chats, base):
    key = "peer_id" if kind == "vk" else "chat_id"
    who = "from_id" if kind == "vk" else "user_id"
    texts = ["как проверить баланс", "как подключить роуминг", "привет", "спасибо",
             "сколько стоит тариф смарт", "не работает интернет"]
    return [{key: base + i % chats, who: base + i % chats, "text": texts[i % len(texts)]}
            for i in range(n)]


def inject(fake, batch):
    for k in range(0, len(batch), 1000):
        fake.inject(batch[k:k + 1000])


def wait_settled(fake, at_least, timeout):
    """Waits until the fake has received at least at_least messages and no more arrive
    for a second (some answers are two messages: an acknowledgement and a question)."""
    deadline = time.monotonic() + timeout
    last, still = -1, 0
    while time.monotonic() < deadline:
        n = fake.stats()["sent"]
        still = still + 1 if n == last else 0
        if n >= at_least and still >= 4:
            return
        last = n
        time.sleep(0.25)
    raise TimeoutError("only %d of %d answered" % (last, at_least))


def replies_linked(fake):
    """Replies that name the message they answer (one per inbound message)."""
    return [m for m in fake.sent() if m.get("reply_to") and m.get("deliver_ns")]


def run_python(kind, binary, n, chats, rate):
    base = 100000 if kind == "vk" else 7000000000
    fake = FakeServer(kind, token=TOKENS[kind], max_seconds=1800)
    fake.start()
    taskset(1, fake.proc.pid)
    workdir = tempfile.mkdtemp(prefix="deskbot-bench-")
    try:
        # 1. Saturation: the bot starts once (so that it has a cursor), stops, the burst
        # arrives while it is down, and the restarted bot drains it (VK, like the real
        # API, starts a bot with no cursor from "now").
        bot = start_bot(binary, kind, fake, workdir)
        wait_for(lambda: fake.stats()["requests"].get("lp" if kind == "vk" else "getUpdates"),
                 30, 0.05, "the bot polling")
        time.sleep(0.5)
        bot.terminate()
        bot.wait(timeout=30)
        inject(fake, items(kind, n, chats, base))
        fake_cpu0 = cpu_seconds(fake.proc.pid)
        bot = start_bot(binary, kind, fake, workdir)
        # Poll the cheap counter; the full list is fetched once at the end.
        wait_settled(fake, n, 600)
        bot_cpu = cpu_seconds(bot.pid)
        fake_cpu = cpu_seconds(fake.proc.pid) - fake_cpu0
        sent = replies_linked(fake)
        first = min(m["deliver_ns"] for m in sent)
        last = max(m["recv_ns"] for m in sent)
        check_all = {(m["peer"], m["reply_to"]) for m in sent}
        if len(check_all) < n:
            raise SystemExit("only %d of %d messages were answered" % (len(check_all), n))
        per_s = n / ((last - first) / 1e9)
        answered = {(m["peer"], m["reply_to"]) for m in sent}
        print("channels %-8s saturation: %d messages answered (%d distinct) in %.2f s: "
              "%.0f messages/s end to end" % (kind, n, len(answered), (last - first) / 1e9, per_s),
              flush=True)
        # On a shared 2-core machine the fake (Python) competes for the cores; the bot's
        # own CPU time per message says what one core of deskbot sustains.
        print("channels %-8s deskbot used %.2f s of CPU (%.0f us per message: %.0f messages/s "
              "per core, store on); the fake used %.2f s" % (
                  kind, bot_cpu, bot_cpu / n * 1e6, n / bot_cpu, fake_cpu), flush=True)
        print("channels %-8s peak RSS %.1f MB" % (kind, peak_rss_kb(bot.pid) / 1024), flush=True)
        bot.terminate()
        bot.wait(timeout=30)
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        # 2. Below saturation: a fresh fake and bot, and a steady stream at `rate`/s.
        fake = FakeServer(kind, token=TOKENS[kind], max_seconds=1800)
        fake.start()
        taskset(1, fake.proc.pid)
        workdir = tempfile.mkdtemp(prefix="deskbot-bench-")
        bot = start_bot(binary, kind, fake, workdir)
        wait_for(lambda: fake.stats()["requests"].get("lp" if kind == "vk" else "getUpdates"),
                 30, 0.05, "the bot polling")
        total = min(n, rate * 10)
        batch = items(kind, total, chats, base + 10 * chats)
        step = max(1, rate // 50)
        t0 = time.monotonic()
        for k in range(0, total, step):
            fake.inject(batch[k:k + step])
            ahead = (k + step) / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        wait_settled(fake, total, 300)
        first_reply = {}
        for m in replies_linked(fake):
            k = (m["peer"], m["reply_to"])
            if k not in first_reply or m["recv_ns"] < first_reply[k]["recv_ns"]:
                first_reply[k] = m
        lat = sorted((m["recv_ns"] - m["deliver_ns"]) / 1e6 for m in first_reply.values())
        print("channels %-8s at %d msg/s: latency delivery->reply p50 %.1f ms, p99 %.1f ms, "
              "max %.1f ms over %d messages" % (kind, rate, statistics.median(lat),
                                                lat[int(len(lat) * 0.99) - 1], lat[-1], len(lat)),
              flush=True)
        print("channels %-8s peak RSS %.1f MB (steady stream)" % (kind, peak_rss_kb(bot.pid) / 1024),
              flush=True)
        bot.terminate()
        bot.wait(timeout=30)
    finally:
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------- fast fake

FASTFAKE_CANDIDATES = [os.path.join(ROOT, "build-bench", "bench", "fastfake"),
                       os.path.join(ROOT, "build-bench", "fastfake")]


def find_fastfake():
    for p in FASTFAKE_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return None


class FastFake:
    """bench/fastfake.c as a subprocess on 127.0.0.1 (see the comment at its top)."""

    def __init__(self, path, kind, n, chats, max_seconds=1800, extra=()):
        self.path, self.kind, self.n, self.chats = path, kind, n, chats
        self.extra = [str(x) for x in extra]
        self.max_seconds = max_seconds
        self.proc = None
        self.dir = None
        self.base_url = None

    def start(self, timeout=10):
        self.dir = tempfile.mkdtemp(prefix="fastfake-")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "fake.log"), "wb")
        self.proc = subprocess.Popen(
            [self.path, "--kind", self.kind, "--port", "0", "--port-file", port_file,
             "--messages", str(self.n), "--chats", str(self.chats), "--token", TOKENS[self.kind],
             "--max-seconds", str(self.max_seconds)] + self.extra, stdout=self.log,
            stderr=subprocess.STDOUT)
        port = wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip(),
                        timeout, 0.01, "fastfake's port file")
        self.base_url = "http://127.0.0.1:%d" % int(port)

    def call(self, path, method="GET", timeout=10):
        req = urllib.request.Request(self.base_url + path, method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def stats(self):
        return self.call("/_stats")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir:
            self.log.close()
            if os.environ.get("FASTFAKE_TRACE"):
                shutil.copy(os.path.join(self.dir, "fake.log"), os.environ["FASTFAKE_TRACE"])
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def wait_answered(fake, at_least, timeout):
    """Polls /_stats every 0.25 s until at_least messages have a reply."""
    deadline = time.monotonic() + timeout
    while True:
        st = fake.stats()
        if st["answered"] >= at_least:
            return st
        if time.monotonic() >= deadline:
            raise TimeoutError("only %d of %d messages answered (%d delivered, %d sent)" % (
                st["answered"], at_least, st["delivered"], st["sent"]))
        time.sleep(0.25)


def check_line(kind, fake, n):
    """One more look a second later: replies beyond one per message, or odd ones."""
    time.sleep(1.0)
    st = fake.stats()
    print("channels %-8s checks: %d delivered, %d sends for %d messages (%d answered); "
          "%d messages with more than one linked reply (%d extra), %d sends naming no "
          "message, %d naming an undelivered one, %d to the wrong chat, %d duplicate "
          "random_id" % (kind, st["delivered"], st["sent"], n, st["answered"],
                         st["multi_replied"], st["extra_replies"], st["unlinked"],
                         st["bad_reply_to"], st["wrong_chat"], st["dup_random_id"]),
          flush=True)
    return st


def start_bot_waiting(binary, kind, fake, workdir, **kw):
    """Starts the bot and waits for its first poll. The HTTP port free_port() found can
    be taken before the bot binds it (a machine running test suites with thousands of
    client sockets): then the bot exits at once and is started again on another."""
    for attempt in range(5):
        bot = start_bot(binary, kind, fake, workdir, **kw)
        try:
            wait_for(lambda: bot.poll() is not None or fake.stats()["held"] >= 1, 30, 0.05,
                     "the bot polling")
        except TimeoutError:
            bot.kill()
            bot.wait()
        if bot.poll() is None:
            return bot
        with open(os.path.join(workdir, "bot.log"), errors="replace") as f:
            tail = f.read()[-2000:]
        if "cannot listen" not in tail or attempt == 4:
            raise SystemExit("%s: the bot never polled (exit %s); its log ends:\n%s"
                             % (kind, bot.returncode, tail))


def run_fast(kind, binary, fastfake, n, chats, rate):
    fake = FastFake(fastfake, kind, n, chats)
    bot = None
    workdir = tempfile.mkdtemp(prefix="deskbot-bench-")
    try:
        fake.start()
        taskset(1, fake.proc.pid)
        # 1. Saturation: the bot polls an empty fake; then the whole burst is released.
        bot = start_bot_waiting(binary, kind, fake, workdir)
        bot_cpu0 = cpu_seconds(bot.pid)
        fake_cpu0 = cpu_seconds(fake.proc.pid)
        fake.call("/_start", "POST")
        st = wait_answered(fake, n, 600)
        bot_cpu = cpu_seconds(bot.pid) - bot_cpu0
        fake_cpu = cpu_seconds(fake.proc.pid) - fake_cpu0
        span = (st["last_answer_ns"] - st["first_deliver_ns"]) / 1e9
        print("channels %-8s saturation: %d messages answered (%d distinct) in %.2f s: "
              "%.0f messages/s end to end" % (kind, n, st["answered"], span, n / span),
              flush=True)
        print("channels %-8s deskbot used %.2f s of CPU (%.0f us per message: %.0f messages/s "
              "per core, store on); the fake used %.2f s" % (
                  kind, bot_cpu, bot_cpu / n * 1e6, n / bot_cpu, fake_cpu), flush=True)
        print("channels %-8s peak RSS %.1f MB" % (kind, peak_rss_kb(bot.pid) / 1024), flush=True)
        check_line(kind, fake, n)
        bot.terminate()
        bot.wait(timeout=30)
        bot = None
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        # 2. Below saturation: a fresh fake and bot, and a steady stream at `rate`/s.
        total = min(n, rate * 10)
        fake = FastFake(fastfake, kind, total, chats)
        fake.start()
        taskset(1, fake.proc.pid)
        workdir = tempfile.mkdtemp(prefix="deskbot-bench-")
        bot = start_bot_waiting(binary, kind, fake, workdir)
        fake.call("/_stream?rate=%d&count=%d" % (rate, total), "POST")
        st = wait_answered(fake, total, 300 + total / rate)
        print("channels %-8s at %d msg/s: latency delivery->reply p50 %.1f ms, p99 %.1f ms, "
              "max %.1f ms over %d messages" % (kind, rate, st["p50_ms"], st["p99_ms"],
                                                st["max_ms"], st["answered"]), flush=True)
        print("channels %-8s peak RSS %.1f MB (steady stream)" % (kind, peak_rss_kb(bot.pid) / 1024),
              flush=True)
        check_line(kind, fake, total)
    finally:
        if bot is not None and bot.poll() is None:
            bot.terminate()
            bot.wait(timeout=30)
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def saturate(kind, binary, fastfake, n, chats, spread=True, no_cases=False):
    """One saturation burst of n messages over chats; returns (messages/s end to end,
    deskbot CPU seconds per message). no_cases: without the fake's complaint text
    ("не работает интернет", which opens a case once it comes again in a chat)."""
    extra = (["--spread", 1] if spread else []) + (["--texts", 5] if no_cases else [])
    fake = FastFake(fastfake, kind, n, chats, extra=extra)
    bot = None
    workdir = tempfile.mkdtemp(prefix="deskbot-bench-")
    try:
        fake.start()
        taskset(1, fake.proc.pid)
        bot = start_bot_waiting(binary, kind, fake, workdir)
        cpu0 = cpu_seconds(bot.pid)
        fake.call("/_start", "POST")
        st = wait_answered(fake, n, 900)
        cpu = cpu_seconds(bot.pid) - cpu0
        span = (st["last_answer_ns"] - st["first_deliver_ns"]) / 1e9
        print("channels %-8s   (%d chats: %.1f messages a poll, %.2f requests a message)"
              % (kind, chats, n / max(1, st["polls"]), st["requests"] / n), flush=True)
        return n / span, cpu / n
    finally:
        if bot is not None and bot.poll() is None:
            bot.terminate()
            bot.wait(timeout=30)
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run_curve(kind, binary, fastfake, n, fixed_chats=0, spread=True, rounds=1):
    """Per-message cost against conversation length. By default the same n messages
    spread over fewer chats, so each conversation (and its open case) grows longer, but
    fewer chats also share each request and commit; with fixed_chats the number of chats
    stays the same and only the length of each conversation grows.

    spread (the default): a poll's messages come from chats scattered over the id range,
    as real customers' are. With sequential ids (--sequential-ids) the 100 messages of a
    poll come from 100 consecutive chat ids, whose entries in the store's per-chat
    indexes sit side by side: a commit then writes a few index pages for 5,000 short
    conversations but one page per chat for 100 long ones, and the curve measures that
    accident of the fake, not the length of conversations.

    rounds > 1: every point is measured that many times, the points taking turns (round
    r starts at point r), and each line prints the medians and the range. On a shared
    machine one run of a point can be 40% off; the median of interleaved rounds is what
    a comparison between points can rest on."""
    points = [(4, False), (50, False), (200, False), (1000, False), (4, True), (200, True)]
    runs = {pt: [] for pt in points}
    for r in range(rounds):
        order = points[r % len(points):] + points[:r % len(points)]
        for per_chat, no_cases in order:
            chats = fixed_chats or max(1, n // per_chat)
            runs[(per_chat, no_cases)].append(
                saturate(kind, binary, fastfake, chats * per_chat, chats, spread, no_cases))
            if rounds == 1:
                print_curve(kind, points, runs, n, fixed_chats, only=(per_chat, no_cases))
    if rounds > 1:
        print_curve(kind, points, runs, n, fixed_chats)


def print_curve(kind, points, runs, n, fixed_chats, only=None):
    """Prints each measured point against the first point of its series (with cases: 4
    messages a chat; without: 4 messages a chat without cases). The rows without cases
    show where the rest goes: with many messages a chat nearly every chat soon has an
    open case, and every later message is added to its transcript; without the
    complaint text no case ever opens, so they show what conversation length alone
    costs."""
    def median(xs):
        xs = sorted(xs)
        k = len(xs)
        return xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2
    for per_chat, no_cases in points:
        got = runs[(per_chat, no_cases)]
        if not got or (only and only != (per_chat, no_cases)):
            continue
        base = runs[(4, no_cases)]
        if not base:
            continue
        rate, cpu = median([g[0] for g in got]), median([g[1] for g in got])
        rate0, cpu0 = median([g[0] for g in base]), median([g[1] for g in base])
        chats = fixed_chats or max(1, n // per_chat)
        spread = ""
        if len(got) > 1:
            spread = "; %d runs, CPU %.0f-%.0f us, rate %.0f-%.0f/s" % (
                len(got), min(g[1] for g in got) * 1e6, max(g[1] for g in got) * 1e6,
                min(g[0] for g in got), max(g[0] for g in got))
        print("channels %-8s %s: %4d messages a chat (%5d chats): %6.0f us CPU per "
              "message (%.2fx the first), %5.0f messages/s end to end (%.0f%% of the "
              "first)%s" % (kind, "no cases" if no_cases else "curve", per_chat, chats,
                             cpu * 1e6, cpu / cpu0, rate, 100 * rate / rate0, spread),
              flush=True)


def limits_run(kind, binary, fastfake, n, chats, fake_args, bot_kw, wait_key="answered",
               want=None, timeout=600):
    """One burst: a fresh fake and bot, the burst released at once; returns the stats
    once `want` messages (of those the latency figures cover) are answered, and the
    time from the first delivery to then."""
    fake = FastFake(fastfake, kind, n, chats, extra=fake_args)
    bot = None
    workdir = tempfile.mkdtemp(prefix="deskbot-bench-")
    try:
        fake.start()
        taskset(1, fake.proc.pid)
        bot = start_bot_waiting(binary, kind, fake, workdir, **bot_kw)
        fake.call("/_start", "POST")
        want = n if want is None else want
        deadline = time.monotonic() + timeout
        while True:
            st = fake.stats()
            if st[wait_key] >= want:
                break
            if time.monotonic() >= deadline:
                raise TimeoutError("%s: only %d of %d answered" % (kind, st[wait_key], want))
            time.sleep(0.05)
        span = (st["last_answer_ns"] - st["first_deliver_ns"]) / 1e9
        return st, span
    finally:
        if bot is not None and bot.poll() is None:
            bot.terminate()
            bot.wait(timeout=30)
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run_limits(kind, binary, fastfake):
    goal_rate = 450 if kind == "vk" else 27
    goal_p99 = 2.0 if kind == "vk" else 5.0
    # 1. A burst of 2,000 messages from 500 customers at the real limits.
    st, span = limits_run(kind, binary, fastfake, 2000, 500, ["--limits", 1], {"limits": True})
    print("limits %-8s burst 2000 msgs / 500 customers: last answer after %.2f s, %.0f "
          "answers/s (goal >= %d; %.0f sends/s), time to answer p50 %.0f ms, p99 %.0f ms; "
          "%d sends in %d API "
          "requests (%d execute); refused by the fake: %d (%d of them sends)" % (
              kind, span, 2000 / span, goal_rate, st["sent"] / span, st["p50_ms"],
              st["p99_ms"], st["sent"],
              st["api_requests"] if kind == "vk" else st["sent"],
              st["execute_requests"], st["refused"], st["refused_sends"]), flush=True)
    # 2. One customer floods 1,000 while 100 others write once.
    st, span = limits_run(kind, binary, fastfake, 1100, 100, ["--limits", 1, "--flood", 1000],
                          {"limits": True}, wait_key="lat_answered", want=100)
    print("limits %-8s flood 1000 from one + 100 others once: others' time to answer p50 "
          "%.0f ms, p99 %.0f ms (goal <= %.0f s), max %.0f ms; flood answers by then %d; "
          "refused by the fake: %d" % (kind, st["p50_ms"], st["p99_ms"], goal_p99,
                                        st["max_ms"], st["answered"] - st["lat_answered"],
                                        st["refused"]), flush=True)
    # 4. 50 ms latency, no limits: against the fake's own capacity (32 at a time: as many
    #    as deskbot's Telegram window allows, so every gap shows; 16: the fake is the
    #    narrower side).
    variants = [("", {}, 32)]
    if kind == "vk":
        variants.append((" execute_max 1", {"execute_max": 1}, 32))
        variants.append((" execute_max 1", {"execute_max": 1}, 16))
    else:
        variants.append(("", {}, 16))
    for label, extra, conc in variants:
        n = 20000
        cap_req = conc * 1000 / 50
        st, span = limits_run(kind, binary, fastfake, n, 5000,
                              ["--latency-ms", 50, "--max-concurrent", conc],
                              {"vk_extra": extra})
        reqs = (st["execute_requests"] + (st["sent"] - st["execute_calls"])) \
            if kind == "vk" else st["sent"]
        cap_ans = cap_req * (25 if kind == "vk" and not extra else 1)
        print("limits %-8s 50 ms latency, %d at a time, no limits%s: %.0f answers/s, %.0f "
              "send requests/s; the fake's capacity %.0f requests/s (%.0f answers/s): %.0f%% "
              "of its requests, %.0f%% of its answers" % (
                  kind, conc, label, n / span, reqs / span, cap_req, cap_ans,
                  100 * reqs / span / cap_req, 100 * n / span / cap_ans), flush=True)
    if kind == "vk":
        st, span = limits_run(kind, binary, fastfake, 2000, 500,
                              ["--limits", 1, "--latency-ms", 200], {"limits": True})
        print("limits %-8s burst 2000 / 500 at the limits with 200 ms latency: %.0f answers/s, "
              "p50 %.0f ms, p99 %.0f ms; refused %d" % (kind, 2000 / span, st["p50_ms"],
                                                       st["p99_ms"], st["refused"]), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "deskbot"))
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--chats", type=int, default=5000)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--only", choices=["vk", "telegram"])
    ap.add_argument("--fake", choices=["fast", "python"],
                    help="fast: bench/fastfake.c (default when built); python: tests/fakes")
    ap.add_argument("--fastfake", default=None, help="path to the fastfake binary")
    ap.add_argument("--curve", action="store_true",
                    help="print CPU per message at 4, 50, 200 and 1000 messages a chat")
    ap.add_argument("--rounds", type=int, default=1,
                    help="with --curve: measure every point this many times, interleaved, "
                         "and print medians")
    ap.add_argument("--curve-chats", type=int, default=0,
                    help="with --curve: this many chats at every point (messages grow)")
    ap.add_argument("--limits", action="store_true",
                    help="the issue-13 scenarios at the platforms' real limits (C fake)")
    ap.add_argument("--sequential-ids", action="store_true",
                    help="with --curve: consecutive messages from consecutive chat ids "
                         "(the fake's old order; default: scattered ids, as real chats)")
    a = ap.parse_args()
    # The bot runs in its own temporary directory: a relative path must not depend on it.
    a.binary = os.path.abspath(a.binary)
    fastfake = os.path.abspath(a.fastfake) if a.fastfake else find_fastfake()
    if a.fake is None:
        a.fake = "fast" if fastfake else "python"
    if a.fake == "fast" and not fastfake:
        raise SystemExit("fastfake not built (looked for %s); build it or use --fake python"
                         % " and ".join(FASTFAKE_CANDIDATES))
    print("channels: fake %s%s" % (a.fake, " (%s)" % fastfake if a.fake == "fast" else ""),
          flush=True)
    for kind in ("vk", "telegram"):
        if not a.only or a.only == kind:
            if a.limits:
                if a.fake != "fast":
                    raise SystemExit("--limits needs the C fake (--fake fast)")
                run_limits(kind, a.binary, fastfake)
            elif a.curve:
                if a.fake != "fast":
                    raise SystemExit("--curve needs the C fake (--fake fast)")
                run_curve(kind, a.binary, fastfake, a.messages, a.curve_chats,
                          not a.sequential_ids, max(1, a.rounds))
            elif a.fake == "fast":
                run_fast(kind, a.binary, fastfake, a.messages, a.chats, a.rate)
            else:
                run_python(kind, a.binary, a.messages, a.chats, a.rate)


if __name__ == "__main__":
    main()
