/* The store's tests run on both backends from one binary: tb_run runs a cmocka group on
 * SQLite, then again on PostgreSQL at DESKBOT_TEST_PG_URL, each test in a fresh schema
 * (tb_store_where / tb_store_drop). Without the URL the PostgreSQL pass is skipped with a
 * line saying so, or fails when DESKBOT_TEST_REQUIRE_PG is set (tests/run-all.sh sets it:
 * CI must run PostgreSQL). Include after cmocka.h. */
#ifndef DESKBOT_TEST_BACKENDS_H
#define DESKBOT_TEST_BACKENDS_H
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tb_pg;	     /* the pass running: 0 SQLite, 1 PostgreSQL */
static char tb_schema[64];   /* this test's PostgreSQL schema, "" when none */
static int tb_n_schemas;

static inline void tb_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Runs sql at where (a PostgreSQL URL: the server's, or a test's schema from
 * tb_store_where), failing the test on an error; the first column of the first row as an
 * integer, or 0. */
static inline long long tb_pg_query(const char *where, const char *sql)
{
	PGconn *c = PQconnectdb(where);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("PostgreSQL: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, tb_quiet, NULL);
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	long long v = ok && PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	char msg[256];
	snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	if (!ok)
		fail_msg("PostgreSQL: %s: %s", sql, msg);
	return v;
}

static inline void tb_pg_exec(const char *sql)
{
	tb_pg_query(getenv("DESKBOT_TEST_PG_URL"), sql);
}

/* Where this test's store lives: sqlite_path on SQLite; on PostgreSQL a URL whose
 * search_path is a new, empty schema. Caller frees. */
static inline char *tb_store_where(const char *sqlite_path)
{
	if (!tb_pg)
		return strdup(sqlite_path);
	snprintf(tb_schema, sizeof tb_schema, "t%d_%d", (int)getpid(), ++tb_n_schemas);
	char sql[256];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", tb_schema,
		 tb_schema);
	tb_pg_exec(sql);
	const char *url = getenv("DESKBOT_TEST_PG_URL");
	size_t n = strlen(url) + 2 * strlen(tb_schema) + 64;
	char *where = malloc(n);
	/* application_name lets a test find its store's connection (tb_pg_cut). */
	snprintf(where, n, "%s%coptions=-csearch_path%%3D%s&application_name=%s", url,
		 strchr(url, '?') ? '&' : '?', tb_schema, tb_schema);
	return where;
}

/* Cuts this test's store connections from the server's side, as a PostgreSQL restart
 * or a network failure would. The number cut. */
static inline long long tb_pg_cut(void)
{
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
		 "application_name = '%s'",
		 tb_schema);
	return tb_pg_query(getenv("DESKBOT_TEST_PG_URL"), sql);
}

/* Drops this test's schema (a no-op on SQLite). */
static inline void tb_store_drop(void)
{
	if (!tb_pg || !tb_schema[0])
		return;
	char sql[128];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", tb_schema);
	tb_pg_exec(sql);
	tb_schema[0] = 0;
}

/* For a test of SQLite itself (its files, PRAGMAs, VFS): skipped on PostgreSQL. */
#define tb_sqlite_only()                                                                   \
	do {                                                                               \
		if (tb_pg)                                                                 \
			skip();                                                            \
	} while (0)

static inline int tb_run_both(const char *name, const struct CMUnitTest *tests, size_t n,
			      CMFixtureFunction group_setup, CMFixtureFunction group_teardown)
{
	tb_pg = 0;
	int failed = _cmocka_run_group_tests(name, tests, n, group_setup, group_teardown);
	const char *url = getenv("DESKBOT_TEST_PG_URL");
	if (!url || !*url) {
		if (getenv("DESKBOT_TEST_REQUIRE_PG")) {
			fprintf(stderr, "%s: DESKBOT_TEST_PG_URL is not set but "
					"DESKBOT_TEST_REQUIRE_PG is: the PostgreSQL pass cannot "
					"run\n",
				name);
			return failed + 1;
		}
		fprintf(stderr, "%s: PostgreSQL pass skipped (set DESKBOT_TEST_PG_URL)\n", name);
		return failed;
	}
	tb_pg = 1;
	fprintf(stderr, "%s: the same tests on PostgreSQL\n", name);
	return failed + _cmocka_run_group_tests(name, tests, n, group_setup, group_teardown);
}

#define tb_run(tests) tb_run_both(#tests, tests, sizeof tests / sizeof tests[0], NULL, NULL)
/* The same with cmocka's group setup and teardown, run once per backend. */
#define tb_run_group(tests, setup, teardown)                                               \
	tb_run_both(#tests, tests, sizeof tests / sizeof tests[0], setup, teardown)
#endif
