/* Store: migrations, refusal of newer or foreign files, inbound de-duplication, cursors,
 * conversation state, the outbox's per-chat order and its state changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "store.h"
#include "store_int.h"
#include "store_sql.h"
#include "test_store_fixture.h"
#include "xalloc.h"

static void migrates_to_current_version(void **state)
{
	struct store *st = open_store();
	store_close(st);
	if (tb_pg) {
		assert_int_equal(tb_pg_query(dbwhere, "SELECT version FROM deskbot_schema"),
				 STORE_SCHEMA_VERSION);
		store_close(open_store());
		return;
	}
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	/* Opening again is a no-op migration. */
	store_close(open_store());
}

static int exec_ok(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Raw SQL through the store's own connection (inside its open unit, if any). */
static int exec_in(struct store *st, const char *sql)
{
	return sql_exec(store__db(st), sql);
}

/* A store of schema 3 kept transcripts inside the records: migration 4 moves them to
 * rows, in order, and the record reads back the same. */
static void moves_transcripts_out_of_records(void **state)
{
	(void)state;
	tb_sqlite_only(); /* no PostgreSQL store ever had schema 3 */
	/* A store exactly as schema 3 left it: the first three migrations only. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (int v = 0; v < 3; v++)
		assert_int_equal(exec_ok(db, store__migration(v)), SQLITE_OK);
	assert_int_equal(exec_ok(db, "PRAGMA user_version = 3;"), SQLITE_OK);
	struct store *st;
	assert_int_equal(exec_ok(db, "INSERT INTO cases (id, number, channel, peer_id, user_id, "
				     "status, record, created_at, updated_at) VALUES (1, '000001', "
				     "'vk', 5, 5, 'new', '{\"number\":\"000001\",\"status\":\"new\","
				     "\"transcript\":[{\"at\":10,\"from\":\"customer\",\"text\":\"а\"},"
				     "{\"at\":11,\"from\":\"bot\",\"text\":\"б\"},{\"at\":12,"
				     "\"from\":\"operator\",\"text\":\"в\",\"operator\":\"oleg\"}]}', 10, 12)"),
			 SQLITE_OK);
	sqlite3_close(db);
	st = open_store();
	struct store_tx *tx = begin_tx(st);
	cJSON *r = NULL;
	assert_int_equal(store_case_get(st, 1, &r), 0);
	assert_non_null(r);
	const cJSON *tr = cJSON_GetObjectItem(r, "transcript");
	assert_int_equal(cJSON_GetArraySize(tr), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 0), "text")->valuestring, "а");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 2), "operator")->valuestring,
			    "oleg");
	assert_int_equal(cJSON_GetObjectItem(r, "messages")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItem(r, "last_from")->valuestring, "operator");
	/* A line appended through a whole record, and one directly: both kept, in order. */
	cJSON *l = cJSON_CreateObject();
	cJSON_AddNumberToObject(l, "at", 13);
	cJSON_AddStringToObject(l, "from", "customer");
	cJSON_AddStringToObject(l, "text", "г");
	cJSON_AddItemToArray(cJSON_GetObjectItem(r, "transcript"), l);
	assert_int_equal(store_case_put(tx, 1, r, 13), 0);
	cJSON_Delete(r);
	assert_int_equal(store_case_line_add(tx, 1, 14, "bot", "д", NULL), 0);
	assert_int_equal(store_case_get_head(st, 1, &r), 0);
	assert_null(cJSON_GetObjectItem(r, "transcript"));
	assert_int_equal(cJSON_GetObjectItem(r, "messages")->valueint, 5);
	assert_int_equal(store_case_put(tx, 1, r, 14), 0); /* a head appends nothing */
	cJSON_Delete(r);
	assert_int_equal(store_case_get(st, 1, &r), 0);
	tr = cJSON_GetObjectItem(r, "transcript");
	assert_int_equal(cJSON_GetArraySize(tr), 5);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 3), "text")->valuestring, "г");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 4), "text")->valuestring, "д");
	cJSON_Delete(r);
	assert_int_equal(store_commit(tx), 0);
	store_close(st);
	/* The record itself no longer holds the transcript. */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "SELECT record FROM cases WHERE id = 1", -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_null(strstr((const char *)sqlite3_column_text(s, 0), "transcript"));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Schema 15 keeps a case's last_customer_at in a column (a customer's line no longer
 * rewrites the record): a store of schema 14 has it moved there, and the record reads
 * back the same; a new customer line moves it and updated_at, a bot's line neither. */
