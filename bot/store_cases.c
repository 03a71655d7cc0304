/* Case records and the audit log in SQLite (see cases.h). Part of the store: the only
 * other file that touches SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_cases.h"
#include "buf.h"
#include "json_util.h"
#include "log.h"
#include "store_int.h"
#include "severity.h"
#include "store.h"
#include "store_sql.h"
#include "xalloc.h"

/* Runs sql with binders for the case's key columns; shared by create and put. */
static int severity_rank(const char *s)
{
	int sev = severity_of(s);
	return sev < 0 ? 2 : sev; /* unknown ranks as normal */
}

/* Keys of a record in memory that the store keeps elsewhere: the transcript as rows of
 * case_lines (each pointing to the line before it, the case to its last line), the line
 * count and the last line as columns. */
static int kept_apart(const char *key)
{
	return strcmp(key, "transcript") == 0 || strcmp(key, "messages") == 0 ||
	       strcmp(key, "last_at") == 0 || strcmp(key, "last_from") == 0;
}

/* The record's JSON text without the keys kept apart (references, no deep copy). */
static char *record_text(const cJSON *r)
{
	cJSON *o = cJSON_CreateObject();
	for (const cJSON *c = r ? r->child : NULL; c; c = c->next)
		if (c->string && !kept_apart(c->string))
			cJSON_AddItemReferenceToObject(o, c->string, (cJSON *)c);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static int64_t line_count(struct store *st, int64_t id);
static int load_lines(struct store *st, int64_t id, cJSON *arr);

static void bind_keys(struct sql_stmt *s, const cJSON *r, int64_t now)
{
	const char *v;
	sql_bind_text(s, 1, (v = json_str(r, "channel")) ? v : "");
	sql_bind_int64(s, 2, json_int(r, "peer_id", 0));
	sql_bind_int64(s, 3, json_int(r, "user_id", 0));
	sql_bind_text(s, 4, (v = json_str(r, "status")) ? v : "new");
	sql_bind_int(s, 5, severity_rank(json_str(r, "severity")));
	if ((v = json_str(r, "category")))
		sql_bind_text(s, 6, v);
	if ((v = json_str(r, "assignee")) && *v)
		sql_bind_text(s, 7, v);
	char *text = record_text(r);
	sql_bind_text(s, 8, text);
	free(text);
	sql_bind_int64(s, 9, now);
}

static struct sql_db *db_of(struct store *st)
{
	return store__db(st);
}

int store_case_create(struct store_tx *tx, cJSON *record, int64_t now, int64_t *id, char *number,
		      size_t number_len)
{
	struct store *st = store__writer(tx, "store_case_create");
	if (!st)
		return -1;
	struct sql_db *db = db_of(st);
	struct sql_stmt *s = store__prep(st, "INSERT INTO cases (channel, peer_id, user_id, status, "
					  "severity, category, assignee, record, updated_at, "
					  "created_at) VALUES (?,?,?,?,?,?,?,?,?,?9)");
	if (!s)
		return -1;
	bind_keys(s, record, now);
	if (sql_step(s) != SQL_DONE) {
		log_error("store: case insert: %s", sql_errmsg(db));
		sql_reset(s);
		return -1;
	}
	sql_reset(s);
	*id = sql_last_insert_rowid(db);
	snprintf(number, number_len, "%06lld", (long long)*id);
	cJSON_DeleteItemFromObjectCaseSensitive(record, "number");
	cJSON_AddStringToObject(record, "number", number);
	struct sql_stmt *u = store__prep(st, "UPDATE cases SET number = ? WHERE id = ?");
	if (!u)
		return -1;
	sql_bind_text(u, 1, number);
	sql_bind_int64(u, 2, *id);
	int rc = sql_step(u);
	sql_reset(u);
	if (rc != SQL_DONE)
		return -1;
	return store_case_put(tx, *id, record, now);
}

/* The columns record_of_row reads, in its order. */
#define RECORD_COLS "record, n_lines, last_line_at, last_line_from, updated_at, last_customer_at"
#define RECORD_COLS_C "c.record, c.n_lines, c.last_line_at, c.last_line_from, c.updated_at, " \
		      "c.last_customer_at"
#define N_RECORD_COLS 6

/* Sets the number key of r to v. */
static void set_number(cJSON *r, const char *key, double v)
{
	cJSON *n = cJSON_GetObjectItemCaseSensitive(r, key);
	if (cJSON_IsNumber(n))
		cJSON_SetNumberValue(n, v);
	else if (n)
		cJSON_ReplaceItemInObjectCaseSensitive(r, key, cJSON_CreateNumber(v));
	else
		cJSON_AddNumberToObject(r, key, v);
}

/* The record of a row whose columns first.. are RECORD_COLS, with the line count and
 * the last line added. A customer's line moves updated_at and last_customer_at in
 * their columns only (rewriting the record's JSON for every line cost more than the
 * line itself), so the record is given the columns' values here. */
static cJSON *record_of_row(struct sql_stmt *s, int first)
{
	cJSON *r = cJSON_Parse((const char *)sql_column_text(s, first));
	if (!r)
		return NULL;
	set_number(r, "updated_at", (double)sql_column_int64(s, first + 4));
	if (sql_column_type(s, first + 5) != SQL_NULL)
		set_number(r, "last_customer_at", (double)sql_column_int64(s, first + 5));
	cJSON_AddNumberToObject(r, "messages", (double)sql_column_int64(s, first + 1));
	cJSON_AddNumberToObject(r, "last_at", (double)sql_column_int64(s, first + 2));
	if (sql_column_type(s, first + 3) == SQL_TEXT)
		cJSON_AddStringToObject(r, "last_from", (const char *)sql_column_text(s, first + 3));
	return r;
}

int store_case_get_head(struct store *st, int64_t id, cJSON **record)
{
	struct sql_stmt *s = store__prep(st, "SELECT " RECORD_COLS " FROM cases WHERE id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	*record = NULL;
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		*record = record_of_row(s, 0);
	sql_reset(s);
	return rc == SQL_ROW || rc == SQL_DONE ? 0 : -1;
}

int store_case_get(struct store *st, int64_t id, cJSON **record)
{
	if (store_case_get_head(st, id, record) < 0)
		return -1;
	if (*record && load_lines(st, id, cJSON_AddArrayToObject(*record, "transcript")) < 0) {
		cJSON_Delete(*record);
		*record = NULL;
		return -1;
	}
	return 0;
}

int store_case_put(struct store_tx *tx, int64_t id, const cJSON *record, int64_t now)
{
	struct store *st = store__writer(tx, "store_case_put");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "UPDATE cases SET channel = ?1, peer_id = ?2, "
					  "user_id = ?3, status = ?4, severity = ?5, category = ?6, "
					  "assignee = ?7, record = ?8, updated_at = ?9 WHERE id = ?10");
	if (!s)
		return -1;
	bind_keys(s, record, now);
	sql_bind_int64(s, 10, id);
	int rc = sql_step(s);
	sql_reset(s);
	if (rc != SQL_DONE) {
		log_error("store: case update: %s", sql_errmsg(db_of(st)));
		return -1;
	}
	/* A record read whole and given more transcript lines: the new ones are appended. */
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(record, "transcript");
	if (!cJSON_IsArray(tr))
		return 0;
	int64_t stored = line_count(st, id);
	if (stored < 0)
		return -1;
	int64_t i = 0;
	const cJSON *l;
	cJSON_ArrayForEach(l, tr)
	{
		if (i++ < stored)
			continue;
		if (store_case_line_add(tx, id, json_int(l, "at", now), json_str(l, "from"),
					json_str(l, "text"), json_str(l, "operator")) < 0)
			return -1;
	}
	return 0;
}

int store_case_state(struct store *st, int64_t id, int *severity, char status[16],
		     char assignee[64])
{
	struct sql_stmt *s = store__prep(st, "SELECT severity, status, coalesce(assignee, '') "
					  "FROM cases WHERE id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	int rc = sql_step(s);
	if (rc == SQL_ROW) {
		*severity = sql_column_int(s, 0);
		snprintf(status, 16, "%s", (const char *)sql_column_text(s, 1));
		snprintf(assignee, 64, "%s", (const char *)sql_column_text(s, 2));
	}
	sql_reset(s);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

static int64_t line_count(struct store *st, int64_t id)
{
	struct sql_stmt *s = store__prep(st, "SELECT n_lines FROM cases WHERE id = ?");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	int64_t n = sql_step(s) == SQL_ROW ? sql_column_int64(s, 0) : -1;
	sql_reset(s);
	return n;
}

int store_case_lines_add(struct store_tx *tx, int64_t id, int64_t at,
			 const struct case_line_in *lines, size_t n)
{
	struct store *st = store__writer(tx, "store_case_lines_add");
	if (!st)
		return -1;
	if (n == 0)
		return 0;
	/* Each line is appended after the one before it (prev_id: no index by case to
	 * update, see migration 17); the first after the case's last line, */
	struct sql_stmt *s = store__prep(st, "INSERT INTO case_lines (case_id, at, who, text, operator,"
					  " prev_id) VALUES (?1, ?2, ?3, ?4, ?5, coalesce(CAST(?6 AS "
					  "BIGINT), (SELECT last_line_id FROM cases WHERE id = ?1)))");
	/* and one update makes the last of them the case's last: a customer's line is also
	 * the case's news (last_customer_at and updated_at, in their columns: see
	 * record_of_row). */
	struct sql_stmt *u = store__prep(st, "UPDATE cases SET n_lines = n_lines + ?5, "
					  "last_line_at = ?2, last_line_from = ?3, last_line_id = ?4, "
					  "updated_at = CASE WHEN CAST(?6 AS BIGINT) IS NULL THEN updated_at "
					  "ELSE ?2 END, last_customer_at = CASE WHEN CAST(?6 AS BIGINT) IS "
					  "NULL THEN last_customer_at ELSE ?2 END, last_customer_line_id = "
					  "coalesce(CAST(?6 AS BIGINT), last_customer_line_id) WHERE id = ?1");
	if (!s || !u)
		return -1;
	int64_t prev = 0, customer = 0;
	const char *from = "bot";
	int rc = SQL_DONE;
	for (size_t i = 0; i < n && rc == SQL_DONE; i++) {
		from = lines[i].from && *lines[i].from ? lines[i].from : "bot";
		sql_bind_int64(s, 1, id);
		sql_bind_int64(s, 2, at);
		sql_bind_text(s, 3, from);
		sql_bind_text(s, 4, lines[i].text ? lines[i].text : "");
		/* Unbound parameters are NULL (sql_reset clears the bindings). */
		if (lines[i].operator_login)
			sql_bind_text(s, 5, lines[i].operator_login);
		if (prev)
			sql_bind_int64(s, 6, prev);
		/* Not RETURNING: SQLite runs it through an ephemeral table (~10K instructions). */
		rc = sql_step(s);
		sql_reset(s);
		if (rc == SQL_DONE) {
			prev = sql_last_insert_rowid(store__db(st));
			if (strcmp(from, "customer") == 0)
				customer = prev;
		}
	}
	if (rc == SQL_DONE) {
		sql_bind_int64(u, 1, id);
		sql_bind_int64(u, 2, at);
		sql_bind_text(u, 3, from);
		sql_bind_int64(u, 4, prev);
		sql_bind_int64(u, 5, (int64_t)n);
		if (customer)
			sql_bind_int64(u, 6, customer);
		rc = sql_step(u);
		sql_reset(u);
	}
	if (rc != SQL_DONE) {
		log_error("store: case %lld: transcript line: %s", (long long)id,
			  sql_errmsg(db_of(st)));
		return -1;
	}
	return 0;
}

int store_case_line_add(struct store_tx *tx, int64_t id, int64_t at, const char *from,
			const char *text, const char *operator_login)
{
	struct case_line_in line = {from, text, operator_login};
	return store_case_lines_add(tx, id, at, &line, 1);
}

/* The ids of a case's lines: the chain from its last line back through prev_id. Each
 * step must go to a smaller id, so a damaged chain (a line pointing to itself or
 * forward) ends the walk instead of looping for ever. */
#define CASE_LINE_CHAIN                                                                   \
	"WITH RECURSIVE chain(id) AS (SELECT last_line_id FROM cases WHERE id = ?1 AND "  \
	"last_line_id IS NOT NULL UNION ALL SELECT l.prev_id FROM case_lines l JOIN chain " \
	"ON l.id = chain.id WHERE l.prev_id IS NOT NULL AND l.prev_id < l.id) "

/* Appends the case's transcript lines, oldest first, to arr. */
static int load_lines(struct store *st, int64_t id, cJSON *arr)
{
	/* The line's files (store_files.h) as a JSON array, or NULL when it has none. */
	struct sql_stmt *s = store__prep(
		st, store__pick(st,
				CASE_LINE_CHAIN "SELECT at, who, text, operator, (SELECT "
				"json_group_array(json_object('id', f.id, 'kind', f.kind, 'name', "
				"f.name, 'state', f.state, 'error', f.error)) FROM case_files f WHERE "
				"f.line_id = l.id HAVING count(*) > 0) FROM chain JOIN case_lines l "
				"ON l.id = chain.id ORDER BY l.id",
				CASE_LINE_CHAIN "SELECT at, who, text, operator, (SELECT "
				"json_agg(json_build_object('id', f.id, 'kind', f.kind, 'name', "
				"f.name, 'state', f.state, 'error', f.error) ORDER BY f.id)::text FROM "
				"case_files f WHERE f.line_id = l.id HAVING count(*) > 0) FROM chain "
				"JOIN case_lines l ON l.id = chain.id ORDER BY l.id"));
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddNumberToObject(l, "at", (double)sql_column_int64(s, 0));
		cJSON_AddStringToObject(l, "from", (const char *)sql_column_text(s, 1));
		cJSON_AddStringToObject(l, "text", (const char *)sql_column_text(s, 2));
		if (sql_column_type(s, 3) == SQL_TEXT)
			cJSON_AddStringToObject(l, "operator", (const char *)sql_column_text(s, 3));
		if (sql_column_type(s, 4) == SQL_TEXT)
			cJSON_AddItemToObject(l, "files",
					      cJSON_Parse((const char *)sql_column_text(s, 4)));
		cJSON_AddItemToArray(arr, l);
	}
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}

int64_t store_case_open_for(struct store *st, const char *channel, int64_t peer)
{
	/* max() over the covering index cases_peer: no sort, unlike ORDER BY id DESC. */
	struct sql_stmt *s = store__prep(st, "SELECT coalesce(max(id), 0) FROM cases "
					  "WHERE channel = ? AND peer_id = ? "
					  "AND status NOT IN ('resolved', 'closed')");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, peer);
	int64_t id = 0;
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		id = sql_column_int64(s, 0);
	sql_reset(s);
	return rc == SQL_ROW || rc == SQL_DONE ? id : -1;
}

int store_case_count_for(struct store *st, const char *channel, int64_t user, int64_t since,
			 int64_t *total, int64_t *recent)
{
	struct sql_stmt *s = store__prep(st, "SELECT count(*), coalesce(sum(created_at >= ?3), 0) "
					  "FROM cases WHERE channel = ?1 AND user_id = ?2");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, user);
	sql_bind_int64(s, 3, since);
	int rc = sql_step(s);
	if (rc == SQL_ROW) {
		*total = sql_column_int64(s, 0);
		*recent = sql_column_int64(s, 1);
	}
	sql_reset(s);
	return rc == SQL_ROW ? 0 : -1;
}

