/* The CRM webhook: a send-only channel that POSTs each new or changed case record (JSON)
 * to crm.webhook_url. Going through the outbox makes the export retried, ordered per
 * case and never lost, and keeps it off the customers' path: its queue is its own. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "channel.h"
#include "http_client.h"
#include "xalloc.h"

struct crm {
	struct channel base;
	size_t in_flight;
};

struct crm_send {
	struct crm *crm;
	channel_sent_cb cb;
	void *arg;
};

static int crm_start(struct channel *ch)
{
	(void)ch;
	return 0;
}

static void crm_stop(struct channel *ch)
{
	(void)ch;
}

static void sent_cb(void *arg, const struct http_response *res)
{
	struct crm_send *s = arg;
	struct send_result r = {.code = (int)res->status};
	if (res->status >= 200 && res->status < 300) {
		r.outcome = SEND_OK;
		snprintf(r.reason, sizeof r.reason, "ok");
	} else if (res->status >= 400 && res->status < 500 && res->status != 408 &&
		   res->status != 429) {
		r.outcome = SEND_FAILED; /* the CRM refuses this record: retrying will not help */
		snprintf(r.reason, sizeof r.reason, "CRM answered HTTP %ld", res->status);
	} else {
		r.outcome = SEND_RETRY;
		snprintf(r.reason, sizeof r.reason, "CRM unavailable (HTTP %ld%s%s)", res->status,
			 *res->error ? ", " : "", res->error);
	}
	s->crm->in_flight--;
	s->cb(s->arg, &r);
	free(s);
}

static int crm_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		    void *arg)
{
	struct crm *crm = (struct crm *)ch;
	struct crm_send *s = xcalloc(1, sizeof *s);
	s->crm = crm;
	s->cb = cb;
	s->arg = arg;
	struct http_request_opts o = {.method = "POST", .url = ch->app->cfg.crm_webhook_url,
				      .body = row->text, .body_len = strlen(row->text),
				      .content_type = "application/json", .timeout_ms = 15000};
	if (http_request(ch->app->http, &o, sent_cb, s, NULL) < 0) {
		free(s);
		return -1;
	}
	crm->in_flight++;
	return 0;
}

static const char *crm_state(const struct channel *ch)
{
	(void)ch;
	return "ready";
}

static size_t crm_in_flight(const struct channel *ch)
{
	return ((const struct crm *)ch)->in_flight;
}

static void crm_free(struct channel *ch)
{
	free(ch);
}

static const struct channel_ops crm_ops = {
	.name = "crm",
	.max_text = (size_t)-1,
	.start = crm_start,
	.stop = crm_stop,
	.send = crm_send,
	.state = crm_state,
	.in_flight = crm_in_flight,
	.free = crm_free,
};

struct channel *crm_channel_new(struct app *app)
{
	struct crm *crm = xcalloc(1, sizeof *crm);
	channel_init(&crm->base, &crm_ops, app, 50, 0, 4);
	return &crm->base;
}
