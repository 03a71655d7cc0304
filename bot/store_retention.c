/* Retention (see store.h, store_retention_step): old customer messages, finished
 * replies, quiet web-chat customers and old audit rows are deleted in small batches, and
 * the freed pages go back to the file system by incremental vacuum.
 *
 * Each table is walked in rowid order from a cursor kept by the caller, one window of
 * `batch` rows per step, so a step costs the same at 1,000 rows as at 10 million and
 * never holds the write lock for long. Rowids grow with time, so a window whose newest
 * row is already inside the retention period ends the pass; the next pass starts from
 * the beginning again (rows kept because their case is open are looked at again then).
 *
 * Never deleted: anything of a chat with an open case (its transcript is read from these
 * rows), pending replies, and the newest row of each table (SQLite picks max(rowid) + 1
 * for a new row, so keeping the newest means no rowid is ever handed out twice: VK's
 * random_id is derived from the outbox id, and web peers are found by theirs). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_int.h"
#include "store.h"
#include "store_sql.h"

/* A chat with a case that is not resolved or closed: its rows stay. */
#define OPEN_CASE(ch, peer)                                                                \
	"EXISTS (SELECT 1 FROM cases c WHERE c.channel = " ch " AND c.peer_id = " peer      \
	" AND c.status NOT IN ('resolved', 'closed'))"

/* One table's part: the window query and the delete. Both take ?1 = cursor (exclusive)
 * and ?2 = end of the window (inclusive) or the window size; the delete takes its
 * cut-offs from ?3 on. */
struct table {
	const char *name;
	const char *window; /* max(id), count(*), max(time) of the next window */
	const char *remove;
};

enum { T_INBOUND, T_OUTBOX, T_WEB_PEERS, T_AUDIT, T_MISSES, T_COUNT };

static const struct table tables[T_COUNT] = {
	[T_INBOUND] = {
		"inbound",
		"SELECT max(id), count(*), max(received_at) FROM (SELECT id, received_at FROM "
		"inbound WHERE id > ?1 ORDER BY id LIMIT ?2) w",
		"DELETE FROM inbound WHERE id > ?1 AND id <= ?2 AND received_at < ?3 "
		"AND id < (SELECT max(id) FROM inbound) AND NOT " OPEN_CASE("inbound.channel",
									    "inbound.peer_id"),
	},
	[T_OUTBOX] = {
		"outbox",
		/* Compared in seconds like the others: created_ms / 1000. */
		"SELECT max(id), count(*), max(created_ms) / 1000 FROM (SELECT id, created_ms "
		"FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2) w",
		"DELETE FROM outbox WHERE id > ?1 AND id <= ?2 AND created_ms < ?3 * 1000 "
		"AND status <> 'pending' AND id < (SELECT max(id) FROM outbox) "
		"AND NOT " OPEN_CASE("outbox.channel", "outbox.peer_id"),
	},
	[T_WEB_PEERS] = {
		"web_peers",
		"SELECT max(peer_id), count(*), max(created_at) FROM (SELECT peer_id, created_at "
		"FROM web_peers WHERE peer_id > ?1 ORDER BY peer_id LIMIT ?2) w",
		/* ?3: the retention cut-off; ?4: a day ago. A customer who wrote nothing
		 * since the cut-off goes; one who never wrote at all (a made-up cookie, a
		 * page opened once) goes after a day. */
		"DELETE FROM web_peers WHERE peer_id > ?1 AND peer_id <= ?2 AND created_at < ?4 "
		"AND peer_id < (SELECT max(peer_id) FROM web_peers) "
		"AND NOT " OPEN_CASE("'web'", "web_peers.peer_id") " "
		"AND NOT EXISTS (SELECT 1 FROM inbound i WHERE i.channel = 'web' AND "
		"  i.peer_id = web_peers.peer_id AND i.received_at >= ?3) "
		"AND (created_at < ?3 OR NOT EXISTS (SELECT 1 FROM inbound i WHERE "
		"  i.channel = 'web' AND i.peer_id = web_peers.peer_id))",
	},
	[T_AUDIT] = {
		"audit",
		"SELECT max(id), count(*), max(at) FROM (SELECT id, at FROM audit WHERE id > ?1 "
		"ORDER BY id LIMIT ?2) w",
		"DELETE FROM audit WHERE id > ?1 AND id <= ?2 AND at < ?3 "
		"AND id < (SELECT max(id) FROM audit) AND (case_id IS NULL OR NOT EXISTS "
		"(SELECT 1 FROM cases c WHERE c.id = audit.case_id AND "
		"c.status NOT IN ('resolved', 'closed')))",
	},
	[T_MISSES] = {
		/* What the bot did not understand: customer text, kept as long as messages. */
		"misses",
		"SELECT max(id), count(*), max(at) FROM (SELECT id, at FROM misses WHERE id > ?1 "
		"ORDER BY id LIMIT ?2) w",
		"DELETE FROM misses WHERE id > ?1 AND id <= ?2 AND at < ?3 "
		"AND id < (SELECT max(id) FROM misses)",
	},
};

