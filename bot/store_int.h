/* Internals shared by the store*.c files, and only by them: the SQLite types stay out of
 * store.h, store_cases.h, store_console.h and store_outbox_peer.h. */
#ifndef DESKBOT_STORE_INT_H
#define DESKBOT_STORE_INT_H

/* Migration 16 -> 17 after its columns are added (the same SQL on both backends): each
 * transcript line points to the one before it, each case to its last line and last
 * customer line, and the per-case index of lines gives way to one for operator lines. */
#define CASE_LINES_CHAIN_BACKFILL                                                         \
	"UPDATE case_lines SET prev_id = (SELECT max(p.id) FROM case_lines p"              \
	"  WHERE p.case_id = case_lines.case_id AND p.id < case_lines.id);"                \
	"UPDATE cases SET last_line_id = (SELECT max(l.id) FROM case_lines l"               \
	"  WHERE l.case_id = cases.id), last_customer_line_id = (SELECT max(l.id)"          \
	"  FROM case_lines l WHERE l.case_id = cases.id AND l.who = 'customer');"           \
	"DROP INDEX case_lines_case;"                                                        \
	"CREATE INDEX case_lines_operator ON case_lines (case_id, at) WHERE who = 'operator';"
#include "store_sql.h"
#include <stdint.h>

/* Declared, not included: store.h is above this file, not beside it. */
struct outbox_row;
struct store;
struct store_tx;

/* A read-only query returning one integer. */
int64_t store__scalar(struct store *st, const char *sql);
/* The cached prepared statement for sql (a string literal: it is cached by its
 * address). */
struct sql_stmt *store__prep(struct store *st, const char *sql);
struct sql_db *store__db(struct store *st);
/* The one of two spellings of a query for this store's backend, where the engines'
 * SQL cannot meet (both string literals: the statement cache keys on the pointer). */
const char *store__pick(struct store *st, const char *sqlite_sql, const char *pg_sql);
/* The SQLite handle of a SQLite store, else NULL (tests only). */
struct sqlite3 *store__sqlite(struct store *st);
/* The SQLite handle under db, NULL on PostgreSQL (store_sqlite.c). */
struct sqlite3 *sql_sqlite_handle(struct sql_db *db);
/* The store tx writes to; NULL (logged as a bug naming what) when tx is not open. Every
 * write function starts with it. */
struct store *store__writer(struct store_tx *tx, const char *what);
/* Steps a write statement to completion and resets it; 0, or -1 with the failure
 * recorded for /healthz (a full disk, EFBIG) and logged, naming what. */
int store__step_done(struct store *st, struct sql_stmt *s, const char *what);
/* Runs the prepared write statement s alone in a unit of work of its own (begun, stepped,
 * committed; rolled back on a failure). 0 or -1. */
int store__write_unit(struct store *st, struct sql_stmt *s, const char *what);
/* True while a transaction is open (vacuum runs only outside one). */
int store__in_tx(const struct store *st);
/* The SQL that takes the schema from version v to v + 1, or NULL past the last one (for
 * tests that build an old store). */
const char *store__migration(int v);
/* The same for PostgreSQL (store_pg_schema.c): the same versions, in its own SQL. */
const char *store__pg_migration(int v);
/* Steps s, a statement selecting the outbox row columns (id, kind, peer_id, inbound_id,
 * reply_to, text, keyboard, extra, replyset_version, source, attempts, created_ms,
 * next_attempt_ms), calling fn with each row; resets s. The count, or -1. */
int store__outbox_rows(struct sql_stmt *s, const char *channel,
		       void (*fn)(void *arg, struct outbox_row *row), void *arg);
#endif
