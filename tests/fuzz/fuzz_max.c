/* libFuzzer target: the MAX /updates decoder on whole answers, plus send and answer
 * classification, the marker scan and the request bodies built from any bytes.
 *
 * As fuzz_tg.c: the input is placed in an answer next to a known-good update, before
 * and after it, and the good update must never be lost because of the input (when the
 * input cannot close the array, or is one JSON value by itself); the answer's marker
 * must be read whenever the answer is. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channels/max_parse.h"
#include "json_repair.h"
#include "fuzz_answer.h"
#include "log.h"

#define GOOD                                                                            \
	"{\"update_type\":\"message_created\",\"timestamp\":1775025604499,\"message\":"     \
	"{\"sender\":{\"user_id\":777001},\"recipient\":{\"chat_type\":\"dialog\"},"        \
	"\"body\":{\"mid\":\"mid.good\",\"seq\":5,\"text\":\"good\"}}}"

static int has_good(const struct max_updates *u)
{
	for (size_t i = 0; i < u->n_msgs; i++)
		if (strcmp(u->msgs[i].dedup_key, "m:mid.good") == 0 &&
		    strcmp(u->msgs[i].text, "good") == 0)
			return u->marker == 777002;
	return 0;
}

static void check_neighbours(const char *s, size_t size)
{
	struct buf a = {0}, b = {0};
	fuzz_wrap(&a, "{\"updates\":[" GOOD ",", s, size, "],\"marker\":777002}");
	struct max_updates u;
	max_parse_updates(a.data, a.len, &u);
	if (u.ok && !has_good(&u))
		abort(); /* the good update before the input was lost */
	max_updates_free(&u);
	buf_free(&a);

	fuzz_wrap(&b, "{\"updates\":[", s, size, "," GOOD "],\"marker\":777002}");
	max_parse_updates(b.data, b.len, &u);
	if ((fuzz_cannot_close(s, size) || fuzz_is_one_value(s, size)) && (!u.ok || !has_good(&u)))
		abort(); /* the good update after the input was lost */
	max_updates_free(&u);
	buf_free(&b);
}

/* The decoders log every bad update: quiet them, or the fuzzer spends its time writing. */
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
	struct max_updates u;
	max_parse_updates(s, size, &u);
	max_updates_free(&u);
	check_neighbours(s, size);
	struct send_result r;
	max_classify_send(size % 2 ? 200 : 429, 0, s, (int)(size % 3 == 0), &r);
	struct outbox_row row = {.peer_id = size % 2 ? 1 : -1, .text = s, .keyboard = s,
				 .extra = s};
	free(max_send_body(&row));
	char *id = NULL;
	free(max_answer_body(&row, &id));
	free(id);
	max_scan_marker(s, size);
	free(s);
	return 0;
}
