/* The inbound pipeline: channel -> store -> dialog -> outbox. It is every channel's sink
 * (channel.h): one call per batch of updates, one store transaction for all of it:
 * inbound messages (a replayed one is skipped), block changes, the replies they produce
 * (outbox rows), conversation state and the channel's new cursor. Only after it commits
 * may the channel acknowledge the cursor. */
#ifndef DESKBOT_PIPELINE_H
#define DESKBOT_PIPELINE_H
#include <stddef.h>

#include "channels/channel.h"

struct casework;
struct events;
struct outbox;
struct pipeline;
struct replyset;
struct store;

/* What the pipeline works with (all borrowed; they outlive it). */
struct pipeline_deps {
	struct store *store;
	struct outbox *outbox;
	struct events *events;
	/* The live reply set (it is swapped whole on reload, so it is asked each batch). */
	struct replyset *(*replies)(void *arg);
	void *replies_arg;
	struct casework *cases; /* what casework_before/after work on (casework.h) */
};

struct pipeline *pipeline_new(const struct pipeline_deps *deps);
void pipeline_free(struct pipeline *p);
/* The sink to give each channel at construction; it stays valid while p lives. */
struct channel_sink pipeline_sink(struct pipeline *p);

/* Stores and answers the batch (borrowed) and sets the channel's cursor (NULL: none) in
 * one transaction. Returns 0 once committed; negative when the store failed, in which
 * case nothing was kept and the channel must retry the same batch without advancing. */
int pipeline_ingest(struct pipeline *p, struct channel *ch, const struct channel_batch *b);

/* Splits text into pieces of at most max_chars characters (counted as UTF-16 units, as
 * Telegram counts), preferring paragraph, line, sentence and word boundaries.
 * Returns the number of pieces written to parts (caller frees each). */
size_t pipeline_split_text(const char *text, size_t max_chars, char ***parts);

#endif
