#!/usr/bin/env python3
"""Approved files a secretary sends (issue #16 item 4, second half), against the real
binary and the fakes: an approved file (replies/files.json) sent from the console API
reaches the customer on Telegram (sendDocument / sendPhoto), VK (docs / photos upload
server, save, messages.send with the attachment) and MAX (/uploads, the token in the
message's attachments) as the exact bytes (sha256), exactly once, with the caption; the
transcript shows the snapshot from the store. A forged id and a file a reload removed
are refused with nothing queued; an upload failure is retried and still delivered once;
a reload that changes the file changes neither the queued send nor the transcript."""

import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from client import FakeServer, wait_for  # noqa: E402
from harness import SOURCE_DIR, Deskbot, Runner, check  # noqa: E402
from test_console import Customer, Session, complain  # noqa: E402
from test_console_loop import TG_TOKEN, VK_TOKEN, bot_config, case_of, complain_on  # noqa: E402

REPLIES = os.path.join(SOURCE_DIR, "replies")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


PDF = os.path.join(REPLIES, "files", "internet_setup.pdf")
PNG = os.path.join(REPLIES, "files", "router.png")


def get_bytes(bot, path, cookie):
    req = urllib.request.Request(bot.url(path), headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def claimed_case(op, fake, channel, peer, key):
    complain_on(fake, peer, key)
    cid = case_of(op, channel, peer)
    status, r = op.post("/api/cases/%d/claim" % cid)
    check(status == 200, "claim: %s %s" % (status, r))
    return cid


def file_sends(fake, peer):
    return [m for m in fake.sent(peer=peer) if m.get("file")]


def one_file_send(fake, peer, what):
    """Waits for the file send to peer, then a while longer: exactly one arrived."""
    got = wait_for(lambda: file_sends(fake, peer) or None, 20, 0.1, what)
    time.sleep(1.0)
    got = file_sends(fake, peer)
    check(len(got) == 1, "%s: %d sends, want exactly 1: %s" % (what, len(got), got))
    return got[0]


def transcript_file(op, cid):
    status, r = op.get("/api/cases/%d" % cid)
    check(status == 200, r)
    files = [f for line in r["case"]["transcript"] if line.get("from") == "operator"
             for f in line.get("files", [])]
    return files, r


def check_refusals(op, cid, fake, peer):
    n = len(fake.sent(peer=peer))
    status, r = op.post("/api/cases/%d/reply" % cid, {"text": "", "file": "no_such_file"})
    check(status == 422 and "no_such_file" in r.get("error", ""), "forged id: %s %s" % (status, r))
    status, r = op.post("/api/cases/%d/reply" % cid, {"file": "../settings"})
    check(status == 422, "forged path: %s %s" % (status, r))
    status, r = op.post("/api/cases/%d/reply" % cid, {"file": 5})
    check(status == 400, "a number for an id: %s %s" % (status, r))
    time.sleep(0.5)
    check(len(fake.sent(peer=peer)) == n, "a refused file was sent")


def test_telegram(store_url=None):
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    peer = 7000009001
    with vk, tg:
        cfg = bot_config(vk, tg)
        if store_url:
            cfg["store"] = {"url": store_url}
        with Deskbot(config=cfg) as bot:
            if store_url:
                check("on PostgreSQL" in bot.read_log(), "the bot is not on PostgreSQL")
            op = Session(bot, "oleg")
            cid = claimed_case(op, tg, "telegram", peer, "chat_id")
            status, t = op.get("/api/cases/%d/templates" % cid)
            check(status == 200 and t["can_send_files"], t)
            ids = [f["id"] for f in t["files"]]
            check(ids == ["internet_setup", "router_label"], t["files"])
            check(t["files"][0]["title_en"] == "Memo: setting up the internet", t["files"][0])

            # A document with a caption, after one upload failure (a 500 the outbox
            # retries with its back-off).
            tg.fault("sendDocument", "http", status=500)
            status, r = op.post("/api/cases/%d/reply" % cid,
                                {"text": "Памятка во вложении", "file": "internet_setup"})
            check(status == 200, "send: %s %s" % (status, r))
            m = one_file_send(tg, peer, "the memo on Telegram")
            check(m["method"] == "sendDocument" and m["file"]["field"] == "document", m)
            check(m["file"]["sha256"] == sha(PDF), m["file"])
            check(m["file"]["filename"] == "internet_setup.pdf", m["file"])
            check(m["file"]["type"] == "application/pdf", m["file"])
            check(m["caption"] == "Памятка во вложении", m)
            check(tg.stats()["requests"].get("sendDocument") == 2,
                  "want one failed and one good upload: %s" % tg.stats()["requests"])

            # A photo without text.
            status, r = op.post("/api/cases/%d/reply" % cid, {"file": "router_label"})
            check(status == 200, "photo: %s %s" % (status, r))
            got = wait_for(lambda: (lambda s: s if len(s) == 2 else None)(file_sends(tg, peer)),
                           20, 0.1, "the photo on Telegram")
            check(got[1]["method"] == "sendPhoto" and got[1]["file"]["sha256"] == sha(PNG), got[1])
            check(not got[1].get("caption"), got[1])

            # The transcript shows both, served from the store.
            files, rec = transcript_file(op, cid)
            check([f["kind"] for f in files] == ["document", "photo"], files)
            check(all(f["state"] == "ok" for f in files), files)
            status, body = get_bytes(bot, "/api/files/%d" % files[0]["id"], op.cookie)
            check(status == 200 and hashlib.sha256(body).hexdigest() == sha(PDF), status)
            check_refusals(op, cid, tg, peer)

            # A permanent refusal (400): the row fails, the line says so, nothing sent.
            tg.fault("sendPhoto", "error", code=400, description="Bad Request: PHOTO_INVALID_DIMENSIONS")
            status, r = op.post("/api/cases/%d/reply" % cid, {"file": "router_label"})
            check(status == 200, "photo: %s %s" % (status, r))
            failed = wait_for(lambda: (lambda fs: fs if len(fs) == 3 and fs[2].get("error") else None)(
                transcript_file(op, cid)[0]), 20, 0.2, "the refused photo marked on its line")
            check("PHOTO_INVALID_DIMENSIONS" in failed[2]["error"], failed[2])
            check(len(file_sends(tg, peer)) == 2, "a refused photo was recorded as sent")
            status, a = op.get("/api/cases/%d" % cid)
            check(any("internet_setup" in (e.get("detail") or "") for e in a["audit"]),
                  "no audit entry names the file: %s" % a["audit"])


def test_vk():
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    peer = 9001
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            op = Session(bot, "oleg")
            cid = claimed_case(op, vk, "vk", peer, "peer_id")
            status, t = op.get("/api/cases/%d/templates" % cid)
            check(status == 200 and t["can_send_files"] and len(t["files"]) == 2, t)

            # The upload server fails once (a 502): the row is retried and the file
            # delivered once.
            vk.fault("upload", "http", status=502)
            status, r = op.post("/api/cases/%d/reply" % cid,
                                {"text": "Памятка во вложении", "file": "internet_setup"})
            check(status == 200, "send: %s %s" % (status, r))
            m = one_file_send(vk, peer, "the memo on VK")
            check(m["file"]["kind"] == "doc" and m["file"]["field"] == "file", m["file"])
            check(m["file"]["sha256"] == sha(PDF), m["file"])
            check(m["file"]["filename"] == "internet_setup.pdf", m["file"])
            check(m["attachment"].startswith("doc-123456_"), m["attachment"])
            check(m["text"] == "Памятка во вложении", m)
            check(m["random_id"] and m["random_id"] != 0, m)
            st = vk.stats()
            check(len(st["uploads"]) == 1, "want one good upload: %s" % st["uploads"])
            check(st["requests"].get("<upload>") == 2, st["requests"])

            # A photo, alone; messages.send fails once after the upload went through:
            # the retry sends the saved attachment without uploading again.
            vk.fault("messages.send", "error", code=10)
            status, r = op.post("/api/cases/%d/reply" % cid, {"file": "router_label"})
            check(status == 200, "photo: %s %s" % (status, r))
            got = wait_for(lambda: (lambda s: s if len(s) == 2 else None)(file_sends(vk, peer)),
                           20, 0.1, "the photo on VK")
            time.sleep(1.0)
            got = file_sends(vk, peer)
            check(len(got) == 2, got)
            check(got[1]["attachment"].startswith("photo-123456_"), got[1])
            check(got[1]["file"]["sha256"] == sha(PNG) and got[1]["file"]["field"] == "photo",
                  got[1]["file"])
            st = vk.stats()
            check(len(st["uploads"]) == 2, "the photo was uploaded again: %s" % st["uploads"])
            check(st["requests"].get("photos.saveMessagesPhoto") == 1, st["requests"])

            files, _ = transcript_file(op, cid)
            check([f["kind"] for f in files] == ["document", "photo"], files)
            status, body = get_bytes(bot, "/api/files/%d" % files[1]["id"], op.cookie)
            check(status == 200 and hashlib.sha256(body).hexdigest() == sha(PNG), status)
            check_refusals(op, cid, vk, peer)


def test_max():
    import test_max
    mx = test_max.fake_max()
    peer = 91000901
    with mx:
        cfg = dict(config_with_ops(), max=test_max.bot_config(mx)["max"])
        with Deskbot(config=cfg, env=test_max.env()) as bot:
            op = Session(bot, "oleg")
            cid = claimed_case(op, mx, "max", peer, "user_id")
            status, t = op.get("/api/cases/%d/templates" % cid)
            check(status == 200 and t["can_send_files"] and len(t["files"]) == 2, t)

            # The upload fails once (a 503), then the message is refused twice with
            # attachment.not.ready: retried, the file uploaded twice in all (the failed
            # one did not count), delivered once.
            mx.fault("upload", "http", status=503)
            mx.control("config", {"not_ready": 2})
            status, r = op.post("/api/cases/%d/reply" % cid,
                                {"text": "Памятка во вложении", "file": "internet_setup"})
            check(status == 200, "send: %s %s" % (status, r))
            m = one_file_send(mx, peer, "the memo on MAX")
            check(m["file"]["type"] == "file" and m["file"]["field"] == "data", m["file"])
            check(m["file"]["sha256"] == sha(PDF), m["file"])
            check(m["file"]["filename"] == "internet_setup.pdf", m["file"])
            check(m["text"] == "Памятка во вложении", m)
            st = mx.stats()
            check(len(st["uploads"]) == 1, "uploaded again after not.ready: %s" % st["uploads"])
            check(st["api_errors"].get("messages 400 attachment.not.ready") == 2, st["api_errors"])

            status, r = op.post("/api/cases/%d/reply" % cid, {"file": "router_label"})
            check(status == 200, "photo: %s %s" % (status, r))
            got = wait_for(lambda: (lambda s: s if len(s) == 2 else None)(file_sends(mx, peer)),
                           20, 0.1, "the photo on MAX")
            check(got[1]["file"]["type"] == "image" and got[1]["file"]["sha256"] == sha(PNG),
                  got[1]["file"])
            files, _ = transcript_file(op, cid)
            check([f["kind"] for f in files] == ["document", "photo"], files)
            check_refusals(op, cid, mx, peer)


def test_web_chat():
    """The web chat: the file arrives in the chat's frame with a link to /chat/files/N,
    which gives the exact bytes to this chat's cookie only; the chat's history shows it
    again after a reconnect."""
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            op = Session(bot, "oleg")
            customer = Customer(bot)
            other = Customer(bot)
            complain(customer)
            cid = wait_for(lambda: next((c["id"] for c in op.get("/api/cases?status=open")[1]["cases"]
                                         if c["channel"] == "web" and c["peer_id"] == customer.peer),
                                        None), 20, 0.2, "the web chat's case")
            status, r = op.post("/api/cases/%d/claim" % cid)
            check(status == 200, "claim: %s %s" % (status, r))
            status, t = op.get("/api/cases/%d/templates" % cid)
            check(status == 200 and t["can_send_files"], "the web chat takes files: %s" % t)
            status, r = op.post("/api/cases/%d/reply" % cid, {"text": "Памятка", "file": "internet_setup"})
            check(status == 200, "send: %s %s" % (status, r))
            m = customer.reply(lambda m: m.get("file"))
            f = m["file"]
            check(m["text"] == "Памятка" and f["name"] == "internet_setup.pdf" and not f["photo"], m)
            check(f["url"].startswith("/chat/files/"), f)
            status, body = get_bytes(bot, f["url"], customer.cookie)
            check(status == 200 and hashlib.sha256(body).hexdigest() == sha(PDF),
                  "the chat's own file: %s" % status)
            # Another customer's cookie, no cookie, another row: not found.
            for cookie in (other.cookie, ""):
                status, _ = get_bytes(bot, f["url"], cookie)
                check(status == 404, "someone else's file: %s" % status)
            row = int(f["url"].rsplit("/", 1)[1])
            for path in ("/chat/files/%d" % (row - 1), "/chat/files/x", "/chat/files/"):
                status, _ = get_bytes(bot, path, customer.cookie)
                check(status == 404, "%s: %s" % (path, status))
            # A photo, and both in the history of a new socket.
            status, r = op.post("/api/cases/%d/reply" % cid, {"file": "router_label"})
            check(status == 200, "photo: %s %s" % (status, r))
            m = customer.reply(lambda m: (m.get("file") or {}).get("photo"))
            status, body = get_bytes(bot, m["file"]["url"], customer.cookie)
            check(status == 200 and hashlib.sha256(body).hexdigest() == sha(PNG), status)
            customer.ws.close()
            customer.connect()
            shown = [l["file"]["name"] for l in customer.history if l.get("file")]
            check(shown == ["internet_setup.pdf", "router.png"], "history: %s" % shown)
            files, _ = transcript_file(op, cid)
            check([x["kind"] for x in files] == ["document", "photo"], files)


def config_with_ops():
    from test_console import config
    return config()


def test_reload_removes_and_snapshot_holds():
    """A file removed by a reload is refused; a send queued before a reload that changed
    the file's bytes still sends (and shows) the bytes it was sent with."""
    vk = FakeServer("vk", token=VK_TOKEN, max_seconds=300)
    tg = FakeServer("telegram", token=TG_TOKEN, max_seconds=300)
    peer = 7000009002
    with vk, tg:
        with Deskbot(config=bot_config(vk, tg)) as bot:
            op = Session(bot, "oleg")
            admin = Session(bot, "marina")
            cid = claimed_case(op, tg, "telegram", peer, "chat_id")
            rdir = os.path.join(bot.dir, "replies")
            # The first attempt fails (a 500), and the file changes and is reloaded
            # before the retry: the retry still sends the snapshot.
            tg.fault("sendDocument", "http", status=500)
            status, r = op.post("/api/cases/%d/reply" % cid, {"file": "internet_setup"})
            check(status == 200, r)
            with open(os.path.join(rdir, "files", "internet_setup.pdf"), "ab") as f:
                f.write(b"\n%% changed after the send\n")
            status, r = admin.post("/api/admin/reload")
            check(status == 200, "reload: %s %s" % (status, r))
            m = one_file_send(tg, peer, "the memo sent before the reload")
            check(m["file"]["sha256"] == sha(PDF), "the changed file went out, not the snapshot")
            files, _ = transcript_file(op, cid)
            status, body = get_bytes(bot, "/api/files/%d" % files[0]["id"], op.cookie)
            check(hashlib.sha256(body).hexdigest() == sha(PDF), "the transcript shows the new bytes")

            # Removed from files.json and reloaded: refused, nothing queued.
            path = os.path.join(rdir, "files.json")
            with open(path) as f:
                data = json.load(f)
            data["files"] = [e for e in data["files"] if e["id"] != "router_label"]
            with open(path, "w") as f:
                json.dump(data, f, ensure_ascii=False)
            status, r = admin.post("/api/admin/reload")
            check(status == 200, "reload: %s %s" % (status, r))
            n = len(tg.sent(peer=peer))
            status, r = op.post("/api/cases/%d/reply" % cid, {"file": "router_label"})
            check(status == 422 and "router_label" in r.get("error", ""), "%s %s" % (status, r))
            time.sleep(0.5)
            check(len(tg.sent(peer=peer)) == n, "a removed file was sent")

            # A broken entry refuses the reload and the old set stays.
            data["files"].append({"id": "bad", "title": "x", "file": "files/../settings.json",
                                  "kind": "document"})
            with open(path, "w") as f:
                json.dump(data, f, ensure_ascii=False)
            status, r = admin.post("/api/admin/reload")
            check(status != 200 and "files.json" in json.dumps(r, ensure_ascii=False),
                  "broken files.json: %s %s" % (status, r))
            status, t = op.get("/api/cases/%d/templates" % cid)
            check([f["id"] for f in t["files"]] == ["internet_setup"], t["files"])


def main():
    r = Runner()
    names = sys.argv[1:]
    for fn in (test_telegram, test_vk, test_max, test_web_chat,
               test_reload_removes_and_snapshot_holds):
        if not names or fn.__name__ in names:
            r.run(fn)
    r.finish()


if __name__ == "__main__":
    main()
