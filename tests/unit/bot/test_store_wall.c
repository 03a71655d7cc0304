/* Wall comments in the store (bot/store_wall.c): stored once, edited, deleted with the
 * pending public reply cancelled, and the thread a case shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "outbox_row.h"
#include "store_cases.h"
#include "store_wall.h"
#include "test_store_fixture.h"
#include "xalloc.h"

static struct chan_msg comment(int64_t id, int64_t from, const char *text)
{
	return (struct chan_msg){.user_id = from, .peer_id = from, .text = (char *)text,
				 .wall = {.event = WALL_NEW, .owner_id = -1, .post_id = 12,
					  .comment_id = id}};
}

static void put_edit_delete_and_thread(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	struct chan_msg a = comment(501, 77, "не работает интернет");
	struct chan_msg b = comment(502, 78, "у меня тоже");
	struct chan_msg c = comment(503, 79, "репост!");
	assert_int_equal(store_wall_put(tx, "vk", &a, "complaint", 5, 100), 1);
	assert_int_equal(store_wall_put(tx, "vk", &a, "complaint", 5, 100), 0); /* replay */
	assert_int_equal(store_wall_put(tx, "vk", &b, "complaint", 0, 101), 1);
	assert_int_equal(store_wall_put(tx, "vk", &c, "troll", 0, 102), 1);
	struct chan_msg edit = comment(502, 78, "у меня тоже третий день");
	assert_int_equal(store_wall_edit(tx, "vk", &edit, 103), 1);
	struct chan_msg unknown = comment(999, 78, "?");
	assert_int_equal(store_wall_edit(tx, "vk", &unknown, 103), 0);
	/* A public reply to c waits in the outbox; deleting c cancels it. */
	struct outbox_row r = {.channel = "vk", .kind = "wall_reply", .peer_id = 79, .text = "x",
			       .extra = "{\"owner_id\":-1,\"post_id\":12,\"comment_id\":503}",
			       .created_ms = 1};
	assert_int_equal(store_outbox_add(tx, &r), 0);
	assert_int_equal(store_wall_delete(tx, "vk", &c, 104), 1);
	assert_int_equal(store_wall_delete(tx, "vk", &c, 105), 0);
	assert_int_equal(store_commit(tx), 0);
	/* The cancelled reply no longer counts as waiting. */
	int64_t depth = -1, oldest = 0;
	assert_int_equal(store_outbox_depth(st, "vk", &depth, &oldest), 0);
	assert_int_equal(depth, 0);
	assert_int_equal(store_wall_deleted(st, "vk", -1, 503), 1);
	assert_int_equal(store_wall_deleted(st, "vk", -1, 501), 0);

	cJSON *t = cJSON_CreateObject();
	assert_int_equal(store_wall_thread(st, "vk", -1, 12, t), 0);
	assert_int_equal(cJSON_GetObjectItem(t, "replies")->valueint, 2); /* c is deleted */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "authors")), 2);
	cJSON *comp = cJSON_GetObjectItem(t, "complaining");
	assert_int_equal(cJSON_GetArraySize(comp), 2);
	assert_int_equal(cJSON_GetArrayItem(comp, 1)->valueint, 78);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "trolls")), 0);
	cJSON_Delete(t);

	char channel[48];
	int64_t owner = 0, post = 0, from = 0;
	assert_int_equal(store_wall_comment(st, 502, channel, sizeof channel, &owner, &post, &from), 1);
	assert_string_equal(channel, "vk");
	assert_int_equal(post, 12);
	assert_int_equal(from, 78);
	assert_int_equal(store_wall_comment(st, 4242, channel, sizeof channel, &owner, &post, &from), 0);
	store_close(st);
}

/* The «Публичные» list: a thread whose comments are linked to an open case, with the
 * case ids, the thread's counts and its comments (on both backends). */
static void open_threads_list_linked_cases(void **state)
{
	(void)state;
	struct store *st = open_store();
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "channel", "vk");
	cJSON_AddNumberToObject(rec, "peer_id", 77);
	cJSON_AddNumberToObject(rec, "user_id", 77);
	cJSON_AddStringToObject(rec, "severity", "normal");
	cJSON_AddStringToObject(rec, "status", "new");
	int64_t id = 0;
	char number[24];
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_case_create(tx, rec, 1000, &id, number, sizeof number), 0);
	cJSON_Delete(rec);
	struct chan_msg a = comment(601, 77, "интернет не работает");
	struct chan_msg b = comment(602, 78, "у меня тоже");
	assert_int_equal(store_wall_put(tx, "vk", &a, "complaint", id, 100), 1);
	assert_int_equal(store_wall_put(tx, "vk", &b, "complaint", 0, 101), 1);
	assert_int_equal(store_wall_set_case(tx, "vk", &b, id), 0);
	assert_int_equal(store_commit(tx), 0);
	cJSON *arr = cJSON_CreateArray();
	assert_int_equal(store_wall_open_threads(st, arr), 0);
	assert_int_equal(cJSON_GetArraySize(arr), 1);
	cJSON *t = cJSON_GetArrayItem(arr, 0);
	assert_int_equal(cJSON_GetObjectItem(t, "post_id")->valueint, 12);
	cJSON *ids = cJSON_GetObjectItem(t, "case_ids");
	assert_int_equal(cJSON_GetArraySize(ids), 1); /* two comments, one case */
	assert_int_equal(cJSON_GetArrayItem(ids, 0)->valueint, (int)id);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "comments")), 2);
	assert_int_equal(cJSON_GetObjectItem(t, "replies")->valueint, 2);
	cJSON_Delete(arr);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(put_edit_delete_and_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(open_threads_list_linked_cases, setup, teardown),
	};
	return tb_run(tests);
}
