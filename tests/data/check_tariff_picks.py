#!/usr/bin/env python3
"""Recomputes every case of tariff_picks.tsv from replies/tariffs.json.

Each row is `text<TAB>expected_plan<TAB>reason`; the reason starts with the needs the
text states, `min=N gb=N sms=N budget=N|none:` (N may be `inf` for "безлимит"),
followed by the hand computation `plan fee + overage = total; ...`.

The rule (the one the bot's calculator follows):
  total(plan) = monthly_fee + for minutes, SMS and GB beyond the package: excess * overage
  - an unlimited flag covers any need at no extra cost;
  - a null overage means the plan cannot go beyond its package;
  - an unlimited need is covered only by an unlimited flag.
  The answer is the covering plan with the lowest total. A budget does not change it:
  when that total is within the budget the answer says it fits; when it is not, no plan
  fits, and the bot offers that nearest plan saying no plan fits the budget (issue 12).
  `-` (no plan) is left for needs no plan covers.

The script also re-reads the needs from the text with a small parser, so a reason that
does not say what the text says is caught. Exit status 1 on any disagreement.

  python3 tests/data/check_tariff_picks.py [--tariffs FILE] [--cases FILE] [-v]
"""
import argparse
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
INF = math.inf
RESOURCES = (("minutes", "minute"), ("sms", "sms"), ("gb", "gb"))


def cost(plan, need):
    """Monthly total of plan for need {"minutes","sms","gb"}, or None if it cannot cover it."""
    total = float(plan["monthly_fee"])
    for res, ov in RESOURCES:
        want = need[res]
        if plan["unlimited"][res]:
            continue
        have = plan[res]
        if want <= have:
            continue
        price = plan["overage"][ov]
        if want == INF or price is None:
            return None
        total += (want - have) * price
    return total


def pick(tariffs, need, budget):
    """(best plan id or None, its total, sorted [(total, id)] of covering plans)."""
    options = []
    for t in tariffs:
        c = cost(t, need)
        if c is not None:
            options.append((c, t["id"]))
    options.sort()
    if not options:
        return None, None, options
    best_total, best = options[0]
    if len(options) > 1 and abs(options[1][0] - best_total) < 1e-9:
        raise ValueError(f"tie between {best} and {options[1][1]} at {best_total}: the case is ambiguous")
    return best, best_total, options


def num(s):
    if s == "inf":
        return INF
    return float(s)


def parse_reason(reason):
    head = reason.split(":", 1)[0]
    kv = dict(re.findall(r"(\w+)=(\S+)", head))
    missing = {"min", "gb", "sms", "budget"} - set(kv)
    if missing:
        raise ValueError(f"reason lacks {sorted(missing)} before ':'")
    need = {"minutes": num(kv["min"]), "gb": num(kv["gb"]), "sms": num(kv["sms"])}
    budget = None if kv["budget"] == "none" else num(kv["budget"])
    return need, budget


def parse_text(text):
    """A deliberately small reader of the needs, to cross-check the reason column."""
    t = text.lower().replace("ё", "е")
    need = {"minutes": 0.0, "gb": 0.0, "sms": 0.0}
    budget = None
    m = re.search(r"(\d+)\s*(?:минут|мин\b|minutes|mins?\b)", t) or re.search(r"(?:минут|minutes)\s+(\d+)", t)
    if m:
        need["minutes"] = float(m.group(1))
    m = re.search(r"(\d+)\s*(?:гб|гиг|gb|гигабайт)", t)
    if m:
        need["gb"] = float(m.group(1))
    m = re.search(r"(\d+)\s*(?:смс|sms)", t)
    if m:
        need["sms"] = float(m.group(1))
    m = re.search(r"(?:\bдо|не дороже|бюджет|under|up to)\s*(\d+)", t)
    if m:
        budget = float(m.group(1))
    if re.search(r"безлимит\w*\s+на\s+вс", t):
        need = {"minutes": INF, "gb": INF, "sms": INF}
    if re.search(r"безлимитн\w*\s+интернет|безлимит\w*\s+на\s+интернет|unlimited\s+data", t):
        need["gb"] = INF
    if re.search(r"безлимитн\w*\s+(?:звонк|минут)|unlimited\s+(?:calls|minutes)", t):
        need["minutes"] = INF
    return need, budget


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tariffs", default=os.path.join(ROOT, "replies", "tariffs.json"))
    ap.add_argument("--cases", default=os.path.join(HERE, "tariff_picks.tsv"))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    with open(a.tariffs, encoding="utf-8") as f:
        tariffs = json.load(f)["tariffs"]
    ids = {t["id"] for t in tariffs}
    bad = 0
    rows = 0
    with open(a.cases, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[0] != "text\texpected_plan\treason":
        print(f"{a.cases}:1:1: header must be text<TAB>expected_plan<TAB>reason")
        return 1
    for n, line in enumerate(lines[1:], 2):
        if not line:
            continue
        rows += 1
        parts = line.split("\t")
        if len(parts) != 3:
            print(f"{a.cases}:{n}:1: expected 3 columns")
            bad += 1
            continue
        text, expected, reason = parts
        if expected != "-" and expected not in ids:
            print(f"{a.cases}:{n}:1: unknown plan {expected!r}")
            bad += 1
            continue
        try:
            need, budget = parse_reason(reason)
            best, total, options = pick(tariffs, need, budget)
        except ValueError as e:
            print(f"{a.cases}:{n}:1: {e}")
            bad += 1
            continue
        tneed, tbudget = parse_text(text)
        if tneed != need or tbudget != budget:
            print(f"{a.cases}:{n}:1: the reason says {need} budget {budget}, the text reads as {tneed} budget {tbudget}")
            bad += 1
        got = best or "-"
        if got != expected:
            print(f"{a.cases}:{n}:1: expected {expected!r} but the tariffs give {got!r} "
                  f"(covering plans by total: {[(i, round(c, 2)) for c, i in options]})")
            bad += 1
            continue
        if best is not None:
            m = re.match(r"\s*(\w+)\b[^;]*?=\s*(\d+(?:\.\d+)?)", reason.split(":", 1)[1])
            if not m or m.group(1) != best or abs(float(m.group(2)) - total) > 1e-6:
                print(f"{a.cases}:{n}:1: the reason's computation should start with '{best} ... = {total:g}'")
                bad += 1
        if a.verbose:
            print(f"ok {expected:8} {total!s:>8}  {text}")
    if rows < 15:
        print(f"{a.cases}:1:1: only {rows} cases, need at least 15")
        bad += 1
    print(f"{rows} case(s), {bad} disagreement(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
