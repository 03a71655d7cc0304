/* The PostgreSQL backend of the SQL seam (store_sql.h), on libpq. Statements run with
 * PQexecParams (text parameters typed by what was bound: int8 or text), their whole
 * result is fetched at the first step and walked by the next ones. A lost connection
 * fails the statement in hand (so the unit of work rolls back and is retried by its
 * owner, as after any store error) and is re-opened before a later one, at most once
 * per backoff (doubling from 100 ms to 5 s). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "store_sql.h"
#include "xalloc.h"

/* Type OIDs of pg_type (server headers are not part of libpq-dev). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_BYTEA 17
#define OID_TEXT 25
#define OID_NUMERIC 1700

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* How long a COMMIT whose answer was lost waits for the server to say how it ended. */
#define RESOLVE_MS 10000

struct pg_db {
	struct sql_db base;
	PGconn *conn;
	char msg[512];
	char sqlstate[6];
	int64_t changes;
	int down;
	int64_t next_try_ms; /* no reconnect before this while down */
	int64_t backoff_ms;
	char xid[24]; /* the open transaction's id (txid_current), "" outside one */
};

struct pg_stmt {
	struct sql_stmt base;
	char *sql; /* in PostgreSQL's spelling */
	int nparams;
	char **vals;
	Oid *types;
	PGresult *res;
	int row, nrows;
	unsigned char *blob; /* the last bytea column read, unescaped */
};

static struct pg_db *P(struct sql_db *db)
{
	return (struct pg_db *)db;
}

static struct pg_stmt *PS(struct sql_stmt *s)
{
	return (struct pg_stmt *)s;
}

static void set_msg(struct pg_db *db, const char *msg, const char *sqlstate)
{
	snprintf(db->msg, sizeof db->msg, "%s", msg && *msg ? msg : "unknown error");
	size_t n = strlen(db->msg);
	while (n > 0 && (db->msg[n - 1] == '\n' || db->msg[n - 1] == ' '))
		db->msg[--n] = 0;
	snprintf(db->sqlstate, sizeof db->sqlstate, "%s", sqlstate ? sqlstate : "");
}

/* A failed command: the message, and whether the connection went with it. */
static void failed(struct pg_db *db, const PGresult *res)
{
	set_msg(db, res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn),
		res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
	log_debug("store: PostgreSQL: %s", db->msg);
	if (PQstatus(db->conn) == CONNECTION_BAD && !db->down) {
		db->down = 1;
		db->backoff_ms = BACKOFF_MIN_MS;
		db->next_try_ms = clock_now_ms(); /* the first reconnect is at once */
		log_error("store: lost the PostgreSQL connection: %s", db->msg);
	}
}

static int reconnect(struct pg_db *db)
{
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	db->down = 0;
	log_info("store: PostgreSQL connection re-established");
	return 0;
}

/* Before each command: a lost connection is re-opened when its backoff allows. */
static int ensure(struct pg_db *db)
{
	if (!db->down)
		return 0;
	int64_t now = clock_now_ms();
	if (now < db->next_try_ms) {
		set_msg(db, "PostgreSQL connection down; reconnecting", "08006");
		return -1;
	}
	if (reconnect(db) < 0) {
		set_msg(db, PQerrorMessage(db->conn), "08006");
		db->next_try_ms = now + db->backoff_ms;
		db->backoff_ms = db->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
								     : db->backoff_ms * 2;
		return -1;
	}
	return 0;
}

/* A COMMIT whose answer the lost connection took: it may have landed. The server keeps
 * each transaction's fate (txid_status), so the store waits (blocking, at most
 * RESOLVE_MS) to reconnect and asks, rather than report a committed unit as failed:
 * its owner would redo it, and the replies it queued would be sent twice or never. */
static int resolve_commit(struct pg_db *db)
{
	log_warn("store: the PostgreSQL connection was lost during COMMIT; asking the server "
		 "whether transaction %s committed",
		 db->xid);
	int64_t deadline = clock_now_ms() + RESOLVE_MS;
	while (reconnect(db) < 0) {
		if (clock_now_ms() >= deadline) {
			log_error("store: transaction %s: no answer within %d ms; reported as "
				  "failed (it may have committed)",
				  db->xid, RESOLVE_MS);
			return -1;
		}
		usleep(100 * 1000);
	}
	const char *vals[] = {db->xid};
	PGresult *res = PQexecParams(db->conn, "SELECT txid_status($1::bigint)", 1, NULL, vals,
				     NULL, NULL, 0);
	int committed = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
			strcmp(PQgetvalue(res, 0, 0), "committed") == 0;
	log_warn("store: transaction %s %s", db->xid,
		 committed ? "had committed" : "had not committed: reported as failed");
	PQclear(res);
	return committed ? 0 : -1;
}

