/* The files customers send (bot/store_files.c, bot/file_fetch.c's type check): a file is
 * tied to the line it came with and shows in that line of the transcript; pending until
 * done or failed (a transient failure is retried up to the limit, a permanent one at
 * once); the bytes come back whole; only image, audio and document types are kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "file_fetch.h"
#include "message.h"
#include "store.h"
#include "store_cases.h"
#include "store_files.h"
#include "test_store_fixture.h"

static int64_t new_case(struct store *st)
{
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "channel", "telegram");
	cJSON_AddNumberToObject(rec, "peer_id", 7);
	cJSON_AddNumberToObject(rec, "user_id", 7);
	cJSON_AddStringToObject(rec, "severity", "normal");
	cJSON_AddStringToObject(rec, "status", "new");
	cJSON_AddArrayToObject(rec, "transcript");
	int64_t id = 0;
	char number[24];
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_case_create(tx, rec, 1000, &id, number, sizeof number), 0);
	assert_int_equal(store_commit(tx), 0);
	cJSON_Delete(rec);
	return id;
}

struct seen {
	int64_t ids[8];
	char refs[8][32];
	int n;
};

static void collect(void *arg, const struct store_pending_file *f)
{
	struct seen *s = arg;
	s->ids[s->n] = f->id;
	snprintf(s->refs[s->n], sizeof s->refs[0], "%s", f->ref);
	s->n++;
}

static void files_on_their_line_then_done_or_failed(void **state)
{
	(void)state;
	struct store *st = open_store();
	int64_t id = new_case(st);
	struct chan_file photo = {.kind = "photo", .ref = "AgAC-x"};
	struct chan_file doc = {.kind = "document", .ref = "BQAC-d", .name = "скан.pdf"};
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_case_line_add(tx, id, 1001, "customer", "привет", NULL), 0);
	assert_int_equal(store_case_line_add(tx, id, 1002, "customer", "вот фото", NULL), 0);
	assert_int_equal(store_file_add(tx, id, "telegram", &photo, 1002), 0);
	assert_int_equal(store_file_add(tx, id, "telegram", &doc, 1002), 0);
	assert_int_equal(store_case_line_add(tx, id, 1003, "bot", "спасибо", NULL), 0);
	assert_int_equal(store_commit(tx), 0);

	struct seen s = {0};
	assert_int_equal(store_files_pending(st, 0, 10, collect, &s), 2);
	assert_string_equal(s.refs[0], "AgAC-x");
	assert_string_equal(s.refs[1], "BQAC-d");
	struct seen after = {0};
	assert_int_equal(store_files_pending(st, s.ids[0], 10, collect, &after), 1);

	/* The files show on the second line only, pending. */
	cJSON *rec = NULL;
	assert_int_equal(store_case_get(st, id, &rec), 0);
	const cJSON *tr = cJSON_GetObjectItem(rec, "transcript");
	assert_int_equal(cJSON_GetArraySize(tr), 3);
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 0), "files"));
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 2), "files"));
	const cJSON *files = cJSON_GetObjectItem(cJSON_GetArrayItem(tr, 1), "files");
	assert_int_equal(cJSON_GetArraySize(files), 2);
	const cJSON *f1 = cJSON_GetArrayItem(files, 1);
	assert_string_equal(cJSON_GetObjectItem(f1, "kind")->valuestring, "document");
	assert_string_equal(cJSON_GetObjectItem(f1, "name")->valuestring, "скан.pdf");
	assert_string_equal(cJSON_GetObjectItem(f1, "state")->valuestring, "pending");
	cJSON_Delete(rec);

	/* Bytes with a NUL inside come back whole; a transient failure stays pending until
	 * the last attempt; a permanent one fails at once. */
	static const char bytes[] = "\x89PNG\0\1\2";
	tx = begin_tx(st);
	assert_int_equal(store_file_done(tx, s.ids[0], "image/png", bytes, sizeof bytes), 0);
	assert_int_equal(store_file_failed(tx, s.ids[1], "timeout", 0, 2), 0);
	assert_int_equal(store_commit(tx), 0);
	struct store_file f;
	assert_int_equal(store_file_get(st, s.ids[0], &f), 1);
	assert_string_equal(f.state, "ok");
	assert_string_equal(f.mime, "image/png");
	assert_int_equal(f.len, sizeof bytes);
	assert_memory_equal(f.data, bytes, sizeof bytes);
	assert_int_equal(f.case_id, id);
	store_file_clear(&f);
	assert_int_equal(store_file_get(st, s.ids[1], &f), 1);
	assert_string_equal(f.state, "pending");
	assert_null(f.data);
	store_file_clear(&f);
	tx = begin_tx(st);
	assert_int_equal(store_file_failed(tx, s.ids[1], "timeout again", 0, 2), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(store_file_get(st, s.ids[1], &f), 1);
	assert_string_equal(f.state, "failed");
	assert_string_equal(f.error, "timeout again");
	store_file_clear(&f);
	struct seen none = {0};
	assert_int_equal(store_files_pending(st, 0, 10, collect, &none), 0);
	assert_int_equal(store_file_get(st, 999, &f), 0);

	struct chan_file sticker = {.kind = "sticker", .ref = "CAAC"};
	tx = begin_tx(st);
	assert_int_equal(store_case_line_add(tx, id, 1004, "customer", "", NULL), 0);
	assert_int_equal(store_file_add(tx, id, "telegram", &sticker, 1004), 0);
	assert_int_equal(store_commit(tx), 0);
	struct seen one = {0};
	assert_int_equal(store_files_pending(st, 0, 10, collect, &one), 1);
	tx = begin_tx(st);
	assert_int_equal(store_file_failed(tx, one.ids[0], "text/html refused", 1, 3), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(store_file_get(st, one.ids[0], &f), 1);
	assert_string_equal(f.state, "failed");
	store_file_clear(&f);

	/* Writes need a unit of work. */
	assert_int_equal(store_file_add(NULL, id, "telegram", &photo, 1005), -1);
	store_close(st);
}

static void only_images_audio_and_documents_are_kept(void **state)
{
	(void)state;
	assert_true(file_type_allowed("photo", "image/jpeg"));
	assert_true(file_type_allowed("photo", "IMAGE/PNG; charset=binary"));
	assert_true(file_type_allowed("sticker", "image/webp"));
	assert_true(file_type_allowed("voice", "audio/ogg"));
	assert_true(file_type_allowed("document", "application/pdf"));
	assert_true(file_type_allowed("document",
				      "application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
	assert_true(file_type_allowed("document", "application/vnd.ms-excel"));
	assert_false(file_type_allowed("photo", "text/html"));
	assert_false(file_type_allowed("photo", "image/svg+xml"));
	assert_false(file_type_allowed("photo", "application/pdf"));
	assert_false(file_type_allowed("voice", "image/png"));
	assert_false(file_type_allowed("document", "text/html"));
	assert_false(file_type_allowed("document", "application/javascript"));
	assert_false(file_type_allowed("document", "image/svg+xml"));
	assert_false(file_type_allowed("document", "application/vnd.ms"));
	assert_false(file_type_allowed("photo", ""));
	assert_false(file_type_allowed("video", "video/mp4"));
	assert_false(file_type_allowed(NULL, "image/png"));
	/* What is served: a known type as itself, anything else as bytes. */
	assert_string_equal(file_type_static("image/png"), "image/png");
	assert_string_equal(file_type_static("audio/ogg; codecs=opus"), "audio/ogg");
	assert_string_equal(file_type_static("application/vnd.ms-excel"), "application/octet-stream");
	assert_string_equal(file_type_static("text/html"), "application/octet-stream");
	assert_string_equal(file_type_static(""), "application/octet-stream");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(files_on_their_line_then_done_or_failed, setup,
						teardown),
		cmocka_unit_test(only_images_audio_and_documents_are_kept),
	};
	return tb_run(tests);
}
