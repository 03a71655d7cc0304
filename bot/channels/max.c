/* MAX messenger bot over GET /updates long polling (../shared/specs/max.md): the marker
 * is saved by the sink together with the batch it follows, and passed back only after
 * that commit; outbox rows go out with POST /messages and POST /answers. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "buf.h"
#include "channel.h"
#include "config.h"
#include "file_get.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "longpoll.h"
#include "max_parse.h"
#include "xalloc.h"

#define MAX_MAX_TEXT 4000
#define MAX_MAX_IN_FLIGHT 32 /* as Telegram: no idempotency key, so what a kill -9 can
			     * double stays small, and 30/s needs ~7 at 100 ms */
#define MAX_UPDATE_TYPES "message_created,message_callback,bot_started,bot_stopped,dialog_removed"
#define MAX_RATE_LIMITED_MS 5000 /* the official SDK's first wait on a 429 or 5xx */

struct max {
	struct channel base;
	const struct config_max *cfg;
	struct longpoll lp;  /* state, poll request, retry timer, sends in flight */
	int64_t marker;      /* passed back on the next poll; 0: none stored yet */
	int isolate;         /* the last answer was unreadable: fetch one update at a time */
	int unsubscribing;   /* DELETE /subscriptions in flight before polling starts */
	char auth[512];      /* "Authorization: <token>" */
	struct file_gets files; /* customers' files being downloaded */
};

static void poll_once(struct max *mx);

static void backoff(struct max *mx, uint64_t min_ms, enum longpoll_state state)
{
	longpoll_backoff(&mx->lp, min_ms, state);
}

static void subscribe(struct max *mx);

static void retry(void *owner)
{
	struct max *mx = owner;
	if (mx->cfg->hook.url)
		subscribe(mx);
	else
		poll_once(mx);
}

/* A request to the API with the token header; cb gets mx. body NULL: none. */
static int call(struct max *mx, const char *method, const char *url, const char *body,
		http_done_cb cb, uint64_t *id)
{
	struct http_request_opts opts = {.method = method, .url = url, .body = body,
					 .body_len = body ? strlen(body) : 0,
					 .content_type = body ? "application/json" : NULL,
					 .timeout_ms = 20000, .extra_header = mx->auth};
	return http_request(mx->base.env->http, &opts, cb, mx, id);
}

static void subscribe_cb(void *arg, const struct http_response *res)
{
	struct max *mx = arg;
	mx->lp.poll_req = 0;
	if (mx->lp.state == LONGPOLL_STOPPED)
		return;
	cJSON *root = res->status == 200 ? cJSON_Parse(res->body) : NULL;
	int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "success"));
	cJSON_Delete(root);
	if (!ok) {
		*mx->base.m_poll_errors += 1;
		log_error("max: POST /subscriptions failed (HTTP %ld%s%s); retrying", res->status,
			  *res->error ? ", " : "", res->error);
		backoff(mx, 0, res->status == 401 ? LONGPOLL_UNAUTHORIZED : LONGPOLL_BACKOFF);
		return;
	}
	mx->lp.failures = 0;
	mx->lp.state = LONGPOLL_WEBHOOK;
	log_info("max: webhook subscribed; updates come to %s (no long polling)",
		 mx->cfg->hook.path);
}

/* Webhook mode (spec section 6): MAX posts each update with the secret header. */
static void subscribe(struct max *mx)
{
	mx->lp.state = LONGPOLL_REGISTERING;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "url", mx->cfg->hook.url);
	const char *types[] = {"message_created", "message_callback", "bot_started",
			       "bot_stopped", "dialog_removed"};
	cJSON_AddItemToObject(o, "update_types", cJSON_CreateStringArray(types, 5));
	cJSON_AddStringToObject(o, "secret", mx->cfg->hook.secret);
	char *body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *url = xasprintf("%s/subscriptions", mx->cfg->api_url);
	if (call(mx, "POST", url, body, subscribe_cb, &mx->lp.poll_req) < 0)
		backoff(mx, 0, LONGPOLL_BACKOFF);
	free(url);
	free(body);
}