static void pg_close(struct sql_db *db)
{
	PQfinish(P(db)->conn);
	free(db);
}

static int is_write(const PGresult *res)
{
	const char *tag = PQcmdStatus((PGresult *)res);
	return strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
	       strncmp(tag, "DELETE", 6) == 0;
}

static int pg_exec(struct sql_db *d, const char *sql)
{
	struct pg_db *db = P(d);
	if (ensure(db) < 0)
		return -1;
	int commit = strcmp(sql, "COMMIT") == 0;
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok) {
		failed(db, res);
		if (commit && db->down && db->xid[0])
			ok = resolve_commit(db) == 0;
	} else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		/* A statement of the transaction had failed: PostgreSQL rolled it all back
		 * and says so only in the tag. */
		set_msg(db, "the transaction had failed and was rolled back", "25P02");
		ok = 0;
	}
	PQclear(res);
	if (commit || strcmp(sql, "ROLLBACK") == 0)
		db->xid[0] = 0;
	return ok ? 0 : -1;
}

/* BEGIN, and the transaction's id in the same round trip (for resolve_commit). */
static int pg_begin(struct sql_db *d)
{
	struct pg_db *db = P(d);
	if (ensure(db) < 0)
		return -1;
	PGresult *res = PQexec(db->conn, "BEGIN; SELECT txid_current()");
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok)
		snprintf(db->xid, sizeof db->xid, "%s", PQgetvalue(res, 0, 0));
	else
		failed(db, res);
	PQclear(res);
	return ok ? 0 : -1;
}

static const char *pg_errmsg(struct sql_db *db)
{
	return P(db)->msg[0] ? P(db)->msg : "no error";
}

static int pg_error_is_full(struct sql_db *db)
{
	return strcmp(P(db)->sqlstate, "53100") == 0;
}

static int pg_is_down(struct sql_db *db)
{
	return P(db)->down;
}

static int64_t pg_changes(struct sql_db *db)
{
	return P(db)->changes;
}

static int64_t pg_last_insert_rowid(struct sql_db *d)
{
	/* The sequence value the last INSERT's id default took: the store asks right
	 * after an INSERT that added a row, in the same session. */
	struct pg_db *db = P(d);
	PGresult *res = PQexec(db->conn, "SELECT lastval()");
	int64_t id = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		failed(db, res);
	PQclear(res);
	return id;
}

static struct sql_stmt *pg_prepare(struct sql_db *db, const char *sql)
{
	struct pg_stmt *s = xcalloc(1, sizeof *s);
	s->base.db = db;
	s->sql = sql_pg_translate(sql, &s->nparams);
	if (s->nparams > 0) {
		s->vals = xcalloc((size_t)s->nparams, sizeof *s->vals);
		s->types = xcalloc((size_t)s->nparams, sizeof *s->types);
	}
	return &s->base;
}

static void pg_reset(struct sql_stmt *st)
{
	struct pg_stmt *s = PS(st);
	PQfreemem(s->blob);
	s->blob = NULL;
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
}

static void pg_clear_bindings(struct sql_stmt *st)
{
	struct pg_stmt *s = PS(st);
	for (int i = 0; i < s->nparams; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->types[i] = 0;
	}
}

static void pg_finalize(struct sql_stmt *st)
{
	struct pg_stmt *s = PS(st);
	pg_reset(st);
	pg_clear_bindings(st);
	free(s->vals);
	free(s->types);
	free(s->sql);
	free(s);
}

static void bind(struct pg_stmt *s, int i, char *v, Oid type)
{
	if (i < 1 || i > s->nparams) {
		log_error("store: parameter %d of %d bound: a bug (%s)", i, s->nparams, s->sql);
		free(v);
		return;
	}
	free(s->vals[i - 1]);
	s->vals[i - 1] = v;
	s->types[i - 1] = type;
}

static void pg_bind_int64(struct sql_stmt *st, int i, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	bind(PS(st), i, xstrdup(buf), OID_INT8);
}

static void pg_bind_text(struct sql_stmt *st, int i, const char *v)
{
	bind(PS(st), i, xstrdup(v), OID_TEXT);
}

static void pg_bind_null(struct sql_stmt *st, int i)
{
	/* Untyped: PostgreSQL takes the type from where the parameter is used (a NULL for
	 * "?8 IS NULL OR severity = ?8" is a bigint). */
	bind(PS(st), i, NULL, 0);
}

