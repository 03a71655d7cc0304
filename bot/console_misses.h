/* The console's learning page «Непонятые вопросы» (issue #12 item 6), under /api/misses
 * (admin only; console_api.c checks the session, the CSRF token of a change and the role
 * before handing a request here).
 *
 *   GET  /api/misses[?days=D&outcome=fallback|clarify|low]
 *        -> {"groups":[{"count","ids":[N..],"examples":[S..] (up to 5),"outcome",
 *            "intent":ID|null,"intent_title"}],"intents":[{"id","title"}],"days","total"}
 *        the misses of the last D days (1-90, default 7; at most MISSES_WINDOW rows)
 *        not attached yet, grouped by similarity (misses.h), biggest group first
 *   POST /api/misses/attach {"intent":ID, "group":[N..] | "ids":[N..] | "texts":[S..]}
 *        -> {"change":N,"file","diff","added","version"}
 *   POST /api/misses/create {"id","title","answer","texts":[S..],"ids":[N..]?}
 *        -> the same, for a new file intents/ID.json
 *   GET  /api/misses/changes -> {"changes":[{"id","at","actor","action","intent","file",
 *                                "diff","undone_at","attached"}]}
 *   POST /api/misses/changes/N/undo -> {"change":N,"file","diff","version"}
 *
 * A change edits the file as text (json_edit.h: the layout stays), validates the whole
 * reply set with it on a temporary copy (the loader deskbot check uses), and only then
 * writes it (a temporary file renamed over it), reloads the live set and commits the
 * change, the misses it attached and an audit row in one unit of work. A set that does
 * not validate is answered 422 with the problems; the files stay as they were. An undo
 * puts the file back as it was before the change if nobody changed it since (SHA-256),
 * else it is refused (409). */
#ifndef DESKBOT_CONSOLE_MISSES_H
#define DESKBOT_CONSOLE_MISSES_H
#include <cjson/cJSON.h>
#include <stdint.h>

struct buf;
struct console_misses;
struct http_req;
struct http_resp;
struct replyset;
struct store;

/* How many misses a listing looks at, newest first. */
#define MISSES_WINDOW 1000

/* Borrowed; must outlive it. */
struct console_misses_deps {
	struct store *store;
	struct replyset *(*replies)(void *arg); /* the live reply set */
	int (*reload)(void *arg, struct buf *out); /* reloads it from its directory */
	void *arg;
};

struct console_misses *console_misses_new(const struct console_misses_deps *d);
/* Accepts NULL. */
void console_misses_free(struct console_misses *cm);

/* Answers one request; path is what follows "/api/misses", body the parsed JSON of a
 * POST (NULL for a GET), login the admin's. */
void console_misses_handle(struct console_misses *cm, const struct http_req *req,
			   const char *path, const cJSON *body, const char *login, int64_t now,
			   struct http_resp *resp);

#endif
