/* Per-event decoding of long-poll answers (bot/json_batch.c through vk_parse_poll and
 * tg_parse_updates): one element that cannot be read costs only itself, hostile text
 * (lone surrogates, \u0000, invalid UTF-8) is answered, and what cannot be split
 * safely (a truncated answer) is refused as a whole so it is fetched again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channels/tg_parse.h"
#include "channels/vk_parse.h"
#include "json_batch.h"

#define VK_GOOD(id, text)                                                                   \
	"{\"type\":\"message_new\",\"event_id\":\"e" #id "\",\"v\":\"5.199\",\"object\":"        \
	"{\"message\":{\"id\":" #id ",\"peer_id\":" #id ",\"from_id\":" #id ",\"text\":\"" text \
	"\"}}}"
#define TG_GOOD(id, text)                                                                   \
	"{\"update_id\":" #id ",\"message\":{\"message_id\":" #id ",\"from\":{\"id\":" #id "},"  \
	"\"chat\":{\"id\":" #id ",\"type\":\"private\"},\"text\":\"" text "\"}}"

static void vk(const char *updates, struct vk_poll *p)
{
	char *body = NULL;
	size_t n = (size_t)asprintf(&body, "{\"ts\":\"77\",\"updates\":[%s]}", updates);
	vk_parse_poll(body, n, p);
	free(body);
}

static int has_vk(const struct vk_poll *p, int64_t id)
{
	for (size_t i = 0; i < p->n_msgs; i++)
		if (p->msgs[i].message_id == id)
			return 1;
	return 0;
}

static const char *vk_text(const struct vk_poll *p, int64_t id)
{
	for (size_t i = 0; i < p->n_msgs; i++)
		if (p->msgs[i].message_id == id)
			return p->msgs[i].text;
	return NULL;
}

static void split_finds_every_element(void **state)
{
	(void)state;
	struct json_batch b;
	const char *t = "{ \"ts\" : \"5\" , \"updates\" : [ {\"a\":\"],}\\\"\"} ,[1,[2]], 3 ,\"x\" ] }";
	assert_int_equal(json_batch_parse(t, strlen(t), "updates", NULL, &b), 0);
	assert_true(b.has_array);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.n_bad, 0);
	assert_string_equal(cJSON_GetObjectItem(b.envelope, "ts")->valuestring, "5");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b.envelope, "updates")), 0);
	assert_string_equal(cJSON_GetObjectItem(b.elements[0].item, "a")->valuestring, "],}\"");
	json_batch_free(&b);
	/* no array at all: the envelope is the whole answer */
	t = "{\"failed\":2}";
	assert_int_equal(json_batch_parse(t, strlen(t), "updates", NULL, &b), 0);
	assert_false(b.has_array);
	assert_int_equal(b.n, 0);
	json_batch_free(&b);
}

static void refused_as_a_whole(void **state)
{
	(void)state;
	const char *bad[] = {
		"", "[]", "nope", "{\"ts\":\"1\",\"updates\":[{\"type\"",           /* truncated */
		"{\"ts\":\"1\",\"updates\":[" VK_GOOD(1, "a") ",",                  /* truncated */
		"{\"ts\":\"1\",\"updates\":[]} trailing", "{\"ts\" \"1\"}", "{\"ts\":}",
		"{\"ts\":\"1\",\"updates\":[]", "{\"ts\":\"1\",,\"updates\":[]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct json_batch b;
		assert_int_equal(json_batch_parse(bad[i], strlen(bad[i]), "updates", NULL, &b), -1);
		struct vk_poll p;
		vk_parse_poll(bad[i], strlen(bad[i]), &p);
		assert_int_equal(p.kind, VK_POLL_MALFORMED);
		vk_poll_free(&p);
	}
}

/* cJSON reads any byte up to the space as whitespace, so the scanner does too: an
 * element with control bytes before it ("\x03\x03{...}", fuzz_max found it) is that
 * element, and the events after it are kept. */
static void control_bytes_are_whitespace_as_for_cjson(void **state)
{
	(void)state;
	const char *t = "{\"ts\":\"5\",\"updates\":[{\"a\":1},\x03\x03\x03{\"updates\":[],"
			"\"marker\":null}\x01,\x1f{\"b\":2}],\"marker\":7}";
	struct json_batch b;
	assert_int_equal(json_batch_parse(t, strlen(t), "updates", NULL, &b), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.n_bad, 0);
	assert_non_null(cJSON_GetObjectItem(b.elements[1].item, "marker"));
	assert_int_equal(cJSON_GetObjectItem(b.elements[2].item, "b")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(b.envelope, "marker")->valueint, 7);
	json_batch_free(&b);
}

