/* libFuzzer target: the whole dialog (matcher and handlers) on any bytes, with the
 * default reply set. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convstate.h"
#include "dialog.h"
#include "replyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct replyset *rs;
	if (!rs && replyset_load(DESKBOT_SOURCE_DIR "/replies", &rs, NULL) < 0)
		abort();
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct convstate *state = convstate_new();
	struct chan_msg msg = {.channel = "fuzz", .text = text, .payload = size > 3 && data[0] == 'P' ? text : NULL};
	struct dialog_result res;
	/* Twice, so that a half-finished tariff question is continued. */
	dialog_handle(rs, state, &msg, 1700000000, &res);
	dialog_result_free(&res);
	dialog_handle(rs, state, &msg, 1700000000, &res);
	dialog_result_free(&res);
	convstate_free(state);
	free(text);
	return 0;
}
