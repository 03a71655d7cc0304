/* The idea board's rows and service (bot/store_ideas.c, bot/ideas.c): one vote per
 * customer per idea (a second press and a replay count once), a merge moves the votes
 * without counting anyone twice, a status change is audited and queues the author's
 * notice from the approved template, routing takes only the reply set's units, the
 * customers' top list skips merged and declined ideas, and the CSV export has its BOM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "ideas.h"
#include "outbox_row.h"
#include "store.h"
#include "store_ideas.h"
#include "test_helpers.h"
#include "test_store_fixture.h"

static int64_t add_idea(struct store_tx *tx, const char *channel, int64_t user, const char *what)
{
	struct idea_new in = {.channel = channel, .peer_id = user, .user_id = user,
			      .author = "Анна", .lang = "ru", .what = what, .why = "удобно"};
	int64_t id = 0;
	assert_int_equal(store_idea_add(tx, &in, 1000, &id), 0);
	assert_true(id > 0);
	return id;
}

static int64_t votes_of(struct store *st, int64_t id)
{
	struct idea i;
	assert_int_equal(store_idea_get(st, id, &i), 1);
	int64_t v = i.votes;
	idea_free(&i);
	return v;
}

static void one_vote_per_customer(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	int64_t a = add_idea(tx, "vk", 1, "тариф для дачи");
	assert_int_equal(store_idea_vote(tx, a, "vk", 2, 1100), 1);
	assert_int_equal(store_idea_vote(tx, a, "vk", 2, 1200), 0); /* pressed again */
	assert_int_equal(store_idea_vote(tx, a, "telegram", 2, 1200), 1); /* another person */
	assert_int_equal(store_idea_vote(tx, a + 100, "vk", 3, 1200), IDEA_VOTE_NO_IDEA);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(votes_of(st, a), 2);
	/* The same press in a later unit (a replay past the dedup) still counts once. */
	tx = begin_tx(st);
	assert_int_equal(store_idea_vote(tx, a, "vk", 2, 1300), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(votes_of(st, a), 2);
	store_close(st);
}

static void merge_moves_votes_once(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	int64_t a = add_idea(tx, "vk", 1, "ночной безлимит");
	int64_t b = add_idea(tx, "telegram", 5, "безлимит ночью");
	int64_t c = add_idea(tx, "vk", 6, "безлимит по ночам");
	store_idea_vote(tx, a, "vk", 2, 1100);
	store_idea_vote(tx, a, "vk", 3, 1100);
	store_idea_vote(tx, b, "vk", 3, 1100); /* voted for both: one vote after the merge */
	store_idea_vote(tx, b, "vk", 4, 1100);
	store_idea_vote(tx, c, "vk", 7, 1100);
	assert_int_equal(ideas_merge(tx, c, b, "marina", 1150), 1); /* c into b first */
	assert_int_equal(ideas_merge(tx, b, a, "marina", 1200), 1);
	assert_int_equal(ideas_merge(tx, b, a, "marina", 1200), 0); /* already merged */
	assert_int_equal(ideas_merge(tx, a, a, "marina", 1200), 0);
	assert_int_equal(ideas_merge(tx, a, 999, "marina", 1200), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(votes_of(st, a), 4); /* 2, 3, 4, 7 */
	assert_int_equal(votes_of(st, b), 0);
	struct idea i;
	assert_int_equal(store_idea_get(st, c, &i), 1);
	assert_int_equal(i.merged_into, a); /* what was merged into b follows it */
	idea_free(&i);
	/* A stale button of the merged idea votes for its target, once. */
	tx = begin_tx(st);
	assert_int_equal(store_idea_vote(tx, b, "vk", 8, 1300), 1);
	assert_int_equal(store_idea_vote(tx, c, "vk", 2, 1300), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(votes_of(st, a), 5);
	cJSON *audit = store_idea_audit(st, b);
	assert_int_equal(cJSON_GetArraySize(audit), 1); /* b merged into a */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(audit, 0), "detail")->valuestring,
			    "idea 2: merged into 1");
	cJSON_Delete(audit);
	store_close(st);
}

static int64_t outbox_rows(struct store *st)
{
	int64_t n = 0, oldest = 0;
	assert_int_equal(store_outbox_depth(st, NULL, &n, &oldest), 0);
	return n;
}

