/* The local web chat channel (see web.h). */
#include "web.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "assets.h"
#include "auth.h"
#include "buf.h"
#include "channel.h"
#include "config.h"
#include "json_repair.h"
#include "json_util.h"
#include "log.h"
#include "ratelimit.h"
#include "server.h"
#include "xalloc.h"

#define WEB_MAX_TEXT 4096      /* characters per reply piece */
#define WEB_MAX_INPUT 4096     /* bytes a customer may send in one message */
#define WEB_HISTORY 200        /* lines sent to a reconnecting customer */
#define WEB_HISTORY_BYTES (64 << 10) /* of text in the history frame: the oldest go first */
#define WEB_COOKIE "deskbot_chat"
#define WEB_PENDING_MAX 4096        /* tokens issued and not yet used by a chat socket */
#define WEB_PENDING_MS (3600 * 1000) /* an issued token must open a socket within an hour */
#define WEB_RATE_KEYS 65536         /* customers and addresses with a rate bucket */
#define WEB_REFUSAL_LOG_MS 10000

/* Tokens are the server's: GET /chat issues one (8 hex digits of its issue time in
 * seconds, then 56 random ones) and remembers it until a chat socket uses it; only then
 * is the customer's row created. A token the server did not issue opens nothing, and one
 * older than http.chat_token_days is refused (the page then gets a new one). */
struct pending_token {
	char token[AUTH_TOKEN_LEN + 1];
	int64_t issued_ms;
};

/* One open chat socket. */
struct web_sock {
	struct web *web;
	struct ws_conn *conn; /* set on the first frame (hello) */
	int64_t peer_id;
	char name[64];        /* what the customer called themselves, or "" */
	char addr[64];        /* the client's address, for its rate bucket */
	struct web_sock *next;
};

/* A send whose callback runs on the next loop turn (send never calls back inline). */
struct web_done {
	channel_sent_cb cb;
	void *arg;
	int64_t msg_id;
	struct web_done *next;
};

struct web {
	struct channel base;
	const struct config_http_limits *limits;
	struct web_sock *socks;
	size_t n_socks;
	struct web_done *done_head, *done_tail;
	size_t n_done;
	uv_timer_t done_timer;
	int stopped;
	void (*companion_stop)(void *);
	void (*companion_free)(void *);
	void *companion;
	struct pending_token *pending; /* a ring of WEB_PENDING_MAX */
	size_t pending_next;
	struct rl_table *rates;       /* "peer:N" and "addr:A" message buckets */
	int64_t refusal_logged_ms;
	size_t refusals_unlogged;
};

/* A refused socket or message: one log line per WEB_REFUSAL_LOG_MS, however many. */
static void log_refusal(struct web *w, const char *what, const char *peer)
{
	int64_t now = clock_now_ms();
	if (w->refusal_logged_ms && now - w->refusal_logged_ms < WEB_REFUSAL_LOG_MS) {
		w->refusals_unlogged++;
		return;
	}
	log_warn("web: %s (from %s; %zu more refusals not logged)", what, peer,
		 w->refusals_unlogged);
	w->refusal_logged_ms = now;
	w->refusals_unlogged = 0;
}

static void done_cb(uv_timer_t *t)
{
	struct web *w = t->data;
	while (w->done_head) {
		struct web_done *d = w->done_head;
		w->done_head = d->next;
		if (!w->done_head)
			w->done_tail = NULL;
		w->n_done--;
		struct send_result r = {.outcome = SEND_OK, .channel_msg_id = d->msg_id};
		channel_sent_cb cb = d->cb;
		void *arg = d->arg;
		free(d);
		cb(arg, &r);
	}
}

static void push_json(struct web *w, int64_t peer, const struct web_sock *except, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	for (struct web_sock *k = w->socks; k; k = k->next)
		if (k->conn && k->peer_id == peer && k != except)
			server_ws_send(k->conn, s, strlen(s));
	free(s);
}

static void send_error(struct ws_conn *c, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(o, "error", msg);
	char *s = cJSON_PrintUnformatted(o);
	server_ws_send(c, s, strlen(s));
	free(s);
	cJSON_Delete(o);
}

static void add_keyboard(cJSON *o, const char *keyboard)
{
	cJSON *kb = keyboard ? cJSON_Parse(keyboard) : NULL;
	if (kb)
		cJSON_AddItemToObject(o, "keyboard", kb);
}

/* An approved file in a frame: what the chat page shows and where it fetches the bytes
 * (chat_file_route: the chat's own cookie, the chat's own rows only). */
