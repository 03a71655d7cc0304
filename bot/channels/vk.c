/* VK community bot over the Bots Long Poll API (../shared/specs/vk.md): get a long-poll
 * server, poll it, hand each batch to the sink (with the ts that follows it), and deliver outbox rows with
 * messages.send (deterministic random_id) and messages.sendMessageEventAnswer. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "clock.h"
#include "buf.h"
#include "channel.h"
#include "config.h"
#include "file_get.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "longpoll.h"
#include "peerset.h"
#include "vk_execute.h"
#include "vk_parse.h"
#include "xalloc.h"

#define VK_MAX_TEXT 4000        /* VK takes 9000; shorter pieces read better on phones */
#define VK_MAX_IN_FLIGHT 64     /* bound of the outbox's latency-sized window */
/* Text and keyboard bytes per execute: the multipart body carries them as they are,
 * plus JSON escaping and the calls' frame; one execute stays well under VK's 64 KB
 * (spec 7.1). */
#define VK_EXECUTE_BYTES 40000
#define VK_PROFILE_TTL_S 86400  /* users.get answers are cached a day */

struct vk {
	struct channel base;
	const struct config_channel *cfg;
	struct longpoll lp;     /* state, poll request, retry timer, sends in flight */
	char *server, *key, *ts;
	int take_server_ts;     /* after failed:3 (or with no ts at all) use the server's ts */
	int malformed;          /* consecutive unreadable answers at the same ts */
	int64_t salt;
	struct peerset profiled; /* users whose profile is known fresh in this run */
	struct file_gets files;  /* customers' files being downloaded */
};

static void get_server(struct vk *vk);
static void poll_once(struct vk *vk);

static struct buf form_start(struct vk *vk)
{
	struct buf b = {0};
	buf_puts(&b, "access_token=");
	buf_url_encode(&b, vk->cfg->token);
	buf_puts(&b, "&v=");
	buf_url_encode(&b, vk->cfg->api_version);
	return b;
}

static char *method_url(struct vk *vk, const char *method)
{
	return xasprintf("%s/%s", vk->cfg->api_url, method);
}

static int post(struct vk *vk, const char *method, struct buf *form, long timeout_ms,
		http_done_cb cb, void *arg, uint64_t *id)
{
	char *url = method_url(vk, method);
	struct http_request_opts o = {.method = "POST", .url = url, .body = form->data,
				      .body_len = form->len, .timeout_ms = timeout_ms};
	int r = http_request(vk->base.env->http, &o, cb, arg, id);
	free(url);
	buf_free(form);
	return r;
}

static void retry(void *owner)
{
	struct vk *vk = owner;
	if (!vk->server || vk->lp.failures >= 3)
		get_server(vk);
	else
		poll_once(vk);
}

/* Waits before the next attempt; a refused token stays "unauthorized" meanwhile. */
static void backoff(struct vk *vk)
{
	longpoll_backoff(&vk->lp, 0,
			 vk->lp.state == LONGPOLL_UNAUTHORIZED ? LONGPOLL_UNAUTHORIZED
							     : LONGPOLL_BACKOFF);
}

/* Saves ts as where to resume, with no messages. Returns 0 once stored. */
static int save_ts(struct vk *vk, const char *ts)
{
	struct channel_batch b = {.cursor = ts};
	return channel_deliver(&vk->base, &b);
}

static int charge(struct vk *vk, int only_if_room)
{
	const struct channel_sink *s = &vk->base.env->sink;
	return s->ops->charge(s->arg, &vk->base, only_if_room);
}

static void server_cb(void *arg, const struct http_response *res)
{
	struct vk *vk = arg;
	vk->lp.poll_req = 0;
	char *server, *key, *ts;
	int error = -1;
	if (res->status == 200 && vk_parse_lp_server(res->body, &server, &key, &ts, &error) == 0) {
		free(vk->server);
		free(vk->key);
		vk->server = server;
		vk->key = key;
		if (vk->take_server_ts || !vk->ts) {
			free(vk->ts);
			vk->ts = ts;
			vk->take_server_ts = 0;
			/* Remember the starting point at once: a bot stopped before its first
			 * batch must resume here, not from whatever "now" is at the next start. */
			if (vk->ts && save_ts(vk, vk->ts) < 0)
				log_error("%s: could not store the starting ts %s", vk->base.name,
					  vk->ts);
		} else {
			free(ts);
		}
		vk->lp.failures = 0;
		log_info("%s: long-poll server ready (ts %s)", vk->base.name,
			 vk->ts ? vk->ts : "?");
		poll_once(vk);
		return;
	}
	if (res->status == 200 && (error == 5 || error == 27 || error == 15 || error == 7)) {
		vk->lp.state = LONGPOLL_UNAUTHORIZED;
		log_error("%s: groups.getLongPollServer refused (error %d): check the community "
			  "token, its rights and vk.group_id; retrying slowly",
			  vk->base.name, error);
		vk->lp.failures = 10;
	} else {
		*vk->base.m_poll_errors += 1;
		log_warn("%s: groups.getLongPollServer failed (HTTP %ld, error %d%s%s)",
			 vk->base.name, res->status, error, *res->error ? ", " : "", res->error);
	}
	backoff(vk);
}

