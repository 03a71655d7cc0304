/* Case news for outside systems (see webhooks.h). */
#include "webhooks.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "channels/names.h"
#include "events.h"
#include "json_util.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "xalloc.h"

struct webhooks {
	struct webhooks_deps d;
	int crm_sub, notify_sub; /* events subscriptions, -1 when none */
};

/* Queues one row in a transaction of its own: the news comes after the transaction
 * that made it. Takes the text. */
static void queue(struct webhooks *w, const char *channel, int64_t case_id, char *text,
		  const char *source)
{
	struct outbox_row r = {0};
	r.channel = xstrdup(channel);
	r.kind = xstrdup("webhook");
	r.peer_id = case_id; /* in order per case */
	r.text = text;
	r.source = xstrdup(source);
	r.created_ms = clock_now_ms();
	if (outbox_queue_row(w->d.outbox, &r) < 0)
		log_error("webhooks: could not queue %s news of case %lld", channel,
			  (long long)case_id);
}

static void crm_cb(void *arg, const char *type, const cJSON *data)
{
	struct webhooks *w = arg;
	int64_t case_id = json_int(data, "case_id", 0);
	cJSON *rec = NULL;
	if (strcmp(type, "case_updated") != 0 || !case_id ||
	    store_case_get(w->d.store, case_id, &rec) < 0 || !rec)
		return;
	queue(w, CHANNEL_CRM, case_id, cJSON_PrintUnformatted(rec), "case");
	cJSON_Delete(rec);
}

static void notify_cb(void *arg, const char *type, const cJSON *data)
{
	struct webhooks *w = arg;
	int64_t case_id = json_int(data, "case_id", 0);
	if (!case_id || (strcmp(type, "case_created") && strcmp(type, "customer_message")))
		return;
	cJSON *rec = NULL;
	if (store_case_get_head(w->d.store, case_id, &rec) < 0 || !rec)
		return;
	/* Every new case; customer messages only where a person holds the case. */
	const char *assignee = json_str(rec, "assignee");
	if (strcmp(type, "customer_message") == 0 && (!assignee || !*assignee)) {
		cJSON_Delete(rec);
		return;
	}
	cJSON *n = cJSON_CreateObject();
	cJSON_AddStringToObject(n, "type", type);
	cJSON_AddNumberToObject(n, "case_id", (double)case_id);
	const char *v;
	if ((v = json_str(rec, "number")))
		cJSON_AddStringToObject(n, "number", v);
	if ((v = json_str(rec, "channel")))
		cJSON_AddStringToObject(n, "channel", v);
	cJSON_AddNumberToObject(n, "peer_id", (double)json_int(rec, "peer_id", 0));
	if (assignee)
		cJSON_AddStringToObject(n, "assignee", assignee);
	v = json_str(data, "text");
	cJSON_AddStringToObject(n, "text", v ? v : (json_str(rec, "summary") ? json_str(rec, "summary") : ""));
	cJSON_AddNumberToObject(n, "at", (double)(clock_now_ms() / 1000));
	cJSON_Delete(rec);
	queue(w, CHANNEL_NOTIFY, case_id, cJSON_PrintUnformatted(n), type);
	cJSON_Delete(n);
}

struct webhooks *webhooks_new(const struct webhooks_deps *d)
{
	struct webhooks *w = xcalloc(1, sizeof *w);
	w->d = *d;
	w->crm_sub = d->crm_url ? events_subscribe(d->events, crm_cb, w) : -1;
	w->notify_sub = d->notify_url ? events_subscribe(d->events, notify_cb, w) : -1;
	return w;
}

void webhooks_free(struct webhooks *w)
{
	if (!w)
		return;
	if (w->crm_sub >= 0)
		events_unsubscribe(w->d.events, w->crm_sub);
	if (w->notify_sub >= 0)
		events_unsubscribe(w->d.events, w->notify_sub);
	free(w);
}
