/* The console's tables and queries (see store_console.h). Part of the store: statements
 * used on every message are cached (store__prep); the admin figures, asked for rarely,
 * are prepared and finalised on the spot so they do not take cache slots. */
#include "store_console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_util.h"
#include "log.h"
#include "store_int.h"
#include "store.h"
#include "store_ratings.h"
#include "store_sql.h"
#include "xalloc.h"

int store_console_timer_arm(struct store_tx *tx, int64_t case_id, const char *kind, int64_t due_at,
			    int64_t now, int mode)
{
	struct store *st = store__writer(tx, "store_console_timer_arm");
	if (!st)
		return -1;
	static const char *const sql[] = {
		[CONSOLE_ARM_REPLACE] =
			"INSERT INTO console_timers (case_id, kind, due_at, armed_at) VALUES "
			"(?1, ?2, ?3, ?4) ON CONFLICT (case_id, kind) DO UPDATE SET "
			"due_at = excluded.due_at, armed_at = excluded.armed_at, active = 1",
		[CONSOLE_ARM_IF_ABSENT] = "INSERT OR IGNORE INTO console_timers (case_id, kind, "
					  "due_at, armed_at) VALUES (?1, ?2, ?3, ?4)",
		[CONSOLE_ARM_IF_IDLE] =
			"INSERT INTO console_timers (case_id, kind, due_at, armed_at) VALUES "
			"(?1, ?2, ?3, ?4) ON CONFLICT (case_id, kind) DO UPDATE SET "
			"due_at = excluded.due_at, armed_at = excluded.armed_at, active = 1 "
			"WHERE console_timers.active = 0",
	};
	if (mode < CONSOLE_ARM_REPLACE || mode > CONSOLE_ARM_IF_IDLE)
		return -1;
	struct sql_stmt *s = store__prep(st, sql[mode]);
	if (!s)
		return -1;
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, kind);
	sql_bind_int64(s, 3, due_at);
	sql_bind_int64(s, 4, now);
	return store__step_done(st, s, "arm timer");
}

/* Shared by cancel and fired: one statement, the firing count as a parameter. */
static int timer_stop(struct store *st, int64_t case_id, const char *kind, int add)
{
	struct sql_stmt *s = store__prep(st, "UPDATE console_timers SET active = 0, fired = fired + ?3 "
					  "WHERE case_id = ?1 AND kind = ?2");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, kind);
	sql_bind_int(s, 3, add);
	return store__step_done(st, s, "stop timer");
}

int store_console_timer_cancel(struct store_tx *tx, int64_t case_id, const char *kind)
{
	struct store *st = store__writer(tx, "store_console_timer_cancel");
	if (!st)
		return -1;
	return timer_stop(st, case_id, kind, 0);
}

int store_console_timer_fired(struct store_tx *tx, int64_t case_id, const char *kind)
{
	struct store *st = store__writer(tx, "store_console_timer_fired");
	if (!st)
		return -1;
	/* "AND active = 1": of two instances firing the same timer, PostgreSQL lets the
	 * second see the first's commit, and it changes nothing. */
	struct sql_stmt *s = store__prep(st, "UPDATE console_timers SET active = 0, fired = fired + 1 "
					  "WHERE case_id = ?1 AND kind = ?2 AND active = 1");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, kind);
	if (store__step_done(st, s, "fire timer") < 0)
		return -1;
	return sql_changes(store__db(st)) > 0;
}