static void get_server(struct vk *vk)
{
	if (vk->lp.state == LONGPOLL_STOPPED)
		return;
	if (vk->lp.state != LONGPOLL_UNAUTHORIZED)
		vk->lp.state = LONGPOLL_CONNECTING;
	struct buf form = form_start(vk);
	buf_printf(&form, "&group_id=%lld", (long long)vk->cfg->group_id);
	if (post(vk, "groups.getLongPollServer", &form, 15000, server_cb, vk, &vk->lp.poll_req) < 0)
		backoff(vk);
	else
		charge(vk, 0); /* the same 20 a second as the sends */
}

/* Fetches names and follower counts of new customers, for the case record. */
static void profiles_cb(void *arg, const struct http_response *res)
{
	struct vk *vk = arg;
	vk->lp.sends_in_flight--;
	cJSON *root = res->status == 200 ? cJSON_Parse(res->body) : NULL;
	const cJSON *list = json_arr(root, "response");
	const cJSON *u;
	const struct channel_sink *sink = &vk->base.env->sink;
	cJSON_ArrayForEach(u, list)
	{
		const char *first = json_str(u, "first_name"), *last = json_str(u, "last_name");
		char *name = xasprintf("%s%s%s", first ? first : "", last ? " " : "",
				       last ? last : "");
		struct channel_profile c = {.display_name = name,
					    .screen_name = json_str(u, "screen_name"),
					    .followers = json_int(u, "followers_count", -1)};
		sink->ops->profile_put(sink->arg, &vk->base, json_int(u, "id", 0), &c);
		free(name);
	}
	if (!list)
		log_warn("%s: users.get failed (HTTP %ld); profiles stay unknown for now",
			 vk->base.name, res->status);
	cJSON_Delete(root);
}

static void fetch_profiles(struct vk *vk, const struct vk_poll *p)
{
	struct buf ids = {0};
	const struct channel_sink *sink = &vk->base.env->sink;
	for (size_t i = 0; i < p->n_msgs && i < 1000; i++) {
		int64_t user = p->msgs[i].user_id;
		if (user <= 0) /* a deleted wall comment names no author */
			continue;
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = p->msgs[j].user_id == user;
		if (seen || peerset_has(&vk->profiled, CHANNEL_VK, user))
			continue;
		int fresh = sink->ops->profile_fresh(sink->arg, &vk->base, user, VK_PROFILE_TTL_S);
		/* Asked once per run at most; the store keeps the answer for a day. */
		peerset_add(&vk->profiled, CHANNEL_VK, user);
		if (fresh)
			continue;
		buf_printf(&ids, "%s%lld", ids.len ? "," : "", (long long)user);
	}
	if (ids.len && !charge(vk, 1)) {
		/* The 20 a second are spent (a burst of replies): ask with a later batch of
		 * these customers rather than be refused with error 6. */
		for (const char *q = ids.data; *q;) {
			char *end;
			peerset_remove(&vk->profiled, CHANNEL_VK, strtoll(q, &end, 10));
			q = *end == ',' ? end + 1 : end;
		}
	} else if (ids.len) {
		struct buf form = form_start(vk);
		buf_puts(&form, "&fields=screen_name,followers_count&user_ids=");
		buf_puts(&form, ids.data);
		if (post(vk, "users.get", &form, 15000, profiles_cb, vk, NULL) == 0)
			vk->lp.sends_in_flight++;
	}
	buf_free(&ids);
}

/* Hands the events of one answer (or one Callback API delivery, cursor NULL) to the
 * sink, then asks for the profiles of new customers. Returns what the sink did. */
