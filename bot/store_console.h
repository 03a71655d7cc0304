/* The console's part of the store (store_console.c): case timers that survive restarts,
 * the web chat's customers and history, the audit trail of a case and the admin figures.
 * Like every store_*.c file it is the only place its SQL lives. */
#ifndef DESKBOT_STORE_CONSOLE_H
#define DESKBOT_STORE_CONSOLE_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_tx;

/* How store_console_timer_arm treats a timer that exists already. */
enum console_arm {
	CONSOLE_ARM_REPLACE,   /* arm it anew at the new due time */
	CONSOLE_ARM_IF_ABSENT, /* leave any existing timer (armed, fired or cancelled) alone */
	CONSOLE_ARM_IF_IDLE,   /* arm it only when it is not armed now */
};

/* Arms the timer kind of case_id to fire at due_at (unix seconds), as mode says (enum
 * console_arm). The count of earlier firings is kept. */
int store_console_timer_arm(struct store_tx *tx, int64_t case_id, const char *kind, int64_t due_at,
			    int64_t now, int mode);
/* Disarms the timer (it will not fire); a missing timer is not an error. */
int store_console_timer_cancel(struct store_tx *tx, int64_t case_id, const char *kind);
/* Marks the timer fired: disarmed, and its firing count raised by one. 1 when this call
 * fired it, 0 when it was no longer armed (another instance on the same store fired or
 * cancelled it first: the caller must not act on it), -1 on error. */
int store_console_timer_fired(struct store_tx *tx, int64_t case_id, const char *kind);
/* How often the timer has fired so far (0 when it never did or does not exist). */
int store_console_timer_count(struct store *st, int64_t case_id, const char *kind);

/* One armed timer whose time has come. */
struct console_timer {
	int64_t case_id;
	char kind[16];
	int64_t due_at;
	int fired; /* earlier firings */
};

/* Fills up to max armed timers due at or before now, earliest first; returns the
 * count or negative. */
int store_console_timers_due(struct store *st, int64_t now, struct console_timer *out,
			     size_t max);
/* Earliest due time of any armed timer, 0 when none, negative on error. */
int64_t store_console_timer_next(struct store *st);
/* Arms an "unclaimed" timer (created_at + after_s) for every new, unassigned case that
 * has none: cases created while the process was down, or whose notice was lost. */
int store_console_timers_recover(struct store_tx *tx, int64_t after_s, int64_t now);

/* The web-chat customer whose browser holds token: 1 found, 0 not found, negative on
 * error. */
int store_console_web_peer(struct store *st, const char *token, int64_t *peer_id);
/* The same, creating the customer when there is none (then 1). */
int store_console_web_peer_create(struct store_tx *tx, const char *token, int64_t now,
				  int64_t *peer_id);

/* One line of a web chat: what the customer wrote, or a reply (bot or person). */
struct console_line {
	int64_t at_ms;
	const char *from; /* "customer", "bot" or "operator" */
	const char *text;
	const char *keyboard; /* reply_keyboard_json, or NULL */
	int64_t id;           /* store id (inbound or outbox row) */
	const char *file;     /* an approved file sent (the outbox row's extra JSON), or NULL */
};

/* Calls fn for the last limit lines of a web chat, oldest first. Borrowed for the call. */
int store_console_web_history(struct store *st, int64_t peer_id, int limit,
			      void (*fn)(void *arg, const struct console_line *line), void *arg);
/* The snapshot (store_files.h) of the approved file that outbox row row_id sent to web
 * chat peer_id: 1 with *file_id, 0 when the row is not that chat's file, negative on
 * error. */
int store_console_web_file(struct store *st, int64_t peer_id, int64_t row_id, int64_t *file_id);

/* Calls fn for the last limit successful console logins (login, client address, unix
 * time), newest first: after a restart they tell auth which addresses each login has
 * logged in from (auth_trust). Returns the count or negative. */
int store_console_recent_logins(struct store *st, int limit,
				void (*fn)(void *arg, const char *login, const char *peer,
					   int64_t at),
				void *arg);

/* The audit log of a case as an array of {"at","actor","action","detail"}, oldest
 * first (at most limit entries); caller frees. NULL on error. */
cJSON *store_console_audit(struct store *st, int64_t case_id, int limit);

/* The admin figures for the period [since, now) in unix seconds:
 * {"messages":{"vk":N,...},"answered":{"bot":N,"people":N},"cases_created":N,
 *  "first_human_reply_median_s":S or null,"first_human_reply_count":N}
 * plus, independent of the period, {"open_cases":N,"oldest_unclaimed_at":T or null}.
 * Caller frees. NULL on error. */
cJSON *store_console_stats(struct store *st, int64_t since, int64_t now);

/* A secretary's saved views (named filters, personal per login). views: an array of
 * {"name","filter":{..}} by name (caller frees; NULL on error). put: creates or
 * replaces one (filter_json is an object's text). delete: 1 deleted, 0 none, negative
 * on error. count: how many login has, or negative. */
cJSON *store_console_views(struct store *st, const char *login);
int store_console_view_put(struct store_tx *tx, const char *login, const char *name,
			   const char *filter_json, int64_t now);
int store_console_view_delete(struct store_tx *tx, const char *login, const char *name);
int store_console_view_count(struct store *st, const char *login);

/* The reports page for the last n_days local days (the reply set's UTC offset off, in
 * seconds), today included:
 * {"since","now","days":[{"day" (local midnight, unix seconds),"messages","bot",
 *  "people","cases","sla_breached","first_response_median_s","resolution_median_s"}],
 *  "hours":[24 counts: customer messages by local hour],"categories":{cat:N},
 *  "severities":{sev:N},"operators":[{"login","claimed","replies","resolved",
 *  "handed_over"}],"satisfaction":{..} (store_rating_report)}. Cases count by the day they were created. Caller frees; NULL on
 * error. */
cJSON *store_console_report(struct store *st, int n_days, int64_t now, int64_t off);

#endif