int store_console_timer_count(struct store *st, int64_t case_id, const char *kind)
{
	struct sql_stmt *s = store__prep(st, "SELECT fired FROM console_timers WHERE case_id = ? "
					  "AND kind = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, case_id);
	sql_bind_text(s, 2, kind);
	int n = 0;
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		n = sql_column_int(s, 0);
	sql_reset(s);
	return rc == SQL_ROW || rc == SQL_DONE ? n : -1;
}

int store_console_timers_due(struct store *st, int64_t now, struct console_timer *out,
			     size_t max)
{
	struct sql_stmt *s = store__prep(st, "SELECT case_id, kind, due_at, fired FROM console_timers "
					  "WHERE active = 1 AND due_at <= ? ORDER BY due_at, "
					  "case_id LIMIT ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, now);
	sql_bind_int64(s, 2, (int64_t)max);
	int n = 0, rc;
	while ((rc = sql_step(s)) == SQL_ROW && (size_t)n < max) {
		struct console_timer *t = &out[n++];
		t->case_id = sql_column_int64(s, 0);
		snprintf(t->kind, sizeof t->kind, "%s", (const char *)sql_column_text(s, 1));
		t->due_at = sql_column_int64(s, 2);
		t->fired = sql_column_int(s, 3);
	}
	sql_reset(s);
	return rc == SQL_DONE || rc == SQL_ROW ? n : -1;
}

int64_t store_console_timer_next(struct store *st)
{
	struct sql_stmt *s = store__prep(st, "SELECT coalesce(min(due_at), 0) FROM console_timers "
					  "WHERE active = 1");
	if (!s)
		return -1;
	int64_t v = -1;
	if (sql_step(s) == SQL_ROW)
		v = sql_column_int64(s, 0);
	sql_reset(s);
	return v;
}

int store_console_timers_recover(struct store_tx *tx, int64_t after_s, int64_t now)
{
	struct store *st = store__writer(tx, "store_console_timers_recover");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(
		st, "INSERT OR IGNORE INTO console_timers (case_id, kind, due_at, armed_at) "
		    "SELECT id, 'unclaimed', created_at + ?1, ?2 FROM cases WHERE status = 'new' "
		    "AND (assignee IS NULL OR assignee = '')");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, after_s);
	sql_bind_int64(s, 2, now);
	return store__step_done(st, s, "recover timers");
}

int store_console_web_peer(struct store *st, const char *token, int64_t *peer_id)
{
	struct sql_stmt *s = store__prep(st, "SELECT peer_id FROM web_peers WHERE token = ?");
	if (!s)
		return -1;
	sql_bind_text(s, 1, token);
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		*peer_id = sql_column_int64(s, 0);
	sql_reset(s);
	if (rc == SQL_ROW)
		return 1;
	return rc == SQL_DONE ? 0 : -1;
}

int store_console_web_peer_create(struct store_tx *tx, const char *token, int64_t now,
				  int64_t *peer_id)
{
	struct store *st = store__writer(tx, "store_console_web_peer_create");
	if (!st)
		return -1;
	int found = store_console_web_peer(st, token, peer_id);
	if (found != 0)
		return found;
	struct sql_stmt *ins = store__prep(st, "INSERT INTO web_peers (token, created_at) VALUES (?, ?)");
	if (!ins)
		return -1;
	sql_bind_text(ins, 1, token);
	sql_bind_int64(ins, 2, now);
	if (store__step_done(st, ins, "web peer") < 0)
		return -1;
	*peer_id = sql_last_insert_rowid(store__db(st));
	return 1;
}

int store_console_web_history(struct store *st, int64_t peer_id, int limit,
			      void (*fn)(void *arg, const struct console_line *line), void *arg)
{
	/* Customer lines and the replies to them, in the order they happened; a reply made
	 * for a message is created in the same millisecond or later, so it sorts after. */
	struct sql_stmt *s = store__prep(
		st, "SELECT at, src, text, keyboard, id, file FROM ("
		    " SELECT received_at * 1000 AS at, 0 AS ord, '' AS src, text, NULL AS keyboard, id,"
		    " NULL AS file FROM inbound WHERE channel = 'web' AND peer_id = ?1"
		    " UNION ALL"
		    " SELECT created_ms, 1, coalesce(source, ''), text, keyboard, id,"
		    " CASE WHEN kind = 'file' THEN extra END FROM outbox"
		    " WHERE channel = 'web' AND peer_id = ?1 AND kind IN ('message', 'file')"
		    " AND status != 'failed'"
		    " ORDER BY at DESC, ord DESC, id DESC LIMIT ?2) h ORDER BY at, ord, id");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, peer_id);
	sql_bind_int(s, 2, limit);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		const char *src = (const char *)sql_column_text(s, 1);
		struct console_line line = {
			.at_ms = sql_column_int64(s, 0),
			.from = !*src ? "customer"
			       : strncmp(src, "operator", 8) == 0 ? "operator" : "bot",
			.text = (const char *)sql_column_text(s, 2),
			.keyboard = (const char *)sql_column_text(s, 3),
			.id = sql_column_int64(s, 4),
			.file = (const char *)sql_column_text(s, 5)};
		fn(arg, &line);
	}
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}