static void add_file(cJSON *o, int64_t row_id, const char *name, int photo)
{
	cJSON *f = cJSON_AddObjectToObject(o, "file");
	char url[64];
	snprintf(url, sizeof url, "/chat/files/%lld", (long long)row_id);
	cJSON_AddStringToObject(f, "url", url);
	cJSON_AddStringToObject(f, "name", name && *name ? name : "file");
	cJSON_AddBoolToObject(f, "photo", photo);
}

static int web_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		    void *arg)
{
	struct web *w = (struct web *)ch;
	struct chan_outfile file;
	int is_file = channel_row_file(row, &file) == 0;
	if (is_file || (row->kind && strcmp(row->kind, "message") == 0)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "message");
		const char *src = row->source ? row->source : "";
		cJSON_AddStringToObject(o, "from",
					strncmp(src, "operator", 8) == 0 ? "operator" : "bot");
		cJSON_AddStringToObject(o, "text", row->text ? row->text : "");
		cJSON_AddNumberToObject(o, "at", (double)clock_now_ms());
		cJSON_AddNumberToObject(o, "id", (double)row->id);
		add_keyboard(o, row->keyboard);
		if (is_file)
			add_file(o, row->id, file.name, file.photo);
		/* With no socket open the reply still counts as delivered: the chat's history
		 * in the store shows it when the customer comes back. */
		push_json(w, row->peer_id, NULL, o);
		cJSON_Delete(o);
	} else if (!row->kind || strcmp(row->kind, "callback_answer") != 0) {
		return -1; /* nothing else exists on this channel */
	}
	struct web_done *d = xcalloc(1, sizeof *d);
	d->cb = cb;
	d->arg = arg;
	d->msg_id = row->id;
	if (w->done_tail)
		w->done_tail->next = d;
	else
		w->done_head = d;
	w->done_tail = d;
	w->n_done++;
	uv_timer_start(&w->done_timer, done_cb, 0, 0);
	return 0;
}

/* The chat page shows "печатает…" until the next message or a few seconds pass. */
static int web_typing(struct channel *ch, int64_t peer_id)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "typing");
	push_json((struct web *)ch, peer_id, NULL, o);
	cJSON_Delete(o);
	return 1;
}

static int web_start(struct channel *ch)
{
	log_info("web: chat open at /chat");
	return 0;
}

static void web_stop(struct channel *ch)
{
	struct web *w = (struct web *)ch;
	w->stopped = 1;
	if (w->companion_stop)
		w->companion_stop(w->companion);
}

static const char *web_state(const struct channel *ch)
{
	const struct web *w = (const struct web *)ch;
	return w->stopped ? "stopped" : "open";
}

static size_t web_in_flight(const struct channel *ch)
{
	return ((const struct web *)ch)->n_done;
}

static void web_closed_cb(uv_handle_t *h)
{
	free(h->data);
}

static void web_free(struct channel *ch)
{
	struct web *w = (struct web *)ch;
	if (w->companion_free)
		w->companion_free(w->companion);
	while (w->done_head) {
		struct web_done *d = w->done_head;
		w->done_head = d->next;
		free(d);
	}
	free(w->pending);
	rl_free(w->rates);
	/* The server has stopped: every socket is closed and its on_close has run. */
	uv_close((uv_handle_t *)&w->done_timer, web_closed_cb);
}

static const struct channel_ops web_ops = {
	.name = CHANNEL_WEB,
	.max_text = WEB_MAX_TEXT,
	.start = web_start,
	.stop = web_stop,
	.send = web_send,
	.typing = web_typing,
	.state = web_state,
	.in_flight = web_in_flight,
	.free = web_free,
};