static void unsubscribed_cb(void *arg, const struct http_response *res)
{
	struct max *mx = arg;
	mx->lp.sends_in_flight--;
	if (res->status != 200)
		log_error("max: DELETE /subscriptions failed (HTTP %ld); long polling may be "
			  "refused while it stays",
			  res->status);
	if (--mx->unsubscribing == 0 && mx->lp.state != LONGPOLL_STOPPED) {
		log_info("max: webhook subscriptions removed; back to long polling");
		poll_once(mx);
	}
}

/* Polling mode: long polling stops while any subscription exists, so each one left from
 * an earlier run (or made by hand) is removed first. */
static void subscriptions_cb(void *arg, const struct http_response *res)
{
	struct max *mx = arg;
	mx->lp.poll_req = 0;
	if (mx->lp.state == LONGPOLL_STOPPED)
		return;
	cJSON *root = res->status == 200 ? cJSON_Parse(res->body) : NULL;
	const cJSON *sub;
	cJSON_ArrayForEach(sub, json_arr(root, "subscriptions"))
	{
		const char *sub_url = json_str(sub, "url");
		if (!sub_url)
			continue;
		struct buf url = {0};
		buf_printf(&url, "%s/subscriptions?url=", mx->cfg->api_url);
		buf_url_encode(&url, sub_url);
		if (call(mx, "DELETE", url.data, NULL, unsubscribed_cb, NULL) == 0) {
			mx->unsubscribing++;
			mx->lp.sends_in_flight++;
		}
		buf_free(&url);
	}
	cJSON_Delete(root);
	if (res->status != 200)
		log_warn("max: GET /subscriptions failed (HTTP %ld); polling anyway", res->status);
	if (!mx->unsubscribing)
		poll_once(mx);
}

/* Saves a marker with no messages (an update stepped over, or only ignorable ones). */
static int save_marker(struct max *mx, int64_t marker)
{
	char cursor[32];
	snprintf(cursor, sizeof cursor, "%lld", (long long)marker);
	struct channel_batch skip = {.cursor = cursor};
	if (channel_deliver(&mx->base, &skip) < 0)
		return -1;
	mx->marker = marker;
	return 0;
}

static void unreadable(struct max *mx, const struct http_response *res)
{
	*mx->base.m_poll_errors += 1;
	/* First fetch one update at a time; an update that is unreadable on its own is
	 * stepped over by its answer's marker (and only that one), so the channel never
	 * stalls. A truncated answer has no marker: it is fetched again. */
	int64_t next = mx->isolate ? max_scan_marker(res->body, res->body_len) : -1;
	if (next > 0 && next != mx->marker) {
		log_error("max: an update is unreadable (%zu bytes); skipping it", res->body_len);
		*mx->base.m_poll_skipped += 1;
		save_marker(mx, next);
		mx->isolate = 0;
		poll_once(mx);
		return;
	}
	log_warn("max: /updates answer is not valid JSON (%zu bytes); fetching updates one by "
		 "one", res->body_len);
	mx->isolate = 1;
	backoff(mx, 0, LONGPOLL_BACKOFF);
}

