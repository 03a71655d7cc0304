/* Case records in the store (DESIGN.md "The case record"); the operations on cases
 * (claim, reply, hand back...) are the cases service's (cases.h). A case is kept as a few
 * indexed columns (for the queue, filters and claims) plus the whole record as JSON:
 *
 * {"number","created_at","updated_at","sla_due_at","channel","peer_id","user_id",
 *  "display_name","profile_link","followers","phone","account","location",
 *  "category","severity","flags":{"obscene","legal_threat","spread_call","shouting",
 *  "repeat_contact","high_reach"},"summary","transcript":[{"at","from":"customer"|
 *  "bot"|"operator","text","operator"?}],"suggested_templates":[ids],"status",
 *  "assignee","notes":[{"at","author","text"}],"resolution","history":[{"at","status",
 *  "by"}],"replyset_version"}
 *
 * Times are unix seconds. Status is one of new, claimed, waiting, resolved, closed. */
#ifndef DESKBOT_STORE_CASES_H
#define DESKBOT_STORE_CASES_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_tx;

/* Creates a case from record (borrowed; its key fields are read from it). Fills *id and
 * writes the case number into the record ("number") and into number (>= 16 bytes). */
int store_case_create(struct store_tx *tx, cJSON *record, int64_t now, int64_t *id,
		      char *number, size_t number_len);
/* Loads a case record with its whole transcript; *record NULL when there is no such
 * case. Caller frees. For the console and exports: it costs the case's length. */
int store_case_get(struct store *st, int64_t id, cJSON **record);
/* The record without the transcript (bounded, whatever the case's length), with
 * "messages" (the line count), "last_at" and "last_from" (the last line's). For every
 * path that runs per message. Caller frees. */
int store_case_get_head(struct store *st, int64_t id, cJSON **record);
/* Replaces a case record (borrowed) and refreshes the indexed columns from it. The
 * transcript is kept as rows: lines of record's "transcript" beyond those stored are
 * appended (a record read whole, given new lines); a head record appends none. */
int store_case_put(struct store_tx *tx, int64_t id, const cJSON *record, int64_t now);
/* What the per-message paths need of a case, from its columns (no JSON): severity as
 * enum replyset_severity (0 critical ... 3 low), status and assignee ("" if none).
 * Returns 1 when the case exists, 0 when not, negative on error. */
int store_case_state(struct store *st, int64_t id, int *severity, char status[16],
		     char assignee[64]);
/* Appends one transcript line to a case (from: "customer", "bot" or "operator"); a
 * customer's line also sets the record's last_customer_at and updated_at to at. */
int store_case_line_add(struct store_tx *tx, int64_t id, int64_t at, const char *from,
			const char *text, const char *operator_login);
/* One line of a transcript to append; from NULL or "" is "bot". */
struct case_line_in {
	const char *from;
	const char *text;
	const char *operator_login; /* or NULL */
};
/* Appends n lines, in order, all at at: a message and the bot's replies to it, with one
 * update of the case for all of them. */
int store_case_lines_add(struct store_tx *tx, int64_t id, int64_t at,
			 const struct case_line_in *lines, size_t n);
/* The open case (not resolved or closed) of a chat, or 0 when none. Negative on error. */
int64_t store_case_open_for(struct store *st, const char *channel, int64_t peer);
/* Calls fn with the chat of every open case (start-up). */
int store_cases_open_peers(struct store *st, void (*fn)(void *arg, const char *channel,
							int64_t peer),
			   void *arg);
/* Number of cases a customer had before (any status), for the repeat-contact flag, and
 * how many were created since the given time. */
int store_case_count_for(struct store *st, const char *channel, int64_t user, int64_t since,
			 int64_t *total, int64_t *recent);
/* Atomically gives an unassigned (or released) case to operator. Returns 1 when this
 * call won, 0 when someone else holds it (their login in holder), negative on error. */
int store_case_claim(struct store_tx *tx, int64_t id, const char *operator_login, int64_t now,
		     char *holder, size_t holder_len);

/* A filter for listing cases; NULL/0 fields match everything. */
struct case_filter {
	const char *status;   /* one status, or "open" for new+claimed+waiting */
	const char *channel;
	const char *category;
	const char *assignee;
	int64_t since;        /* updated at or after, unix seconds */
	int64_t after_id;     /* for paging */
	int limit;            /* 0 = 500 */
	int with_transcript;  /* records with their transcripts (exports), else heads */
	const char *severity; /* critical, high, normal or low */
	const char *flag;     /* a flag name ([a-z_]+) that must be true */
	int64_t created_from; /* created at or after (unix seconds), 0 = any */
	int64_t created_to;   /* created before (unix seconds), 0 = any */
	/* A search: the cases it found in the transcripts, as a JSON array of ids
	 * (store_case_words_match), or NULL for no search. With it, digits (or NULL) also
	 * match the case number and the phone. */
	const char *ids_json;
	const char *digits;
};

/* The ids of the cases with a transcript line holding a word that starts with stem (as
 * the index keeps words: stems), ascending, at most max into ids. Returns the count or
 * negative. */
int store_case_words_match(struct store *st, const char *stem, int64_t *ids, size_t max);

/* Brings the search index (case_words) up to the transcript lines: stems every line
 * not indexed yet, at most max of them, through words(ud, text) (a new string of
 * space-separated stems the caller's stemmer makes; NULL = out of memory). Returns the
 * lines indexed (0 when up to date) or negative. */
int store_case_words_sync(struct store_tx *tx, char *(*words)(void *ud, const char *text),
			  void *ud, int max);

/* The text of the last line from customer of case id (a new string; NULL when none or
 * on error), for the queue's preview. */
char *store_case_last_text(struct store *st, int64_t id);

/* Calls fn for the customer's other cases, newest first, at most limit: the same chat
 * user on the same channel, or the same phone on any channel. Heads (no transcripts). */
int store_cases_of_customer(struct store *st, int64_t id, int limit,
			    void (*fn)(void *arg, int64_t id, const cJSON *record), void *arg);

/* Calls fn for each matching case, most severe then newest first (severity order
 * critical, high, normal, low). The record is borrowed for the call. */
int store_cases_each(struct store *st, const struct case_filter *f,
		     void (*fn)(void *arg, int64_t id, const cJSON *record), void *arg);

/* Appends to arr the conversation of (channel, peer) since a time (unix seconds): the
 * customer's messages and what was sent to them, oldest first, as transcript lines
 * {"at","from":"customer"|"bot"|"operator","text"}. */
int store_transcript(struct store *st, const char *channel, int64_t peer, int64_t since,
		     cJSON *arr);

/* Appends to the audit log. */
int store_audit(struct store_tx *tx, const char *actor, const char *action, int64_t case_id,
		const char *detail, int64_t now);

#endif