/* A chat token as the cookie carries it: 64 hex characters. */
static int token_ok(const char *t)
{
	if (strlen(t) != AUTH_TOKEN_LEN)
		return 0;
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static int64_t token_ttl_s(const struct web *w)
{
	return w->limits->chat_token_days * 24 * 3600;
}

/* Seconds since the token was issued, from its first 8 hex digits. */
static int64_t token_age_s(const char *t, int64_t now_s)
{
	char head[9];
	memcpy(head, t, 8);
	head[8] = '\0';
	return now_s - (int64_t)strtoll(head, NULL, 16);
}

static int token_fresh(const struct web *w, const char *t, int64_t now_ms)
{
	if (!token_ok(t))
		return 0;
	int64_t age = token_age_s(t, now_ms / 1000);
	return age >= -300 && age < token_ttl_s(w); /* 5 min of clock skew */
}

static struct pending_token *pending_find(struct web *w, const char *t, int64_t now_ms)
{
	for (size_t i = 0; i < WEB_PENDING_MAX; i++) {
		struct pending_token *p = &w->pending[i];
		if (p->token[0] && now_ms - p->issued_ms < WEB_PENDING_MS && strcmp(p->token, t) == 0)
			return p;
	}
	return NULL;
}

/* A new token, remembered as issued (the oldest issued-but-unused one makes room). */
static int token_issue(struct web *w, char *out, int64_t now_ms)
{
	char rnd[AUTH_TOKEN_LEN];
	if (auth_random_hex(rnd, (AUTH_TOKEN_LEN - 8) / 2) < 0)
		return -1;
	snprintf(out, AUTH_TOKEN_LEN + 1, "%08llx%.56s",
		 (unsigned long long)(now_ms / 1000) & 0xffffffffull,
		 rnd);
	struct pending_token *p = &w->pending[w->pending_next];
	w->pending_next = (w->pending_next + 1) % WEB_PENDING_MAX;
	snprintf(p->token, sizeof p->token, "%.*s", AUTH_TOKEN_LEN, out);
	p->issued_ms = now_ms;
	return 0;
}

/* The customer of a chat token, as the sink knows it (see channel_sink_ops.chat_peer). */
static int chat_peer(struct web *w, const char *token, int create, int64_t now_s, int64_t *peer)
{
	const struct channel_sink *s = &w->base.env->sink;
	return s->ops->chat_peer(s->arg, token, create, now_s, peer);
}

/* 1 when the browser's token names a chat we know or one we issued and is not expired. */
static int token_known(struct web *w, const char *t, int64_t now_ms)
{
	if (!token_fresh(w, t, now_ms))
		return 0;
	int64_t peer = 0;
	return pending_find(w, t, now_ms) ||
	       chat_peer(w, t, 0, now_ms / 1000, &peer) == 1;
}

static void chat_page_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	struct web *w = arg;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		http_resp_error(resp, 405, "use GET");
		return;
	}
	assets_respond(resp, "chat.html");
	int64_t now_ms = clock_now_ms();
	char token[AUTH_TOKEN_LEN + 8];
	if (http_cookie(req->cookie, WEB_COOKIE, token, sizeof token) == 0 &&
	    token_known(w, token, now_ms))
		return;
	if (token_issue(w, token, now_ms) < 0) {
		http_resp_error(resp, 503, "no random bytes");
		return;
	}
	resp->set_cookie = xasprintf(WEB_COOKIE "=%s; Path=/chat; HttpOnly; SameSite=Strict; "
					       "Max-Age=%lld",
				     token, (long long)token_ttl_s(w));
}

/* The types the chat serves a file as; anything else is bytes to save (nosniff is on). */
static const char *chat_file_type(const char *mime)
{
	static const char *const shown[] = {"image/png", "image/jpeg", "image/gif", "image/webp",
					    "application/pdf", NULL};
	for (const char *const *t = shown; *t; t++)
		if (mime && strcmp(mime, *t) == 0)
			return *t;
	return "application/octet-stream";
}

static void chat_file_bytes(void *arg, const struct channel_chat_file *f)
{
	struct http_resp *resp = arg;
	resp->status = 200;
	resp->content_type = chat_file_type(f->mime);
	resp->cache = "private, max-age=86400";
	buf_append(&resp->body, f->data, f->len);
}

/* GET /chat/files/N: an approved file a secretary sent to this chat (outbox row N), for
 * the chat's own cookie only; any other row, chat or cookie is "not found". */
static void chat_file_route(struct web *w, const struct http_req *req, const char *id_text,
			    struct http_resp *resp)
{
	char token[AUTH_TOKEN_LEN + 8], *end = NULL;
	long long row_id = strtoll(id_text, &end, 10);
	int64_t peer = 0;
	int64_t now_ms = clock_now_ms();
	const struct channel_sink *s = &w->base.env->sink;
	if (!*id_text || *end || row_id <= 0 ||
	    http_cookie(req->cookie, WEB_COOKIE, token, sizeof token) < 0 ||
	    !token_fresh(w, token, now_ms) || chat_peer(w, token, 0, now_ms / 1000, &peer) != 1 ||
	    !s->ops->chat_file) {
		http_resp_error(resp, 404, "not found");
		return;
	}
	int found = s->ops->chat_file(s->arg, peer, (int64_t)row_id, chat_file_bytes, resp);
	if (found < 0)
		http_resp_error(resp, 503, "the store is not answering");
	else if (!found)
		http_resp_error(resp, 404, "not found");
}

