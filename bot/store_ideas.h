/* The idea board in the store: ideas with their author and channel, and one vote per
 * customer (channel page and user) per idea. A merged idea points at the idea it was
 * merged into; its votes moved there, so a customer who voted for both counts once, and
 * a later vote for the merged one counts for its target. */
#ifndef DESKBOT_STORE_IDEAS_H
#define DESKBOT_STORE_IDEAS_H
#include <stdint.h>

struct store;
struct store_tx;

/* The statuses an idea goes through (the store's spelling). */
#define IDEA_STATUS_NEW "new"
/* 1 when s is one of new, review, planned, done, declined. */
int idea_status_valid(const char *s);

/* One idea as read. Strings owned (idea_free); NULL when not set. */
struct idea {
	int64_t id;
	char *channel;     /* the page it came through ("vk", "telegram:north"...) */
	int64_t peer_id;   /* the author's chat: where a status notice goes */
	int64_t user_id;
	char *author;      /* display name when the channel gave one */
	char *lang;        /* "ru" / "en": the author's language for notices */
	char *what, *why;
	char *status;
	char *unit;        /* the business unit it is routed to */
	int64_t merged_into; /* 0 unless merged */
	int64_t votes;
	int64_t created_at, updated_at;
};
void idea_free(struct idea *i);

/* What a new idea records (borrowed). */
struct idea_new {
	const char *channel;
	int64_t peer_id, user_id;
	const char *author, *lang, *what, *why;
};

/* Stores a new idea (status new) and sets *id. 0, or negative on error. */
int store_idea_add(struct store_tx *tx, const struct idea_new *in, int64_t now, int64_t *id);
/* What a vote came to. */
enum idea_vote {
	IDEA_VOTE_AGAIN = 0,   /* this customer's vote was counted before */
	IDEA_VOTE_COUNTED = 1,
	IDEA_VOTE_NO_IDEA = 2, /* no such idea (a forged or foreign button) */
};
/* Counts (channel, user)'s vote for idea id (for its target when it was merged): an
 * enum idea_vote, or negative on error. */
int store_idea_vote(struct store_tx *tx, int64_t id, const char *channel, int64_t user,
		    int64_t now);
/* Reads idea id into *out. 1 found, 0 not, negative on error. */
int store_idea_get(struct store *st, int64_t id, struct idea *out);
/* Calls fn with each idea, most votes first (then oldest). top: only those customers
 * are shown (not merged, not declined or done), at most limit; else every idea. The
 * count, or negative on error. */
int store_ideas_each(struct store *st, int top, int limit,
		     void (*fn)(void *arg, const struct idea *i), void *arg);
/* Merges idea from into idea into (both existing and not merged, different): from's
 * votes move to into without counting anyone twice, and from (and what was merged into
 * it) then points at into. 1 merged, 0 refused, negative on error. */
int store_idea_merge(struct store_tx *tx, int64_t from, int64_t into, int64_t now);
/* Sets idea id's status (valid, see idea_status_valid). 1 changed, 0 no such idea or
 * already so, negative on error. */
int store_idea_set_status(struct store_tx *tx, int64_t id, const char *status, int64_t now);
/* Routes idea id to unit (NULL: none). 1 changed, 0 no such idea, negative on error. */
int store_idea_route(struct store_tx *tx, int64_t id, const char *unit, int64_t now);
/* The audit entries of idea id (actions idea_*, detail "idea N: ..."), oldest first, as
 * an array of {"at","actor","action","detail"}; caller frees. NULL on error. */
#include <cjson/cJSON.h>
cJSON *store_idea_audit(struct store *st, int64_t id);

#endif
