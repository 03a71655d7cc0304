/* deskbot store copy (store_copy.h): the source's tables, found in its own schema, each
 * read in one snapshot and written with INSERT OR IGNORE (ON CONFLICT DO NOTHING on
 * PostgreSQL), so a new table in a later migration is copied without a change here. */
#include "store_copy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "store.h"
#include "store_int.h"

/* The source's tables in creation order (which is the order their references need),
 * without SQLite's own and the full-text index (a virtual table and its shadow tables). */
static int list_tables(struct sql_db *src, struct store_copy_report *rep, char *err,
		       size_t errlen)
{
	struct sql_stmt *s = sql_prepare(
		src, "SELECT t.name FROM sqlite_master t WHERE t.type = 'table'"
		     " AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
		     " AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table'"
		     "   AND v.sql LIKE 'CREATE VIRTUAL TABLE%'"
		     "   AND (t.name = v.name OR t.name LIKE v.name || '\\_%' ESCAPE '\\'))"
		     " ORDER BY t.rowid");
	if (!s) {
		snprintf(err, errlen, "store copy: cannot list the source's tables: %s",
			 sql_errmsg(src));
		return -1;
	}
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		const char *name = sql_column_text(s, 0);
		if (rep->n == STORE_COPY_MAX_TABLES || strlen(name) >= sizeof rep->tables[0].name ||
		    strchr(name, '"')) {
			snprintf(err, errlen, "store copy: cannot copy table \"%s\" (too many "
				 "tables or an unusual name)", name);
			sql_finalize(s);
			return -1;
		}
		snprintf(rep->tables[rep->n++].name, sizeof rep->tables[0].name, "%s", name);
	}
	sql_finalize(s);
	if (rc != SQL_DONE) {
		snprintf(err, errlen, "store copy: cannot list the source's tables: %s",
			 sql_errmsg(src));
		return -1;
	}
	return 0;
}

/* "SELECT a, b FROM t" and "INSERT OR IGNORE INTO t (a, b) VALUES (?1, ?2)". */
static int build_sql(struct sql_db *src, const char *table, struct buf *sel, struct buf *ins,
		     int *ncols)
{
	struct sql_stmt *s = sql_prepare(src, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
	if (!s)
		return -1;
	sql_bind_text(s, 1, table);
	struct buf cols = {0};
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		const char *c = sql_column_text(s, 0);
		if (strchr(c, '"'))
			break;
		buf_printf(&cols, "%s\"%s\"", n ? ", " : "", c);
		n++;
	}
	sql_finalize(s);
	if (rc != SQL_DONE || n == 0) {
		buf_free(&cols);
		return -1;
	}
	buf_printf(sel, "SELECT %s FROM \"%s\"", cols.data, table);
	buf_printf(ins, "INSERT OR IGNORE INTO \"%s\" (%s) VALUES (", table, cols.data);
	for (int i = 1; i <= n; i++)
		buf_printf(ins, "%s?%d", i > 1 ? ", " : "", i);
	buf_printf(ins, ")");
	buf_free(&cols);
	*ncols = n;
	return 0;
}

static void bind_column(struct sql_stmt *from, int i, struct sql_stmt *to)
{
	switch (sql_column_type(from, i)) {
	case SQL_NULL:
		sql_bind_null(to, i + 1);
		break;
	case SQL_INTEGER:
		sql_bind_int64(to, i + 1, sql_column_int64(from, i));
		break;
	case SQL_BLOB: {
		size_t len = 0;
		const void *data = sql_column_blob(from, i, &len);
		sql_bind_blob(to, i + 1, data ? data : "", len);
		break;
	}
	default:
		sql_bind_text(to, i + 1, sql_column_text(from, i));
	}
}

static int copy_table(struct sql_db *src, struct sql_db *dst, struct store_copy_table *t,
		      char *err, size_t errlen)
{
	struct buf sel = {0}, ins = {0};
	int ncols = 0, rc = -1;
	struct sql_stmt *r = NULL, *w = NULL;
	if (build_sql(src, t->name, &sel, &ins, &ncols) < 0) {
		snprintf(err, errlen, "store copy: cannot read the columns of %s: %s", t->name,
			 sql_errmsg(src));
		goto out;
	}
	if (!(r = sql_prepare(src, sel.data))) {
		snprintf(err, errlen, "store copy: cannot read %s: %s", t->name, sql_errmsg(src));
		goto out;
	}
	if (!(w = sql_prepare(dst, ins.data))) {
		snprintf(err, errlen, "store copy: the destination cannot take %s: %s", t->name,
			 sql_errmsg(dst));
		goto out;
	}
	int step;
	while ((step = sql_step(r)) == SQL_ROW) {
		sql_reset(w);
		sql_clear_bindings(w);
		for (int i = 0; i < ncols; i++)
			bind_column(r, i, w);
		if (sql_step(w) != SQL_DONE) {
			snprintf(err, errlen, "store copy: %s, row %lld: %s", t->name,
				 (long long)t->rows + 1, sql_errmsg(dst));
			goto out;
		}
		t->rows++;
		t->copied += sql_changes(dst);
	}
	if (step != SQL_DONE) {
		snprintf(err, errlen, "store copy: reading %s: %s", t->name, sql_errmsg(src));
		goto out;
	}
	rc = 0;
out:
	sql_finalize(r);
	sql_finalize(w);
	buf_free(&sel);
	buf_free(&ins);
	return rc;
}

/* PostgreSQL's BIGSERIAL ids do not follow ids inserted as values: each sequence is set
 * past its column's largest id, or the destination's next message would collide with a
 * copied one. The count, or -1. */
