/* Store hardening (issue 10, items 5 and 10), through the store API of before the fix so
 * that these tests also run against it: the outbox depth is O(1) however large the
 * outbox, a damaged store is refused at open, a failure state clears on the next good
 * write, a write past ulimit -f reads as a full disk, and commits are synchronous=FULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "test_store_fixture.h"

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static int64_t add_row(struct store_tx *tx, const char *channel, const char *text)
{
	struct outbox_row r = {.channel = (char *)channel, .kind = (char *)"message", .peer_id = 7,
			       .text = (char *)text, .created_ms = 1000};
	assert_int_equal(store_outbox_add(tx, &r), 0);
	return r.id;
}

/* add_row as a unit of work of its own. */
static int64_t add_row_alone(struct store *st, const char *channel, const char *text)
{
	struct store_tx *tx = begin_tx(st);
	int64_t id = add_row(tx, channel, text);
	assert_int_equal(store_commit(tx), 0);
	return id;
}

static void depth_of(struct store *st, const char *channel, int64_t *n)
{
	int64_t oldest = 0;
	assert_int_equal(store_outbox_depth(st, channel, n, &oldest), 0);
}

/* 300k finished rows and a few pending: health and metrics must not count them all
 * (before the fix: a scan per call, 120 ms at 520k rows in Release). */
static void outbox_depth_does_not_scan(void **state)
{
	tb_sqlite_only(); /* SQLite's query plan */
	store_close(open_store());
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	exec_sql(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		     "WHERE i < 300000) INSERT INTO outbox (channel, kind, peer_id, text, status, "
		     "created_ms, next_attempt_ms) SELECT CASE i % 3 WHEN 0 THEN 'vk' WHEN 1 "
		     "THEN 'telegram' ELSE 'web' END, 'message', i, 'answer', 'sent', i, i FROM n");
	exec_sql(db, "INSERT INTO outbox (channel, kind, peer_id, text, created_ms, "
		     "next_attempt_ms) VALUES ('vk','message',1,'a',5,5), ('vk','message',2,'b',6,6), "
		     "('telegram','message',3,'c',7,7)");
	sqlite3_close(db);
	struct store *st = open_store();
	int64_t n = 0, oldest = 0;
	double t0 = mono_ms();
	for (int i = 0; i < 40; i++) {
		assert_int_equal(store_outbox_depth(st, NULL, &n, &oldest), 0);
		assert_int_equal(store_outbox_depth(st, "vk", &n, &oldest), 0);
	}
	double per_call = (mono_ms() - t0) / 80;
	print_message("store_outbox_depth: %.3f ms a call at 300k rows\n", per_call);
	assert_true(per_call < 1.0);
	depth_of(st, NULL, &n);
	assert_int_equal(n, 3);
	assert_int_equal(store_outbox_depth(st, "vk", &n, &oldest), 0);
	assert_int_equal(n, 2);
	assert_int_equal(oldest, 5);
	depth_of(st, "telegram", &n);
	assert_int_equal(n, 1);
	depth_of(st, "web", &n);
	assert_int_equal(n, 0);
	store_close(st);
}

/* The count follows every change, rolled-back ones included. */
static void outbox_depth_follows_changes(void **state)
{
	struct store *st = open_store();
	int64_t n;
	int64_t a = add_row_alone(st, "vk", "one");
	add_row_alone(st, "vk", "two");
	depth_of(st, "vk", &n);
	assert_int_equal(n, 2);
	struct store_tx *tx = begin_tx(st);
	add_row(tx, "vk", "three");
	assert_int_equal(store_outbox_mark_sent(tx, a, 11, 2000), 0);
	depth_of(st, "vk", &n);
	assert_int_equal(n, 2); /* +1 -1, seen inside the transaction */
	store_rollback(tx);
	depth_of(st, "vk", &n);
	assert_int_equal(n, 2);
	tx = begin_tx(st);
	assert_int_equal(store_outbox_mark_sent(tx, a, 11, 2000), 0);
	assert_int_equal(store_outbox_mark_sent(tx, a, 11, 2000), 0); /* twice: once */
	assert_int_equal(store_commit(tx), 0);
	depth_of(st, "vk", &n);
	assert_int_equal(n, 1);
	int64_t c = add_row_alone(st, "telegram", "x");
	tx = begin_tx(st);
	assert_int_equal(store_outbox_mark_retry(tx, c, 5000, "timeout"), 0);
	assert_int_equal(store_commit(tx), 0);
	depth_of(st, NULL, &n);
	assert_int_equal(n, 2);
	tx = begin_tx(st);
	assert_int_equal(store_outbox_mark_failed(tx, c, "blocked", 3000), 0);
	assert_int_equal(store_commit(tx), 0);
	depth_of(st, NULL, &n);
	assert_int_equal(n, 1);
	store_close(st);
	/* Reopened: counted from the table again, the same. */
	st = open_store();
	depth_of(st, NULL, &n);
	assert_int_equal(n, 1);
	store_close(st);
}

