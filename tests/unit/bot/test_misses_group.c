/* Grouping the misses (bot/misses.c): the matcher's normalisation and stems bring word
 * forms together ("логотип", "логотипа", "ЛОГОТИПЕ"), greedy clustering by Jaccard over
 * the stemmed word sets puts the same question asked differently in one group and a
 * different question in another, one-letter words do not count, texts without words
 * group together; and the outcome of a dialog result (fallback, clarify, a low answer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dialog_result.h"
#include "misses.h"
#include "replyset.h"
#include "replyset_settings.h"
#include "test_helpers.h"

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

static void similar_questions_share_a_group(void **state)
{
	(void)state;
	const char *texts[] = {
		"какого цвета ваш логотип",     /* 0 */
		"Какого цвета у вас логотип?",  /* 1: same words, other forms and punctuation */
		"где купить чехол для телефона", /* 2 */
		"ЦВЕТ ВАШЕГО ЛОГОТИПА КАКОЙ",    /* 3 */
		"чехол для телефона где купить", /* 4 */
		"когда откроется новый офис",   /* 5 */
		"???",                          /* 6 */
		"!!!",                          /* 7 */
	};
	size_t g[8];
	size_t n = misses_group(rs, texts, 8, MISSES_JACCARD, g);
	assert_int_equal(g[0], 0);
	assert_int_equal(g[1], 0);
	assert_int_equal(g[3], 0);
	assert_int_equal(g[2], 1);
	assert_int_equal(g[4], 1);
	assert_int_equal(g[5], 2);
	assert_int_equal(g[6], 3);
	assert_int_equal(g[7], 3);
	assert_int_equal(n, 4);
	/* A threshold of 1 keeps only identical word sets together. */
	n = misses_group(rs, texts, 8, 1.0, g);
	assert_true(g[2] == g[4]);
	assert_true(g[0] == g[3]); /* the same stems: цвет, ваш, логотип, как */
	assert_true(g[0] != g[5] && g[2] != g[5]);
	assert_int_equal(misses_group(rs, texts, 0, MISSES_JACCARD, g), 0);
}

static void similarity_uses_stems(void **state)
{
	(void)state;
	assert_true(misses_similarity(rs, "логотип", "логотипа") > 0.99);
	assert_true(misses_similarity(rs, "логотип", "телефон") < 0.01);
	/* One-letter words say nothing: "в", "у". */
	assert_true(misses_similarity(rs, "у логотип", "в логотип") > 0.99);
}

static void outcome_of_a_result(void **state)
{
	(void)state;
	const struct replyset_settings *set = replyset_settings(rs);
	struct dialog_result r = {.handler = "fallback"};
	assert_string_equal(misses_outcome(rs, &r), "fallback");
	r.handler = "clarify";
	assert_string_equal(misses_outcome(rs, &r), "clarify");
	r = (struct dialog_result){.handler = "faq", .intent = "balance", .score = set->answer};
	assert_string_equal(misses_outcome(rs, &r), "low");
	r.score = set->answer + set->margin + 0.01;
	assert_null(misses_outcome(rs, &r));
	r.score = 0; /* a button */
	assert_null(misses_outcome(rs, &r));
	r = (struct dialog_result){.handler = "complaint", .intent = "complaint_general",
				   .score = 0.3};
	assert_null(misses_outcome(rs, &r));
	r.handler = NULL;
	assert_null(misses_outcome(rs, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(similar_questions_share_a_group),
		cmocka_unit_test(similarity_uses_stems),
		cmocka_unit_test(outcome_of_a_result),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
