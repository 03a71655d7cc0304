/* The satisfaction question's rows (see store_ratings.h). */
#include "store_ratings.h"

#include "log.h"
#include "store_int.h"
#include "store.h"
#include "store_sql.h"

int store_rating_ask(struct store_tx *tx, int64_t case_id, const char *channel, int64_t peer,
		     const char *operator_login, int64_t now)
{
	struct store *st = store__writer(tx, "store_rating_ask");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "INSERT OR IGNORE INTO case_ratings (case_id, channel, "
					  "peer_id, operator, asked_at) VALUES (?,?,?,?,?)");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, channel);
	sql_bind_int64(s, 3, peer);
	if (operator_login)
		sql_bind_text(s, 4, operator_login);
	sql_bind_int64(s, 5, now);
	int rc = sql_step(s);
	sql_reset(s);
	if (rc != SQL_DONE)
		return -1;
	return sql_changes(store__db(st)) > 0;
}

int store_rating_set(struct store_tx *tx, int64_t case_id, const char *channel, int64_t peer,
		     int rating, int64_t now)
{
	struct store *st = store__writer(tx, "store_rating_set");
	if (!st)
		return -1;
	if (rating < 1 || rating > 5)
		return 0;
	struct sql_stmt *s = store__prep(st, "UPDATE case_ratings SET rating = ?, rated_at = ? "
					  "WHERE case_id = ? AND channel = ? AND peer_id = ?");
	if (!s)
		return -1;
	sql_bind_int(s, 1, rating);
	sql_bind_int64(s, 2, now);
	sql_bind_int64(s, 3, case_id);
	sql_bind_text(s, 4, channel);
	sql_bind_int64(s, 5, peer);
	int rc = sql_step(s);
	sql_reset(s);
	if (rc != SQL_DONE)
		return -1;
	return sql_changes(store__db(st)) > 0;
}

static double average(int64_t sum, int64_t n)
{
	return n ? (double)sum / (double)n : 0;
}

int store_rating_report(struct store *st, int64_t since, cJSON *into)
{
	cJSON *o = cJSON_AddObjectToObject(into, "satisfaction");
	int64_t dist[5] = {0}, count = 0, sum = 0, asked = 0;
	struct sql_stmt *s = store__prep(st, "SELECT rating, count(*) FROM case_ratings WHERE "
					  "rated_at >= ? GROUP BY rating");
	struct sql_stmt *a = store__prep(st, "SELECT count(*) FROM case_ratings WHERE asked_at >= ?");
	struct sql_stmt *p = store__prep(st, "SELECT coalesce(operator, ''), count(*), sum(rating) "
					  "FROM case_ratings WHERE rated_at >= ? GROUP BY 1 "
					  "ORDER BY 1");
	if (!s || !a || !p)
		return -1;
	int rc;
	sql_bind_int64(s, 1, since);
	while ((rc = sql_step(s)) == SQL_ROW) {
		int r = sql_column_int(s, 0);
		int64_t n = sql_column_int64(s, 1);
		if (r >= 1 && r <= 5) {
			dist[r - 1] = n;
			count += n;
			sum += n * r;
		}
	}
	sql_reset(s);
	int ok = rc == SQL_DONE;
	sql_bind_int64(a, 1, since);
	if (sql_step(a) == SQL_ROW)
		asked = sql_column_int64(a, 0);
	else
		ok = 0;
	sql_reset(a);
	cJSON_AddNumberToObject(o, "asked", (double)asked);
	cJSON_AddNumberToObject(o, "count", (double)count);
	cJSON_AddNumberToObject(o, "average", average(sum, count));
	cJSON *d = cJSON_AddArrayToObject(o, "distribution");
	for (int i = 0; i < 5; i++)
		cJSON_AddItemToArray(d, cJSON_CreateNumber((double)dist[i]));
	cJSON *ops = cJSON_AddArrayToObject(o, "operators");
	sql_bind_int64(p, 1, since);
	while ((rc = sql_step(p)) == SQL_ROW) {
		cJSON *e = cJSON_CreateObject();
		int64_t n = sql_column_int64(p, 1);
		cJSON_AddStringToObject(e, "login", (const char *)sql_column_text(p, 0));
		cJSON_AddNumberToObject(e, "count", (double)n);
		cJSON_AddNumberToObject(e, "average", average(sql_column_int64(p, 2), n));
		cJSON_AddItemToArray(ops, e);
	}
	sql_reset(p);
	ok &= rc == SQL_DONE;
	if (!ok)
		log_error("store: satisfaction report: %s", sql_errmsg(store__db(st)));
	return ok ? 0 : -1;
}
