/* Conversation ownership and operator sends (see handoff.h). */
#include "handoff.h"

#include "clock.h"

#include <string.h>

#include "app.h"
#include "json_util.h"
#include "log.h"
#include "outbox.h"
#include "replyset.h"
#include "store.h"
#include "xalloc.h"

int handoff_set(struct store *st, const char *channel, int64_t peer, int human, int64_t case_id,
		int64_t now)
{
	cJSON *state = NULL;
	if (store_conv_load(st, channel, peer, &state) < 0)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(state, "mode");
	cJSON_DeleteItemFromObjectCaseSensitive(state, "case_id");
	cJSON_DeleteItemFromObjectCaseSensitive(state, "since");
	cJSON_DeleteItemFromObjectCaseSensitive(state, "last_auto_reply");
	if (human) {
		cJSON_AddStringToObject(state, "mode", "human");
		cJSON_AddNumberToObject(state, "case_id", (double)case_id);
		cJSON_AddNumberToObject(state, "since", (double)now);
	}
	int result = store_conv_save(st, channel, peer, state, now);
	cJSON_Delete(state);
	return result;
}

int handoff_is_human(const cJSON *state)
{
	const char *mode = json_str(state, "mode");
	return mode && strcmp(mode, "human") == 0;
}

int handoff_send(struct app *app, const char *channel, int64_t peer, const char *text,
		 const char *source)
{
	struct outbox_row r = {0};
	r.channel = xstrdup(channel);
	r.kind = xstrdup("message");
	r.peer_id = peer;
	r.text = xstrdup(text);
	r.replyset_version = app->replies ? xstrdup(replyset_version(app->replies)) : NULL;
	r.source = xstrdup(source ? source : "operator");
	r.created_ms = clock_now_ms();
	if (outbox_queue_row(app->outbox, &r) < 0) {
		log_error("handoff: could not queue an operator message to %s chat %lld", channel,
			  (long long)peer);
		return -1;
	}
	return 0;
}
