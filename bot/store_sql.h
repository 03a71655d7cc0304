/* The store's SQL seam: every query in store*.c is written once against this, and two
 * backends run it (store_sqlite.c on SQLite, store_pg.c on PostgreSQL through libpq).
 * Private to the store: only store*.c include it. The calls mirror SQLite's own (bind
 * from 1, columns from 0, step to SQL_ROW / SQL_DONE, reset) so that the store reads as
 * it did; placeholders are SQLite's `?` and `?N`, which the PostgreSQL backend rewrites to
 * `$N`. */
#ifndef DESKBOT_STORE_SQL_H
#define DESKBOT_STORE_SQL_H
#include <stddef.h>
#include <stdint.h>

enum sql_rc { SQL_ERROR = 1, SQL_ROW = 100, SQL_DONE = 101 };
/* SQL_BLOB only from SQLite (store copy reads it); PostgreSQL's bytea reads as SQL_TEXT. */
enum sql_type { SQL_INTEGER = 1, SQL_TEXT = 3, SQL_BLOB = 4, SQL_NULL = 5 };
enum sql_backend { SQL_SQLITE, SQL_PG };

struct sql_db;
struct sql_stmt;

/* True when where names a PostgreSQL database (postgres:// or postgresql://). */
int sql_is_pg_url(const char *where);
/* Opens a SQLite file or a PostgreSQL URL (chosen by sql_is_pg_url). On failure err
 * says why (no password in it) and *out is NULL. */
int sql_open(const char *where, struct sql_db **out, char *err, size_t errlen);
void sql_close(struct sql_db *db);
enum sql_backend sql_backend(const struct sql_db *db);

/* Runs one or more statements without parameters or results. 0 or -1. */
int sql_exec(struct sql_db *db, const char *sql);
/* The unit of work's transaction: BEGIN IMMEDIATE on SQLite, BEGIN on PostgreSQL. */
int sql_begin(struct sql_db *db);
/* The last failure's message (never NULL). */
const char *sql_errmsg(struct sql_db *db);
/* True when the last failure was a full disk (SQLite: IOERR or FULL; PostgreSQL:
 * SQLSTATE 53100). */
int sql_error_is_full(struct sql_db *db);
/* True while the connection is down (PostgreSQL only; SQLite never is). */
int sql_is_down(struct sql_db *db);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t sql_changes(struct sql_db *db);
/* The id the last INSERT gave its row. */
int64_t sql_last_insert_rowid(struct sql_db *db);

/* NULL (the reason in sql_errmsg) when sql does not compile. */
struct sql_stmt *sql_prepare(struct sql_db *db, const char *sql);
void sql_finalize(struct sql_stmt *s);
/* Back to before the first step; bindings stay. */
void sql_reset(struct sql_stmt *s);
void sql_clear_bindings(struct sql_stmt *s);
void sql_bind_int64(struct sql_stmt *s, int i, int64_t v);
void sql_bind_int(struct sql_stmt *s, int i, int v);
/* v is copied; NULL binds SQL NULL. */
void sql_bind_text(struct sql_stmt *s, int i, const char *v);
void sql_bind_null(struct sql_stmt *s, int i);
/* len bytes from data, copied. */
void sql_bind_blob(struct sql_stmt *s, int i, const void *data, size_t len);
int sql_step(struct sql_stmt *s);
int64_t sql_column_int64(struct sql_stmt *s, int i);
int sql_column_int(struct sql_stmt *s, int i);
/* Valid until the next step or reset; NULL for SQL NULL. */
const char *sql_column_text(struct sql_stmt *s, int i);
int sql_column_type(struct sql_stmt *s, int i);
/* A BLOB (bytea) column's bytes and their count; valid until the next step or reset. */
const void *sql_column_blob(struct sql_stmt *s, int i, size_t *len);

/* The backends' entry points (store_sql.c dispatches to them). */
struct sql_ops {
	void (*close)(struct sql_db *db);
	int (*exec)(struct sql_db *db, const char *sql);
	int (*begin)(struct sql_db *db);
	const char *(*errmsg)(struct sql_db *db);
	int (*error_is_full)(struct sql_db *db);
	int (*is_down)(struct sql_db *db);
	int64_t (*changes)(struct sql_db *db);
	int64_t (*last_insert_rowid)(struct sql_db *db);
	struct sql_stmt *(*prepare)(struct sql_db *db, const char *sql);
	void (*finalize)(struct sql_stmt *s);
	void (*reset)(struct sql_stmt *s);
	void (*clear_bindings)(struct sql_stmt *s);
	void (*bind_int64)(struct sql_stmt *s, int i, int64_t v);
	void (*bind_text)(struct sql_stmt *s, int i, const char *v);
	void (*bind_null)(struct sql_stmt *s, int i);
	void (*bind_blob)(struct sql_stmt *s, int i, const void *data, size_t len);
	int (*step)(struct sql_stmt *s);
	int64_t (*column_int64)(struct sql_stmt *s, int i);
	const char *(*column_text)(struct sql_stmt *s, int i);
	int (*column_type)(struct sql_stmt *s, int i);
	const void *(*column_blob)(struct sql_stmt *s, int i, size_t *len);
};

/* The first member of each backend's connection and statement. */
struct sql_db {
	const struct sql_ops *ops;
	enum sql_backend backend;
};
struct sql_stmt {
	struct sql_db *db;
};

int sql_sqlite_open(const char *path, struct sql_db **out, char *err, size_t errlen);
int sql_pg_open(const char *url, struct sql_db **out, char *err, size_t errlen);
/* SQLite's SQL as PostgreSQL takes it: `?N` and `?` become `$N`, INSERT OR IGNORE becomes
 * INSERT ... ON CONFLICT DO NOTHING; string literals are left alone. *nparams is the
 * highest parameter number. Caller frees. */
char *sql_pg_translate(const char *sql, int *nparams);
#endif
