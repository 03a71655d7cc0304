/* A store in a fresh temporary file for each test (cmocka setup/teardown), shared by the
 * store's unit tests; on the PostgreSQL pass of tb_run (test_backends.h) a fresh schema
 * instead, whose URL is in dbwhere. Include after cmocka.h. */
#ifndef DESKBOT_TEST_STORE_FIXTURE_H
#define DESKBOT_TEST_STORE_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "test_backends.h"
#include "test_store_tx.h"

static char dbpath[64];
static char *dbwhere; /* what store_open takes: dbpath, or the test's PostgreSQL URL */

static int setup(void **state)
{
	(void)state;
	strcpy(dbpath, "/tmp/deskbot-store-XXXXXX");
	int fd = mkstemp(dbpath);
	close(fd);
	unlink(dbpath);
	free(dbwhere);
	dbwhere = tb_store_where(dbpath);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[80];
	unlink(dbpath);
	snprintf(p, sizeof p, "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	unlink(p);
	tb_store_drop();
	return 0;
}

static struct store *open_store(void)
{
	struct store *st = NULL;
	char err[256] = "";
	if (store_open(dbwhere, &st, err, sizeof err) < 0)
		fail_msg("store_open: %s", err);
	return st;
}

#endif
