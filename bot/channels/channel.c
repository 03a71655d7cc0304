/* Common channel set-up: limits and metric series (see channel.h). */
#include "channel.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "metrics.h"

const char *const channel_customer_names[] = {CHANNEL_VK, CHANNEL_TELEGRAM, CHANNEL_MAX,
					      CHANNEL_WEB};
const unsigned channel_n_customer_names = 4;
const char *const channel_switchable_names[] = {CHANNEL_VK, CHANNEL_TELEGRAM, CHANNEL_MAX};
const unsigned channel_n_switchable_names = 3;

void channel_set_page(struct channel *ch, const char *platform, const char *label,
		      const char *title)
{
	channel_page_id(platform, label, ch->page_id, sizeof ch->page_id);
	ch->name = ch->page_id;
	ch->caps.platform = platform;
	ch->caps.page_label = label;
	ch->caps.page_title = title;
}

void channel_init(struct channel *ch, const struct channel_ops *ops, const struct channel_env *env,
		  double rate_per_s, double chat_rate_per_s, int max_in_flight)
{
	ch->ops = ops;
	ch->env = env;
	if (!ch->name) /* not a page (channel_set_page): named after its kind */
		ch->name = ops->name;
	if (!ch->caps.platform)
		ch->caps.platform = ops->name;
	ch->caps.reply_to = 1;
	ch->caps.batch_send = ops->send_batch != NULL;
	ch->rate_per_s = rate_per_s;
	ch->chat_rate_per_s = chat_rate_per_s;
	ch->max_in_flight = max_in_flight;
	ch->chat_burst = 1;
	struct metrics *m = env->metrics;
	char l[96];
	metrics_family(m, "deskbot_updates_total", "counter",
		       "Customer messages and button presses received, per channel.");
	metrics_family(m, "deskbot_updates_ignored_total", "counter",
		       "Updates not answered by design (bot echoes, edits, typing, membership).");
	metrics_family(m, "deskbot_longpoll_restarts_total", "counter",
		       "Long-poll sessions restarted, by reason.");
	metrics_family(m, "deskbot_longpoll_errors_total", "counter",
		       "Long-poll requests that failed (transport, HTTP or malformed answer).");
	metrics_family(m, "deskbot_longpoll_skipped_total", "counter",
		       "Updates or batches skipped because they stayed unreadable.");
	metrics_family(m, "deskbot_replies_sent_total", "counter", "Replies delivered.");
	metrics_family(m, "deskbot_send_retries_total", "counter",
		       "Delivery attempts that failed transiently and were rescheduled.");
	metrics_family(m, "deskbot_send_failed_total", "counter",
		       "Replies that could not be delivered for good (recorded with a reason).");
	metrics_family(m, "deskbot_send_blocked_total", "counter",
		       "Replies not delivered because the customer blocked the bot.");
	metrics_family(m, "deskbot_send_failures_total", "counter",
		       "Failed delivery attempts by API error code or HTTP status.");
	metrics_family(m, "deskbot_outbox_depth", "gauge", "Replies waiting to be delivered.");
	metrics_family(m, "deskbot_outbox_oldest_age_seconds", "gauge",
		       "Age of the oldest reply waiting to be delivered.");
	snprintf(l, sizeof l, "channel=\"%s\"", ch->name);
	ch->m_updates = metrics_series(m, "deskbot_updates_total", l);
	ch->m_ignored = metrics_series(m, "deskbot_updates_ignored_total", l);
	ch->m_poll_errors = metrics_series(m, "deskbot_longpoll_errors_total", l);
	ch->m_poll_skipped = metrics_series(m, "deskbot_longpoll_skipped_total", l);
	ch->m_sent = metrics_series(m, "deskbot_replies_sent_total", l);
	ch->m_retries = metrics_series(m, "deskbot_send_retries_total", l);
	ch->m_failed = metrics_series(m, "deskbot_send_failed_total", l);
	ch->m_blocked = metrics_series(m, "deskbot_send_blocked_total", l);
	ch->m_depth = metrics_series(m, "deskbot_outbox_depth", l);
	ch->m_oldest_age = metrics_series(m, "deskbot_outbox_oldest_age_seconds", l);
	snprintf(l, sizeof l, "channel=\"%s\",reason=\"key_expired\"", ch->name);
	ch->m_poll_restarts_key = metrics_series(m, "deskbot_longpoll_restarts_total", l);
	snprintf(l, sizeof l, "channel=\"%s\",reason=\"history_lost\"", ch->name);
	ch->m_poll_restarts_history = metrics_series(m, "deskbot_longpoll_restarts_total", l);
	snprintf(l, sizeof l, "channel=\"%s\",reason=\"session_lost\"", ch->name);
	ch->m_poll_restarts_session = metrics_series(m, "deskbot_longpoll_restarts_total", l);
}

void channel_count_failure(struct channel *ch, int code)
{
	char l[96];
	snprintf(l, sizeof l, "channel=\"%s\",code=\"%d\"", ch->name, code);
	*metrics_series(ch->env->metrics, "deskbot_send_failures_total", l) += 1;
}

int channel_deliver(struct channel *ch, const struct channel_batch *b)
{
	const struct channel_sink *s = &ch->env->sink;
	return s->ops->batch(s->arg, ch, b);
}

int channel_row_file(const struct outbox_row *row, struct chan_outfile *f)
{
	*f = (struct chan_outfile){0};
	if (!row->kind || strcmp(row->kind, "file") != 0 || !row->file_data || !row->extra)
		return -1;
	cJSON *x = cJSON_Parse(row->extra);
	const char *kind = json_str(x, "kind"), *name = json_str(x, "name"),
		   *mime = json_str(x, "mime");
	f->photo = kind && strcmp(kind, "photo") == 0;
	snprintf(f->name, sizeof f->name, "%s", name && *name ? name : "file");
	snprintf(f->mime, sizeof f->mime, "%s", mime && *mime ? mime : "application/octet-stream");
	cJSON_Delete(x);
	f->data = row->file_data;
	f->len = row->file_len;
	f->handle = row->handle && *row->handle ? row->handle : NULL;
	return 0;
}
