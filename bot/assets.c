/* Lookup in the embedded asset table (see assets.h). */
#include "assets.h"

#include "server.h"

#include <string.h>

const struct asset *assets_find(const char *name)
{
	for (const struct asset *a = assets_table; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

void assets_respond(struct http_resp *resp, const char *name)
{
	const struct asset *a = assets_find(name);
	if (!a) {
		http_resp_error(resp, 404, "not found");
		return;
	}
	resp->status = 200;
	resp->content_type = a->content_type;
	resp->cache = "no-cache";
	buf_reset(&resp->body);
	buf_append(&resp->body, a->data, a->size);
}
