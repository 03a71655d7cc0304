/* Telegram bot over getUpdates long polling (../shared/specs/telegram.md): the offset is
 * confirmed only after the batch is committed (the next getUpdates carries it), and
 * outbox rows go out with sendMessage / answerCallbackQuery. */
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
#include "tg_parse.h"
#include "xalloc.h"

#define TG_MAX_TEXT 4096
#define TG_MAX_IN_FLIGHT 32 /* bound of the latency-sized window: 30/s needs ~7 at 100 ms, and
			    * what a kill -9 can double (no idempotency key) stays small */

struct tg {
	struct channel base;
	const struct config_channel *cfg;
	struct longpoll lp;   /* state, poll request, retry timer, sends in flight */
	int64_t offset;       /* next update_id wanted; everything below is committed */
	int sent_allowed;     /* allowed_updates is sent once; it sticks on the server */
	int isolate;          /* the last batch was unreadable: fetch one update at a time */
	struct file_gets files; /* customers' files being downloaded */
	size_t file_max;      /* the fetcher's limit of one file (the same for every download) */
};

static void poll_once(struct tg *tg);

static char *method_url(struct tg *tg, const char *method)
{
	return xasprintf("%s/bot%s/%s", tg->cfg->api_url, tg->cfg->token, method);
}

static void backoff(struct tg *tg, uint64_t min_ms, enum longpoll_state state)
{
	longpoll_backoff(&tg->lp, min_ms, state);
}

static void set_webhook(struct tg *tg);

static void retry(void *owner)
{
	struct tg *tg = owner;
	if (tg->cfg->hook.url)
		set_webhook(tg);
	else
		poll_once(tg);
}

/* The kinds of update asked for, by getUpdates and setWebhook alike. */
static cJSON *allowed_updates(void)
{
	const char *kinds[] = {"message", "edited_message", "callback_query", "my_chat_member"};
	return cJSON_CreateStringArray(kinds, 4);
}

/* POSTs a JSON body (consumed) to a method; cb gets tg. */
static int call(struct tg *tg, const char *method, cJSON *body, http_done_cb cb, uint64_t *id)
{
	char *text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	char *url = method_url(tg, method);
	struct http_request_opts opts = {.method = "POST", .url = url, .body = text,
					 .body_len = strlen(text),
					 .content_type = "application/json", .timeout_ms = 20000};
	int r = http_request(tg->base.env->http, &opts, cb, tg, id);
	free(url);
	free(text);
	return r;
}

/* 1 when the answer is {"ok":true,...}. */
static int answered_ok(const struct http_response *res)
{
	cJSON *root = res->status == 200 ? cJSON_Parse(res->body) : NULL;
	int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok"));
	cJSON_Delete(root);
	return ok;
}

static void set_webhook_cb(void *arg, const struct http_response *res)
{
	struct tg *tg = arg;
	tg->lp.poll_req = 0;
	if (tg->lp.state == LONGPOLL_STOPPED)
		return;
	if (!answered_ok(res)) {
		*tg->base.m_poll_errors += 1;
		log_error("%s: setWebhook failed (HTTP %ld%s%s); retrying", tg->base.name,
			  res->status, *res->error ? ", " : "", res->error);
		backoff(tg, 0, res->status == 401 || res->status == 404 ? LONGPOLL_UNAUTHORIZED
									 : LONGPOLL_BACKOFF);
		return;
	}
	tg->lp.failures = 0;
	tg->lp.state = LONGPOLL_WEBHOOK;
	log_info("%s: webhook set; updates come to %s (no long polling)", tg->base.name,
		 tg->cfg->hook.path);
}

/* Webhook mode: Telegram posts each update to webhook_url with the secret header. */
static void set_webhook(struct tg *tg)
{
	tg->lp.state = LONGPOLL_REGISTERING;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "url", tg->cfg->hook.url);
	cJSON_AddStringToObject(o, "secret_token", tg->cfg->hook.secret);
	cJSON_AddItemToObject(o, "allowed_updates", allowed_updates());
	if (call(tg, "setWebhook", o, set_webhook_cb, &tg->lp.poll_req) < 0)
		backoff(tg, 0, LONGPOLL_BACKOFF);
}

static void delete_webhook_cb(void *arg, const struct http_response *res)
{
	struct tg *tg = arg;
	tg->lp.poll_req = 0;
	if (!answered_ok(res))
		log_error("%s: deleteWebhook failed (HTTP %ld%s%s); polling anyway", tg->base.name,
			  res->status, *res->error ? ", " : "", res->error);
	else
		log_info("%s: webhook deleted; back to long polling", tg->base.name);
	poll_once(tg);
}

