/* The idea board's rows (see store_ideas.h). */
#include "store_ideas.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_sql.h"
#include "xalloc.h"

int idea_status_valid(const char *s)
{
	static const char *const statuses[] = {"new", "review", "planned", "done", "declined"};
	for (size_t i = 0; s && i < sizeof statuses / sizeof statuses[0]; i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

void idea_free(struct idea *i)
{
	if (!i)
		return;
	free(i->channel);
	free(i->author);
	free(i->lang);
	free(i->what);
	free(i->why);
	free(i->status);
	free(i->unit);
	memset(i, 0, sizeof *i);
}

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
	return rc == SQL_DONE ? sql_changes(store__db(st)) : -1;
}

int store_idea_add(struct store_tx *tx, const struct idea_new *in, int64_t now, int64_t *id)
{
	struct store *st = store__writer(tx, "store_idea_add");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "INSERT INTO ideas (channel, peer_id, user_id, author, "
					  "lang, what, why, created_at, updated_at) "
					  "VALUES (?,?,?,?,?,?,?,?,?)");
	if (!s)
		return -1;
	sql_bind_text(s, 1, in->channel);
	sql_bind_int64(s, 2, in->peer_id);
	sql_bind_int64(s, 3, in->user_id);
	bind_text_or_null(s, 4, in->author);
	sql_bind_text(s, 5, in->lang ? in->lang : "ru");
	sql_bind_text(s, 6, in->what ? in->what : "");
	bind_text_or_null(s, 7, in->why);
	sql_bind_int64(s, 8, now);
	sql_bind_int64(s, 9, now);
	if (step_write(st, s) < 0)
		return -1;
	*id = sql_last_insert_rowid(store__db(st));
	return 0;
}

int store_idea_vote(struct store_tx *tx, int64_t id, const char *channel, int64_t user,
		    int64_t now)
{
	struct store *st = store__writer(tx, "store_idea_vote");
	if (!st)
		return -1;
	/* A merged idea's button may still be on a customer's screen: the vote goes to
	 * what it was merged into. */
	struct sql_stmt *s = store__prep(st, "INSERT OR IGNORE INTO idea_votes (idea_id, channel, "
					  "user_id, at) SELECT coalesce(merged_into, id), ?, ?, ? "
					  "FROM ideas WHERE id = ?");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, user);
	sql_bind_int64(s, 3, now);
	sql_bind_int64(s, 4, id);
	int n = step_write(st, s);
	if (n != 0)
		return n < 0 ? -1 : IDEA_VOTE_COUNTED;
	struct sql_stmt *e = store__prep(st, "SELECT count(*) FROM ideas WHERE id = ?");
	if (!e)
		return -1;
	sql_bind_int64(e, 1, id);
	int rc = sql_step(e);
	int64_t found = rc == SQL_ROW ? sql_column_int64(e, 0) : -1;
	sql_reset(e);
	return found < 0 ? -1 : found ? IDEA_VOTE_AGAIN : IDEA_VOTE_NO_IDEA;
}

#define IDEA_COLUMNS                                                                          \
	"SELECT i.id, i.channel, i.peer_id, i.user_id, i.author, i.lang, i.what, i.why, "     \
	"i.status, i.unit, coalesce(i.merged_into, 0), i.created_at, i.updated_at, "         \
	"(SELECT count(*) FROM idea_votes v WHERE v.idea_id = i.id) AS votes FROM ideas i "

static char *column_text(struct sql_stmt *s, int col)
{
	const char *t = sql_column_text(s, col);
	return t ? xstrdup((const char *)t) : NULL;
}

static void read_idea(struct sql_stmt *s, struct idea *out)
{
	out->id = sql_column_int64(s, 0);
	out->channel = column_text(s, 1);
	out->peer_id = sql_column_int64(s, 2);
	out->user_id = sql_column_int64(s, 3);
	out->author = column_text(s, 4);
	out->lang = column_text(s, 5);
	out->what = column_text(s, 6);
	out->why = column_text(s, 7);
	out->status = column_text(s, 8);
	out->unit = column_text(s, 9);
	out->merged_into = sql_column_int64(s, 10);
	out->created_at = sql_column_int64(s, 11);
	out->updated_at = sql_column_int64(s, 12);
	out->votes = sql_column_int64(s, 13);
}

