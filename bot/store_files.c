/* The files customers send (see store_files.h). */
#include "store_files.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "message.h"
#include "store.h"
#include "store_int.h"
#include "xalloc.h"

int store_file_add(struct store_tx *tx, int64_t case_id, const char *channel,
		   const struct chan_file *f, int64_t now)
{
	struct store *st = store__writer(tx, "store_file_add");
	if (!st)
		return -1;
	sqlite3_stmt *s = store__prep(
		st, "INSERT INTO case_files (case_id, line_id, channel, kind, ref, name, created_at) "
		    "VALUES (?1, coalesce((SELECT max(id) FROM case_lines WHERE case_id = ?1), 0), "
		    "?2, ?3, ?4, ?5, ?6)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_text(s, 2, channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, f->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, f->ref, -1, SQLITE_TRANSIENT);
	if (f->name)
		sqlite3_bind_text(s, 5, f->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, now);
	return store__step_done(st, s, "case file add");
}

int store_files_pending(struct store *st, int64_t after_id, int limit,
			void (*fn)(void *arg, const struct store_pending_file *f), void *arg)
{
	sqlite3_stmt *s = store__prep(st, "SELECT id, case_id, channel, kind, ref, attempts "
					  "FROM case_files WHERE state = 'pending' AND id > ? "
					  "ORDER BY id LIMIT ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, after_id);
	sqlite3_bind_int(s, 2, limit);
	int n = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_pending_file f = {
			.id = sqlite3_column_int64(s, 0),
			.case_id = sqlite3_column_int64(s, 1),
			.channel = (const char *)sqlite3_column_text(s, 2),
			.kind = (const char *)sqlite3_column_text(s, 3),
			.ref = (const char *)sqlite3_column_text(s, 4),
			.attempts = sqlite3_column_int(s, 5),
		};
		fn(arg, &f);
		n++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? n : -1;
}

int store_file_done(struct store_tx *tx, int64_t id, const char *mime, const void *data,
		    size_t len)
{
	struct store *st = store__writer(tx, "store_file_done");
	if (!st)
		return -1;
	sqlite3_stmt *s = store__prep(st, "UPDATE case_files SET state = 'ok', mime = ?2, "
					  "size = ?3, data = ?4, error = NULL WHERE id = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, mime, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)len);
	sqlite3_bind_blob64(s, 4, data, len, SQLITE_TRANSIENT);
	return store__step_done(st, s, "case file done");
}

int store_file_failed(struct store_tx *tx, int64_t id, const char *reason, int permanent,
		      int max_attempts)
{
	struct store *st = store__writer(tx, "store_file_failed");
	if (!st)
		return -1;
	sqlite3_stmt *s = store__prep(st, "UPDATE case_files SET attempts = attempts + 1, "
					  "error = ?2, state = CASE WHEN ?3 OR attempts + 1 >= ?4 "
					  "THEN 'failed' ELSE 'pending' END WHERE id = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, permanent != 0);
	sqlite3_bind_int(s, 4, max_attempts);
	return store__step_done(st, s, "case file failed");
}

static char *column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

int store_file_get(struct store *st, int64_t id, struct store_file *f)
{
	*f = (struct store_file){0};
	sqlite3_stmt *s = store__prep(st, "SELECT kind, state, coalesce(mime, ''), name, error, "
					  "data, case_id FROM case_files WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(f->kind, sizeof f->kind, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(f->state, sizeof f->state, "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(f->mime, sizeof f->mime, "%s", (const char *)sqlite3_column_text(s, 2));
		f->name = column_dup(s, 3);
		f->error = column_dup(s, 4);
		f->case_id = sqlite3_column_int64(s, 6);
		if (strcmp(f->state, "ok") == 0) {
			f->len = (size_t)sqlite3_column_bytes(s, 5);
			f->data = xmalloc(f->len ? f->len : 1);
			if (f->len)
				memcpy(f->data, sqlite3_column_blob(s, 5), f->len);
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void store_file_clear(struct store_file *f)
{
	free(f->name);
	free(f->error);
	free(f->data);
	*f = (struct store_file){0};
}