int store_case_claim(struct store_tx *tx, int64_t id, const char *operator_login, int64_t now,
		     char *holder, size_t holder_len)
{
	struct store *st = store__writer(tx, "store_case_claim");
	if (!st)
		return -1;
	/* One UPDATE decides the race: only a case nobody holds (or that the same operator
	 * holds) changes. */
	struct sql_stmt *s = store__prep(
		st, "UPDATE cases SET assignee = ?1, status = 'claimed', updated_at = ?2, "
		    "record = json_set(record, '$.assignee', ?1, '$.status', 'claimed', "
		    "'$.updated_at', ?2) WHERE id = ?3 AND (assignee IS NULL OR assignee = '' "
		    "OR assignee = ?1) AND status NOT IN ('resolved', 'closed')");
	if (!s)
		return -1;
	sql_bind_text(s, 1, operator_login);
	sql_bind_int64(s, 2, now);
	sql_bind_int64(s, 3, id);
	int rc = sql_step(s);
	sql_reset(s);
	if (rc != SQL_DONE)
		return -1;
	if (sql_changes(db_of(st)) == 1) {
		snprintf(holder, holder_len, "%s", operator_login);
		return 1;
	}
	struct sql_stmt *q = store__prep(st, "SELECT coalesce(assignee, '') FROM cases WHERE id = ?");
	if (!q)
		return -1;
	sql_bind_int64(q, 1, id);
	holder[0] = '\0';
	if (sql_step(q) == SQL_ROW)
		snprintf(holder, holder_len, "%s", (const char *)sql_column_text(q, 0));
	sql_reset(q);
	return 0;
}

