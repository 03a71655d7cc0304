/* Comments under the community's wall posts in the store: one row per comment with how
 * the bot read it ("question", "complaint", "troll", "other") and the case it opened;
 * an edit replaces the text, a delete is recorded, never erased. */
#ifndef DESKBOT_STORE_WALL_H
#define DESKBOT_STORE_WALL_H
#include <cjson/cJSON.h>
#include <stdint.h>

#include "message.h"

struct store;
struct store_tx;

/* Stores m (a WALL_NEW comment) read as reading. Returns 1 when stored, 0 when it was
 * stored before, negative on error. */
int store_wall_put(struct store_tx *tx, const char *channel, const struct chan_msg *m,
		   const char *reading, int64_t case_id, int64_t now);
/* Links m's comment to the case it opened. Returns 0 or negative. */
int store_wall_set_case(struct store_tx *tx, const char *channel, const struct chan_msg *m,
			int64_t case_id);
/* Replaces the stored text of m's comment. 1 when it was known, 0 when not, negative. */
int store_wall_edit(struct store_tx *tx, const char *channel, const struct chan_msg *m,
		    int64_t now);
/* Marks m's comment deleted and marks the public replies to it not yet sent as failed
 * ("comment deleted"). Returns the number of replies cancelled, negative on error. */
int store_wall_delete(struct store_tx *tx, const char *channel, const struct chan_msg *m,
		      int64_t now);
/* 1 when the comment (owner, comment) is stored as deleted, 0 when not, negative. */
int store_wall_deleted(struct store *st, const char *channel, int64_t owner, int64_t comment);
/* The thread of post (owner, post) as the case shows it, into obj: "replies" (comments
 * not deleted), "authors" (distinct people), "complaining" (people whose comment read as
 * a complaint), "trolls" (people flagged). Returns 0 or negative. */
int store_wall_thread(struct store *st, const char *channel, int64_t owner, int64_t post,
		      cJSON *obj);
/* Threads with an open case on any page, newest first, as an array of {"channel",
 * "owner_id","post_id",
 * "replies","case_ids":[..],"comments":[{"comment_id","from_id","text","reading",
 * "case_id","deleted","followers" (-1: unknown)}]} (the console's «Публичные»). Returns 0 or negative. */
int store_wall_open_threads(struct store *st, cJSON *arr);
/* The stored comment (owner, comment): its post into *post, author into *from.
 * Returns 1 found, 0 not, negative on error. */
int store_wall_comment(struct store *st, int64_t comment_id, char *channel, size_t channel_len,
		       int64_t *owner, int64_t *post, int64_t *from);

#endif
