/* One chat's pending outbox rows (see store_outbox_peer.h). */
#include "store_outbox_peer.h"

#include <sqlite3.h>

#include "log.h"
#include "xalloc.h"

static char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

int store_outbox_each_pending_peer(struct store *st, const char *channel, int64_t peer,
				   int64_t after_id, int64_t upto_id, int limit,
				   void (*fn)(void *arg, struct outbox_row *row), void *arg)
{
	/* Served by outbox_pending (channel, status, id): the window (after_id, upto_id] is
	 * what the outbox has already walked past, so it stays short. */
	static const char sql[] =
		"SELECT id, kind, peer_id, inbound_id, reply_to, text, keyboard, extra, "
		"replyset_version, source, attempts, created_ms, next_attempt_ms FROM outbox "
		"WHERE channel = ?1 AND status = 'pending' AND id > ?2 AND id <= ?3 "
		"AND peer_id = ?4 ORDER BY id LIMIT ?5";
	sqlite3_stmt *s = store__prep(st, sql);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, after_id);
	sqlite3_bind_int64(s, 3, upto_id);
	sqlite3_bind_int64(s, 4, peer);
	sqlite3_bind_int(s, 5, limit);
	int rc, n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		struct outbox_row r = {0};
		r.id = sqlite3_column_int64(s, 0);
		r.channel = xstrdup(channel);
		r.kind = col_text(s, 1);
		r.peer_id = sqlite3_column_int64(s, 2);
		r.inbound_id = sqlite3_column_int64(s, 3);
		r.reply_to = sqlite3_column_int64(s, 4);
		r.text = col_text(s, 5);
		r.keyboard = col_text(s, 6);
		r.extra = col_text(s, 7);
		r.replyset_version = col_text(s, 8);
		r.source = col_text(s, 9);
		r.attempts = sqlite3_column_int(s, 10);
		r.created_ms = sqlite3_column_int64(s, 11);
		r.next_attempt_ms = sqlite3_column_int64(s, 12);
		fn(arg, &r);
		outbox_row_free(&r);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: reading chat %lld's pending %s rows failed: %s", (long long)peer,
			  channel, sqlite3_errmsg(store__db(st)));
		return -1;
	}
	return n;
}
