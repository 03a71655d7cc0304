/* The local web chat channel (see web.h). */
#include "web.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app.h"
#include "assets.h"
#include "auth.h"
#include "buf.h"
#include "channel.h"
#include "json_util.h"
#include "log.h"
#include "pipeline.h"
#include "server.h"
#include "store.h"
#include "store_console.h"
#include "xalloc.h"

#define WEB_MAX_TEXT 4096      /* characters per reply piece */
#define WEB_MAX_INPUT 4096     /* bytes a customer may send in one message */
#define WEB_HISTORY 200        /* lines sent to a reconnecting customer */
#define WEB_COOKIE "deskbot_chat"
#define WEB_COOKIE_MAX_AGE (365 * 24 * 3600)

/* One open chat socket. */
struct web_sock {
	struct web *web;
	struct ws_conn *conn; /* set on the first frame (hello) */
	int64_t peer_id;
	char name[64];        /* what the customer called themselves, or "" */
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
	struct web_sock *socks;
	size_t n_socks;
	struct web_done *done_head, *done_tail;
	size_t n_done;
	uv_timer_t done_timer;
	int stopped;
	void (*companion_stop)(void *);
	void (*companion_free)(void *);
	void *companion;
};

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

static int web_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		    void *arg)
{
	struct web *w = (struct web *)ch;
	if (row->kind && strcmp(row->kind, "message") == 0) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "message");
		const char *src = row->source ? row->source : "";
		cJSON_AddStringToObject(o, "from",
					strncmp(src, "operator", 8) == 0 ? "operator" : "bot");
		cJSON_AddStringToObject(o, "text", row->text ? row->text : "");
		cJSON_AddNumberToObject(o, "at", (double)clock_now_ms());
		cJSON_AddNumberToObject(o, "id", (double)row->id);
		add_keyboard(o, row->keyboard);
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
	/* The server has stopped: every socket is closed and its on_close has run. */
	uv_close((uv_handle_t *)&w->done_timer, web_closed_cb);
}

static const struct channel_ops web_ops = {
	.name = "web",
	.max_text = WEB_MAX_TEXT,
	.start = web_start,
	.stop = web_stop,
	.send = web_send,
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

static void chat_page_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		http_resp_error(resp, 405, "use GET");
		return;
	}
	assets_respond(resp, "chat.html");
	char token[AUTH_TOKEN_LEN + 8];
	if (http_cookie(req->cookie, WEB_COOKIE, token, sizeof token) == 0 && token_ok(token))
		return;
	if (auth_random_hex(token, AUTH_TOKEN_LEN / 2) < 0) {
		http_resp_error(resp, 503, "no random bytes");
		return;
	}
	resp->set_cookie = xasprintf(WEB_COOKIE "=%s; Path=/chat; HttpOnly; SameSite=Strict; "
					       "Max-Age=%d",
				     token, WEB_COOKIE_MAX_AGE);
}

static void chat_asset_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	const char *name = req->path + strlen("/chat/");
	if (strcmp(req->method, "GET") != 0 || strchr(name, '/') || !*name) {
		http_resp_error(resp, 404, "not found");
		return;
	}
	assets_respond(resp, name);
}

static int ws_accept(void *arg, const struct http_req *req, void **conn_data)
{
	struct web *w = arg;
	char token[AUTH_TOKEN_LEN + 8];
	if (w->stopped || !auth_origin_ok(req) ||
	    http_cookie(req->cookie, WEB_COOKIE, token, sizeof token) < 0 || !token_ok(token)) {
		log_warn("web: chat socket from %s refused (no chat cookie or foreign origin)",
			 req->peer);
		return -1;
	}
	int64_t peer = 0;
	if (store_console_web_peer(w->base.app->store, token, 1, clock_now_ms() / 1000, &peer) < 0)
		return -1;
	struct web_sock *k = xcalloc(1, sizeof *k);
	k->web = w;
	k->peer_id = peer;
	k->next = w->socks;
	w->socks = k;
	w->n_socks++;
	*conn_data = k;
	return 0;
}

struct history_ctx {
	cJSON *lines;
};

static void history_line(void *arg, const struct console_line *line)
{
	struct history_ctx *h = arg;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "from", line->from);
	cJSON_AddStringToObject(o, "text", line->text ? line->text : "");
	cJSON_AddNumberToObject(o, "at", (double)line->at_ms);
	add_keyboard(o, line->keyboard);
	cJSON_AddItemToArray(h->lines, o);
}

static void hello(struct web *w, struct web_sock *k, struct ws_conn *c, const cJSON *msg)
{
	k->conn = c;
	const char *name = json_str(msg, "name");
	if (name)
		snprintf(k->name, sizeof k->name, "%s", name);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "hello");
	cJSON_AddNumberToObject(o, "peer_id", (double)k->peer_id);
	char *s = cJSON_PrintUnformatted(o);
	server_ws_send(c, s, strlen(s));
	free(s);
	cJSON_Delete(o);
	struct history_ctx h = {cJSON_CreateArray()};
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "history");
	if (store_console_web_history(w->base.app->store, k->peer_id, WEB_HISTORY, history_line,
				      &h) < 0)
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
	char key[80], dedup[128];
	message_key(msg, key, sizeof key);
	snprintf(dedup, sizeof dedup, "%lld:%s", (long long)k->peer_id, key);
	int64_t now_ms = clock_now_ms();
	struct chan_msg m = {
		.channel = (char *)"web", .dedup_key = dedup, .peer_id = k->peer_id,
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
	if (pipeline_ingest(w->base.app, &w->base, &m, 1, NULL) < 0) {
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

struct channel *web_channel_new(struct app *app)
{
	struct web *w = xcalloc(1, sizeof *w);
	channel_init(&w->base, &web_ops, app, 0, 0, 64);
	uv_timer_init(app->loop, &w->done_timer);
	w->done_timer.data = w;
	if (app->server) {
		server_route(app->server, "/chat", chat_page_route, w);
		server_route(app->server, "/chat/*", chat_asset_route, w);
		server_ws_route(app->server, "/chat/ws", &web_ws_ops, w);
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
