/* Retention (issue 10, item 4): old messages, finished replies, quiet web-chat customers
 * and old audit rows go, in bounded batches; open cases' chats, pending replies and the
 * newest row of each table stay; freed pages go back to the file system. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "store_sql.h"
#include "test_store_fixture.h"

#define DAY 86400LL
#define NOW_S (1800000000LL)

static void exec_sql(struct store *st, const char *sql)
{
	if (sql_exec(store__db(st), sql) < 0)
		fail_msg("%s: %s", sql, sql_errmsg(store__db(st)));
}

static int64_t count(struct store *st, const char *sql)
{
	struct sql_stmt *s = sql_prepare(store__db(st), sql);
	assert_non_null(s);
	assert_int_equal(sql_step(s), SQL_ROW);
	int64_t v = sql_column_int64(s, 0);
	sql_finalize(s);
	return v;
}

/* n rows per table for chat peer at time at (unix s); status of the replies. */
static void fill(struct store *st, int n, int64_t peer, int64_t at, const char *status)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
		 "INSERT INTO inbound (channel, dedup_key, peer_id, user_id, message_id, date, text, "
		 "received_at) SELECT 'web', 'k' || %lld || '-' || %lld || '-' || i, %lld, %lld, i, "
		 "%lld, 'hello', %lld FROM n",
		 n, (long long)peer, (long long)at, (long long)peer, (long long)peer,
		 (long long)at, (long long)at);
	exec_sql(st, sql);
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
		 "INSERT INTO outbox (channel, kind, peer_id, text, status, created_ms, "
		 "next_attempt_ms) SELECT 'web', 'message', %lld, 'answer', '%s', %lld, %lld FROM n",
		 n, (long long)peer, status, (long long)at * 1000, (long long)at * 1000);
	exec_sql(st, sql);
}

/* One retention step as its unit of work (as retention.c runs it). */
static int retention_unit(struct store *st, struct store_retention *r, int64_t now_ms,
			  struct store_retention_counts *c)
{
	struct store_tx *tx = begin_tx(st);
	int more = store_retention_step(tx, r, now_ms, c);
	if (more < 0)
		store_rollback(tx);
	else
		assert_int_equal(store_commit(tx), 0);
	return more;
}

static int run_until_caught_up(struct store *st, struct store_retention *r, int64_t now_s,
			       struct store_retention_counts *total)
{
	int steps = 0, more;
	*total = (struct store_retention_counts){0};
	do {
		struct store_retention_counts c;
		more = retention_unit(st, r, now_s * 1000, &c);
		assert_true(more >= 0);
		total->inbound += c.inbound;
		total->outbox += c.outbox;
		total->web_peers += c.web_peers;
		total->audit += c.audit;
		steps++;
	} while (more && steps < 1000);
	assert_true(steps < 1000);
	return steps;
}

