#!/usr/bin/env python3
"""Checks the default reply set (replies/) against the rules of replies/README.md, plus
the project's own minimums, and checks the labelled test sets in tests/data against it.

  python3 tests/data/check_replies.py [--replies DIR] [--data DIR] [--no-data]

Every problem is printed as `file:line:col: message`; the exit status is 1 if there is
any. Warnings (printed with "warning:") do not fail the run.
"""
import argparse
import glob
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import layout  # noqa: E402

PLACEHOLDERS = {"case_id", "name", "eta", "phone", "account", "plan", "fee", "minutes", "sms",
                "gb", "total", "reason", "plan_a", "plan_b", "missing", "topics", "operator",
                "work_start", "needs"}
REQUIRED_BOT = ["fallback", "clarify", "greeting_first", "operator_handoff", "tariff_pick",
                "tariff_info", "tariff_compare", "tariff_ask_minutes", "tariff_ask_gb",
                "tariff_ask_budget", "tariff_none", "complaint_ack", "ask_phone", "ask_account",
                "ask_location", "ask_description", "case_created", "case_created_after_hours",
                "case_appended", "operator_will_answer", "unsupported_attachment", "empty_message"]
KINDS = {"faq", "smalltalk", "operator", "tariff", "complaint", "idea", "out_of_scope"}
SEVERITIES = {"critical", "high", "normal", "low"}
NEEDS = {"phone", "account", "location", "description"}
LEXICONS = ["obscene", "legal_threat", "spread_call", "negative", "operator_request", "problem",
            "grievance"]
# Read when present (the dialogue's worded answers, refusals, details for an open case).
OPTIONAL_LEXICONS = ["amount_any", "amount_none", "amount_few", "amount_many", "refusal", "dont_know",
                     "case_detail", "data_device", "cheapest", "about_bot"]
ID_RE = re.compile(r"^[a-z0-9_]+$")
PH_RE = re.compile(r"\{([^{}]*)\}")
CYR_RE = re.compile(r"[а-яё]", re.IGNORECASE)

# The ids the project brief fixes, with their kind.
REQUIRED_INTENTS = {k: "faq" for k in (
    "balance topup promised_payment autopay remaining_package current_tariff change_tariff roaming "
    "international_calls internet_settings internet_extra_package tethering coverage five_g "
    "volte_wifi_calling sim_replacement esim number_porting block_lost_sim unblock_number "
    "change_number paid_subscriptions spam_calls call_forwarding voicemail call_history puk "
    "app_login personal_account offices support_contacts contract_termination owner_change "
    "passport_update home_internet home_tv family_sharing bonus_points refund invoice_documents "
    "business_account privacy_data sms_not_delivered missed_calls_notification device_purchase").split()}
REQUIRED_INTENTS.update({k: "smalltalk" for k in "greeting thanks goodbye how_are_you bot_identity".split()})
REQUIRED_INTENTS.update({"operator_request": "operator", "tariff_pick": "tariff",
                         "tariff_info": "tariff", "tariff_compare": "tariff"})
REQUIRED_COMPLAINTS = {
    "complaint_no_service": ("critical", {"phone", "location", "description"}),
    "complaint_slow_internet": ("high", {"phone", "location"}),
    "complaint_wrong_charge": ("high", {"phone", "account", "description"}),
    "complaint_subscriptions": ("normal", {"phone"}),
    "complaint_roaming_bill": ("high", {"phone", "account"}),
    "complaint_coverage": ("normal", {"phone", "location"}),
    "complaint_staff": ("normal", {"phone", "description"}),
    "complaint_sms_calls": ("high", {"phone", "description"}),
    "complaint_home_internet": ("high", {"account", "description"}),
    "complaint_general": ("normal", {"phone", "description"}),
}
MIN_FAQ = 45
MIN_EXAMPLES = {"ru": 6, "en": 4}   # project minimum (README: 3 per language)
MIN_OPERATOR_TEMPLATES = 12
MIN_TARIFFS = 6
FEE_RANGE = (300, 1500)
UTTERANCE_GROUPS = {"plain": 120, "typo": 40, "layout": 30, "translit": 30, "english": 40,
                    "long": 20, "oos": 50, "tariff": 20, "smalltalk": 20}
MIN_COMPLAINT_ROWS = 150
MIN_NON_COMPLAINTS = 20


