/* Closing the loop: after a case is resolved its customer is asked to rate the answer
 * (the "rating_question" template with buttons 1..5, payload "rate:<case>:<n>"), and a
 * press is stored on the case (store_ratings.h), logged in the audit log and thanked
 * ("rating_thanks"). Both write through the caller's transaction tx. */
#ifndef DESKBOT_RATINGS_H
#define DESKBOT_RATINGS_H
#include <cjson/cJSON.h>
#include <stdint.h>

#include "message.h"
#include "outbox_row.h"

struct replyset;
struct store;
struct store_tx;

/* Stores the question to case_id's customer as an outbox row (*row, to be queued after
 * the commit; its text is the question) unless the case was asked before. record: the
 * case (channel, peer_id, number, assignee); lang: enum replyset_lang. Returns 1 when a
 * row was stored, 0 when not asked (asked before, no template), negative on error. */
int ratings_ask(struct store_tx *tx, const struct replyset *rs, int64_t case_id,
		const cJSON *record, int lang, int64_t now, struct outbox_row *row);
/* A press of a rating button by m's customer: 1 when it was one (stored, audited, the
 * thanks in out; lang: enum replyset_lang), 0 when m is no such press (a forged or
 * foreign "rate:" payload is not: the dialog treats it as a stale button), negative on
 * a store error. */
int ratings_press(struct store_tx *tx, const struct replyset *rs, const struct chan_msg *m,
		  int lang, int64_t now, struct reply_list *out);

#endif