/* The queue's columns and filters; the two statements differ only in the search. Each
 * filter is "?N IS NULL OR ..." so that one prepared statement serves every
 * combination (the CAST tells PostgreSQL the type of a NULL it cannot infer). The column
 * after RECORD_COLS is the last customer line (the preview, 300 characters). */
#define CASES_SELECT                                                                              \
	"SELECT id, " RECORD_COLS ", (SELECT substr(text, 1, 300) FROM case_lines l " \
	"WHERE l.id = cases.last_customer_line_id) FROM cases " \
	"WHERE (CAST(?1 AS TEXT) IS NULL OR (?1 = 'open' AND status IN ('new','claimed','waiting')) OR "           \
	"status = ?1) AND (CAST(?2 AS TEXT) IS NULL OR channel = ?2) AND "                                          \
	"(CAST(?3 AS TEXT) IS NULL OR category = ?3) AND (CAST(?4 AS TEXT) IS NULL OR assignee = ?4) AND "                        \
	"updated_at >= ?5 AND id > ?6 AND (CAST(?8 AS BIGINT) IS NULL OR severity = ?8) AND "                         \
	"(CAST(?9 AS TEXT) IS NULL OR CAST(json_extract(record, '$.flags.' || ?9) AS INTEGER) = 1) AND "          \
	"(CAST(?10 AS BIGINT) IS NULL OR created_at >= ?10) AND (CAST(?11 AS BIGINT) IS NULL OR created_at < ?11) "