class Report:
    def __init__(self):
        self.errors = 0
        self.warnings = 0

    def err(self, path, line, col, msg):
        print(f"{os.path.relpath(path)}:{line}:{col}: {msg}")
        self.errors += 1

    def warn(self, path, line, col, msg):
        print(f"{os.path.relpath(path)}:{line}:{col}: warning: {msg}")
        self.warnings += 1


class Source:
    """A JSON file with a way to point at a line: the first occurrence of a needle."""

    def __init__(self, path, rep):
        self.path = path
        self.rep = rep
        self.data = None
        with open(path, "rb") as f:
            raw = f.read()
        try:
            self.text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self.text = ""
            rep.err(path, 1, 1, f"not UTF-8: {e}")
            return
        self.lines = self.text.split("\n")
        try:
            self.data = json.loads(self.text)
        except json.JSONDecodeError as e:
            rep.err(path, e.lineno, e.colno, f"invalid JSON: {e.msg}")

    def where(self, *needles):
        """Line and column of the first needle found (searching from the previous one)."""
        start = 0
        line, col = 1, 1
        for needle in needles:
            if needle is None:
                continue
            i = self.text.find(needle, start)
            if i < 0:
                continue
            start = i
            line = self.text.count("\n", 0, i) + 1
            col = i - (self.text.rfind("\n", 0, i) + 1) + 1
        return line, col

    def err(self, msg, *needles):
        self.rep.err(self.path, *self.where(*needles), msg)

    def warn(self, msg, *needles):
        self.rep.warn(self.path, *self.where(*needles), msg)


def jkey(k):
    return f'"{k}"'


def jid(v):
    return f'"id": "{v}"'


def norm(text):
    """The normalisation the bot applies before matching: NFKC, lower case, ё as е."""
    t = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return t


def tokens(text):
    return re.findall(r"[0-9a-zа-яъь]+", norm(text))


def norm_phrase(text):
    return " ".join(tokens(text))


# Words that do not make a paraphrase: "как проверить баланс" and "проверить баланс" are
# the same test.
FILLER = set("""как а и я мне меня у в на ли можно пожалуйста подскажите скажите ну вот это
же бы ещё еще уже мой моя мое моё мои ваш ваша the a an i my me to is do please can how""".split())


def core(text):
    return " ".join(sorted(set(t for t in tokens(text) if t not in FILLER)))


def has_phrase(text_tokens, entry_tokens):
    """Entry words as word prefixes of consecutive text words (the README's rule)."""
    n = len(entry_tokens)
    if n == 0:
        return False
    for i in range(len(text_tokens) - n + 1):
        if all(text_tokens[i + j].startswith(entry_tokens[j]) for j in range(n)):
            return True
    return False


def is_shouting(text):
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 6:
        return False
    upper = sum(1 for c in letters if c.isupper())
    return upper / len(letters) >= 0.6


def lang_text(src, obj, what, needles, need_cyr_ru=True):
    """obj must be {"ru": non-empty str, "en": non-empty str}."""
    if not isinstance(obj, dict):
        src.err(f"{what} must be an object with \"ru\" and \"en\"", *needles)
        return False
    ok = True
    for lang in ("ru", "en"):
        v = obj.get(lang)
        if not isinstance(v, str) or not v.strip():
            src.err(f"{what}.{lang} is missing or empty", *needles)
            ok = False
    for k in obj:
        if k not in ("ru", "en"):
            src.warn(f"{what} has an unknown language key {k!r}", *needles)
    if ok:
        if need_cyr_ru and not CYR_RE.search(obj["ru"]):
            src.err(f"{what}.ru has no Cyrillic letters", *needles, obj["ru"][:30])
        if CYR_RE.search(obj["en"]):
            src.err(f"{what}.en contains Cyrillic letters", *needles, obj["en"][:30])
    return ok


def check_placeholders(src, text, what, needles, allowed=PLACEHOLDERS):
    found = set()
    for m in PH_RE.finditer(text):
        name = m.group(1)
        if name not in allowed:
            src.err(f"{what}: unknown placeholder {{{name}}}", *needles, "{" + name + "}")
        found.add(name)
    if text.count("{") != text.count("}"):
        src.err(f"{what}: unbalanced braces", *needles)
    return found


