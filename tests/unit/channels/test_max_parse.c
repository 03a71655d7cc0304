/* MAX wire formats: updates of every kind, the marker, error bodies, unreadable
 * elements, send and answer results, request bodies and keyboards within MAX's limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "channels/max_parse.h"
#include "log.h"

static void parse(const char *body, struct max_updates *u)
{
	max_parse_updates(body, strlen(body), u);
}

#define USER(id) "{\"user_id\":" #id ",\"first_name\":\"Anna\",\"last_name\":\"K\"," \
		 "\"username\":\"annak\",\"is_bot\":false}"

static void updates_of_every_kind(void **state)
{
	struct max_updates u;
	parse("{\"updates\":["
	      "{\"update_type\":\"message_created\",\"timestamp\":1775025604499,\"user_locale\":"
	      "\"ru-RU\",\"message\":{\"sender\":" USER(123456789) ",\"recipient\":{\"chat_id\":"
	      "182182182,\"chat_type\":\"dialog\",\"user_id\":229229229},\"timestamp\":"
	      "1775025604400,\"body\":{\"mid\":\"mid.0adf\",\"seq\":116328147,\"text\":\"баланс\","
	      "\"attachments\":null}}},"
	      "{\"update_type\":\"message_callback\",\"timestamp\":1775025605000,\"callback\":"
	      "{\"timestamp\":1775025605000,\"callback_id\":\"cb1\",\"payload\":\"intent:topup\","
	      "\"user\":" USER(5) "},\"message\":null},"
	      "{\"update_type\":\"message_created\",\"timestamp\":1,\"message\":{\"sender\":"
	      USER(5) ",\"recipient\":{\"chat_id\":-70801090403050,\"chat_type\":\"chat\"},"
	      "\"body\":{\"mid\":\"mid.2\",\"seq\":2,\"text\":null,\"attachments\":[{\"type\":"
	      "\"contact\",\"payload\":{\"vcf_info\":\"BEGIN:VCARD\\r\\nTEL;TYPE=cell:+7 916 "
	      "123-45-67\\r\\nEND:VCARD\",\"max_info\":" USER(5) "}},{\"type\":\"image\"},"
	      "{\"type\":\"inline_keyboard\"}]}}},"
	      "{\"update_type\":\"message_created\",\"timestamp\":1,\"message\":{\"sender\":"
	      USER(6) ",\"recipient\":{\"chat_type\":\"dialog\"},\"body\":{\"mid\":\"mid.3\","
	      "\"attachments\":[{\"type\":\"contact\",\"payload\":{\"vcf_info\":\"TEL:+79990000000"
	      "\",\"max_info\":" USER(1) "}}]}}},"
	      "{\"update_type\":\"bot_started\",\"timestamp\":1775025606000,\"chat_id\":1,"
	      "\"user\":" USER(7) ",\"payload\":\"ad\"},"
	      "{\"update_type\":\"bot_stopped\",\"timestamp\":1,\"chat_id\":1,\"user\":" USER(8) "},"
	      "{\"update_type\":\"message_edited\",\"timestamp\":1,\"message\":{}},"
	      "{\"update_type\":\"message_created\",\"timestamp\":1,\"message\":{\"recipient\":"
	      "{\"chat_type\":\"channel\"},\"body\":{\"mid\":\"mid.4\"}}},"
	      "{\"update_type\":\"message_created\",\"timestamp\":1,\"message\":{\"sender\":"
	      "{\"user_id\":9,\"is_bot\":true},\"body\":{\"mid\":\"mid.5\"}}},"
	      "{\"update_type\":\"message_created\",\"timestamp\":1,\"message\":{\"sender\":"
	      USER(10) ",\"body\":{\"text\":\"no mid\"}}},"
	      "{\"no_type\":1}],\"marker\":25493970}",
	      &u);
	assert_true(u.ok);
	assert_int_equal(u.marker, 25493970);
	assert_int_equal(u.n_msgs, 5);
	assert_string_equal(u.msgs[0].dedup_key, "m:mid.0adf");
	assert_string_equal(u.msgs[0].channel, "max");
	assert_true(u.msgs[0].user_id == 123456789);
	assert_true(u.msgs[0].peer_id == 123456789); /* a dialog is answered by user_id */
	assert_int_equal(u.msgs[0].message_id, 116328147);
	assert_int_equal(u.msgs[0].date, 1775025604);
	assert_string_equal(u.msgs[0].display_name, "Anna K");
	assert_string_equal(u.msgs[0].username, "annak");
	assert_string_equal(u.msgs[0].lang, "ru");
	assert_string_equal(u.msgs[0].text, "баланс");
	assert_string_equal(u.msgs[1].dedup_key, "c:cb1");
	assert_string_equal(u.msgs[1].callback_id, "cb1");
	assert_string_equal(u.msgs[1].payload, "intent:topup");
	assert_true(u.msgs[1].peer_id == 5); /* the keyboard's message is gone: a dialog */
	assert_true(u.msgs[2].peer_id == -70801090403050LL); /* a group chat, in the chat */
	assert_string_equal(u.msgs[2].text, "");
	assert_string_equal(u.msgs[2].contact_phone, "+79161234567");
	assert_string_equal(u.msgs[2].attachments, "contact,image");
	assert_null(u.msgs[3].contact_phone); /* someone else's card */
	assert_string_equal(u.msgs[4].text, "/start");
	assert_string_equal(u.msgs[4].dedup_key, "s:7:1775025606000");
	assert_int_equal(u.n_blocks, 2);
	assert_true(u.blocks[0].peer == 7 && !u.blocks[0].blocked);
	assert_true(u.blocks[1].peer == 8 && u.blocks[1].blocked);
	assert_int_equal(u.n_ignored, 4); /* bot_stopped, edit, channel post, a bot */
	assert_int_equal(u.n_bad, 2);     /* no mid, no update_type */
	max_updates_free(&u);
}

