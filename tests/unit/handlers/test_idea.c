/* The idea handler (handlers/idea.c) through the real dialog, and the ideas service's
 * half (bot/ideas.c ideas_after) on a real store: "у меня есть предложение" (and its
 * variants, Russian and English) asks what, then why, then hands the idea over with a
 * thanks that names its number; a vote button counts once; the top list carries a vote
 * button per idea; a complaint in the middle is not taken for the idea; a huge answer is
 * cut on a character boundary; other intents are not taken for ideas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "convstate.h"
#include "dialog.h"
#include "ideas.h"
#include "store.h"
#include "store_ideas.h"
#include "test_helpers.h"
#include "test_store_fixture.h"

static struct replyset *rs;

static int group_setup(void **state)
{
	(void)state;
	rs = th_default_set();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	replyset_unref(rs);
	return 0;
}

static void say(struct convstate *conv, const char *text, const char *payload, int64_t user,
		struct dialog_result *res)
{
	struct chan_msg m = {.channel = (char *)"vk", .dedup_key = (char *)"k", .peer_id = user,
			     .user_id = user, .text = (char *)text, .payload = (char *)payload};
	assert_int_equal(dialog_handle(rs, conv, &m, 1764000000, res), 0);
}

/* Runs the service's half as the pipeline does, in one unit of work. */
static void apply(struct store *st, int64_t user, struct dialog_result *res)
{
	struct chan_msg m = {.channel = (char *)"vk", .peer_id = user, .user_id = user,
			     .display_name = (char *)"Пётр"};
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(ideas_after(tx, st, rs, &m, res, 1764000000), 0);
	assert_int_equal(store_commit(tx), 0);
}

static const char *text_of(const struct dialog_result *res)
{
	assert_true(res->replies.n >= 1);
	return res->replies.items[res->replies.n - 1].text;
}

static void collects_what_and_why(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct convstate *conv = convstate_new();
	struct dialog_result res;
	say(conv, "У меня есть предложение", NULL, 7, &res);
	assert_string_equal(res.handler, "idea");
	assert_int_equal(res.idea_op, DIALOG_IDEA_NONE);
	assert_non_null(strstr(text_of(&res), "что вы предлагаете"));
	dialog_result_free(&res);
	assert_int_equal(convstate_idea_step(conv), CONVSTATE_IDEA_WHAT);

	say(conv, "  Сделайте семейный тариф на пятерых  ", NULL, 7, &res);
	assert_int_equal(res.idea_op, DIALOG_IDEA_NONE);
	assert_non_null(strstr(text_of(&res), "Чем это поможет"));
	dialog_result_free(&res);

	say(conv, "Вся семья платила бы меньше", NULL, 7, &res);
	assert_int_equal(res.idea_op, DIALOG_IDEA_SUBMIT);
	assert_string_equal(res.idea_what, "Сделайте семейный тариф на пятерых");
	assert_string_equal(res.idea_why, "Вся семья платила бы меньше");
	assert_non_null(strstr(text_of(&res), "{idea}")); /* for the service to fill */
	apply(st, 7, &res);
	assert_non_null(strstr(text_of(&res), "№1 "));
	dialog_result_free(&res);
	assert_int_equal(convstate_idea_step(conv), CONVSTATE_IDEA_NONE);

	struct idea i;
	assert_int_equal(store_idea_get(st, 1, &i), 1);
	assert_string_equal(i.channel, "vk");
	assert_string_equal(i.author, "Пётр");
	assert_string_equal(i.status, "new");
	idea_free(&i);
	convstate_free(conv);
	store_close(st);
}

static void variants_start_it_and_others_do_not(void **state)
{
	(void)state;
	static const char *const ideas[] = {"хочу предложить идею", "есть идея как улучшить сервис",
		"I have a suggestion", "предлагаю добавить новую функцию в приложение"};
	static const char *const not_ideas[] = {"как проверить баланс", "не работает интернет",
		"позовите оператора", "спасибо", "какой тариф выбрать"};
	for (size_t k = 0; k < sizeof ideas / sizeof ideas[0]; k++) {
		struct convstate *conv = convstate_new();
		struct dialog_result res;
		say(conv, ideas[k], NULL, 1, &res);
		if (!res.handler || strcmp(res.handler, "idea") != 0)
			fail_msg("\"%s\" went to %s", ideas[k], res.handler);
		assert_int_equal(convstate_idea_step(conv), CONVSTATE_IDEA_WHAT);
		dialog_result_free(&res);
		convstate_free(conv);
	}
	for (size_t k = 0; k < sizeof not_ideas / sizeof not_ideas[0]; k++) {
		struct convstate *conv = convstate_new();
		struct dialog_result res;
		say(conv, not_ideas[k], NULL, 1, &res);
		if (res.handler && strcmp(res.handler, "idea") == 0)
			fail_msg("\"%s\" was taken for an idea", not_ideas[k]);
		dialog_result_free(&res);
		convstate_free(conv);
	}
}

