/* Wall comments' rows (see store_wall.h). */
#include "store_wall.h"

#include <stdio.h>
#include <stdlib.h>

#include "store_int.h"
#include "store.h"
#include "store_sql.h"

static int step_done(struct sql_stmt *s)
{
	int rc = sql_step(s);
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}

int store_wall_put(struct store_tx *tx, const char *channel, const struct chan_msg *m,
		   const char *reading, int64_t case_id, int64_t now)
{
	struct store *st = store__writer(tx, "store_wall_put");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(
		st, "INSERT OR IGNORE INTO wall_comments (channel, owner_id, post_id, comment_id, "
		    "from_id, reply_to_comment, text, reading, case_id, created_at) "
		    "VALUES (?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, m->wall.owner_id);
	sql_bind_int64(s, 3, m->wall.post_id);
	sql_bind_int64(s, 4, m->wall.comment_id);
	sql_bind_int64(s, 5, m->user_id);
	sql_bind_int64(s, 6, m->wall.reply_to_comment);
	sql_bind_text(s, 7, m->text ? m->text : "");
	sql_bind_text(s, 8, reading);
	sql_bind_int64(s, 9, case_id);
	sql_bind_int64(s, 10, now);
	if (step_done(s) < 0)
		return -1;
	return sql_changes(store__db(st)) > 0;
}

int store_wall_edit(struct store_tx *tx, const char *channel, const struct chan_msg *m,
		    int64_t now)
{
	struct store *st = store__writer(tx, "store_wall_edit");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE wall_comments SET text = ?, edited_at = ? "
					  "WHERE channel = ? AND owner_id = ? AND comment_id = ?");
	if (!s)
		return -1;
	sql_bind_text(s, 1, m->text ? m->text : "");
	sql_bind_int64(s, 2, now);
	sql_bind_text(s, 3, channel);
	sql_bind_int64(s, 4, m->wall.owner_id);
	sql_bind_int64(s, 5, m->wall.comment_id);
	if (step_done(s) < 0)
		return -1;
	return sql_changes(store__db(st)) > 0;
}

int store_wall_delete(struct store_tx *tx, const char *channel, const struct chan_msg *m,
		      int64_t now)
{
	struct store *st = store__writer(tx, "store_wall_delete");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE wall_comments SET deleted_at = ? "
					  "WHERE channel = ? AND owner_id = ? AND comment_id = ? "
					  "AND deleted_at IS NULL");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, now);
	sql_bind_text(s, 2, channel);
	sql_bind_int64(s, 3, m->wall.owner_id);
	sql_bind_int64(s, 4, m->wall.comment_id);
	if (step_done(s) < 0)
		return -1;
	/* The replies still waiting end as failed through the outbox's own mark, which
	 * keeps its pending count right. */
	struct sql_stmt *c = store__prep(
		st, "SELECT id FROM outbox WHERE channel = ? AND kind = 'wall_reply' AND "
		    "status = 'pending' AND CAST(json_extract(extra, '$.owner_id') AS BIGINT) = ? "
		    "AND CAST(json_extract(extra, '$.comment_id') AS BIGINT) = ? LIMIT 64");
	if (!c)
		return -1;
	sql_bind_text(c, 1, channel);
	sql_bind_int64(c, 2, m->wall.owner_id);
	sql_bind_int64(c, 3, m->wall.comment_id);
	int64_t ids[64];
	int n = 0, rc;
	while ((rc = sql_step(c)) == SQL_ROW)
		ids[n++] = sql_column_int64(c, 0);
	sql_reset(c);
	if (rc != SQL_DONE)
		return -1;
	for (int i = 0; i < n; i++)
		if (store_outbox_mark_failed(tx, ids[i], "comment deleted", now * 1000) < 0)
			return -1;
	return n;
}

int store_wall_deleted(struct store *st, const char *channel, int64_t owner, int64_t comment)
{
	struct sql_stmt *s = store__prep(st, "SELECT deleted_at IS NOT NULL FROM wall_comments "
					  "WHERE channel = ? AND owner_id = ? AND comment_id = ?");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, owner);
	sql_bind_int64(s, 3, comment);
	int rc = sql_step(s);
	int result = rc == SQL_ROW ? sql_column_int(s, 0) : rc == SQL_DONE ? 0 : -1;
	sql_reset(s);
	return result;
}

/* Adds the distinct authors of the thread whose reading matches (NULL: any). */
static int add_people(struct store *st, const char *channel, int64_t owner, int64_t post,
		      const char *reading, cJSON *arr)
{
	struct sql_stmt *s = store__prep(
		st, "SELECT DISTINCT from_id FROM wall_comments WHERE channel = ?1 AND "
		    "owner_id = ?2 AND post_id = ?3 AND deleted_at IS NULL AND "
		    "(CAST(?4 AS TEXT) IS NULL OR reading = CAST(?4 AS TEXT)) ORDER BY from_id");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, owner);
	sql_bind_int64(s, 3, post);
	if (reading)
		sql_bind_text(s, 4, reading);
	else
		sql_bind_null(s, 4);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)sql_column_int64(s, 0)));
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}

