/* Dispatch of the SQL seam (store_sql.h) to the connection's backend. */
#include "store_sql.h"

#include <string.h>

int sql_is_pg_url(const char *where)
{
	return where && (strncmp(where, "postgres://", 11) == 0 ||
			 strncmp(where, "postgresql://", 13) == 0);
}

int sql_open(const char *where, struct sql_db **out, char *err, size_t errlen)
{
	*out = NULL;
	if (sql_is_pg_url(where))
		return sql_pg_open(where, out, err, errlen);
	return sql_sqlite_open(where, out, err, errlen);
}

void sql_close(struct sql_db *db)
{
	if (db)
		db->ops->close(db);
}

enum sql_backend sql_backend(const struct sql_db *db)
{
	return db->backend;
}

int sql_exec(struct sql_db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int sql_begin(struct sql_db *db)
{
	return db->ops->begin(db);
}

const char *sql_errmsg(struct sql_db *db)
{
	return db->ops->errmsg(db);
}

int sql_error_is_full(struct sql_db *db)
{
	return db->ops->error_is_full(db);
}

int sql_is_down(struct sql_db *db)
{
	return db->ops->is_down(db);
}

int64_t sql_changes(struct sql_db *db)
{
	return db->ops->changes(db);
}

int64_t sql_last_insert_rowid(struct sql_db *db)
{
	return db->ops->last_insert_rowid(db);
}

struct sql_stmt *sql_prepare(struct sql_db *db, const char *sql)
{
	return db->ops->prepare(db, sql);
}

void sql_finalize(struct sql_stmt *s)
{
	if (s)
		s->db->ops->finalize(s);
}

void sql_reset(struct sql_stmt *s)
{
	s->db->ops->reset(s);
}

void sql_clear_bindings(struct sql_stmt *s)
{
	s->db->ops->clear_bindings(s);
}

void sql_bind_int64(struct sql_stmt *s, int i, int64_t v)
{
	s->db->ops->bind_int64(s, i, v);
}

void sql_bind_int(struct sql_stmt *s, int i, int v)
{
	s->db->ops->bind_int64(s, i, v);
}

void sql_bind_text(struct sql_stmt *s, int i, const char *v)
{
	if (v)
		s->db->ops->bind_text(s, i, v);
	else
		s->db->ops->bind_null(s, i);
}

void sql_bind_null(struct sql_stmt *s, int i)
{
	s->db->ops->bind_null(s, i);
}

int sql_step(struct sql_stmt *s)
{
	return s->db->ops->step(s);
}

int64_t sql_column_int64(struct sql_stmt *s, int i)
{
	return s->db->ops->column_int64(s, i);
}

int sql_column_int(struct sql_stmt *s, int i)
{
	return (int)s->db->ops->column_int64(s, i);
}

const char *sql_column_text(struct sql_stmt *s, int i)
{
	return s->db->ops->column_text(s, i);
}

int sql_column_type(struct sql_stmt *s, int i)
{
	return s->db->ops->column_type(s, i);
}

void sql_bind_blob(struct sql_stmt *s, int i, const void *data, size_t len)
{
	s->db->ops->bind_blob(s, i, data, len);
}

const void *sql_column_blob(struct sql_stmt *s, int i, size_t *len)
{
	return s->db->ops->column_blob(s, i, len);
}