int store_console_web_file(struct store *st, int64_t peer_id, int64_t row_id, int64_t *file_id)
{
	struct sql_stmt *s = store__prep(st, "SELECT extra FROM outbox WHERE id = ? AND "
					  "channel = 'web' AND peer_id = ? AND kind = 'file'");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, row_id);
	sql_bind_int64(s, 2, peer_id);
	int rc = sql_step(s), found = 0;
	if (rc == SQL_ROW) {
		cJSON *x = cJSON_Parse((const char *)sql_column_text(s, 0));
		*file_id = json_int(x, "file_id", 0);
		found = *file_id > 0;
		cJSON_Delete(x);
	}
	sql_reset(s);
	return rc == SQL_ROW || rc == SQL_DONE ? found : -1;
}

int store_console_recent_logins(struct store *st, int limit,
				void (*fn)(void *arg, const char *login, const char *peer,
					   int64_t at),
				void *arg)
{
	struct sql_stmt *s = store__prep(st, "SELECT actor, detail, at FROM audit WHERE action = "
					  "'login' AND detail IS NOT NULL ORDER BY id DESC LIMIT ?");
	if (!s)
		return -1;
	sql_bind_int(s, 1, limit);
	int rc, n = 0;
	while ((rc = sql_step(s)) == SQL_ROW) {
		fn(arg, (const char *)sql_column_text(s, 0),
		   (const char *)sql_column_text(s, 1), sql_column_int64(s, 2));
		n++;
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}

cJSON *store_console_audit(struct store *st, int64_t case_id, int limit)
{
	struct sql_stmt *s = store__prep(st, "SELECT at, actor, action, detail FROM audit "
					  "WHERE case_id = ? ORDER BY id LIMIT ?");
	if (!s)
		return NULL;
	sql_bind_int64(s, 1, case_id);
	sql_bind_int(s, 2, limit);
	cJSON *arr = cJSON_CreateArray();
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "at", (double)sql_column_int64(s, 0));
		cJSON_AddStringToObject(o, "actor", (const char *)sql_column_text(s, 1));
		cJSON_AddStringToObject(o, "action", (const char *)sql_column_text(s, 2));
		const char *d = sql_column_text(s, 3);
		if (d)
			cJSON_AddStringToObject(o, "detail", (const char *)d);
		cJSON_AddItemToArray(arr, o);
	}
	sql_reset(s);
	if (rc != SQL_DONE) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