static void chat_asset_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	const char *name = req->path + strlen("/chat/");
	if (strcmp(req->method, "GET") == 0 && strncmp(name, "files/", 6) == 0) {
		chat_file_route(arg, req, name + 6, resp);
		return;
	}
	if (strcmp(req->method, "GET") != 0 || strchr(name, '/') || !*name) {
		http_resp_error(resp, 404, "not found");
		return;
	}
	assets_respond(resp, name);
}

/* The customer's row for token: found, or created now for a token we issued. */
static int peer_of_token(struct web *w, const char *token, int64_t now_ms, int64_t *peer)
{
	if (!token_fresh(w, token, now_ms))
		return -1;
	int found = chat_peer(w, token, 0, now_ms / 1000, peer);
	if (found != 0)
		return found == 1 ? 0 : -1;
	struct pending_token *p = pending_find(w, token, now_ms);
	if (!p || chat_peer(w, token, 1, now_ms / 1000, peer) != 1)
		return -1;
	p->token[0] = '\0'; /* used: the row is the record now */
	return 0;
}

static size_t sockets_of(const struct web *w, int64_t peer)
{
	size_t n = 0;
	for (const struct web_sock *k = w->socks; k; k = k->next)
		n += k->peer_id == peer;
	return n;
}

static int ws_accept(void *arg, const struct http_req *req, void **conn_data)
{
	struct web *w = arg;
	char token[AUTH_TOKEN_LEN + 8];
	if (w->stopped || !auth_origin_ok(req) ||
	    http_cookie(req->cookie, WEB_COOKIE, token, sizeof token) < 0 || !token_ok(token)) {
		log_refusal(w, "chat socket refused (no chat cookie or foreign origin)", req->peer);
		return -1;
	}
	int64_t peer = 0;
	if (peer_of_token(w, token, clock_now_ms(), &peer) < 0) {
		log_refusal(w, "chat socket refused (a token this server did not issue, or expired)",
			    req->peer);
		return -1;
	}
	if (sockets_of(w, peer) >= (size_t)w->limits->chat_sockets_per_customer) {
		log_refusal(w, "chat socket refused (http.chat_sockets_per_customer)", req->peer);
		return -1;
	}
	struct web_sock *k = xcalloc(1, sizeof *k);
	k->web = w;
	k->peer_id = peer;
	snprintf(k->addr, sizeof k->addr, "%s", req->peer);
	k->next = w->socks;
	w->socks = k;
	w->n_socks++;
	*conn_data = k;
	return 0;
}

struct history_ctx {
	cJSON *lines;
	size_t bytes; /* of text in lines */
};

/* Keeps the history frame small (a slow reader of a big one would be dropped): the
 * oldest lines go until the text fits WEB_HISTORY_BYTES. */
static void history_trim(struct history_ctx *h)
{
	while (h->bytes > WEB_HISTORY_BYTES && cJSON_GetArraySize(h->lines) > 1) {
		cJSON *first = cJSON_DetachItemFromArray(h->lines, 0);
		const char *t = json_str(first, "text");
		h->bytes -= t ? strlen(t) : 0;
		cJSON_Delete(first);
	}
}

static void history_line(void *arg, const struct channel_line *line)
{
	struct history_ctx *h = arg;
	h->bytes += line->text ? strlen(line->text) : 0;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "from", line->from);
	cJSON_AddStringToObject(o, "text", line->text ? line->text : "");
	cJSON_AddNumberToObject(o, "at", (double)line->at_ms);
	add_keyboard(o, line->keyboard);
	if (line->file) {
		cJSON *x = cJSON_Parse(line->file);
		const char *kind = json_str(x, "kind");
		add_file(o, line->id, json_str(x, "name"), kind && strcmp(kind, "photo") == 0);
		cJSON_Delete(x);
	}
	cJSON_AddItemToArray(h->lines, o);
	history_trim(h);
}

/* The longest prefix of s, at most max bytes, that does not end inside a character. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (n < max)
		return n;
	size_t start = n; /* back over continuation bytes to the last lead byte */
	while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return 0;
	unsigned char lead = (unsigned char)s[start - 1];
	size_t need = lead < 0xC0 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	return n - (start - 1) >= need ? n : start - 1;
}

