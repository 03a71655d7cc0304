/* Telegram wire formats: updates of every kind, error envelopes, send answers, bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "channels/tg_parse.h"

static void parse(const char *body, struct tg_updates *u)
{
	tg_parse_updates(body, strlen(body), u);
}

static void updates_of_every_kind(void **state)
{
	struct tg_updates u;
	parse("{\"ok\":true,\"result\":["
	      "{\"update_id\":900000001,\"message\":{\"message_id\":15,\"from\":{\"id\":"
	      "7000000001,\"is_bot\":false,\"first_name\":\"Anna\",\"last_name\":\"K\","
	      "\"username\":\"annak\",\"language_code\":\"ru\"},\"chat\":{\"id\":7000000001,"
	      "\"type\":\"private\"},\"date\":1718000000,\"text\":\"баланс\"}},"
	      "{\"update_id\":900000002,\"edited_message\":{\"message_id\":15}},"
	      "{\"update_id\":900000003,\"callback_query\":{\"id\":\"cq1\",\"from\":{\"id\":5},"
	      "\"message\":{\"chat\":{\"id\":5}},\"data\":\"intent:topup\"}},"
	      "{\"update_id\":900000004,\"message\":{\"message_id\":16,\"from\":{\"id\":5},"
	      "\"chat\":{\"id\":5,\"type\":\"private\"},\"contact\":{\"phone_number\":"
	      "\"79161234567\",\"user_id\":5}}},"
	      "{\"update_id\":900000005,\"my_chat_member\":{\"chat\":{\"id\":6,\"type\":"
	      "\"private\"},\"new_chat_member\":{\"status\":\"kicked\"}}},"
	      "{\"update_id\":900000006,\"poll\":{}},"
	      "{\"update_id\":900000007,\"message\":{\"message_id\":17}},"
	      "{\"no_id\":1}]}",
	      &u);
	assert_true(u.ok);
	assert_int_equal(u.next_offset, 900000008);
	assert_int_equal(u.n_msgs, 3);
	assert_string_equal(u.msgs[0].dedup_key, "u:900000001");
	assert_true(u.msgs[0].user_id == 7000000001LL);
	assert_true(u.msgs[0].peer_id == 7000000001LL);
	assert_string_equal(u.msgs[0].display_name, "Anna K");
	assert_string_equal(u.msgs[0].username, "annak");
	assert_string_equal(u.msgs[0].lang, "ru");
	assert_string_equal(u.msgs[0].text, "баланс");
	assert_string_equal(u.msgs[1].callback_id, "cq1");
	assert_string_equal(u.msgs[1].payload, "intent:topup");
	assert_string_equal(u.msgs[2].contact_phone, "79161234567");
	assert_int_equal(u.n_blocks, 1);
	assert_int_equal(u.blocks[0].chat_id, 6);
	assert_true(u.blocks[0].blocked);
	assert_int_equal(u.n_ignored, 3); /* edit, my_chat_member, poll */
	assert_int_equal(u.n_bad, 2);     /* message without chat, update without id */
	tg_updates_free(&u);
}

static void errors_and_garbage(void **state)
{
	struct tg_updates u;
	parse("{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry "
	      "after 17\",\"parameters\":{\"retry_after\":17}}",
	      &u);
	assert_false(u.ok);
	assert_int_equal(u.error_code, 429);
	assert_int_equal(u.retry_after, 17);
	tg_updates_free(&u);
	const char *bad[] = {"", "<html>", "{\"ok\":true}", "{\"ok\":true,\"result\":{}}", "7"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		parse(bad[i], &u);
		assert_false(u.ok);
		assert_int_equal(u.n_msgs, 0);
		tg_updates_free(&u);
	}
}

static void classify_send(void **state)
{
	struct send_result r;
	tg_classify_send(200, 0, "{\"ok\":true,\"result\":{\"message_id\":99}}", &r);
	assert_int_equal(r.outcome, SEND_OK);
	assert_int_equal(r.channel_msg_id, 99);
	tg_classify_send(429, 0, "{\"ok\":false,\"error_code\":429,\"parameters\":"
				 "{\"retry_after\":3}}", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	assert_int_equal(r.retry_after_ms, 3000);
	assert_int_equal(r.pause_channel_ms, 0); /* that chat waits, not the whole bot */
	tg_classify_send(403, 0, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: "
				 "bot was blocked by the user\"}", &r);
	assert_int_equal(r.outcome, SEND_BLOCKED);
	assert_non_null(strstr(r.reason, "blocked"));
	tg_classify_send(400, 0, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad "
				 "Request: chat not found\"}", &r);
	assert_int_equal(r.outcome, SEND_FAILED);
	tg_classify_send(502, 0, "<html>", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	tg_classify_send(0, 28, "", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
}

static void send_bodies(void **state)
{
	struct outbox_row row = {.peer_id = 7000000001LL, .reply_to = 15,
				 .text = (char *)"<b>not markup</b> & \"quotes\"",
				 .keyboard = (char *)"{\"inline\":false,\"rows\":[[{\"label\":"
						     "\"Отправить номер\",\"kind\":\"contact\"}]]}"};
	char *b = tg_send_body(&row);
	assert_non_null(strstr(b, "\"chat_id\":7000000001"));
	assert_non_null(strstr(b, "\"reply_parameters\":{\"message_id\":15"));
	/* Plain text: sent as it is, no parse_mode, nothing escaped away. */
	assert_null(strstr(b, "parse_mode"));
	assert_non_null(strstr(b, "<b>not markup</b> & \\\"quotes\\\""));
	assert_non_null(strstr(b, "\"request_contact\":true"));
	free(b);
	row.keyboard = (char *)"{\"inline\":true,\"rows\":[[{\"label\":\"Да\",\"payload\":"
			       "\"intent:yes\",\"kind\":\"callback\"}]]}";
	row.reply_to = 0;
	b = tg_send_body(&row);
	assert_non_null(strstr(b, "\"inline_keyboard\":[[{\"text\":\"Да\",\"callback_data\":"
				  "\"intent:yes\"}]]"));
	assert_null(strstr(b, "reply_parameters"));
	free(b);
	struct outbox_row cb = {.extra = (char *)"{\"callback_id\":\"cq9\"}"};
	b = tg_callback_body(&cb);
	assert_string_equal(b, "{\"callback_query_id\":\"cq9\"}");
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(updates_of_every_kind),
		cmocka_unit_test(errors_and_garbage),
		cmocka_unit_test(classify_send),
		cmocka_unit_test(send_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
