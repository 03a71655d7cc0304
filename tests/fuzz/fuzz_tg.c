/* libFuzzer target: the Telegram getUpdates decoder on whole answers, plus send
 * classification and the request bodies built from any bytes.
 *
 * As fuzz_vk.c: the input is placed in an answer next to a known-good update, before
 * and after it, and the good update must never be lost because of the input (when the
 * input cannot close the array, or is one JSON value by itself); the offset must move
 * past the good update whenever the answer is read. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channels/tg_parse.h"
#include "json_repair.h"
#include "log.h"

#define GOOD                                                                           \
	"{\"update_id\":777001,\"message\":{\"message_id\":5,\"from\":{\"id\":777001},"      \
	"\"chat\":{\"id\":777001,\"type\":\"private\"},\"text\":\"good\"}}"

static int has_good(const struct tg_updates *u)
{
	for (size_t i = 0; i < u->n_msgs; i++)
		if (strcmp(u->msgs[i].dedup_key, "u:777001") == 0 &&
		    strcmp(u->msgs[i].text, "good") == 0)
			return u->next_offset >= 777002;
	return 0;
}

static int is_one_value(const char *s, size_t size)
{
	size_t n = size;
	char *fixed = json_repair(s, size, &n, NULL);
	const char *end = NULL;
	const char *t = fixed ? fixed : s;
	cJSON *v = cJSON_ParseWithLengthOpts(t, n, &end, 0);
	int one = v && end && (size_t)(end - t) == n;
	cJSON_Delete(v);
	free(fixed);
	return one;
}

static void check_neighbours(const char *s, size_t size)
{
	struct buf a = {0}, b = {0};
	buf_puts(&a, "{\"ok\":true,\"result\":[" GOOD ",");
	buf_append(&a, s, size);
	buf_puts(&a, "]}");
	struct tg_updates u;
	tg_parse_updates(a.data, a.len, &u);
	if (u.ok && !has_good(&u))
		abort(); /* the good update before the input was lost */
	tg_updates_free(&u);
	buf_free(&a);

	buf_puts(&b, "{\"ok\":true,\"result\":[");
	buf_append(&b, s, size);
	buf_puts(&b, "," GOOD "]}");
	tg_parse_updates(b.data, b.len, &u);
	int cannot_close = !memchr(s, ']', size) && !memchr(s, '}', size);
	if ((cannot_close || is_one_value(s, size)) && (!u.ok || !has_good(&u)))
		abort(); /* the good update after the input was lost */
	tg_updates_free(&u);
	buf_free(&b);
}

/* The decoders log every bad event: quiet them, or the fuzzer spends its time writing. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct tg_updates u;
	tg_parse_updates(s, size, &u);
	tg_updates_free(&u);
	check_neighbours(s, size);
	struct send_result r;
	tg_classify_send(size % 2 ? 200 : 429, 0, s, &r);
	struct outbox_row row = {.peer_id = 1, .reply_to = (int64_t)size, .text = s,
				 .keyboard = s, .extra = s};
	free(tg_send_body(&row));
	free(tg_callback_body(&row));
	tg_scan_update_id(s);
	free(s);
	return 0;
}
