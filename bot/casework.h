/* Cases in the pipeline: what happens around the dialog when a message belongs to a
 * case. Before the dialog: a conversation a person holds is not answered by the bot (the
 * message joins the case; at most one "your operator will answer" per interval). After
 * the dialog: a finished interview or a request for a person becomes a case with the
 * prefilled record (DESIGN.md "The case record"), messages of an open case join its
 * transcript, and the case number and expected time fill the replies. Everything runs
 * inside the batch's transaction; notices for the console are emitted after commit. */
#ifndef DESKBOT_CASEWORK_H
#define DESKBOT_CASEWORK_H
#include <cjson/cJSON.h>
#include <stdint.h>

#include "dialog.h"
#include "message.h"

struct casework;
struct convstate;
struct events;
struct pipeline_batch;
struct replyset;
struct store;

/* What casework works with; every pointer is borrowed and must outlive it. */
struct casework_deps {
	struct store *store;
	struct events *events;
	/* The live reply set, asked for at each use: it is swapped whole on reload. */
	struct replyset *(*replies)(void *arg);
	void *replies_arg;
	const char *crm_webhook_url; /* NULL: new cases are not exported */
};

/* Learns which chats have open cases (so that the others cost no query per message)
 * and follows case changes. Call once the store is open. NULL when the store cannot
 * say which chats have open cases. */
struct casework *casework_new(const struct casework_deps *d);
/* Accepts NULL. */
void casework_free(struct casework *cw);

/* Returns 1 when a person holds the conversation: the message joined its case and any
 * reply is in out (nothing else must answer); 0 to go on to the dialog (state gets
 * the open case's number while the chat has one); negative on a store error. */
int casework_before(struct casework *cw, struct pipeline_batch *b, const struct chan_msg *m,
		    struct convstate *state, int64_t now, struct reply_list *out);
/* Carries out what the dialog decided about cases and fills {case_id}, {eta} and
 * {work_start} in res's replies. Negative on a store error. */
int casework_after(struct casework *cw, struct pipeline_batch *b, const struct chan_msg *m,
		   struct convstate *state, struct dialog_result *res, int64_t now);
/* Opens a case for a public comment m (bot/wall.c) as intent, with the complaint signs
 * found in it and wall (its post, comment and thread; copied into the record as
 * "wall"), in the batch. The bot's replies are the caller's. Fills *id. */
struct match_flags;
int casework_open_public(struct casework *cw, struct pipeline_batch *b, const struct chan_msg *m,
			 const char *intent, const struct match_flags *flags, const cJSON *wall,
			 int64_t now, int64_t *id);
/* Queues the case record for the CRM webhook (if configured), in the batch. */
int casework_export(struct casework *cw, struct pipeline_batch *b, int64_t case_id,
		    const cJSON *record, int64_t now_ms);
/* Expected answer time for a case of severity (enum replyset_severity) opened at now,
 * from the reply set's working hours and SLA: the due time (unix seconds), and the
 * local times as text for {eta} and {work_start}; after_hours is 1 outside hours. */
int64_t casework_due(const struct casework *cw, int severity, int64_t now, char eta[32],
		     char work_start[32], int *after_hours);

#endif
