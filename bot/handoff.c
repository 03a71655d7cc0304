/* Conversation ownership (see handoff.h). */
#include "handoff.h"

#include <string.h>

#include "convstate.h"
#include "store.h"

int handoff_set(struct store_tx *tx, const char *channel, int64_t peer, int human,
		int64_t case_id, int64_t now)
{
	struct store *st = store_tx_store(tx);
	struct convstate *state = NULL;
	if (convstate_load(st, channel, peer, &state) < 0)
		return -1;
	if (human)
		convstate_hand_to_person(state, case_id, now);
	else
		convstate_hand_to_bot(state);
	int result = convstate_save(tx, channel, peer, state, now);
	convstate_free(state);
	return result;
}

int handoff_is_human(const struct convstate *state)
{
	return convstate_person_holds(state);
}