/* Polling mode: a webhook left from an earlier run (or set by hand) would make every
 * getUpdates a 409, so it goes first. */
static void webhook_info_cb(void *arg, const struct http_response *res)
{
	struct tg *tg = arg;
	tg->lp.poll_req = 0;
	if (tg->lp.state == LONGPOLL_STOPPED)
		return;
	cJSON *root = res->status == 200 ? cJSON_Parse(res->body) : NULL;
	const char *url = json_str(json_obj(root, "result"), "url");
	int set = url && *url;
	cJSON_Delete(root);
	if (set && call(tg, "deleteWebhook", cJSON_CreateObject(), delete_webhook_cb,
			&tg->lp.poll_req) == 0)
		return;
	if (res->status != 200)
		log_warn("%s: getWebhookInfo failed (HTTP %ld); polling anyway", tg->base.name,
			 res->status);
	poll_once(tg);
}

/* Hands parsed updates (a getUpdates answer, or one webhook delivery with cursor NULL)
 * to the sink. Returns what the sink did. */
static int deliver_updates(struct tg *tg, const struct tg_updates *u, const char *cursor)
{
	*tg->base.m_ignored += (double)u->n_ignored;
	struct channel_block *blocks = u->n_blocks ? xcalloc(u->n_blocks, sizeof *blocks) : NULL;
	for (size_t i = 0; i < u->n_blocks; i++)
		blocks[i] = (struct channel_block){
			.peer_id = u->blocks[i].chat_id, .blocked = u->blocks[i].blocked,
			.reason = u->blocks[i].blocked ? "my_chat_member kicked" : "unblocked"};
	struct channel_batch b = {.msgs = u->msgs, .n = u->n_msgs, .blocks = blocks,
				  .n_blocks = u->n_blocks, .cursor = cursor};
	int stored = channel_deliver(&tg->base, &b);
	free(blocks);
	return stored;
}

static void poll_cb(void *arg, const struct http_response *res)
{
	struct tg *tg = arg;
	tg->lp.poll_req = 0;
	if (tg->lp.state == LONGPOLL_STOPPED)
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
			log_error("%s: update %lld is unreadable (%zu bytes); skipping it",
				  tg->base.name, (long long)bad, res->body_len);
			*tg->base.m_poll_skipped += 1;
			struct channel_batch skip = {.cursor = cursor};
			if (channel_deliver(&tg->base, &skip) == 0)
				tg->offset = bad + 1;
			tg->isolate = 0;
			tg_updates_free(&u);
			poll_once(tg);
			return;
		}
		log_warn("%s: getUpdates answer is not valid JSON (%zu bytes); fetching "
			 "updates one by one",
			 tg->base.name, res->body_len);
		tg->isolate = 1;
		tg_updates_free(&u);
		backoff(tg, 0, LONGPOLL_BACKOFF);
		return;
	}
	if (res->status != 200 || !u.ok) {
		*tg->base.m_poll_errors += 1;
		long code = res->status;
		if (code == 401 || code == 404) {
			log_error("%s: getUpdates refused (HTTP %ld): the bot token is wrong or "
				  "revoked; retrying slowly",
				  tg->base.name, code);
			backoff(tg, 60000, LONGPOLL_UNAUTHORIZED);
		} else if (code == 409) {
			log_error("%s: getUpdates conflict (HTTP 409): another instance polls "
				  "this bot or a webhook is set",
				  tg->base.name);
			backoff(tg, 5000, LONGPOLL_CONFLICT);
		} else if (code == 429) {
			log_warn("%s: getUpdates rate-limited; waiting %lld s", tg->base.name,
				 (long long)u.retry_after);
			backoff(tg, (uint64_t)(u.retry_after > 0 ? u.retry_after : 1) * 1000,
				LONGPOLL_BACKOFF);
		} else {
			log_warn("%s: getUpdates failed (HTTP %ld%s%s); backing off", tg->base.name,
				 code, *res->error ? ", " : "", res->error);
			backoff(tg, 0, LONGPOLL_BACKOFF);
		}
		tg_updates_free(&u);
		return;
	}
	if (u.next_offset > tg->offset) {
		char cursor[32];
		snprintf(cursor, sizeof cursor, "%lld", (long long)u.next_offset);
		if (deliver_updates(tg, &u, cursor) < 0) {
			/* Not committed: poll the same offset again; the batch is replayed. */
			backoff(tg, 0, LONGPOLL_BACKOFF);
			tg_updates_free(&u);
			return;
		}
		tg->offset = u.next_offset;
	}
	tg->lp.failures = 0;
	tg->isolate = 0;
	tg_updates_free(&u);
	poll_once(tg);
}

