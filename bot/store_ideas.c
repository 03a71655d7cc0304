/* The idea board's rows (see store_ideas.h). */
#include "store_ideas.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
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

static void bind_text_or_null(sqlite3_stmt *s, int col, const char *v)
{
	if (v)
		sqlite3_bind_text(s, col, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, col);
}

/* Steps a write statement and resets it: the rows it changed, or -1. */
static int step_write(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? sqlite3_changes(store__db(st)) : -1;
}

int store_idea_add(struct store_tx *tx, const struct idea_new *in, int64_t now, int64_t *id)
{
	struct store *st = store__writer(tx, "store_idea_add");
	if (!st)
		return -1;
	sqlite3_stmt *s = store__prep(st, "INSERT INTO ideas (channel, peer_id, user_id, author, "
					  "lang, what, why, created_at, updated_at) "
					  "VALUES (?,?,?,?,?,?,?,?,?)");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, in->channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, in->peer_id);
	sqlite3_bind_int64(s, 3, in->user_id);
	bind_text_or_null(s, 4, in->author);
	sqlite3_bind_text(s, 5, in->lang ? in->lang : "ru", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, in->what ? in->what : "", -1, SQLITE_TRANSIENT);
	bind_text_or_null(s, 7, in->why);
	sqlite3_bind_int64(s, 8, now);
	sqlite3_bind_int64(s, 9, now);
	if (step_write(st, s) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(store__db(st));
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
	sqlite3_stmt *s = store__prep(st, "INSERT OR IGNORE INTO idea_votes (idea_id, channel, "
					  "user_id, at) SELECT coalesce(merged_into, id), ?, ?, ? "
					  "FROM ideas WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, user);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, id);
	int n = step_write(st, s);
	if (n != 0)
		return n < 0 ? -1 : IDEA_VOTE_COUNTED;
	sqlite3_stmt *e = store__prep(st, "SELECT count(*) FROM ideas WHERE id = ?");
	if (!e)
		return -1;
	sqlite3_bind_int64(e, 1, id);
	int rc = sqlite3_step(e);
	int64_t found = rc == SQLITE_ROW ? sqlite3_column_int64(e, 0) : -1;
	sqlite3_reset(e);
	return found < 0 ? -1 : found ? IDEA_VOTE_AGAIN : IDEA_VOTE_NO_IDEA;
}

#define IDEA_COLUMNS                                                                          \
	"SELECT i.id, i.channel, i.peer_id, i.user_id, i.author, i.lang, i.what, i.why, "     \
	"i.status, i.unit, coalesce(i.merged_into, 0), i.created_at, i.updated_at, "         \
	"(SELECT count(*) FROM idea_votes v WHERE v.idea_id = i.id) AS votes FROM ideas i "

static char *column_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? xstrdup((const char *)t) : NULL;
}

static void read_idea(sqlite3_stmt *s, struct idea *out)
{
	out->id = sqlite3_column_int64(s, 0);
	out->channel = column_text(s, 1);
	out->peer_id = sqlite3_column_int64(s, 2);
	out->user_id = sqlite3_column_int64(s, 3);
	out->author = column_text(s, 4);
	out->lang = column_text(s, 5);
	out->what = column_text(s, 6);
	out->why = column_text(s, 7);
	out->status = column_text(s, 8);
	out->unit = column_text(s, 9);
	out->merged_into = sqlite3_column_int64(s, 10);
	out->created_at = sqlite3_column_int64(s, 11);
	out->updated_at = sqlite3_column_int64(s, 12);
	out->votes = sqlite3_column_int64(s, 13);
}

int store_idea_get(struct store *st, int64_t id, struct idea *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = store__prep(st, IDEA_COLUMNS "WHERE i.id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_idea(s, out);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_ideas_each(struct store *st, int top, int limit,
		     void (*fn)(void *arg, const struct idea *i), void *arg)
{
	sqlite3_stmt *s = top ? store__prep(st, IDEA_COLUMNS "WHERE i.merged_into IS NULL AND "
						"i.status NOT IN ('declined', 'done') "
						"ORDER BY votes DESC, i.id LIMIT ?")
			      : store__prep(st, IDEA_COLUMNS "ORDER BY votes DESC, i.id LIMIT ?");
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, limit);
	int n = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct idea i;
		read_idea(s, &i);
		fn(arg, &i);
		idea_free(&i);
		n++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? n : -1;
}