static void markers_errors_and_garbage(void **state)
{
	struct max_updates u;
	/* An empty answer's marker of 0 or null means "keep the stored one". */
	const char *empty[] = {"{\"updates\":[],\"marker\":0}", "{\"updates\":[],\"marker\":null}",
			       "{\"updates\":[]}"};
	for (size_t i = 0; i < 3; i++) {
		parse(empty[i], &u);
		assert_true(u.ok);
		assert_int_equal(u.marker, 0);
		max_updates_free(&u);
	}
	parse("{\"code\":\"verify.token\",\"message\":\"Invalid access_token\"}", &u);
	assert_false(u.ok);
	assert_string_equal(u.error_code, "verify.token");
	max_updates_free(&u);
	const char *bad[] = {"", "<html>", "{\"marker\":5}", "{\"updates\":{}}", "7",
			     "{\"updates\":[{\"update_type\":"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		parse(bad[i], &u);
		assert_false(u.ok);
		assert_int_equal(u.n_msgs, 0);
		max_updates_free(&u);
	}
	/* One element that is not JSON costs only itself; a lone surrogate becomes U+FFFD. */
	parse("{\"updates\":[{\"update_type\":\"message_created\",\"message\":{\"sender\":"
	      "{\"user_id\":1},\"body\":{\"mid\":\"a\",\"text\": NaN}}},"
	      "{\"update_type\":\"message_created\",\"message\":{\"sender\":{\"user_id\":2},"
	      "\"body\":{\"mid\":\"b\",\"text\":\"x\\ud83d\"}}}],\"marker\":77}",
	      &u);
	assert_true(u.ok);
	assert_int_equal(u.marker, 77);
	assert_int_equal(u.n_bad, 1);
	assert_int_equal(u.n_msgs, 1);
	assert_string_equal(u.msgs[0].text, "x\xef\xbf\xbd");
	max_updates_free(&u);
	const char *cut = "{\"updates\":[{\"update_type\":\"x\",\"marker\":3}],\"marker\":4";
	assert_int_equal(max_scan_marker(cut, strlen(cut)), 4);
	assert_int_equal(max_scan_marker("{\"updates\":[", 12), -1);
}

