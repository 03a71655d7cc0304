/* The console's live-update hub (see console_hub.h): one frame per event, built once and
 * queued to every operator socket. */
#include "console_hub.h"

#include "clock.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cases.h"
#include "events.h"
#include "json_util.h"
#include "log.h"
#include "server.h"
#include "xalloc.h"

/* One operator socket. */
struct hub_conn {
	struct console_hub *hub;
	struct ws_conn *conn; /* set on the client's first frame */
	uint64_t session_id;
	char login[64];
	int dead;             /* its session ended: nothing more is sent */
	struct hub_conn *next;
};

struct console_hub {
	struct events *events;
	struct store *store;
	struct auth *auth;
	int sub;              /* events subscription handle */
	struct hub_conn *conns;
	size_t n_conns;
	/* Every frame built also goes here (the other instances on the store), or NULL. */
	void (*tap)(void *arg, const char *frame);
	void *tap_arg;
};

static cJSON *summary_of(struct console_hub *h, int64_t id)
{
	cJSON *record = NULL;
	if (id <= 0 || store_case_get_head(h->store, id, &record) < 0 || !record)
		return NULL;
	/* The queue shows the customer's last words; one indexed read per update. */
	char *last = store_case_last_text(h->store, id);
	if (last)
		cJSON_AddStringToObject(record, "last_text", last);
	free(last);
	cJSON *s = cases_summary(id, record);
	cJSON_Delete(record);
	return s;
}

char *console_hub__frame(struct console_hub *h, const char *type, const cJSON *data)
{
	int64_t id = json_int(data, "case_id", 0);
	if (id <= 0)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddNumberToObject(o, "case_id", (double)id);
	if (strcmp(type, "customer_message") == 0 || strcmp(type, "bot_message") == 0 ||
	    strcmp(type, "operator_message") == 0) {
		cJSON *e = cJSON_AddObjectToObject(o, "entry");
		const char *text = json_str(data, "text");
		const char *op = json_str(data, "operator");
		int64_t at = json_int(data, "at", 0);
		cJSON_AddNumberToObject(e, "at", (double)(at ? at : clock_now_ms() / 1000));
		cJSON_AddStringToObject(e, "from", strcmp(type, "customer_message") == 0 ? "customer"
						   : strcmp(type, "bot_message") == 0    ? "bot"
											  : "operator");
		cJSON_AddStringToObject(e, "text", text ? text : "");
		if (op)
			cJSON_AddStringToObject(e, "operator", op);
	} else if (strcmp(type, "alert") == 0) {
		const char *kind = json_str(data, "kind"), *text = json_str(data, "text");
		cJSON_AddStringToObject(o, "kind", kind ? kind : "alert");
		cJSON_AddStringToObject(o, "text", text ? text : "");
	} else if (strcmp(type, "case_created") != 0 && strcmp(type, "case_updated") != 0 &&
		   strcmp(type, "case_file") != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON *s = summary_of(h, id);
	if (s)
		cJSON_AddItemToObject(o, "case", s);
	char *frame = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return frame;
}

size_t console_hub_broadcast(struct console_hub *h, const char *json)
{
	size_t n = 0, len = strlen(json);
	int64_t now = clock_now_ms();
	for (struct hub_conn *k = h->conns; k; k = k->next) {
		if (!k->conn || k->dead)
			continue;
		if (!auth_session_by_id(h->auth, k->session_id, now)) {
			static const char bye[] = "{\"type\":\"session_expired\"}";
			k->dead = 1;
			server_ws_send(k->conn, bye, sizeof bye - 1);
			continue;
		}
		if (server_ws_send(k->conn, json, len) == 0)
			n++;
	}
	return n;
}

static void event_cb(void *arg, const char *type, const cJSON *data)
{
	struct console_hub *h = arg;
	if (!h->n_conns && !h->tap)
		return;
	char *frame = console_hub__frame(h, type, data);
	if (frame && h->n_conns)
		console_hub_broadcast(h, frame);
	if (frame && h->tap)
		h->tap(h->tap_arg, frame);
	free(frame);
}

void console_hub_set_tap(struct console_hub *h, void (*tap)(void *arg, const char *frame),
			 void *arg)
{
	h->tap = tap;
	h->tap_arg = arg;
}

static int ws_accept(void *arg, const struct http_req *req, void **conn_data)
{
	struct console_hub *h = arg;
	const struct auth_session *s = auth_session(h->auth, req->cookie, clock_now_ms());
	if (!s || !auth_origin_ok(req)) {
		log_warn("console: live-update socket from %s refused (%s)", req->peer,
			 s ? "foreign origin" : "no session");
		return -1;
	}
	struct hub_conn *k = xcalloc(1, sizeof *k);
	k->hub = h;
	k->session_id = s->id;
	snprintf(k->login, sizeof k->login, "%s", s->login);
	k->next = h->conns;
	h->conns = k;
	h->n_conns++;
	*conn_data = k;
	return 0;
}

static void ws_message(void *arg, struct ws_conn *c, const char *data, size_t len)
{
	struct console_hub *h = arg;
	struct hub_conn *k = server_ws_data(c);
	cJSON *msg = cJSON_ParseWithLength(data, len);
	const char *type = json_str(msg, "type");
	const struct auth_session *s = auth_session_by_id(h->auth, k->session_id, clock_now_ms());
	if (!s) {
		static const char bye[] = "{\"type\":\"session_expired\"}";
		if (!k->dead)
			server_ws_send(c, bye, sizeof bye - 1);
		k->dead = 1;
	} else if (type && strcmp(type, "hello") == 0) {
		k->conn = c;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "hello");
		cJSON_AddStringToObject(o, "login", s->login);
		cJSON_AddStringToObject(o, "role", s->role);
		char *out = cJSON_PrintUnformatted(o);
		server_ws_send(c, out, strlen(out));
		free(out);
		cJSON_Delete(o);
	} else if (type && strcmp(type, "ping") == 0) {
		auth_touch(h->auth, k->session_id, clock_now_ms());
		server_ws_send(c, "{\"type\":\"pong\"}", 15);
	}
	cJSON_Delete(msg);
}

