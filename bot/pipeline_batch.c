/* A batch's rows and notices (see pipeline_batch.h). */
#include "pipeline_batch.h"

#include "xalloc.h"

struct outbox_row *pipeline_batch_row(struct pipeline_batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->rows = xrealloc(b->rows, b->cap * sizeof *b->rows);
	}
	struct outbox_row *r = &b->rows[b->n++];
	*r = (struct outbox_row){0};
	return r;
}

void pipeline_batch_event(struct pipeline_batch *b, const char *type, cJSON *data)
{
	if (!b->events)
		b->events = cJSON_CreateArray();
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "type", type);
	cJSON_AddItemToObject(e, "data", data);
	cJSON_AddItemToArray(b->events, e);
}