# ----------------------------------------------------------------------------- settings
def check_settings(path, rep, intent_ids):
    src = Source(path, rep)
    d = src.data
    if d is None:
        return
    if not isinstance(d, dict):
        src.err("settings must be an object")
        return
    th = d.get("thresholds")
    if not isinstance(th, dict) or not all(isinstance(th.get(k), (int, float)) for k in ("answer", "clarify", "margin")):
        src.err("thresholds needs numeric answer, clarify and margin", jkey("thresholds"))
    else:
        if not (0 <= th["clarify"] < th["answer"] <= 1):
            src.err("thresholds: need 0 <= clarify < answer <= 1", jkey("thresholds"))
        if not (0 <= th["margin"] < 1):
            src.err("thresholds.margin must be in [0, 1)", jkey("margin"))
    wh = d.get("working_hours")
    hhmm = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    if not isinstance(wh, dict):
        src.err("working_hours missing", jkey("working_hours"))
    else:
        for k in ("start", "end"):
            if not isinstance(wh.get(k), str) or not hhmm.match(wh[k]):
                src.err(f"working_hours.{k} must be HH:MM", jkey("working_hours"), jkey(k))
        if not isinstance(wh.get("utc_offset_minutes"), int) or abs(wh["utc_offset_minutes"]) > 14 * 60:
            src.err("working_hours.utc_offset_minutes must be an integer within ±840", jkey("utc_offset_minutes"))
        days = wh.get("days")
        if not isinstance(days, list) or not days or not all(isinstance(x, int) and 1 <= x <= 7 for x in days) \
                or len(set(days)) != len(days):
            src.err("working_hours.days must be distinct integers 1..7", jkey("days"))
    sla = d.get("sla_minutes")
    if not isinstance(sla, dict) or set(sla) != SEVERITIES or \
            not all(isinstance(v, int) and v > 0 for v in sla.values()):
        src.err("sla_minutes needs positive integers for critical, high, normal, low", jkey("sla_minutes"))
    elif not sla["critical"] <= sla["high"] <= sla["normal"] <= sla["low"]:
        src.err("sla_minutes should not grow with severity", jkey("sla_minutes"))
    for k in ("high_reach_followers", "interview_max_tries", "operator_auto_reply_interval_s",
              "unclaimed_alert_minutes", "claimed_silence_minutes", "human_idle_minutes"):
        if not isinstance(d.get(k), int) or d[k] < 0:
            src.err(f"{k} must be a non-negative integer", jkey(k))
    menu = d.get("menu")
    if not isinstance(menu, list) or not menu:
        src.err("menu must be a non-empty list of intent ids", jkey("menu"))
    else:
        for m in menu:
            if m not in intent_ids:
                src.err(f"menu names unknown intent {m!r}", jkey("menu"), f'"{m}"')