/* Prepares sql once for this call (not cached). */
static struct sql_stmt *once(struct store *st, const char *sql)
{
	struct sql_stmt *s = sql_prepare(store__db(st), sql);
	if (!s) {
		log_error("store: stats query: %s", sql_errmsg(store__db(st)));
		return NULL;
	}
	return s;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

cJSON *store_console_stats(struct store *st, int64_t since, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	int ok = 1;
	cJSON_AddNumberToObject(o, "since", (double)since);
	cJSON_AddNumberToObject(o, "until", (double)now);

	cJSON *msgs = cJSON_AddObjectToObject(o, "messages");
	struct sql_stmt *s = once(st, "SELECT channel, count(*) FROM inbound WHERE received_at >= ? "
				   "AND received_at < ? GROUP BY channel ORDER BY channel");
	if (s) {
		sql_bind_int64(s, 1, since);
		sql_bind_int64(s, 2, now + 1);
		while (sql_step(s) == SQL_ROW)
			cJSON_AddNumberToObject(msgs, (const char *)sql_column_text(s, 0),
						(double)sql_column_int64(s, 1));
		sql_finalize(s);
	} else
		ok = 0;

	s = once(st, "SELECT coalesce(sum(coalesce(source, '') NOT LIKE 'operator%'), 0), "
		     "coalesce(sum(coalesce(source, '') LIKE 'operator%'), 0) FROM outbox "
		     "WHERE kind = 'message' AND created_ms >= ?1 * 1000 AND created_ms < (?2 + 1) * 1000");
	cJSON *ans = cJSON_AddObjectToObject(o, "answered");
	if (s) {
		sql_bind_int64(s, 1, since);
		sql_bind_int64(s, 2, now);
		if (sql_step(s) == SQL_ROW) {
			cJSON_AddNumberToObject(ans, "bot", (double)sql_column_int64(s, 0));
			cJSON_AddNumberToObject(ans, "people", (double)sql_column_int64(s, 1));
		}
		sql_finalize(s);
	} else
		ok = 0;

	s = once(st, "SELECT count(*) FROM cases WHERE created_at >= ? AND created_at < ?");
	if (s) {
		sql_bind_int64(s, 1, since);
		sql_bind_int64(s, 2, now + 1);
		if (sql_step(s) == SQL_ROW)
			cJSON_AddNumberToObject(o, "cases_created", (double)sql_column_int64(s, 0));
		sql_finalize(s);
	} else
		ok = 0;

	s = once(st, "SELECT count(*), min(CASE WHEN status = 'new' AND (assignee IS NULL OR "
		     "assignee = '') THEN created_at END) FROM cases WHERE status IN "
		     "('new', 'claimed', 'waiting')");
	if (s) {
		if (sql_step(s) == SQL_ROW) {
			cJSON_AddNumberToObject(o, "open_cases", (double)sql_column_int64(s, 0));
			if (sql_column_type(s, 1) == SQL_NULL)
				cJSON_AddNullToObject(o, "oldest_unclaimed_at");
			else
				cJSON_AddNumberToObject(o, "oldest_unclaimed_at",
							(double)sql_column_int64(s, 1));
		}
		sql_finalize(s);
	} else
		ok = 0;

	/* Time to the first person's reply, for cases created in the period. */
	s = once(st, "SELECT min(t.at) - c.created_at FROM cases c JOIN case_lines t "
		     "ON t.case_id = c.id WHERE c.created_at >= ? AND "
		     "c.created_at < ? AND t.who = 'operator' GROUP BY c.id");
	if (s) {
		int64_t *v = NULL;
		size_t n = 0, cap = 0;
		sql_bind_int64(s, 1, since);
		sql_bind_int64(s, 2, now + 1);
		while (sql_step(s) == SQL_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = xrealloc(v, cap * sizeof *v);
			}
			int64_t d = sql_column_int64(s, 0);
			v[n++] = d < 0 ? 0 : d;
		}
		sql_finalize(s);
		cJSON_AddNumberToObject(o, "first_human_reply_count", (double)n);
		if (n) {
			qsort(v, n, sizeof *v, cmp_i64);
			double med = n % 2 ? (double)v[n / 2] : (double)(v[n / 2 - 1] + v[n / 2]) / 2;
			cJSON_AddNumberToObject(o, "first_human_reply_median_s", med);
		} else
			cJSON_AddNullToObject(o, "first_human_reply_median_s");
		free(v);
	} else
		ok = 0;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- saved views (console_views): a secretary's named filters ---- */

cJSON *store_console_views(struct store *st, const char *login)
{
	struct sql_stmt *s = once(st, "SELECT name, filter FROM console_views WHERE login = ? "
				   "ORDER BY name");
	if (!s)
		return NULL;
	sql_bind_text(s, 1, login);
	cJSON *arr = cJSON_CreateArray();
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		cJSON *v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "name", (const char *)sql_column_text(s, 0));
		cJSON *filter = cJSON_Parse((const char *)sql_column_text(s, 1));
		cJSON_AddItemToObject(v, "filter", filter ? filter : cJSON_CreateObject());
		cJSON_AddItemToArray(arr, v);
	}
	if (rc != SQL_DONE) {
		log_error("store: views of %s: %s", login, sql_errmsg(store__db(st)));
		cJSON_Delete(arr);
		arr = NULL;
	}
	sql_finalize(s);
	return arr;
}