static void old_rows_go_open_cases_and_pending_stay(void **state)
{
	struct store *st = open_store();
	int64_t old = NOW_S - 100 * DAY, recent = NOW_S - 10 * DAY;
	fill(st, 1000, 1, old, "sent");    /* an old chat: goes */
	fill(st, 300, 2, old, "sent");     /* an old chat with an open case: stays */
	fill(st, 200, 3, old, "pending");  /* old messages go, the pending replies stay */
	fill(st, 100, 4, recent, "sent");  /* recent: stays */
	exec_sql(st, "INSERT INTO cases (channel, peer_id, user_id, status, record, created_at, "
		     "updated_at) VALUES ('web', 2, 2, 'claimed', '{}', 1, 1), "
		     "('web', 1, 1, 'closed', '{}', 1, 1)");
	char sql[512];
	snprintf(sql, sizeof sql,
		 "INSERT INTO audit (at, actor, action, case_id) VALUES (%lld, 'a', 'login', NULL), "
		 "(%lld, 'a', 'claim', 1), (%lld, 'a', 'claim', 2), (%lld, 'a', 'login', NULL)",
		 (long long)(NOW_S - 400 * DAY), (long long)(NOW_S - 400 * DAY),
		 (long long)(NOW_S - 400 * DAY), (long long)(NOW_S - DAY));
	exec_sql(st, sql);
	struct store_retention r = {.keep_s = 90 * DAY, .audit_keep_s = 365 * DAY, .batch = 100};
	struct store_retention_counts total;
	int steps = run_until_caught_up(st, &r, NOW_S, &total);
	assert_true(steps > 10); /* in batches of at most 100 rows per table */
	assert_int_equal(total.inbound, 1000 + 200);
	assert_int_equal(total.outbox, 1000);
	assert_int_equal(count(st, "SELECT count(*) FROM inbound WHERE peer_id = 2"), 300);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE peer_id = 2"), 300);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE peer_id = 3"), 200);
	assert_int_equal(count(st, "SELECT count(*) FROM inbound WHERE peer_id = 4"), 100);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE peer_id = 4"), 100);
	/* Audit: the old rows of no case and of the closed case go; the open case's stays. */
	assert_int_equal(total.audit, 2);
	assert_int_equal(count(st, "SELECT count(*) FROM audit WHERE case_id = 1"), 1);
	/* The pending rows are all there (counted afresh: fill() went around the store). */
	store_close(st);
	st = open_store();
	int64_t n = 0, oldest = 0;
	assert_int_equal(store_outbox_depth(st, NULL, &n, &oldest), 0);
	assert_int_equal(n, 200);
	/* Caught up: the next pass (over the kept rows again) deletes nothing. */
	run_until_caught_up(st, &r, NOW_S, &total);
	assert_int_equal(total.inbound + total.outbox + total.audit + total.web_peers, 0);
	store_close(st);
}