static void moves_last_customer_at_to_a_column(void **state)
{
	(void)state;
	tb_sqlite_only(); /* the PostgreSQL migration is the same statement, run by it_postgres */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (int v = 0; v < 14; v++)
		assert_int_equal(exec_ok(db, store__migration(v)), SQLITE_OK);
	assert_int_equal(exec_ok(db, "PRAGMA user_version = 14;"), SQLITE_OK);
	assert_int_equal(exec_ok(db, "INSERT INTO cases (id, number, channel, peer_id, user_id, "
				     "status, record, created_at, updated_at) VALUES (1, '000001', "
				     "'vk', 5, 5, 'new', '{\"number\":\"000001\",\"status\":\"new\","
				     "\"updated_at\":20,\"last_customer_at\":20}', 10, 20)"),
			 SQLITE_OK);
	sqlite3_close(db);
	struct store *st = open_store();
	cJSON *r = NULL;
	assert_int_equal(store_case_get_head(st, 1, &r), 0);
	assert_int_equal(cJSON_GetObjectItem(r, "last_customer_at")->valueint, 20);
	cJSON_Delete(r);
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_case_line_add(tx, 1, 30, "customer", "а", NULL), 0);
	assert_int_equal(store_case_line_add(tx, 1, 31, "bot", "б", NULL), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(store_case_get_head(st, 1, &r), 0);
	assert_int_equal(cJSON_GetObjectItem(r, "last_customer_at")->valueint, 30);
	assert_int_equal(cJSON_GetObjectItem(r, "updated_at")->valueint, 30);
	assert_int_equal(cJSON_GetObjectItem(r, "last_at")->valueint, 31);
	cJSON_Delete(r);
	store_close(st);
}

/* Texts of a case's transcript joined by '|', oldest first (the caller frees). */
static char *transcript_texts(struct store *st, int64_t id)
{
	cJSON *r = NULL;
	assert_int_equal(store_case_get(st, id, &r), 0);
	assert_non_null(r);
	char *out = xstrdup("");
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "transcript"))
	{
		char *next = xasprintf("%s%s%s", out, *out ? "|" : "",
				       cJSON_GetObjectItem(l, "text")->valuestring);
		free(out);
		out = next;
	}
	cJSON_Delete(r);
	return out;
}

/* Schema 17 chains a case's lines (prev_id, cases.last_line_id) instead of indexing them
 * by case: a store of schema 16 with two cases' lines interleaved reads back each
 * transcript in order, lines added after the migration follow on, the preview is the
 * last customer line, and the per-case index is gone (its page writes were the cost). */
