/* The SQLite backend of the SQL seam (store_sql.h): a thin wrapper of sqlite3. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "store_int.h"
#include "store_sql.h"
#include "xalloc.h"

struct lite_db {
	struct sql_db base;
	sqlite3 *db;
	char msg[256]; /* sqlite3_exec's message, which sqlite3_errmsg may no longer hold */
};

struct lite_stmt {
	struct sql_stmt base;
	sqlite3_stmt *s;
};

static struct lite_db *L(struct sql_db *db)
{
	return (struct lite_db *)db;
}

static sqlite3_stmt *S(struct sql_stmt *s)
{
	return ((struct lite_stmt *)s)->s;
}

static void lite_close(struct sql_db *db)
{
	if (sqlite3_close(L(db)->db) != SQLITE_OK)
		log_error("store: close: %s", sqlite3_errmsg(L(db)->db));
	free(db);
}

static int lite_exec(struct sql_db *db, const char *sql)
{
	char *msg = NULL;
	L(db)->msg[0] = 0;
	if (sqlite3_exec(L(db)->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(L(db)->msg, sizeof L(db)->msg, "%s", msg ? msg : sqlite3_errmsg(L(db)->db));
	sqlite3_free(msg);
	return -1;
}

static int lite_begin(struct sql_db *db)
{
	return lite_exec(db, "BEGIN IMMEDIATE");
}

static const char *lite_errmsg(struct sql_db *db)
{
	return L(db)->msg[0] ? L(db)->msg : sqlite3_errmsg(L(db)->db);
}

static int lite_error_is_full(struct sql_db *db)
{
	int code = sqlite3_extended_errcode(L(db)->db) & 0xff;
	return code == SQLITE_IOERR || code == SQLITE_FULL;
}

static int lite_is_down(struct sql_db *db)
{
	(void)db;
	return 0;
}

static int64_t lite_changes(struct sql_db *db)
{
	return sqlite3_changes(L(db)->db);
}

static int64_t lite_last_insert_rowid(struct sql_db *db)
{
	return sqlite3_last_insert_rowid(L(db)->db);
}

static struct sql_stmt *lite_prepare(struct sql_db *db, const char *sql)
{
	sqlite3_stmt *s;
	L(db)->msg[0] = 0;
	if (sqlite3_prepare_v3(L(db)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK)
		return NULL;
	struct lite_stmt *st = xcalloc(1, sizeof *st);
	st->base.db = db;
	st->s = s;
	return &st->base;
}

static void lite_finalize(struct sql_stmt *s)
{
	sqlite3_finalize(S(s));
	free(s);
}

static void lite_reset(struct sql_stmt *s)
{
	sqlite3_reset(S(s));
}

static void lite_clear_bindings(struct sql_stmt *s)
{
	sqlite3_clear_bindings(S(s));
}

static void lite_bind_int64(struct sql_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(S(s), i, v);
}

static void lite_bind_text(struct sql_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(S(s), i, v, -1, SQLITE_TRANSIENT);
}

static void lite_bind_null(struct sql_stmt *s, int i)
{
	sqlite3_bind_null(S(s), i);
}

static void lite_bind_blob(struct sql_stmt *s, int i, const void *data, size_t len)
{
	sqlite3_bind_blob64(S(s), i, data, len, SQLITE_TRANSIENT);
}

static const void *lite_column_blob(struct sql_stmt *s, int i, size_t *len)
{
	const void *b = sqlite3_column_blob(S(s), i);
	*len = (size_t)sqlite3_column_bytes(S(s), i);
	return b;
}

static int lite_step(struct sql_stmt *s)
{
	L(s->db)->msg[0] = 0;
	int rc = sqlite3_step(S(s));
	return rc == SQLITE_ROW ? SQL_ROW : rc == SQLITE_DONE ? SQL_DONE : SQL_ERROR;
}

static int64_t lite_column_int64(struct sql_stmt *s, int i)
{
	return sqlite3_column_int64(S(s), i);
}

static const char *lite_column_text(struct sql_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(S(s), i);
}

static int lite_column_type(struct sql_stmt *s, int i)
{
	switch (sqlite3_column_type(S(s), i)) {
	case SQLITE_NULL:
		return SQL_NULL;
	case SQLITE_TEXT:
		return SQL_TEXT;
	case SQLITE_BLOB:
		return SQL_BLOB;
	default:
		return SQL_INTEGER;
	}
}

static const struct sql_ops lite_ops = {
	.close = lite_close,
	.exec = lite_exec,
	.begin = lite_begin,
	.errmsg = lite_errmsg,
	.error_is_full = lite_error_is_full,
	.is_down = lite_is_down,
	.changes = lite_changes,
	.last_insert_rowid = lite_last_insert_rowid,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.clear_bindings = lite_clear_bindings,
	.bind_int64 = lite_bind_int64,
	.bind_text = lite_bind_text,
	.bind_null = lite_bind_null,
	.bind_blob = lite_bind_blob,
	.step = lite_step,
	.column_int64 = lite_column_int64,
	.column_text = lite_column_text,
	.column_type = lite_column_type,
	.column_blob = lite_column_blob,
};

struct sqlite3 *sql_sqlite_handle(struct sql_db *db)
{
	return db && db->backend == SQL_SQLITE ? L(db)->db : NULL;
}

int sql_sqlite_open(const char *path, struct sql_db **out, char *err, size_t errlen)
{
	struct lite_db *db = xcalloc(1, sizeof *db);
	db->base.ops = &lite_ops;
	db->base.backend = SQL_SQLITE;
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "store: cannot open %s: %s", path,
			 db->db ? sqlite3_errmsg(db->db) : "out of memory");
		sqlite3_close(db->db);
		free(db);
		return -1;
	}
	sqlite3_busy_timeout(db->db, 5000);
	*out = &db->base;
	return 0;
}
