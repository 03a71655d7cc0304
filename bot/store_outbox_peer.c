/* One chat's pending outbox rows (see store_outbox_peer.h). */
#include "store_outbox_peer.h"

#include "log.h"
#include "store_int.h"
#include "store_sql.h"

int store_outbox_each_pending_peer(struct store *st, const char *channel, int64_t peer,
				   int64_t after_id, int64_t upto_id, int limit,
				   void (*fn)(void *arg, struct outbox_row *row), void *arg)
{
	/* Served by outbox_pending (channel, status, id, peer_id): the window (after_id,
	 * upto_id] is what the outbox has already walked past, so it stays short, and the
	 * other chats' rows in it are skipped in the index, never read from the table. */
	static const char sql[] =
		"SELECT id, kind, peer_id, inbound_id, reply_to, text, keyboard, extra, "
		"replyset_version, source, attempts, created_ms, next_attempt_ms FROM outbox "
		"WHERE channel = ?1 AND status = 'pending' AND id > ?2 AND id <= ?3 "
		"AND peer_id = ?4 ORDER BY id LIMIT ?5";
	struct sql_stmt *s = store__prep(st, sql);
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, after_id);
	sql_bind_int64(s, 3, upto_id);
	sql_bind_int64(s, 4, peer);
	sql_bind_int(s, 5, limit);
	int n = store__outbox_rows(s, channel, fn, arg);
	if (n < 0) {
		log_error("store: reading chat %lld's pending %s rows failed: %s", (long long)peer,
			  channel, sql_errmsg(store__db(st)));
		return -1;
	}
	return n;
}
