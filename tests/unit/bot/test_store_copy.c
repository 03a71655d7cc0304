/* deskbot store copy (bot/store_copy.c): a SQLite store with messages, replies, a case
 * with its transcript and a file's bytes, an idea and a cursor is copied into the
 * destination (another SQLite file on the first pass, PostgreSQL on the second): every
 * row arrives, the salt (VK's random_id) comes along, new ids continue past the copied
 * ones, a second run copies nothing and keeps what the destination changed since, and a
 * destination holding another store is refused with nothing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "message.h"
#include "outbox_row.h"
#include "store.h"
#include "store_cases.h"
#include "store_copy.h"
#include "store_files.h"
#include "store_ideas.h"
#include "store_int.h"
#include "test_store_fixture.h"

static char srcpath[64];

static int setup_copy(void **state)
{
	setup(state);
	strcpy(srcpath, "/tmp/deskbot-copy-src-XXXXXX");
	int fd = mkstemp(srcpath);
	close(fd);
	unlink(srcpath);
	return 0;
}

static int teardown_copy(void **state)
{
	char p[96];
	unlink(srcpath);
	snprintf(p, sizeof p, "%s-wal", srcpath);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", srcpath);
	unlink(p);
	return teardown(state);
}

/* open_store (the fixture's) opens the destination; open_at any store. */
static struct store *open_at(const char *where)
{
	struct store *st = NULL;
	char err[256] = "";
	if (store_open(where, &st, err, sizeof err) < 0)
		fail_msg("store_open %s: %s", where, err);
	return st;
}

static const char file_bytes[] = "\x89PNG\0\1\2\3";

static void add_inbound(struct store_tx *tx, const char *key, int64_t peer, const char *text,
			int64_t *id)
{
	struct chan_msg m = {.channel = "vk", .dedup_key = (char *)key, .peer_id = peer,
			     .user_id = peer, .message_id = 1, .date = 100, .text = (char *)text};
	assert_int_equal(store_inbound_add(tx, &m, 100, id), 1);
}

/* The source: 3 messages, 2 replies (one sent), a case with 2 lines and a fetched
 * photo, an idea with a vote, a cursor. Its case id in *case_id, file id in *file_id. */
static void fill_source(int64_t *case_id, int64_t *file_id)
{
	struct store *st = open_at(srcpath);
	struct store_tx *tx = begin_tx(st);
	int64_t in[3];
	add_inbound(tx, "e1", 10, "сколько стоит тариф", &in[0]);
	add_inbound(tx, "e2", 11, "не работает интернет", &in[1]);
	add_inbound(tx, "e3", 11, "вот фото", &in[2]);
	struct outbox_row r1 = {.channel = "vk", .kind = "message", .peer_id = 10,
				.inbound_id = in[0], .text = "Тариф «Старт» — 300 ₽", .created_ms = 1,
				.next_attempt_ms = 1};
	struct outbox_row r2 = {.channel = "vk", .kind = "message", .peer_id = 11,
				.inbound_id = in[1], .text = "Перезагрузите телефон", .created_ms = 2,
				.next_attempt_ms = 2};
	assert_int_equal(store_outbox_add(tx, &r1), 0);
	assert_int_equal(store_outbox_add(tx, &r2), 0);
	assert_int_equal(store_outbox_mark_sent(tx, r1.id, 555, 3), 0);
	assert_int_equal(store_cursor_set(tx, "vk", "42"), 0);

	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "channel", "vk");
	cJSON_AddNumberToObject(rec, "peer_id", 11);
	cJSON_AddNumberToObject(rec, "user_id", 11);
	cJSON_AddStringToObject(rec, "severity", "high");
	cJSON_AddStringToObject(rec, "status", "new");
	cJSON_AddArrayToObject(rec, "transcript");
	char number[24];
	assert_int_equal(store_case_create(tx, rec, 1000, case_id, number, sizeof number), 0);
	cJSON_Delete(rec);
	assert_int_equal(store_case_line_add(tx, *case_id, 1001, "customer", "не работает интернет",
					     NULL), 0);
	assert_int_equal(store_case_line_add(tx, *case_id, 1002, "customer", "вот фото", NULL), 0);
	struct chan_file photo = {.kind = "photo", .ref = "https://vk.example/p.jpg"};
	assert_int_equal(store_file_add(tx, *case_id, "vk", &photo, 1002), 0);
	assert_int_equal(store_commit(tx), 0);

	*file_id = store__scalar(st, "SELECT max(id) FROM case_files");
	tx = begin_tx(st);
	assert_int_equal(store_file_done(tx, *file_id, "image/png", file_bytes, sizeof file_bytes),
			 0);
	struct idea_new idea = {.channel = "vk", .peer_id = 10, .user_id = 10,
				.what = "ночной тариф", .lang = "ru"};
	int64_t idea_id = 0;
	assert_int_equal(store_idea_add(tx, &idea, 1003, &idea_id), 0);
	assert_int_equal(store_commit(tx), 0);
	store_close(st);
}

