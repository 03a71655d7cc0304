/* The app's channels: started from config, stopped on shutdown, described in /healthz.
 * (Channels arrive with the channel issue; until then no channel is configured.) */
#include <cjson/cJSON.h>

#include "app_internal.h"

int app_channels_start(struct app *app)
{
	(void)app;
	return 0;
}

void app_channels_stop(struct app *app)
{
	(void)app;
}

void app_channels_free(struct app *app)
{
	(void)app;
}

void app_describe_channels(struct app *app, cJSON *channels)
{
	cJSON *vk = cJSON_AddObjectToObject(channels, "vk");
	cJSON_AddStringToObject(vk, "state", app->cfg.vk.enabled ? "configured" : "off");
	cJSON *tg = cJSON_AddObjectToObject(channels, "telegram");
	cJSON_AddStringToObject(tg, "state", app->cfg.telegram.enabled ? "configured" : "off");
}

void app_update_metrics(struct app *app)
{
	(void)app;
}

int app_work_in_flight(struct app *app)
{
	(void)app;
	return 0;
}
