/* Misses and the changes made from them (see store_misses.h). */
#include "store_misses.h"

#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_sql.h"
#include "xalloc.h"

static void bind_text_or_null(struct sql_stmt *s, int col, const char *v)
{
	if (v)
		sql_bind_text(s, col, v);
	else
		sql_bind_null(s, col);
}

/* Steps a write statement and resets it: the rows it changed, or -1. */
static int step_write(struct store *st, struct sql_stmt *s)
{
	int rc = sql_step(s);
	sql_reset(s);
	return rc == SQL_DONE ? (int)sql_changes(store__db(st)) : -1;
}

int store_miss_add(struct store_tx *tx, const struct miss *m)
{
	struct store *st = store__writer(tx, "store_miss_add");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "INSERT INTO misses (at, channel, text, outcome, "
					  "intent, score_milli, replyset_version) "
					  "VALUES (?,?,?,?,?,?,?)");
	if (!s)
		return -1;
	/* Bounded, cut where a UTF-8 character starts. */
	const char *text = m->text ? m->text : "";
	size_t len = strlen(text);
	char *cut = NULL;
	if (len > MISS_TEXT_MAX) {
		len = MISS_TEXT_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
		cut = xstrndup(text, len);
	}
	sql_bind_int64(s, 1, m->at);
	sql_bind_text(s, 2, m->channel ? m->channel : "");
	sql_bind_text(s, 3, cut ? cut : text);
	sql_bind_text(s, 4, m->outcome);
	bind_text_or_null(s, 5, m->intent);
	sql_bind_int64(s, 6, (int64_t)(m->score * 1000 + 0.5));
	bind_text_or_null(s, 7, m->replyset_version);
	int rc = step_write(st, s);
	free(cut);
	return rc < 0 ? -1 : 0;
}

int store_misses_each(struct store *st, int64_t since, const char *outcome, int limit,
		      void (*fn)(void *arg, const struct miss *m), void *arg)
{
	struct sql_stmt *s = store__prep(st, "SELECT id, at, channel, text, outcome, intent, "
					  "score_milli, replyset_version FROM misses "
					  "WHERE at >= ? AND change_id = 0 AND outcome LIKE ? "
					  "ORDER BY id DESC LIMIT ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, since);
	sql_bind_text(s, 2, outcome && *outcome ? outcome : "%");
	sql_bind_int(s, 3, limit);
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		struct miss m = {
			.id = sql_column_int64(s, 0),
			.at = sql_column_int64(s, 1),
			.channel = sql_column_text(s, 2),
			.text = sql_column_text(s, 3),
			.outcome = sql_column_text(s, 4),
			.intent = sql_column_text(s, 5),
			.score = (double)sql_column_int64(s, 6) / 1000.0,
			.replyset_version = sql_column_text(s, 7),
		};
		fn(arg, &m);
		n++;
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}

int store_miss_text(struct store *st, int64_t id, char **text)
{
	*text = NULL;
	struct sql_stmt *s = store__prep(st, "SELECT text FROM misses WHERE id = ? AND "
					  "change_id = 0");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		*text = xstrdup(sql_column_text(s, 0) ? sql_column_text(s, 0) : "");
	sql_reset(s);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

int store_misses_attach_ids(struct store_tx *tx, const int64_t *ids, size_t n, int64_t change)
{
	struct store *st = store__writer(tx, "store_misses_attach_ids");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE misses SET change_id = ? WHERE id = ? AND "
					  "change_id = 0");
	if (!s)
		return -1;
	int total = 0;
	for (size_t i = 0; i < n; i++) {
		sql_bind_int64(s, 1, change);
		sql_bind_int64(s, 2, ids[i]);
		int k = step_write(st, s);
		if (k < 0)
			return -1;
		total += k;
	}
	return total;
}

int store_misses_attach_text(struct store_tx *tx, const char *text, int64_t change)
{
	struct store *st = store__writer(tx, "store_misses_attach_text");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE misses SET change_id = ? WHERE text = ? AND "
					  "change_id = 0");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, change);
	sql_bind_text(s, 2, text);
	return step_write(st, s);
}