static int64_t table_rows(const struct store_copy_report *rep, const char *name, int copied)
{
	for (int i = 0; i < rep->n; i++)
		if (strcmp(rep->tables[i].name, name) == 0)
			return copied ? rep->tables[i].copied : rep->tables[i].rows;
	fail_msg("table %s was not copied", name);
	return -1;
}

static void copies_every_row_then_nothing(void **state)
{
	(void)state;
	int64_t case_id = 0, file_id = 0;
	fill_source(&case_id, &file_id);
	struct store *src = open_at(srcpath);
	int64_t salt = store_salt(src);
	store_close(src);

	struct store_copy_report rep;
	char err[512] = "";
	if (store_copy(srcpath, dbwhere, &rep, err, sizeof err) < 0)
		fail_msg("store_copy: %s", err);
	assert_int_equal(table_rows(&rep, "inbound", 1), 3);
	assert_int_equal(table_rows(&rep, "outbox", 1), 2);
	assert_int_equal(table_rows(&rep, "cases", 1), 1);
	assert_int_equal(table_rows(&rep, "case_lines", 1), 2);
	assert_int_equal(table_rows(&rep, "case_files", 1), 1);
	assert_int_equal(table_rows(&rep, "ideas", 1), 1);
	assert_int_equal(table_rows(&rep, "cursors", 1), 1);
	for (int i = 0; i < rep.n; i++)
		assert_string_not_equal(rep.tables[i].name, "case_words"); /* rebuilt, not copied */
	assert_true(rep.copied > 0);
	assert_int_equal(rep.sequences > 0, tb_pg); /* only PostgreSQL has sequences */

	struct store *dst = open_store();
	assert_int_equal(store_salt(dst), salt);
	char *cursor = NULL;
	assert_int_equal(store_cursor_get(dst, "vk", &cursor), 0);
	assert_string_equal(cursor, "42");
	free(cursor);
	cJSON *rec = NULL;
	assert_int_equal(store_case_get(dst, case_id, &rec), 0);
	assert_non_null(rec);
	const cJSON *tr = cJSON_GetObjectItem(rec, "transcript");
	assert_int_equal(cJSON_GetArraySize(tr), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 1), "text")->valuestring,
			    "вот фото");
	cJSON_Delete(rec);
	struct store_file f;
	assert_int_equal(store_file_get(dst, file_id, &f), 1);
	assert_int_equal(f.len, sizeof file_bytes);
	assert_memory_equal(f.data, file_bytes, sizeof file_bytes);
	store_file_clear(&f);
	/* Only the reply not sent yet is pending at the destination. */
	int64_t depth = 0, oldest = 0;
	assert_int_equal(store_outbox_depth(dst, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 1);

	/* New rows take ids past the copied ones (PostgreSQL's sequences moved on). */
	struct store_tx *tx = begin_tx(dst);
	int64_t in_id = 0;
	add_inbound(tx, "e4", 12, "ещё вопрос", &in_id);
	assert_true(in_id > 3);
	struct outbox_row r = {.channel = "vk", .kind = "message", .peer_id = 12,
			       .inbound_id = in_id, .text = "ответ", .created_ms = 5,
			       .next_attempt_ms = 5};
	assert_int_equal(store_outbox_add(tx, &r), 0);
	assert_true(r.id > 2);
	/* What the destination does after the move: the pending reply is sent. */
	int64_t pending = store__scalar(dst, "SELECT id FROM outbox WHERE status = 'pending' "
					     "ORDER BY id LIMIT 1");
	assert_int_equal(store_outbox_mark_sent(tx, pending, 777, 6), 0);
	assert_int_equal(store_commit(tx), 0);
	store_close(dst);

	/* A second run copies nothing and undoes nothing: the reply sent at the destination
	 * stays sent (a copy that overwrote it would send it again). */
	if (store_copy(srcpath, dbwhere, &rep, err, sizeof err) < 0)
		fail_msg("store_copy again: %s", err);
	assert_int_equal(rep.copied, 0);
	assert_int_equal(table_rows(&rep, "inbound", 0), 3);
	dst = open_at(dbwhere);
	assert_int_equal(store_outbox_depth(dst, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 1); /* only the new reply */
	assert_int_equal(store__scalar(dst, "SELECT count(*) FROM inbound"), 4);
	store_close(dst);
}

static void refuses_a_destination_with_its_own_store(void **state)
{
	(void)state;
	int64_t case_id = 0, file_id = 0;
	fill_source(&case_id, &file_id);
	struct store *dst = open_at(dbwhere);
	struct store_tx *tx = begin_tx(dst);
	int64_t id = 0;
	add_inbound(tx, "own-1", 99, "свой", &id);
	assert_int_equal(store_commit(tx), 0);
	store_close(dst);

	struct store_copy_report rep;
	char err[512] = "";
	assert_int_equal(store_copy(srcpath, dbwhere, &rep, err, sizeof err), -1);
	assert_non_null(strstr(err, "already holds a store of its own"));
	dst = open_at(dbwhere);
	assert_int_equal(store__scalar(dst, "SELECT count(*) FROM inbound"), 1);
	assert_int_equal(store__scalar(dst, "SELECT count(*) FROM cases"), 0);
	store_close(dst);
}

static void refuses_a_missing_or_foreign_source(void **state)
{
	(void)state;
	struct store_copy_report rep;
	char err[512] = "";
	assert_int_equal(store_copy("/nonexistent/deskbot.db", dbwhere, &rep, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot read /nonexistent/deskbot.db"));
	FILE *f = fopen(srcpath, "w");
	assert_non_null(f);
	fputs("not a database, just text\n", f);
	fclose(f);
	err[0] = 0;
	assert_int_equal(store_copy(srcpath, dbwhere, &rep, err, sizeof err), -1);
	assert_true(err[0] != 0);
	unlink(srcpath);
	int64_t case_id = 0, file_id = 0;
	fill_source(&case_id, &file_id);
	assert_int_equal(store_copy(srcpath, srcpath, &rep, err, sizeof err), -1);
	assert_non_null(strstr(err, "the same file"));
	/* Nothing reached the destination. */
	struct store *dst = open_at(dbwhere);
	assert_int_equal(store__scalar(dst, "SELECT count(*) FROM inbound"), 0);
	store_close(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(copies_every_row_then_nothing, setup_copy,
						teardown_copy),
		cmocka_unit_test_setup_teardown(refuses_a_destination_with_its_own_store,
						setup_copy, teardown_copy),
		cmocka_unit_test_setup_teardown(refuses_a_missing_or_foreign_source, setup_copy,
						teardown_copy),
	};
	return tb_run(tests);
}
