/* libFuzzer target: the VK long-poll answer parser, the server answer, send
 * classification and the keyboard converter on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/vk_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct vk_poll p;
	vk_parse_poll(s, size, &p);
	vk_poll_free(&p);
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