#define CASES_ORDER "ORDER BY severity ASC, created_at DESC, id DESC LIMIT ?7"

static const char cases_plain_sql[] = CASES_SELECT CASES_ORDER;
static const char cases_search_sql[] =
	CASES_SELECT "AND (id IN (SELECT CAST(value AS INTEGER) FROM json_each(?12)) OR "
		     "(CAST(?13 AS TEXT) IS NOT NULL AND (number LIKE '%' || ?13 || '%' OR "
		     "replace(json_extract(record, '$.phone'), '+', '') LIKE '%' || ?13 || '%'))) "
	CASES_ORDER;

/* Reads the rows of a prepared case query (columns as CASES_SELECT) and calls fn for
 * each; rows are read first, since loading transcripts reuses a prepared statement. */
static int each_row(struct store *st, struct sql_stmt *s, int with_transcript,
		    void (*fn)(void *arg, int64_t id, const cJSON *record), void *arg)
{
	struct row {
		int64_t id;
		cJSON *r;
	} *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		cJSON *r = record_of_row(s, 1);
		if (!r)
			continue;
		/* The queue's preview; an export has the whole transcript instead. */
		if (!with_transcript && sql_column_type(s, 1 + N_RECORD_COLS) == SQL_TEXT)
			cJSON_AddStringToObject(r, "last_text",
						(const char *)sql_column_text(s, 1 + N_RECORD_COLS));
		if (n == cap)
			rows = xrealloc(rows, (cap = cap ? cap * 2 : 64) * sizeof *rows);
		rows[n++] = (struct row){sql_column_int64(s, 0), r};
	}
	if (rc != SQL_DONE)
		log_error("store: case list: %s", sql_errmsg(db_of(st)));
	sql_reset(s);
	for (size_t i = 0; i < n; i++) {
		if (rc == SQL_DONE && with_transcript &&
		    load_lines(st, rows[i].id, cJSON_AddArrayToObject(rows[i].r, "transcript")) < 0)
			rc = SQL_ERROR;
		if (rc == SQL_DONE)
			fn(arg, rows[i].id, rows[i].r);
		cJSON_Delete(rows[i].r);
	}
	free(rows);
	return rc == SQL_DONE ? 0 : -1;
}