static void poll_once(struct tg *tg)
{
	if (tg->lp.state == LONGPOLL_STOPPED)
		return;
	tg->lp.state = LONGPOLL_POLLING;
	cJSON *o = cJSON_CreateObject();
	if (tg->offset > 0)
		cJSON_AddNumberToObject(o, "offset", (double)tg->offset);
	cJSON_AddNumberToObject(o, "timeout", tg->cfg->wait);
	cJSON_AddNumberToObject(o, "limit", tg->isolate ? 1 : 100);
	if (!tg->sent_allowed) {
		cJSON_AddItemToObject(o, "allowed_updates", allowed_updates());
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
	if (http_request(tg->base.env->http, &opts, poll_cb, tg, &tg->lp.poll_req) < 0)
		backoff(tg, 0, LONGPOLL_BACKOFF);
	free(url);
	free(body);
}

static int tg_start(struct channel *ch)
{
	struct tg *tg = (struct tg *)ch;
	const struct channel_sink *sink = &ch->env->sink;
	char *cursor = NULL;
	if (sink->ops->cursor(sink->arg, ch, &cursor) < 0)
		return -1;
	tg->offset = cursor ? strtoll(cursor, NULL, 10) : 0;
	free(cursor);
	longpoll_rearm(&tg->lp);
	if (tg->cfg->hook.url) {
		log_info("%s: starting in webhook mode", tg->base.name);
		set_webhook(tg);
		return 0;
	}
	log_info("%s: starting (resume offset %lld)", tg->base.name, (long long)tg->offset);
	tg->lp.state = LONGPOLL_CONNECTING;
	if (call(tg, "getWebhookInfo", cJSON_CreateObject(), webhook_info_cb, &tg->lp.poll_req) < 0)
		poll_once(tg);
	return 0;
}

/* A webhook delivery (spec section 7): 200 only once the update is committed, so that
 * Telegram resends what a crash or a store failure kept; a resend is stored once (its
 * update_id). */
static int tg_hook(struct channel *ch, const struct channel_hook_req *req,
		   struct channel_hook_answer *ans)
{
	struct tg *tg = (struct tg *)ch;
	int admit = hook_admit(ch, tg->cfg->hook.url ? tg->cfg->hook.path : NULL,
			       tg->cfg->hook.secret, "X-Telegram-Bot-Api-Secret-Token", req, ans);
	if (admit <= 0)
		return admit < 0;
	struct tg_updates u;
	int parsed = tg_parse_update(req->body, req->body_len, &u);
	hook_answer_stored(ch, parsed, parsed < 0 ? 0 : deliver_updates(tg, &u, NULL), ans);
	tg_updates_free(&u);
	return 1;
}

static void tg_stop(struct channel *ch)
{
	longpoll_stop(&((struct tg *)ch)->lp);
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
	s->tg->lp.sends_in_flight--;
	s->cb(s->arg, &r);
	free(s);
}

/* An approved file: sendDocument / sendPhoto as multipart/form-data. */
static int tg_send_file(struct tg *tg, const struct outbox_row *row, const struct chan_outfile *f,
			channel_sent_cb cb, void *arg)
{
	char chat[32];
	const char *method = NULL;
	struct http_part parts[3];
	int n = tg_file_parts(row, f, chat, &method, parts);
	if (n < 0)
		return -1;
	struct send_ctx *s = xcalloc(1, sizeof *s);
	s->tg = tg;
	s->cb = cb;
	s->arg = arg;
	char *url = method_url(tg, method);
	struct http_request_opts opts = {.method = "POST", .url = url, .parts = parts,
					 .n_parts = (size_t)n, .timeout_ms = 120000};
	int r = http_request(tg->base.env->http, &opts, send_cb, s, NULL);
	free(url);
	if (r < 0) {
		free(s);
		return -1;
	}
	tg->lp.sends_in_flight++;
	return 0;
}

static int tg_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		   void *arg)
{
	struct tg *tg = (struct tg *)ch;
	struct chan_outfile file;
	if (channel_row_file(row, &file) == 0)
		return tg_send_file(tg, row, &file, cb, arg);
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
	int r = http_request(ch->env->http, &opts, send_cb, s, NULL);
	free(url);
	free(body);
	if (r < 0) {
		free(s);
		return -1;
	}
	tg->lp.sends_in_flight++;
	return 0;
}

static void typing_cb(void *arg, const struct http_response *res)
{
	struct tg *tg = arg;
	struct send_result r;
	tg_classify_send(res->status, res->transport_error, res->body, &r);
	if (r.outcome != SEND_OK)
		log_debug("telegram: sendChatAction failed: %s", r.reason);
	tg->lp.sends_in_flight--;
}