/* Each undecodable element, between and around good events, costs only itself. */
static void one_bad_event_costs_only_itself(void **state)
{
	(void)state;
	const char *bad[] = {
		"{\"type\":\"message_new\" \"object\":{}}",              /* missing colon */
		"{\"type\":\"message_new\",\"object\":{\"message\":{\"id\":1,,}}}", /* double comma */
		"undefined", "NaN", "tru", "0x1F", "{'type':'message_new'}", "-",
		"{\"type\":\"message_new\",\"object\":{\"message\":{\"id\":1}}",   /* brace missing */
		"{\"type\":\"message_new\",\"object\":{}}}",                     /* brace extra */
		"{\"type\":\"message_new\",\"object\":{\"message\":{\"text\":\"abc}}}", /* quote missing */
		"{\"type\":\"message_new\",\"object\":[}",                       /* mismatch */
		("{\"type\":\"message_new\",\"object\":{\"message\":{\"text\":\"x\",\"attachments\":"
		 "[{\"type\":\"photo\",\"photo\":{}},{\"type\":\"doc\",\"doc\":{}}]}}"),  /* brace missing */
		"", " ", ",",                                                     /* nothing at all */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *updates = NULL;
		assert_true(asprintf(&updates, "%s,%s,%s,%s", VK_GOOD(11, "один"), bad[i],
				     VK_GOOD(12, "два"), VK_GOOD(13, "три")) > 0);
		struct vk_poll p;
		vk(updates, &p);
		free(updates);
		if (p.kind != VK_POLL_UPDATES || p.n_msgs != 3 || p.n_bad != 1)
			fail_msg("bad element %zu (%s): kind %d, %zu messages, %zu bad", i, bad[i],
				 p.kind, p.n_msgs, p.n_bad);
		assert_true(has_vk(&p, 11) && has_vk(&p, 12) && has_vk(&p, 13));
		assert_string_equal(p.ts, "77");
		vk_poll_free(&p);
		/* and as the first and as the last element */
		assert_true(asprintf(&updates, "%s,%s", bad[i], VK_GOOD(14, "x")) > 0);
		vk(updates, &p);
		free(updates);
		assert_int_equal(p.kind, VK_POLL_UPDATES);
		assert_true(has_vk(&p, 14));
		vk_poll_free(&p);
		assert_true(asprintf(&updates, "%s,%s", VK_GOOD(15, "x"), bad[i]) > 0);
		vk(updates, &p);
		free(updates);
		assert_int_equal(p.kind, VK_POLL_UPDATES);
		assert_true(has_vk(&p, 15));
		assert_int_equal(p.n_bad, 1);
		vk_poll_free(&p);
	}
}

/* An unterminated string must not stop the repair of the events after it. */
static void broken_event_does_not_unrepair_its_neighbours(void **state)
{
	(void)state;
	struct vk_poll p;
	vk(VK_GOOD(41, "\\ud83d") ",{\"type\":\"message_new\",\"object\":{\"message\":{\"text\":\"cut}}},"
	   VK_GOOD(42, "\\ud83d") "," VK_GOOD(43, "\\udc80 \\u0000") "," VK_GOOD(44, "ok"),
	   &p);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	assert_int_equal(p.n_bad, 1);
	assert_int_equal(p.n_msgs, 4);
	assert_string_equal(vk_text(&p, 42), "\xEF\xBF\xBD");
	assert_string_equal(vk_text(&p, 43), "\xEF\xBF\xBD \xEF\xBF\xBD");
	vk_poll_free(&p);
	struct tg_updates u;
	const char *body = "{\"ok\":true,\"result\":[{\"update_id\":50,\"message\":{\"text\":\"cut}},"
			   TG_GOOD(51, "\\ud83d") "," TG_GOOD(52, "\\ude00") "]}";
	tg_parse_updates(body, strlen(body), &u);
	assert_true(u.ok);
	assert_int_equal(u.n_msgs, 2);
	assert_int_equal(u.n_bad, 1);
	assert_int_equal(u.next_offset, 53);
	tg_updates_free(&u);
}

/* The answer the hostile fake produced (tests/fuzz/corpus/vk/hostile_flipped_quotes.json):
 * an unterminated string after which the brackets balance again with the quotes
 * flipped, so the scanner alone takes the next three events for part of the bad one. */
static void flipped_quotes_swallow_nothing(void **state)
{
	(void)state;
	const char *dir = getenv("DESKBOT_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/vk/hostile_flipped_quotes.json",
		 dir && *dir ? dir : ".");
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct buf body = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&body, chunk, n);
	fclose(f);
	struct vk_poll p;
	vk_parse_poll(body.data, body.len, &p);
	buf_free(&body);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	assert_int_equal(p.n_bad, 1);
	assert_int_equal(p.n_msgs, 3);
	vk_poll_free(&p);
}

static void too_deep_is_one_bad_element(void **state)
{
	(void)state;
	struct buf u = {0};
	buf_puts(&u, VK_GOOD(21, "a") ",");
	for (int i = 0; i < 2000; i++)
		buf_puts(&u, "[");
	for (int i = 0; i < 2000; i++)
		buf_puts(&u, "]");
	buf_puts(&u, "," VK_GOOD(22, "b"));
	struct vk_poll p;
	vk(u.data, &p);
	buf_free(&u);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	assert_int_equal(p.n_msgs, 2);
	assert_int_equal(p.n_bad, 1);
	vk_poll_free(&p);
}