static int move_sequences(struct sql_db *dst, char *err, size_t errlen)
{
	struct sql_stmt *s = sql_prepare(
		dst, "SELECT table_name, column_name FROM information_schema.columns"
		     " WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'"
		     " ORDER BY table_name");
	if (!s) {
		snprintf(err, errlen, "store copy: cannot list the sequences: %s", sql_errmsg(dst));
		return -1;
	}
	struct buf all = {0};
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		const char *t = sql_column_text(s, 0), *c = sql_column_text(s, 1);
		if (strchr(t, '"') || strchr(t, '\'') || strchr(c, '"') || strchr(c, '\''))
			continue;
		buf_printf(&all, "%s(SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'),"
			   " (SELECT coalesce(max(\"%s\"), 0) + 1 FROM \"%s\"), false))",
			   n ? ", " : "SELECT ", t, c, c, t);
		n++;
	}
	sql_finalize(s);
	if (rc != SQL_DONE) {
		snprintf(err, errlen, "store copy: cannot list the sequences: %s", sql_errmsg(dst));
		buf_free(&all);
		return -1;
	}
	if (n > 0) {
		struct sql_stmt *set = sql_prepare(dst, all.data);
		rc = set ? sql_step(set) : SQL_ERROR;
		sql_finalize(set);
		if (rc != SQL_ROW) {
			snprintf(err, errlen, "store copy: cannot set the sequences: %s",
				 sql_errmsg(dst));
			n = -1;
		}
	}
	buf_free(&all);
	return n;
}

/* A destination with messages or cases under another salt is another store. */
static int check_lineage(struct store *src, struct store *dst, int *adopt_salt, char *err,
			 size_t errlen)
{
	int64_t salt = store_salt(src);
	*adopt_salt = salt != store_salt(dst);
	if (!*adopt_salt)
		return 0;
	int64_t n = store__scalar(dst, "SELECT (SELECT count(*) FROM inbound) + "
				       "(SELECT count(*) FROM cases) + (SELECT count(*) FROM outbox)");
	if (n != 0) {
		snprintf(err, errlen, "store copy: the destination already holds a store of its own "
			 "(%lld messages and cases that did not come from this source); "
			 "copy into a new database, or one this source was copied into before",
			 (long long)n);
		return -1;
	}
	return 0;
}

static int copy_all(struct store *src, struct store *dst, struct store_copy_report *rep,
		    char *err, size_t errlen)
{
	struct sql_db *sdb = store__db(src), *ddb = store__db(dst);
	int adopt_salt = 0;
	if (check_lineage(src, dst, &adopt_salt, err, errlen) < 0 ||
	    list_tables(sdb, rep, err, errlen) < 0)
		return -1;
	/* One read snapshot of the source (a daemon still writing it changes nothing we
	 * read), one transaction at the destination. */
	if (sql_exec(sdb, "BEGIN") < 0 || sql_begin(ddb) < 0) {
		snprintf(err, errlen, "store copy: cannot begin: %s / %s", sql_errmsg(sdb),
			 sql_errmsg(ddb));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < rep->n && rc == 0; i++) {
		rc = copy_table(sdb, ddb, &rep->tables[i], err, errlen);
		rep->rows += rep->tables[i].rows;
		rep->copied += rep->tables[i].copied;
	}
	/* The salt makes VK's random_id: a reply resent after the move must carry the id it
	 * had before, or VK would show it twice. */
	if (rc == 0 && adopt_salt) {
		struct sql_stmt *s = sql_prepare(ddb, "UPDATE meta SET value = ?1 WHERE key = 'salt'");
		char v[32];
		snprintf(v, sizeof v, "%lld", (long long)store_salt(src));
		if (s)
			sql_bind_text(s, 1, v);
		if (!s || sql_step(s) != SQL_DONE) {
			snprintf(err, errlen, "store copy: cannot carry the salt over: %s",
				 sql_errmsg(ddb));
			rc = -1;
		}
		sql_finalize(s);
	}
	if (rc == 0 && sql_backend(ddb) == SQL_PG) {
		rep->sequences = move_sequences(ddb, err, errlen);
		rc = rep->sequences < 0 ? -1 : 0;
	}
	if (rc == 0 && sql_exec(ddb, "COMMIT") < 0) {
		snprintf(err, errlen, "store copy: the destination did not commit: %s",
			 sql_errmsg(ddb));
		rc = -1;
	}
	if (rc != 0)
		sql_exec(ddb, "ROLLBACK");
	sql_exec(sdb, "COMMIT");
	return rc;
}

static int same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

int store_copy(const char *from, const char *to, struct store_copy_report *rep, char *err,
	       size_t errlen)
{
	memset(rep, 0, sizeof *rep);
	if (sql_is_pg_url(from)) {
		snprintf(err, errlen, "store copy: --from must be a SQLite file");
		return -1;
	}
	if (access(from, R_OK) != 0) {
		snprintf(err, errlen, "store copy: cannot read %s: %s", from, strerror(errno));
		return -1;
	}
	if (!sql_is_pg_url(to) && same_file(from, to)) {
		snprintf(err, errlen, "store copy: --from and --to are the same file");
		return -1;
	}
	struct store *src = NULL, *dst = NULL;
	if (store_open(from, &src, err, errlen) < 0)
		return -1;
	if (store_open(to, &dst, err, errlen) < 0) {
		store_close(src);
		return -1;
	}
	int rc = copy_all(src, dst, rep, err, errlen);
	store_close(dst);
	store_close(src);
	return rc;
}
