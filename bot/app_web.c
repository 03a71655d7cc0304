/* Local channels that need no token: the web chat (/chat). The blog secretary's console
 * beside it is the app's own (app.c). */
#include "app_internal.h"
#include "channels/channel.h"
#include "channels/web.h"
#include "log.h"
#include "server.h"

/* The listener's limits from config "http" (README "Listener limits"). */
static void apply_limits(struct app *app)
{
	const struct config_http_limits *h = &app->cfg.http;
	struct server_limits l = {
		.max_connections = (size_t)h->max_connections,
		.max_per_address = (size_t)h->max_per_address,
		.ws_queue_max = (size_t)h->ws_queue_max,
		.ws_ping_s = (int)h->ws_ping_s,
		.ws_idle_s = (int)h->ws_idle_s,
		.public_origin = h->public_origin,
		.secure_cookies = h->secure_cookies};
	server_set_limits(app->server, &l);
}

void app_channels_add_local(struct app *app)
{
	if (app->n_channels >= APP_MAX_CHANNELS) {
		log_error("start-up: no room for the web chat channel");
		return;
	}
	if (app->server)
		apply_limits(app);
	app->channels[app->n_channels++] =
		web_channel_new(app->channel_env, app->server, &app->cfg.http);
}