/* Hostile but legal text: answered, with U+FFFD where the bad code points were. */
static void hostile_text_is_answered(void **state)
{
	(void)state;
	struct vk_poll p;
	vk(VK_GOOD(31, "\\ud83d") "," VK_GOOD(32, "\\udc80\\udcff") "," VK_GOOD(33, "a\\u0000b") ","
	   VK_GOOD(34, "\xFF\xFE") "," VK_GOOD(35, "\\ud83d\\ude00 ok") ","
	   "{\"type\":\"message_event\",\"event_id\":\"cb\",\"object\":{\"user_id\":36,"
	   "\"peer_id\":36,\"event_id\":\"x1\",\"payload\":\"{\\\"p\\\":\\\"\\\\ud83d\\\"}\"}}",
	   &p);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	assert_int_equal(p.n_msgs, 6);
	assert_int_equal(p.n_bad, 0);
	assert_string_equal(vk_text(&p, 31), "\xEF\xBF\xBD");
	assert_string_equal(vk_text(&p, 32), "\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(vk_text(&p, 33), "a\xEF\xBF\xBD" "b");
	assert_string_equal(vk_text(&p, 34), "\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(vk_text(&p, 35), "\xF0\x9F\x98\x80 ok");
	assert_string_equal(p.msgs[5].payload, "\xEF\xBF\xBD");
	vk_poll_free(&p);
}

static void ids_past_2_53_are_not_guessed(void **state)
{
	(void)state;
	struct vk_poll p;
	vk("{\"type\":\"message_new\",\"event_id\":\"h\",\"object\":{\"message\":{\"id\":5,"
	   "\"peer_id\":9223372036854775807,\"from_id\":9223372036854775807,\"text\":\"x\"}}},"
	   "{\"type\":\"message_new\",\"event_id\":\"s\",\"object\":{\"message\":{\"id\":\"6\","
	   "\"peer_id\":\"9007199254740993\",\"from_id\":\"9007199254740993\",\"text\":\"y\"}}}",
	   &p);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	/* the number cannot be read exactly: ignored, never answered to a rounded id; the
	 * same id as a string is exact */
	assert_int_equal(p.n_msgs, 1);
	assert_true(p.msgs[0].peer_id == 9007199254740993LL);
	vk_poll_free(&p);
}

static void tg_bad_update_is_skipped_by_id(void **state)
{
	(void)state;
	struct tg_updates u;
	const char *body = "{\"ok\":true,\"result\":[" TG_GOOD(10, "\\ud83d")
			   ",{\"update_id\":11,\"message\":{\"text\": nope}},"
			   TG_GOOD(12, "a\\u0000b") ",{\"update_id\":13,\"message\":{\"text\":\"]}";
	tg_parse_updates(body, strlen(body), &u);
	assert_true(u.ok);
	assert_int_equal(u.n_msgs, 2);
	assert_int_equal(u.n_bad, 2);
	assert_int_equal(u.next_offset, 14); /* past the unreadable last update too */
	assert_string_equal(u.msgs[0].text, "\xEF\xBF\xBD");
	assert_string_equal(u.msgs[1].text, "a\xEF\xBF\xBD" "b");
	tg_updates_free(&u);
	/* a truncated answer is not stepped past */
	body = "{\"ok\":true,\"result\":[" TG_GOOD(20, "a") ",{\"update_id\":21,";
	tg_parse_updates(body, strlen(body), &u);
	assert_false(u.ok);
	assert_int_equal(u.error_code, 0);
	tg_updates_free(&u);
	/* error envelopes still read */
	body = "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":3}}";
	tg_parse_updates(body, strlen(body), &u);
	assert_false(u.ok);
	assert_int_equal(u.error_code, 429);
	assert_int_equal(u.retry_after, 3);
	tg_updates_free(&u);
}

static void excerpt_is_short_and_printable(void **state)
{
	(void)state;
	char out[32];
	assert_string_equal(json_excerpt("ab\ncd", 5, 80, out, sizeof out), "ab?cd");
	assert_string_equal(json_excerpt("яяяя", 8, 3, out, sizeof out), "я...");
	assert_string_equal(json_excerpt("0123456789012345678901234567890123456789", 40, 80, out,
					 sizeof out),
			    "0123456789012345678901234567...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_finds_every_element),
		cmocka_unit_test(refused_as_a_whole),
		cmocka_unit_test(control_bytes_are_whitespace_as_for_cjson),
		cmocka_unit_test(one_bad_event_costs_only_itself),
		cmocka_unit_test(broken_event_does_not_unrepair_its_neighbours),
		cmocka_unit_test(flipped_quotes_swallow_nothing),
		cmocka_unit_test(too_deep_is_one_bad_element),
		cmocka_unit_test(hostile_text_is_answered),
		cmocka_unit_test(ids_past_2_53_are_not_guessed),
		cmocka_unit_test(tg_bad_update_is_skipped_by_id),
		cmocka_unit_test(excerpt_is_short_and_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