int store_cases_each(struct store *st, const struct case_filter *f,
		     void (*fn)(void *arg, int64_t id, const cJSON *record), void *arg)
{
	int search = f->ids_json != NULL;
	struct sql_stmt *s = store__prep(st, search ? cases_search_sql : cases_plain_sql);
	if (!s)
		return -1;
	const char *vals[] = {f->status, f->channel, f->category, f->assignee};
	for (int i = 0; i < 4; i++)
		if (vals[i] && *vals[i])
			sql_bind_text(s, i + 1, vals[i]);
	sql_bind_int64(s, 5, f->since);
	sql_bind_int64(s, 6, f->after_id);
	sql_bind_int(s, 7, f->limit > 0 ? f->limit : 500);
	if (f->severity && *f->severity)
		sql_bind_int(s, 8, severity_rank(f->severity));
	if (f->flag && *f->flag)
		sql_bind_text(s, 9, f->flag);
	if (f->created_from > 0)
		sql_bind_int64(s, 10, f->created_from);
	if (f->created_to > 0)
		sql_bind_int64(s, 11, f->created_to);
	if (search) {
		sql_bind_text(s, 12, f->ids_json);
		if (f->digits && *f->digits)
			sql_bind_text(s, 13, f->digits);
	}
	return each_row(st, s, f->with_transcript, fn, arg);
}

