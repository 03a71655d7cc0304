/* The store: the only code that touches SQLite (WAL). Everything durable goes through
 * here: inbound messages (unique per channel message), the outbox, channel cursors,
 * conversation state, customers, cases and the audit log. SQL stays inside store*.c so
 * that a PostgreSQL backend is a second implementation of this header, not a rewrite.
 *
 * Transactions: a unit of work owns a struct store_tx (store_begin ... store_commit) that
 * groups its updates (a batch's inbound rows, their replies and the new cursor) so that
 * they commit together or not at all. No SQLite type is named here (store_int.h). */
#ifndef DESKBOT_STORE_H
#define DESKBOT_STORE_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "message.h"
#include "outbox_row.h"

struct store;

/* Current schema version (PRAGMA user_version after migrations). */
#define STORE_SCHEMA_VERSION 17 /* 12: leases; 13: console sessions; 14: console news;
				  * 15: cases.last_customer_at; 16: misses;
				  * 17: transcript lines chained (prev_id) */

/* Opens (creating and migrating) the store at path. A store written by a newer deskbot,
 * or one that cannot be opened, fails with a message in err. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
/* Closes; a transaction left open (a bug) is rolled back. Accepts NULL. */
void store_close(struct store *st);
/* "ok" or a short description of the last failure, until the next write succeeds
 * (a full disk that has room again). Borrowed. */
const char *store_state(const struct store *st);
/* synchronous=FULL (full = 1, the default of store_open) or NORMAL. In WAL mode NORMAL
 * may lose the last commits on a power cut (not on a crash of the process), and a lost
 * commit's cursor may already have been confirmed to VK or Telegram: those messages
 * would be gone for good. FULL syncs the WAL at every commit (measured: README). */
int store_set_synchronous(struct store *st, int full);

/* A unit of work (one inbound batch, one operator action, one timer firing) begins its
 * own transaction, passes it to everything that writes for it, and commits or rolls it
 * back itself: nothing else ends it. At most one is open per store: a begin while one is
 * open is refused (NULL, logged as a bug) since units of work do not nest. Functions that
 * write take the tx; reads take the store and work inside or outside a unit. */
struct store_tx;
/* Begins a transaction whose commit syncs the WAL (under synchronous=FULL). NULL on
 * error or while another is open. */
struct store_tx *store_begin(struct store *st);
/* Begins a transaction whose commit does not sync the WAL even under synchronous=FULL:
 * for work whose loss on a power cut costs a resend, never a message (delivery marks,
 * the profile cache). The next ordinary commit syncs it along with its own. */
struct store_tx *store_begin_unsynced(struct store *st);
/* Ends tx. On failure it is rolled back and -1 returned. */
int store_commit(struct store_tx *tx);
/* Ends tx undoing its writes. Accepts NULL. */
void store_rollback(struct store_tx *tx);
/* The store of an open tx, for the reads of a unit of work. */
struct store *store_tx_store(struct store_tx *tx);

/* Inserts an inbound message. Returns 1 when new (id in *id), 0 when already stored
 * (the same channel and dedup_key: a replayed update), negative on error. */
int store_inbound_add(struct store_tx *tx, const struct chan_msg *m, int64_t now, int64_t *id);

/* Channel cursor (VK ts, Telegram offset) as text; *out NULL when none. Caller frees. */
int store_cursor_get(struct store *st, const char *channel, char **out);
int store_cursor_set(struct store_tx *tx, const char *channel, const char *value);

/* Conversation state: a JSON object per (channel, peer); *state is a new empty object
 * when there is none. Caller frees with cJSON_Delete. */
int store_conv_load(struct store *st, const char *channel, int64_t peer, cJSON **state);
int store_conv_save(struct store_tx *tx, const char *channel, int64_t peer, const cJSON *state,
		    int64_t now);


/* Adds a row; r->id is set. */
int store_outbox_add(struct store_tx *tx, struct outbox_row *r);
int store_outbox_mark_sent(struct store_tx *tx, int64_t id, int64_t channel_msg_id,
			   int64_t now_ms);
int store_outbox_mark_retry(struct store_tx *tx, int64_t id, int64_t next_ms, const char *error);
int store_outbox_mark_failed(struct store_tx *tx, int64_t id, const char *reason, int64_t now_ms);
/* Pending rows for channel (all channels when NULL) and the creation time of the first
 * in queue order. O(1) in the outbox's size: a counter kept since store_open, plus one
 * index seek per channel for the time. */
int store_outbox_depth(struct store *st, const char *channel, int64_t *count,
		       int64_t *oldest_ms);
/* Remembers that a customer blocked the bot (or unblocked: blocked = 0). */
int store_peer_set_blocked(struct store_tx *tx, const char *channel, int64_t peer, int blocked,
			   const char *reason);

/* Customer profile cache (VK users.get / Telegram from). */
struct customer {
	char *display_name;
	char *screen_name;
	int64_t followers; /* -1 when unknown */
	int64_t fetched_at;
};
void customer_free(struct customer *c);
/* Returns 1 when found, 0 when not, negative on error. */
int store_customer_get(struct store *st, const char *channel, int64_t user,
		       struct customer *out);
int store_customer_put(struct store_tx *tx, const char *channel, int64_t user,
		       const struct customer *c, int64_t now);

/* Calls fn for up to limit pending rows of channel with an id above after_id, in id
 * order. The row is borrowed for the call; fn may move its strings out (then zero them).
 * Returns the number of rows, or negative on error. */
int store_outbox_each_pending(struct store *st, const char *channel, int64_t after_id,
			      int limit, void (*fn)(void *arg, struct outbox_row *row), void *arg);
/* A random value fixed when the store was created: keeps VK random_id values of a new
 * store apart from those of an old one. */
int64_t store_salt(struct store *st);

/* Retention (store_retention.c). Rows older than keep_s seconds go: customer messages,
 * finished replies, web-chat customers quiet for that long (one who never wrote goes
 * after STORE_WEB_PEER_UNUSED_S) and misses (store_misses.h); audit rows older than audit_keep_s. 0 keeps forever.
 * Nothing of a chat with an open case, no pending reply, never the newest row of a
 * table. The cursors are the caller's (zeroed at first). */
#define STORE_RETENTION_BATCH 500
#define STORE_WEB_PEER_UNUSED_S (24 * 3600)
struct store_retention {
	int64_t keep_s;
	int64_t audit_keep_s;
	int batch; /* rows looked at per table per step; 0 = STORE_RETENTION_BATCH */
	int64_t cursor[5];
};
struct store_retention_counts {
	int inbound, outbox, web_peers, audit, misses;
};
/* One batch per table, in the caller's short transaction tx. Returns 1 when there is more to do
 * (call again soon), 0 when caught up, negative on error. */
int store_retention_step(struct store_tx *tx, struct store_retention *r, int64_t now_ms,
			 struct store_retention_counts *out);
/* Gives up to pages free pages back to the file system (incremental vacuum), in a
 * transaction of its own (outside any unit: 0 when one is open). Returns 1 when free
 * pages remain, 0 when none, negative on error. */
int store_vacuum_step(struct store *st, int pages);
#endif
