/* Telegram bot over getUpdates long polling (../shared/specs/telegram.md): the offset is
 * confirmed only after the batch is committed (the next getUpdates carries it), and
 * outbox rows go out with sendMessage / answerCallbackQuery. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app.h"
#include "buf.h"
#include "channel.h"
#include "http_client.h"
#include "log.h"
#include "pipeline.h"
#include "store.h"
#include "tg_parse.h"
#include "xalloc.h"

#define TG_MAX_TEXT 4096
#define TG_MAX_IN_FLIGHT 32 /* bound of the latency-sized window: 30/s needs ~7 at 100 ms, and
			    * what a kill -9 can double (no idempotency key) stays small */

enum tg_state { TG_IDLE, TG_POLLING, TG_BACKOFF, TG_CONFLICT, TG_UNAUTHORIZED, TG_STOPPED };

static const char *const state_names[] = {"idle", "polling", "backoff", "conflict",
					  "unauthorized", "stopped"};

struct tg {
	struct channel base;
	const struct config_channel *cfg;
	enum tg_state state;
	int64_t offset;       /* next update_id wanted; everything below is committed */
	int sent_allowed;     /* allowed_updates is sent once; it sticks on the server */
	uint64_t poll_req;
	uv_timer_t retry_timer;
	int failures;
	int isolate;          /* the last batch was unreadable: fetch one update at a time */
	size_t sends_in_flight;
};

static void poll_once(struct tg *tg);

static char *method_url(struct tg *tg, const char *method)
{
	return xasprintf("%s/bot%s/%s", tg->cfg->api_url, tg->cfg->token, method);
}

static void retry_cb(uv_timer_t *t)
{
	poll_once(t->data);
}

static void backoff(struct tg *tg, uint64_t min_ms, enum tg_state state)
{
	if (tg->state == TG_STOPPED)
		return;
	tg->failures++;
	uint64_t delay = 1000;
	for (int i = 1; i < tg->failures && delay < 60000; i++)
		delay *= 2;
	if (delay > 60000)
		delay = 60000;
	if (delay < min_ms)
		delay = min_ms;
	tg->state = state;
	uv_timer_start(&tg->retry_timer, retry_cb, delay, 0);
}

static void poll_cb(void *arg, const struct http_response *res)
{
	struct tg *tg = arg;
	tg->poll_req = 0;
	if (tg->state == TG_STOPPED)
		return;
	struct tg_updates u;
	tg_parse_updates(res->body, res->body_len, &u);
	if (res->status == 200 && !u.ok && !u.error_code) {
		/* Unreadable: first fetch one update at a time; an update that is unreadable
		 * on its own is skipped (and only that one), so the channel never stalls. */
		*tg->base.m_poll_errors += 1;
		int64_t bad = tg->isolate ? tg_scan_update_id(res->body) : -1;
		if (bad >= tg->offset && bad >= 0) {
			char cursor[32];
			snprintf(cursor, sizeof cursor, "%lld", (long long)bad + 1);
			log_error("telegram: update %lld is unreadable (%zu bytes); skipping it",
				  (long long)bad, res->body_len);
			*tg->base.m_poll_skipped += 1;
			if (pipeline_ingest(tg->base.app, &tg->base, NULL, 0, cursor) == 0)
				tg->offset = bad + 1;
			tg->isolate = 0;
			tg_updates_free(&u);
			poll_once(tg);
			return;
		}
		log_warn("telegram: getUpdates answer is not valid JSON (%zu bytes); fetching "
			 "updates one by one",
			 res->body_len);
		tg->isolate = 1;
		tg_updates_free(&u);
		backoff(tg, 0, TG_BACKOFF);
		return;
	}
	if (res->status != 200 || !u.ok) {
		*tg->base.m_poll_errors += 1;
		long code = res->status;
		if (code == 401 || code == 404) {
			log_error("telegram: getUpdates refused (HTTP %ld): the bot token is wrong or "
				  "revoked; retrying slowly",
				  code);
			backoff(tg, 60000, TG_UNAUTHORIZED);
		} else if (code == 409) {
			log_error("telegram: getUpdates conflict (HTTP 409): another instance polls "
				  "this bot or a webhook is set");
			backoff(tg, 5000, TG_CONFLICT);
		} else if (code == 429) {
			log_warn("telegram: getUpdates rate-limited; waiting %lld s",
				 (long long)u.retry_after);
			backoff(tg, (uint64_t)(u.retry_after > 0 ? u.retry_after : 1) * 1000,
				TG_BACKOFF);
		} else {
			log_warn("telegram: getUpdates failed (HTTP %ld%s%s); backing off", code,
				 *res->error ? ", " : "", res->error);
			backoff(tg, 0, TG_BACKOFF);
		}
		tg_updates_free(&u);
		return;
	}
	*tg->base.m_ignored += (double)u.n_ignored;
	for (size_t i = 0; i < u.n_blocks; i++)
		store_peer_set_blocked(tg->base.app->store, "telegram", u.blocks[i].chat_id,
				       u.blocks[i].blocked,
				       u.blocks[i].blocked ? "my_chat_member kicked" : "unblocked");
	if (u.next_offset > tg->offset) {
		char cursor[32];
		snprintf(cursor, sizeof cursor, "%lld", (long long)u.next_offset);
		if (pipeline_ingest(tg->base.app, &tg->base, u.msgs, u.n_msgs, cursor) < 0) {
			/* Not committed: poll the same offset again; the batch is replayed. */
			backoff(tg, 0, TG_BACKOFF);
			tg_updates_free(&u);
			return;
		}
		tg->offset = u.next_offset;
	}
	tg->failures = 0;
	tg->isolate = 0;
	tg_updates_free(&u);
	poll_once(tg);
}

