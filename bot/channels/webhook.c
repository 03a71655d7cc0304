/* A webhook: a send-only channel that POSTs each of its outbox rows (JSON) to one URL.
 * Used for the CRM export (every new or changed case record, "crm") and the console's
 * notices ("notify"). Going through the outbox makes them retried, ordered per case and
 * never lost, and keeps them off the customers' path: each has its own queue. */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "http_client.h"
#include "xalloc.h"

struct webhook {
	struct channel base;
	struct channel_ops ops; /* per instance: the name differs */
	char *url;
	size_t in_flight;
};

struct webhook_send {
	struct webhook *hook;
	channel_sent_cb cb;
	void *arg;
};

static int webhook_start(struct channel *ch)
{
	(void)ch;
	return 0;
}

static void webhook_stop(struct channel *ch)
{
	(void)ch;
}

static void sent_cb(void *arg, const struct http_response *res)
{
	struct webhook_send *s = arg;
	struct send_result r = {.code = (int)res->status};
	if (res->status >= 200 && res->status < 300) {
		r.outcome = SEND_OK;
		snprintf(r.reason, sizeof r.reason, "ok");
	} else if (res->status >= 400 && res->status < 500 && res->status != 408 &&
		   res->status != 429) {
		r.outcome = SEND_FAILED; /* the CRM refuses this record: retrying will not help */
		snprintf(r.reason, sizeof r.reason, "webhook answered HTTP %ld", res->status);
	} else {
		r.outcome = SEND_RETRY;
		snprintf(r.reason, sizeof r.reason, "webhook unavailable (HTTP %ld%s%s)", res->status,
			 *res->error ? ", " : "", res->error);
	}
	s->hook->in_flight--;
	s->cb(s->arg, &r);
	free(s);
}

static int webhook_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		    void *arg)
{
	struct webhook *hook = (struct webhook *)ch;
	struct webhook_send *s = xcalloc(1, sizeof *s);
	s->hook = hook;
	s->cb = cb;
	s->arg = arg;
	struct http_request_opts o = {.method = "POST", .url = hook->url,
				      .body = row->text, .body_len = strlen(row->text),
				      .content_type = "application/json", .timeout_ms = 15000};
	if (http_request(ch->env->http, &o, sent_cb, s, NULL) < 0) {
		free(s);
		return -1;
	}
	hook->in_flight++;
	return 0;
}

static const char *webhook_state(const struct channel *ch)
{
	(void)ch;
	return "ready";
}

static size_t webhook_in_flight(const struct channel *ch)
{
	return ((const struct webhook *)ch)->in_flight;
}

static void webhook_free(struct channel *ch)
{
	struct webhook *w = (struct webhook *)ch;
	free(w->url);
	free((char *)w->ops.name);
	free(w);
}

static const struct channel_ops webhook_ops = {
	.name = "webhook",
	.max_text = (size_t)-1,
	.start = webhook_start,
	.stop = webhook_stop,
	.send = webhook_send,
	.state = webhook_state,
	.in_flight = webhook_in_flight,
	.free = webhook_free,
};

struct channel *webhook_channel_new(const struct channel_env *env, const char *name,
				    const char *url)
{
	struct webhook *w = xcalloc(1, sizeof *w);
	w->ops = webhook_ops;
	w->ops.name = xstrdup(name);
	w->url = xstrdup(url);
	channel_init(&w->base, &w->ops, env, 50, 0, 4);
	return &w->base;
}