static int deliver_events(struct vk *vk, const struct vk_poll *p, const char *cursor)
{
	*vk->base.m_ignored += (double)p->n_ignored;
	struct channel_block *blocks = p->n_perms ? xcalloc(p->n_perms, sizeof *blocks) : NULL;
	for (size_t i = 0; i < p->n_perms; i++)
		blocks[i] = (struct channel_block){
			.peer_id = p->perms[i].user_id, .blocked = !p->perms[i].allowed,
			.reason = p->perms[i].allowed ? "message_allow" : "message_deny"};
	struct channel_batch b = {.msgs = p->msgs, .n = p->n_msgs, .blocks = blocks,
				  .n_blocks = p->n_perms, .cursor = cursor};
	int stored = channel_deliver(&vk->base, &b);
	free(blocks);
	if (stored == 0)
		fetch_profiles(vk, p);
	return stored;
}

static void poll_cb(void *arg, const struct http_response *res)
{
	struct vk *vk = arg;
	vk->lp.poll_req = 0;
	if (vk->lp.state == LONGPOLL_STOPPED)
		return;
	struct vk_poll p;
	if (res->status != 200) {
		*vk->base.m_poll_errors += 1;
		log_warn("%s: long poll failed (HTTP %ld%s%s); backing off", vk->base.name,
			 res->status, *res->error ? ", " : "", res->error);
		backoff(vk);
		return;
	}
	vk_parse_poll(res->body, res->body_len, &p);
	switch (p.kind) {
	case VK_POLL_MALFORMED: {
		*vk->base.m_poll_errors += 1;
		/* A proxy's garbage goes away on retry; an answer that stays unreadable would
		 * stop the channel for good, so after three tries its events are skipped. */
		char *next_ts = ++vk->malformed >= 3 ? vk_scan_ts(res->body) : NULL;
		if (next_ts && (!vk->ts || strcmp(next_ts, vk->ts) != 0)) {
			log_error("%s: the long-poll answer after ts %s is unreadable three times "
				  "(%zu bytes); skipping its events, continuing from ts %s",
				  vk->base.name, vk->ts ? vk->ts : "?", res->body_len, next_ts);
			*vk->base.m_poll_skipped += 1;
			if (save_ts(vk, next_ts) == 0) {
				free(vk->ts);
				vk->ts = next_ts;
				next_ts = NULL;
				vk->malformed = 0;
				free(next_ts);
				poll_once(vk);
				break;
			}
		}
		free(next_ts);
		log_warn("%s: long poll answered something that is not a long-poll answer "
			 "(%zu bytes); backing off",
			 vk->base.name, res->body_len);
		backoff(vk);
		break;
	}
	case VK_POLL_FAILED:
		if (p.failed == 1 && p.ts) {
			/* History partly lost: continue from the ts VK gives. */
			*vk->base.m_poll_restarts_history += 1;
			log_warn("%s: long poll failed:1 (history lost); continuing from ts %s",
				 vk->base.name, p.ts);
			free(vk->ts);
			vk->ts = xstrdup(p.ts);
			poll_once(vk);
		} else if (p.failed == 2) {
			*vk->base.m_poll_restarts_key += 1;
			log_info("%s: long-poll key expired; getting a new one, keeping ts %s",
				 vk->base.name, vk->ts);
			get_server(vk);
		} else {
			*vk->base.m_poll_restarts_session += 1;
			log_warn("%s: long poll failed:%d (session lost); getting a new session",
				 vk->base.name, p.failed);
			vk->take_server_ts = 1;
			get_server(vk);
		}
		break;
	case VK_POLL_UPDATES:
		if (deliver_events(vk, &p, p.ts) < 0) {
			backoff(vk); /* the same ts again: the batch is replayed and de-duplicated */
			break;
		}
		free(vk->ts);
		vk->ts = xstrdup(p.ts);
		vk->lp.failures = 0;
		vk->malformed = 0;
		poll_once(vk);
		break;
	}
	vk_poll_free(&p);
}

