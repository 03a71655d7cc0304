/* VK execute batching: the VKScript code (one messages.send per row, deterministic
 * random_id, JSON-escaped texts) and the per-call results (false slots with their
 * execute_errors entries classified as single sends are, top-level errors, 12/13). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/vk_execute.h"
#include "channels/vk_parse.h"

static void code_is_calls_in_order(void **state)
{
	(void)state;
	struct outbox_row a = {.id = 7, .peer_id = 11, .text = "Привет \"мир\"\n", .reply_to = 5};
	struct outbox_row b = {.id = 8, .peer_id = 2000000001, .text = "b"};
	const struct outbox_row *rows[] = {&a, &b};
	char *code = vk_execute_code(99, rows, 2);
	char want[512];
	snprintf(want, sizeof want,
		 "return [API.messages.send({\"peer_id\":11,\"random_id\":%lld,\"reply_to\":5,"
		 "\"message\":\"Привет \\\"мир\\\"\\n\"}),API.messages.send({\"peer_id\":2000000001,"
		 "\"random_id\":%lld,\"message\":\"b\"})];",
		 (long long)vk_random_id(99, 7), (long long)vk_random_id(99, 8));
	assert_string_equal(code, want);
	free(code);
}

static void multipart_body(void **state)
{
	(void)state;
	char ctype[128];
	size_t len;
	const char *code = "return [API.messages.send({\"message\":\"Привет & = %\"})];";
	char *body = vk_execute_body("tok", "5.199", code, ctype, sizeof ctype, &len);
	assert_int_equal(strncmp(ctype, "multipart/form-data; boundary=", 30), 0);
	const char *boundary = ctype + 30;
	assert_null(strstr(code, boundary));
	assert_int_equal(strlen(body), len);
	/* The code goes as it is, not percent-encoded. */
	assert_non_null(strstr(body, "name=\"code\"\r\n\r\n"));
	assert_non_null(strstr(body, code));
	assert_non_null(strstr(body, "name=\"access_token\"\r\n\r\ntok\r\n"));
	char end[128]; /* the boundary, "--" and "--\r\n" */
	snprintf(end, sizeof end, "--%s--\r\n", boundary);
	assert_string_equal(body + len - strlen(end), end);
	free(body);
}

static void per_call_results(void **state)
{
	(void)state;
	struct send_result r[5];
	int refused = 1;
	vk_execute_parse(200, 0,
			 "{\"response\":[101,false,102,false,false],\"execute_errors\":["
			 "{\"method\":\"messages.send\",\"error_code\":10,\"error_msg\":\"Internal\"},"
			 "{\"method\":\"messages.send\",\"error_code\":9,\"error_msg\":\"Flood\"},"
			 "{\"method\":\"messages.send\",\"error_code\":901,\"error_msg\":\"no\"}]}",
			 5, r, &refused);
	assert_int_equal(refused, 0);
	assert_int_equal(r[0].outcome, SEND_OK);
	assert_int_equal(r[0].channel_msg_id, 101);
	assert_int_equal(r[1].outcome, SEND_RETRY);
	assert_int_equal(r[1].code, 10);
	assert_int_equal(r[2].outcome, SEND_OK);
	assert_int_equal(r[3].outcome, SEND_RETRY);
	assert_int_equal(r[3].code, 9);
	/* Exactly as a single send's 9: a long hold. */
	struct send_result single;
	vk_classify_send(200, 0, "{\"error\":{\"error_code\":9,\"error_msg\":\"Flood\"}}", &single);
	assert_int_equal(r[3].retry_after_ms, single.retry_after_ms);
	assert_int_equal(r[4].outcome, SEND_BLOCKED);
	assert_int_equal(r[4].code, 901);
}

static void top_level_errors(void **state)
{
	(void)state;
	struct send_result r[3];
	int refused;
	vk_execute_parse(200, 0, "{\"error\":{\"error_code\":6,\"error_msg\":\"Too many\"}}", 3, r,
			 &refused);
	assert_int_equal(refused, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i].outcome, SEND_RETRY);
		assert_true(r[i].pause_channel_ms > 0);
	}
	vk_execute_parse(200, 0, "{\"error\":{\"error_code\":12,\"error_msg\":\"compile\"}}", 3, r,
			 &refused);
	assert_int_equal(refused, 1);
	assert_int_equal(r[2].outcome, SEND_RETRY);
	vk_execute_parse(200, 0, "{\"error\":{\"error_code\":13,\"error_msg\":\"runtime\"}}", 3, r,
			 &refused);
	assert_int_equal(refused, 1);
	vk_execute_parse(0, 28, NULL, 3, r, &refused);
	assert_int_equal(r[1].outcome, SEND_RETRY);
	/* Fewer results than calls: the missing ones are retried (random_id dedups). */
	vk_execute_parse(200, 0, "{\"response\":[5]}", 3, r, &refused);
	assert_int_equal(r[0].outcome, SEND_OK);
	assert_int_equal(r[1].outcome, SEND_RETRY);
	assert_int_equal(r[2].outcome, SEND_RETRY);
	vk_execute_parse(200, 0, "{\"response\":1}", 2, r, &refused);
	assert_int_equal(r[0].outcome, SEND_RETRY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(code_is_calls_in_order),
		cmocka_unit_test(multipart_body),
		cmocka_unit_test(per_call_results),
		cmocka_unit_test(top_level_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
