/* Who answers a conversation: the bot, or a person (a blog secretary holding its case).
 * Kept in the conversation state in the store (bot/convstate.h), so it survives
 * restarts. */
#ifndef DESKBOT_HANDOFF_H
#define DESKBOT_HANDOFF_H
#include <cjson/cJSON.h>
#include <stdint.h>

struct store;
struct store_tx;
struct convstate;

/* Gives the conversation to a person (human = 1, for case_id) or back to the bot. */
int handoff_set(struct store_tx *tx, const char *channel, int64_t peer, int human,
		int64_t case_id, int64_t now);
/* 1 when a person holds the conversation whose state this is. */
int handoff_is_human(const struct convstate *state);

#endif