int store_console_view_count(struct store *st, const char *login)
{
	struct sql_stmt *s = once(st, "SELECT count(*) FROM console_views WHERE login = ?");
	if (!s)
		return -1;
	sql_bind_text(s, 1, login);
	int n = sql_step(s) == SQL_ROW ? sql_column_int(s, 0) : -1;
	sql_finalize(s);
	return n;
}

int store_console_view_put(struct store_tx *tx, const char *login, const char *name,
			   const char *filter_json, int64_t now)
{
	struct store *st = store__writer(tx, "store_console_view_put");
	if (!st)
		return -1;
	struct sql_stmt *s = once(st, "INSERT INTO console_views (login, name, filter, created_at) "
				   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (login, name) DO UPDATE "
				   "SET filter = ?3");
	if (!s)
		return -1;
	sql_bind_text(s, 1, login);
	sql_bind_text(s, 2, name);
	sql_bind_text(s, 3, filter_json);
	sql_bind_int64(s, 4, now);
	int rc = sql_step(s);
	if (rc != SQL_DONE)
		log_error("store: view %s of %s: %s", name, login, sql_errmsg(store__db(st)));
	sql_finalize(s);
	return rc == SQL_DONE ? 0 : -1;
}

int store_console_view_delete(struct store_tx *tx, const char *login, const char *name)
{
	struct store *st = store__writer(tx, "store_console_view_delete");
	if (!st)
		return -1;
	struct sql_stmt *s = once(st, "DELETE FROM console_views WHERE login = ? AND name = ?");
	if (!s)
		return -1;
	sql_bind_text(s, 1, login);
	sql_bind_text(s, 2, name);
	int rc = sql_step(s);
	int changed = sql_changes(store__db(st));
	sql_finalize(s);
	return rc == SQL_DONE ? changed : -1;
}

/* ---- reports (store_console_report) ---- */

/* Per-day accumulator of the report; days are local (offset) day numbers. */
struct report_day {
	int64_t messages, bot, people, cases, sla_breached;
	int64_t *first, *resolve; /* seconds, for the medians */
	size_t n_first, n_resolve, cap_first, cap_resolve;
};

static void push_i64(int64_t **a, size_t *n, size_t *cap, int64_t v)
{
	if (*n == *cap)
		*a = xrealloc(*a, (*cap = *cap ? *cap * 2 : 16) * sizeof **a);
	(*a)[(*n)++] = v;
}

static void add_median(cJSON *o, const char *key, int64_t *v, size_t n)
{
	if (!n) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	qsort(v, n, sizeof *v, cmp_i64);
	cJSON_AddNumberToObject(o, key, n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0);
}

/* Runs a "SELECT day, a, b" query bound to (since, off) and adds a and b to the days. */
static int report_sum(struct store *st, const char *sql, int64_t since, int64_t off,
		      int64_t first_day, struct report_day *days, int n_days, int what)
{
	struct sql_stmt *s = once(st, sql);
	if (!s)
		return -1;
	sql_bind_int64(s, 1, since);
	sql_bind_int64(s, 2, off);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		int64_t d = sql_column_int64(s, 0) - first_day;
		if (d < 0 || d >= n_days)
			continue;
		if (what == 0)
			days[d].messages += sql_column_int64(s, 1);
		else if (what == 1) {
			days[d].bot += sql_column_int64(s, 1);
			days[d].people += sql_column_int64(s, 2);
		}
	}
	sql_finalize(s);
	return rc == SQL_DONE ? 0 : -1;
}

