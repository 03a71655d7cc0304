/* What one inbound batch produces besides its store writes, collected while the batch's
 * transaction is open (by the pipeline and the casework it calls) and acted on once it
 * has committed: outbox rows to queue and notices to emit. */
#ifndef DESKBOT_PIPELINE_BATCH_H
#define DESKBOT_PIPELINE_BATCH_H
#include <stddef.h>

#include <cjson/cJSON.h>

#include "outbox_row.h"

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

#endif
