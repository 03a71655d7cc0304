"""One clock: no code outside bot/clock.c reads the wall clock (time(), gettimeofday(),
clock_gettime(CLOCK_REALTIME), ...), so that DESKBOT_CLOCK moves every "now" of the
daemon and a test result cannot depend on when it runs. The loop's monotonic uv_now() and
CLOCK_MONOTONIC are intervals, not wall time, and stay allowed."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE_DIR, Runner, check  # noqa: E402

WALL = re.compile(r"\btime\s*\(\s*(NULL|0|&)|\bgettimeofday\s*\(|CLOCK_REALTIME|"
                  r"\bftime\s*\(|\btimespec_get\s*\(|\bdate\s*\(\s*\)")
ALLOWED = {os.path.join("bot", "clock.c")}


def sources():
    for top in ("bot", "handlers"):
        for root, _, files in os.walk(os.path.join(SOURCE_DIR, top)):
            for name in files:
                if name.endswith((".c", ".h")):
                    path = os.path.join(root, name)
                    yield os.path.relpath(path, SOURCE_DIR), path


def test_no_wall_clock_outside_clock_c():
    found = []
    n = 0
    for rel, path in sources():
        n += 1
        if rel in ALLOWED:
            continue
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                code = line.split("//")[0]
                if code.lstrip().startswith(("*", "/*")):
                    continue  # a comment that names what not to do
                if WALL.search(code):
                    found.append("%s:%d: %s" % (rel, i, line.strip()))
    check(n > 30, "read only %d source files: wrong SOURCE_DIR?" % n)
    check(not found, "wall clock read outside bot/clock.c:\n" + "\n".join(found))


def test_the_check_sees_a_direct_read():
    # The pattern must catch what it is there to catch.
    for bad in ("t = time(NULL);", "gettimeofday(&tv, NULL);",
                "clock_gettime(CLOCK_REALTIME, &ts);", "time(&now);"):
        check(WALL.search(bad), "pattern misses %r" % bad)
    for good in ("uv_now(loop)", "clock_now_ms()", "clock_gettime(CLOCK_MONOTONIC, &ts)",
                 "worktime(x)"):
        check(not WALL.search(good), "pattern flags %r" % good)


if __name__ == "__main__":
    r = Runner()
    r.run(test_no_wall_clock_outside_clock_c)
    r.run(test_the_check_sees_a_direct_read)
    r.finish()
