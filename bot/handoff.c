/* Conversation ownership and operator sends (see handoff.h). */
#include "handoff.h"

#include "clock.h"

#include <string.h>

#include "app.h"
#include "convstate.h"
#include "json_util.h"
#include "log.h"
#include "outbox.h"
#include "replyset.h"
#include "store.h"
#include "xalloc.h"

int handoff_set(struct store *st, const char *channel, int64_t peer, int human, int64_t case_id,
		int64_t now)
{
	struct convstate *state = NULL;
	if (convstate_load(st, channel, peer, &state) < 0)
		return -1;
	if (human)
		convstate_hand_to_person(state, case_id, now);
	else
		convstate_hand_to_bot(state);
	int result = convstate_save(st, channel, peer, state, now);
	convstate_free(state);
	return result;
}

int handoff_is_human(const struct convstate *state)
{
	return convstate_person_holds(state);
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