/* Counts of a "SELECT key, count" query bound to since, as {key: count}. */
static int report_counts(struct store *st, const char *sql, int64_t since, cJSON *into)
{
	struct sql_stmt *s = once(st, sql);
	if (!s)
		return -1;
	sql_bind_int64(s, 1, since);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		const char *k = (const char *)sql_column_text(s, 0);
		cJSON_AddNumberToObject(into, k ? k : "", (double)sql_column_int64(s, 1));
	}
	sql_finalize(s);
	return rc == SQL_DONE ? 0 : -1;
}

/* The cases created in the period: their first human reply, resolution and SLA. */
static int report_cases(struct store *st, int64_t since, int64_t now, int64_t off,
			int64_t first_day, struct report_day *days, int n_days)
{
	struct sql_stmt *s = once(
		st, "SELECT (c.created_at + ?2) / 86400, c.created_at, "
		    "(SELECT min(l.at) FROM case_lines l WHERE l.case_id = c.id AND "
		    "l.who = 'operator'), coalesce(CAST(json_extract(c.record, '$.sla_due_at') AS "
		    "INTEGER), 0), "
		    "(SELECT min(CAST(json_extract(h.value, '$.at') AS INTEGER)) FROM "
		    "json_each(c.record, '$.history') h WHERE json_extract(h.value, '$.status') "
		    "IN ('resolved', 'closed')) FROM cases c WHERE c.created_at >= ?1");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, since);
	sql_bind_int64(s, 2, off);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		int64_t d = sql_column_int64(s, 0) - first_day;
		if (d < 0 || d >= n_days)
			continue;
		struct report_day *r = &days[d];
		int64_t created = sql_column_int64(s, 1);
		int has_first = sql_column_type(s, 2) != SQL_NULL;
		int64_t first = sql_column_int64(s, 2);
		int64_t due = sql_column_int64(s, 3);
		r->cases++;
		if (has_first)
			push_i64(&r->first, &r->n_first, &r->cap_first, first - created);
		if (sql_column_type(s, 4) != SQL_NULL)
			push_i64(&r->resolve, &r->n_resolve, &r->cap_resolve,
				 sql_column_int64(s, 4) - created);
		/* Breached: a person first answered after the due time, or nobody has and it
		 * is past due. */
		if (due > 0 && ((has_first && first > due) || (!has_first && now > due)))
			r->sla_breached++;
	}
	sql_finalize(s);
	return rc == SQL_DONE ? 0 : -1;
}