static void poll_once(struct vk *vk)
{
	if (vk->lp.state == LONGPOLL_STOPPED)
		return;
	vk->lp.state = LONGPOLL_POLLING;
	struct buf url = {0};
	buf_printf(&url, "%s%sact=a_check&key=", vk->server, strchr(vk->server, '?') ? "&" : "?");
	buf_url_encode(&url, vk->key);
	buf_puts(&url, "&ts=");
	buf_url_encode(&url, vk->ts ? vk->ts : "0");
	buf_printf(&url, "&wait=%d", vk->cfg->wait);
	/* The client time-out must exceed wait (spec: wait 25 -> 35 s). */
	struct http_request_opts o = {.url = url.data,
				      .timeout_ms = (long)(vk->cfg->wait + 10) * 1000,
				      .max_response = 16u << 20};
	if (http_request(vk->base.env->http, &o, poll_cb, vk, &vk->lp.poll_req) < 0)
		backoff(vk);
	buf_free(&url);
}

static int vk_start(struct channel *ch)
{
	struct vk *vk = (struct vk *)ch;
	const struct channel_sink *sink = &ch->env->sink;
	char *ts = NULL;
	if (sink->ops->cursor(sink->arg, ch, &ts) < 0)
		return -1;
	longpoll_rearm(&vk->lp);
	free(vk->ts);
	vk->ts = ts; /* poll from where we left off; NULL: start from the server's ts */
	vk->salt = sink->ops->salt(sink->arg);
	if (vk->cfg->hook.confirmation) {
		/* Callback API: VK posts the events to /hooks/vk; no long poll at all. */
		vk->lp.state = LONGPOLL_WEBHOOK;
		log_info("%s: Callback API for community %lld on /hooks/vk (no long polling)",
			 vk->base.name, (long long)vk->cfg->group_id);
		return 0;
	}
	log_info("%s: starting for community %lld (API %s, resume ts %s)", vk->base.name,
		 (long long)vk->cfg->group_id, vk->cfg->api_version, ts ? ts : "none");
	get_server(vk);
	return 0;
}

/* A Callback API delivery (spec section 8): "ok" only once its event is committed, so
 * that VK resends what a crash or a store failure kept; a resend is stored once (the
 * store's key per message, or the event_id). */
static int vk_hook(struct channel *ch, const struct channel_hook_req *req,
		   struct channel_hook_answer *ans)
{
	struct vk *vk = (struct vk *)ch;
	if (!vk->cfg->hook.confirmation || strcmp(req->path, "/hooks/vk") != 0)
		return 0;
	struct vk_poll p;
	switch (vk_parse_hook(req->body, req->body_len, vk->cfg->group_id, vk->cfg->hook.secret,
			      &p)) {
	case VK_HOOK_OTHER_GROUP:
		vk_poll_free(&p);
		return 0;
	case VK_HOOK_MALFORMED:
		/* "ok": VK would resend it as it is, and stop sending after a few errors. */
		*vk->base.m_poll_skipped += 1;
		hook_answer(ans, 200, "ok");
		break;
	case VK_HOOK_FORBIDDEN:
		log_warn("%s: Callback API delivery refused: missing or wrong secret", vk->base.name);
		hook_answer(ans, 403, "forbidden");
		break;
	case VK_HOOK_CONFIRMATION:
		log_info("%s: Callback API confirmation requested; answered", vk->base.name);
		hook_answer(ans, 200, vk->cfg->hook.confirmation);
		break;
	case VK_HOOK_EVENT:
		if (deliver_events(vk, &p, NULL) < 0)
			hook_answer(ans, 503, "store unavailable; send it again");
		else
			hook_answer(ans, 200, "ok");
		break;
	}
	vk_poll_free(&p);
	return 1;
}

static void vk_stop(struct channel *ch)
{
	longpoll_stop(&((struct vk *)ch)->lp);
}

struct send_ctx {
	struct vk *vk;
	channel_sent_cb cb;
	void *arg;
	int callback_answer;
};

static void send_cb(void *arg, const struct http_response *res)
{
	struct send_ctx *s = arg;
	struct send_result r;
	vk_classify_send(res->status, res->transport_error, res->body, &r);
	if (s->callback_answer && r.outcome != SEND_OK && r.outcome != SEND_RETRY) {
		/* An expired button event is not worth more attempts. */
		r.outcome = SEND_FAILED;
	}
	s->vk->lp.sends_in_flight--;
	s->cb(s->arg, &r);
	free(s);
}

/* An approved file: the upload server, the upload, the save, then messages.send with
 * the attachment (random_id as for any row, so a resend is not delivered twice). An
 * attachment saved on an earlier attempt (row->handle) skips straight to the send. */
struct file_send {
	struct vk *vk;
	channel_sent_cb cb;
	void *arg;
	const struct outbox_row *row; /* borrowed until cb */
	struct chan_outfile f;
	char attachment[128];
};

