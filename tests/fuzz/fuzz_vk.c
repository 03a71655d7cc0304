/* libFuzzer target: the VK long-poll decoder on whole answers, plus the server answer,
 * send classification, the keyboard converter and the JSON repair pass on any bytes.
 *
 * Beyond "no crash", it checks the promise of per-event decoding: a valid event in an
 * answer is never lost because another element is bad. The input is placed in an
 * answer next to a known-good event, before it and after it:
 *   - good event first: whatever follows, if the answer is read as updates the good
 *     event is among them;
 *   - good event last: when the input cannot close the array or the answer (no "]" or
 *     "}" in it) or is one JSON value by itself, the answer must be read as updates
 *     and the good event must be among them.
 * And the repair pass: its output needs no further repair (valid UTF-8, no lone
 * surrogate or \u0000 escapes left), and it never breaks what cJSON could read. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channels/vk_parse.h"
#include "json_repair.h"
#include "fuzz_answer.h"
#include "log.h"

#define GOOD                                                                                \
	"{\"type\":\"message_new\",\"event_id\":\"good\",\"object\":{\"message\":{\"id\":777001," \
	"\"peer_id\":777001,\"from_id\":777001,\"text\":\"good\"}}}"

static int has_good(const struct vk_poll *p)
{
	for (size_t i = 0; i < p->n_msgs; i++)
		if (p->msgs[i].message_id == 777001 && strcmp(p->msgs[i].text, "good") == 0)
			return 1;
	return 0;
}

static void check_repair(const char *s, size_t size)
{
	size_t n = 0;
	char *fixed = json_repair(s, size, &n, NULL);
	if (fixed && json_repair(fixed, n, NULL, NULL)) {
		free(fixed);
		abort(); /* the repair left something to repair */
	}
	cJSON *before = cJSON_ParseWithLength(s, size);
	cJSON *after = fixed ? cJSON_ParseWithLength(fixed, n) : NULL;
	if (before && fixed && !after)
		abort(); /* the repair broke text cJSON could read */
	cJSON_Delete(before);
	cJSON_Delete(after);
	free(fixed);
}

static void check_neighbours(const char *s, size_t size)
{
	struct buf a = {0}, b = {0};
	fuzz_wrap(&a, "{\"ts\":\"9\",\"updates\":[" GOOD ",", s, size, "]}");
	struct vk_poll p;
	vk_parse_poll(a.data, a.len, &p);
	if (p.kind == VK_POLL_UPDATES && !has_good(&p))
		abort(); /* the good event before the input was lost */
	vk_poll_free(&p);
	buf_free(&a);

	fuzz_wrap(&b, "{\"ts\":\"9\",\"updates\":[", s, size, "," GOOD "]}");
	vk_parse_poll(b.data, b.len, &p);
	if ((fuzz_cannot_close(s, size) || fuzz_is_one_value(s, size)) && (p.kind != VK_POLL_UPDATES || !has_good(&p)))
		abort(); /* the good event after the input was lost */
	vk_poll_free(&p);
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
	struct vk_poll p;
	vk_parse_poll(s, size, &p);
	vk_poll_free(&p);
	check_neighbours(s, size);
	check_repair(s, size);
	char *server, *key, *ts;
	int error;
	if (vk_parse_lp_server(s, &server, &key, &ts, &error) == 0) {
		free(server);
		free(key);
		free(ts);
	}
	struct send_result r;
	vk_classify_send(200, 0, s, &r);
	free(vk_keyboard(s));
	free(vk_scan_ts(s));
	free(s);
	return 0;
}
