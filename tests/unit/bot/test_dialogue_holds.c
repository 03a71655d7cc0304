/* A dialogue that holds together (issue 12, item 7), tried as a new customer would:
 * the tariff questions take answers in words, details added to an open case join it,
 * the interview never says "as is" and then asks on, a refusal is a refusal, a legal
 * threat changes neither category nor severity, and answers say only what was asked
 * and never contradict themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "convstate.h"
#include "dialog.h"
#include "test_helpers.h"

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

static void say(struct replyset *rs, struct convstate *st, const char *text, struct dialog_result *res)
{
	struct chan_msg msg = {.channel = "test", .text = (char *)text};
	assert_int_equal(dialog_handle(rs, st, &msg, 1700000000, res), 0);
}

/* 1 if one of the replies comes from source (e.g. "template:case_created"). */
static int has_source(const struct dialog_result *res, const char *source)
{
	for (size_t i = 0; i < res->replies.n; i++)
		if (strcmp(res->replies.items[i].source, source) == 0)
			return 1;
	return 0;
}

/* 1 if one of the replies asks an interview question. */
static int asks_something(const struct dialog_result *res)
{
	for (size_t i = 0; i < res->replies.n; i++)
		if (strncmp(res->replies.items[i].source, "template:ask_", 13) == 0)
			return 1;
	return 0;
}

/* Says first, then each of answers in turn; returns the last result (caller frees). */
static void conversation(struct replyset *rs, const char *first, const char *const *answers,
			 struct dialog_result *last)
{
	struct convstate *st = convstate_new();
	say(rs, st, first, last);
	for (const char *const *a = answers; *a; a++) {
		dialog_result_free(last);
		say(rs, st, *a, last);
	}
	convstate_free(st);
}