int store_wall_thread(struct store *st, const char *channel, int64_t owner, int64_t post,
		      cJSON *obj)
{
	struct sql_stmt *s = store__prep(st, "SELECT count(*) FROM wall_comments WHERE channel = ? "
					  "AND owner_id = ? AND post_id = ? AND deleted_at IS NULL");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, owner);
	sql_bind_int64(s, 3, post);
	int rc = sql_step(s);
	int64_t n = rc == SQL_ROW ? sql_column_int64(s, 0) : 0;
	sql_reset(s);
	if (rc != SQL_ROW)
		return -1;
	cJSON_AddNumberToObject(obj, "replies", (double)n);
	if (add_people(st, channel, owner, post, NULL, cJSON_AddArrayToObject(obj, "authors")) < 0 ||
	    add_people(st, channel, owner, post, "complaint",
		       cJSON_AddArrayToObject(obj, "complaining")) < 0 ||
	    add_people(st, channel, owner, post, "troll", cJSON_AddArrayToObject(obj, "trolls")) < 0)
		return -1;
	return 0;
}

static int add_comments(struct store *st, const char *channel, int64_t owner, int64_t post,
			cJSON *arr)
{
	struct sql_stmt *s = store__prep(
		st, "SELECT w.comment_id, w.from_id, w.text, w.reading, w.case_id, "
		    "w.deleted_at IS NOT NULL, coalesce(u.followers, -1) FROM wall_comments w "
		    "LEFT JOIN customers u ON u.channel = w.channel AND u.user_id = w.from_id "
		    "WHERE w.channel = ? AND w.owner_id = ? AND w.post_id = ? "
		    "ORDER BY w.comment_id");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, owner);
	sql_bind_int64(s, 3, post);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "comment_id", (double)sql_column_int64(s, 0));
		cJSON_AddNumberToObject(c, "from_id", (double)sql_column_int64(s, 1));
		cJSON_AddStringToObject(c, "text", sql_column_text(s, 2));
		cJSON_AddStringToObject(c, "reading", sql_column_text(s, 3));
		cJSON_AddNumberToObject(c, "case_id", (double)sql_column_int64(s, 4));
		cJSON_AddBoolToObject(c, "deleted", sql_column_int(s, 5));
		/* The author's reach as the profile says it now (it may arrive after the
		 * comment). */
		cJSON_AddNumberToObject(c, "followers", (double)sql_column_int64(s, 6));
		cJSON_AddItemToArray(arr, c);
	}
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}

int store_wall_open_threads(struct store *st, cJSON *arr)
{
	struct sql_stmt *s = store__prep(
		st, store__pick(st,
				"SELECT w.owner_id, w.post_id, group_concat(DISTINCT w.case_id), "
				"max(w.created_at) AS last, w.channel FROM wall_comments w "
				"JOIN cases c ON c.id = w.case_id "
				"WHERE c.status IN ('new', 'claimed', 'waiting') "
				"GROUP BY w.channel, w.owner_id, w.post_id ORDER BY last DESC LIMIT 100",
				"SELECT w.owner_id, w.post_id, string_agg(DISTINCT w.case_id::text, ','), "
				"max(w.created_at) AS last, w.channel FROM wall_comments w "
				"JOIN cases c ON c.id = w.case_id "
				"WHERE c.status IN ('new', 'claimed', 'waiting') "
				"GROUP BY w.channel, w.owner_id, w.post_id ORDER BY last DESC LIMIT 100"));
	if (!s)
		return -1;
	/* Read the threads first: the per-thread queries reuse the cached statements. */
	struct {
		int64_t owner, post;
		char cases[256];
		char channel[48];
	} t[100];
	size_t n = 0;
	int rc;
	while (n < 100 && (rc = sql_step(s)) == SQL_ROW) {
		t[n].owner = sql_column_int64(s, 0);
		t[n].post = sql_column_int64(s, 1);
		snprintf(t[n].cases, sizeof t[n].cases, "%s", sql_column_text(s, 2));
		snprintf(t[n].channel, sizeof t[n].channel, "%s",
			 sql_column_text(s, 4));
		n++;
	}
	sql_reset(s);
	for (size_t i = 0; i < n; i++) {
		const char *channel = t[i].channel;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "channel", channel);
		cJSON_AddNumberToObject(o, "owner_id", (double)t[i].owner);
		cJSON_AddNumberToObject(o, "post_id", (double)t[i].post);
		cJSON *ids = cJSON_AddArrayToObject(o, "case_ids");
		for (const char *p = t[i].cases; *p;) {
			char *end;
			long long v = strtoll(p, &end, 10);
			if (end == p)
				break;
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)v));
			p = *end == ',' ? end + 1 : end;
		}
		cJSON_AddItemToArray(arr, o);
		if (store_wall_thread(st, channel, t[i].owner, t[i].post, o) < 0 ||
		    add_comments(st, channel, t[i].owner, t[i].post,
				 cJSON_AddArrayToObject(o, "comments")) < 0)
			return -1;
	}
	return 0;
}

int store_wall_comment(struct store *st, int64_t comment_id, char *channel, size_t channel_len,
		       int64_t *owner, int64_t *post, int64_t *from)
{
	struct sql_stmt *s = store__prep(st, "SELECT channel, owner_id, post_id, from_id FROM "
					  "wall_comments WHERE comment_id = ? LIMIT 1");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, comment_id);
	int rc = sql_step(s);
	if (rc == SQL_ROW) {
		snprintf(channel, channel_len, "%s", sql_column_text(s, 0));
		*owner = sql_column_int64(s, 1);
		*post = sql_column_int64(s, 2);
		*from = sql_column_int64(s, 3);
	}
	sql_reset(s);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

int store_wall_set_case(struct store_tx *tx, const char *channel, const struct chan_msg *m,
			int64_t case_id)
{
	struct store *st = store__writer(tx, "store_wall_set_case");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE wall_comments SET case_id = ? "
					  "WHERE channel = ? AND owner_id = ? AND comment_id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, channel);
	sql_bind_int64(s, 3, m->wall.owner_id);
	sql_bind_int64(s, 4, m->wall.comment_id);
	return step_done(s);
}