# ----------------------------------------------------------------------------- intents
def check_intents(paths, rep):
    intents = {}           # id -> (intent, src)
    seen_examples = {}     # normalised example -> (id, lang)
    cores = {}             # example without filler words, as a sorted set -> (id, lang)
    sources = []
    for path in paths:
        src = Source(path, rep)
        sources.append(src)
        d = src.data
        if d is None:
            continue
        if not isinstance(d, dict) or not isinstance(d.get("intents"), list):
            src.err('file must be {"intents": [...]}')
            continue
        for i, it in enumerate(d["intents"]):
            if not isinstance(it, dict):
                src.err(f"intents[{i}] is not an object")
                continue
            iid = it.get("id")
            nd = jid(iid) if isinstance(iid, str) else None
            if not isinstance(iid, str) or not ID_RE.match(iid):
                src.err(f"intents[{i}]: id must match [a-z0-9_]+", nd)
                continue
            if iid in intents:
                src.err(f"duplicate intent id {iid!r} (also in {os.path.basename(intents[iid][1].path)})", nd)
                continue
            intents[iid] = (it, src)
            kind = it.get("kind")
            if kind not in KINDS:
                src.err(f"{iid}: kind must be one of {sorted(KINDS)}", nd, jkey("kind"))
            if not isinstance(it.get("category"), str) or not it["category"]:
                src.err(f"{iid}: category missing", nd)
            lang_text(src, it.get("title"), f"{iid}: title", (nd, jkey("title")))
            ex = it.get("examples")
            if not isinstance(ex, dict):
                src.err(f"{iid}: examples must be an object with ru and en lists", nd)
            else:
                for lang in ("ru", "en"):
                    lst = ex.get(lang)
                    if not isinstance(lst, list) or not all(isinstance(x, str) and x.strip() for x in lst):
                        src.err(f"{iid}: examples.{lang} must be a list of non-empty strings", nd, jkey("examples"))
                        continue
                    need = 3 if kind != "tariff" else 1
                    if len(lst) < need:
                        src.err(f"{iid}: examples.{lang} has {len(lst)} phrasings, README needs at least {need}", nd, jkey("examples"))
                    if len(lst) < MIN_EXAMPLES[lang]:
                        src.err(f"{iid}: examples.{lang} has {len(lst)} phrasings, project minimum is {MIN_EXAMPLES[lang]}",
                                nd, jkey("examples"))
                    for x in lst:
                        if lang == "en" and CYR_RE.search(x):
                            src.err(f"{iid}: English example has Cyrillic letters: {x!r}", nd, json.dumps(x, ensure_ascii=False))
                        if lang == "ru" and not CYR_RE.search(x) and not re.match(r"^[a-z0-9 ]{2,12}$", x):
                            src.warn(f"{iid}: Russian example without Cyrillic: {x!r}", nd, json.dumps(x, ensure_ascii=False))
                        if PH_RE.search(x):
                            src.err(f"{iid}: example contains braces: {x!r}", nd)
                        k = norm_phrase(x)
                        cores.setdefault(core(x), (iid, lang))
                        if not k:
                            src.err(f"{iid}: example has no words: {x!r}", nd)
                            continue
                        if k in seen_examples:
                            other = seen_examples[k][0]
                            where = "twice in the same intent" if other == iid else f"also in {other}"
                            src.err(f"{iid}: example {x!r} is duplicated ({where})", nd, json.dumps(x, ensure_ascii=False))
                        else:
                            seen_examples[k] = (iid, lang)
                    for k in ex:
                        if k not in ("ru", "en"):
                            src.warn(f"{iid}: unknown examples language {k!r}", nd)
            ans = it.get("answer")
            if kind in ("faq", "smalltalk") and ans is None:
                src.err(f"{iid}: kind {kind} needs an answer", nd)
            if ans is not None:
                if lang_text(src, ans, f"{iid}: answer", (nd, jkey("answer"))):
                    phs = [check_placeholders(src, ans[l], f"{iid}: answer.{l}", (nd, jkey("answer"))) for l in ("ru", "en")]
                    if phs[0] != phs[1]:
                        src.err(f"{iid}: answer placeholders differ between ru and en", nd, jkey("answer"))
            if kind == "complaint":
                if it.get("severity") not in SEVERITIES:
                    src.err(f"{iid}: severity must be one of {sorted(SEVERITIES)}", nd)
                needs = it.get("needs")
                if not isinstance(needs, list) or not needs or not all(n in NEEDS for n in needs) \
                        or len(set(needs)) != len(needs):
                    src.err(f"{iid}: needs must be a non-empty list from {sorted(NEEDS)}", nd, jkey("needs"))
            else:
                for k in ("severity", "needs"):
                    if k in it:
                        src.err(f"{iid}: {k} is for complaints only", nd, jkey(k))
            known = {"id", "category", "kind", "title", "examples", "answer", "buttons", "severity", "needs"}
            for k in it:
                if k not in known:
                    src.warn(f"{iid}: unknown field {k!r}", nd, jkey(k))
    # buttons, after all ids are known
    for iid, (it, src) in intents.items():
        b = it.get("buttons")
        if b is None:
            continue
        if not isinstance(b, list):
            src.err(f"{iid}: buttons must be a list", jid(iid), jkey("buttons"))
            continue
        seen = set()
        for x in b:
            if not isinstance(x, dict) or set(x) != {"intent"}:
                src.err(f"{iid}: each button must be {{\"intent\": ID}}", jid(iid), jkey("buttons"))
                continue
            t = x["intent"]
            if t not in intents:
                src.err(f"{iid}: button names unknown intent {t!r}", jid(iid), f'"intent": "{t}"')
            elif t == iid:
                src.err(f"{iid}: button points to itself", jid(iid), f'"intent": "{t}"')
            if t in seen:
                src.err(f"{iid}: button {t!r} listed twice", jid(iid), f'"intent": "{t}"')
            seen.add(t)
    # the brief's ids
    first = sources[0] if sources else None
    for rid, rkind in REQUIRED_INTENTS.items():
        if rid not in intents:
            if first:
                first.err(f"required intent {rid!r} ({rkind}) is missing")
        elif intents[rid][0].get("kind") != rkind:
            intents[rid][1].err(f"{rid}: kind must be {rkind}", jid(rid))
    for rid, (sev, needs) in REQUIRED_COMPLAINTS.items():
        if rid not in intents:
            if first:
                first.err(f"required complaint intent {rid!r} is missing")
            continue
        it, src = intents[rid]
        if it.get("kind") != "complaint" or it.get("severity") != sev or set(it.get("needs") or []) != needs:
            src.err(f"{rid}: must be kind complaint, severity {sev}, needs {sorted(needs)}", jid(rid))
    nfaq = sum(1 for it, _ in intents.values() if it.get("kind") == "faq")
    if nfaq < MIN_FAQ and first:
        first.err(f"only {nfaq} faq intents, project minimum is {MIN_FAQ}")
    seen_examples.update({"core:" + k: v for k, v in cores.items()})
    return intents, seen_examples


