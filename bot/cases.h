/* The cases service: the one owner of the operations on a case record (DESIGN.md "The
 * case record"), for the console and the case timers alike. Each operation is one unit
 * of work: it begins a store transaction of its own (never inside another's unit),
 * changes the record, the conversation's owner (handoff.h) and the audit log, commits,
 * and only then emits its events ("case_updated", "operator_message", "bot_message").
 * Who may do what (holder, admin) is the caller's to check; the records in the store are
 * store_cases.h's.
 *
 * Severities are named by severity.h; a case's summary for the queue is cases_summary. */
#ifndef DESKBOT_CASES_H
#define DESKBOT_CASES_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "store_cases.h"

struct chan_msg;

struct cases;
struct events;
struct outbox;
struct replyset;
struct store;
struct store_tx;

struct cases_deps {
	struct store *store;
	struct outbox *outbox;  /* messages to customers; NULL: rows are stored, not sent */
	struct events *events;  /* notices after each commit */
	/* The live reply set, asked for at each use: it is swapped whole on reload. */
	struct replyset *(*replies)(void *arg);
	void *replies_arg;
	/* Shows a channel's customer that a person is writing (the app's channels; NULL:
	 * never). Returns 1 sent, 0 skipped, negative on an error. */
	int (*typing)(void *arg, const char *channel, int64_t peer);
	void *typing_arg;
	const char *language; /* of the audit notes (config console.language); NULL: "ru" */
};

/* What an operation did, told to the watcher inside its transaction so that what the
 * watcher writes (the case timers' rows) commits with the change or not at all. */
enum cases_change {
	CASES_CLAIMED,        /* claimed or handed over to someone */
	CASES_RELEASED,       /* back in the queue */
	CASES_OPERATOR_SPOKE, /* an operator's reply */
	CASES_HANDED_BACK,    /* the bot answers again */
	CASES_FINISHED,       /* resolved or closed */
	CASES_WAITING,        /* waits for the customer */
};
/* tx is the operation's, for the watcher's writes (it neither commits nor ends it). */
typedef void (*cases_watch_fn)(void *arg, struct store_tx *tx, int64_t case_id,
			       enum cases_change what, int64_t now);

struct cases *cases_new(const struct cases_deps *d);
/* Accepts NULL. */
void cases_free(struct cases *cs);
/* Sets the one watcher (NULL fn: none). */
void cases_watch(struct cases *cs, cases_watch_fn fn, void *arg);

/* The whole record of case id (with its transcript); *record NULL when there is none.
 * Caller frees. */
int cases_get(struct cases *cs, int64_t id, cJSON **record);

/* 1 when status is one of new, claimed, waiting. */
int cases_is_open_status(const char *status);

/* The case writes of an inbound batch (casework), in the batch's tx: no events (the
 * batch emits its own after its commit) and no watcher (the case timers learn of new
 * cases and customer lines from those events).
 * Creates a case from record (its key fields are read from it): fills *id and writes
 * the case number into the record ("number") and into number (>= 16 bytes). */
int cases_create(struct store_tx *tx, cJSON *record, int64_t now, int64_t *id, char *number,
		 size_t number_len);
/* Appends a transcript line to case id (from "customer" or "bot"); a customer's line
 * also marks the case as written to at. */
int cases_add_line(struct store_tx *tx, int64_t id, int64_t at, const char *from,
		   const char *text);
/* Appends n lines at once (a message and the replies to it). */
int cases_add_lines(struct store_tx *tx, int64_t id, int64_t at,
		    const struct case_line_in *lines, size_t n);
/* Keeps the files a customer's message brought (store_files.h) with the case's last
 * line, which must be that message's: pending until the file fetcher has them. */
int cases_add_files(struct store_tx *tx, int64_t id, const struct chan_msg *m, int64_t at);

/* Gives case id to login. Returns 1 when this call won (the record as stored now in
 * *record, caller frees), 0 when someone else holds it (their login in holder, "" when
 * the case is finished), negative on a store error. */
