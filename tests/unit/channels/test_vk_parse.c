/* VK wire formats: long-poll answers of every shape, send answers by error code,
 * keyboards, random_id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "channels/vk_parse.h"

static void parse(const char *body, struct vk_poll *p)
{
	vk_parse_poll(body, strlen(body), p);
}

/* Comments under the community's posts: new, edit and delete, each keyed for the dedup;
 * the community's own comments (our public replies) and broken ones are not answered. */
static void wall_reply_events(void **state)
{
	(void)state;
	struct vk_poll p;
	parse("{\"ts\":\"7\",\"updates\":["
	      "{\"type\":\"wall_reply_new\",\"event_id\":\"w1\",\"object\":{\"id\":501,"
	      "\"from_id\":77,\"date\":1718000000,\"text\":\"не работает интернет\","
	      "\"post_id\":12,\"owner_id\":-1,\"reply_to_comment\":500}},"
	      "{\"type\":\"wall_reply_new\",\"event_id\":\"w2\",\"object\":{\"id\":502,"
	      "\"from_id\":-1,\"text\":\"our own reply\",\"post_id\":12,\"owner_id\":-1}},"
	      "{\"type\":\"wall_reply_edit\",\"event_id\":\"w3\",\"object\":{\"id\":501,"
	      "\"from_id\":77,\"text\":\"исправил\",\"post_id\":12,\"owner_id\":-1}},"
	      "{\"type\":\"wall_reply_delete\",\"event_id\":\"w4\",\"object\":{\"id\":501,"
	      "\"deleter_id\":77,\"post_id\":12,\"owner_id\":-1}},"
	      "{\"type\":\"wall_reply_new\",\"event_id\":\"w5\",\"object\":{\"id\":\"x\","
	      "\"from_id\":77,\"post_id\":12,\"owner_id\":-1}},"
	      "{\"type\":\"wall_reply_new\",\"event_id\":\"w6\",\"object\":{\"id\":503,"
	      "\"from_id\":78,\"owner_id\":-1}}]}",
	      &p);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	assert_int_equal(p.n_msgs, 3);
	assert_int_equal(p.n_ignored, 1); /* the community's own comment */
	assert_int_equal(p.n_bad, 2);     /* no id, no post */
	struct chan_msg *m = &p.msgs[0];
	assert_int_equal(m->wall.event, WALL_NEW);
	assert_string_equal(m->dedup_key, "w:-1:501");
	assert_int_equal(m->peer_id, 77); /* the author: his private chat has his id */
	assert_int_equal(m->user_id, 77);
	assert_int_equal(m->message_id, 0); /* never a messages.send reply_to */
	assert_int_equal(m->wall.owner_id, -1);
	assert_int_equal(m->wall.post_id, 12);
	assert_int_equal(m->wall.comment_id, 501);
	assert_int_equal(m->wall.reply_to_comment, 500);
	assert_string_equal(m->text, "не работает интернет");
	assert_int_equal(p.msgs[1].wall.event, WALL_EDIT);
	assert_string_equal(p.msgs[1].dedup_key, "we:w3");
	assert_string_equal(p.msgs[1].text, "исправил");
	assert_int_equal(p.msgs[2].wall.event, WALL_DELETE);
	assert_string_equal(p.msgs[2].dedup_key, "wd:-1:501");
	assert_int_equal(p.msgs[2].wall.comment_id, 501);
	vk_poll_free(&p);
}

static void message_new_and_ignored_events(void **state)
{
	struct vk_poll p;
	parse("{\"ts\":\"1344\",\"updates\":["
	      "{\"type\":\"message_new\",\"event_id\":\"ab\",\"v\":\"5.199\",\"group_id\":1,"
	      "\"object\":{\"message\":{\"id\":42,\"date\":1718000000,\"peer_id\":2000000007,"
	      "\"from_id\":3000000001,\"out\":0,\"text\":\"Привет\",\"conversation_message_id\":7,"
	      "\"payload\":\"{\\\"p\\\":\\\"intent:balance\\\"}\","
	      "\"attachments\":[{\"type\":\"photo\",\"photo\":{}},{\"type\":\"doc\"}]},"
	      "\"client_info\":{\"lang_id\":3}}},"
	      "{\"type\":\"message_reply\",\"event_id\":\"ac\",\"object\":{\"id\":43,\"out\":1}},"
	      "{\"type\":\"message_typing_state\",\"event_id\":\"ad\",\"object\":{}},"
	      "{\"type\":\"message_new\",\"event_id\":\"ae\",\"object\":{\"message\":"
	      "{\"id\":44,\"peer_id\":5,\"from_id\":-1,\"text\":\"from a community\"}}},"
	      "{\"type\":\"message_deny\",\"event_id\":\"af\",\"object\":{\"user_id\":9}},"
	      "{\"type\":\"brand_new_event\",\"event_id\":\"ag\",\"object\":{\"x\":1}},"
	      "{\"nonsense\":true}, 5]}",
	      &p);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	assert_string_equal(p.ts, "1344");
	assert_int_equal(p.n_msgs, 1);
	struct chan_msg *m = &p.msgs[0];
	assert_string_equal(m->channel, "vk");
	assert_string_equal(m->dedup_key, "m:42");
	assert_true(m->peer_id == 2000000007LL);
	assert_true(m->user_id == 3000000001LL); /* ids past 2^31 survive */
	assert_int_equal(m->message_id, 42);
	assert_string_equal(m->text, "Привет");
	assert_string_equal(m->payload, "intent:balance");
	assert_string_equal(m->attachments, "photo,doc");
	assert_string_equal(m->lang, "en");
	assert_int_equal(p.n_ignored, 5); /* reply, typing, community, deny, unknown */
	assert_int_equal(p.n_bad, 2);
	assert_int_equal(p.n_perms, 1);
	assert_int_equal(p.perms[0].user_id, 9);
	assert_false(p.perms[0].allowed);
	vk_poll_free(&p);
}