static void ws_close(void *arg, struct ws_conn *c)
{
	struct console_hub *h = arg;
	struct hub_conn *k = server_ws_data(c);
	for (struct hub_conn **pp = &h->conns; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			h->n_conns--;
			break;
		}
	free(k);
}

static const struct server_ws_ops hub_ws_ops = {
	.accept = ws_accept,
	.on_message = ws_message,
	.on_close = ws_close,
};

struct console_hub *console_hub_new(struct server *server, struct events *events,
				    struct store *store, struct auth *auth)
{
	struct console_hub *h = xcalloc(1, sizeof *h);
	h->events = events;
	h->store = store;
	h->auth = auth;
	h->sub = events_subscribe(events, event_cb, h);
	if (h->sub < 0)
		log_error("console: no room for another event subscriber; live updates are off");
	if (server)
		server_ws_route(server, "/ws", &hub_ws_ops, h);
	return h;
}

void console_hub_free(struct console_hub *h)
{
	if (!h)
		return;
	if (h->sub >= 0)
		events_unsubscribe(h->events, h->sub);
	while (h->conns) {
		struct hub_conn *k = h->conns;
		h->conns = k->next;
		free(k);
	}
	free(h);
}

size_t console_hub_count(const struct console_hub *h)
{
	return h->n_conns;
}

void console_hub_forget_session(struct console_hub *h, uint64_t session_id)
{
	static const char bye[] = "{\"type\":\"session_expired\"}";
	for (struct hub_conn *k = h->conns; k; k = k->next)
		if (k->session_id == session_id && !k->dead) {
			k->dead = 1;
			if (k->conn)
				server_ws_send(k->conn, bye, sizeof bye - 1);
		}
}