int cases_claim(struct cases *cs, int64_t id, const char *login, int64_t now, char *holder,
		size_t holder_len, cJSON **record);
/* Hands an open case to login to (by: who did it), with a note "Передано: a → b". */
int cases_assign(struct cases *cs, int64_t id, const char *by, const char *to, int64_t now);
/* The case goes back to the queue (status new, no assignee, the bot answers), with a
 * note when note is not NULL. */
int cases_release(struct cases *cs, int64_t id, const char *by, const char *note,
		  int64_t now);
/* The conversation goes back to the bot; notify sends the "handed_back" template. */
int cases_handback(struct cases *cs, int64_t id, const char *by, const char *note,
		   int notify, int64_t now);
/* An operator's reply to the customer: the outbox row, the transcript line, the
 * conversation held by a person and the audit entry (template: the template's id, or
 * NULL for the operator's own text) commit together or not at all. The row is queued
 * for delivery after the commit. Fills *record (caller frees) on success. */
int cases_reply(struct cases *cs, int64_t id, const char *login, const char *text,
		const char *template_id, int64_t now, cJSON **record);
/* The same with an approved file (replyset.h; NULL: as cases_reply): its bytes are
 * snapshotted into the store (store_file_add_out) with the operator's transcript line,
 * and the one outbox row (kind "file") names that snapshot, so a later reload that
 * changes the file changes neither what is sent nor what the transcript shows. text may
 * then be "" (the file alone). */
struct replyset_file;
int cases_reply_file(struct cases *cs, int64_t id, const char *login, const char *text,
		     const char *template_id, const struct replyset_file *file, int64_t now,
		     cJSON **record);
/* A secretary's public reply from template_id (a "public_" template) under comment
 * comment_id of case id's thread (0: the case's own comment), through the outbox
 * (wall.createComment), with its transcript line and audit entry, in one transaction.
 * Returns 0; -1 on a store error; -2 not a public template; -3 the case has no such
 * comment in its thread; -4 the comment was deleted. */
int cases_public_reply(struct cases *cs, int64_t id, const char *login, const char *template_id,
		       int64_t comment_id, int64_t now);
/* Appends a note by author. Fills *record (caller frees) on success. */
int cases_note(struct cases *cs, int64_t id, const char *author, const char *text,
	       int64_t now, cJSON **record);
/* Sets the status (claimed, waiting, resolved, closed; "new" is cases_release) with its
 * history line and the resolution when not NULL. A finished case gives the conversation
 * back to the bot. Fills *record (caller frees) on success. */
int cases_set_status(struct cases *cs, int64_t id, const char *by, const char *status,
		     const char *resolution, int64_t now, cJSON **record);
/* Sends a bot template (by id; the first of ids, NULL-terminated, that exists) to the
 * case's customer with its transcript line, in one transaction. Returns 0 or negative. */
int cases_send_template(struct cases *cs, int64_t id, const char *const *ids, int64_t now);

/* How often a case's customer is told that a person is writing, at most. */
#define CASES_TYPING_EVERY_MS 4000
/* The case's customer sees "печатает…" (deps.typing), at most once every
 * CASES_TYPING_EVERY_MS per case however often it is called (now_ms: the clock).
 * Returns 1 when the notice went out, 0 when throttled or skipped, negative on an
 * error (no such case). */
int cases_typing(struct cases *cs, int64_t id, int64_t now_ms);

/* The language of the case's customer (enum replyset_lang). */
int cases_lang(struct cases *cs, const cJSON *record);

/* The queue's view of a case: {"id","number","created_at","updated_at","sla_due_at",
 * "channel","peer_id","category","intent","severity","flags":{..},"status","assignee",
 * "display_name","summary","followers","last_at"}. Caller frees. */
cJSON *cases_summary(int64_t id, const cJSON *record);

#endif
