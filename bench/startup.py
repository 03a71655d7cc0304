#!/usr/bin/env python3
"""bench/startup: time from exec to /healthz answering, and idle RSS.

Usage: python3 bench/startup.py [--binary build-bench/deskbot] [--runs 20]
Each run starts the default set-up in a fresh temporary directory (a config that only
sets a private port, so runs can go back to back, and quiet logging). Prints median / p90 / max start-up time and the
resident memory after 2 s of idling."""

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


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one_run(binary, idle_s):
    d = tempfile.mkdtemp(prefix="deskbot-bench-")
    port = free_port()
    cfg = os.path.join(d, "c.json")
    with open(cfg, "w") as f:
        json.dump({"http": {"listen": "127.0.0.1:%d" % port},
                   "replies": {"dir": os.path.join(ROOT, "replies")},
                   "log": {"level": "warn"}}, f)
    url = "http://127.0.0.1:%d/healthz" % port
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "run", "--config", cfg], cwd=d, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if p.poll() is not None:
                raise SystemExit("deskbot exited during start-up")
            if time.perf_counter() - t0 > 10:
                raise SystemExit("deskbot did not answer within 10 s")
            time.sleep(0.001)
        elapsed = time.perf_counter() - t0
        rss = 0
        if idle_s:
            time.sleep(idle_s)
            rss = rss_kb(p.pid)
        return elapsed, rss
    finally:
        p.terminate()
        p.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "deskbot"))
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    # The bot runs in its own temporary directory: a relative path must not depend on it.
    a.binary = os.path.abspath(a.binary)
    times, rss = [], []
    for i in range(a.runs):
        t, r = one_run(a.binary, 2.0 if i < 3 else 0)
        times.append(t * 1000)
        if r:
            rss.append(r)
    times.sort()
    print("startup: exec -> /healthz 200 over %d runs: median %.1f ms, p90 %.1f ms, max %.1f ms"
          % (len(times), statistics.median(times), times[int(len(times) * 0.9) - 1], times[-1]))
    print("startup: idle RSS after 2 s: %.1f MB (max of %d runs)" % (max(rss) / 1024, len(rss)))


if __name__ == "__main__":
    main()