static void classify_send(void **state)
{
	struct send_result r;
	max_classify_send(200, 0, "{\"message\":{\"body\":{\"mid\":\"mid.1\",\"seq\":99}}}", 0, &r);
	assert_int_equal(r.outcome, SEND_OK);
	assert_int_equal(r.channel_msg_id, 99);
	max_classify_send(200, 0, "{\"success\":true}", 1, &r);
	assert_int_equal(r.outcome, SEND_OK);
	max_classify_send(200, 0, "{\"success\":false,\"message\":\"callback not found\"}", 1, &r);
	assert_int_equal(r.outcome, SEND_FAILED);
	max_classify_send(200, 0, "{\"message\":{\"body\":", 0, &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	max_classify_send(429, 0, "{\"code\":\"too.many.requests\",\"message\":\"slow\"}", 0, &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	assert_true(r.pause_channel_ms > 0); /* the limit is the bot's, not one chat's */
	max_classify_send(400, 0, "{\"code\":\"attachment.not.ready\",\"message\":\"k\"}", 0, &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	assert_true(r.retry_after_ms > 0);
	max_classify_send(403, 0, "{\"code\":\"chat.denied\",\"message\":\"blocked\"}", 0, &r);
	assert_int_equal(r.outcome, SEND_BLOCKED);
	assert_non_null(strstr(r.reason, "chat.denied"));
	max_classify_send(400, 0, "{\"code\":\"text.too.long\",\"message\":\"x\"}", 0, &r);
	assert_int_equal(r.outcome, SEND_FAILED);
	max_classify_send(401, 0, "{\"code\":\"verify.token\",\"message\":\"x\"}", 0, &r);
	assert_int_equal(r.outcome, SEND_FAILED);
	max_classify_send(503, 0, "<html>", 0, &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	max_classify_send(0, 28, "", 0, &r);
	assert_int_equal(r.outcome, SEND_RETRY);
}

static void send_bodies(void **state)
{
	char q[48];
	assert_string_equal(max_send_query(123456789, q, sizeof q), "user_id=123456789");
	assert_string_equal(max_send_query(-70801090403050LL, q, sizeof q),
			    "chat_id=-70801090403050");
	struct outbox_row row = {.peer_id = 1, .reply_to = 15,
				 .text = (char *)"<b>not markup</b> & \"quotes\"",
				 .keyboard = (char *)"{\"inline\":false,\"rows\":[[{\"label\":"
						     "\"Отправить номер\",\"kind\":\"contact\"},"
						     "{\"label\":\"Назад\",\"kind\":\"text\"}]]}"};
	char *b = max_send_body(&row);
	/* Plain text: no format, sent as it is; no link (mids are strings). */
	assert_null(strstr(b, "format"));
	assert_null(strstr(b, "link"));
	assert_non_null(strstr(b, "<b>not markup</b> & \\\"quotes\\\""));
	assert_non_null(strstr(b, "{\"type\":\"request_contact\",\"text\":\"Отправить номер\"}"));
	assert_non_null(strstr(b, "{\"type\":\"message\",\"text\":\"Назад\"}"));
	free(b);
	/* Callback payloads; a payload past 1024 bytes falls back to the label; rows wrap
	 * at 7 buttons; no rows past 30. */
	char kb[16384] = "{\"inline\":true,\"rows\":[[{\"label\":\"Да\",\"payload\":\"intent:yes\"}],[";
	for (int i = 0; i < 9; i++)
		strcat(kb, i ? ",{\"label\":\"b\",\"payload\":\"p\"}" : "{\"label\":\"b\",\"payload\":\"p\"}");
	strcat(kb, "],[{\"label\":\"long\",\"payload\":\"");
	for (int i = 0; i < 1100; i++)
		strcat(kb, "x");
	strcat(kb, "\"}]");
	for (int i = 0; i < 40; i++)
		strcat(kb, ",[{\"label\":\"r\",\"payload\":\"r\"}]");
	strcat(kb, "]}");
	row.keyboard = kb;
	b = max_send_body(&row);
	assert_non_null(strstr(b, "\"attachments\":[{\"type\":\"inline_keyboard\",\"payload\":"
				  "{\"buttons\":[[{\"type\":\"callback\",\"payload\":\"intent:yes\","
				  "\"text\":\"Да\"}]"));
	assert_non_null(strstr(b, "{\"type\":\"callback\",\"payload\":\"long\",\"text\":\"long\"}"));
	size_t rows = 0;
	for (const char *p = strstr(b, "\"buttons\":[") + 11; (p = strchr(p, '[')); p++)
		rows++;
	assert_int_equal(rows, 30);
	free(b);
	row.keyboard = (char *)"{\"inline\":true,\"rows\":[]}";
	b = max_send_body(&row);
	assert_null(strstr(b, "attachments"));
	free(b);
	struct outbox_row cb = {.extra = (char *)"{\"callback_id\":\"cb 9&x\"}", .text = (char *)""};
	char *id = NULL;
	b = max_answer_body(&cb, &id);
	assert_string_equal(id, "cb 9&x");
	assert_non_null(strstr(b, "\"notification\":"));
	free(b);
	free(id);
	cb.extra = (char *)"{}";
	assert_null(max_answer_body(&cb, &id));
	assert_null(id);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(updates_of_every_kind),
		cmocka_unit_test(markers_errors_and_garbage),
		cmocka_unit_test(classify_send),
		cmocka_unit_test(send_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