# ----------------------------------------------------------------------------- tariffs
def check_tariffs(path, rep):
    src = Source(path, rep)
    d = src.data
    out = {}
    if d is None:
        return out
    if not isinstance(d, dict) or not isinstance(d.get("tariffs"), list):
        src.err('file must be {"tariffs": [...]}')
        return out
    aliases = {}
    for i, t in enumerate(d["tariffs"]):
        if not isinstance(t, dict):
            src.err(f"tariffs[{i}] is not an object")
            continue
        tid = t.get("id")
        nd = jid(tid) if isinstance(tid, str) else None
        if not isinstance(tid, str) or not ID_RE.match(tid):
            src.err(f"tariffs[{i}]: id must match [a-z0-9_]+", nd)
            continue
        if tid in out:
            src.err(f"duplicate tariff id {tid!r}", nd)
            continue
        out[tid] = t
        if lang_text(src, t.get("name"), f"{tid}: name", (nd, jkey("name"))):
            names = [t["name"]["ru"], t["name"]["en"]]
        else:
            names = []
        al = t.get("aliases")
        if not isinstance(al, list) or not al or not all(isinstance(a, str) and a.strip() for a in al):
            src.err(f"{tid}: aliases must be a non-empty list of strings", nd, jkey("aliases"))
            al = []
        for a in list(al) + names:
            k = norm_phrase(a)
            if a in al and a != norm(a).strip():
                src.err(f"{tid}: alias {a!r} is not normalised (lower case, ё as е)", nd, json.dumps(a, ensure_ascii=False))
            if k in aliases and aliases[k] != tid:
                src.err(f"{tid}: alias {a!r} also names tariff {aliases[k]!r}", nd, json.dumps(a, ensure_ascii=False))
            aliases[k] = tid
        fee = t.get("monthly_fee")
        if not isinstance(fee, (int, float)) or isinstance(fee, bool) or fee <= 0:
            src.err(f"{tid}: monthly_fee must be a positive number", nd, jkey("monthly_fee"))
        elif not FEE_RANGE[0] <= fee <= FEE_RANGE[1]:
            src.err(f"{tid}: monthly_fee {fee} outside the project range {FEE_RANGE}", nd, jkey("monthly_fee"))
        for k in ("minutes", "sms", "gb"):
            v = t.get(k)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                src.err(f"{tid}: {k} must be a non-negative number", nd, jkey(k))
        un = t.get("unlimited")
        if (not isinstance(un, dict) or not {"minutes", "sms", "gb"} <= set(un)
                or not set(un) <= {"minutes", "sms", "gb", "messengers", "social", "calls_in_network"}
                or not all(isinstance(v, bool) for v in un.values())):
            src.err(f"{tid}: unlimited must have boolean minutes, sms, gb (and may have messengers, "
                    "social, calls_in_network)", nd, jkey("unlimited"))
            un = {"minutes": False, "sms": False, "gb": False}
        if "data_only" in t:
            if not isinstance(t["data_only"], bool):
                src.err(f"{tid}: data_only must be true or false", nd, jkey("data_only"))
            elif t["data_only"] and (t.get("minutes") or un.get("minutes") or un.get("calls_in_network")):
                src.err(f"{tid}: a data-only tariff has no minutes", nd, jkey("data_only"))
        if "restricted" in t:
            r = t["restricted"]
            ages = [r.get(k) for k in ("min_age", "max_age")] if isinstance(r, dict) else []
            if (not isinstance(r, dict) or not any(a is not None for a in ages)
                    or any(a is not None and (not isinstance(a, int) or isinstance(a, bool) or not 1 <= a <= 150)
                           for a in ages)):
                src.err(f"{tid}: restricted needs min_age and/or max_age (whole years) and text", nd,
                        jkey("restricted"))
            else:
                if None not in ages and ages[0] > ages[1]:
                    src.err(f"{tid}: restricted min_age is above max_age", nd, jkey("restricted"))
                lang_text(src, r.get("text"), f"{tid}: restricted.text", (nd, jkey("restricted")))
        ov = t.get("overage")
        if not isinstance(ov, dict) or set(ov) != {"minute", "sms", "gb"}:
            src.err(f"{tid}: overage must have minute, sms, gb (number or null)", nd, jkey("overage"))
        else:
            for k, v in ov.items():
                if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0):
                    src.err(f"{tid}: overage.{k} must be a non-negative number or null", nd, jkey("overage"))
            for uk, ok in (("minutes", "minute"), ("sms", "sms"), ("gb", "gb")):
                if un.get(uk) and ov.get(ok) is not None:
                    src.warn(f"{tid}: overage.{ok} is set but {uk} is unlimited", nd, jkey("overage"))
                if not un.get(uk) and t.get(uk) == 0 and ov.get(ok) is None:
                    src.warn(f"{tid}: no {uk} in the package and no overage: the plan cannot cover any", nd)
        if "notes" in t:
            lang_text(src, t["notes"], f"{tid}: notes", (nd, jkey("notes")))
    if len(out) < MIN_TARIFFS:
        src.err(f"only {len(out)} tariffs, project minimum is {MIN_TARIFFS}")
    return out


