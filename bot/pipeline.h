/* The inbound pipeline: channel -> store -> dialog -> outbox. One call per batch of
 * updates, one store transaction for all of it: inbound messages (a replayed one is
 * skipped), the replies they produce (outbox rows), conversation state and the channel's
 * new cursor. Only after it commits may the channel acknowledge the cursor. */
#ifndef DESKBOT_PIPELINE_H
#define DESKBOT_PIPELINE_H
#include <stddef.h>

#include <cjson/cJSON.h>

#include "message.h"
#include "store.h"

struct app;
struct channel;

/* What a batch produces besides its store writes: outbox rows to queue and notices to
 * emit once the transaction has committed. */
struct pipeline_batch {
	struct outbox_row *rows;
	size_t n, cap;
	cJSON *events; /* [{"type": T, "data": {...}}] */
};

/* A new zeroed row in the batch (owned by it until queued). */
struct outbox_row *pipeline_batch_row(struct pipeline_batch *b);
/* A notice to emit after commit (data is taken over). */
void pipeline_batch_event(struct pipeline_batch *b, const char *type, cJSON *data);

/* Stores and answers msgs (borrowed) and sets the channel cursor (NULL: none) in one
 * transaction. Returns 0 once committed; negative when the store failed, in which case
 * nothing was kept and the channel must retry the same batch without advancing. */
int pipeline_ingest(struct app *app, struct channel *ch, const struct chan_msg *msgs, size_t n,
		    const char *cursor);

/* Stores one row that no batch produced (an operator's reply, a webhook notice) in a
 * transaction of its own and queues it for delivery. Takes the row's strings (zeroed
 * either way). Returns 0, or -1 when the store failed (nothing is queued). */
int pipeline_queue_row(struct app *app, struct outbox_row *row);

/* Splits text into pieces of at most max_chars characters (counted as UTF-16 units, as
 * Telegram counts), preferring paragraph, line, sentence and word boundaries.
 * Returns the number of pieces written to parts (caller frees each). */
size_t pipeline_split_text(const char *text, size_t max_chars, char ***parts);

#endif