static void file_end(struct file_send *fs, struct send_result *r)
{
	if (r->outcome == SEND_RETRY && fs->attachment[0])
		snprintf(r->handle, sizeof r->handle, "%s", fs->attachment);
	fs->vk->lp.sends_in_flight--;
	fs->cb(fs->arg, r);
	free(fs);
}

static void __attribute__((format(printf, 2, 3))) file_retry(struct file_send *fs,
							     const char *fmt, ...)
{
	struct send_result r = {.outcome = SEND_RETRY};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.reason, sizeof r.reason, fmt, ap);
	va_end(ap);
	file_end(fs, &r);
}

static void file_sent_cb(void *arg, const struct http_response *res)
{
	struct file_send *fs = arg;
	struct send_result r;
	vk_classify_send(res->status, res->transport_error, res->body, &r);
	file_end(fs, &r);
}

static void file_message(struct file_send *fs)
{
	struct vk *vk = fs->vk;
	struct buf form = form_start(vk);
	buf_printf(&form, "&peer_id=%lld&random_id=%lld", (long long)fs->row->peer_id,
		   (long long)vk_random_id(vk->salt, fs->row->id));
	buf_puts(&form, "&attachment=");
	buf_url_encode(&form, fs->attachment);
	buf_puts(&form, "&message=");
	buf_url_encode(&form, fs->row->text ? fs->row->text : "");
	if (post(vk, "messages.send", &form, 20000, file_sent_cb, fs, NULL) < 0)
		file_retry(fs, "messages.send: could not start the request");
}

static void file_saved_cb(void *arg, const struct http_response *res)
{
	struct file_send *fs = arg;
	struct send_result r;
	vk_classify_send(res->status, res->transport_error, res->body, &r);
	if (r.outcome != SEND_OK) {
		file_end(fs, &r);
		return;
	}
	if (vk_parse_saved(fs->f.photo, res->body, fs->attachment, sizeof fs->attachment) < 0) {
		file_retry(fs, "%s answered no attachment", fs->f.photo ? "photos.saveMessagesPhoto"
									: "docs.save");
		return;
	}
	file_message(fs);
}

static void file_uploaded_cb(void *arg, const struct http_response *res)
{
	struct file_send *fs = arg;
	struct buf form = form_start(fs->vk);
	const char *method = res->status == 200
				     ? vk_save_call(fs->f.photo, res->body, fs->f.name, &form)
				     : NULL;
	if (!method) {
		buf_free(&form);
		file_retry(fs, "upload failed (HTTP %ld%s%s)", res->status, *res->error ? ", " : "",
			   res->error);
		return;
	}
	if (post(fs->vk, method, &form, 20000, file_saved_cb, fs, NULL) < 0)
		file_retry(fs, "%s: could not start the request", method);
}

static void file_server_cb(void *arg, const struct http_response *res)
{
	struct file_send *fs = arg;
	struct send_result r;
	vk_classify_send(res->status, res->transport_error, res->body, &r);
	if (r.outcome != SEND_OK) {
		file_end(fs, &r);
		return;
	}
	char *url = vk_parse_upload_url(res->body);
	if (!url) {
		file_retry(fs, "getMessagesUploadServer answered no upload_url");
		return;
	}
	struct http_part part = {.name = vk_upload_field(fs->f.photo), .data = fs->f.data,
				 .len = fs->f.len, .filename = fs->f.name, .type = fs->f.mime};
	struct http_request_opts o = {.method = "POST", .url = url, .parts = &part, .n_parts = 1,
				      .timeout_ms = 120000};
	int rc = http_request(fs->vk->base.env->http, &o, file_uploaded_cb, fs, NULL);
	free(url);
	if (rc < 0)
		file_retry(fs, "upload: could not start the request");
}

static int vk_send_file(struct vk *vk, const struct outbox_row *row, const struct chan_outfile *f,
			channel_sent_cb cb, void *arg)
{
	struct file_send *fs = xcalloc(1, sizeof *fs);
	*fs = (struct file_send){.vk = vk, .cb = cb, .arg = arg, .row = row, .f = *f};
	vk->lp.sends_in_flight++;
	if (f->handle) {
		snprintf(fs->attachment, sizeof fs->attachment, "%s", f->handle);
		file_message(fs);
		return 0;
	}
	struct buf form = form_start(vk);
	const char *method = vk_upload_server_call(f->photo, row->peer_id, &form);
	if (post(vk, method, &form, 20000, file_server_cb, fs, NULL) < 0) {
		vk->lp.sends_in_flight--;
		free(fs);
		return -1;
	}
	return 0;
}

