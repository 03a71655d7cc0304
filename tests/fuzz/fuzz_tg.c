/* libFuzzer target: the Telegram getUpdates parser, send classification and the
 * request bodies built from any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/tg_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct tg_updates u;
	tg_parse_updates(s, size, &u);
	tg_updates_free(&u);
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
