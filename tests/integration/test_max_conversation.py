"""A MAX conversation does what a Telegram one does, through the real binary and the
MAX fake: Start, an FAQ answer, a complaint answered first with the button that opens a
case, the phone question with MAX's request_contact button, the phone shared as the
customer's own contact card (a vCard), the account, the case with channel "max"."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from client import FakeServer, wait_for  # noqa: E402
from harness import BINARY, Deskbot, Runner, check  # noqa: E402
from test_complaints import case_number  # noqa: E402

MAX_TOKEN = "max-test-token-conversation"


class MaxChat:
    """One MAX customer in a dialog: says something, waits for the bot's answers."""

    def __init__(self, fake, user_id, name="Анна"):
        self.fake, self.user_id, self.name = fake, user_id, name
        self.seen = 0

    def _collect(self, before, what, timeout=15):
        wait_for(lambda: len(self.fake.sent(peer=self.user_id)) > before, timeout, 0.05,
                 "an answer to %r" % what)
        # More may follow at once: wait until none has come for 0.5 s, at most 3 s.
        deadline = time.monotonic() + 3
        count, quiet_since = len(self.fake.sent(peer=self.user_id)), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 0.5:
            time.sleep(0.05)
            n = len(self.fake.sent(peer=self.user_id))
            if n != count:
                count, quiet_since = n, time.monotonic()
        msgs = self.fake.sent(peer=self.user_id)
        new = [m["text"] for m in msgs[self.seen:]]
        self.seen = len(msgs)
        return "\n".join(new)

    def _item(self, **kw):
        return dict({"user_id": self.user_id, "first_name": self.name,
                     "username": "user%d" % self.user_id}, **kw)

    def say(self, text=None, contact=None):
        before = len(self.fake.sent(peer=self.user_id))
        self.fake.inject(self._item(text=text or "", contact=contact))
        return self._collect(before, text or contact)

    def start(self):
        before = len(self.fake.sent(peer=self.user_id))
        self.fake.inject(self._item(type="bot_started"))
        return self._collect(before, "Start")

    def button(self, label_part):
        kb = self.fake.sent(peer=self.user_id)[-1].get("keyboard") or []
        for row in kb:
            for b in row:
                if label_part in b.get("text", ""):
                    return b
        return None

    def press(self, payload):
        before = len(self.fake.sent(peer=self.user_id))
        self.fake.inject(self._item(type="message_callback", payload=payload))
        return self._collect(before, "the button %r" % payload)


def export(bot):
    p = subprocess.run([BINARY, "cases", "export", "--format", "json", "--config",
                        os.path.join(bot.dir, "config.json")],
                       capture_output=True, timeout=30, cwd=bot.dir)
    check(p.returncode == 0, "cases export failed: %s" % p.stderr.decode())
    return json.loads(p.stdout)


def test_max_conversation_like_telegram():
    with FakeServer("max", token=MAX_TOKEN, max_seconds=300) as fake:
        cfg = {"max": {"api_url": fake.base_url, "timeout": 2, "rate_per_s": 1000,
                       "chat_rate_per_s": 1000}}
        with Deskbot(config=cfg, env={"DESKBOT_MAX_TOKEN": MAX_TOKEN}) as bot:
            c = MaxChat(fake, 4200001)
            hello = c.start()
            check(hello.strip(), "Start was not answered")
            faq = c.say("как проверить баланс?")
            check("*100#" in faq, "the FAQ answer is missing: %r" % faq)
            first = c.say("у меня списали деньги непонятно за что")
            check("детализаци" in first, "no troubleshooting answer first: %r" % first)
            b = c.button("Не помогло")
            check(b and b["type"] == "callback" and b["payload"].startswith("complaint:open:"),
                  "no case button: %s" % fake.sent(peer=c.user_id)[-1].get("keyboard"))
            q = c.press(b["payload"])
            check("номер телефона" in q, "the phone was not asked: %r" % q)
            contact = c.button("")  # any button of the phone question's keyboard
            kb = json.dumps(fake.sent(peer=c.user_id)[-1].get("keyboard"), ensure_ascii=False)
            check('"request_contact"' in kb, "no share-contact button: %s" % kb)
            check(contact is not None, kb)
            acc = c.say(contact="+7 916 111-22-33")
            check("лицевого счёта" in acc, "the account was not asked: %r" % acc)
            end = c.say("лицевой счет 123456789")
            number = case_number(end)
            cases = export(bot)
            check(len(cases) == 1, cases)
            r = cases[0]
            check(r["number"] == number and r["channel"] == "max" and
                  r["peer_id"] == c.user_id, r)
            check(r["phone"] == "+79161112233" and r["account"] == "123456789", r)
            check(r["display_name"] == "Анна", r)
            calls = fake.calls("answers")
            check(len(calls) == 1 and calls[0]["known"], calls)
            print("max conversation: start, FAQ, complaint, button, phone by contact card, "
                  "account, case %s" % number, flush=True)


if __name__ == "__main__":
    r = Runner()
    r.run(test_max_conversation_like_telegram)
    r.finish()
