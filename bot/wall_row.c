/* A public reply's outbox row (see wall_row.h). */
#include "wall_row.h"

#include <cjson/cJSON.h>

#include "xalloc.h"

void wall_row_fill(struct outbox_row *r, const char *channel, int64_t peer,
		   const struct chan_wall *w, const char *text, const char *source,
		   const char *replyset_version, int64_t now_ms)
{
	r->channel = xstrdup(channel);
	r->kind = xstrdup("wall_reply");
	r->peer_id = peer;
	r->text = xstrdup(text);
	cJSON *extra = cJSON_CreateObject();
	cJSON_AddNumberToObject(extra, "owner_id", (double)w->owner_id);
	cJSON_AddNumberToObject(extra, "post_id", (double)w->post_id);
	cJSON_AddNumberToObject(extra, "comment_id", (double)w->comment_id);
	r->extra = cJSON_PrintUnformatted(extra);
	cJSON_Delete(extra);
	r->replyset_version = replyset_version ? xstrdup(replyset_version) : NULL;
	r->source = xstrdup(source);
	r->created_ms = now_ms;
}
