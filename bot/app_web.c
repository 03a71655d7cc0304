/* Local channels that need no token: the web chat (/chat), and with it the blog
 * secretary's console (/console, /api/, /ws), whose life is tied to the web channel's
 * because struct app has no slot of its own for it. */
#include "app_internal.h"
#include "channel.h"
#include "channels/web.h"
#include "console_api.h"
#include "log.h"

void app_channels_add_local(struct app *app)
{
	if (app->n_channels >= APP_MAX_CHANNELS) {
		log_error("start-up: no room for the web chat channel; the console is off");
		return;
	}
	struct channel *web = web_channel_new(app);
	app->channels[app->n_channels++] = web;
	console_new(app, web);
}