static void poll_once(struct tg *tg)
{
	if (tg->state == TG_STOPPED)
		return;
	tg->state = TG_POLLING;
	cJSON *o = cJSON_CreateObject();
	if (tg->offset > 0)
		cJSON_AddNumberToObject(o, "offset", (double)tg->offset);
	cJSON_AddNumberToObject(o, "timeout", tg->cfg->wait);
	cJSON_AddNumberToObject(o, "limit", tg->isolate ? 1 : 100);
	if (!tg->sent_allowed) {
		const char *kinds[] = {"message", "edited_message", "callback_query",
				       "my_chat_member"};
		cJSON_AddItemToObject(o, "allowed_updates", cJSON_CreateStringArray(kinds, 4));
		tg->sent_allowed = 1;
	}
	char *body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *url = method_url(tg, "getUpdates");
	struct http_request_opts opts = {.method = "POST", .url = url, .body = body,
					 .body_len = strlen(body),
					 .content_type = "application/json",
					 .timeout_ms = (long)(tg->cfg->wait + 10) * 1000,
					 .max_response = 16u << 20};
	if (http_request(tg->base.app->http, &opts, poll_cb, tg, &tg->poll_req) < 0)
		backoff(tg, 0, TG_BACKOFF);
	free(url);
	free(body);
}

static int tg_start(struct channel *ch)
{
	struct tg *tg = (struct tg *)ch;
	char *cursor = NULL;
	if (store_cursor_get(ch->app->store, "telegram", &cursor) < 0)
		return -1;
	tg->offset = cursor ? strtoll(cursor, NULL, 10) : 0;
	free(cursor);
	log_info("telegram: starting (resume offset %lld)", (long long)tg->offset);
	poll_once(tg);
	return 0;
}

static void tg_stop(struct channel *ch)
{
	struct tg *tg = (struct tg *)ch;
	tg->state = TG_STOPPED;
	uv_timer_stop(&tg->retry_timer);
	if (tg->poll_req)
		http_cancel(ch->app->http, tg->poll_req);
	tg->poll_req = 0;
}

struct send_ctx {
	struct tg *tg;
	channel_sent_cb cb;
	void *arg;
	int callback_answer;
};

static void send_cb(void *arg, const struct http_response *res)
{
	struct send_ctx *s = arg;
	struct send_result r;
	tg_classify_send(res->status, res->transport_error, res->body, &r);
	if (s->callback_answer && r.outcome == SEND_BLOCKED)
		r.outcome = SEND_FAILED; /* "query is too old" and the like: nothing to do */
	s->tg->sends_in_flight--;
	s->cb(s->arg, &r);
	free(s);
}

static int tg_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		   void *arg)
{
	struct tg *tg = (struct tg *)ch;
	int callback = row->kind && strcmp(row->kind, "callback_answer") == 0;
	char *body = callback ? tg_callback_body(row) : tg_send_body(row);
	if (!body)
		return -1;
	struct send_ctx *s = xcalloc(1, sizeof *s);
	s->tg = tg;
	s->cb = cb;
	s->arg = arg;
	s->callback_answer = callback;
	char *url = method_url(tg, callback ? "answerCallbackQuery" : "sendMessage");
	struct http_request_opts opts = {.method = "POST", .url = url, .body = body,
					 .body_len = strlen(body),
					 .content_type = "application/json", .timeout_ms = 20000};
	int r = http_request(ch->app->http, &opts, send_cb, s, NULL);
	free(url);
	free(body);
	if (r < 0) {
		free(s);
		return -1;
	}
	tg->sends_in_flight++;
	return 0;
}

static const char *tg_state(const struct channel *ch)
{
	return state_names[((const struct tg *)ch)->state];
}

static size_t tg_in_flight(const struct channel *ch)
{
	const struct tg *tg = (const struct tg *)ch;
	return tg->sends_in_flight + (tg->poll_req ? 1 : 0);
}

static void timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void tg_free(struct channel *ch)
{
	struct tg *tg = (struct tg *)ch;
	tg_stop(ch);
	uv_close((uv_handle_t *)&tg->retry_timer, timer_closed);
}

static const struct channel_ops tg_ops = {
	.name = "telegram",
	.max_text = TG_MAX_TEXT,
	.start = tg_start,
	.stop = tg_stop,
	.send = tg_send,
	.state = tg_state,
	.in_flight = tg_in_flight,
	.free = tg_free,
};

struct channel *tg_channel_new(struct app *app)
{
	struct tg *tg = xcalloc(1, sizeof *tg);
	tg->cfg = &app->cfg.telegram;
	channel_init(&tg->base, &tg_ops, app, app->cfg.telegram.rate_per_s,
		     app->cfg.telegram.chat_rate_per_s, TG_MAX_IN_FLIGHT);
	/* Telegram's allowance: about 1 a second per chat with short bursts, groups
	 * 20 a minute (no burst: a minute's 20 is the limit). */
	tg->base.chat_burst = app->cfg.telegram.chat_burst;
	tg->base.group_rate_per_s = app->cfg.telegram.group_rate_per_min / 60.0;
	tg->base.group_burst = 1;
	uv_timer_init(app->loop, &tg->retry_timer);
	tg->retry_timer.data = tg;
	return &tg->base;
}