int store_idea_get(struct store *st, int64_t id, struct idea *out)
{
	memset(out, 0, sizeof *out);
	struct sql_stmt *s = store__prep(st, IDEA_COLUMNS "WHERE i.id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		read_idea(s, out);
	sql_reset(s);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

int store_ideas_each(struct store *st, int top, int limit,
		     void (*fn)(void *arg, const struct idea *i), void *arg)
{
	struct sql_stmt *s = top ? store__prep(st, IDEA_COLUMNS "WHERE i.merged_into IS NULL AND "
						"i.status NOT IN ('declined', 'done') "
						"ORDER BY votes DESC, i.id LIMIT ?")
			      : store__prep(st, IDEA_COLUMNS "ORDER BY votes DESC, i.id LIMIT ?");
	if (!s)
		return -1;
	sql_bind_int(s, 1, limit);
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		struct idea i;
		read_idea(s, &i);
		fn(arg, &i);
		idea_free(&i);
		n++;
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}

int store_idea_merge(struct store_tx *tx, int64_t from, int64_t into, int64_t now)
{
	struct store *st = store__writer(tx, "store_idea_merge");
	if (!st)
		return -1;
	if (from == into)
		return 0;
	struct sql_stmt *ok = store__prep(st, "SELECT count(*) FROM ideas WHERE id IN (?, ?) AND "
					   "merged_into IS NULL");
	if (!ok)
		return -1;
	sql_bind_int64(ok, 1, from);
	sql_bind_int64(ok, 2, into);
	int rc = sql_step(ok);
	int64_t both = rc == SQL_ROW ? sql_column_int64(ok, 0) : -1;
	sql_reset(ok);
	if (both < 0)
		return -1;
	if (both != 2)
		return 0;
	/* INSERT OR IGNORE: a customer who voted for both keeps one vote. */
	struct sql_stmt *move = store__prep(st, "INSERT OR IGNORE INTO idea_votes (idea_id, channel, "
					     "user_id, at) SELECT ?, channel, user_id, at "
					     "FROM idea_votes WHERE idea_id = ?");
	struct sql_stmt *drop = store__prep(st, "DELETE FROM idea_votes WHERE idea_id = ?");
	struct sql_stmt *point = store__prep(st, "UPDATE ideas SET merged_into = ?, updated_at = ? "
					      "WHERE id = ? OR merged_into = ?");
	if (!move || !drop || !point)
		return -1;
	sql_bind_int64(move, 1, into);
	sql_bind_int64(move, 2, from);
	sql_bind_int64(drop, 1, from);
	sql_bind_int64(point, 1, into);
	sql_bind_int64(point, 2, now);
	sql_bind_int64(point, 3, from);
	sql_bind_int64(point, 4, from);
	if (step_write(st, move) < 0 || step_write(st, drop) < 0 || step_write(st, point) < 0)
		return -1;
	return 1;
}

int store_idea_set_status(struct store_tx *tx, int64_t id, const char *status, int64_t now)
{
	struct store *st = store__writer(tx, "store_idea_set_status");
	if (!st)
		return -1;
	if (!idea_status_valid(status))
		return 0;
	struct sql_stmt *s = store__prep(st, "UPDATE ideas SET status = ?, updated_at = ? "
					  "WHERE id = ? AND status <> ?");
	if (!s)
		return -1;
	sql_bind_text(s, 1, status);
	sql_bind_int64(s, 2, now);
	sql_bind_int64(s, 3, id);
	sql_bind_text(s, 4, status);
	int n = step_write(st, s);
	return n < 0 ? -1 : n > 0;
}

int store_idea_route(struct store_tx *tx, int64_t id, const char *unit, int64_t now)
{
	struct store *st = store__writer(tx, "store_idea_route");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE ideas SET unit = ?, updated_at = ? WHERE id = ?");
	if (!s)
		return -1;
	bind_text_or_null(s, 1, unit);
	sql_bind_int64(s, 2, now);
	sql_bind_int64(s, 3, id);
	int n = step_write(st, s);
	return n < 0 ? -1 : n > 0;
}

cJSON *store_idea_audit(struct store *st, int64_t id)
{
	struct sql_stmt *s = store__prep(st, "SELECT at, actor, action, detail FROM audit WHERE "
					  "case_id IS NULL AND action LIKE 'idea\\_%' ESCAPE '\\' "
					  "AND substr(detail, 1, length(?1)) = ?1 ORDER BY id");
	if (!s)
		return NULL;
	char prefix[40];
	snprintf(prefix, sizeof prefix, "idea %" PRId64 ": ", id);
	sql_bind_text(s, 1, prefix);
	cJSON *arr = cJSON_CreateArray();
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "at", (double)sql_column_int64(s, 0));
		cJSON_AddStringToObject(o, "actor", (const char *)sql_column_text(s, 1));
		cJSON_AddStringToObject(o, "action", (const char *)sql_column_text(s, 2));
		cJSON_AddStringToObject(o, "detail", (const char *)sql_column_text(s, 3));
		cJSON_AddItemToArray(arr, o);
	}
	sql_reset(s);
	if (rc != SQL_DONE) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}