# ----------------------------------------------------------------------------- templates
def check_templates(path, rep):
    src = Source(path, rep)
    d = src.data
    out = {}
    if d is None:
        return out
    if not isinstance(d, dict) or not isinstance(d.get("templates"), list):
        src.err('file must be {"templates": [...]}')
        return out
    for i, t in enumerate(d["templates"]):
        if not isinstance(t, dict):
            src.err(f"templates[{i}] is not an object")
            continue
        tid = t.get("id")
        nd = jid(tid) if isinstance(tid, str) else None
        if not isinstance(tid, str) or not ID_RE.match(tid):
            src.err(f"templates[{i}]: id must match [a-z0-9_]+", nd)
            continue
        if tid in out:
            src.err(f"duplicate template id {tid!r}", nd)
            continue
        out[tid] = t
        if t.get("kind") not in ("bot", "operator"):
            src.err(f"{tid}: kind must be bot or operator", nd, jkey("kind"))
        if lang_text(src, t.get("text"), f"{tid}: text", (nd, jkey("text"))):
            phs = [check_placeholders(src, t["text"][l], f"{tid}: text.{l}", (nd, jkey("text"))) for l in ("ru", "en")]
            if phs[0] != phs[1]:
                src.err(f"{tid}: placeholders differ between ru {sorted(phs[0])} and en {sorted(phs[1])}", nd)
    for r in REQUIRED_BOT:
        if r not in out:
            src.err(f"required bot template {r!r} is missing")
        elif out[r].get("kind") != "bot":
            src.err(f"{r}: must be kind bot", jid(r))
    nop = sum(1 for t in out.values() if t.get("kind") == "operator")
    if nop < MIN_OPERATOR_TEMPLATES:
        src.err(f"only {nop} operator templates, project minimum is {MIN_OPERATOR_TEMPLATES}")
    return out


