/* The console's live updates across instances (store_news.h). */
#include "store_news.h"

#include "store.h"
#include "store_int.h"

int store_news_add(struct store *st, const char *origin, const char *frame, int64_t at_ms)
{
	struct sql_stmt *s = store__prep(
		st, "INSERT INTO console_news (origin, frame, at_ms) VALUES (?1, ?2, ?3)");
	if (!s)
		return -1;
	sql_bind_text(s, 1, origin);
	sql_bind_text(s, 2, frame);
	sql_bind_int64(s, 3, at_ms);
	return store__write_unit(st, s, "news add");
}

int store_news_since(struct store *st, int64_t after_id, const char *origin, int limit,
		     void (*fn)(void *arg, int64_t id, const char *frame), void *arg)
{
	struct sql_stmt *s = store__prep(st, "SELECT id, frame FROM console_news WHERE id > ?1 "
					  "AND origin <> ?2 ORDER BY id LIMIT ?3");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, after_id);
	sql_bind_text(s, 2, origin);
	sql_bind_int(s, 3, limit);
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		fn(arg, sql_column_int64(s, 0), sql_column_text(s, 1));
		n++;
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}

int64_t store_news_last(struct store *st)
{
	return store__scalar(st, "SELECT coalesce(max(id), 0) FROM console_news");
}

int store_news_prune(struct store *st, int64_t before_ms)
{
	struct sql_stmt *s = store__prep(st, "DELETE FROM console_news WHERE at_ms < ?1");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, before_ms);
	return store__write_unit(st, s, "news prune");
}
