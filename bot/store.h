/* The store: the only code that touches SQLite (WAL). Everything durable goes through
 * here: inbound messages (unique per channel message), the outbox, channel cursors,
 * conversation state, customers, cases and the audit log. SQL stays inside store*.c so
 * that a PostgreSQL backend is a second implementation of this header, not a rewrite.
 *
 * Transactions: store_begin/store_commit group a batch of updates (inbound rows, their
 * replies and the new cursor) so that they commit together or not at all. */
#ifndef DESKBOT_STORE_H
#define DESKBOT_STORE_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "message.h"
#include "outbox_row.h"

struct store;

/* Current schema version (PRAGMA user_version after migrations). */
#define STORE_SCHEMA_VERSION 7

/* Opens (creating and migrating) the store at path. A store written by a newer deskbot,
 * or one that cannot be opened, fails with a message in err. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
/* Commits any open transaction and closes. Accepts NULL. */
void store_close(struct store *st);
/* "ok" or a short description of the last failure, until the next write succeeds
 * (a full disk that has room again). Borrowed. */
const char *store_state(const struct store *st);
/* synchronous=FULL (full = 1, the default of store_open) or NORMAL. In WAL mode NORMAL
 * may lose the last commits on a power cut (not on a crash of the process), and a lost
 * commit's cursor may already have been confirmed to VK or Telegram: those messages
 * would be gone for good. FULL syncs the WAL at every commit (measured: README). */
int store_set_synchronous(struct store *st, int full);

int store_begin(struct store *st);
int store_commit(struct store *st);
/* Begins a transaction whose commit does not sync the WAL even under synchronous=FULL:
 * for work whose loss on a power cut costs a resend, never a message (delivery marks).
 * The next ordinary commit syncs it along with its own. */
int store_begin_unsynced(struct store *st);
void store_rollback(struct store *st);
/* True while a transaction is open. */
int store_in_tx(const struct store *st);

/* Inserts an inbound message. Returns 1 when new (id in *id), 0 when already stored
 * (the same channel and dedup_key: a replayed update), negative on error. */
int store_inbound_add(struct store *st, const struct chan_msg *m, int64_t now, int64_t *id);

/* Channel cursor (VK ts, Telegram offset) as text; *out NULL when none. Caller frees. */
int store_cursor_get(struct store *st, const char *channel, char **out);
int store_cursor_set(struct store *st, const char *channel, const char *value);

/* Conversation state: a JSON object per (channel, peer); *state is a new empty object
 * when there is none. Caller frees with cJSON_Delete. */
int store_conv_load(struct store *st, const char *channel, int64_t peer, cJSON **state);
int store_conv_save(struct store *st, const char *channel, int64_t peer, const cJSON *state,
		    int64_t now);


/* Adds a row; r->id is set. */
int store_outbox_add(struct store *st, struct outbox_row *r);
int store_outbox_mark_sent(struct store *st, int64_t id, int64_t channel_msg_id,
			   int64_t now_ms);
int store_outbox_mark_retry(struct store *st, int64_t id, int64_t next_ms, const char *error);
int store_outbox_mark_failed(struct store *st, int64_t id, const char *reason, int64_t now_ms);
/* Pending rows for channel (all channels when NULL) and the creation time of the first
 * in queue order. O(1) in the outbox's size: a counter kept since store_open, plus one
 * index seek per channel for the time. */
int store_outbox_depth(struct store *st, const char *channel, int64_t *count,
		       int64_t *oldest_ms);
/* Remembers that a customer blocked the bot (or unblocked: blocked = 0). */
int store_peer_set_blocked(struct store *st, const char *channel, int64_t peer, int blocked,
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
int store_customer_put(struct store *st, const char *channel, int64_t user,
		       const struct customer *c, int64_t now);

/* Internals shared by the store_*.c files (not for use elsewhere): a read-only query
 * returning one integer, the cached prepared statement for sql (a string literal: it is
 * cached by its address), and the connection. */
int64_t store__scalar(struct store *st, const char *sql);
struct sqlite3_stmt *store__prep(struct store *st, const char *sql);
struct sqlite3 *store__db(struct store *st);
/* The SQL that takes the schema from version v to v + 1, or NULL past the last one (for
 * tests that build an old store). */
const char *store__migration(int v);
/* Steps s, a statement selecting the outbox row columns (id, kind, peer_id, inbound_id,
 * reply_to, text, keyboard, extra, replyset_version, source, attempts, created_ms,
 * next_attempt_ms), calling fn with each row; resets s. The count, or -1. */
int store__outbox_rows(struct sqlite3_stmt *s, const char *channel,
		       void (*fn)(void *arg, struct outbox_row *row), void *arg);



/* Calls fn for up to limit pending rows of channel with an id above after_id, in id
 * order. The row is borrowed for the call; fn may move its strings out (then zero them).
 * Returns the number of rows, or negative on error. */
int store_outbox_each_pending(struct store *st, const char *channel, int64_t after_id,
			      int limit, void (*fn)(void *arg, struct outbox_row *row), void *arg);
/* A random value fixed when the store was created: keeps VK random_id values of a new
 * store apart from those of an old one. */
int64_t store_salt(struct store *st);

/* Retention (store_retention.c). Rows older than keep_s seconds go: customer messages,
 * finished replies and web-chat customers quiet for that long (one who never wrote goes
 * after STORE_WEB_PEER_UNUSED_S); audit rows older than audit_keep_s. 0 keeps forever.
 * Nothing of a chat with an open case, no pending reply, never the newest row of a
 * table. The cursors are the caller's (zeroed at first). */
#define STORE_RETENTION_BATCH 500
#define STORE_WEB_PEER_UNUSED_S (24 * 3600)
struct store_retention {
	int64_t keep_s;
	int64_t audit_keep_s;
	int batch; /* rows looked at per table per step; 0 = STORE_RETENTION_BATCH */
	int64_t cursor[4];
};
struct store_retention_counts {
	int inbound, outbox, web_peers, audit;
};
/* One batch per table in one short transaction. Returns 1 when there is more to do
 * (call again soon), 0 when caught up, negative on error. */
int store_retention_step(struct store *st, struct store_retention *r, int64_t now_ms,
			 struct store_retention_counts *out);
/* Gives up to pages free pages back to the file system (incremental vacuum). Returns
 * 1 when free pages remain, 0 when none, negative on error. */
int store_vacuum_step(struct store *st, int pages);
#endif
