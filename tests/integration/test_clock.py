"""Time is an input: the real binary on a clock set with DESKBOT_CLOCK, at night, at the
edges of working hours, on a Sunday and on a holiday the settings make. At every hour the
customer's case reply carries the case number and a time that reads right (the expected
time in working hours, when the team starts outside them), and the same text reaches the
case transcript and the CRM-style export."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402
from test_complaints import TG_TOKEN, Chat, answered_first, config, export  # noqa: E402

# (local Moscow time, working?, what the reply must say about time)
TIMES = [
    ("2026-12-02T03:00:00", False, "после 09:00"),
    ("2026-12-02T08:59:00", False, "после 09:00"),
    ("2026-12-02T09:00:00", True, r"ориентировочно до (09|1[0-3]):\d\d"),
    ("2026-12-02T20:59:00", True, r"ориентировочно до 03\.12 \d\d:\d\d"),
    ("2026-12-02T21:00:00", False, r"после 03\.12 09:00"),
    ("2026-12-06T15:00:00", True, r"ориентировочно до 1[5-9]:\d\d"),  # a Sunday: open
]
HOLIDAY = "2026-12-31"


def run_case(when, working, expect, holidays=None):
    tg = FakeServer("telegram", token=TG_TOKEN)
    with tg:
        bot = Deskbot(config=config(tg), env={"DESKBOT_CLOCK": when + "+03:00"})
        if holidays:
            path = os.path.join(bot.dir, "replies", "settings.json")
            with open(path) as f:
                s = json.load(f)
            s["holidays"] = holidays
            with open(path, "w") as f:
                json.dump(s, f, ensure_ascii=False)
        with bot:
            talk(tg, bot, when, working, expect)


def talk(tg, bot, when, working, expect):
    c = Chat(tg, 7000000901)
    # Answered first; the "Не помогло" button opens the case.
    data = answered_first(bot, c, "интернет не работает с утра, мой номер +7 (916) 123-45-67",
                          "режим полёта")
    a = c.press(data)
    check("Где возникает проблема" in a, "%s: location not asked: %r" % (when, a))
    b = c.say("Москва, Тверская 1")
    check(re.search(r"номер \d{6}", b), "%s: no case number: %r" % (when, b))
    check("{" not in b and "номер ." not in b and "до до" not in b and " ." not in b,
          "%s: a hole in the reply: %r" % (when, b))
    check(re.search(expect, b), "%s: expected %r in %r" % (when, expect, b))
    if working:
        check("нерабочее" not in b, "%s: said after hours in hours: %r" % (when, b))
    else:
        check("нерабочее время" in b, "%s: no after-hours notice: %r" % (when, b))
    cases = export(bot)
    check(len(cases) == 1, cases)
    bot_lines = [l["text"] for l in cases[0]["transcript"] if l["from"] == "bot"]
    check(any(b.split("\n")[-1] in t or t in b for t in bot_lines),
          "%s: the transcript does not hold what the customer saw: %r / %r"
          % (when, bot_lines, b))
    check(all("{" not in t and "номер ." not in t for t in bot_lines), bot_lines)
    print("clock %s: %s" % (when, b.split("\n")[-1][:120]), flush=True)


def make_test(when, working, expect):
    def t():
        run_case(when, working, expect)
    t.__name__ = "test_case_reply_at_%s" % when.replace(":", "").replace("-", "")
    return t


def test_holiday_is_a_day_off():
    # A weekday the settings list as a holiday: after-hours text, the team starts the next
    # working day.
    run_case(HOLIDAY + "T12:00:00", False, r"после 01\.01 09:00", holidays=[HOLIDAY])


if __name__ == "__main__":
    r = Runner()
    for when, working, expect in TIMES:
        r.run(make_test(when, working, expect))
    r.run(test_holiday_is_a_day_off)
    r.finish()