/* A store that fails quick_check is refused at open (before the fix it opened and said
 * "ok" until a batch hit the damage). */
static void damaged_store_is_refused(void **state)
{
	tb_sqlite_only(); /* a damaged SQLite file */
	struct store *st = open_store();
	char text[400];
	memset(text, 'q', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	struct store_tx *tx = begin_tx(st);
	for (int i = 0; i < 3000; i++)
		add_row(tx, "vk", text);
	assert_int_equal(store_commit(tx), 0);
	store_close(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	exec_sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	struct stat sb;
	assert_int_equal(stat(dbpath, &sb), 0);
	FILE *f = fopen(dbpath, "r+b");
	assert_non_null(f);
	long pages = (long)(sb.st_size / 4096);
	for (long p = pages / 3; p < pages * 2 / 3; p += 7) {
		fseek(f, p * 4096, SEEK_SET);
		fwrite("\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, 10, f);
	}
	fclose(f);
	st = NULL;
	char err[512] = "";
	int rc = store_open(dbpath, &st, err, sizeof err);
	if (rc == 0)
		store_close(st);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "quick_check"));
}

/* After a full disk, the first write that succeeds again clears the degraded state
 * (before the fix it stayed, with the old reason, until a restart). */
static void failure_state_clears_on_next_good_write(void **state)
{
	tb_sqlite_only(); /* a full SQLite file */
	struct store *st = open_store();
	sqlite3 *db = store__sqlite(st);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t pages = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
	exec_sql(db, sql);
	static char big[64 * 1024];
	memset(big, 'z', sizeof big - 1);
	struct outbox_row r = {.channel = "vk", .kind = "message", .peer_id = 1, .text = big,
			       .created_ms = 1};
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_outbox_add(tx, &r), -1);
	store_rollback(tx);
	assert_string_not_equal(store_state(st), "ok");
	exec_sql(db, "PRAGMA max_page_count = 1000000");
	add_row_alone(st, "vk", "room again");
	assert_string_equal(store_state(st), "ok");
	/* The same with more than one write in the unit that commits. */
	exec_sql(db, sql);
	tx = begin_tx(st);
	assert_int_equal(store_outbox_add(tx, &r), -1);
	store_rollback(tx);
	assert_string_not_equal(store_state(st), "ok");
	exec_sql(db, "PRAGMA max_page_count = 1000000");
	tx = begin_tx(st);
	add_row(tx, "vk", "in a batch");
	add_row(tx, "vk", "and another");
	assert_int_equal(store_commit(tx), 0);
	assert_string_equal(store_state(st), "ok");
	store_close(st);
}

/* ulimit -f: with SIGXFSZ ignored (as deskbot run does) a write past the limit fails
 * with EFBIG, and the store says so like a full disk. Runs in a child: the limit and
 * the signal disposition must not outlive the test. */
static void file_size_limit_reads_as_disk_full(void **state)
{
	tb_sqlite_only(); /* SQLite's file size */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct store *st = NULL;
		char err[256];
		if (store_open(dbpath, &st, err, sizeof err) < 0)
			_exit(2);
		struct rlimit rl = {256 * 1024, 256 * 1024};
		setrlimit(RLIMIT_FSIZE, &rl);
		static char text[8192];
		memset(text, 'f', sizeof text - 1);
		int failed = 0;
		for (int i = 0; i < 200 && !failed; i++) {
			struct outbox_row r = {.channel = "vk", .kind = "message", .peer_id = 1,
					       .text = text, .created_ms = 1};
			struct store_tx *tx = store_begin(st);
			failed = !tx || store_outbox_add(tx, &r) < 0;
			if (failed)
				store_rollback(tx);
			else
				failed = store_commit(tx) < 0;
		}
		int ok = failed && strstr(store_state(st), "file size limit") != NULL;
		if (!ok)
			fprintf(stderr, "state after %s: %s\n", failed ? "failure" : "no failure",
				store_state(st));
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A commit is durable before the cursor is confirmed to VK/Telegram: FULL, not NORMAL. */
static void commits_are_synchronous_full(void **state)
{
	tb_sqlite_only(); /* SQLite's PRAGMA */
	struct store *st = open_store();
	sqlite3_stmt *s;
	sqlite3_prepare_v2(store__sqlite(st), "PRAGMA synchronous", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 2);
	sqlite3_finalize(s);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(outbox_depth_does_not_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(outbox_depth_follows_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_store_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_state_clears_on_next_good_write, setup,
						teardown),
		cmocka_unit_test_setup_teardown(file_size_limit_reads_as_disk_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(commits_are_synchronous_full, setup, teardown),
	};
	return tb_run(tests);
}
