/* Console and web-chat assets embedded at build time (cmake/embed_assets.cmake). */
#ifndef DESKBOT_ASSETS_H
#define DESKBOT_ASSETS_H
#include <stddef.h>

struct asset {
	const char *name;         /* file name, e.g. "console.js" */
	const char *content_type;
	const unsigned char *data;
	size_t size;
};

/* Terminated by an entry whose name is NULL. */
extern const struct asset assets_table[];

/* The asset called name, or NULL. */
const struct asset *assets_find(const char *name);

struct http_resp;
/* Answers with the asset called name (200, its type, revalidated on each load), or 404. */
void assets_respond(struct http_resp *resp, const char *name);

#endif