static void chains_transcript_lines(void **state)
{
	(void)state;
	tb_sqlite_only(); /* the PostgreSQL migration is the same statement, run by it_postgres */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (int v = 0; v < 16; v++)
		assert_int_equal(exec_ok(db, store__migration(v)), SQLITE_OK);
	assert_int_equal(exec_ok(db, "PRAGMA user_version = 16;"), SQLITE_OK);
	for (int c = 1; c <= 2; c++) {
		char *sql = xasprintf("INSERT INTO cases (id, number, channel, peer_id, user_id, "
				      "status, record, created_at, updated_at, n_lines) VALUES (%d, "
				      "'00000%d', 'vk', %d, %d, 'new', '{}', 10, 10, 3)",
				      c, c, c, c);
		assert_int_equal(exec_ok(db, sql), SQLITE_OK);
		free(sql);
	}
	assert_int_equal(exec_ok(db, "INSERT INTO case_lines (case_id, at, who, text) VALUES "
				     "(1, 10, 'customer', 'a1'), (2, 10, 'customer', 'b1'), "
				     "(1, 11, 'bot', 'a2'), (1, 12, 'customer', 'a3'), "
				     "(2, 11, 'bot', 'b2'), (2, 12, 'bot', 'b3')"),
			 SQLITE_OK);
	sqlite3_close(db);
	struct store *st = open_store();
	char *t = transcript_texts(st, 1);
	assert_string_equal(t, "a1|a2|a3");
	free(t);
	t = transcript_texts(st, 2);
	assert_string_equal(t, "b1|b2|b3");
	free(t);
	t = store_case_last_text(st, 2);
	assert_string_equal(t, "b1");
	free(t);
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_case_line_add(tx, 2, 20, "customer", "b4", NULL), 0);
	assert_int_equal(store_case_line_add(tx, 1, 20, "bot", "a4", NULL), 0);
	assert_int_equal(store_case_line_add(tx, 2, 21, "bot", "b5", NULL), 0);
	assert_int_equal(store_commit(tx), 0);
	t = transcript_texts(st, 1);
	assert_string_equal(t, "a1|a2|a3|a4");
	free(t);
	t = transcript_texts(st, 2);
	assert_string_equal(t, "b1|b2|b3|b4|b5");
	free(t);
	t = store_case_last_text(st, 1);
	assert_string_equal(t, "a3");
	free(t);
	t = store_case_last_text(st, 2);
	assert_string_equal(t, "b4");
	free(t);
	store_close(st);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'case_lines_case'",
			   -1, &s, NULL);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* A message and the bot's replies are appended at once: in order, chained after the
 * case's lines, counted, the last one the case's last, the customer's line the preview,
 * and an operator's login kept to its own line. */
static void appends_a_message_and_its_replies_at_once(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	int64_t id = 0;
	cJSON *rec = cJSON_Parse("{\"channel\":\"vk\",\"peer_id\":5,\"user_id\":5,"
				 "\"status\":\"new\"}");
	char number[16];
	assert_int_equal(store_case_create(tx, rec, 10, &id, number, sizeof number), 0);
	cJSON_Delete(rec);
	assert_int_equal(store_case_line_add(tx, id, 10, "operator", "o1", "oleg"), 0);
	const struct case_line_in lines[] = {
		{"customer", "c1", NULL}, {"bot", "b1", NULL}, {NULL, "b2", NULL}};
	assert_int_equal(store_case_lines_add(tx, id, 20, lines, 3), 0);
	assert_int_equal(store_case_lines_add(tx, id, 30, lines + 1, 1), 0);
	assert_int_equal(store_case_lines_add(tx, id, 40, lines, 0), 0);
	assert_int_equal(store_commit(tx), 0);
	char *t = transcript_texts(st, id);
	assert_string_equal(t, "o1|c1|b1|b2|b1");
	free(t);
	t = store_case_last_text(st, id);
	assert_string_equal(t, "c1");
	free(t);
	cJSON *r = NULL;
	assert_int_equal(store_case_get(st, id, &r), 0);
	assert_int_equal(cJSON_GetObjectItem(r, "messages")->valueint, 5);
	assert_string_equal(cJSON_GetObjectItem(r, "last_from")->valuestring, "bot");
	assert_int_equal(cJSON_GetObjectItem(r, "last_at")->valueint, 30);
	assert_int_equal(cJSON_GetObjectItem(r, "last_customer_at")->valueint, 20);
	const cJSON *tr = cJSON_GetObjectItem(r, "transcript");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 0), "operator")->valuestring,
			    "oleg");
	for (int i = 1; i < 5; i++)
		assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, i), "operator"));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 3), "from")->valuestring, "bot");
	cJSON_Delete(r);
	store_close(st);
}

