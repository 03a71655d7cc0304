#!/usr/bin/env python3
"""Files customers send (issue #16 item 4), against the real binary and the fakes: a
Telegram photo (its largest size, by getFile and the file URL), document, voice message
and sticker, and VK's by their attachment URLs, are fetched by deskbot, kept with the
transcript line and served on /api/files/N to a logged-in console only. Hostile files
(12 MiB behind a small advertised size, HTML in place of an image, a redirect to another
host, a VK URL on a foreign host) are refused with a log line, and the messages around
them are kept and answered."""

import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_files  # noqa: E402
from client import FakeServer, wait_for  # noqa: E402
from harness import Deskbot, Runner, check  # noqa: E402
from test_console import Session  # noqa: E402
from test_console_loop import TG_TOKEN, VK_TOKEN, bot_config, case_of, complain_on  # noqa: E402


def get_bytes(bot, path, cookie=None):
    req = urllib.request.Request(bot.url(path), headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def files_of(op, cid):
    status, r = op.get("/api/cases/%d" % cid)
    check(status == 200, r)
    return [f for line in r["case"]["transcript"] for f in line.get("files", [])]


def settled(op, cid, n):
    """The case's files once n of them exist and none is pending."""
    def ready():
        fs = files_of(op, cid)
        return fs if len(fs) >= n and all(f["state"] != "pending" for f in fs) else None
    return wait_for(ready, 20, 0.2, "%d files settled on case %d" % (n, cid))


def test_telegram_files():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    peer = 7000008001
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            complain_on(tg, peer, "chat_id")
            op = Session(bot, "oleg")
            cid = case_of(op, "telegram", peer)
            tg.inject({"chat_id": peer, "user_id": peer, "photo": True, "caption": "вот экран"})
            tg.inject({"chat_id": peer, "user_id": peer, "document": True,
                       "file_name": "договор.pdf"})
            tg.inject({"chat_id": peer, "user_id": peer, "voice": True})
            tg.inject({"chat_id": peer, "user_id": peer, "sticker": True})
            files = settled(op, cid, 4)
            check([f["kind"] for f in files] == ["photo", "document", "voice", "sticker"], files)
            check(all(f["state"] == "ok" for f in files), files)
            check(files[1].get("name") == "договор.pdf", files[1])
            # The photo's line keeps its caption; the largest size was asked for.
            status, r = op.get("/api/cases/%d" % cid)
            line = next(l for l in r["case"]["transcript"] if l.get("files"))
            check(line["text"] == "вот экран", line)
            asked = [c["params"]["file_id"] for c in tg.calls("getFile")]
            check(len(asked) == 4 and asked[0].endswith("x"), asked)

            status, body, headers = get_bytes(bot, "/api/files/%d" % files[0]["id"], op.cookie)
            check(status == 200 and body == fake_files.png(), "photo: %s %d bytes" % (status, len(body)))
            check(headers["Content-Type"] == "image/png", headers["Content-Type"])
            check("default-src 'self'" in headers["Content-Security-Policy"], headers)
            check(headers["X-Content-Type-Options"] == "nosniff", headers)
            status, body, headers = get_bytes(bot, "/api/files/%d" % files[1]["id"], op.cookie)
            check(status == 200 and body.startswith(b"%PDF"), (status, body[:20]))
            check(headers["Content-Type"] == "application/pdf", headers["Content-Type"])
            status, _, headers = get_bytes(bot, "/api/files/%d" % files[2]["id"], op.cookie)
            check(status == 200 and headers["Content-Type"] == "audio/ogg", headers)

            # Only a console session gets the bytes; an unknown file is a 404.
            status, body, _ = get_bytes(bot, "/api/files/%d" % files[0]["id"])
            check(status == 401 and b"PNG" not in body, (status, body[:40]))
            status, _, _ = get_bytes(bot, "/api/files/99999", op.cookie)
            check(status == 404, status)


def test_hostile_files():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    peer, vk_peer = 7000008002, 8002
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            complain_on(tg, peer, "chat_id")
            complain_on(vk, vk_peer, "peer_id")
            op = Session(bot, "oleg")
            cid = case_of(op, "telegram", peer)
            vid = case_of(op, "vk", vk_peer)
            for mode in ("huge", "wrong_type", "redirect"):
                tg.inject({"chat_id": peer, "user_id": peer, "photo": True, "file_mode": mode})
            tg.inject({"chat_id": peer, "user_id": peer, "text": "а теперь текст"})
            files = settled(op, cid, 3)
            check(all(f["state"] == "failed" for f in files), files)
            errors = [f.get("error") or "" for f in files]
            check("larger than" in errors[0] or "over the limit" in errors[0], errors)
            check("content type" in errors[1] and "text/html" in errors[1], errors)
            check("redirect" in errors[2], errors)
            status, body, _ = get_bytes(bot, "/api/files/%d" % files[1]["id"], op.cookie)
            check(status == 410 and b"script" not in body, (status, body))
            status, r = op.get("/api/cases/%d" % cid)
            check(any(l["text"] == "а теперь текст" for l in r["case"]["transcript"]),
                  "the message after the hostile files is lost")

            # VK: a photo from the fake (its own host) is kept; one on a foreign host,
            # a redirect and a wrong type are refused.
            vk.inject({"peer_id": vk_peer, "from_id": vk_peer, "photo": True, "text": ""})
            vk.inject({"peer_id": vk_peer, "from_id": vk_peer, "photo": True,
                       "file_url": "https://evil.example/x.jpg"})
            vk.inject({"peer_id": vk_peer, "from_id": vk_peer, "doc": True, "file_mode": "redirect"})
            vk.inject({"peer_id": vk_peer, "from_id": vk_peer, "audio_message": True,
                       "file_mode": "wrong_type"})
            files = settled(op, vid, 4)
            check([f["state"] for f in files] == ["ok", "failed", "failed", "failed"], files)
            check("not one of the platform's hosts" in files[1].get("error", ""), files[1])
            status, body, _ = get_bytes(bot, "/api/files/%d" % files[0]["id"], op.cookie)
            check(status == 200 and body == fake_files.png(), (status, len(body)))
            log = bot.read_log()
            for words in ("not one of the platform's hosts", "refused for a photo", "redirected"):
                check(words in log, "no log line about " + words)


def main():
    r = Runner()
    for t in [test_telegram_files, test_hostile_files]:
        r.run(t)
    r.finish()


if __name__ == "__main__":
    main()