/* bytea in the text protocol: "\\x" and two hex digits a byte. */
static void pg_bind_blob(struct sql_stmt *st, int i, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = data;
	char *v = xmalloc(2 * len + 3);
	v[0] = '\\';
	v[1] = 'x';
	for (size_t k = 0; k < len; k++) {
		v[2 + 2 * k] = hex[b[k] >> 4];
		v[3 + 2 * k] = hex[b[k] & 15];
	}
	v[2 + 2 * len] = 0;
	bind(PS(st), i, v, OID_BYTEA);
}

static int pg_step(struct sql_stmt *st)
{
	struct pg_stmt *s = PS(st);
	struct pg_db *db = P(st->db);
	if (!s->res) {
		if (ensure(db) < 0)
			return SQL_ERROR;
		s->res = PQexecParams(db->conn, s->sql, s->nparams, s->types,
				      (const char *const *)s->vals, NULL, NULL, 0);
		ExecStatusType rs = PQresultStatus(s->res);
		if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
			failed(db, s->res);
			PQclear(s->res);
			s->res = NULL;
			return SQL_ERROR;
		}
		if (is_write(s->res))
			db->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
		s->nrows = rs == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
		s->row = -1;
	}
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows ? SQL_ROW : SQL_DONE;
}

static int has_value(struct pg_stmt *s, int i)
{
	return s->res && s->row >= 0 && s->row < s->nrows && i >= 0 && i < PQnfields(s->res) &&
	       !PQgetisnull(s->res, s->row, i);
}

static const char *pg_column_text(struct sql_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	return has_value(s, i) ? PQgetvalue(s->res, s->row, i) : NULL;
}

static int64_t pg_column_int64(struct sql_stmt *st, int i)
{
	const char *v = pg_column_text(st, i);
	if (!v)
		return 0;
	/* A comparison in a SELECT list is a boolean here, an integer in SQLite. */
	if (strcmp(v, "t") == 0)
		return 1;
	if (strcmp(v, "f") == 0)
		return 0;
	return strtoll(v, NULL, 10);
}

static int pg_column_type(struct sql_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	if (!has_value(s, i))
		return SQL_NULL;
	switch (PQftype(s->res, i)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_NUMERIC:
		return SQL_INTEGER;
	default:
		return SQL_TEXT;
	}
}

static const void *pg_column_blob(struct sql_stmt *st, int i, size_t *len)
{
	struct pg_stmt *s = PS(st);
	*len = 0;
	const char *v = pg_column_text(st, i);
	if (!v)
		return NULL;
	PQfreemem(s->blob);
	s->blob = PQunescapeBytea((const unsigned char *)v, len);
	return s->blob;
}

static const struct sql_ops pg_ops = {
	.close = pg_close,
	.exec = pg_exec,
	.begin = pg_begin,
	.errmsg = pg_errmsg,
	.error_is_full = pg_error_is_full,
	.is_down = pg_is_down,
	.changes = pg_changes,
	.last_insert_rowid = pg_last_insert_rowid,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.clear_bindings = pg_clear_bindings,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.bind_blob = pg_bind_blob,
	.step = pg_step,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_type = pg_column_type,
	.column_blob = pg_column_blob,
};

/* NOTICEs (CREATE ... IF NOT EXISTS and the like) are not worth a log line. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int sql_pg_open(const char *url, struct sql_db **out, char *err, size_t errlen)
{
	/* The password may come from the environment rather than the URL or config. */
	const char *password = getenv("DESKBOT_STORE_PASSWORD");
	if (password && *password)
		log_add_secret(password);
	const char *keys[] = {"dbname", "password", "client_encoding", NULL};
	const char *vals[] = {url, password && *password ? password : NULL, "UTF8", NULL};
	if (!vals[1]) {
		keys[1] = "client_encoding";
		vals[1] = "UTF8";
		keys[2] = NULL;
	}
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		char why[256];
		snprintf(why, sizeof why, "%s", conn ? PQerrorMessage(conn) : "out of memory");
		why[strcspn(why, "\n")] = 0;
		/* The URL is not repeated: it may hold a password. */
		snprintf(err, errlen, "store: cannot connect to PostgreSQL: %s", why);
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, quiet_notice, NULL);
	struct pg_db *db = xcalloc(1, sizeof *db);
	db->base.ops = &pg_ops;
	db->base.backend = SQL_PG;
	db->conn = conn;
	*out = &db->base;
	return 0;
}