static void refuses_newer_schema(void **state)
{
	store_close(open_store());
	if (tb_pg) {
		tb_pg_query(dbwhere, "UPDATE deskbot_schema SET version = 99");
	} else {
		sqlite3 *db;
		sqlite3_open(dbpath, &db);
		sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	struct store *st = NULL;
	char err[256] = "";
	assert_int_equal(store_open(dbwhere, &st, err, sizeof err), -1);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
}

/* PostgreSQL's counterpart of a file that is not a database: a schema that holds
 * tables but not deskbot's is refused, not migrated into. */
static void refuses_a_foreign_database(void **state)
{
	(void)state;
	if (!tb_pg)
		skip();
	tb_pg_query(dbwhere, "CREATE TABLE invoices (id BIGINT PRIMARY KEY)");
	struct store *st = NULL;
	char err[256] = "";
	assert_int_equal(store_open(dbwhere, &st, err, sizeof err), -1);
	assert_null(st);
	assert_non_null(strstr(err, "not a deskbot store"));
	assert_int_equal(tb_pg_query(dbwhere, "SELECT count(*) FROM information_schema.tables "
					      "WHERE table_schema = current_schema()"),
			 1);
}

static void refuses_a_file_that_is_not_a_database(void **state)
{
	tb_sqlite_only();
	FILE *f = fopen(dbpath, "w");
	fputs("this is not sqlite, just some text that is long enough to have a header....", f);
	fclose(f);
	struct store *st = NULL;
	char err[256] = "";
	assert_int_equal(store_open(dbpath, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "store:"));
}

static struct chan_msg msg(const char *key, int64_t peer, const char *text)
{
	struct chan_msg m = {0};
	m.channel = (char *)"vk";
	m.dedup_key = (char *)key;
	m.peer_id = peer;
	m.user_id = peer;
	m.message_id = 7;
	m.text = (char *)text;
	return m;
}

static void inbound_is_unique_per_channel_key(void **state)
{
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	struct chan_msg a = msg("ev1", 1, "hi");
	int64_t id1 = 0, id2 = 0;
	assert_int_equal(store_inbound_add(tx, &a, 1, &id1), 1);
	assert_int_equal(store_inbound_add(tx, &a, 1, &id2), 0);
	struct chan_msg b = msg("ev2", 1, "again");
	assert_int_equal(store_inbound_add(tx, &b, 1, &id2), 1);
	assert_true(id2 > id1);
	/* The same key on another channel is another message. */
	b.channel = (char *)"telegram";
	b.dedup_key = (char *)"ev1";
	assert_int_equal(store_inbound_add(tx, &b, 1, &id2), 1);
	assert_int_equal(store_commit(tx), 0);
	store_close(st);
}

static void cursor_and_conversation_survive_reopen(void **state)
{
	struct store *st = open_store();
	char *v = NULL;
	assert_int_equal(store_cursor_get(st, "telegram", &v), 0);
	assert_null(v);
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "telegram", "1001"), 0);
	assert_int_equal(store_cursor_set(tx, "telegram", "1002"), 0);
	cJSON *conv = cJSON_CreateObject();
	cJSON_AddStringToObject(conv, "pending", "tariff_gb");
	assert_int_equal(store_conv_save(tx, "vk", 5000000000LL, conv, 10), 0);
	cJSON_Delete(conv);
	assert_int_equal(store_commit(tx), 0);
	store_close(st);

	st = open_store();
	assert_int_equal(store_cursor_get(st, "telegram", &v), 0);
	assert_string_equal(v, "1002");
	free(v);
	assert_int_equal(store_conv_load(st, "vk", 5000000000LL, &conv), 0);
	assert_string_equal(cJSON_GetObjectItem(conv, "pending")->valuestring, "tariff_gb");
	cJSON_Delete(conv);
	assert_int_equal(store_conv_load(st, "vk", 1, &conv), 0);
	assert_null(conv->child);
	cJSON_Delete(conv);
	store_close(st);
}

