/* The outbox row of a public reply under a wall comment (kind "wall_reply", sent with
 * wall.createComment): one shape for the bot's replies (bot/wall.c) and the
 * secretaries' (cases_public_reply). */
#ifndef DESKBOT_WALL_ROW_H
#define DESKBOT_WALL_ROW_H
#include <stdint.h>

#include "message.h"
#include "outbox_row.h"

/* Fills r (zeroed by the caller) with copies of the strings: the reply text under
 * comment w, to peer (the comment's author; his queue keeps the order). */
void wall_row_fill(struct outbox_row *r, const char *channel, int64_t peer,
		   const struct chan_wall *w, const char *text, const char *source,
		   const char *replyset_version, int64_t now_ms);

#endif
