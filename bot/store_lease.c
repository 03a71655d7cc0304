/* Leases (store_lease.h): one row per name; taking it is one upsert that succeeds only
 * for its holder or once the lease has run out, so two instances racing for it cannot
 * both win (PostgreSQL re-checks the condition on the row the other one committed). */
#include "store_lease.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

/* The database's clock in milliseconds. */
static int64_t db_now_ms(struct store *st)
{
	return store__scalar(
		st, store__pick(st,
				"SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
				"SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"));
}

int store_lease_hold(struct store *st, const char *name, const char *holder, int64_t ttl_ms,
		     char *who, size_t wholen, int64_t *left_ms)
{
	struct store_tx *tx = store_begin(st);
	if (!tx)
		return -1;
	int64_t now = db_now_ms(st);
	struct sql_stmt *s = store__prep(
		st, "INSERT INTO leases (name, holder, expires_ms, acquired_ms) "
		    "VALUES (?1, ?2, ?3 + ?4, ?3) ON CONFLICT (name) DO UPDATE SET "
		    "holder = excluded.holder, expires_ms = excluded.expires_ms, "
		    "acquired_ms = CASE WHEN leases.holder = excluded.holder "
		    "THEN leases.acquired_ms ELSE excluded.acquired_ms END "
		    "WHERE leases.holder = excluded.holder OR leases.expires_ms < ?3");
	int rc = -1;
	if (now <= 0 || !s)
		goto out;
	sql_bind_text(s, 1, name);
	sql_bind_text(s, 2, holder);
	sql_bind_int64(s, 3, now);
	sql_bind_int64(s, 4, ttl_ms);
	if (store__step_done(st, s, "lease take") < 0)
		goto out;
	s = store__prep(st, "SELECT holder, expires_ms - ?2 FROM leases WHERE name = ?1");
	if (!s)
		goto out;
	sql_bind_text(s, 1, name);
	sql_bind_int64(s, 2, now);
	if (sql_step(s) != SQL_ROW) {
		sql_reset(s);
		goto out;
	}
	const char *h = sql_column_text(s, 0);
	rc = h && strcmp(h, holder) == 0;
	if (who)
		snprintf(who, wholen, "%s", h ? h : "");
	if (left_ms)
		*left_ms = sql_column_int64(s, 1);
	sql_reset(s);
out:
	if (rc < 0) {
		store_rollback(tx);
		log_error("store: lease %s for %s: %s", name, holder, store_state(st));
		return -1;
	}
	return store_commit(tx) < 0 ? -1 : rc;
}

int store_lease_release(struct store *st, const char *name, const char *holder)
{
	struct sql_stmt *s = store__prep(st, "DELETE FROM leases WHERE name = ?1 AND holder = ?2");
	if (!s)
		return -1;
	sql_bind_text(s, 1, name);
	sql_bind_text(s, 2, holder);
	return store__write_unit(st, s, "lease release");
}

int store_leases_each(struct store *st,
		      void (*fn)(void *arg, const char *name, const char *holder, int64_t left_ms),
		      void *arg)
{
	int64_t now = db_now_ms(st);
	struct sql_stmt *s =
		store__prep(st, "SELECT name, holder, expires_ms - ?1 FROM leases ORDER BY name");
	if (!s || now <= 0)
		return -1;
	sql_bind_int64(s, 1, now);
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		fn(arg, sql_column_text(s, 0), sql_column_text(s, 1), sql_column_int64(s, 2));
		n++;
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}