static void add_row(struct store_tx *tx, int64_t peer, const char *text)
{
	struct outbox_row r = {0};
	r.channel = (char *)"vk";
	r.peer_id = peer;
	r.text = (char *)text;
	r.created_ms = 1000;
	assert_int_equal(store_outbox_add(tx, &r), 0);
	assert_true(r.id > 0);
}

struct collected {
	struct outbox_row rows[8];
	int n;
};

static void collect(void *arg, struct outbox_row *row)
{
	struct collected *c = arg;
	c->rows[c->n] = *row;
	*row = (struct outbox_row){0};
	c->n++;
}

static void collected_free(struct collected *c)
{
	for (int i = 0; i < c->n; i++)
		outbox_row_free(&c->rows[i]);
	c->n = 0;
}

/* Pending rows come back in id order (the sender's per-chat order rests on it), in
 * pages after a given id, and leave the list when sent or failed; a retry stays. */
static void outbox_pending_in_order_and_states(void **state)
{
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	add_row(tx, 1, "a1");
	add_row(tx, 1, "a2");
	add_row(tx, 2, "b1");
	struct collected c = {0};
	assert_int_equal(store_outbox_each_pending(st, "vk", 0, 8, collect, &c), 3);
	assert_string_equal(c.rows[0].text, "a1");
	assert_string_equal(c.rows[1].text, "a2");
	assert_string_equal(c.rows[2].text, "b1");
	int64_t a1 = c.rows[0].id, a2 = c.rows[1].id, b1 = c.rows[2].id;
	collected_free(&c);
	/* Paging: after a1, at most one. */
	assert_int_equal(store_outbox_each_pending(st, "vk", a1, 1, collect, &c), 1);
	assert_true(c.rows[0].id == a2);
	collected_free(&c);
	assert_int_equal(store_outbox_mark_retry(tx, a1, 5000, "http 500"), 0);
	assert_int_equal(store_outbox_mark_sent(tx, b1, 77, 2000), 0);
	assert_int_equal(store_outbox_mark_failed(tx, a2, "blocked", 2000), 0);
	assert_int_equal(store_outbox_each_pending(st, "vk", 0, 8, collect, &c), 1);
	assert_true(c.rows[0].id == a1);
	assert_int_equal(c.rows[0].attempts, 1);
	assert_int_equal(c.rows[0].next_attempt_ms, 5000);
	collected_free(&c);
	int64_t depth = 0, oldest = 0;
	assert_int_equal(store_outbox_depth(st, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 1);
	assert_int_equal(oldest, 1000);
	/* Another channel's rows are not listed. */
	assert_int_equal(store_outbox_each_pending(st, "telegram", 0, 8, collect, &c), 0);
	assert_int_equal(store_commit(tx), 0);
	/* Committed: the count is the database's. */
	assert_int_equal(store_outbox_depth(st, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 1);
	store_close(st);
}

static void rollback_discards_the_batch(void **state)
{
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	struct chan_msg a = msg("ev9", 3, "x");
	int64_t id;
	assert_int_equal(store_inbound_add(tx, &a, 1, &id), 1);
	assert_int_equal(store_cursor_set(tx, "vk", "55"), 0);
	store_rollback(tx);
	char *v = NULL;
	store_cursor_get(st, "vk", &v);
	assert_null(v);
	/* The message was not stored, so the replay is new. */
	tx = begin_tx(st);
	assert_int_equal(store_inbound_add(tx, &a, 1, &id), 1);
	assert_int_equal(store_commit(tx), 0);
	store_close(st);
}

/* A VFS in front of the default one that counts syncs (for the delivery marks). */
static sqlite3_vfs counting_vfs, *real_vfs;
static sqlite3_io_methods counting_io;
static int syncs;

struct counting_file {
	sqlite3_file base; /* pMethods: counting_io */
	sqlite3_file *real;
};

static int counting_sync(sqlite3_file *f, int flags)
{
	syncs++;
	sqlite3_file *r = ((struct counting_file *)f)->real;
	return r->pMethods->xSync(r, flags);
}

#define FORWARD(name, args, call)                                                          \
	static int counting_##name args                                                    \
	{                                                                                  \
		sqlite3_file *r = ((struct counting_file *)f)->real;                       \
		return r->pMethods->x##call;                                               \
	}
FORWARD(close, (sqlite3_file * f), Close(r))
FORWARD(read, (sqlite3_file * f, void *b, int n, sqlite3_int64 o), Read(r, b, n, o))
FORWARD(write, (sqlite3_file * f, const void *b, int n, sqlite3_int64 o), Write(r, b, n, o))
FORWARD(truncate, (sqlite3_file * f, sqlite3_int64 n), Truncate(r, n))
FORWARD(size, (sqlite3_file * f, sqlite3_int64 *n), FileSize(r, n))
FORWARD(lock, (sqlite3_file * f, int l), Lock(r, l))
FORWARD(unlock, (sqlite3_file * f, int l), Unlock(r, l))
FORWARD(check, (sqlite3_file * f, int *out), CheckReservedLock(r, out))
FORWARD(control, (sqlite3_file * f, int op, void *arg), FileControl(r, op, arg))
FORWARD(sector, (sqlite3_file * f), SectorSize(r))
FORWARD(device, (sqlite3_file * f), DeviceCharacteristics(r))
FORWARD(shm_map, (sqlite3_file * f, int pg, int sz, int ext, void volatile **p), ShmMap(r, pg, sz, ext, p))
FORWARD(shm_lock, (sqlite3_file * f, int o, int n, int fl), ShmLock(r, o, n, fl))
FORWARD(shm_unmap, (sqlite3_file * f, int del), ShmUnmap(r, del))

static void counting_shm_barrier(sqlite3_file *f)
{
	sqlite3_file *r = ((struct counting_file *)f)->real;
	r->pMethods->xShmBarrier(r);
}

static int counting_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	(void)vfs;
	struct counting_file *cf = (struct counting_file *)f;
	cf->real = (sqlite3_file *)(cf + 1);
	int rc = real_vfs->xOpen(real_vfs, name, cf->real, flags, out);
	cf->base.pMethods = rc == SQLITE_OK && cf->real->pMethods ? &counting_io : NULL;
	return rc;
}

static void use_counting_vfs(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	counting_vfs = *real_vfs;
	counting_vfs.zName = "counting";
	counting_vfs.szOsFile = (int)sizeof(struct counting_file) + real_vfs->szOsFile;
	counting_vfs.xOpen = counting_open;
	counting_io = (sqlite3_io_methods){
		.iVersion = 2, .xClose = counting_close, .xRead = counting_read,
		.xWrite = counting_write, .xTruncate = counting_truncate, .xSync = counting_sync,
		.xFileSize = counting_size, .xLock = counting_lock, .xUnlock = counting_unlock,
		.xCheckReservedLock = counting_check, .xFileControl = counting_control,
		.xSectorSize = counting_sector, .xDeviceCharacteristics = counting_device,
		.xShmMap = counting_shm_map, .xShmLock = counting_shm_lock,
		.xShmBarrier = counting_shm_barrier, .xShmUnmap = counting_shm_unmap};
	sqlite3_vfs_register(&counting_vfs, 1);
}

static int commit_syncs(struct store *st, int unsynced, int64_t peer)
{
	int before = syncs;
	struct store_tx *tx = unsynced ? store_begin_unsynced(st) : store_begin(st);
	assert_non_null(tx);
	add_row(tx, peer, "mark");
	assert_int_equal(store_commit(tx), 0);
	return syncs - before;
}

/* Delivery marks commit without syncing the WAL, everything else still syncs: SQLite
 * reads PRAGMA synchronous only outside a transaction, so relaxing it at the commit
 * (as deskbot once did) synced every mark. Counted at the VFS, not taken on trust. */
static void delivery_marks_commit_unsynced(void **state)
{
	(void)state;
	tb_sqlite_only(); /* counts SQLite's fsyncs through a VFS */
	use_counting_vfs();
	struct store *st = open_store();
	assert_true(commit_syncs(st, 0, 1) > 0);
	assert_int_equal(commit_syncs(st, 1, 2), 0);
	assert_true(commit_syncs(st, 0, 3) > 0); /* FULL is back */
	/* An unsynced begin inside an open synced transaction is refused and leaves it
	 * synced. */
	int before = syncs;
	struct store_tx *tx = begin_tx(st);
	assert_null(store_begin_unsynced(st));
	add_row(tx, 4, "refused");
	assert_int_equal(store_commit(tx), 0);
	assert_true(syncs > before);
	/* A rolled-back unsynced transaction restores FULL too. */
	tx = store_begin_unsynced(st);
	assert_non_null(tx);
	store_rollback(tx);
	assert_true(commit_syncs(st, 0, 5) > 0);
	store_close(st);
	sqlite3_vfs_unregister(&counting_vfs);
}

/* Units of work do not nest: a second begin is refused (not joined), and the open unit
 * goes on unharmed; once it has ended, a begin works again. */
static void nested_begin_is_refused(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	assert_ptr_equal(store_tx_store(tx), st);
	assert_null(store_begin(st));
	assert_null(store_begin_unsynced(st));
	assert_int_equal(store_cursor_set(tx, "vk", "1"), 0);
	assert_int_equal(store_commit(tx), 0);
	tx = begin_tx(st);
	store_rollback(tx);
	store_rollback(NULL); /* accepted */
	store_close(st);
}

/* A commit keeps the unit's writes, a rollback drops them all. */
static void commit_keeps_and_rollback_drops(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "vk", "10"), 0);
	assert_int_equal(store_cursor_set(tx, "telegram", "20"), 0);
	char *v = NULL;
	assert_int_equal(store_cursor_get(st, "vk", &v), 0); /* reads see the unit's writes */
	assert_string_equal(v, "10");
	free(v);
	assert_int_equal(store_commit(tx), 0);
	tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "vk", "11"), 0);
	assert_int_equal(store_cursor_set(tx, "telegram", "21"), 0);
	store_rollback(tx);
	assert_int_equal(store_cursor_get(st, "vk", &v), 0);
	assert_string_equal(v, "10");
	free(v);
	assert_int_equal(store_cursor_get(st, "telegram", &v), 0);
	assert_string_equal(v, "20");
	free(v);
	store_close(st);
}

