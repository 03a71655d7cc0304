"""Case news for outside systems: the CRM receives every new case and each change a
secretary makes, and the notify webhook hears of new cases and of customers' messages on
held cases, through the outbox, even when the receivers fail at first."""

import http.server
import json
import os
import sys
import threading

from harness import Deskbot, Runner, check  # noqa: E402
from test_console import Customer, Session, complain, config  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from client import wait_for  # noqa: E402


def receiver(fail_first):
    """A loopback HTTP receiver that answers 500 to the first requests."""
    got = {"attempts": 0, "bodies": []}

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            got["attempts"] += 1
            if got["attempts"] <= fail_first:
                self.send_response(500)
                self.end_headers()
                return
            got["bodies"].append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, got, "http://127.0.0.1:%d/hook" % srv.server_address[1]


def test_crm_gets_changes_and_notify_gets_notices():
    crm, crm_got, crm_url = receiver(1)
    note, note_got, note_url = receiver(1)
    try:
        cfg = config(crm={"webhook_url": crm_url}, console={"notify_webhook": note_url})
        with Deskbot(config=cfg) as bot:
            op = Session(bot, "oleg")
            customer = Customer(bot, "Ирина")
            complain(customer)
            wait_for(lambda: any(b.get("type") == "case_created" for b in note_got["bodies"]),
                     30, 0.1, "the notify webhook to hear of the case")
            created = [b for b in note_got["bodies"] if b["type"] == "case_created"][0]
            case_id = created["case_id"]
            check(created["number"] and created["channel"] == "web", created)
            wait_for(lambda: crm_got["bodies"], 30, 0.1, "the CRM to get the new case")
            check(crm_got["bodies"][0]["status"] == "new", crm_got["bodies"][0])
            status, _ = op.post("/api/cases/%d/claim" % case_id)
            check(status == 200, "claim: %s" % status)
            wait_for(lambda: any(b.get("assignee") == "oleg" for b in crm_got["bodies"]), 30,
                     0.1, "the CRM to get the claim")
            customer.say("есть новости?")
            wait_for(lambda: any(b.get("type") == "customer_message" and
                                 b.get("assignee") == "oleg" for b in note_got["bodies"]),
                     30, 0.1, "the notify webhook to hear of the message on a held case")
            check(crm_got["attempts"] > len(crm_got["bodies"]), "the CRM was never retried")
    finally:
        crm.shutdown()
        note.shutdown()


if __name__ == "__main__":
    r = Runner()
    r.run(test_crm_gets_changes_and_notify_gets_notices)
    r.finish()