int store_case_words_sync(struct store_tx *tx, char *(*words)(void *ud, const char *text),
			  void *ud, int max)
{
	struct store *st = store__writer(tx, "store_case_words_sync");
	if (!st)
		return -1;
	/* ORDER BY rowid DESC LIMIT 1, not max(rowid): FTS5 answers the first from its
	 * index at once; max() would scan every row. PostgreSQL's case_words keys its rows
	 * by id (FTS5's rowid) under a GIN index on their tsvector. */
	struct sql_stmt *s = store__prep(
		st, store__pick(st,
				"SELECT id, case_id, text FROM case_lines WHERE id > "
				"coalesce((SELECT rowid FROM case_words ORDER BY rowid "
				"DESC LIMIT 1), 0) ORDER BY id LIMIT ?",
				"SELECT id, case_id, text FROM case_lines WHERE id > "
				"coalesce((SELECT id FROM case_words ORDER BY id "
				"DESC LIMIT 1), 0) ORDER BY id LIMIT ?"));
	if (!s)
		return -1;
	sql_bind_int(s, 1, max);
	/* Lines are read first: the insert below changes what the select reads. */
	struct line {
		int64_t id, case_id;
		char *words;
	} *lines = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		if (n == cap)
			lines = xrealloc(lines, (cap = cap ? cap * 2 : 64) * sizeof *lines);
		const char *text = (const char *)sql_column_text(s, 2);
		lines[n++] = (struct line){sql_column_int64(s, 0), sql_column_int64(s, 1),
					   words(ud, text ? text : "")};
	}
	sql_reset(s);
	int result = rc == SQL_DONE ? 0 : -1;
	if (result < 0)
		log_error("store: search index: reading lines: %s", sql_errmsg(db_of(st)));
	struct sql_stmt *ins = store__prep(
		st, store__pick(st, "INSERT INTO case_words (rowid, words, case_id) VALUES (?, ?, ?)",
				"INSERT INTO case_words (id, words, case_id) VALUES (?, ?, ?)"));
	for (size_t i = 0; i < n; i++) {
		if (result == 0 && ins) {
			sql_bind_int64(ins, 1, lines[i].id);
			sql_bind_text(ins, 2, lines[i].words ? lines[i].words : "");
			sql_bind_int64(ins, 3, lines[i].case_id);
			if (sql_step(ins) != SQL_DONE) {
				log_error("store: search index: line %lld: %s", (long long)lines[i].id,
					  sql_errmsg(db_of(st)));
				result = -1;
			}
			sql_reset(ins);
		}
		free(lines[i].words);
	}
	free(lines);
	if (!ins)
		result = -1;
	return result < 0 ? -1 : (int)n;
}