/* sendChatAction action=typing: shown for 5 s or until the next message. */
static int tg_typing(struct channel *ch, int64_t peer_id)
{
	struct tg *tg = (struct tg *)ch;
	const struct channel_sink *sink = &ch->env->sink;
	if (!sink->ops->charge(sink->arg, ch, 1))
		return 0; /* a typing notice is not worth delaying a reply for */
	char body[96];
	snprintf(body, sizeof body, "{\"chat_id\":%lld,\"action\":\"typing\"}", (long long)peer_id);
	char *url = method_url(tg, "sendChatAction");
	struct http_request_opts opts = {.method = "POST", .url = url, .body = body,
					 .body_len = strlen(body),
					 .content_type = "application/json", .timeout_ms = 10000};
	int r = http_request(ch->env->http, &opts, typing_cb, tg, NULL);
	free(url);
	if (r < 0)
		return -1;
	tg->lp.sends_in_flight++;
	return 1;
}

/* getFile's answer names the file's path under <api_url>/file/bot<token>/. */
static char *file_url(void *arg, const struct http_response *res, char *reason,
		      size_t reason_len, int *permanent)
{
	struct tg *tg = arg;
	int64_t size;
	char *path = res->status == 200 ? tg_parse_file_path(res->body, res->body_len, &size) : NULL;
	if (!path) {
		*permanent = res->status == 400 || res->status == 200;
		snprintf(reason, reason_len, "getFile: HTTP %ld, no usable file_path", res->status);
		return NULL;
	}
	if (size > 0 && (size_t)size > tg->file_max) {
		free(path);
		*permanent = 1;
		snprintf(reason, reason_len, "file of %lld bytes is over the limit of %zu",
			 (long long)size, tg->file_max);
		return NULL;
	}
	char *url = xasprintf("%s/file/bot%s/%s", tg->cfg->api_url, tg->cfg->token, path);
	free(path);
	return url;
}

static int tg_fetch_file(struct channel *ch, const char *ref, size_t max_bytes,
			 channel_file_cb cb, void *arg)
{
	struct tg *tg = (struct tg *)ch;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file_id", ref);
	char *body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *url = method_url(tg, "getFile");
	tg->file_max = max_bytes;
	struct file_get_opts fo = {.url = url, .body = body, .resolve = file_url,
				   .resolve_arg = tg, .max_bytes = max_bytes};
	int r = file_get_start(&tg->files, ch->env->http, &fo, cb, arg);
	free(url);
	free(body);
	return r;
}

static const char *tg_state(const struct channel *ch)
{
	return longpoll_state_name(&((const struct tg *)ch)->lp);
}

static size_t tg_in_flight(const struct channel *ch)
{
	return longpoll_in_flight(&((const struct tg *)ch)->lp);
}

static void tg_closed(void *owner)
{
	free(owner);
}

static void tg_free(struct channel *ch)
{
	file_gets_cancel(&((struct tg *)ch)->files, ch->env->http);
	longpoll_close(&((struct tg *)ch)->lp, tg_closed);
}

static const struct channel_ops tg_ops = {
	.name = CHANNEL_TELEGRAM,
	.max_text = TG_MAX_TEXT,
	.start = tg_start,
	.stop = tg_stop,
	.send = tg_send,
	.typing = tg_typing,
	.hook = tg_hook,
	.fetch_file = tg_fetch_file,
	.state = tg_state,
	.in_flight = tg_in_flight,
	.free = tg_free,
};

struct channel *tg_channel_new(const struct channel_env *env, const struct config_channel *cfg)
{
	struct tg *tg = xcalloc(1, sizeof *tg);
	tg->cfg = cfg;
	channel_set_page(&tg->base, CHANNEL_TELEGRAM, cfg->label, cfg->title);
	channel_init(&tg->base, &tg_ops, env, cfg->rate_per_s, cfg->chat_rate_per_s,
		     TG_MAX_IN_FLIGHT);
	tg->base.caps.reply_to = cfg->reply_to;
	tg->base.caps.contact_button = 1; /* request_contact on a reply keyboard */
	tg->base.caps.profile_by_name = "https://t.me/";
	tg->base.caps.typing = 1;
	tg->base.caps.send_files = 1; /* sendDocument / sendPhoto */
	/* Telegram's allowance: about 1 a second per chat with short bursts, groups
	 * 20 a minute (no burst: a minute's 20 is the limit). */
	tg->base.chat_burst = cfg->chat_burst;
	tg->base.group_rate_per_s = cfg->group_rate_per_min / 60.0;
	tg->base.group_burst = 1;
	longpoll_init(&tg->lp, env->loop, env->http, retry, tg);
	return &tg->base;
}
