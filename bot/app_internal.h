/* Seams between app.c and the files that fill in its parts (app_replies.c,
 * app_channels.c, app_routes.c). Not for use outside the app. */
#ifndef DESKBOT_APP_INTERNAL_H
#define DESKBOT_APP_INTERNAL_H
#include <cjson/cJSON.h>
#include <uv.h>

#include "app.h"
#include "channels/channel.h"

/* app_replies.c */
void app_describe_replies(struct app *app, cJSON *health);
void app_replies_release(struct app *app);

/* app_channels.c */
/* Creates the outbox, the pipeline and the channels' environment (before any channel). */
void app_pipeline_open(struct app *app);
int app_channels_start(struct app *app);
void app_channels_stop(struct app *app);
void app_channels_free(struct app *app);
/* console_deps.typing: the named channel's typing notice, when it has one. */
int app_channel_typing(void *app, const char *channel, int64_t peer);
/* 1 when the channel (a page id) sends approved files (caps.send_files). */
int app_channel_can_send_files(void *app, const char *channel);
/* file_fetch_deps.fetch: the named channel's fetch_file. */
int app_channel_fetch_file(void *app, const char *channel, const char *ref, size_t max_bytes,
			   channel_file_cb cb, void *cb_arg);
/* Adds channels that need no token (the local web chat; app_web.c). */
void app_channels_add_local(struct app *app);
void app_describe_channels(struct app *app, cJSON *channels);
void app_update_metrics(struct app *app);
int app_work_in_flight(struct app *app);

/* app.c: the live reply set of app (a struct app *), for the parts built with a getter
 * (the set is swapped whole on reload). */
struct replyset *app_live_replies(void *app);
/* app.c: creates app->casework (NULL and -1 when the store cannot list the open cases)
 * and app->webhooks on the app's store, events and reply set. */
int app_casework_start(struct app *app);
void app_webhooks_start(struct app *app);
/* app.c: creates the console (app->console) on the app's store, outbox, events and
 * reply set, once the channels and the outbox exist. */
void app_console_start(struct app *app);

/* app_routes.c: registers every route beyond /healthz and /metrics. */
void app_routes(struct app *app);

/* uv_walk callback that logs a handle still open at exit. */
void app_report_leftover(uv_handle_t *h, void *arg);

#endif