static void hello(struct web *w, struct web_sock *k, struct ws_conn *c, const cJSON *msg)
{
	if (k->conn) { /* each hello reads the history: once per socket */
		send_error(c, "hello again? this socket is open already");
		return;
	}
	k->conn = c;
	const char *name = json_str(msg, "name");
	if (name) { /* cut on a character boundary: half a character is invalid UTF-8 */
		size_t n = utf8_cut(name, sizeof k->name - 1);
		memcpy(k->name, name, n);
		k->name[n] = '\0';
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "hello");
	cJSON_AddNumberToObject(o, "peer_id", (double)k->peer_id);
	/* The daemon's time, so the page shows times as the daemon's clock reads them
	 * ("today", "14:05") whatever the browser's clock says. */
	cJSON_AddNumberToObject(o, "now", (double)clock_now_ms());
	char *s = cJSON_PrintUnformatted(o);
	server_ws_send(c, s, strlen(s));
	free(s);
	cJSON_Delete(o);
	struct history_ctx h = {cJSON_CreateArray(), 0};
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "history");
	const struct channel_sink *sink = &w->base.env->sink;
	if (sink->ops->chat_history(sink->arg, k->peer_id, WEB_HISTORY, history_line, &h) < 0)
		log_error("web: history of chat %lld unavailable", (long long)k->peer_id);
	cJSON_AddItemToObject(o, "lines", h.lines);
	s = cJSON_PrintUnformatted(o);
	server_ws_send(c, s, strlen(s));
	free(s);
	cJSON_Delete(o);
}

/* The client's key for a message: [A-Za-z0-9_-]{1,64}, else one of ours. */
static void message_key(const cJSON *msg, char *out, size_t outlen)
{
	const char *id = json_str(msg, "id");
	size_t n = id ? strlen(id) : 0;
	int ok = n > 0 && n <= 64;
	for (size_t i = 0; ok && i < n; i++) {
		char ch = id[i];
		ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		     ch == '-' || ch == '_';
	}
	if (ok) {
		snprintf(out, outlen, "%s", id);
		return;
	}
	if (auth_random_hex(out, 16) < 0)
		snprintf(out, outlen, "t%lld", (long long)clock_now_ms());
}

/* Messages per second per customer (all of its tabs) and per address: the excess is
 * refused with an error frame naming the message, and not stored. */
static int rate_ok(struct web *w, struct web_sock *k, struct ws_conn *c, const cJSON *msg)
{
	const struct config_http_limits *l = w->limits;
	int64_t now = clock_now_ms();
	char key[RL_KEY_MAX];
	snprintf(key, sizeof key, "addr:%.58s", k->addr);
	int ok = rl_take(w->rates, key, l->address_rate_per_s, l->address_burst, now);
	snprintf(key, sizeof key, "peer:%lld", (long long)k->peer_id);
	ok = rl_take(w->rates, key, l->chat_rate_per_s, l->chat_burst, now) && ok;
	if (ok)
		return 1;
	log_refusal(w, "chat message refused (http.chat_rate_per_s / http.address_rate_per_s)",
		    k->addr);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(o, "error", "too many messages: please wait a moment and send it "
					    "again");
	cJSON_AddStringToObject(o, "code", "rate_limited");
	const char *id = json_str(msg, "id");
	if (id)
		cJSON_AddStringToObject(o, "id", id);
	char *out = cJSON_PrintUnformatted(o);
	server_ws_send(c, out, strlen(out));
	free(out);
	cJSON_Delete(o);
	return 0;
}