static void refused(struct max *mx, const struct http_response *res, const char *code)
{
	*mx->base.m_poll_errors += 1;
	long status = res->status;
	char after[32] = "";
	http_response_header(res, "Retry-After", after, sizeof after);
	int64_t after_ms = atoll(after) > 0 ? atoll(after) * 1000 : 0;
	if (status == 401) {
		log_error("max: /updates refused (HTTP 401 %s): the bot token is wrong or revoked; "
			  "retrying slowly",
			  *code ? code : "-");
		backoff(mx, 60000, LONGPOLL_UNAUTHORIZED);
	} else if (status == 429 || status == 503) {
		log_warn("max: /updates answered HTTP %ld; waiting at least %lld s", status,
			 (long long)(after_ms > MAX_RATE_LIMITED_MS ? after_ms : MAX_RATE_LIMITED_MS) /
				 1000);
		backoff(mx, (uint64_t)(after_ms > MAX_RATE_LIMITED_MS ? after_ms : MAX_RATE_LIMITED_MS),
			LONGPOLL_BACKOFF);
	} else if (status == 405 || status == 409) {
		/* Long polling stops while a webhook subscription exists. */
		log_error("max: /updates refused (HTTP %ld %s): is a webhook subscribed? (DELETE "
			  "/subscriptions)",
			  status, *code ? code : "-");
		backoff(mx, 5000, LONGPOLL_CONFLICT);
	} else {
		log_warn("max: /updates failed (HTTP %ld%s%s); backing off", status,
			 *res->error ? ", " : "", res->error);
		backoff(mx, 0, LONGPOLL_BACKOFF);
	}
}

/* Hands parsed updates (a /updates answer, or one webhook delivery with cursor NULL)
 * to the sink. Returns what the sink did. */
static int deliver_updates(struct max *mx, const struct max_updates *u, const char *cursor)
{
	*mx->base.m_ignored += (double)u->n_ignored;
	struct channel_block *blocks = u->n_blocks ? xcalloc(u->n_blocks, sizeof *blocks) : NULL;
	for (size_t i = 0; i < u->n_blocks; i++)
		blocks[i] = (struct channel_block){
			.peer_id = u->blocks[i].peer, .blocked = u->blocks[i].blocked,
			.reason = u->blocks[i].blocked ? "bot_stopped" : "bot_started"};
	struct channel_batch b = {.msgs = u->msgs, .n = u->n_msgs, .blocks = blocks,
				  .n_blocks = u->n_blocks, .cursor = cursor};
	int stored = channel_deliver(&mx->base, &b);
	free(blocks);
	return stored;
}

static void poll_cb(void *arg, const struct http_response *res)
{
	struct max *mx = arg;
	mx->lp.poll_req = 0;
	if (mx->lp.state == LONGPOLL_STOPPED)
		return;
	struct max_updates u;
	max_parse_updates(res->body, res->body_len, &u);
	if (res->status == 200 && !u.ok) {
		unreadable(mx, res);
		max_updates_free(&u);
		return;
	}
	if (res->status != 200) {
		refused(mx, res, u.error_code);
		max_updates_free(&u);
		return;
	}
	/* An answer without a marker (or with 0) keeps the stored one (spec section 2). */
	int64_t next = u.marker ? u.marker : mx->marker;
	if (u.n_msgs || u.n_blocks || next != mx->marker) {
		char cursor[32];
		snprintf(cursor, sizeof cursor, "%lld", (long long)next);
		if (deliver_updates(mx, &u, next ? cursor : NULL) < 0) {
			/* Not committed: poll with the same marker again; the batch is replayed. */
			backoff(mx, 0, LONGPOLL_BACKOFF);
			max_updates_free(&u);
			return;
		}
		mx->marker = next;
	}
	mx->lp.failures = 0;
	mx->isolate = 0;
	max_updates_free(&u);
	poll_once(mx);
}

static void poll_once(struct max *mx)
{
	if (mx->lp.state == LONGPOLL_STOPPED)
		return;
	mx->lp.state = LONGPOLL_POLLING;
	/* /updates counts against the same 30 requests a second as the sends. */
	const struct channel_sink *sink = &mx->base.env->sink;
	sink->ops->charge(sink->arg, &mx->base, 0);
	struct buf url = {0};
	buf_printf(&url, "%s/updates?limit=%d&timeout=%d&types=%s", mx->cfg->api_url,
		   mx->isolate ? 1 : mx->cfg->limit, mx->cfg->timeout, MAX_UPDATE_TYPES);
	if (mx->marker > 0)
		buf_printf(&url, "&marker=%lld", (long long)mx->marker);
	struct http_request_opts opts = {.method = "GET", .url = url.data,
					 .timeout_ms = (long)(mx->cfg->timeout + 10) * 1000,
					 .max_response = 16u << 20, .extra_header = mx->auth};
	if (http_request(mx->base.env->http, &opts, poll_cb, mx, &mx->lp.poll_req) < 0)
		backoff(mx, 0, LONGPOLL_BACKOFF);
	buf_free(&url);
}

