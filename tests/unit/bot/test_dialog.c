/* Tests of bot/dialog.c and the handlers through a fake conversation: language,
 * buttons, clarify and fallback, empty and huge messages, operator and complaints
 * (answered first when stated plainly, a case at once for a grievance), several
 * requests in one message. */
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

static void run(struct replyset *rs, struct convstate *st, struct chan_msg *msg,
		struct dialog_result *res)
{
	if (!msg->text)
		msg->text = "";
	assert_int_equal(dialog_handle(rs, st, msg, 1700000000, res), 0);
}

static void say(struct replyset *rs, struct convstate *st, const char *text,
		struct dialog_result *res)
{
	struct chan_msg msg = {.channel = "test", .text = (char *)text};
	run(rs, st, &msg, res);
}

static void test_faq_and_language(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "как проверить баланс", &res);
	assert_string_equal(res.handler, "faq");
	assert_string_equal(res.intent, "balance");
	assert_string_equal(res.lang, "ru");
	assert_string_equal(res.replies.items[0].text, replyset_intent(rs, "balance")->answer[RS_RU]);
	assert_true(res.replies.items[0].n_buttons > 0);
	assert_string_equal(res.replies.items[0].buttons[0].payload, "intent:topup");
	dialog_result_free(&res);
	say(rs, st, "how do I check my balance", &res);
	assert_string_equal(res.lang, "en");
	assert_string_equal(res.replies.items[0].text, replyset_intent(rs, "balance")->answer[RS_EN]);
	dialog_result_free(&res);
	/* No letters: the conversation's language stays. */
	struct chan_msg msg = {.channel = "test", .payload = "intent:topup"};
	run(rs, st, &msg, &res);
	assert_string_equal(res.lang, "en");
	assert_string_equal(res.intent, "topup");
	assert_string_equal(res.replies.items[0].text, replyset_intent(rs, "topup")->answer[RS_EN]);
	dialog_result_free(&res);
	/* Russian on the wrong layout is Russian. */
	say(rs, st, "rfr ghjdthbnm ,fkfyc", &res);
	assert_string_equal(res.lang, "ru");
	assert_string_equal(res.intent, "balance");
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_greeting_first(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "привет", &res);
	assert_string_equal(res.handler, "smalltalk");
	assert_string_equal(res.replies.items[0].source, "template:greeting_first");
	assert_true(res.replies.items[0].n_buttons >= replyset_settings(rs)->n_menu);
	dialog_result_free(&res);
	say(rs, st, "привет", &res);
	assert_string_equal(res.replies.items[0].source, "smalltalk:greeting");
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_fallback_and_clarify(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	/* Out of scope (no intent of ours comes near it): fallback, not clarify, which
	 * would offer topics as if the customer had asked about one of them. */
	say(rs, st, "как приготовить борщ", &res);
	assert_string_equal(res.handler, "fallback");
	assert_null(res.intent);
	assert_int_equal(res.replies.n, 1);
	const struct reply *r = &res.replies.items[0];
	assert_string_equal(r->source, "template:fallback");
	/* The menu topics and a button for a person. */
	int person = 0;
	for (size_t i = 0; i < r->n_buttons; i++)
		person |= strcmp(r->buttons[i].payload, "intent:operator_request") == 0;
	assert_true(person);
	assert_true(r->n_buttons >= replyset_settings(rs)->n_menu);
	dialog_result_free(&res);
	/* A pressed clarify button answers that intent directly. */
	struct chan_msg msg = {.channel = "test", .payload = "intent:roaming"};
	run(rs, st, &msg, &res);
	assert_string_equal(res.handler, "faq");
	assert_string_equal(res.intent, "roaming");
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_empty_huge_attachment(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "   ", &res);
	assert_string_equal(res.replies.items[0].source, "template:empty_message");
	dialog_result_free(&res);
	struct chan_msg msg = {.channel = "test", .attachments = "photo"};
	run(rs, st, &msg, &res);
	assert_string_equal(res.replies.items[0].source, "template:unsupported_attachment");
	dialog_result_free(&res);
	size_t n = 1 << 20;
	char *big = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = "баланс "[i % 13];
	big[n] = '\0';
	say(rs, st, big, &res);
	assert_int_equal(res.replies.n, 1);
	dialog_result_free(&res);
	free(big);
	convstate_free(st);
}