# ----------------------------------------------------------------------------- lexicons
def check_lexicons(path, rep):
    src = Source(path, rep)
    d = src.data
    out = {}
    if d is None:
        return out
    if not isinstance(d, dict):
        src.err("lexicons must be an object of lists")
        return out
    for name in LEXICONS + [k for k in OPTIONAL_LEXICONS if k in d]:
        lst = d.get(name)
        if not isinstance(lst, list) or not lst:
            src.err(f"lexicon {name!r} missing or empty", jkey(name))
            continue
        seen = set()
        for e in lst:
            q = json.dumps(e, ensure_ascii=False)
            if not isinstance(e, str) or not e.strip():
                src.err(f"{name}: entries must be non-empty strings", jkey(name))
                continue
            if e != norm(e) or e != " ".join(e.split()):
                src.err(f"{name}: entry {e!r} is not normalised (lower case, ё as е, single spaces)", jkey(name), q)
            toks = tokens(e)
            # An emoji is a token of its own for the matcher ("😡" is anger).
            if not toks and not any(unicodedata.category(c) == "So" for c in e):
                src.err(f"{name}: entry {e!r} has no words", jkey(name), q)
                continue
            if len(toks) == 1 and len(toks[0]) < 3:
                src.err(f"{name}: entry {e!r} is shorter than 3 letters: too many false matches", jkey(name), q)
            if e in seen:
                src.err(f"{name}: entry {e!r} listed twice", jkey(name), q)
            seen.add(e)
        out[name] = [tokens(e) for e in lst if isinstance(e, str) and tokens(e)]
    for k in d:
        if k not in LEXICONS and k not in OPTIONAL_LEXICONS:
            src.warn(f"unknown lexicon {k!r}", jkey(k))
    return out


def lex_hit(lex, name, text):
    t = tokens(text)
    return any(has_phrase(t, e) for e in lex.get(name, []))


# ----------------------------------------------------------------------------- test data
def read_tsv(path, header, rep):
    rows = []
    if not os.path.exists(path):
        rep.err(path, 1, 1, "file is missing")
        return rows
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0].split("\t") != header:
        rep.err(path, 1, 1, f"header must be {chr(9).join(header)!r}")
        return rows
    for n, line in enumerate(lines[1:], 2):
        parts = line.split("\t")
        if len(parts) != len(header):
            rep.err(path, n, 1, f"expected {len(header)} tab-separated columns, got {len(parts)}")
            continue
        if any(p != p.strip() or not p for p in parts):
            rep.err(path, n, 1, "empty column or stray whitespace")
            continue
        rows.append((n, parts))
    return rows


def check_utterances(path, rep, intents, examples):
    rows = read_tsv(path, ["group", "text", "expected"], rep)
    counts = {g: 0 for g in UTTERANCE_GROUPS}
    seen = {}
    for n, (group, text, expected) in rows:
        if group not in UTTERANCE_GROUPS:
            rep.err(path, n, 1, f"unknown group {group!r}")
            continue
        counts[group] += 1
        if expected != "-" and expected not in intents:
            rep.err(path, n, len(group) + len(text) + 3, f"unknown intent {expected!r}")
            continue
        kind = intents[expected][0].get("kind") if expected != "-" else None
        if group == "oos" and expected != "-":
            rep.err(path, n, 1, "oos rows must expect '-'")
        if group == "tariff" and kind != "tariff":
            rep.err(path, n, 1, "tariff rows must expect a tariff intent")
        if group == "smalltalk" and kind not in ("smalltalk", "operator"):
            rep.err(path, n, 1, "smalltalk rows must expect a smalltalk (or operator) intent")
        if group in ("plain", "typo", "layout", "translit", "english", "long") and expected == "-":
            rep.err(path, n, 1, f"{group} rows must expect an intent")
        if group in ("plain", "typo", "long") and not CYR_RE.search(text):
            rep.err(path, n, len(group) + 2, f"{group} rows are Russian in Cyrillic")
        if group in ("translit", "english", "layout") and CYR_RE.search(text):
            rep.err(path, n, len(group) + 2, f"{group} rows must not contain Cyrillic")
        if group == "translit" and not re.match(r"^[A-Za-z0-9 ,.?!'\-]+$", text):
            rep.err(path, n, len(group) + 2, "translit rows are plain Latin letters")
        k = norm_phrase(text) or text
        if k in seen:
            rep.err(path, n, len(group) + 2, f"duplicate of line {seen[k]}")
        seen[k] = n
        if group == "layout":
            k = norm_phrase(layout.to_russian(text))
        if k in examples:
            rep.err(path, n, len(group) + 2, f"copies an example of intent {examples[k][0]!r}; paraphrase it")
        elif group != "translit" and "core:" + core(layout.to_russian(text) if group == "layout" else text) in examples:
            c = examples["core:" + core(layout.to_russian(text) if group == "layout" else text)]
            rep.err(path, n, len(group) + 2, f"is an example of intent {c[0]!r} give or take filler words; paraphrase it")
    bad = layout.check_rows(path)
    rep.errors += bad
    for g, m in UTTERANCE_GROUPS.items():
        if counts[g] < m:
            rep.err(path, 1, 1, f"group {g!r} has {counts[g]} rows, needs at least {m}")
    return counts


