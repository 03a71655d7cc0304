"""Webhook delivery as the platforms do it, shared by the three fakes (stdlib only).

A Pusher POSTs each queued delivery (one JSON body) to the bot's hook URL, a few in
parallel, and resends it after `retry_s` for as long as it is not accepted: a connection
that fails, a time-out, a status other than 2xx, or (VK) a body other than `ok`. That is
what VK, Telegram and MAX do with an unanswered event, and what makes a kill -9 of the
bot lose nothing: what it did not accept comes again once it is back.

Only 127.0.0.1 URLs are accepted. Every attempt is recorded; `stats()` says how many
deliveries were accepted, how many resends of an accepted delivery (`duplicate`) were
accepted again (a correct bot answers them as duplicates and never processes them
twice), and what statuses came back.
"""

import asyncio
import collections
import time
from urllib.parse import urlsplit

MAX_ATTEMPTS = 400  # bounded: a delivery nobody accepts is dropped (and counted)


class Pusher:
    def __init__(self, concurrency=4, retry_s=0.2, timeout_s=5.0):
        self.concurrency = concurrency
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        self.url = ""
        self.urls = []  # with several hook URLs: taken in turn
        self.turn = 0
        self.headers = {}
        self.ok_body = None
        self.queue = collections.deque()   # [key, body bytes, attempts]
        self.holding = {}                  # worker -> the item it is posting or waiting on
        self.wake = None
        self.tasks = []
        self.in_flight = 0
        self.attempts = 0
        self.accepted = collections.Counter()   # key -> times accepted
        self.statuses = collections.Counter()   # "200", "403", "refused", "timeout"
        self.answers = []                       # [{"key", "status", "body", "t_ns"}]
        self.dropped = 0
        self.duplicate = False  # resend each accepted delivery once more (a lost "ok")

    @property
    def active(self):
        return bool(self.url)

    def start(self, url, headers=None, ok_body=None):
        """url: the hook URL, or a list of them (several instances behind a load
        balancer): each attempt goes to the next one, round-robin."""
        urls = list(url) if isinstance(url, (list, tuple)) else [url]
        for u in urls:
            parts = urlsplit(u)
            if parts.scheme != "http" or parts.hostname != "127.0.0.1":
                raise ValueError("the fakes push to http://127.0.0.1 only, not %r" % u)
        self.urls = urls
        self.turn = 0
        self.url = urls[0]
        self.headers = dict(headers or {})
        self.ok_body = ok_body
        if self.wake is None:
            self.wake = asyncio.Event()
        while len(self.tasks) < self.concurrency:
            self.tasks.append(asyncio.get_event_loop().create_task(self._worker()))
        self.wake.set()

    def stop(self):
        """Stops pushing; returns what was not accepted yet (key, body) so that the
        fake can hand it to its long poll again."""
        self.url = ""
        for t in self.tasks:
            t.cancel()
        self.tasks = []
        held = [it for it in self.holding.values() if it is not None]
        self.holding.clear()
        left = [(it[0], it[1]) for it in held + list(self.queue)]
        self.queue.clear()
        return left

    def push(self, key, body):
        self.queue.append([key, body, 0])
        if self.wake is not None:
            self.wake.set()

    async def post(self, body, headers=None):
        """One POST to the hook URL (the next one, with several): (status, body text);
        status 0 when it failed."""
        urls = self.urls or [self.url]
        parts = urlsplit(urls[self.turn % len(urls)])
        self.turn += 1
        head = ["POST %s HTTP/1.1" % (parts.path or "/"), "Host: %s" % parts.netloc,
                "Content-Type: application/json", "Content-Length: %d" % len(body),
                "Connection: close"]
        for k, v in dict(self.headers, **(headers or {})).items():
            head.append("%s: %s" % (k, v))
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        writer = None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(parts.hostname, parts.port or 80), self.timeout_s)
            writer.write(data)
            raw = await asyncio.wait_for(reader.read(), self.timeout_s)
        except asyncio.TimeoutError:
            return 0, "timeout"
        except OSError as e:
            return 0, "refused: %s" % e.__class__.__name__
        finally:
            if writer is not None:
                writer.close()
        head_end = raw.find(b"\r\n\r\n")
        line = raw.split(b"\r\n", 1)[0].split()
        if len(line) < 2 or not line[1].isdigit():
            return 0, "no answer"
        return int(line[1]), raw[head_end + 4:].decode("utf-8", "replace") if head_end >= 0 else ""

    def _ok(self, status, text):
        return 200 <= status < 300 and (self.ok_body is None or text.strip() == self.ok_body)

    async def _worker(self):
        me = object()
        while True:
            self.holding[me] = None
            if not self.queue:
                self.wake.clear()
                await self.wake.wait()
                continue
            item = self.queue.popleft()
            self.holding[me] = item
            key, body = item[0], item[1]
            item[2] += 1
            self.attempts += 1
            self.in_flight += 1
            status, text = await self.post(body)
            self.in_flight -= 1
            self.statuses[str(status) if status else text.split(":")[0]] += 1
            self.answers.append({"key": key, "status": status, "body": text[:200],
                                 "t_ns": time.monotonic_ns()})
            if self._ok(status, text):
                self.accepted[key] += 1
                if self.duplicate and len(item) == 3:
                    self.queue.append([key, body, 0, "resend"])
            elif item[2] >= MAX_ATTEMPTS:
                self.dropped += 1
            else:
                await asyncio.sleep(self.retry_s)
                if self.url:
                    self.queue.append(item)

    def stats(self):
        return {"url": self.url, "pending": len(self.queue), "in_flight": self.in_flight,
                "attempts": self.attempts, "accepted": len(self.accepted),
                "resends_accepted": sum(1 for n in self.accepted.values() if n > 1),
                "statuses": dict(self.statuses), "dropped": self.dropped,
                "duplicate": self.duplicate}

    def configure(self, body):
        """The control API's settings: retry_s, concurrency (at start), duplicate."""
        if "retry_s" in body:
            self.retry_s = float(body["retry_s"])
        if "concurrency" in body:
            self.concurrency = max(1, min(int(body["concurrency"]), 64))
        if "duplicate" in body:
            self.duplicate = bool(body["duplicate"])
        return self.stats()