static void test_operator_and_complaint(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "позовите живого человека", &res);
	assert_string_equal(res.handler, "operator");
	assert_int_equal(res.wants_human, 1);
	/* {case_id} is left for the pipeline to fill once the case exists. */
	assert_non_null(strstr(res.replies.items[0].text, "{case_id}"));
	dialog_result_free(&res);
	say(rs, st, "у меня списали деньги за услугу, которую я не подключал, верните, мой номер 89123456789",
	    &res);
	assert_string_equal(res.handler, "complaint");
	assert_string_equal(res.complaint_intent, "complaint_wrong_charge");
	assert_string_equal(res.phone, "+79123456789");
	/* The acknowledgement, then the interview's one question: complaint_wrong_charge
	 * needs the phone, the account and a description; the phone came with the message
	 * and the message describes the problem, so the account is what is asked. */
	assert_int_equal(res.replies.n, 2);
	assert_string_equal(res.replies.items[0].source, "template:complaint_ack");
	assert_string_equal(res.replies.items[1].source, "template:ask_account");
	assert_int_equal(convstate_interview_asked(st), CONVSTATE_ACCOUNT);
	assert_int_equal(res.wants_human, 0);
	dialog_result_free(&res);
	convstate_free(st);
}

/* The payload of the button under the last reply that opens a case, or NULL. */
static const char *open_case_button(const struct dialog_result *res)
{
	if (!res->replies.n)
		return NULL;
	const struct reply *r = &res->replies.items[res->replies.n - 1];
	for (size_t i = 0; i < r->n_buttons; i++)
		if (r->buttons[i].payload && strncmp(r->buttons[i].payload, "complaint:open", 14) == 0)
			return r->buttons[i].payload;
	return NULL;
}

/* Answer first (issue 12): a problem stated plainly gets the troubleshooting answer
 * and a button "Не помогло — передать сотруднику"; no case and no interview yet. The
 * button opens the case with the interview, starting from the first message. */
static void test_problem_answered_first(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "не работает домашний интернет с утра, мой номер 89123456789", &res);
	assert_string_equal(res.handler, "complaint");
	assert_string_equal(res.complaint_intent, "complaint_home_internet");
	assert_int_equal(res.case_op, DIALOG_CASE_NONE);
	assert_int_equal(res.replies.n, 1);
	assert_string_equal(res.replies.items[0].source, "complaint_answer:complaint_home_internet");
	assert_non_null(strstr(res.replies.items[0].text, "роутер"));
	assert_false(convstate_in_interview(st));
	const char *payload = open_case_button(&res);
	assert_non_null(payload);
	assert_string_equal(payload, "complaint:open:complaint_home_internet");
	const struct reply *r = &res.replies.items[0];
	assert_string_equal(r->buttons[r->n_buttons - 1].label, "Не помогло — передать сотруднику");
	char *pressed = xstrdup(payload);
	dialog_result_free(&res);
	/* The press opens the case: acknowledgement, then the first missing thing (the
	 * phone was given with the first message, so not the phone). */
	struct chan_msg press = {.channel = "test", .payload = pressed, .callback_id = "cb1"};
	run(rs, st, &press, &res);
	assert_string_equal(res.handler, "complaint");
	assert_string_equal(res.complaint_intent, "complaint_home_internet");
	assert_string_equal(res.replies.items[0].source, "template:complaint_ack");
	assert_true(convstate_in_interview(st));
	assert_string_equal(convstate_interview_get(st, CONVSTATE_PHONE), "+79123456789");
	assert_non_null(strstr(convstate_interview_get(st, CONVSTATE_SUMMARY), "домашний интернет"));
	assert_true(convstate_interview_asked(st) >= 0);
	assert_int_not_equal(convstate_interview_asked(st), CONVSTATE_PHONE);
	struct convstate_problem kept;
	assert_false(convstate_problem(st, &kept));
	dialog_result_free(&res);
	free(pressed);
	convstate_free(st);
}

/* After the troubleshooting answer, a phone number alone asks for the case: it opens
 * with the number taken. */
