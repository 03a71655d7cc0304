/* The live reply set: loaded at start, reloaded on SIGHUP and POST /admin/reload.
 * Temporary until the reply-set loader lands. */
#include <cjson/cJSON.h>

#include "app_internal.h"
#include "buf.h"

int app_reload(struct app *app, struct buf *out)
{
	(void)app;
	if (out)
		buf_puts(out, "{\"ok\":true}");
	return 0;
}

void app_describe_replies(struct app *app, cJSON *health)
{
	(void)app;
	(void)health;
}

void app_replies_release(struct app *app)
{
	(void)app;
}
