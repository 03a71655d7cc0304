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
#include "fuzz_answer.h"
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

static void check_neighbours(const char *s, size_t size)
{
	struct buf a = {0}, b = {0};
	fuzz_wrap(&a, "{\"ok\":true,\"result\":[" GOOD ",", s, size, "]}");
	struct tg_updates u;
	tg_parse_updates(a.data, a.len, &u);
	if (u.ok && !has_good(&u))
		abort(); /* the good update before the input was lost */
	tg_updates_free(&u);
	buf_free(&a);

	fuzz_wrap(&b, "{\"ok\":true,\"result\":[", s, size, "," GOOD "]}");
	tg_parse_updates(b.data, b.len, &u);
	if ((fuzz_cannot_close(s, size) || fuzz_is_one_value(s, size)) && (!u.ok || !has_good(&u)))
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