static void test_phone_after_answer_opens_case(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "уже третий день не работает мобильный интернет, ничего не грузится", &res);
	assert_non_null(open_case_button(&res));
	assert_false(convstate_in_interview(st));
	dialog_result_free(&res);
	say(rs, st, "+7 916 123-45-67", &res);
	assert_string_equal(res.handler, "complaint");
	assert_true(convstate_in_interview(st));
	assert_string_equal(convstate_interview_get(st, CONVSTATE_PHONE), "+79161234567");
	assert_non_null(strstr(convstate_interview_get(st, CONVSTATE_SUMMARY), "третий день"));
	dialog_result_free(&res);
	convstate_free(st);
}

/* A grievance opens the case at once: anger about money, a repeat contact. */
static void test_grievance_opens_case(void **state)
{
	struct replyset *rs = *state;
	static const char *const texts[] = {
		"списали 300 рублей непонятно за что, верните",
		"ваш оператор худший, сколько можно",
		"ИНТЕРНЕТ НЕ РАБОТАЕТ ТРЕТИЙ ДЕНЬ",
		"интернет х*ровый вообще, видео не грузится",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct convstate *st = convstate_new();
		struct dialog_result res;
		say(rs, st, texts[i], &res);
		assert_string_equal(res.handler, "complaint");
		assert_string_equal(res.replies.items[0].source, "template:complaint_ack");
		assert_true(convstate_in_interview(st));
		dialog_result_free(&res);
		convstate_free(st);
	}
	/* The problem answered first, then "не помогло": a repeat contact, the case opens
	 * with both messages in the description. */
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "звонки не проходят, сразу короткие гудки", &res);
	assert_non_null(open_case_button(&res));
	assert_false(convstate_in_interview(st));
	dialog_result_free(&res);
	say(rs, st, "не помогло, всё равно не проходят", &res);
	assert_string_equal(res.handler, "complaint");
	assert_string_equal(res.complaint_intent, "complaint_sms_calls");
	assert_true(convstate_in_interview(st));
	const char *d = convstate_interview_get(st, CONVSTATE_DESCRIPTION);
	assert_non_null(d);
	assert_non_null(strstr(d, "короткие гудки"));
	assert_non_null(strstr(d, "не помогло"));
	dialog_result_free(&res);
	convstate_free(st);
}

/* "!!!" is no shouting any more, but still anger: a problem stated with it opens the
 * case at once, where the same words alone get the troubleshooting answer first. */
static void test_exclamations_are_a_grievance(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "не работает мобильный интернет", &res);
	assert_false(convstate_in_interview(st));
	dialog_result_free(&res);
	convstate_free(st);
	st = convstate_new();
	say(rs, st, "не работает мобильный интернет!!!", &res);
	assert_int_equal(res.flags.shouting, 0);
	assert_true(convstate_in_interview(st));
	dialog_result_free(&res);
	convstate_free(st);
}

/* A rude remark about the bot is no complaint; the same rudeness with money to
 * return is one. */
static void test_remark_about_the_bot(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "ха-ха, ваш бот тупой, проверим: скажи мне хуй", &res);
	assert_null(res.complaint_intent);
	assert_false(convstate_in_interview(st));
	dialog_result_free(&res);
	convstate_free(st);
	st = convstate_new();
	say(rs, st, "ваш бот бесполезный, верните деньги за подписку", &res);
	assert_non_null(res.complaint_intent);
	dialog_result_free(&res);
	convstate_free(st);
}

/* A legal threat is a flag only: the category (and so the severity) is the one the
 * same message has without it, and the case opens at once. */
static void test_legal_threat_is_a_flag(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result plain, threat;
	say(rs, st, "уже третий день не работает интернет", &plain);
	convstate_free(st);
	st = convstate_new();
	say(rs, st, "уже третий день не работает интернет, буду жаловаться в роспотребнадзор!!!", &threat);
	assert_non_null(plain.complaint_intent);
	assert_non_null(threat.complaint_intent);
	assert_string_equal(threat.complaint_intent, plain.complaint_intent);
	assert_string_not_equal(threat.complaint_intent, "complaint_general");
	assert_int_equal(threat.flags.legal_threat, 1);
	assert_int_equal(plain.flags.legal_threat, 0);
	assert_true(convstate_in_interview(st));
	/* Same severity: it comes from the category. */
	assert_int_equal(replyset_intent(rs, threat.complaint_intent)->severity,
			 replyset_intent(rs, plain.complaint_intent)->severity);
	dialog_result_free(&plain);
	dialog_result_free(&threat);
	convstate_free(st);
}