static void newest_row_is_never_deleted(void **state)
{
	struct store *st = open_store();
	fill(st, 10, 1, NOW_S - 200 * DAY, "sent");
	struct store_retention r = {.keep_s = 90 * DAY, .audit_keep_s = 365 * DAY};
	struct store_retention_counts total;
	run_until_caught_up(st, &r, NOW_S, &total);
	/* Ids are never handed out twice (VK random_id comes from the outbox id). */
	assert_int_equal(count(st, "SELECT count(*) FROM inbound"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(count(st, "SELECT max(id) FROM outbox"), 10);
	store_close(st);
}

static void web_peers_quiet_or_unused_go(void **state)
{
	struct store *st = open_store();
	/* 1: made-up cookie two days ago, never wrote: goes. 2: wrote 100 days ago: goes.
	 * 3: created 100 days ago, wrote yesterday: stays. 4: created an hour ago: stays.
	 * 5: old with an open case: stays. 6: the newest: stays. */
	const char *tokens[] = {"t1", "t2", "t3", "t4", "t5", "t6"};
	int64_t created[] = {NOW_S - 2 * DAY, NOW_S - 100 * DAY, NOW_S - 100 * DAY,
			     NOW_S - 3600, NOW_S - 100 * DAY, NOW_S - 300 * DAY};
	for (int i = 0; i < 6; i++) {
		char sql[256];
		snprintf(sql, sizeof sql,
			 "INSERT INTO web_peers (peer_id, token, created_at) VALUES (%d, '%s', %lld)",
			 i + 1, tokens[i], (long long)created[i]);
		exec_sql(st, sql);
	}
	fill(st, 1, 2, NOW_S - 100 * DAY, "sent");
	fill(st, 1, 3, NOW_S - DAY, "sent");
	exec_sql(st, "INSERT INTO cases (channel, peer_id, user_id, status, record, created_at, "
		     "updated_at) VALUES ('web', 5, 5, 'new', '{}', 1, 1)");
	struct store_retention r = {.keep_s = 90 * DAY, .audit_keep_s = 365 * DAY};
	struct store_retention_counts total;
	run_until_caught_up(st, &r, NOW_S, &total);
	assert_int_equal(total.web_peers, 2);
	assert_int_equal(count(st, "SELECT count(*) FROM web_peers WHERE peer_id IN (1, 2)"), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM web_peers WHERE peer_id IN (3,4,5,6)"), 4);
	store_close(st);
}

static void zero_keeps_everything(void **state)
{
	struct store *st = open_store();
	fill(st, 50, 1, NOW_S - 1000 * DAY, "sent");
	struct store_retention r = {0};
	struct store_retention_counts c;
	assert_int_equal(retention_unit(st, &r, NOW_S * 1000, &c), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM inbound"), 50);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox"), 50);
	store_close(st);
}

static int64_t file_size(void)
{
	struct stat sb;
	assert_int_equal(stat(dbpath, &sb), 0);
	return (int64_t)sb.st_size;
}

/* A new store is incremental; a pass plus vacuum steps make the file smaller. */
static void freed_pages_go_back(void **state)
{
	tb_sqlite_only(); /* SQLite's file and its vacuum */
	struct store *st = open_store();
	assert_int_equal(count(st, "PRAGMA auto_vacuum"), 2);
	fill(st, 20000, 1, NOW_S - 200 * DAY, "sent");
	exec_sql(st, "PRAGMA wal_checkpoint(TRUNCATE)");
	int64_t before = file_size();
	struct store_retention r = {.keep_s = 90 * DAY, .audit_keep_s = 365 * DAY};
	struct store_retention_counts total;
	run_until_caught_up(st, &r, NOW_S, &total);
	assert_true(count(st, "PRAGMA freelist_count") > 0);
	int steps = 0;
	while (store_vacuum_step(st, 256) == 1 && steps < 1000)
		steps++;
	assert_int_equal(count(st, "PRAGMA freelist_count"), 0);
	exec_sql(st, "PRAGMA wal_checkpoint(TRUNCATE)");
	int64_t after = file_size();
	print_message("store file: %lld bytes before, %lld after retention\n", (long long)before,
		      (long long)after);
	assert_true(after < before / 4);
	store_close(st);
}

/* A store made before incremental vacuum is converted once at open. */
static void old_store_is_converted(void **state)
{
	tb_sqlite_only();
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE junk (x);", NULL, NULL, NULL);
	sqlite3_close(db);
	struct store *st = open_store();
	assert_int_equal(count(st, "PRAGMA auto_vacuum"), 2);
	store_close(st);
}

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A batch stays short however big the backlog: each removes at most one batch of rows
 * per table, so the loop is never held for long. (Its time is printed for the reader,
 * not asserted: on a loaded machine a timing says nothing; bench/ measures speed.) */
static void a_batch_is_short_at_a_large_backlog(void **state)
{
	(void)state;
	struct store *st = open_store();
	fill(st, 200000, 1, NOW_S - 200 * DAY, "sent");
	fill(st, 1000, 2, NOW_S - DAY, "sent");
	struct store_retention r = {.keep_s = 90 * DAY, .audit_keep_s = 365 * DAY};
	double worst = 0, total = 0;
	int steps = 0, more, removed = 0;
	do {
		struct store_retention_counts c;
		double t0 = mono_ms();
		more = retention_unit(st, &r, NOW_S * 1000, &c);
		double t = mono_ms() - t0;
		assert_true(more >= 0);
		assert_true(c.inbound <= STORE_RETENTION_BATCH && c.outbox <= STORE_RETENTION_BATCH);
		removed += c.inbound;
		worst = t > worst ? t : worst;
		total += t;
		steps++;
	} while (more && steps < 2000);
	print_message("retention of 2 x 200k rows: %d batches, worst %.1f ms, mean %.1f ms\n",
		      steps, worst, total / steps);
	assert_int_equal(removed, 200000);
	assert_true(steps >= 200000 / STORE_RETENTION_BATCH);
	assert_int_equal(count(st, "SELECT count(*) FROM inbound"), 1000);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(old_rows_go_open_cases_and_pending_stay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(newest_row_is_never_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(web_peers_quiet_or_unused_go, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_keeps_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(freed_pages_go_back, setup, teardown),
		cmocka_unit_test_setup_teardown(old_store_is_converted, setup, teardown),
		cmocka_unit_test_setup_teardown(a_batch_is_short_at_a_large_backlog, setup,
						teardown),
	};
	return tb_run(tests);
}