static void status_change_queues_a_notice(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	int64_t a = add_idea(tx, "telegram", 42, "кнопка «перезвоните мне»");
	assert_int_equal(store_commit(tx), 0);
	int64_t before = outbox_rows(st);

	tx = begin_tx(st);
	struct outbox_row n = {0};
	assert_int_equal(ideas_set_status(tx, st, rs, a, "planned", "marina", 1100, &n), 1);
	assert_int_equal(store_commit(tx), 0);
	assert_non_null(n.channel);
	assert_string_equal(n.channel, "telegram");
	assert_true(n.peer_id == 42);
	assert_non_null(strstr(n.text, "запланирована"));
	assert_non_null(strstr(n.text, "кнопка «перезвоните мне»"));
	assert_string_equal(n.source, "template:idea_status_planned");
	outbox_row_free(&n);
	assert_int_equal(outbox_rows(st), before + 1);

	/* The same status again, an unknown status or idea: nothing, no notice. */
	tx = begin_tx(st);
	assert_int_equal(ideas_set_status(tx, st, rs, a, "planned", "marina", 1200, &n), 0);
	assert_null(n.channel);
	assert_int_equal(ideas_set_status(tx, st, rs, a, "maybe", "marina", 1200, &n), 0);
	assert_int_equal(ideas_set_status(tx, st, rs, a + 1, "done", "marina", 1200, &n), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(outbox_rows(st), before + 1);

	struct idea i;
	assert_int_equal(store_idea_get(st, a, &i), 1);
	assert_string_equal(i.status, "planned");
	idea_free(&i);
	cJSON *audit = store_idea_audit(st, a);
	assert_int_equal(cJSON_GetArraySize(audit), 1);
	const cJSON *e = cJSON_GetArrayItem(audit, 0);
	assert_string_equal(cJSON_GetObjectItem(e, "actor")->valuestring, "marina");
	assert_string_equal(cJSON_GetObjectItem(e, "action")->valuestring, "idea_status");
	cJSON_Delete(audit);
	store_close(st);
	replyset_unref(rs);
}

static void route_takes_known_units_only(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	int64_t a = add_idea(tx, "vk", 1, "приложение для часов");
	assert_int_equal(ideas_route(tx, rs, a, "Мобильное приложение", "marina", 1100), 1);
	assert_int_equal(ideas_route(tx, rs, a, "Отдел котиков", "marina", 1100), 0);
	assert_int_equal(ideas_route(tx, rs, a + 5, "Роуминг", "marina", 1100), 0);
	assert_int_equal(store_commit(tx), 0);
	struct idea i;
	assert_int_equal(store_idea_get(st, a, &i), 1);
	assert_string_equal(i.unit, "Мобильное приложение");
	idea_free(&i);
	store_close(st);
	replyset_unref(rs);
}

static void count_one(void *arg, const struct idea *i)
{
	(void)i;
	(*(int *)arg)++;
}

static void top_list_and_export(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	int64_t a = add_idea(tx, "vk", 1, "=HYPERLINK(\"x\")");
	int64_t b = add_idea(tx, "vk", 2, "второе");
	int64_t c = add_idea(tx, "vk", 3, "третье");
	store_idea_vote(tx, b, "vk", 9, 1100);
	struct outbox_row n;
	assert_int_equal(ideas_set_status(tx, st, rs, c, "declined", "marina", 1100, &n), 1);
	outbox_row_free(&n);
	assert_int_equal(store_commit(tx), 0);
	int top = 0, all = 0;
	assert_int_equal(store_ideas_each(st, 1, 5, count_one, &top), 2);
	assert_int_equal(store_ideas_each(st, 0, 5, count_one, &all), 3);
	assert_int_equal(top, 2);
	(void)a;

	struct buf csv = {0};
	assert_int_equal(ideas_export(st, 1, ';', 3 * 3600, &csv), 0);
	assert_memory_equal(csv.data, "\xEF\xBB\xBF" "id;created_at", 16);
	/* A formula a customer wrote is shown as text, not run. */
	assert_non_null(strstr(csv.data, "\"'=HYPERLINK(\"\"x\"\")\""));
	buf_free(&csv);
	struct buf json = {0};
	assert_int_equal(ideas_export(st, 0, ',', 0, &json), 0);
	cJSON *arr = cJSON_Parse(json.data);
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "id")->valueint, (int)b);
	cJSON_Delete(arr);
	buf_free(&json);
	store_close(st);
	replyset_unref(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_vote_per_customer, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_moves_votes_once, setup, teardown),
		cmocka_unit_test_setup_teardown(status_change_queues_a_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(route_takes_known_units_only, setup, teardown),
		cmocka_unit_test_setup_teardown(top_list_and_export, setup, teardown),
	};
	return tb_run(tests);
}