/* stem as a prefix query: FTS5's "stem"* (" doubled) or PostgreSQL's 'stem':* on the
 * 'russian' configuration, the one the index's tsvector is built with. */
static char *prefix_query(struct store *st, const char *stem)
{
	struct buf b = {0};
	int pg = sql_backend(store__db(st)) == SQL_PG;
	const char quote = pg ? '\'' : '"';
	buf_append(&b, &quote, 1);
	for (const char *s = stem; *s; s++) {
		if (*s == quote || (pg && *s == '\\'))
			buf_append(&b, s, 1);
		buf_append(&b, s, 1);
	}
	buf_puts(&b, pg ? "':*" : "\"*");
	return buf_steal(&b);
}

int store_case_words_match(struct store *st, const char *stem, int64_t *ids, size_t max)
{
	struct sql_stmt *s = store__prep(
		st, store__pick(st,
				"SELECT DISTINCT case_id FROM case_words WHERE case_words MATCH ? "
				"ORDER BY case_id",
				"SELECT DISTINCT case_id FROM case_words WHERE "
				"tsv @@ to_tsquery('russian', ?) ORDER BY case_id"));
	if (!s)
		return -1;
	char *fts = prefix_query(st, stem);
	sql_bind_text(s, 1, fts);
	size_t n = 0;
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW && n < max)
		ids[n++] = sql_column_int64(s, 0);
	if (rc != SQL_ROW && rc != SQL_DONE)
		log_error("store: search %s: %s", fts, sql_errmsg(db_of(st)));
	free(fts);
	sql_reset(s);
	return rc == SQL_ROW || rc == SQL_DONE ? (int)n : -1;
}