static void a_complaint_is_not_the_idea(void **state)
{
	(void)state;
	struct convstate *conv = convstate_new();
	struct dialog_result res;
	say(conv, "у меня есть предложение", NULL, 3, &res);
	dialog_result_free(&res);
	say(conv, "Позовите живого оператора!", NULL, 3, &res);
	assert_string_not_equal(res.handler, "idea");
	assert_int_equal(res.idea_op, DIALOG_IDEA_NONE);
	assert_int_equal(convstate_idea_step(conv), CONVSTATE_IDEA_NONE);
	dialog_result_free(&res);
	convstate_free(conv);
}

static void a_huge_answer_is_cut_on_a_character(void **state)
{
	(void)state;
	/* "x" and 1499 two-byte letters: byte 1000 is the middle of a letter. */
	char *huge = malloc(3000);
	huge[0] = 'x';
	for (int k = 0; k < 1499; k++)
		memcpy(huge + 1 + 2 * k, "я", 2);
	huge[2999] = '\0';
	struct convstate *conv = convstate_new();
	struct dialog_result res;
	say(conv, "у меня есть идея", NULL, 4, &res);
	dialog_result_free(&res);
	say(conv, huge, NULL, 4, &res);
	dialog_result_free(&res);
	say(conv, "потому что", NULL, 4, &res);
	assert_int_equal(res.idea_op, DIALOG_IDEA_SUBMIT);
	assert_int_equal(strlen(res.idea_what), 999); /* the half letter is left out */
	dialog_result_free(&res);
	convstate_free(conv);
	free(huge);
}

static void votes_and_the_top_list(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	struct idea_new in = {.channel = "vk", .peer_id = 1, .user_id = 1, .what = "eSIM"};
	int64_t id;
	assert_int_equal(store_idea_add(tx, &in, 1, &id), 0);
	assert_int_equal(store_commit(tx), 0);

	struct convstate *conv = convstate_new();
	struct dialog_result res;
	say(conv, "покажи лучшие идеи", NULL, 2, &res);
	assert_int_equal(res.idea_op, DIALOG_IDEA_TOP);
	apply(st, 2, &res);
	const struct reply *r = &res.replies.items[res.replies.n - 1];
	assert_non_null(strstr(r->text, "№1: eSIM — голосов: 0"));
	assert_int_equal(r->n_buttons, 1);
	assert_string_equal(r->buttons[0].payload, "idea:vote:1");
	assert_string_equal(r->buttons[0].kind, "callback");
	dialog_result_free(&res);

	for (int k = 0; k < 2; k++) { /* the same customer presses twice */
		say(conv, "", "idea:vote:1", 2, &res);
		assert_int_equal(res.idea_op, DIALOG_IDEA_VOTE);
		assert_true(res.idea_id == 1);
		apply(st, 2, &res);
		assert_non_null(strstr(text_of(&res), "№1 "));
		dialog_result_free(&res);
	}
	struct idea i;
	assert_int_equal(store_idea_get(st, 1, &i), 1);
	assert_int_equal(i.votes, 1);
	idea_free(&i);

	/* A vote for an idea that does not exist is answered as a stale button. */
	say(conv, "", "idea:vote:999", 2, &res);
	assert_int_equal(res.idea_op, DIALOG_IDEA_VOTE);
	apply(st, 2, &res);
	assert_non_null(strstr(text_of(&res), "кнопка уже не работает"));
	assert_true(res.replies.items[0].n_buttons > 0);
	dialog_result_free(&res);

	/* A forged vote payload is a stale button, not a vote. */
	say(conv, "", "idea:vote:0x1", 2, &res);
	assert_int_equal(res.idea_op, DIALOG_IDEA_NONE);
	dialog_result_free(&res);
	convstate_free(conv);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(collects_what_and_why, setup, teardown),
		cmocka_unit_test(variants_start_it_and_others_do_not),
		cmocka_unit_test(a_complaint_is_not_the_idea),
		cmocka_unit_test(a_huge_answer_is_cut_on_a_character),
		cmocka_unit_test_setup_teardown(votes_and_the_top_list, setup, teardown),
	};
	return tb_run_group(tests, group_setup, group_teardown);
}