/* How far back a table's pass must look, in unix seconds (0: keep everything). */
static int64_t pass_cutoff(const struct store_retention *r, int t, int64_t now_s)
{
	if (t == T_AUDIT)
		return r->audit_keep_s > 0 ? now_s - r->audit_keep_s : 0;
	if (r->keep_s <= 0)
		return 0;
	/* Web peers who never wrote go after a day, so their pass looks that far. */
	return t == T_WEB_PEERS ? now_s - STORE_WEB_PEER_UNUSED_S : now_s - r->keep_s;
}

/* One window of table t. Returns rows deleted, or -1; *more is set when the pass has
 * not reached the retention period yet. */
static int step_table(struct store *st, struct store_retention *r, int t, int64_t now_s,
		      int *more)
{
	int64_t cutoff = pass_cutoff(r, t, now_s);
	if (cutoff <= 0)
		return 0;
	struct sql_stmt *w = store__prep(st, tables[t].window);
	if (!w)
		return -1;
	sql_bind_int64(w, 1, r->cursor[t]);
	sql_bind_int(w, 2, r->batch);
	int64_t end = 0, n = 0, newest = 0;
	int wrc = sql_step(w);
	if (wrc == SQL_ROW) {
		end = sql_column_int64(w, 0);
		n = sql_column_int64(w, 1);
		newest = sql_column_int64(w, 2);
	}
	sql_reset(w);
	if (wrc == SQL_ERROR) {
		log_error("store: retention of %s: window: %s", tables[t].name,
			  sql_errmsg(store__db(st)));
		return -1;
	}
	if (n == 0) {
		r->cursor[t] = 0;
		return 0;
	}
	struct sql_stmt *d = store__prep(st, tables[t].remove);
	if (!d)
		return -1;
	sql_bind_int64(d, 1, r->cursor[t]);
	sql_bind_int64(d, 2, end);
	sql_bind_int64(d, 3, t == T_WEB_PEERS ? now_s - r->keep_s : cutoff);
	if (t == T_WEB_PEERS)
		sql_bind_int64(d, 4, cutoff);
	int rc = sql_step(d);
	sql_reset(d);
	if (rc != SQL_DONE) {
		log_error("store: retention of %s failed: %s", tables[t].name,
			  sql_errmsg(store__db(st)));
		return -1;
	}
	int deleted = sql_changes(store__db(st));
	/* A short window reached the end of the table; a window with rows inside the
	 * period reached the present: either way this pass is over. */
	if (n < r->batch || newest >= cutoff)
		r->cursor[t] = 0;
	else {
		r->cursor[t] = end;
		*more = 1;
	}
	return deleted;
}

int store_retention_step(struct store_tx *tx, struct store_retention *r, int64_t now_ms,
			 struct store_retention_counts *out)
{
	struct store *st = store__writer(tx, "store_retention_step");
	if (!st)
		return -1;
	*out = (struct store_retention_counts){0};
	if (r->batch <= 0)
		r->batch = STORE_RETENTION_BATCH;
	if (r->keep_s <= 0 && r->audit_keep_s <= 0)
		return 0;
	int64_t now_s = now_ms / 1000;
	int more = 0, failed = 0;
	int *counts[T_COUNT] = {&out->inbound, &out->outbox, &out->web_peers, &out->audit,
				&out->misses};
	for (int t = 0; t < T_COUNT && !failed; t++) {
		int n = step_table(st, r, t, now_s, &more);
		if (n < 0)
			failed = 1;
		else
			*counts[t] = n;
	}
	return failed ? -1 : more;
}

int store_vacuum_step(struct store *st, int pages)
{
	if (sql_backend(store__db(st)) == SQL_PG)
		return 0; /* PostgreSQL's autovacuum gives pages back */
	if (store__in_tx(st))
		return 0; /* next time: incremental_vacuum is cheapest on its own */
	struct sql_stmt *s = store__prep(st, "PRAGMA freelist_count");
	if (!s)
		return -1;
	int64_t free_pages = sql_step(s) == SQL_ROW ? sql_column_int64(s, 0) : 0;
	sql_reset(s);
	if (free_pages <= 0)
		return 0;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%d)", pages);
	if (sql_exec(store__db(st), sql) < 0) {
		log_warn("store: incremental vacuum failed: %s", sql_errmsg(store__db(st)));
		return -1;
	}
	int64_t left = free_pages > pages ? free_pages - pages : 0;
	return left > 0 ? 1 : 0;
}
