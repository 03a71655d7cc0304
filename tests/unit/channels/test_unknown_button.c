/* A press of a button the bot never issued (a stale keyboard from an older reply set,
 * a forged Telegram callback_query, a VK message_event with another payload) is
 * answered with button_stale and the menu, never with the empty-message text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_helpers.h"
#include "convstate.h"
#include "dialog.h"

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

static void press(struct replyset *rs, const char *payload, const char *text,
		  struct dialog_result *res)
{
	struct convstate *st = convstate_new();
	struct chan_msg msg = {.channel = "telegram", .text = (char *)text,
			       .payload = (char *)payload,
			       .callback_id = payload ? "cq" : NULL};
	assert_int_equal(dialog_handle(rs, st, &msg, 1700000000, res), 0);
	convstate_free(st);
}

static int has_payload(const struct reply *r, const char *payload)
{
	for (size_t i = 0; i < r->n_buttons; i++)
		if (r->buttons[i].payload && strcmp(r->buttons[i].payload, payload) == 0)
			return 1;
	return 0;
}

static void unknown_payloads_get_the_menu(void **state)
{
	const char *stale[] = {"intent:no_such_intent", "plan:retired_plan", "garbage",
			       "{\"command\":\"start\"}", "\xEF\xBF\xBD", ""};
	for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
		struct dialog_result res;
		press(*state, stale[i], "", &res);
		assert_int_equal(res.replies.n, 1);
		const struct reply *r = &res.replies.items[0];
		assert_string_equal(r->source, "template:button_stale");
		assert_null(strstr(r->text, "пустое"));
		/* the menu (settings.json) and a person */
		assert_true(has_payload(r, "intent:balance"));
		assert_true(has_payload(r, "intent:operator_request"));
		assert_true(r->inline_keyboard);
		dialog_result_free(&res);
	}
}

static void known_buttons_still_work(void **state)
{
	struct dialog_result res;
	press(*state, "intent:topup", "", &res);
	assert_string_equal(res.intent, "topup");
	dialog_result_free(&res);
	/* "complaint:open" (under an angry FAQ answer) opens a case, not "empty message" */
	press(*state, "complaint:open", "", &res);
	assert_string_equal(res.handler, "complaint");
	dialog_result_free(&res);
	/* an unknown payload with text (a VK text button of an older set): the text decides */
	press(*state, "intent:no_such_intent", "как проверить баланс", &res);
	assert_string_equal(res.intent, "balance");
	dialog_result_free(&res);
	/* no payload and no text is still the empty message */
	press(*state, NULL, "", &res);
	assert_string_equal(res.replies.items[0].source, "template:empty_message");
	dialog_result_free(&res);
	/* but a button press without any data (a callback_query without data) is a button */
	struct convstate *st = convstate_new();
	struct chan_msg msg = {.channel = "telegram", .text = "", .callback_id = "cq"};
	assert_int_equal(dialog_handle(*state, st, &msg, 1700000000, &res), 0);
	assert_string_equal(res.replies.items[0].source, "template:button_stale");
	dialog_result_free(&res);
	convstate_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_payloads_get_the_menu),
		cmocka_unit_test(known_buttons_still_work),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