def check_complaints(path, rep, intents, lex):
    header = ["text", "escalate", "obscene", "legal_threat", "spread_call", "shouting", "category"]
    rows = read_tsv(path, header, rep)
    plain = 0
    for n, parts in rows:
        text, flags, cat = parts[0], parts[1:6], parts[6]
        if not all(f in ("0", "1") for f in flags):
            rep.err(path, n, 1, "flags must be 0 or 1")
            continue
        esc, obs, leg, spr, sh = (int(f) for f in flags)
        if cat != "-" and (cat not in intents or intents[cat][0].get("kind") != "complaint"):
            rep.err(path, n, 1, f"category {cat!r} is not a complaint intent")
        if esc and cat == "-":
            rep.err(path, n, 1, "an escalated row needs a category")
        if not esc and cat != "-":
            rep.err(path, n, 1, "a row that is not escalated has category '-'")
        for name, want in (("obscene", obs), ("legal_threat", leg), ("spread_call", spr)):
            if not lex.get(name):
                continue  # the lexicon itself is broken and reported above
            got = int(lex_hit(lex, name, text))
            if got != want:
                rep.err(path, n, 1, f"{name} is labelled {want} but the lexicon says {got}: {text[:60]!r}")
        if int(is_shouting(text)) != sh:
            rep.err(path, n, 1, f"shouting is labelled {sh} but the caps rule says {int(is_shouting(text))}")
        if not (esc or obs or leg or spr or sh):
            plain += 1
    if len(rows) < MIN_COMPLAINT_ROWS:
        rep.err(path, 1, 1, f"{len(rows)} rows, needs at least {MIN_COMPLAINT_ROWS}")
    if plain < MIN_NON_COMPLAINTS:
        rep.err(path, 1, 1, f"{plain} rows without any sign, needs at least {MIN_NON_COMPLAINTS}")
    return len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replies", default=os.path.join(ROOT, "replies"))
    ap.add_argument("--data", default=HERE)
    ap.add_argument("--no-data", action="store_true", help="check only the reply set")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()
    rep = Report()
    rd = a.replies
    ipaths = sorted(glob.glob(os.path.join(rd, "intents", "*.json")))
    if not ipaths:
        rep.err(os.path.join(rd, "intents"), 1, 1, "no intent files")
        intents, examples = {}, {}
    else:
        intents, examples = check_intents(ipaths, rep)
    for f in ("settings.json", "tariffs.json", "templates.json", "lexicons.json"):
        if not os.path.exists(os.path.join(rd, f)):
            rep.err(os.path.join(rd, f), 1, 1, "file is missing")
    check_settings(os.path.join(rd, "settings.json"), rep, intents) if os.path.exists(os.path.join(rd, "settings.json")) else None
    tariffs = check_tariffs(os.path.join(rd, "tariffs.json"), rep) if os.path.exists(os.path.join(rd, "tariffs.json")) else {}
    templates = check_templates(os.path.join(rd, "templates.json"), rep) if os.path.exists(os.path.join(rd, "templates.json")) else {}
    lex = check_lexicons(os.path.join(rd, "lexicons.json"), rep) if os.path.exists(os.path.join(rd, "lexicons.json")) else {}
    summary = {}
    if not a.no_data:
        summary["utterances"] = check_utterances(os.path.join(a.data, "utterances.tsv"), rep, intents, examples)
        summary["complaint_rows"] = check_complaints(os.path.join(a.data, "complaints.tsv"), rep, intents, lex)
    if not a.quiet:
        kinds = {}
        nex = {"ru": 0, "en": 0}
        for it, _ in intents.values():
            kinds[it.get("kind")] = kinds.get(it.get("kind"), 0) + 1
            for l in nex:
                nex[l] += len((it.get("examples") or {}).get(l) or [])
        tk = {}
        for t in templates.values():
            tk[t.get("kind")] = tk.get(t.get("kind"), 0) + 1
        print(f"intents: {len(intents)} {dict(sorted(kinds.items()))}; examples: ru {nex['ru']}, en {nex['en']}; "
              f"tariffs: {len(tariffs)}; templates: {len(templates)} {tk}; "
              f"lexicon entries: { {k: len(v) for k, v in lex.items()} }")
        for k, v in summary.items():
            print(f"{k}: {v}")
        print(f"{rep.errors} error(s), {rep.warnings} warning(s)")
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
