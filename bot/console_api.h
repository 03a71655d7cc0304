/* The blog secretary's console: the pages (/console and its assets) and the JSON API
 * under /api/. Every /api/ route but login needs a session (auth.h); every request that
 * changes state also needs the session's X-CSRF-Token and a same-origin Origin; admin
 * routes need the admin role. Every operator action is written to the audit log, and
 * every change to a case is told to the console's live updates (events "case_updated",
 * "operator_message", "alert") after it has committed.
 *
 * Endpoints (JSON bodies and answers; errors are {"error":S} with the HTTP status):
 *   POST /api/login                  {"login","password"} -> {"login","role","csrf"}
 *   POST /api/logout                 -> {"ok":true}
 *   GET  /api/session                -> {"login","role","csrf","operators":[..]}
 *   GET  /api/cases?status=&channel=&category=&assignee=&severity=&flag=&from=&to=&q=&limit=
 *                                    -> {"cases":[SUMMARY..]}  (q: full-text search over
 *                                        the transcripts, any Russian word form; digits
 *                                        also match the number and the phone)
 *   GET  /api/views                  -> {"views":[{"name","filter"}]} (the caller's own)
 *   POST /api/views                  {"name","filter":{..}} -> {"views":..}
 *   POST /api/views/delete           {"name"} -> {"views":..}
 *   GET  /api/cases/N                -> {"case":RECORD+{"id"},"conversation":{"mode"},
 *                                        "audit":[..],"customer":{"cases":[SUMMARY+
 *                                        {"notes","resolution"}..]}}
 *   GET  /api/cases/N/templates      -> {"templates":[{"id","text","filled"}],"lang"}
 *   POST /api/cases/N/claim          -> {"case":..} | 409 {"error","holder"}
 *   POST /api/cases/N/release        -> {"case":..}       (holder or admin)
 *   POST /api/cases/N/assign         {"to":LOGIN} -> {"case":..} (hand-over by the holder;
 *                                        an admin may assign or take over any open case)
 *   POST /api/cases/N/reply          {"text","template"?} -> {"case":..} (holder)
 *   POST /api/cases/N/note           {"text"} -> {"case":..}
 *   POST /api/cases/N/status         {"status","resolution"?} -> {"case":..}
 *   POST /api/cases/N/close          {"resolution"} -> {"case":..}
 *   POST /api/cases/N/handback       {"notify":B?} -> {"case":..} (return to the bot)
 *   GET  /api/stats                  -> {"today":FIGURES,"week":FIGURES}   (admin)
 *   GET  /api/reports?days=N         -> store_console_report's object      (admin)
 *   POST /api/admin/reload           -> app_reload's object              (admin)
 *   GET  /api/audit?case_id=N        -> {"audit":[..]}                    (admin) */
#ifndef DESKBOT_CONSOLE_API_H
#define DESKBOT_CONSOLE_API_H
#include <cjson/cJSON.h>
#include <stdint.h>

struct app;
struct auth;
struct channel;
struct console;
struct console_hub;
struct case_timers;
struct http_req;
struct http_resp;

/* Creates the console (sessions, live-update hub, case timers), registers its routes on
 * app->server and ties its life to the web chat channel web (web_channel_set_companion):
 * it stops and is freed with it. */
struct console *console_new(struct app *app, struct channel *web);

/* Answers one request under /api/ (the prefix route of the API). */
void console_api_handle(struct console *c, const struct http_req *req, struct http_resp *resp);

/* The queue's view of a case: {"id","number","created_at","updated_at","sla_due_at",
 * "channel","peer_id","category","intent","severity","flags":{..},"status","assignee",
 * "display_name","summary","followers","last_at"}. Caller frees. */
cJSON *console_case_summary(int64_t id, const cJSON *record);

/* Internals shared with console_hub.c, case_timers.c and the tests. */
struct console *console__of(struct app *app);
struct auth *console__auth(struct console *c);
struct console_hub *console__hub(struct console *c);
struct case_timers *console__timers(struct console *c);

/* Case changes made by the system (timers) as by an operator: each one commits, writes
 * the audit log as by, appends a note when note is not NULL, and emits "case_updated".
 * release: the case goes back to the queue (status new, no assignee, bot answers).
 * handback: the conversation goes back to the bot; notify sends the "handed_back"
 * template to the customer. */
int console__release(struct app *app, int64_t id, const char *by, const char *note, int64_t now);
int console__handback(struct app *app, int64_t id, const char *by, const char *note, int notify,
		      int64_t now);
/* Sends a bot template (by id; the first of ids that exists) to the case's customer
 * through the outbox and appends it to the transcript. Returns 0 or negative. */
int console__send_template(struct app *app, int64_t id, const char *const *ids, int64_t now);

#endif
