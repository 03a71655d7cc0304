/* The public side's rules (bot/wall.c) on the default reply set: a question gets its
 * public template or the invitation to private messages, a complaint the public
 * complaint template, a provocation nothing at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "matcher.h"
#include "test_helpers.h"
#include "wall.h"

static int setup(void **state)
{
	*state = th_default_set();
	return 0;
}

static int teardown(void **state)
{
	replyset_free(*state);
	return 0;
}

static struct wall_decision decide(struct replyset *rs, const char *text)
{
	struct match_result mr;
	assert_int_equal(match_message(rs, text, strlen(text), &mr), 0);
	struct wall_decision d;
	wall_decide(rs, &mr, &d);
	match_result_free(&mr);
	return d;
}

static void question_with_public_template(void **state)
{
	struct wall_decision d = decide(*state, "как проверить баланс");
	assert_int_equal(d.reading, WALL_QUESTION);
	assert_string_equal(d.template_id, "public_answer_balance");
	assert_string_equal(d.intent, "balance");
}

static void question_without_one_is_invited_to_private(void **state)
{
	/* A FAQ with no approved public text: its private answer is not said in public. */
	struct wall_decision d = decide(*state, "как подключить автоплатеж");
	assert_int_equal(d.reading, WALL_QUESTION);
	assert_string_equal(d.template_id, "public_invite_private");
	d = decide(*state, "привет всем");
	assert_int_equal(d.reading, WALL_OTHER);
	assert_string_equal(d.template_id, "public_invite_private");
}

static void complaint_gets_the_complaint_template(void **state)
{
	struct wall_decision d = decide(*state, "уже третий день не работает интернет, безобразие");
	assert_int_equal(d.reading, WALL_COMPLAINT);
	assert_string_equal(d.template_id, "public_complaint");
	assert_non_null(d.intent);
	assert_int_equal(strncmp(d.intent, "complaint_", 10), 0);
}

static void provocations_are_never_answered(void **state)
{
	const char *texts[] = {
		"делайте репост, пусть все узнают какие они обманщики", /* call to spread */
		"я подам на вас в суд и в роспотребнадзор",             /* threat */
		"вы все уроды, блять, не работает ничего",               /* obscene */
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct wall_decision d = decide(*state, texts[i]);
		assert_int_equal(d.reading, WALL_TROLL);
		assert_null(d.template_id);
	}
}

static void nothing_said_gets_nothing(void **state)
{
	/* A photo or a sticker alone: an invitation under it would be noise. */
	struct wall_decision d = decide(*state, "");
	assert_int_equal(d.reading, WALL_OTHER);
	assert_null(d.template_id);
}

static void reading_names(void **state)
{
	(void)state;
	assert_string_equal(wall_reading_name(WALL_QUESTION), "question");
	assert_string_equal(wall_reading_name(WALL_COMPLAINT), "complaint");
	assert_string_equal(wall_reading_name(WALL_TROLL), "troll");
	assert_string_equal(wall_reading_name(42), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(question_with_public_template),
		cmocka_unit_test(question_without_one_is_invited_to_private),
		cmocka_unit_test(complaint_gets_the_complaint_template),
		cmocka_unit_test(provocations_are_never_answered),
		cmocka_unit_test(nothing_said_gets_nothing),
		cmocka_unit_test(reading_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