int store_misses_detach(struct store_tx *tx, int64_t change)
{
	struct store *st = store__writer(tx, "store_misses_detach");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE misses SET change_id = 0 WHERE change_id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, change);
	return step_write(st, s);
}

void miss_change_free(struct miss_change *c)
{
	if (!c)
		return;
	free(c->actor);
	free(c->action);
	free(c->intent);
	free(c->file);
	free(c->before);
	free(c->after);
	free(c->after_sha);
	free(c->diff);
	memset(c, 0, sizeof *c);
}

int store_miss_change_add(struct store_tx *tx, const struct miss_change *c, int64_t *id)
{
	struct store *st = store__writer(tx, "store_miss_change_add");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "INSERT INTO miss_changes (at, actor, action, intent, "
					  "file, before, after, after_sha, diff) "
					  "VALUES (?,?,?,?,?,?,?,?,?)");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, c->at);
	sql_bind_text(s, 2, c->actor);
	sql_bind_text(s, 3, c->action);
	sql_bind_text(s, 4, c->intent);
	sql_bind_text(s, 5, c->file);
	bind_text_or_null(s, 6, c->before);
	sql_bind_text(s, 7, c->after);
	sql_bind_text(s, 8, c->after_sha);
	sql_bind_text(s, 9, c->diff);
	if (step_write(st, s) < 0)
		return -1;
	*id = sql_last_insert_rowid(store__db(st));
	return 0;
}

static char *column_text(struct sql_stmt *s, int col)
{
	const char *t = sql_column_text(s, col);
	return t ? xstrdup(t) : NULL;
}

#define CHANGE_COLUMNS                                                                        \
	"SELECT c.id, c.at, c.actor, c.action, c.intent, c.file, c.before, c.after, "         \
	"c.after_sha, c.diff, c.undone_at, "                                                  \
	"(SELECT count(*) FROM misses m WHERE m.change_id = c.id) FROM miss_changes c "

static void read_change(struct sql_stmt *s, struct miss_change *out)
{
	out->id = sql_column_int64(s, 0);
	out->at = sql_column_int64(s, 1);
	out->actor = column_text(s, 2);
	out->action = column_text(s, 3);
	out->intent = column_text(s, 4);
	out->file = column_text(s, 5);
	out->before = column_text(s, 6);
	out->after = column_text(s, 7);
	out->after_sha = column_text(s, 8);
	out->diff = column_text(s, 9);
	out->undone_at = sql_column_int64(s, 10);
	out->attached = sql_column_int64(s, 11);
}

int store_miss_change_get(struct store *st, int64_t id, struct miss_change *out)
{
	memset(out, 0, sizeof *out);
	struct sql_stmt *s = store__prep(st, CHANGE_COLUMNS "WHERE c.id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		read_change(s, out);
	sql_reset(s);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

int store_miss_changes_each(struct store *st, int limit,
			    void (*fn)(void *arg, const struct miss_change *c), void *arg)
{
	struct sql_stmt *s = store__prep(st, CHANGE_COLUMNS "ORDER BY c.id DESC LIMIT ?");
	if (!s)
		return -1;
	sql_bind_int(s, 1, limit);
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		struct miss_change c;
		read_change(s, &c);
		fn(arg, &c);
		miss_change_free(&c);
		n++;
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}

int store_miss_change_undo(struct store_tx *tx, int64_t id, int64_t now)
{
	struct store *st = store__writer(tx, "store_miss_change_undo");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE miss_changes SET undone_at = ? WHERE id = ? "
					  "AND undone_at = 0");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, now);
	sql_bind_int64(s, 2, id);
	return step_write(st, s);
}