/* Several requests in one message: every answer, in the customer's order. */
static void test_several_requests(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "как отключить голосовую почту? и как поставить переадресацию на рабочий номер?", &res);
	assert_int_equal(res.n_answered, 2);
	assert_string_equal(res.answered[0], "voicemail");
	assert_string_equal(res.answered[1], "call_forwarding");
	assert_int_equal(res.replies.n, 2);
	assert_string_equal(res.replies.items[0].source, "faq:voicemail");
	assert_string_equal(res.replies.items[1].source, "faq:call_forwarding");
	dialog_result_free(&res);
	/* One question is one answer. */
	say(rs, st, "как проверить баланс?", &res);
	assert_int_equal(res.n_answered, 1);
	assert_int_equal(res.replies.n, 1);
	dialog_result_free(&res);
	/* A tariff need with a second question in the same clause: the plan, then the
	 * answer to what is left; needs alone are the plan only. */
	say(rs, st, "нужен тариф, где можно звонить в узбекистан дешево, и интернет 10 гб, до 500 р в месяц", &res);
	assert_string_equal(res.handler, "tariff");
	assert_int_equal(res.n_answered, 2);
	assert_string_equal(res.answered[0], "tariff_pick");
	assert_string_equal(res.answered[1], "international_calls");
	dialog_result_free(&res);
	say(rs, st, "нужен тариф: 500 минут и 20 гб, до 600 рублей в месяц", &res);
	assert_string_equal(res.handler, "tariff");
	assert_int_equal(res.n_answered, 1);
	dialog_result_free(&res);
	/* "что делать", "сколько это стоит" follow the request before them: no answer of
	 * their own ("как дела", the price of the plan). */
	say(rs, st, "мне банк шлет коды а они не доходят до телефона, что делать", &res);
	assert_int_equal(res.n_answered, 1);
	assert_string_equal(res.answered[0], "sms_not_delivered");
	dialog_result_free(&res);
	say(rs, st, "как поставить переадресацию на рабочий номер? и сколько это стоит?", &res);
	assert_int_equal(res.n_answered, 1);
	assert_string_equal(res.answered[0], "call_forwarding");
	dialog_result_free(&res);
	convstate_free(st);
	/* A complaint and a request for a person: the case that opens answers both. */
	st = convstate_new();
	say(rs, st, "интернет не работает третий день, сколько можно! дайте живого оператора", &res);
	assert_true(convstate_in_interview(st) || res.case_op == DIALOG_CASE_CREATE || res.wants_human);
	assert_int_equal(res.n_answered, 2);
	assert_string_equal(res.answered[1], "operator_request");
	dialog_result_free(&res);
	convstate_free(st);
}

/* A person asked for in so many words gets one even when the words read close to an
 * article ("operator" and switching operators); a question about how to reach one
 * gets the contacts. */
static void test_person_asked_outright(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "operator please", &res);
	assert_true(res.wants_human);
	assert_string_equal(res.handler, "operator");
	dialog_result_free(&res);
	convstate_free(st);
	st = convstate_new();
	say(rs, st, "какой номер набрать, чтобы ответил живой оператор?", &res);
	assert_false(res.wants_human);
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_bad_arguments(void **state)
{
	struct replyset *rs = *state;
	struct dialog_result res;
	struct chan_msg msg = {.channel = "test", .text = "x"};
	assert_true(dialog_handle(NULL, NULL, &msg, 0, &res) < 0);
	assert_true(dialog_handle(rs, NULL, &msg, 0, &res) < 0);
	struct convstate *st = convstate_new();
	assert_true(dialog_handle(rs, st, NULL, 0, &res) < 0);
	convstate_free(st);
	dialog_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faq_and_language),
		cmocka_unit_test(test_greeting_first),
		cmocka_unit_test(test_fallback_and_clarify),
		cmocka_unit_test(test_empty_huge_attachment),
		cmocka_unit_test(test_operator_and_complaint),
		cmocka_unit_test(test_problem_answered_first),
		cmocka_unit_test(test_phone_after_answer_opens_case),
		cmocka_unit_test(test_grievance_opens_case),
		cmocka_unit_test(test_exclamations_are_a_grievance),
		cmocka_unit_test(test_remark_about_the_bot),
		cmocka_unit_test(test_legal_threat_is_a_flag),
		cmocka_unit_test(test_several_requests),
		cmocka_unit_test(test_person_asked_outright),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
