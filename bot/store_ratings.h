/* The satisfaction question in the store: which cases were asked to rate the answer,
 * and what the customer pressed. One question per case (re-resolving does not ask
 * again); a later press replaces the earlier rating (the customer changed their mind),
 * and the audit log keeps each press. */
#ifndef DESKBOT_STORE_RATINGS_H
#define DESKBOT_STORE_RATINGS_H
#include <cjson/cJSON.h>
#include <stdint.h>

struct store;
struct store_tx;

/* Records that case_id's customer (channel, peer) is asked now; operator: the secretary
 * the rating will count for (NULL: none). Returns 1 when recorded, 0 when the case was
 * asked before, negative on error. */
int store_rating_ask(struct store_tx *tx, int64_t case_id, const char *channel, int64_t peer,
		     const char *operator_login, int64_t now);
/* Stores rating (1..5) for case_id when that case's question went to this very
 * customer. Returns 1 stored, 0 when there is no such question (a forged or foreign
 * press), negative on error. */
int store_rating_set(struct store_tx *tx, int64_t case_id, const char *channel, int64_t peer,
		     int rating, int64_t now);
/* Satisfaction of the ratings given since (unix seconds), added to into as
 * "satisfaction":{"asked","count","average" (0 when none),"distribution":[n1..n5],
 * "operators":[{"login","count","average"}]}. Returns 0 or negative. */
int store_rating_report(struct store *st, int64_t since, cJSON *into);

#endif
