/* The inbound pipeline: channel -> store -> dialog -> outbox. One call per batch of
 * updates, one store transaction for all of it: inbound messages (a replayed one is
 * skipped), the replies they produce (outbox rows), conversation state and the channel's
 * new cursor. Only after it commits may the channel acknowledge the cursor. */
#ifndef DESKBOT_PIPELINE_H
#define DESKBOT_PIPELINE_H
#include <stddef.h>

#include "message.h"

struct app;
struct channel;

/* Stores and answers msgs (borrowed) and sets the channel cursor (NULL: none) in one
 * transaction. Returns 0 once committed; negative when the store failed, in which case
 * nothing was kept and the channel must retry the same batch without advancing. */
int pipeline_ingest(struct app *app, struct channel *ch, const struct chan_msg *msgs, size_t n,
		    const char *cursor);

/* Splits text into pieces of at most max_chars characters (counted as UTF-16 units, as
 * Telegram counts), preferring paragraph, line, sentence and word boundaries.
 * Returns the number of pieces written to parts (caller frees each). */
size_t pipeline_split_text(const char *text, size_t max_chars, char ***parts);

#endif