static void inbound(struct web *w, struct web_sock *k, struct ws_conn *c, const cJSON *msg,
		    const char *type)
{
	const char *text = NULL, *payload = NULL, *phone = NULL;
	if (strcmp(type, "message") == 0) {
		text = json_str(msg, "text");
	} else if (strcmp(type, "button") == 0) {
		text = json_str(msg, "label");
		payload = json_str(msg, "payload");
		if (!payload) {
			send_error(c, "a button needs a payload");
			return;
		}
	} else {
		phone = json_str(msg, "phone");
		text = phone;
		if (!phone || !*phone) {
			send_error(c, "a contact needs a phone");
			return;
		}
	}
	if (!text)
		text = "";
	if (strlen(text) > WEB_MAX_INPUT) {
		send_error(c, "message too long");
		return;
	}
	if (!rate_ok(w, k, c, msg))
		return;
	char key[80], dedup[128];
	message_key(msg, key, sizeof key);
	snprintf(dedup, sizeof dedup, "%lld:%s", (long long)k->peer_id, key);
	int64_t now_ms = clock_now_ms();
	struct chan_msg m = {
		.channel = (char *)CHANNEL_WEB, .dedup_key = dedup, .peer_id = k->peer_id,
		.user_id = k->peer_id, .date = now_ms / 1000, .text = (char *)text,
		.payload = (char *)payload, .contact_phone = (char *)phone,
		.display_name = k->name[0] ? k->name : NULL, .lang = NULL};
	/* Other tabs of the same customer see the line too. */
	cJSON *echo = cJSON_CreateObject();
	cJSON_AddStringToObject(echo, "type", "message");
	cJSON_AddStringToObject(echo, "from", "customer");
	cJSON_AddStringToObject(echo, "text", text);
	cJSON_AddNumberToObject(echo, "at", (double)now_ms);
	push_json(w, k->peer_id, k, echo);
	cJSON_Delete(echo);
	struct channel_batch b = {.msgs = &m, .n = 1};
	if (channel_deliver(&w->base, &b) < 0) {
		send_error(c, "not stored; please send it again");
		return;
	}
	cJSON *ack = cJSON_CreateObject();
	cJSON_AddStringToObject(ack, "type", "ack");
	cJSON_AddStringToObject(ack, "id", key);
	char *s = cJSON_PrintUnformatted(ack);
	server_ws_send(c, s, strlen(s));
	free(s);
	cJSON_Delete(ack);
}

static void ws_message(void *arg, struct ws_conn *c, const char *data, size_t len)
{
	struct web *w = arg;
	struct web_sock *k = server_ws_data(c);
	/* Invalid UTF-8 never gets further than this: it is repaired to U+FFFD before the
	 * frame is read, so nothing raw is stored, echoed to other tabs or sent to the
	 * console (whose browser would close its socket on it). */
	char *fixed = json_repair(data, len, &len, NULL);
	if (fixed)
		data = fixed;
	cJSON *msg = cJSON_ParseWithLength(data, len);
	const char *type = json_str(msg, "type");
	if (!type) {
		send_error(c, "expected a JSON object with a type");
	} else if (strcmp(type, "hello") == 0) {
		hello(w, k, c, msg);
	} else if (!k->conn) {
		send_error(c, "say hello first");
	} else if (w->stopped) {
		send_error(c, "the chat is closing; please come back in a minute");
	} else if (strcmp(type, "message") == 0 || strcmp(type, "button") == 0 ||
		   strcmp(type, "contact") == 0) {
		inbound(w, k, c, msg, type);
	} else if (strcmp(type, "ping") == 0) {
		server_ws_send(c, "{\"type\":\"pong\"}", 15);
	} else {
		send_error(c, "unknown type");
	}
	cJSON_Delete(msg);
	free(fixed);
}

static void ws_close(void *arg, struct ws_conn *c)
{
	struct web *w = arg;
	struct web_sock *k = server_ws_data(c);
	for (struct web_sock **pp = &w->socks; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			w->n_socks--;
			break;
		}
	free(k);
}

static const struct server_ws_ops web_ws_ops = {
	.accept = ws_accept,
	.on_message = ws_message,
	.on_close = ws_close,
};

struct channel *web_channel_new(const struct channel_env *env, struct server *server,
				const struct config_http_limits *limits)
{
	struct web *w = xcalloc(1, sizeof *w);
	channel_init(&w->base, &web_ops, env, 0, 0, 64);
	w->base.caps.local_chat = 1;
	w->base.caps.typing = 1;
	w->base.caps.send_files = 1; /* shown in the chat, fetched from /chat/files/N */
	w->limits = limits;
	uv_timer_init(env->loop, &w->done_timer);
	w->done_timer.data = w;
	w->pending = xcalloc(WEB_PENDING_MAX, sizeof *w->pending);
	w->rates = rl_new(WEB_RATE_KEYS);
	if (server) {
		server_route(server, "/chat", chat_page_route, w);
		server_route(server, "/chat/*", chat_asset_route, w);
		server_ws_route(server, "/chat/ws", &web_ws_ops, w);
	}
	return &w->base;
}

void web_channel_set_companion(struct channel *ch, void (*stop)(void *), void (*free_fn)(void *),
			       void *arg)
{
	struct web *w = (struct web *)ch;
	w->companion_stop = stop;
	w->companion_free = free_fn;
	w->companion = arg;
}

void *web_channel_companion(struct channel *ch)
{
	return ((struct web *)ch)->companion;
}

size_t web_channel_sockets(const struct channel *ch)
{
	return ((const struct web *)ch)->n_socks;
}
