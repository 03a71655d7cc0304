/* The lease keeper (app_leases.h). */
#include "app_leases.h"

#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "channels/channel.h"
#include "log.h"
#include "outbox.h"
#include "store_lease.h"
#include "xalloc.h"

struct lease_slot {
	struct channel *ch;
	int held;
	uint64_t valid_until; /* loop time: past it, an unrenewed lease counts as lost */
	char holder[64];      /* the holder last seen, "" when none */
};

struct app_leases {
	struct app *app;
	char instance[64];
	int64_t lease_ms;
	uv_timer_t renew, scan;
	int open_handles;
	struct lease_slot slots[APP_MAX_CHANNELS];
	int n;
};

int app_leases_on(const struct app *app)
{
	return app->cfg.store_url != NULL;
}

static void take(struct app_leases *l, struct lease_slot *s)
{
	struct channel *ch = s->ch;
	s->held = 1;
	log_info("cluster: instance %s holds %s now", l->instance, ch->name);
	if (ch->ops->start(ch) < 0) {
		/* Not sent from either: a VK row needs the salt the start reads. */
		log_error("cluster: %s could not start; tried again at the next renewal", ch->name);
		s->held = 0;
		return;
	}
	outbox_set_active(l->app->outbox, ch->name, 1);
}

static void lose(struct app_leases *l, struct lease_slot *s, const char *why)
{
	s->held = 0;
	log_warn("cluster: instance %s no longer holds %s (%s)", l->instance, s->ch->name, why);
	s->ch->ops->stop(s->ch);
	outbox_set_active(l->app->outbox, s->ch->name, 0);
}

static void renew_cb(uv_timer_t *t)
{
	struct app_leases *l = t->data;
	uint64_t now = uv_now(t->loop);
	for (int i = 0; i < l->n; i++) {
		struct lease_slot *s = &l->slots[i];
		int64_t left = 0;
		char who[64] = "";
		int r = store_lease_hold(l->app->store, s->ch->name, l->instance, l->lease_ms, who,
					 sizeof who, &left);
		if (r == 1) {
			/* A margin of a sixth: the lease is given up here before it runs out in the
			 * store, so two holders never overlap while the clocks agree. */
			s->valid_until = now + (uint64_t)(l->lease_ms - l->lease_ms / 6);
			snprintf(s->holder, sizeof s->holder, "%s", l->instance);
			if (!s->held)
				take(l, s);
		} else if (r == 0) {
			snprintf(s->holder, sizeof s->holder, "%s", who);
			if (s->held)
				lose(l, s, "another instance took it");
		} else if (s->held && now >= s->valid_until) {
			lose(l, s, "its lease could not be renewed in time");
			s->holder[0] = 0;
		}
	}
}

static void scan_cb(uv_timer_t *t)
{
	struct app_leases *l = t->data;
	for (int i = 0; i < l->n; i++)
		if (l->slots[i].held)
			outbox_rescan(l->app->outbox, l->slots[i].ch->name);
}

int app_leases_start(struct app *app)
{
	struct app_leases *l = xcalloc(1, sizeof *l);
	l->app = app;
	l->lease_ms = app->cfg.cluster_lease_ms;
	config_instance_name(&app->cfg, l->instance, sizeof l->instance);
	for (int i = 0; i < app->n_channels; i++)
		if (!app->channels[i]->caps.local_chat) /* the web chat: per instance */
			l->slots[l->n++].ch = app->channels[i];
	uv_timer_init(app->loop, &l->renew);
	uv_timer_init(app->loop, &l->scan);
	l->renew.data = l->scan.data = l;
	l->open_handles = 2;
	app->leases = l;
	log_info("cluster: instance %s, leases of %lld ms on %d channel(s)", l->instance,
		 (long long)l->lease_ms, l->n);
	uint64_t every = (uint64_t)(l->lease_ms / 3);
	uv_timer_start(&l->renew, renew_cb, 0, every);
	uv_timer_start(&l->scan, scan_cb, (uint64_t)app->cfg.cluster_scan_ms,
		       (uint64_t)app->cfg.cluster_scan_ms);
	return 0;
}

void app_leases_stop(struct app *app)
{
	struct app_leases *l = app->leases;
	if (!l)
		return;
	uv_timer_stop(&l->renew);
	uv_timer_stop(&l->scan);
	for (int i = 0; i < l->n; i++)
		if (l->slots[i].held)
			l->slots[i].ch->ops->stop(l->slots[i].ch);
}

static void closed_cb(uv_handle_t *h)
{
	struct app_leases *l = h->data;
	if (--l->open_handles == 0)
		free(l);
}

void app_leases_free(struct app *app)
{
	struct app_leases *l = app->leases;
	if (!l)
		return;
	for (int i = 0; i < l->n; i++)
		if (l->slots[i].held &&
		    store_lease_release(app->store, l->slots[i].ch->name, l->instance) == 0)
			log_info("cluster: instance %s gave %s up", l->instance,
				 l->slots[i].ch->name);
	app->leases = NULL;
	uv_close((uv_handle_t *)&l->renew, closed_cb);
	uv_close((uv_handle_t *)&l->scan, closed_cb);
}

void app_leases_describe(struct app *app, cJSON *health, cJSON *channels)
{
	struct app_leases *l = app->leases;
	if (!l)
		return;
	cJSON_AddStringToObject(health, "instance", l->instance);
	for (int i = 0; i < l->n; i++) {
		cJSON *o = cJSON_GetObjectItemCaseSensitive(channels, l->slots[i].ch->name);
		if (o)
			cJSON_AddStringToObject(o, "holder", l->slots[i].holder);
	}
}
