/* The app's channels and outbox: created from config, started after the store is open,
 * stopped first on shutdown, described in /healthz and /metrics. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "app_leases.h"
#include "clock.h"
#include "channels/channel.h"
#include "log.h"
#include "outbox.h"
#include "pipeline.h"
#include "store.h"
#include "xalloc.h"

/* The local web chat: each instance serves its own browsers, never leased. */
static int is_local(const struct channel *ch)
{
	return ch->caps.local_chat;
}

static void add_channel(struct app *app, struct channel *ch)
{
	app->channels[app->n_channels++] = ch;
}

void app_pipeline_open(struct app *app)
{
	app->outbox = outbox_new(app->loop, app->store);
	struct pipeline_deps d = {.store = app->store, .outbox = app->outbox,
				  .events = app->events, .replies = app_live_replies,
				  .replies_arg = app, .cases = app->casework};
	app->pipeline = pipeline_new(&d);
	app->channel_env = xcalloc(1, sizeof *app->channel_env);
	*app->channel_env = (struct channel_env){.loop = app->loop, .http = app->http,
						 .metrics = app->metrics,
						 .sink = pipeline_sink(app->pipeline)};
}

int app_channels_start(struct app *app)
{
	if (app_casework_start(app) < 0) {
		log_error("start-up: cannot read the open cases from the store");
		return -1;
	}
	app_pipeline_open(app);
	const struct channel_env *env = app->channel_env;
	if (app->cfg.vk.enabled)
		add_channel(app, vk_channel_new(env, &app->cfg.vk));
	for (size_t i = 0; i < app->cfg.vk.n_pages; i++)
		if (app->cfg.vk.pages[i].enabled)
			add_channel(app, vk_channel_new(env, &app->cfg.vk.pages[i]));
	if (app->cfg.telegram.enabled)
		add_channel(app, tg_channel_new(env, &app->cfg.telegram));
	for (size_t i = 0; i < app->cfg.telegram.n_pages; i++)
		if (app->cfg.telegram.pages[i].enabled)
			add_channel(app, tg_channel_new(env, &app->cfg.telegram.pages[i]));
	if (app->cfg.max.enabled)
		add_channel(app, max_channel_new(env, &app->cfg.max));
	app_channels_add_local(app);
	if (app->cfg.crm_webhook_url)
		add_channel(app, webhook_channel_new(env, CHANNEL_CRM, app->cfg.crm_webhook_url));
	if (app->cfg.notify_webhook_url)
		add_channel(app, webhook_channel_new(env, CHANNEL_NOTIFY, app->cfg.notify_webhook_url));
	app_webhooks_start(app);
	int leased = app_leases_on(app);
	for (int i = 0; i < app->n_channels; i++) {
		struct channel *ch = app->channels[i];
		/* With leases, a channel starts once this instance holds it (app_leases.c). */
		if (leased && !is_local(ch)) {
			if (outbox_add_channel_idle(app->outbox, ch) < 0) {
				log_error("start-up: channel %s could not be registered", ch->name);
				return -1;
			}
			continue;
		}
		if (outbox_add_channel(app->outbox, ch) < 0 || ch->ops->start(ch) < 0) {
			log_error("start-up: channel %s could not start", ch->name);
			return -1;
		}
	}
	return leased ? app_leases_start(app) : 0;
}

void app_channels_stop(struct app *app)
{
	if (app->outbox)
		outbox_drain(app->outbox);
	app_leases_stop(app);
	for (int i = 0; i < app->n_channels; i++)
		if (!app->leases || is_local(app->channels[i]))
			app->channels[i]->ops->stop(app->channels[i]);
}

void app_channels_free(struct app *app)
{
	app_leases_free(app); /* after the drain: a reply in flight here is not sent twice */
	if (app->outbox)
		outbox_close(app->outbox);
	app->outbox = NULL;
	for (int i = 0; i < app->n_channels; i++)
		app->channels[i]->ops->free(app->channels[i]);
	app->n_channels = 0;
	/* The channels' timers close on the next loop turns; none of them reads its env
	 * or sink after free. */
	pipeline_free(app->pipeline);
	app->pipeline = NULL;
	free(app->channel_env);
	app->channel_env = NULL;
}

static struct channel *find(struct app *app, const char *name)
{
	for (int i = 0; i < app->n_channels; i++)
		if (strcmp(app->channels[i]->name, name) == 0)
			return app->channels[i];
	return NULL;
}

int app_channel_typing(void *arg, const char *channel, int64_t peer)
{
	struct channel *ch = find(arg, channel);
	if (!ch || !ch->caps.typing || !ch->ops->typing)
		return 0;
	return ch->ops->typing(ch, peer);
}

int app_channel_can_send_files(void *arg, const char *channel)
{
	struct channel *ch = find(arg, channel);
	return ch && ch->caps.send_files;
}

int app_channel_fetch_file(void *arg, const char *channel, const char *ref, size_t max_bytes,
			   channel_file_cb cb, void *cb_arg)
{
	struct channel *ch = find(arg, channel);
	if (!ch || !ch->ops->fetch_file)
		return CHANNEL_FILE_REFUSED;
	return ch->ops->fetch_file(ch, ref, max_bytes, cb, cb_arg);
}

void app_describe_channels(struct app *app, cJSON *channels)
{
	for (unsigned i = 0; i < channel_n_switchable_names; i++)
		if (!find(app, channel_switchable_names[i]))
			cJSON_AddStringToObject(
				cJSON_AddObjectToObject(channels, channel_switchable_names[i]), "state",
				"off");
	for (int i = 0; i < app->n_channels; i++) {
		struct channel *ch = app->channels[i];
		cJSON *o = cJSON_AddObjectToObject(channels, ch->name);
		cJSON_AddStringToObject(o, "state", ch->ops->state(ch));
		if (ch->caps.page_label) {
			cJSON_AddStringToObject(o, "platform", ch->caps.platform);
			cJSON_AddStringToObject(o, "label", ch->caps.page_label);
		}
		if (ch->caps.page_title)
			cJSON_AddStringToObject(o, "title", ch->caps.page_title);
		/* From the store, like the metric: rows beyond the memory queue count too. */
		int64_t depth = 0, oldest = 0;
		store_outbox_depth(app->store, ch->name, &depth, &oldest);
		cJSON_AddNumberToObject(o, "outbox", (double)depth);
	}
}

void app_update_metrics(struct app *app)
{
	int64_t now = clock_now_ms();
	for (int i = 0; i < app->n_channels; i++) {
		/* From the store: it also counts rows that wait there beyond the memory queue. */
		struct channel *ch = app->channels[i];
		int64_t depth = 0, oldest = 0;
		if (store_outbox_depth(app->store, ch->name, &depth, &oldest) == 0) {
			*ch->m_depth = (double)depth;
			*ch->m_oldest_age = depth ? (double)(now - oldest) / 1000.0 : 0;
		}
	}
}

int app_work_in_flight(struct app *app)
{
	if (app->outbox && outbox_in_flight(app->outbox))
		return 1;
	return 0;
}
