/* Comments under the community's wall posts: the public side's rules. A comment goes
 * through the matcher like a private message, but what the bot may say in public is
 * narrow: a question gets a short approved template ("public_answer_<intent>") or an
 * invitation to private messages ("public_invite_private"); a complaint becomes a case
 * linked to its thread, answered with "public_complaint" (the team is on it, write in
 * private), and the case then follows the private chat (same VK id); a provocation
 * (obscene words, calls to spread, threats) is flagged for the secretary as a case and
 * never answered in public. Edits update the stored comment, deletes are recorded and
 * cancel a public reply not yet sent. Runs in the batch's transaction, after the
 * inbound dedup, so a replayed event never answers twice. */
#ifndef DESKBOT_WALL_H
#define DESKBOT_WALL_H
#include <stdint.h>

#include "matcher.h"
#include "message.h"

struct casework;
struct pipeline_batch;
struct replyset;
struct store;

enum wall_reading { WALL_QUESTION, WALL_COMPLAINT, WALL_TROLL, WALL_OTHER };

struct wall_decision {
	int reading;             /* enum wall_reading */
	const char *template_id; /* the public reply's template, NULL: say nothing */
	const char *intent;      /* the intent matched (borrowed from rs), or NULL */
};

/* Pure: how the public-side rules read a comment's match against rs. */
void wall_decide(const struct replyset *rs, const struct match_result *mr,
		 struct wall_decision *out);
/* "question", "complaint", "troll", "other" (the store's and the console's words). */
const char *wall_reading_name(int reading);

/* What handling a comment needs, all borrowed. */
struct wall_env {
	struct store *store;
	struct casework *cases;
	const struct replyset *replies;
	const char *channel;    /* the page id the comment came to */
};

/* Handles one wall comment event m (m->wall.event != WALL_NONE) already recorded as
 * inbound_id: stores it, opens a case when it must and queues the public reply in b.
 * Returns 0, negative on a store error (the batch is not kept). */
int wall_handle(const struct wall_env *env, struct pipeline_batch *b, const struct chan_msg *m,
		int64_t inbound_id, int64_t now_ms);

#endif
