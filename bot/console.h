/* The blog secretary's console as one object: its sessions (auth.h), live updates
 * (console_hub.h), case timers (case_timers.h), the cases service they act through
 * (cases.h) and the pages and JSON API (console_api.h). The app creates it once the
 * store, the outbox and the reply set are there, stops it with the channels and frees it
 * once the server has stopped. */
#ifndef DESKBOT_CONSOLE_H
#define DESKBOT_CONSOLE_H
#include <stdint.h>
#include <uv.h>

struct auth;
struct buf;
struct case_timers;
struct cases;
struct config;
struct console;
struct console_api;
struct console_hub;
struct events;
struct outbox;
struct replyset;
struct server;
struct store;

/* What the console is built from; every pointer is borrowed and must outlive it. */
struct console_deps {
	uv_loop_t *loop;
	const struct config *cfg;  /* operators, the auth settings */
	struct store *store;
	struct server *server;     /* NULL: no routes (unit tests call the API directly) */
	struct outbox *outbox;     /* NULL: messages are stored, not sent */
	struct events *events;
	/* The live reply set, asked for at each use: it is swapped whole on reload. */
	struct replyset *(*replies)(void *arg);
	/* POST /api/admin/reload: reloads the reply set, its report appended to out. */
	int (*reload)(void *arg, struct buf *out);
	/* Shows a channel's customer that a person is writing (cases_deps.typing). */
	int (*typing)(void *arg, const char *channel, int64_t peer);
	/* 1 when the channel can send approved files (console_api_deps.can_send_files). */
	int (*can_send_files)(void *arg, const char *channel);
	void *arg;                 /* for replies, reload and typing */
};

/* Creates the console and registers its routes (/console and its assets, /api/ and /ws). */
struct console *console_new(const struct console_deps *d);
/* Stops the case timers (shutdown). Accepts NULL. */
void console_stop(struct console *c);
/* Frees; the server must have stopped (no socket left). Accepts NULL. */
void console_free(struct console *c);

/* Its parts, for the app's wiring and the tests. */
struct console_api *console__api(struct console *c);
struct auth *console__auth(struct console *c);
struct console_hub *console__hub(struct console *c);
struct case_timers *console__timers(struct console *c);
struct cases *console__cases(struct console *c);

#endif