/* A write takes an open unit's tx: without one (NULL, or one already ended) it fails
 * and writes nothing. */
static void writes_need_a_tx(void **state)
{
	(void)state;
	struct store *st = open_store();
	assert_int_equal(store_cursor_set(NULL, "vk", "1"), -1);
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(store_cursor_set(tx, "vk", "2"), -1); /* ended */
	struct outbox_row r = {.channel = (char *)"vk", .peer_id = 1, .text = (char *)"x"};
	assert_int_equal(store_outbox_add(tx, &r), -1);
	assert_int_equal(store_commit(tx), -1);
	char *v = NULL;
	assert_int_equal(store_cursor_get(st, "vk", &v), 0);
	assert_null(v);
	int64_t depth = 0, oldest = 0;
	assert_int_equal(store_outbox_depth(st, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 0);
	store_close(st);
}

/* A commit that fails (here a deferred foreign key that does not hold) rolls the unit
 * back: none of its writes stay, the outbox count is the database's, the failure is
 * reported, and the store takes the next unit. */
static void failed_commit_rolls_back(void **state)
{
	(void)state;
	struct store *st = open_store();
	assert_int_equal(exec_in(st, "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE "
				     "TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE "
				     "INITIALLY DEFERRED);"),
			 0);
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "vk", "5"), 0);
	add_row(tx, 1, "lost");
	assert_int_equal(exec_in(st, "INSERT INTO child (p) VALUES (42)"), 0);
	assert_int_equal(store_commit(tx), -1);
	assert_non_null(strstr(store_state(st), tb_pg ? "foreign key" : "FOREIGN KEY"));
	char *v = NULL;
	assert_int_equal(store_cursor_get(st, "vk", &v), 0);
	assert_null(v);
	int64_t depth = 0, oldest = 0;
	assert_int_equal(store_outbox_depth(st, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 0);
	tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "vk", "6"), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_string_equal(store_state(st), "ok");
	store_close(st);
}