int store_idea_merge(struct store_tx *tx, int64_t from, int64_t into, int64_t now)
{
	struct store *st = store__writer(tx, "store_idea_merge");
	if (!st)
		return -1;
	if (from == into)
		return 0;
	sqlite3_stmt *ok = store__prep(st, "SELECT count(*) FROM ideas WHERE id IN (?, ?) AND "
					   "merged_into IS NULL");
	if (!ok)
		return -1;
	sqlite3_bind_int64(ok, 1, from);
	sqlite3_bind_int64(ok, 2, into);
	int rc = sqlite3_step(ok);
	int64_t both = rc == SQLITE_ROW ? sqlite3_column_int64(ok, 0) : -1;
	sqlite3_reset(ok);
	if (both < 0)
		return -1;
	if (both != 2)
		return 0;
	/* INSERT OR IGNORE: a customer who voted for both keeps one vote. */
	sqlite3_stmt *move = store__prep(st, "INSERT OR IGNORE INTO idea_votes (idea_id, channel, "
					     "user_id, at) SELECT ?, channel, user_id, at "
					     "FROM idea_votes WHERE idea_id = ?");
	sqlite3_stmt *drop = store__prep(st, "DELETE FROM idea_votes WHERE idea_id = ?");
	sqlite3_stmt *point = store__prep(st, "UPDATE ideas SET merged_into = ?, updated_at = ? "
					      "WHERE id = ? OR merged_into = ?");
	if (!move || !drop || !point)
		return -1;
	sqlite3_bind_int64(move, 1, into);
	sqlite3_bind_int64(move, 2, from);
	sqlite3_bind_int64(drop, 1, from);
	sqlite3_bind_int64(point, 1, into);
	sqlite3_bind_int64(point, 2, now);
	sqlite3_bind_int64(point, 3, from);
	sqlite3_bind_int64(point, 4, from);
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
	sqlite3_stmt *s = store__prep(st, "UPDATE ideas SET status = ?, updated_at = ? "
					  "WHERE id = ? AND status <> ?");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, id);
	sqlite3_bind_text(s, 4, status, -1, SQLITE_TRANSIENT);
	int n = step_write(st, s);
	return n < 0 ? -1 : n > 0;
}

int store_idea_route(struct store_tx *tx, int64_t id, const char *unit, int64_t now)
{
	struct store *st = store__writer(tx, "store_idea_route");
	if (!st)
		return -1;
	sqlite3_stmt *s = store__prep(st, "UPDATE ideas SET unit = ?, updated_at = ? WHERE id = ?");
	if (!s)
		return -1;
	bind_text_or_null(s, 1, unit);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, id);
	int n = step_write(st, s);
	return n < 0 ? -1 : n > 0;
}

cJSON *store_idea_audit(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store__prep(st, "SELECT at, actor, action, detail FROM audit WHERE "
					  "case_id IS NULL AND action LIKE 'idea\\_%' ESCAPE '\\' "
					  "AND substr(detail, 1, length(?1)) = ?1 ORDER BY id");
	if (!s)
		return NULL;
	char prefix[40];
	snprintf(prefix, sizeof prefix, "idea %" PRId64 ": ", id);
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_TRANSIENT);
	cJSON *arr = cJSON_CreateArray();
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(s, 0));
		cJSON_AddStringToObject(o, "actor", (const char *)sqlite3_column_text(s, 1));
		cJSON_AddStringToObject(o, "action", (const char *)sqlite3_column_text(s, 2));
		cJSON_AddStringToObject(o, "detail", (const char *)sqlite3_column_text(s, 3));
		cJSON_AddItemToArray(arr, o);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}