static int max_start(struct channel *ch)
{
	struct max *mx = (struct max *)ch;
	const struct channel_sink *sink = &ch->env->sink;
	char *cursor = NULL;
	if (sink->ops->cursor(sink->arg, ch, &cursor) < 0)
		return -1;
	mx->marker = cursor ? strtoll(cursor, NULL, 10) : 0;
	free(cursor);
	longpoll_rearm(&mx->lp);
	if (mx->cfg->hook.url) {
		log_info("max: starting in webhook mode");
		subscribe(mx);
		return 0;
	}
	log_info("max: starting (resume marker %lld)", (long long)mx->marker);
	mx->lp.state = LONGPOLL_CONNECTING;
	char *url = xasprintf("%s/subscriptions", mx->cfg->api_url);
	if (call(mx, "GET", url, NULL, subscriptions_cb, &mx->lp.poll_req) < 0)
		poll_once(mx);
	free(url);
	return 0;
}

/* A webhook delivery: 200 only once the update is committed, so that MAX resends what a
 * crash or a store failure kept; a resend is stored once (its mid or callback_id). */
static int max_hook(struct channel *ch, const struct channel_hook_req *req,
		    struct channel_hook_answer *ans)
{
	struct max *mx = (struct max *)ch;
	int admit = hook_admit(ch, mx->cfg->hook.url ? mx->cfg->hook.path : NULL,
			       mx->cfg->hook.secret, "X-Max-Bot-Api-Secret", req, ans);
	if (admit <= 0)
		return admit < 0;
	struct max_updates u;
	int parsed = max_parse_update(req->body, req->body_len, &u);
	hook_answer_stored(ch, parsed, parsed < 0 ? 0 : deliver_updates(mx, &u, NULL), ans);
	max_updates_free(&u);
	return 1;
}

static void max_stop(struct channel *ch)
{
	longpoll_stop(&((struct max *)ch)->lp);
}

struct send_ctx {
	struct max *mx;
	channel_sent_cb cb;
	void *arg;
	int answer;
};

static void send_cb(void *arg, const struct http_response *res)
{
	struct send_ctx *s = arg;
	struct send_result r;
	max_classify_send(res->status, res->transport_error, res->body, s->answer, &r);
	s->mx->lp.sends_in_flight--;
	s->cb(s->arg, &r);
	free(s);
}

/* An approved file: POST /uploads, the bytes to its URL (field "data"), then the
 * message with the token. The upload URL is the platform's: it gets no Authorization
 * header. A token the platform has not processed yet ("attachment.not.ready") is kept in
 * the row (send_result.handle) and the outbox retries the message alone, waiting longer
 * each time. */
struct file_send {
	struct max *mx;
	channel_sent_cb cb;
	void *arg;
	const struct outbox_row *row; /* borrowed until cb */
	struct chan_outfile f;
	char *token;
};

static void file_end(struct file_send *fs, struct send_result *r)
{
	if (r->outcome == SEND_RETRY && fs->token)
		snprintf(r->handle, sizeof r->handle, "%s", fs->token);
	fs->mx->lp.sends_in_flight--;
	fs->cb(fs->arg, r);
	free(fs->token);
	free(fs);
}

static void file_retry(struct file_send *fs, const char *what, const struct http_response *res)
{
	struct send_result r = {.outcome = SEND_RETRY, .code = (int)res->status};
	snprintf(r.reason, sizeof r.reason, "%s (HTTP %ld%s%s)", what, res->status,
		 *res->error ? ", " : "", res->error);
	file_end(fs, &r);
}

