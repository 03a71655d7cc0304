/* The blog secretary's console: the pages (/console and its assets) and the JSON API
 * under /api/. Every /api/ route but login needs a session (auth.h); every request that
 * changes state also needs the session's X-CSRF-Token and a same-origin Origin; admin
 * routes need the admin role. This file is the HTTP and JSON only: the changes to cases
 * are the cases service's (cases.h), which writes the audit log and tells the console's
 * live updates (events "case_updated", "operator_message") after each commit.
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
 *   POST /api/cases/N/typing         -> {"sent":B} (holder; the customer sees "печатает…",
 *                                        at most once per CASES_TYPING_EVERY_MS)
 *   POST /api/cases/N/status         {"status","resolution"?} -> {"case":..}
 *   POST /api/cases/N/close          {"resolution"} -> {"case":..}
 *   POST /api/cases/N/handback       {"notify":B?} -> {"case":..} (return to the bot)
 *   GET  /api/stats                  -> {"today":FIGURES,"week":FIGURES}   (admin)
 *   GET  /api/reports?days=N         -> store_console_report's object      (admin)
 *   POST /api/admin/reload           -> the reload report (deps.reload)    (admin)
 *   GET  /api/audit?case_id=N        -> {"audit":[..]}                    (admin) */
#ifndef DESKBOT_CONSOLE_API_H
#define DESKBOT_CONSOLE_API_H

#include <uv.h>

struct auth;
struct buf;
struct cases;
struct config;
struct console_api;
struct console_hub;
struct console_ideas;
struct console_misses;
struct http_req;
struct http_resp;
struct replyset;
struct server;
struct store;

/* What the API answers from (console.h's parts); every pointer is borrowed and must
 * outlive it. */
struct console_api_deps {
	uv_loop_t *loop;
	const struct config *cfg;  /* the operators */
	struct store *store;
	struct server *server;     /* NULL: no routes */
	struct auth *auth;
	struct console_hub *hub;
	struct cases *cases;
	struct console_ideas *ideas; /* /api/ideas (console_ideas.h) */
	struct console_misses *misses; /* /api/misses (console_misses.h) */
	struct replyset *(*replies)(void *arg); /* the live reply set */
	int (*reload)(void *arg, struct buf *out);
	/* 1 when the channel (a page id) can send approved files (caps.send_files); NULL:
	 * none can. */
	int (*can_send_files)(void *arg, const char *channel);
	void *arg;                 /* for replies, reload and can_send_files */
};

/* Registers the routes on d->server (when there is one). d is copied. */
struct console_api *console_api_new(const struct console_api_deps *d);
/* Accepts NULL. */
void console_api_free(struct console_api *a);

/* Answers one request under /api/ (the prefix route of the API). */
void console_api_handle(struct console_api *a, const struct http_req *req,
			struct http_resp *resp);

#endif