cJSON *store_console_report(struct store *st, int n_days, int64_t now, int64_t off)
{
	int64_t today = (now + off) / 86400;
	int64_t first_day = today - n_days + 1;
	int64_t since = first_day * 86400 - off;
	struct report_day *days = xcalloc((size_t)n_days, sizeof *days);
	int ok = report_sum(st, "SELECT (received_at + ?2) / 86400, count(*) FROM inbound "
				"WHERE received_at >= ?1 GROUP BY 1",
			    since, off, first_day, days, n_days, 0) == 0;
	ok &= report_sum(st, "SELECT (created_ms / 1000 + ?2) / 86400, "
			     "sum(coalesce(source, '') NOT LIKE 'operator%'), "
			     "sum(coalesce(source, '') LIKE 'operator%') FROM outbox "
			     "WHERE kind = 'message' AND created_ms >= ?1 * 1000 GROUP BY 1",
			 since, off, first_day, days, n_days, 1) == 0;
	ok &= report_cases(st, since, now, off, first_day, days, n_days) == 0;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "since", (double)since);
	cJSON_AddNumberToObject(o, "now", (double)now);
	cJSON *arr = cJSON_AddArrayToObject(o, "days");
	for (int i = 0; i < n_days; i++) {
		struct report_day *r = &days[i];
		cJSON *d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "day", (double)((first_day + i) * 86400 - off));
		cJSON_AddNumberToObject(d, "messages", (double)r->messages);
		cJSON_AddNumberToObject(d, "bot", (double)r->bot);
		cJSON_AddNumberToObject(d, "people", (double)r->people);
		cJSON_AddNumberToObject(d, "cases", (double)r->cases);
		cJSON_AddNumberToObject(d, "sla_breached", (double)r->sla_breached);
		add_median(d, "first_response_median_s", r->first, r->n_first);
		add_median(d, "resolution_median_s", r->resolve, r->n_resolve);
		cJSON_AddItemToArray(arr, d);
		free(r->first);
		free(r->resolve);
	}
	free(days);
	/* When customers write: messages by local hour of the day over the period. */
	cJSON *hours = cJSON_AddArrayToObject(o, "hours");
	int64_t by_hour[24] = {0};
	struct sql_stmt *s = once(st, "SELECT ((received_at + ?2) % 86400) / 3600, count(*) FROM "
				   "inbound WHERE received_at >= ?1 GROUP BY 1");
	if (s) {
		sql_bind_int64(s, 1, since);
		sql_bind_int64(s, 2, off);
		int rc;
		while ((rc = sql_step(s)) == SQL_ROW) {
			int h = sql_column_int(s, 0);
			if (h >= 0 && h < 24)
				by_hour[h] += sql_column_int64(s, 1);
		}
		ok &= rc == SQL_DONE;
		sql_finalize(s);
	} else {
		ok = 0;
	}
	for (int h = 0; h < 24; h++)
		cJSON_AddItemToArray(hours, cJSON_CreateNumber((double)by_hour[h]));
	ok &= report_counts(st, "SELECT coalesce(category, ''), count(*) FROM cases WHERE "
				"created_at >= ? GROUP BY 1 ORDER BY 2 DESC",
			    since, cJSON_AddObjectToObject(o, "categories")) == 0;
	ok &= report_counts(st, "SELECT CASE severity WHEN 0 THEN 'critical' WHEN 1 THEN 'high' "
				"WHEN 2 THEN 'normal' ELSE 'low' END, count(*) FROM cases WHERE "
				"created_at >= ? GROUP BY 1",
			    since, cJSON_AddObjectToObject(o, "severities")) == 0;
	cJSON *ops = cJSON_AddArrayToObject(o, "operators");
	s = once(st, "SELECT actor, sum(action = 'claim'), sum(action = 'reply'), "
		     "sum(action = 'status' AND detail IN ('resolved', 'closed')), "
		     "sum(action = 'assign') FROM audit WHERE at >= ? AND actor <> 'system' AND "
		     "action IN ('claim', 'reply', 'status', 'assign') GROUP BY actor ORDER BY actor");
	if (s) {
		sql_bind_int64(s, 1, since);
		int rc;
		while ((rc = sql_step(s)) == SQL_ROW) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "login", (const char *)sql_column_text(s, 0));
			cJSON_AddNumberToObject(p, "claimed", (double)sql_column_int64(s, 1));
			cJSON_AddNumberToObject(p, "replies", (double)sql_column_int64(s, 2));
			cJSON_AddNumberToObject(p, "resolved", (double)sql_column_int64(s, 3));
			cJSON_AddNumberToObject(p, "handed_over", (double)sql_column_int64(s, 4));
			cJSON_AddItemToArray(ops, p);
		}
		ok &= rc == SQL_DONE;
		sql_finalize(s);
	} else {
		ok = 0;
	}
	ok &= store_rating_report(st, since, o) == 0;
	if (!ok) {
		log_error("store: report: %s", sql_errmsg(store__db(st)));
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
