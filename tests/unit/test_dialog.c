/* Tests of bot/dialog.c and the handlers through a fake conversation: language,
 * buttons, clarify and fallback, empty and huge messages, operator and complaints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

static void run(struct replyset *rs, cJSON *st, struct chan_msg *msg, struct dialog_result *res)
{
	if (!msg->text)
		msg->text = "";
	assert_int_equal(dialog_handle(rs, st, msg, 1700000000, res), 0);
}

static void say(struct replyset *rs, cJSON *st, const char *text, struct dialog_result *res)
{
	struct chan_msg msg = {.channel = "test", .text = (char *)text};
	run(rs, st, &msg, res);
}

static void test_faq_and_language(void **state)
{
	struct replyset *rs = *state;
	cJSON *st = cJSON_CreateObject();
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
	cJSON_Delete(st);
}

static void test_greeting_first(void **state)
{
	struct replyset *rs = *state;
	cJSON *st = cJSON_CreateObject();
	struct dialog_result res;
	say(rs, st, "привет", &res);
	assert_string_equal(res.handler, "smalltalk");
	assert_string_equal(res.replies.items[0].source, "template:greeting_first");
	assert_true(res.replies.items[0].n_buttons >= replyset_settings(rs)->n_menu);
	dialog_result_free(&res);
	say(rs, st, "привет", &res);
	assert_string_equal(res.replies.items[0].source, "smalltalk:greeting");
	dialog_result_free(&res);
	cJSON_Delete(st);
}

static void test_fallback_and_clarify(void **state)
{
	struct replyset *rs = *state;
	cJSON *st = cJSON_CreateObject();
	struct dialog_result res;
	say(rs, st, "как приготовить борщ", &res);
	assert_true(strcmp(res.handler, "fallback") == 0 || strcmp(res.handler, "clarify") == 0);
	assert_null(res.intent);
	if (strcmp(res.handler, "fallback") == 0) {
		/* Menu topics and a button for a person. */
		const struct reply *r = &res.replies.items[0];
		int person = 0;
		for (size_t i = 0; i < r->n_buttons; i++)
			person |= strcmp(r->buttons[i].payload, "intent:operator_request") == 0;
		assert_true(person);
	}
	dialog_result_free(&res);
	/* A pressed clarify button answers that intent directly. */
	struct chan_msg msg = {.channel = "test", .payload = "intent:roaming"};
	run(rs, st, &msg, &res);
	assert_string_equal(res.handler, "faq");
	assert_string_equal(res.intent, "roaming");
	dialog_result_free(&res);
	cJSON_Delete(st);
}

static void test_empty_huge_attachment(void **state)
{
	struct replyset *rs = *state;
	cJSON *st = cJSON_CreateObject();
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
	cJSON_Delete(st);
}

static void test_operator_and_complaint(void **state)
{
	struct replyset *rs = *state;
	cJSON *st = cJSON_CreateObject();
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
	assert_string_equal(res.replies.items[0].source, "template:complaint_ack");
	/* The phone is known, so it is not asked for. */
	assert_null(strstr(res.replies.items[0].text, "номер телефона"));
	assert_int_equal(res.wants_human, 0);
	dialog_result_free(&res);
	cJSON_Delete(st);
}

static void test_bad_arguments(void **state)
{
	struct replyset *rs = *state;
	struct dialog_result res;
	struct chan_msg msg = {.channel = "test", .text = "x"};
	assert_true(dialog_handle(NULL, NULL, &msg, 0, &res) < 0);
	cJSON *arr = cJSON_CreateArray();
	assert_true(dialog_handle(rs, arr, &msg, 0, &res) < 0);
	cJSON_Delete(arr);
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
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