static int vk_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		   void *arg)
{
	struct vk *vk = (struct vk *)ch;
	struct chan_outfile file;
	if (channel_row_file(row, &file) == 0)
		return vk_send_file(vk, row, &file, cb, arg);
	struct send_ctx *s = xcalloc(1, sizeof *s);
	s->vk = vk;
	s->cb = cb;
	s->arg = arg;
	struct buf form = form_start(vk);
	const char *method;
	if (row->kind && strcmp(row->kind, "callback_answer") == 0) {
		s->callback_answer = 1;
		method = "messages.sendMessageEventAnswer";
		cJSON *extra = cJSON_Parse(row->extra ? row->extra : "{}");
		const char *event_id = json_str(extra, "callback_id");
		buf_puts(&form, "&event_id=");
		buf_url_encode(&form, event_id ? event_id : "");
		buf_printf(&form, "&user_id=%lld&peer_id=%lld",
			   (long long)json_int(extra, "user_id", row->peer_id),
			   (long long)row->peer_id);
		cJSON_Delete(extra);
	} else if (row->kind && strcmp(row->kind, "wall_reply") == 0) {
		/* A public answer under the customer's comment (spec 3.3). */
		method = "wall.createComment";
		cJSON *extra = cJSON_Parse(row->extra ? row->extra : "{}");
		buf_printf(&form, "&owner_id=%lld&post_id=%lld&from_group=%lld&reply_to_comment=%lld",
			   (long long)json_int(extra, "owner_id", -vk->cfg->group_id),
			   (long long)json_int(extra, "post_id", 0), (long long)vk->cfg->group_id,
			   (long long)json_int(extra, "comment_id", 0));
		buf_puts(&form, "&message=");
		buf_url_encode(&form, row->text);
		cJSON_Delete(extra);
	} else {
		method = "messages.send";
		buf_printf(&form, "&peer_id=%lld&random_id=%lld", (long long)row->peer_id,
			   (long long)vk_random_id(vk->salt, row->id));
		if (row->reply_to > 0)
			buf_printf(&form, "&reply_to=%lld", (long long)row->reply_to);
		buf_puts(&form, "&message=");
		buf_url_encode(&form, row->text);
		char *kb = vk_keyboard(row->keyboard);
		if (kb) {
			buf_puts(&form, "&keyboard=");
			buf_url_encode(&form, kb);
			free(kb);
		}
	}
	if (post(vk, method, &form, 20000, send_cb, s, NULL) < 0) {
		free(s);
		return -1;
	}
	vk->lp.sends_in_flight++;
	return 0;
}

struct batch_ctx {
	struct vk *vk;
	size_t n;
	channel_batch_cb cb;
	void *arg;
};

static void batch_cb(void *arg, const struct http_response *res)
{
	struct batch_ctx *b = arg;
	struct send_result *out = xcalloc(b->n, sizeof *out);
	int refused = 0;
	vk_execute_parse(res->status, res->transport_error, res->body, b->n, out, &refused);
	if (refused && !b->vk->base.batch_off) {
		b->vk->base.batch_off = 1;
		log_error("%s: execute refused (%s); sending one messages.send per request "
			  "from now on",
			  b->vk->base.name, out[0].reason);
	}
	b->vk->lp.sends_in_flight--;
	b->cb(b->arg, out, b->n);
	free(out);
	free(b);
}

/* Up to 25 messages.send in one execute (spec 7.1): one request of the 20 a second. */
static int vk_send_batch(struct channel *ch, const struct outbox_row *const *rows, size_t n,
			 channel_batch_cb cb, void *arg)
{
	struct vk *vk = (struct vk *)ch;
	if (n > VK_EXECUTE_MAX)
		return -1;
	char *code = vk_execute_code(vk->salt, rows, n);
	char ctype[128];
	size_t len;
	char *body = vk_execute_body(vk->cfg->token, vk->cfg->api_version, code, ctype,
				     sizeof ctype, &len);
	free(code);
	struct batch_ctx *b = xcalloc(1, sizeof *b);
	*b = (struct batch_ctx){.vk = vk, .n = n, .cb = cb, .arg = arg};
	char *url = method_url(vk, "execute");
	struct http_request_opts o = {.method = "POST", .url = url, .body = body, .body_len = len,
				      .content_type = ctype, .timeout_ms = 30000};
	int r = http_request(vk->base.env->http, &o, batch_cb, b, NULL);
	free(url);
	free(body);
	if (r < 0) {
		free(b);
		return -1;
	}
	vk->lp.sends_in_flight++;
	return 0;
}

