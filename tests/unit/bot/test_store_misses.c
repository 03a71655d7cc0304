/* The misses' rows (bot/store_misses.c, bot/misses.c): a fallback, a clarification and a
 * low-scored answer are recorded with the message (a confident answer and a pressed
 * button are not), the text bounded on a character boundary; listed newest first by
 * outcome and age; attached ones are not listed and come back when their change is
 * undone (once); changes read back with their counts; retention deletes old misses.
 * On SQLite, then on PostgreSQL (tb_run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "dialog_result.h"
#include "message.h"
#include "misses.h"
#include "replyset.h"
#include "replyset_settings.h"
#include "store.h"
#include "store_misses.h"
#include "test_helpers.h"
#include "test_store_fixture.h"

struct seen {
	int64_t ids[64];
	char texts[64][MISS_TEXT_MAX + 1];
	char outcomes[64][16];
	int n;
};

static void see(void *arg, const struct miss *m)
{
	struct seen *s = arg;
	s->ids[s->n] = m->id;
	snprintf(s->texts[s->n], sizeof s->texts[0], "%s", m->text);
	snprintf(s->outcomes[s->n], sizeof s->outcomes[0], "%s", m->outcome);
	s->n++;
}

static struct seen list(struct store *st, int64_t since, const char *outcome)
{
	struct seen s = {0};
	assert_true(store_misses_each(st, since, outcome, 64, see, &s) >= 0);
	return s;
}

static int64_t add(struct store_tx *tx, int64_t at, const char *text, const char *outcome)
{
	struct miss m = {.at = at, .channel = "vk", .text = text, .outcome = outcome,
			 .intent = "balance", .score = 0.41, .replyset_version = "v1"};
	assert_int_equal(store_miss_add(tx, &m), 0);
	return 0;
}

static void recorded_with_the_message(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	const struct replyset_settings *set = replyset_settings(rs);
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	struct chan_msg m = {.channel = "vk", .text = "абырвалг"};
	struct dialog_result r = {.handler = "fallback"};
	assert_int_equal(misses_after(tx, rs, &m, &r, 1000), 0);
	r = (struct dialog_result){.handler = "clarify", .score = 0.45};
	m.text = "что-то про роуминг";
	assert_int_equal(misses_after(tx, rs, &m, &r, 1001), 0);
	r = (struct dialog_result){.handler = "faq", .intent = "balance",
				   .score = set->answer + set->margin / 2};
	m.text = "баланс наверное";
	assert_int_equal(misses_after(tx, rs, &m, &r, 1002), 0);
	/* Not misses: a confident answer, a pressed button, an empty message. */
	r = (struct dialog_result){.handler = "faq", .intent = "balance", .score = 0.99};
	m.text = "как проверить баланс";
	assert_int_equal(misses_after(tx, rs, &m, &r, 1003), 0);
	r = (struct dialog_result){.handler = "fallback"};
	m.text = "Баланс";
	m.payload = "intent:balance";
	assert_int_equal(misses_after(tx, rs, &m, &r, 1004), 0);
	m.payload = NULL;
	m.text = "";
	assert_int_equal(misses_after(tx, rs, &m, &r, 1005), 0);
	assert_int_equal(store_commit(tx), 0);
	struct seen s = list(st, 0, NULL);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.texts[0], "баланс наверное");
	assert_string_equal(s.outcomes[0], "low");
	assert_string_equal(s.outcomes[1], "clarify");
	assert_string_equal(s.outcomes[2], "fallback");
	s = list(st, 0, "clarify");
	assert_int_equal(s.n, 1);
	s = list(st, 1002, NULL);
	assert_int_equal(s.n, 1);
	store_close(st);
	replyset_unref(rs);
}

static void bounded_on_a_character(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	char text[2000] = "";
	for (int i = 0; i < 400; i++)
		strcat(text, "я"); /* 2 bytes each: 800 */
	strcat(text, "x"); /* an odd byte first, so a cut at 500 bytes would split a letter */
	memmove(text + 1, text, strlen(text) + 1);
	text[0] = 'a';
	add(tx, 10, text, "fallback");
	assert_int_equal(store_commit(tx), 0);
	struct seen s = list(st, 0, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(strlen(s.texts[0]), 499); /* "a" + 249 letters */
	store_close(st);
}

static void attach_undo_and_changes(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	add(tx, 100, "где логотип", "fallback");
	add(tx, 101, "логотип где", "fallback");
	add(tx, 102, "цвет логотипа", "clarify");
	add(tx, 103, "цвет логотипа", "clarify");
	assert_int_equal(store_commit(tx), 0);
	struct seen s = list(st, 0, NULL);
	assert_int_equal(s.n, 4);
	char *t = NULL;
	assert_int_equal(store_miss_text(st, s.ids[3], &t), 1);
	assert_string_equal(t, "где логотип");
	free(t);

	tx = begin_tx(st);
	struct miss_change c = {.at = 200, .actor = "marina", .action = "attach",
				.intent = "support_contacts", .file = "intents/services.json",
				.before = "{}", .after = "{ }", .after_sha = "ab", .diff = "--- a"};
	int64_t id = 0;
	assert_int_equal(store_miss_change_add(tx, &c, &id), 0);
	assert_true(id > 0);
	int64_t ids[] = {s.ids[3], s.ids[2]};
	assert_int_equal(store_misses_attach_ids(tx, ids, 2, id), 2);
	assert_int_equal(store_misses_attach_ids(tx, ids, 2, id), 0); /* already */
	assert_int_equal(store_misses_attach_text(tx, "цвет логотипа", id), 2);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(list(st, 0, NULL).n, 0);
	assert_int_equal(store_miss_text(st, s.ids[3], &t), 0); /* attached: not offered */

	struct miss_change got;
	assert_int_equal(store_miss_change_get(st, id, &got), 1);
	assert_string_equal(got.intent, "support_contacts");
	assert_string_equal(got.before, "{}");
	assert_int_equal(got.attached, 4);
	assert_int_equal(got.undone_at, 0);
	miss_change_free(&got);
	assert_int_equal(store_miss_change_get(st, id + 1, &got), 0);

	tx = begin_tx(st);
	assert_int_equal(store_miss_change_undo(tx, id, 300), 1);
	assert_int_equal(store_miss_change_undo(tx, id, 301), 0); /* once */
	assert_int_equal(store_misses_detach(tx, id), 4);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(list(st, 0, NULL).n, 4);
	assert_int_equal(store_miss_change_get(st, id, &got), 1);
	assert_int_equal(got.undone_at, 300);
	assert_int_equal(got.attached, 0);
	miss_change_free(&got);
	store_close(st);
}

static void retention_deletes_old_misses(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	add(tx, 1000, "старый", "fallback");
	add(tx, 1001, "тоже старый", "fallback");
	add(tx, 90000, "новый", "fallback");
	assert_int_equal(store_commit(tx), 0);
	struct store_retention r = {.keep_s = 3600};
	struct store_retention_counts counts;
	tx = begin_tx(st);
	assert_true(store_retention_step(tx, &r, 90000 * 1000LL, &counts) >= 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(counts.misses, 2);
	struct seen s = list(st, 0, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.texts[0], "новый");
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(recorded_with_the_message, setup, teardown),
		cmocka_unit_test_setup_teardown(bounded_on_a_character, setup, teardown),
		cmocka_unit_test_setup_teardown(attach_undo_and_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_deletes_old_misses, setup, teardown),
	};
	return tb_run(tests);
}
