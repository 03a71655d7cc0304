/* Case news for outside systems (see webhooks.h). */
#include "webhooks.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "app.h"
#include "cases.h"
#include "channels/names.h"
#include "events.h"
#include "json_util.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "xalloc.h"

/* Queues one row in a transaction of its own: the news comes after the transaction
 * that made it. Takes the text. */
static void queue(struct app *app, const char *channel, int64_t case_id, char *text,
		  const char *source)
{
	struct outbox_row r = {0};
	r.channel = xstrdup(channel);
	r.kind = xstrdup("webhook");
	r.peer_id = case_id; /* in order per case */
	r.text = text;
	r.source = xstrdup(source);
	r.created_ms = clock_now_ms();
	if (outbox_queue_row(app->outbox, &r) < 0)
		log_error("webhooks: could not queue %s news of case %lld", channel,
			  (long long)case_id);
}

static void crm_cb(void *arg, const char *type, const cJSON *data)
{
	struct app *app = arg;
	int64_t case_id = json_int(data, "case_id", 0);
	cJSON *rec = NULL;
	if (strcmp(type, "case_updated") != 0 || !case_id ||
	    store_case_get(app->store, case_id, &rec) < 0 || !rec)
		return;
	queue(app, CHANNEL_CRM, case_id, cJSON_PrintUnformatted(rec), "case");
	cJSON_Delete(rec);
}

static void notify_cb(void *arg, const char *type, const cJSON *data)
{
	struct app *app = arg;
	int64_t case_id = json_int(data, "case_id", 0);
	if (!case_id || (strcmp(type, "case_created") && strcmp(type, "customer_message")))
		return;
	cJSON *rec = NULL;
	if (store_case_get_head(app->store, case_id, &rec) < 0 || !rec)
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
	queue(app, CHANNEL_NOTIFY, case_id, cJSON_PrintUnformatted(n), type);
	cJSON_Delete(n);
}

void webhooks_start(struct app *app)
{
	if (app->cfg.crm_webhook_url)
		events_subscribe(app->events, crm_cb, app);
	if (app->cfg.notify_webhook_url)
		events_subscribe(app->events, notify_cb, app);
}