static const char *vk_state(const struct channel *ch)
{
	return longpoll_state_name(&((const struct vk *)ch)->lp);
}

static size_t vk_in_flight(const struct channel *ch)
{
	return longpoll_in_flight(&((const struct vk *)ch)->lp);
}

static void vk_closed(void *owner)
{
	struct vk *vk = owner;
	free(vk->server);
	free(vk->key);
	free(vk->ts);
	peerset_free(&vk->profiled);
	free(vk);
}

/* The hosts VK serves message attachments from (photos, docs, voice, stickers). */
static const char *const vk_file_hosts[] = {".userapi.com", ".vk.com", ".vk.ru",
					     ".vkuserphoto.ru", ".vkuseraudio.net",
					     ".vkuservideo.net", ".vk-cdn.net", NULL};

static int vk_fetch_file(struct channel *ch, const char *ref, size_t max_bytes,
			 channel_file_cb cb, void *arg)
{
	struct vk *vk = (struct vk *)ch;
	return file_get_url(&vk->files, ch->env->http, ref, vk->cfg->api_url, vk_file_hosts,
			    max_bytes, cb, arg);
}

static void vk_free(struct channel *ch)
{
	file_gets_cancel(&((struct vk *)ch)->files, ch->env->http);
	longpoll_close(&((struct vk *)ch)->lp, vk_closed);
}

static void typing_cb(void *arg, const struct http_response *res)
{
	struct vk *vk = arg;
	struct send_result r;
	vk_classify_send(res->status, res->transport_error, res->body, &r);
	if (r.outcome != SEND_OK)
		log_debug("vk: messages.setActivity failed: %s", r.reason);
	vk->lp.sends_in_flight--;
}

/* messages.setActivity type=typing: the customer sees "печатает…" for about 10 s. */
static int vk_typing(struct channel *ch, int64_t peer_id)
{
	struct vk *vk = (struct vk *)ch;
	if (!charge(vk, 1))
		return 0; /* a typing notice is not worth delaying a reply for */
	struct buf form = form_start(vk);
	buf_printf(&form, "&peer_id=%lld&type=typing&group_id=%lld", (long long)peer_id,
		   (long long)vk->cfg->group_id);
	if (post(vk, "messages.setActivity", &form, 10000, typing_cb, vk, NULL) < 0)
		return -1;
	vk->lp.sends_in_flight++;
	return 1;
}

static const struct channel_ops vk_ops = {
	.name = CHANNEL_VK,
	.max_text = VK_MAX_TEXT,
	.start = vk_start,
	.stop = vk_stop,
	.send = vk_send,
	.send_batch = vk_send_batch,
	.typing = vk_typing,
	.hook = vk_hook,
	.fetch_file = vk_fetch_file,
	.state = vk_state,
	.in_flight = vk_in_flight,
	.free = vk_free,
};

struct channel *vk_channel_new(const struct channel_env *env, const struct config_channel *cfg)
{
	struct vk *vk = xcalloc(1, sizeof *vk);
	vk->cfg = cfg;
	channel_set_page(&vk->base, CHANNEL_VK, cfg->label, cfg->title);
	channel_init(&vk->base, &vk_ops, env, cfg->rate_per_s, cfg->chat_rate_per_s,
		     VK_MAX_IN_FLIGHT);
	vk->base.caps.reply_to = cfg->reply_to;
	vk->base.caps.profile_by_name = "https://vk.com/";
	vk->base.caps.profile_by_id = "https://vk.com/id";
	vk->base.caps.idempotent_send = 1; /* random_id: VK drops a resent one */
	vk->base.caps.typing = 1;
	vk->base.caps.send_files = 1; /* docs / photos upload, then messages.send */
	vk->base.chat_burst = cfg->chat_burst;
	vk->base.max_batch = (size_t)cfg->execute_max;
	vk->base.max_batch_bytes = VK_EXECUTE_BYTES;
	longpoll_init(&vk->lp, env->loop, env->http, retry, vk);
	return &vk->base;
}
