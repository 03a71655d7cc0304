/* The files customers send (see store_files.h). */
#include "store_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "message.h"
#include "store.h"
#include "store_int.h"
#include "store_sql.h"
#include "xalloc.h"

int store_file_add(struct store_tx *tx, int64_t case_id, const char *channel,
		   const struct chan_file *f, int64_t now)
{
	struct store *st = store__writer(tx, "store_file_add");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(
		st, "INSERT INTO case_files (case_id, line_id, channel, kind, ref, name, created_at) "
		    "VALUES (?1, coalesce((SELECT last_line_id FROM cases WHERE id = ?1), 0), "
		    "?2, ?3, ?4, ?5, ?6)");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, channel);
	sql_bind_text(s, 3, f->kind);
	sql_bind_text(s, 4, f->ref);
	if (f->name)
		sql_bind_text(s, 5, f->name);
	sql_bind_int64(s, 6, now);
	return store__step_done(st, s, "case file add");
}

int store_file_add_out(struct store_tx *tx, int64_t case_id, const char *channel,
		       const char *kind, const char *approved_id, const char *name,
		       const char *mime, const void *data, size_t len, int64_t now, int64_t *id)
{
	struct store *st = store__writer(tx, "store_file_add_out");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(
		st, "INSERT INTO case_files (case_id, line_id, channel, kind, ref, name, state, mime, "
		    "size, data, created_at) VALUES (?1, coalesce((SELECT last_line_id FROM cases "
		    "WHERE id = ?1), 0), ?2, ?3, ?4, ?5, 'ok', ?6, ?7, ?8, ?9)");
	if (!s)
		return -1;
	char ref[96];
	snprintf(ref, sizeof ref, "out:%s", approved_id);
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, channel);
	sql_bind_text(s, 3, kind);
	sql_bind_text(s, 4, ref);
	sql_bind_text(s, 5, name);
	sql_bind_text(s, 6, mime);
	sql_bind_int64(s, 7, (int64_t)len);
	sql_bind_blob(s, 8, data, len);
	sql_bind_int64(s, 9, now);
	if (store__step_done(st, s, "case file add out") < 0)
		return -1;
	*id = sql_last_insert_rowid(store__db(st));
	return 0;
}

int store_file_out_failed(struct store *st, int64_t id, const char *reason)
{
	struct sql_stmt *s = store__prep(st, "UPDATE case_files SET error = ?2 WHERE id = ?1 "
					  "AND ref LIKE 'out:%'");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	sql_bind_text(s, 2, reason);
	return store__write_unit(st, s, "case file out failed");
}

int store_files_pending(struct store *st, int64_t after_id, int limit,
			void (*fn)(void *arg, const struct store_pending_file *f), void *arg)
{
	struct sql_stmt *s = store__prep(st, "SELECT id, case_id, channel, kind, ref, attempts "
					  "FROM case_files WHERE state = 'pending' AND id > ? "
					  "ORDER BY id LIMIT ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, after_id);
	sql_bind_int(s, 2, limit);
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		struct store_pending_file f = {
			.id = sql_column_int64(s, 0),
			.case_id = sql_column_int64(s, 1),
			.channel = (const char *)sql_column_text(s, 2),
			.kind = (const char *)sql_column_text(s, 3),
			.ref = (const char *)sql_column_text(s, 4),
			.attempts = sql_column_int(s, 5),
		};
		fn(arg, &f);
		n++;
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}

int store_file_done(struct store_tx *tx, int64_t id, const char *mime, const void *data,
		    size_t len)
{
	struct store *st = store__writer(tx, "store_file_done");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE case_files SET state = 'ok', mime = ?2, "
					  "size = ?3, data = ?4, error = NULL WHERE id = ?1");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	sql_bind_text(s, 2, mime);
	sql_bind_int64(s, 3, (int64_t)len);
	sql_bind_blob(s, 4, data, len);
	return store__step_done(st, s, "case file done");
}

int store_file_failed(struct store_tx *tx, int64_t id, const char *reason, int permanent,
		      int max_attempts)
{
	struct store *st = store__writer(tx, "store_file_failed");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE case_files SET attempts = attempts + 1, "
					  "error = ?2, state = CASE WHEN ?3 <> 0 OR attempts + 1 >= ?4 "
					  "THEN 'failed' ELSE 'pending' END WHERE id = ?1");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	sql_bind_text(s, 2, reason);
	sql_bind_int(s, 3, permanent != 0);
	sql_bind_int(s, 4, max_attempts);
	return store__step_done(st, s, "case file failed");
}

static char *column_dup(struct sql_stmt *s, int i)
{
	const char *t = sql_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

int store_file_get(struct store *st, int64_t id, struct store_file *f)
{
	*f = (struct store_file){0};
	struct sql_stmt *s = store__prep(st, "SELECT kind, state, coalesce(mime, ''), name, error, "
					  "data, case_id FROM case_files WHERE id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	int rc = sql_step(s);
	if (rc == SQL_ROW) {
		snprintf(f->kind, sizeof f->kind, "%s", (const char *)sql_column_text(s, 0));
		snprintf(f->state, sizeof f->state, "%s", (const char *)sql_column_text(s, 1));
		snprintf(f->mime, sizeof f->mime, "%s", (const char *)sql_column_text(s, 2));
		f->name = column_dup(s, 3);
		f->error = column_dup(s, 4);
		f->case_id = sql_column_int64(s, 6);
		if (strcmp(f->state, "ok") == 0) {
			const void *bytes = sql_column_blob(s, 5, &f->len);
			f->data = xmalloc(f->len ? f->len : 1);
			if (f->len)
				memcpy(f->data, bytes, f->len);
		}
	}
	sql_reset(s);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

void store_file_clear(struct store_file *f)
{
	free(f->name);
	free(f->error);
	free(f->data);
	*f = (struct store_file){0};
}