static void message_event_payload_object_or_string(void **state)
{
	struct vk_poll p;
	parse("{\"ts\":5,\"updates\":[{\"type\":\"message_event\",\"event_id\":\"x\",\"object\":"
	      "{\"user_id\":1,\"peer_id\":1,\"event_id\":\"cb1\",\"payload\":{\"p\":\"yes\"}}},"
	      "{\"type\":\"message_event\",\"object\":{\"user_id\":2,\"peer_id\":2,"
	      "\"event_id\":\"cb2\",\"payload\":\"{\\\"cmd\\\":1}\"}}]}",
	      &p);
	assert_string_equal(p.ts, "5"); /* ts as a number is accepted */
	assert_int_equal(p.n_msgs, 2);
	assert_string_equal(p.msgs[0].callback_id, "cb1");
	assert_string_equal(p.msgs[0].payload, "yes");
	assert_string_equal(p.msgs[0].dedup_key, "e:cb1");
	assert_string_equal(p.msgs[1].payload, "{\"cmd\":1}");
	vk_poll_free(&p);
}

static void failed_codes_and_garbage(void **state)
{
	struct vk_poll p;
	parse("{\"failed\":1,\"ts\":\"1350\"}", &p);
	assert_int_equal(p.kind, VK_POLL_FAILED);
	assert_int_equal(p.failed, 1);
	assert_string_equal(p.ts, "1350");
	vk_poll_free(&p);
	parse("{\"failed\":2}", &p);
	assert_int_equal(p.failed, 2);
	assert_null(p.ts);
	vk_poll_free(&p);
	parse("{\"failed\":3}", &p);
	assert_int_equal(p.failed, 3);
	vk_poll_free(&p);
	const char *bad[] = {"", "<html>502</html>", "[]", "{\"updates\":[]}", "{\"ts\":\"1\"}",
			     "{\"ts\":\"1\",\"updates\":{}}", "\xff\xfe", "null"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		parse(bad[i], &p);
		assert_int_equal(p.kind, VK_POLL_MALFORMED);
		vk_poll_free(&p);
	}
}

static void classify_send_answers(void **state)
{
	struct send_result r;
	vk_classify_send(200, 0, "{\"response\":12345}", &r);
	assert_int_equal(r.outcome, SEND_OK);
	assert_int_equal(r.channel_msg_id, 12345);
	vk_classify_send(200, 0, "{\"error\":{\"error_code\":6,\"error_msg\":\"Too many\"}}", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	assert_true(r.pause_channel_ms >= 1000);
	assert_int_equal(r.code, 6);
	vk_classify_send(200, 0, "{\"error\":{\"error_code\":9}}", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	assert_true(r.retry_after_ms >= 60000);
	vk_classify_send(200, 0, "{\"error\":{\"error_code\":10}}", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	assert_int_equal(r.retry_after_ms, 0);
	vk_classify_send(200, 0, "{\"error\":{\"error_code\":901}}", &r);
	assert_int_equal(r.outcome, SEND_BLOCKED);
	vk_classify_send(200, 0, "{\"error\":{\"error_code\":100}}", &r);
	assert_int_equal(r.outcome, SEND_FAILED);
	vk_classify_send(502, 0, "<html>bad gateway</html>", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	vk_classify_send(0, 7, "", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
	vk_classify_send(200, 0, "{not json", &r);
	assert_int_equal(r.outcome, SEND_RETRY);
}

static void keyboard_conversion(void **state)
{
	char *kb = vk_keyboard("{\"inline\":true,\"rows\":[[{\"label\":\"Баланс\",\"payload\":"
			       "\"intent:balance\",\"kind\":\"callback\"}],[{\"label\":\"A very "
			       "long label that goes on and on past forty\",\"kind\":\"text\"}]]}");
	assert_non_null(kb);
	assert_non_null(strstr(kb, "\"inline\":true"));
	assert_non_null(strstr(kb, "\"type\":\"callback\""));
	assert_non_null(strstr(kb, "\"label\":\"Баланс\""));
	assert_non_null(strstr(kb, "\"payload\":\"{\\\"p\\\":\\\"intent:balance\\\"}\""));
	assert_null(strstr(kb, "past forty")); /* labels cut to 40 bytes */
	free(kb);
	assert_null(vk_keyboard(NULL));
	assert_null(vk_keyboard("garbage"));
}

static void random_id_is_deterministic_and_in_range(void **state)
{
	assert_true(vk_random_id(77, 1) == vk_random_id(77, 1));
	assert_true(vk_random_id(77, 1) != vk_random_id(77, 2));
	assert_true(vk_random_id(77, 1) != vk_random_id(78, 1));
	for (int64_t id = 1; id < 100000; id += 997) {
		int64_t r = vk_random_id(2147483000, id);
		assert_true(r >= 1 && r <= 2147483647);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message_new_and_ignored_events),
		cmocka_unit_test(message_event_payload_object_or_string),
		cmocka_unit_test(wall_reply_events),
		cmocka_unit_test(failed_codes_and_garbage),
		cmocka_unit_test(classify_send_answers),
		cmocka_unit_test(keyboard_conversion),
		cmocka_unit_test(random_id_is_deterministic_and_in_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