static void file_sent_cb(void *arg, const struct http_response *res)
{
	struct file_send *fs = arg;
	struct send_result r;
	max_classify_send(res->status, res->transport_error, res->body, 0, &r);
	if (r.outcome == SEND_RETRY && r.retry_after_ms > 0 && res->status == 400) {
		/* attachment.not.ready: 1 s, 2 s, 4 s, ... up to 30 s. */
		int n = fs->row->attempts < 5 ? fs->row->attempts : 5;
		r.retry_after_ms = 1000LL << n;
	}
	file_end(fs, &r);
}

static int file_message(struct file_send *fs)
{
	struct max *mx = fs->mx;
	char query[48];
	char *url = xasprintf("%s/messages?%s", mx->cfg->api_url,
			      max_send_query(fs->row->peer_id, query, sizeof query));
	char *body = max_file_body(fs->row, fs->f.photo, fs->token);
	struct http_request_opts opts = {.method = "POST", .url = url, .body = body,
					 .body_len = strlen(body),
					 .content_type = "application/json", .timeout_ms = 20000,
					 .extra_header = mx->auth};
	int r = http_request(mx->base.env->http, &opts, file_sent_cb, fs, NULL);
	free(url);
	free(body);
	return r;
}

static void file_uploaded_cb(void *arg, const struct http_response *res)
{
	struct file_send *fs = arg;
	fs->token = res->status == 200 ? max_parse_upload_token(res->body) : NULL;
	if (!fs->token) {
		file_retry(fs, "upload failed", res);
		return;
	}
	if (file_message(fs) < 0)
		file_retry(fs, "POST /messages could not start", res);
}

static void file_url_cb(void *arg, const struct http_response *res)
{
	struct file_send *fs = arg;
	char *url = res->status == 200 ? max_parse_upload_url(res->body) : NULL;
	if (!url) {
		struct send_result r;
		max_classify_send(res->status, res->transport_error, res->body, 0, &r);
		if (r.outcome == SEND_OK)
			r.outcome = SEND_RETRY;
		snprintf(r.reason, sizeof r.reason, "POST /uploads: HTTP %ld, no upload url",
			 res->status);
		file_end(fs, &r);
		return;
	}
	struct http_part part = {.name = max_upload_field(), .data = fs->f.data, .len = fs->f.len,
				 .filename = fs->f.name, .type = fs->f.mime};
	struct http_request_opts o = {.method = "POST", .url = url, .parts = &part, .n_parts = 1,
				      .timeout_ms = 120000};
	int rc = http_request(fs->mx->base.env->http, &o, file_uploaded_cb, fs, NULL);
	free(url);
	if (rc < 0)
		file_retry(fs, "upload could not start", res);
}

static int max_send_file(struct max *mx, const struct outbox_row *row,
			 const struct chan_outfile *f, channel_sent_cb cb, void *arg)
{
	struct file_send *fs = xcalloc(1, sizeof *fs);
	*fs = (struct file_send){.mx = mx, .cb = cb, .arg = arg, .row = row, .f = *f};
	int r;
	if (f->handle) {
		fs->token = xstrdup(f->handle);
		r = file_message(fs);
	} else {
		char *url = xasprintf("%s/uploads?type=%s", mx->cfg->api_url, max_upload_type(f->photo));
		struct http_request_opts opts = {.method = "POST", .url = url, .body = "",
						 .body_len = 0, .timeout_ms = 20000,
						 .extra_header = mx->auth};
		r = http_request(mx->base.env->http, &opts, file_url_cb, fs, NULL);
		free(url);
	}
	if (r < 0) {
		free(fs->token);
		free(fs);
		return -1;
	}
	mx->lp.sends_in_flight++;
	return 0;
}

