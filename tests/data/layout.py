#!/usr/bin/env python3
"""Russian typed with the keyboard switched to US QWERTY, and back.

The mapping is key for key (ЙЦУКЕН <-> QWERTY): "баланс" -> ",fkfyc", "роуминг" -> "hjevbyu".

  python3 layout.py "как проверить баланс"   prints the QWERTY form
  python3 layout.py --decode ",fkfyc"         prints the Cyrillic form
  python3 layout.py --check                    decodes every `layout` row of utterances.tsv
                                               and fails if one is not clean Cyrillic
"""
import os
import re
import sys

RU_LOWER = "йцукенгшщзхъфывапролджэячсмитьбюё"
EN_LOWER = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
RU_UPPER = "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
EN_UPPER = "QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~"
# Punctuation that sits on other keys in the Russian layout: "." is the "/" key,
# "," is shift+"/", "?" is shift+"7", "!" stays on shift+"1".
RU_PUNCT = ".,?\"№;:"
EN_PUNCT = "/?&@#$^"

TO_EN = {}
for a, b in zip(RU_LOWER + RU_UPPER + RU_PUNCT, EN_LOWER + EN_UPPER + EN_PUNCT):
    TO_EN[a] = b
TO_RU = {v: k for k, v in TO_EN.items()}

assert len(RU_LOWER) == len(EN_LOWER) == len(RU_UPPER) == len(EN_UPPER) == 33
assert len(RU_PUNCT) == len(EN_PUNCT)


def to_qwerty(text):
    """Russian text -> the same keys pressed with the US layout on."""
    return "".join(TO_EN.get(ch, ch) for ch in text)


def to_russian(text):
    """QWERTY keystrokes -> what they give with the Russian layout on."""
    return "".join(TO_RU.get(ch, ch) for ch in text)


CLEAN_RU = re.compile(r"^[а-яё0-9 .,?!\-]+$", re.IGNORECASE)


def check_rows(path):
    bad = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if n == 1 or len(parts) != 3 or parts[0] != "layout":
                continue
            text = parts[1]
            back = to_russian(text)
            if re.search(r"[а-яё]", text, re.IGNORECASE) or not CLEAN_RU.match(back):
                print(f"{path}:{n}:1: layout row does not decode to clean Cyrillic: {text!r} -> {back!r}")
                bad += 1
            elif to_qwerty(back) != text:
                print(f"{path}:{n}:1: layout row does not round-trip: {text!r}")
                bad += 1
    return bad


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if len(argv) > 1 and argv[1] == "--check":
        path = argv[2] if len(argv) > 2 else os.path.join(here, "utterances.tsv")
        bad = check_rows(path)
        return 1 if bad else 0
    if len(argv) > 2 and argv[1] == "--decode":
        for t in argv[2:]:
            print(to_russian(t))
        return 0
    for t in argv[1:] or [l.rstrip("\n") for l in sys.stdin]:
        print(to_qwerty(t))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