static void test_tariff_questions_take_worded_answers(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "подберите тариф", &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_ask_minutes");
	dialog_result_free(&res);
	say(rs, st, "не важно", &res);
	assert_string_equal(res.handler, "tariff");
	assert_string_equal(res.replies.items[0].source, "template:tariff_ask_gb");
	dialog_result_free(&res);
	say(rs, st, "любое", &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_pick");
	assert_non_null(res.plan);
	dialog_result_free(&res);
	convstate_free(st);

	/* Few calls and a lot of data: a plan with a big data package, not the smallest. */
	static const char *const few[] = {"почти не звоню", "много", NULL};
	conversation(rs, "подберите тариф", few, &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_pick");
	const struct replyset_tariff *t = replyset_tariff(rs, res.plan);
	assert_true(t->unl_gb || t->gb >= 20);
	dialog_result_free(&res);
	static const char *const little[] = {"мало", "мало", NULL};
	conversation(rs, "подберите тариф", little, &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_pick");
	dialog_result_free(&res);

	/* The minutes question answered with data: picked on that, not asked again. */
	static const char *const data[] = {"мне нужно 100 гб интернета", NULL};
	conversation(rs, "подберите тариф", data, &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_pick");
	t = replyset_tariff(rs, res.plan);
	assert_true(t->unl_gb || t->gb >= 100);
	dialog_result_free(&res);
}

static void test_details_join_the_open_case(void **state)
{
	struct replyset *rs = *state;
	static const char *const details[] = {
		"могу прислать скриншот спидтеста",
		"г. Казань, улица Баумана 10",
		"я живу на проспекте Мира 20",
		"мой номер +7 916 123-45-67",
	};
	for (size_t i = 0; i < sizeof details / sizeof details[0]; i++) {
		struct convstate *st = convstate_new();
		convstate_set_open_case(st, "000042");
		struct dialog_result res;
		say(rs, st, details[i], &res);
		assert_int_equal(res.replies.n, 1);
		assert_string_equal(res.replies.items[0].source, "template:case_appended");
		assert_non_null(strstr(res.replies.items[0].text, "000042"));
		assert_int_equal(res.case_op, DIALOG_CASE_NONE);
		dialog_result_free(&res);
		convstate_free(st);
	}
	/* A question of its own is still answered. */
	struct convstate *st = convstate_new();
	convstate_set_open_case(st, "000042");
	struct dialog_result res;
	say(rs, st, "как проверить баланс", &res);
	assert_string_equal(res.handler, "faq");
	assert_string_equal(res.intent, "balance");
	dialog_result_free(&res);
	convstate_free(st);
	/* Without an open case the same detail is no "added to your case". */
	st = convstate_new();
	say(rs, st, "могу прислать скриншот спидтеста", &res);
	assert_false(has_source(&res, "template:case_appended"));
	dialog_result_free(&res);
	convstate_free(st);
}

/* Starts an interview with a grievance; returns the conversation state. */
static struct convstate *grievance_interview(struct replyset *rs)
{
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "списали 300 рублей непонятно за что, верните", &res);
	assert_true(convstate_in_interview(st));
	assert_true(asks_something(&res));
	dialog_result_free(&res);
	return st;
}

static void test_refusal_ends_the_interview(void **state)
{
	struct replyset *rs = *state;
	static const char *const refusals[] = {"отстаньте", "не скажу", "не буду ничего писать, отвалите"};
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		struct convstate *st = grievance_interview(rs);
		struct dialog_result res;
		say(rs, st, refusals[i], &res);
		/* "As is", the case handed over, and no question after it. */
		assert_true(has_source(&res, "template:interview_skip"));
		assert_true(has_source(&res, "template:case_created"));
		assert_false(asks_something(&res));
		assert_int_equal(res.case_op, DIALOG_CASE_CREATE);
		assert_false(convstate_in_interview(st));
		dialog_result_free(&res);
		convstate_free(st);
	}
}

static void test_skip_never_says_as_is_then_asks(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = grievance_interview(rs);
	struct dialog_result res;
	/* Non-answers until the case is handed over: every reply either asks or says
	 * "as is", never both. */
	int done = 0;
	for (int i = 0; i < 12 && !done; i++) {
		say(rs, st, "???", &res);
		int as_is = has_source(&res, "template:interview_skip");
		assert_false(as_is && asks_something(&res));
		done = res.case_op == DIALOG_CASE_CREATE;
		if (done)
			assert_true(as_is);
		dialog_result_free(&res);
	}
	assert_true(done);
	convstate_free(st);
	/* "Не знаю" skips that question at once. */
	st = grievance_interview(rs);
	int first = convstate_interview_asked(st);
	assert_true(first >= 0);
	say(rs, st, "не знаю", &res);
	if (convstate_in_interview(st))
		assert_int_not_equal(convstate_interview_asked(st), first);
	else
		assert_int_equal(res.case_op, DIALOG_CASE_CREATE);
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_threat_keeps_category_and_asks_location(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result plain, res;
	say(rs, st, "уже третий день не работает интернет", &plain);
	convstate_free(st);
	st = convstate_new();
	say(rs, st, "уже третий день не работает интернет, буду жаловаться в роспотребнадзор!!!", &res);
	assert_string_equal(res.complaint_intent, plain.complaint_intent);
	const struct replyset_intent *it = replyset_intent(rs, res.complaint_intent);
	assert_int_equal(it->severity, RS_SEV_HIGH);
	assert_true(it->needs & RS_NEED_LOCATION);
	assert_int_equal(res.flags.legal_threat, 1);
	dialog_result_free(&plain);
	dialog_result_free(&res);
	/* The interview gets to the location. */
	int location = 0;
	for (int i = 0; i < 4 && convstate_in_interview(st) && !location; i++) {
		location = convstate_interview_asked(st) == CONVSTATE_LOCATION;
		if (!location) {
			say(rs, st, "+7 916 123-45-67", &res);
			dialog_result_free(&res);
		}
	}
	assert_true(location);
	convstate_free(st);
	/* A threat with the problem in another clause: the problem is the category. */
	st = convstate_new();
	say(rs, st, "Подам в суд! Списали деньги за подписку, которую я не подключал", &res);
	assert_non_null(res.complaint_intent);
	assert_string_not_equal(res.complaint_intent, "complaint_general");
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_answers_say_only_what_was_asked(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "тариф на 500 минут и 20 гб", &res);
	const char *t = res.replies.items[0].text;
	assert_string_equal(res.replies.items[0].source, "template:tariff_pick");
	assert_null(strstr(t, "SMS")); /* nobody asked about SMS */
	assert_null(strstr(t, "смс"));
	assert_null(strstr(t, "с учётом расходов сверх пакета"));
	/* The fee is said once when the package covers everything. */
	char fee[32];
	snprintf(fee, sizeof fee, "%.0f ₽", replyset_tariff(rs, res.plan)->monthly_fee);
	const char *once = strstr(t, fee);
	assert_non_null(once);
	assert_null(strstr(once + strlen(fee), fee));
	dialog_result_free(&res);
	say(rs, st, "нужен безлимитный интернет и 300 минут", &res);
	t = res.replies.items[0].text;
	assert_non_null(strstr(t, "безлимитный интернет"));
	assert_null(strstr(t, "безлимит ГБ"));
	assert_null(strstr(t, "SMS"));
	dialog_result_free(&res);
	say(rs, st, "need a plan with 300 minutes and 10 gb", &res);
	assert_null(strstr(res.replies.items[0].text, "SMS"));
	dialog_result_free(&res);
	convstate_free(st);
}

/* Data and a price ("30 гб и не дороже 700р") are a tariff request even when the words
 * resemble another question (changing the plan): a pick, not "which did you mean". */
static void test_two_facts_are_a_tariff_request(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "хочу сменить тариф на такой, где 30 гб и не дороже 700р", &res);
	assert_string_equal(res.handler, "tariff");
	/* The pick, after how to change the plan when that part is read as its own
	 * request; never the clarify list. */
	int picked = 0;
	for (size_t i = 0; i < res.replies.n; i++) {
		picked |= strcmp(res.replies.items[i].source, "template:tariff_pick") == 0;
		assert_string_not_equal(res.replies.items[i].source, "template:clarify");
	}
	assert_true(picked);
	assert_non_null(res.plan);
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_roaming_answer_does_not_contradict_itself(void **state)
{
	struct replyset *rs = *state;
	const struct replyset_intent *it = replyset_intent(rs, "roaming");
	/* It is on for every number: nothing tells the customer to turn roaming on. */
	assert_non_null(strstr(it->answer[RS_RU], "включён на всех номерах"));
	assert_null(strstr(it->answer[RS_RU], "и включить"));
	assert_null(strstr(it->answer[RS_EN], "turn it on"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tariff_questions_take_worded_answers),
		cmocka_unit_test(test_details_join_the_open_case),
		cmocka_unit_test(test_refusal_ends_the_interview),
		cmocka_unit_test(test_skip_never_says_as_is_then_asks),
		cmocka_unit_test(test_threat_keeps_category_and_asks_location),
		cmocka_unit_test(test_answers_say_only_what_was_asked),
		cmocka_unit_test(test_two_facts_are_a_tariff_request),
		cmocka_unit_test(test_roaming_answer_does_not_contradict_itself),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
