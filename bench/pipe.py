#!/usr/bin/env python3
"""bench/pipe: `deskbot match` used the way a script uses it, through a pipe, one line
written and its answer read before the next (issue 12, item 8).

Usage: python3 bench/pipe.py [--binary build-bench/deskbot] [--replies replies]
                             [--data tests/data/utterances.tsv] [--rounds 3]
                             [--baseline]
Prints the median and p90 round trip per line, and the CPU (user + system) the process
spent per line, with the CPU of loading the reply set (a run on empty input) taken off.
--baseline also times `cat` through the same pipe: the floor any program pays."""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def read_lines(path):
    out = []
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        for row in f:
            text = row.rstrip("\n").split("\t")[1:2]
            if text and text[0].strip():
                out.append(text[0])
    return out


def cpu_of(pid_status):
    ru = pid_status[2]
    return ru.ru_utime + ru.ru_stime


def run(cmd, lines, rounds):
    """Round trips in seconds, and the child's CPU seconds."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    out = p.stdout
    times = []
    for _ in range(rounds):
        for line in lines:
            data = (line + "\n").encode()
            t0 = time.perf_counter()
            p.stdin.write(data)
            got = b""
            while not got.endswith(b"\n"):
                chunk = os.read(out.fileno(), 65536)
                if not chunk:
                    raise SystemExit("%s stopped answering" % cmd[0])
                got += chunk
            times.append(time.perf_counter() - t0)
    p.stdin.close()
    cpu = cpu_of(os.wait4(p.pid, 0))
    return times, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "deskbot"))
    ap.add_argument("--replies", default=os.path.join(ROOT, "replies"))
    ap.add_argument("--data", default=os.path.join(ROOT, "tests", "data", "utterances.tsv"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", action="store_true")
    a = ap.parse_args()
    lines = read_lines(a.data)
    cmd = [a.binary, "match", "--replies", a.replies]
    _, load_cpu = run(cmd, [], 1)
    times, cpu = run(cmd, lines, a.rounds)
    n = len(times)
    times.sort()
    print("deskbot match through a pipe: %d lines" % n)
    print("  round trip median %.3f ms, p90 %.3f ms" % (statistics.median(times) * 1e3,
                                                       times[int(n * 0.9)] * 1e3))
    print("  CPU per line %.1f us (loading the set: %.1f ms, taken off)" % (
        max(cpu - load_cpu, 0) / n * 1e6, load_cpu * 1e3))
    if a.baseline:
        bt, _ = run(["cat"], lines, a.rounds)
        print("  cat through the same pipe: median %.3f ms" % (statistics.median(bt) * 1e3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