static int max_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		    void *arg)
{
	struct max *mx = (struct max *)ch;
	struct chan_outfile file;
	if (channel_row_file(row, &file) == 0)
		return max_send_file(mx, row, &file, cb, arg);
	int answer = row->kind && strcmp(row->kind, "callback_answer") == 0;
	struct buf url = {0};
	char *callback_id = NULL;
	char *body;
	if (answer) {
		body = max_answer_body(row, &callback_id);
		if (body) {
			buf_printf(&url, "%s/answers?callback_id=", mx->cfg->api_url);
			buf_url_encode(&url, callback_id);
		}
	} else {
		char query[48];
		body = max_send_body(row);
		buf_printf(&url, "%s/messages?%s", mx->cfg->api_url,
			   max_send_query(row->peer_id, query, sizeof query));
	}
	free(callback_id);
	if (!body) {
		buf_free(&url);
		return -1;
	}
	struct send_ctx *s = xcalloc(1, sizeof *s);
	*s = (struct send_ctx){.mx = mx, .cb = cb, .arg = arg, .answer = answer};
	struct http_request_opts opts = {.method = "POST", .url = url.data, .body = body,
					 .body_len = strlen(body),
					 .content_type = "application/json", .timeout_ms = 20000,
					 .extra_header = mx->auth};
	int r = http_request(ch->env->http, &opts, send_cb, s, NULL);
	buf_free(&url);
	free(body);
	if (r < 0) {
		free(s);
		return -1;
	}
	mx->lp.sends_in_flight++;
	return 0;
}

static const char *max_state(const struct channel *ch)
{
	return longpoll_state_name(&((const struct max *)ch)->lp);
}

static size_t max_in_flight(const struct channel *ch)
{
	return longpoll_in_flight(&((const struct max *)ch)->lp);
}

static void max_closed(void *owner)
{
	free(owner);
}

/* The hosts MAX serves message attachments from. */
static const char *const max_file_hosts[] = {".max.ru", ".oneme.ru", ".okcdn.ru", ".mycdn.me",
					      NULL};

static int max_fetch_file(struct channel *ch, const char *ref, size_t max_bytes,
			  channel_file_cb cb, void *arg)
{
	struct max *mx = (struct max *)ch;
	return file_get_url(&mx->files, ch->env->http, ref, mx->cfg->api_url, max_file_hosts,
			    max_bytes, cb, arg);
}

static void max_free(struct channel *ch)
{
	file_gets_cancel(&((struct max *)ch)->files, ch->env->http);
	longpoll_close(&((struct max *)ch)->lp, max_closed);
}

static const struct channel_ops max_ops = {
	.name = CHANNEL_MAX,
	.max_text = MAX_MAX_TEXT,
	.start = max_start,
	.stop = max_stop,
	.send = max_send,
	.hook = max_hook,
	.fetch_file = max_fetch_file,
	.state = max_state,
	.in_flight = max_in_flight,
	.free = max_free,
};

struct channel *max_channel_new(const struct channel_env *env, const struct config_max *cfg)
{
	struct max *mx = xcalloc(1, sizeof *mx);
	mx->cfg = cfg;
	snprintf(mx->auth, sizeof mx->auth, "Authorization: %s", cfg->token);
	channel_init(&mx->base, &max_ops, env, cfg->rate_per_s, cfg->chat_rate_per_s,
		     MAX_MAX_IN_FLIGHT);
	/* Message ids are strings ("mid.…") and the core carries 64-bit ids: replies cannot
	 * name the message they answer (link.mid) until the core can carry one. */
	mx->base.caps.reply_to = 0;
	mx->base.caps.contact_button = 1; /* request_contact on an inline keyboard */
	mx->base.caps.send_files = 1;     /* /uploads, then the token in the message */
	mx->base.chat_burst = cfg->chat_burst;
	longpoll_init(&mx->lp, env->loop, env->http, retry, mx);
	return &mx->base;
}
