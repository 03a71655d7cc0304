/* What one inbound batch produces besides its store writes, collected while the batch's
 * transaction is open (by the pipeline and the casework it calls) and acted on once it
 * has committed: outbox rows to queue and notices to emit. */
#ifndef DESKBOT_PIPELINE_BATCH_H
#define DESKBOT_PIPELINE_BATCH_H
#include <stddef.h>

#include <cjson/cJSON.h>

#include "outbox_row.h"

struct store_tx;

/* What a batch produces besides its store writes: outbox rows to queue and notices to
 * emit once the transaction has committed. */
struct pipeline_batch {
	/* The batch's unit of work: pipeline_ingest begins and ends it; what it calls
	 * (casework) writes through it and never ends it. */
	struct store_tx *tx;
	struct outbox_row *rows;
	size_t n, cap;
	cJSON *events; /* [{"type": T, "data": {...}}] */
};

/* A new zeroed row in the batch (owned by it until queued). */
struct outbox_row *pipeline_batch_row(struct pipeline_batch *b);
/* A notice to emit after commit (data is taken over). */
void pipeline_batch_event(struct pipeline_batch *b, const char *type, cJSON *data);

#endif