/* A lost PostgreSQL connection fails the unit in hand (rolled back: none of its writes
 * land), the store says so, and it reconnects by itself for the next one. */
static void survives_a_lost_connection(void **state)
{
	(void)state;
	if (!tb_pg)
		skip();
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "vk", "1"), 0);
	assert_int_equal(store_commit(tx), 0);
	tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "vk", "2"), 0);
	add_row(tx, 1, "in the lost unit");
	assert_true(tb_pg_cut() >= 1);
	assert_int_equal(store_commit(tx), -1);
	assert_string_not_equal(store_state(st), "ok");
	/* Reads come back once the store has reconnected (within its backoff). */
	char *v = NULL;
	int tries = 0;
	while (store_cursor_get(st, "vk", &v) < 0 && tries++ < 100)
		usleep(50 * 1000);
	assert_non_null(v);
	assert_string_equal(v, "1");
	free(v);
	int64_t depth = -1, oldest = 0;
	assert_int_equal(store_outbox_depth(st, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 0);
	tx = begin_tx(st);
	assert_int_equal(store_cursor_set(tx, "vk", "3"), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_string_equal(store_state(st), "ok");
	store_close(st);
}

/* The statement cache grows: however many distinct queries the store files hold, a new
 * one is prepared and kept (a fixed table once filled up and aborted the daemon), and
 * each comes back as the same statement, still answering its own query. */
static void statement_cache_never_fills(void **state)
{
	(void)state;
	struct store *st = open_store();
	enum { N = 1500 };
	char **sql = xcalloc(N, sizeof *sql);
	struct sql_stmt **first = xcalloc(N, sizeof *first);
	for (int i = 0; i < N; i++) {
		sql[i] = xasprintf("SELECT %d", i);
		first[i] = store__prep(st, sql[i]);
		assert_non_null(first[i]);
	}
	for (int i = 0; i < N; i++) {
		struct sql_stmt *s = store__prep(st, sql[i]);
		assert_ptr_equal(s, first[i]);
		assert_int_equal(sql_step(s), SQL_ROW);
		assert_int_equal(sql_column_int64(s, 0), i);
		sql_reset(s);
	}
	store_close(st);
	for (int i = 0; i < N; i++)
		free(sql[i]);
	free(sql);
	free(first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(migrates_to_current_version, setup, teardown),
		cmocka_unit_test_setup_teardown(chains_transcript_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(appends_a_message_and_its_replies_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(moves_last_customer_at_to_a_column, setup, teardown),
		cmocka_unit_test_setup_teardown(statement_cache_never_fills, setup, teardown),
		cmocka_unit_test_setup_teardown(moves_transcripts_out_of_records, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_file_that_is_not_a_database, setup,
						teardown),
		cmocka_unit_test_setup_teardown(refuses_a_foreign_database, setup, teardown),
		cmocka_unit_test_setup_teardown(inbound_is_unique_per_channel_key, setup, teardown),
		cmocka_unit_test_setup_teardown(cursor_and_conversation_survive_reopen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(outbox_pending_in_order_and_states, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_discards_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(delivery_marks_commit_unsynced, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_begin_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(commit_keeps_and_rollback_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_need_a_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_commit_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(survives_a_lost_connection, setup, teardown),
	};
	return tb_run(tests);
}
