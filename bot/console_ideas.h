/* The console's ideas page API, under /api/ideas (admin only; console_api.c checks the
 * session, the CSRF token of a change and the role before handing a request here).
 * Every change goes through the ideas service (ideas.h), which writes the audit log; a
 * status change's notice to the author goes to the outbox after the commit.
 *
 *   GET  /api/ideas                 -> {"ideas":[IDEA..],"units":[S..],
 *                                       "statuses":[{"id","label"}..]}
 *   GET  /api/ideas/N               -> {"idea":IDEA,"audit":[{"at","actor","action","detail"}]}
 *   POST /api/ideas/N/merge         {"into":M} -> {"idea":IDEA} (M's, with N's votes)
 *   POST /api/ideas/N/route         {"unit":S|""} -> {"idea":IDEA}
 *   POST /api/ideas/N/status        {"status":S} -> {"idea":IDEA,"notified":B}
 *   GET  /api/ideas/export?format=json|csv[&sep=;] -> the file (CSV with the UTF-8 BOM)
 * IDEA is idea_json's object. */
#ifndef DESKBOT_CONSOLE_IDEAS_H
#define DESKBOT_CONSOLE_IDEAS_H
#include <cjson/cJSON.h>
#include <stdint.h>

struct console_ideas;
struct http_req;
struct http_resp;
struct outbox;
struct replyset;
struct store;

/* Borrowed; must outlive it. */
struct console_ideas_deps {
	struct store *store;
	struct outbox *outbox; /* NULL: notices are stored, not sent */
	struct replyset *(*replies)(void *arg); /* the live reply set */
	void *arg;
};

struct console_ideas *console_ideas_new(const struct console_ideas_deps *d);
/* Accepts NULL. */
void console_ideas_free(struct console_ideas *ci);

/* Answers one request; path is what follows "/api/ideas" ("", "/3/status"...), body
 * the parsed JSON of a POST (NULL for a GET), login the admin's. */
void console_ideas_handle(struct console_ideas *ci, const struct http_req *req, const char *path,
			  const cJSON *body, const char *login, int64_t now,
			  struct http_resp *resp);

#endif