char *store_case_last_text(struct store *st, int64_t id)
{
	/* A preview: 300 characters (substr counts characters, so UTF-8 stays whole). */
	struct sql_stmt *s = store__prep(st, "SELECT substr(l.text, 1, 300) FROM cases c JOIN "
					  "case_lines l ON l.id = c.last_customer_line_id WHERE c.id = ?");
	if (!s)
		return NULL;
	sql_bind_int64(s, 1, id);
	char *text = NULL;
	if (sql_step(s) == SQL_ROW && sql_column_type(s, 0) == SQL_TEXT)
		text = xstrdup((const char *)sql_column_text(s, 0));
	sql_reset(s);
	return text;
}

int store_cases_of_customer(struct store *st, int64_t id, int limit,
			    void (*fn)(void *arg, int64_t id, const cJSON *record), void *arg)
{
	struct sql_stmt *s = store__prep(
		st, "SELECT c.id, " RECORD_COLS_C ", NULL "
		    "FROM cases c, cases me WHERE me.id = ?1 AND c.id <> me.id AND "
		    "((c.channel = me.channel AND c.user_id = me.user_id) OR "
		    "(json_extract(me.record, '$.phone') <> '' AND "
		    "json_extract(c.record, '$.phone') = json_extract(me.record, '$.phone'))) "
		    "ORDER BY c.created_at DESC, c.id DESC LIMIT ?2");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, id);
	sql_bind_int(s, 2, limit);
	return each_row(st, s, 0, fn, arg);
}

int store_audit(struct store_tx *tx, const char *actor, const char *action, int64_t case_id,
		const char *detail, int64_t now)
{
	struct store *st = store__writer(tx, "store_audit");
	if (!st)
		return -1;
	struct sql_stmt *s = store__prep(st, "INSERT INTO audit (at, actor, action, case_id, detail) "
					  "VALUES (?,?,?,?,?)");
	if (!s)
		return -1;
	sql_bind_int64(s, 1, now);
	sql_bind_text(s, 2, actor);
	sql_bind_text(s, 3, action);
	if (case_id)
		sql_bind_int64(s, 4, case_id);
	if (detail)
		sql_bind_text(s, 5, detail);
	int rc = sql_step(s);
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}

int store_transcript(struct store *st, const char *channel, int64_t peer, int64_t since,
		     cJSON *arr)
{
	struct sql_stmt *s = store__prep(
		st, "SELECT at, who, text FROM ("
		    "SELECT received_at AS at, 'customer' AS who, coalesce(nullif(text, ''), "
		    "contact_phone, '') AS text, id * 2 AS k FROM inbound "
		    "WHERE channel = ?1 AND peer_id = ?2 AND received_at >= ?3 "
		    "UNION ALL SELECT created_ms / 1000, CASE WHEN source LIKE 'operator%' "
		    "THEN 'operator' ELSE 'bot' END, text, id * 2 + 1 FROM outbox "
		    "WHERE channel = ?1 AND peer_id = ?2 AND kind = 'message' AND "
		    "created_ms >= ?3 * 1000) t ORDER BY at, k LIMIT 500");
	if (!s)
		return -1;
	sql_bind_text(s, 1, channel);
	sql_bind_int64(s, 2, peer);
	sql_bind_int64(s, 3, since);
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddNumberToObject(l, "at", (double)sql_column_int64(s, 0));
		cJSON_AddStringToObject(l, "from", (const char *)sql_column_text(s, 1));
		const char *t = sql_column_text(s, 2);
		cJSON_AddStringToObject(l, "text", t ? (const char *)t : "");
		cJSON_AddItemToArray(arr, l);
	}
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}

int store_cases_open_peers(struct store *st, void (*fn)(void *arg, const char *channel,
							int64_t peer),
			   void *arg)
{
	struct sql_stmt *s = store__prep(st, "SELECT DISTINCT channel, peer_id FROM cases "
					  "WHERE status NOT IN ('resolved', 'closed')");
	if (!s)
		return -1;
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW)
		fn(arg, (const char *)sql_column_text(s, 0), sql_column_int64(s, 1));
	sql_reset(s);
	return rc == SQL_DONE ? 0 : -1;
}
