/* libwebsockets HTTP + WebSocket server on a foreign libuv loop (see server.h).
 * One protocol handles both plain HTTP and WebSocket upgrades; routing is by path. */
#include "server.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "json_repair.h"
#include "log.h"
#include "ratelimit.h"
#include "xalloc.h"

#if !defined(LWS_WITH_LIBUV)
#error "deskbot needs libwebsockets built with libuv support (libwebsockets-evlib-uv)"
#endif

/* Defaults of struct server_limits (README "Listener limits"). */
#define DEF_MAX_CONNECTIONS 4096
#define DEF_MAX_PER_ADDRESS 64
#define DEF_WS_QUEUE_MAX (256u << 10) /* a reader this far behind is dropped, not buffered */
#define DEF_WS_PING_S 30
#define DEF_WS_IDLE_S 75
/* File descriptors kept out of the connection budget: the store (and its WAL), the HTTP
 * client's sockets, the log, libuv's own. */
#define FD_RESERVE 64
#define NOFILE_WANT 65536 /* the soft limit is raised towards the hard one, this far */
#define REFUSAL_LOG_MS 10000 /* at most one "refused" line per this long */
/* Request headers up to HEADER_MAX bytes are served; past it, up to what libwebsockets
 * holds (HEADER_SPACE), the answer is 431; past that libwebsockets closes the connection
 * itself (4.1 has no hook for an answer there). */
#define HEADER_MAX 8192
#define HEADER_SPACE 16384

struct route {
	char *path;
	int prefix;
	size_t max_body; /* 0: the server's */
	server_route_fn fn;
	const struct server_ws_ops *ws;
	void *arg;
	struct route *next;
};

struct ws_frame {
	struct ws_frame *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of headroom, then the payload */
};

struct ws_conn {
	struct server *srv;
	struct lws *wsi;
	const struct route *route;
	void *data;
	struct ws_frame *head, *tail;
	size_t queued;
	int closing;
	char peer[64];
	struct ws_conn *next;
};

/* One accepted TCP connection, admitted against the budget and its address's cap. It
 * hangs off the wsi (lws opaque user data) from SERVER_NEW_CLIENT_INSTANTIATED to
 * WSI_DESTROY, which is the one callback every accepted connection gets exactly once. */
struct conn_track {
	char addr[64];
};

/* Refusals are counted always but logged at most once per REFUSAL_LOG_MS. */
struct refusal_log {
	int64_t last_ms;
	size_t suppressed;
};

struct server {
	uv_loop_t *loop;
	struct lws_context *context; /* NULLed by libwebsockets when destroyed */
	struct lws_vhost *vhost;
	struct route *routes;
	struct ws_conn *conns;
	size_t n_conns;
	size_t max_body;
	int port;
	struct server_limits limits;
	size_t budget;            /* max_connections, capped by RLIMIT_NOFILE */
	size_t n_open;            /* accepted connections alive */
	size_t n_refused;
	struct rl_table *per_addr; /* open connections per address */
	struct conn_track *admitted; /* admitted by FILTER_NETWORK_CONNECTION, not yet bound */
	struct refusal_log refusals, hosts;
	lws_retry_bo_t idle_policy; /* WebSocket ping and hang-up (must outlive the vhost) */
	uv_timer_t wait_timer; /* waits for the context to finish destroying */
	int wait_ticks;
	void (*done)(void *);
	void *done_arg;
	struct pss *routing; /* the transaction whose route runs now (server_defer) */
	struct lws *routing_wsi;
};

/* A response a route gives later (server_defer): filled in resp, sent by
 * server_deferred_send. pss is NULL once the connection is gone; then send only frees. */
struct http_deferred {
	struct http_resp resp;
	struct pss *pss;
	struct lws *wsi;
	struct server *srv; /* valid while pss is */
};

/* Per-connection state for HTTP transactions (and the link to a ws_conn). */
struct pss {
	char *path;
	char *method;
	struct buf body;
	int too_big;
	int headers_too_big;
	struct http_resp resp;
	size_t sent;
	int headers_sent;
	struct ws_conn *ws;
	struct http_deferred *deferred; /* the route answers later */
	int deferred_ready;             /* ...and has: send the headers when writable */
};

static const struct route *find_route(const struct server *s, const char *path, int ws)
{
	for (const struct route *r = s->routes; r; r = r->next) {
		if (ws != (r->ws != NULL))
			continue;
		if (r->prefix ? strncmp(path, r->path, strlen(r->path)) == 0
			      : strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

/* The body limit of the route a request goes to. */
static size_t body_limit(const struct server *s, const char *path)
{
	const struct route *r = find_route(s, path, 0);
	return r && r->max_body ? r->max_body : s->max_body;
}

static void add_route(struct server *s, const char *path, server_route_fn fn,
		      const struct server_ws_ops *ws, void *arg, size_t max_body)
{
	struct route *r = xcalloc(1, sizeof *r);
	r->max_body = max_body;
	size_t n = strlen(path);
	r->prefix = n && path[n - 1] == '*';
	r->path = xstrndup(path, r->prefix ? n - 1 : n);
	r->fn = fn;
	r->ws = ws;
	r->arg = arg;
	struct route **pp = &s->routes;
	while (*pp)
		pp = &(*pp)->next;
	*pp = r;
}

void server_route(struct server *s, const char *path, server_route_fn fn, void *arg)
{
	add_route(s, path, fn, NULL, arg, 0);
}

void server_route_max_body(struct server *s, const char *path, server_route_fn fn, void *arg,
			   size_t max_body)
{
	add_route(s, path, fn, NULL, arg, max_body);
}

void server_ws_route(struct server *s, const char *path, const struct server_ws_ops *ops,
		     void *arg)
{
	add_route(s, path, NULL, ops, arg, 0);
}

static char *hdr(struct lws *wsi, enum lws_token_indexes t)
{
	int n = lws_hdr_total_length(wsi, t);
	if (n <= 0)
		return xstrdup("");
	char *v = xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, v, n + 1, t) < 0)
		v[0] = '\0';
	return v;
}

/* Bytes of the headers libwebsockets parsed (known ones; the URI and its arguments too). */
static size_t header_bytes(struct lws *wsi)
{
	size_t n = 0;
	for (int t = 0; t < (int)WSI_TOKEN_COUNT; t++) {
		int len = lws_hdr_total_length(wsi, (enum lws_token_indexes)t);
		n += len > 0 ? (size_t)len : 0;
	}
	return n;
}

/* Collected request headers; freed with req_headers_free. */
struct req_headers {
	char *query, *cookie, *auth, *ctype, *origin, *host, *csrf, *hook_secret;
	char peer[64];
};

/* A header libwebsockets has no token for (name lower-case with its colon), or "" when
 * absent or longer than 256 bytes (no secret or token we read is that long). */
static char *custom_hdr(struct lws *wsi, const char *name)
{
	int len = (int)strlen(name);
	int n = lws_hdr_custom_length(wsi, name, len);
	if (n <= 0 || n > 256)
		return xstrdup("");
	char *v = xmalloc((size_t)n + 1);
	if (lws_hdr_custom_copy(wsi, v, n + 1, name, len) < 0)
		v[0] = '\0';
	return v;
}

static void req_headers_read(struct lws *wsi, struct req_headers *h)
{
	h->query = hdr(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	h->cookie = hdr(wsi, WSI_TOKEN_HTTP_COOKIE);
	h->auth = hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	h->ctype = hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	h->origin = hdr(wsi, WSI_TOKEN_ORIGIN);
	h->host = hdr(wsi, WSI_TOKEN_HOST);
	h->csrf = custom_hdr(wsi, "x-csrf-token:");
	h->hook_secret = custom_hdr(wsi, "x-telegram-bot-api-secret-token:");
	if (!*h->hook_secret) {
		free(h->hook_secret);
		h->hook_secret = custom_hdr(wsi, "x-max-bot-api-secret:");
	}
	lws_get_peer_simple(wsi, h->peer, sizeof h->peer);
}

static void req_headers_free(struct req_headers *h)
{
	free(h->query);
	free(h->cookie);
	free(h->auth);
	free(h->ctype);
	free(h->origin);
	free(h->host);
	free(h->csrf);
	free(h->hook_secret);
}

static void fill_req(struct http_req *req, struct lws *wsi, const struct req_headers *h,
		     const char *method, const char *path, const struct buf *body)
{
	*req = (struct http_req){
		.method = method, .path = path, .query = h->query,
		.body = body && body->data ? body->data : "", .body_len = body ? body->len : 0,
		.cookie = h->cookie, .authorization = h->auth, .content_type = h->ctype,
		.origin = h->origin, .host = h->host, .csrf = h->csrf,
		.hook_secret = h->hook_secret, .peer = h->peer,
		.conn = wsi};
}

/* Logs one line about a refusal unless one was logged less than REFUSAL_LOG_MS ago; the
 * lines held back are counted in the next one. A flood of refusals is one line per 10 s. */
static void log_refusal(struct refusal_log *r, const char *what, const char *peer)
{
	int64_t now = clock_now_ms();
	if (r->last_ms && now - r->last_ms < REFUSAL_LOG_MS) {
		r->suppressed++;
		return;
	}
	log_warn("server: %s (from %s; %zu more like it not logged)", what, peer, r->suppressed);
	r->last_ms = now;
	r->suppressed = 0;
}

/* "host[:port]" of an http(s) origin, or NULL. */
static const char *origin_authority(const char *origin)
{
	if (strncmp(origin, "http://", 7) == 0)
		return origin + 7;
	if (strncmp(origin, "https://", 8) == 0)
		return origin + 8;
	return NULL;
}

/* An IP literal or localhost, with or without a port: a name nobody can rebind. */
static int host_is_local_literal(const char *host)
{
	char name[256];
	size_t n = strlen(host);
	if (!n || n >= sizeof name)
		return 0;
	if (host[0] == '[') /* [v6]:port */
		return strchr(host, ']') != NULL;
	memcpy(name, host, n + 1);
	char *colon = strchr(name, ':');
	if (colon)
		*colon = '\0';
	if (strcmp(name, "localhost") == 0)
		return 1;
	for (const char *p = name; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return 0;
	return 1;
}

/* DNS rebinding: a page on evil.example whose name now points at us sends
 * Host: evil.example (and Origin: http://evil.example). Only the configured public origin
 * or a name that cannot be rebound is served; a foreign Origin is refused outright. */
static int host_origin_ok(const struct server *s, const struct req_headers *h)
{
	const char *pub = s->limits.public_origin ? origin_authority(s->limits.public_origin) : NULL;
	/* No Host at all (HTTP/1.0 health checks) is no browser, so no rebinding either. */
	int host_ok = !*h->host || host_is_local_literal(h->host) ||
		      (pub && strcmp(h->host, pub) == 0);
	int origin_ok = !*h->origin || !pub || strcmp(h->origin, s->limits.public_origin) == 0 ||
			(origin_authority(h->origin) &&
			 host_is_local_literal(origin_authority(h->origin)) &&
			 strcmp(origin_authority(h->origin), h->host) == 0);
	return host_ok && origin_ok;
}

void http_resp_json(struct http_resp *resp, int status, const char *json)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_puts(&resp->body, json);
}

void http_resp_error(struct http_resp *resp, int status, const char *message)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_puts(&resp->body, "{\"error\":\"");
	buf_json_escape(&resp->body, message);
	buf_puts(&resp->body, "\"}");
}

static void run_route(struct server *s, struct lws *wsi, struct pss *pss)
{
	struct http_resp *resp = &pss->resp;
	resp->status = 200;
	resp->content_type = "application/json";
	resp->cache = "no-store";
	if (pss->headers_too_big) {
		http_resp_error(resp, 431, "request headers too large");
		return;
	}
	if (pss->too_big) {
		http_resp_error(resp, 413, "request body too large");
		return;
	}
	const struct route *r = find_route(s, pss->path, 0);
	if (!r) {
		http_resp_error(resp, 404, "not found");
		return;
	}
	/* Invalid UTF-8 (and \u0000, lone surrogates) in a body is repaired to U+FFFD here,
	 * once for every route, so none of it is stored or put into JSON answers. */
	size_t fixed_len = 0;
	char *fixed = pss->body.len ? json_repair(pss->body.data, pss->body.len, &fixed_len, NULL)
				    : NULL;
	if (fixed) {
		buf_reset(&pss->body);
		pss->body.limit = 0; /* the repair may grow it; the limit was met as sent */
		buf_append(&pss->body, fixed, fixed_len);
		free(fixed);
	}
	struct req_headers h;
	req_headers_read(wsi, &h);
	if (!host_origin_ok(s, &h)) {
		log_refusal(&s->hosts, "request for a foreign Host or Origin refused "
				       "(set http.public_origin to serve a domain name)", h.peer);
		http_resp_error(resp, 421, "this server does not serve that host or origin");
	} else {
		struct http_req req;
		fill_req(&req, wsi, &h, pss->method, pss->path, &pss->body);
		s->routing = pss;
		s->routing_wsi = wsi;
		r->fn(r->arg, &req, resp);
		s->routing = NULL;
		s->routing_wsi = NULL;
	}
	req_headers_free(&h);
}

/* Writes the status line and headers, then asks for a writable callback for the body. */
static int send_headers(struct server *s, struct lws *wsi, struct pss *pss)
{
	unsigned char buf[LWS_PRE + 2048];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	struct http_resp *resp = &pss->resp;
	if (lws_add_http_common_headers(wsi, (unsigned int)resp->status, resp->content_type,
					resp->body.len, &p, end))
		return -1;
	static const struct {
		const char *name, *value;
	} security[] = {
		{"x-content-type-options:", "nosniff"},
		{"x-frame-options:", "DENY"},
		{"referrer-policy:", "no-referrer"},
		{"content-security-policy:",
		 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		 "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
	};
	for (size_t i = 0; i < sizeof security / sizeof security[0]; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)security[i].name,
						(const unsigned char *)security[i].value,
						(int)strlen(security[i].value), &p, end))
			return -1;
	const char *cache = resp->cache ? resp->cache : "no-store";
	if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)cache, (int)strlen(cache), &p, end))
		return -1;
	if (resp->set_cookie) {
		/* Behind TLS every cookie is Secure, whoever made it. */
		char *cookie = s->limits.secure_cookies && !strstr(resp->set_cookie, "; Secure")
				       ? xasprintf("%s; Secure", resp->set_cookie)
				       : xstrdup(resp->set_cookie);
		int bad = lws_add_http_header_by_name(wsi, (const unsigned char *)"set-cookie:",
						      (const unsigned char *)cookie,
						      (int)strlen(cookie), &p, end);
		free(cookie);
		if (bad)
			return -1;
	}
	/* An unread oversized body would be parsed as the next request: close instead. */
	if ((pss->too_big || pss->headers_too_big) &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
							(const unsigned char *)"close", 5, &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	pss->headers_sent = 1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* Sends the next piece of the body; returns 1 when the transaction is complete. */
static int send_body(struct lws *wsi, struct pss *pss)
{
	enum { CHUNK = 16384 };
	unsigned char buf[LWS_PRE + CHUNK];
	size_t left = pss->resp.body.len - pss->sent;
	size_t n = left > CHUNK ? CHUNK : left;
	int final = n == left;
	if (n)
		memcpy(buf + LWS_PRE, pss->resp.body.data + pss->sent, n);
	if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
	    (int)n)
		return -1;
	pss->sent += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	return 1;
}

/* Frees what a transaction owns; keeps the link to a WebSocket. Accepts NULL: libwebsockets
 * calls back with no per-session struct for connections dropped before a request was
 * parsed (connect+close, idle, a malformed request line, %00, oversized headers). */
static void pss_reset(struct pss *pss)
{
	if (!pss)
		return;
	if (pss->deferred)
		pss->deferred->pss = NULL; /* the client went away before the answer */
	free(pss->path);
	free(pss->method);
	buf_free(&pss->body);
	buf_free(&pss->resp.body);
	free(pss->resp.set_cookie);
	struct ws_conn *ws = pss->ws;
	*pss = (struct pss){0};
	pss->ws = ws;
}

static const char *method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes t;
		const char *name;
	} methods[] = {{WSI_TOKEN_GET_URI, "GET"}, {WSI_TOKEN_POST_URI, "POST"},
		       {WSI_TOKEN_OPTIONS_URI, "OPTIONS"}, {WSI_TOKEN_PUT_URI, "PUT"},
		       {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_DELETE_URI, "DELETE"},
		       {WSI_TOKEN_HEAD_URI, "HEAD"}};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (lws_hdr_total_length(wsi, methods[i].t) > 0)
			return methods[i].name;
	return "GET";
}

static void ws_queue_free(struct ws_conn *c)
{
	while (c->head) {
		struct ws_frame *f = c->head;
		c->head = f->next;
		free(f);
	}
	c->tail = NULL;
	c->queued = 0;
}

static void ws_conn_free(struct ws_conn *c)
{
	struct server *s = c->srv;
	for (struct ws_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->n_conns--;
	ws_queue_free(c);
	free(c);
}

static int ws_accept(struct server *s, struct lws *wsi, struct pss *pss)
{
	char *path = hdr(wsi, WSI_TOKEN_GET_URI);
	const struct route *r = find_route(s, path, 1);
	int result = -1;
	if (pss->ws) {
		log_error("server: a second upgrade on one connection refused");
		r = NULL;
	}
	if (r && header_bytes(wsi) > HEADER_MAX)
		r = NULL;
	if (r) {
		struct req_headers h;
		req_headers_read(wsi, &h);
		struct http_req req;
		fill_req(&req, wsi, &h, "GET", path, NULL);
		void *data = NULL;
		if (!host_origin_ok(s, &h)) {
			log_refusal(&s->hosts, "WebSocket for a foreign Host or Origin refused "
					       "(set http.public_origin to serve a domain name)", h.peer);
		} else if (r->ws->accept(r->arg, &req, &data) == 0) {
			struct ws_conn *c = xcalloc(1, sizeof *c);
			c->srv = s;
			c->wsi = wsi;
			c->route = r;
			c->data = data;
			snprintf(c->peer, sizeof c->peer, "%s", h.peer);
			c->next = s->conns;
			s->conns = c;
			s->n_conns++;
			pss->ws = c;
			result = 0;
		}
		req_headers_free(&h);
	}
	free(path);
	return result;
}

static int ws_write_next(struct ws_conn *c)
{
	struct ws_frame *f = c->head;
	if (!f)
		return 0;
	if (lws_write(c->wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
		return -1;
	c->head = f->next;
	if (!c->head)
		c->tail = NULL;
	c->queued -= f->len;
	free(f);
	if (c->head)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* FILTER_NETWORK_CONNECTION: the budget and the per-address cap, before libwebsockets
 * has spent anything on the connection. Refused sockets are accepted and closed at once,
 * so the listen queue drains (no accept spin) and the client sees a clean close. */
static int admit(struct server *s, int fd)
{
	char addr[64] = "";
	lws_get_peer_simple_fd(fd, addr, sizeof addr);
	if (s->admitted) { /* the previous admission never got its wsi: give it back */
		rl_release(s->per_addr, s->admitted->addr);
		s->n_open--;
		free(s->admitted);
		s->admitted = NULL;
	}
	const char *why = NULL;
	if (s->n_open >= s->budget)
		why = "connection refused: the connection budget (http.max_connections, "
		      "RLIMIT_NOFILE) is full";
	else if (!rl_acquire(s->per_addr, addr, s->limits.max_per_address))
		why = "connection refused: too many connections from one address "
		      "(http.max_per_address)";
	if (why) {
		s->n_refused++;
		log_refusal(&s->refusals, why, addr);
		return 1;
	}
	s->n_open++;
	s->admitted = xcalloc(1, sizeof *s->admitted);
	snprintf(s->admitted->addr, sizeof s->admitted->addr, "%s", addr);
	return 0;
}

static void bind_admitted(struct server *s, struct lws *wsi)
{
	if (!s->admitted)
		return;
	lws_set_opaque_user_data(wsi, s->admitted);
	s->admitted = NULL;
}

static void release_conn(struct server *s, struct lws *wsi)
{
	struct conn_track *t = lws_get_opaque_user_data(wsi);
	if (!t)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	if (s) { /* NULL only while the context is being torn down */
		rl_release(s->per_addr, t->addr);
		s->n_open--;
	}
	free(t);
}

static int on_http(struct server *s, struct lws *wsi, struct pss *pss, void *in, size_t len)
{
	pss_reset(pss);
	if (header_bytes(wsi) > HEADER_MAX) {
		pss->headers_too_big = 1;
		pss->path = xstrdup("/");
		pss->method = xstrdup("GET");
		run_route(s, wsi, pss);
		return send_headers(s, wsi, pss) ? -1 : 0;
	}
	pss->path = xstrndup(in ? (const char *)in : "/", in ? len : 1);
	pss->method = xstrdup(method_of(wsi));
	pss->body.limit = body_limit(s, pss->path);
	char clen[32] = "";
	if (lws_hdr_copy(wsi, clen, sizeof clen, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
	    strtoull(clen, NULL, 10) > pss->body.limit)
		pss->too_big = 1;
	int has_body = strcmp(pss->method, "POST") == 0 || strcmp(pss->method, "PUT") == 0 ||
		       strcmp(pss->method, "PATCH") == 0;
	if (has_body && !pss->too_big && clen[0])
		return 0; /* wait for LWS_CALLBACK_HTTP_BODY_COMPLETION (even for 0 bytes) */
	run_route(s, wsi, pss);
	if (pss->deferred)
		return 0; /* server_deferred_send asks for a writable callback */
	return send_headers(s, wsi, pss) ? -1 : 0;
}

static int on_http_writeable(struct server *s, struct lws *wsi, struct pss *pss)
{
	if (!pss->headers_sent && pss->deferred_ready) {
		pss->deferred_ready = 0;
		return send_headers(s, wsi, pss) ? -1 : 0;
	}
	if (!pss->headers_sent)
		return 0;
	int r = send_body(wsi, pss);
	if (r < 0)
		return -1;
	if (r == 1) {
		int close_now = pss->too_big || pss->headers_too_big;
		pss_reset(pss);
		if (close_now || lws_http_transaction_completed(wsi))
			return -1;
	}
	return 0;
}

static int on_ws_receive(struct server *s, struct lws *wsi, struct pss *pss, void *in, size_t len)
{
	if (!pss->ws || pss->ws->closing)
		return 0;
	/* Frames of one message are joined before delivery. */
	if (lws_is_first_fragment(wsi))
		buf_reset(&pss->body);
	pss->body.limit = s->max_body;
	if (buf_append(&pss->body, in, len) < 0)
		return -1;
	if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi))
		pss->ws->route->ws->on_message(pss->ws->route->arg, pss->ws, pss->body.data,
					       pss->body.len);
	return 0;
}

static void on_ws_closed(struct pss *pss)
{
	if (pss->ws) {
		pss->ws->route->ws->on_close(pss->ws->route->arg, pss->ws);
		ws_conn_free(pss->ws);
		pss->ws = NULL;
	}
	pss_reset(pss);
}

/* Every reason that uses the per-session struct checks it first: libwebsockets calls
 * back with user == NULL for connections that never got as far as a parsed request, and
 * with a pointer that is not ours for the listen socket's reasons. */
static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct server *s = vh ? lws_get_vhost_user(vh) : NULL;
	struct pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return s ? admit(s, (int)(intptr_t)in) : 1;
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		if (s)
			bind_admitted(s, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		release_conn(s, wsi);
		return 0;
	case LWS_CALLBACK_HTTP:
		return pss && s ? on_http(s, wsi, pss, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY:
		if (pss && buf_append(&pss->body, in, len) < 0)
			pss->too_big = 1;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!pss || !s || pss->headers_sent || !pss->path || pss->deferred)
			return 0; /* already answered (no Content-Length), or nothing to answer */
		run_route(s, wsi, pss);
		if (pss->deferred)
			return 0;
		return send_headers(s, wsi, pss) ? -1 : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return pss && s ? on_http_writeable(s, wsi, pss) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		pss_reset(pss);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return pss && s && ws_accept(s, wsi, pss) == 0 ? 0 : 1;
	case LWS_CALLBACK_ESTABLISHED:
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return pss && s ? on_ws_receive(s, wsi, pss, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!pss || !pss->ws)
			return 0;
		if (pss->ws->closing)
			return -1;
		return ws_write_next(pss->ws);
	case LWS_CALLBACK_CLOSED:
		if (pss)
			on_ws_closed(pss);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{"http", callback, sizeof(struct pss), 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

void server_ws_drop(struct ws_conn *c, const char *why)
{
	if (c->closing)
		return;
	log_refusal(&c->srv->refusals, why, c->peer);
	c->closing = 1;
	ws_queue_free(c);
	/* A reader that never reads never becomes writable: close it from the timer wheel
	 * on the next turn instead of waiting for a writable callback. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

const char *server_ws_peer(const struct ws_conn *c)
{
	return c->peer;
}

int server_ws_send(struct ws_conn *c, const char *data, size_t len)
{
	if (c->closing)
		return -1;
	if (c->queued + len > c->srv->limits.ws_queue_max) {
		server_ws_drop(c, "websocket reader too slow (http.ws_queue_max), dropped");
		return -1;
	}
	struct ws_frame *f = xmalloc(sizeof *f + LWS_PRE + len);
	f->next = NULL;
	f->len = len;
	memcpy(f->data + LWS_PRE, data, len);
	if (c->tail)
		c->tail->next = f;
	else
		c->head = f;
	c->tail = f;
	c->queued += len;
	lws_callback_on_writable(c->wsi);
	return 0;
}

void *server_ws_data(struct ws_conn *c)
{
	return c->data;
}

size_t server_ws_count(const struct server *s)
{
	return s->n_conns;
}

/* libwebsockets' log hook has no context argument, so its rate limit is the one piece of
 * process-wide state here: what clients provoke (bad headers, accept errors under EMFILE)
 * must not turn into a log flood. At most LWS_LOG_BURST lines per REFUSAL_LOG_MS. */
#define LWS_LOG_BURST 20
static struct {
	int64_t window_ms;
	unsigned lines, dropped;
} lws_log_state;

static void lws_log_cb(int level, const char *line)
{
	int64_t now = clock_now_ms();
	if (now - lws_log_state.window_ms >= REFUSAL_LOG_MS) {
		if (lws_log_state.dropped)
			log_warn("lws: %u more lines not logged", lws_log_state.dropped);
		lws_log_state.window_ms = now;
		lws_log_state.lines = lws_log_state.dropped = 0;
	}
	if (++lws_log_state.lines > LWS_LOG_BURST) {
		lws_log_state.dropped++;
		return;
	}
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_error("lws: %.*s", (int)n, line);
	else
		log_warn("lws: %.*s", (int)n, line);
}

/* Raises the soft RLIMIT_NOFILE towards the hard one (systemd's default soft limit is
 * 1024); budget_for then reads the limit in force. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > NOFILE_WANT ? NOFILE_WANT
										  : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		struct rlimit up = {want, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &up) < 0)
			log_warn("server: cannot raise RLIMIT_NOFILE to %llu: %s",
				 (unsigned long long)want, strerror(errno));
	}
}

static size_t budget_for(size_t want)
{
	struct rlimit rl;
	size_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
			      ? (size_t)rl.rlim_cur
			      : NOFILE_WANT;
	size_t room = soft > 2 * FD_RESERVE ? soft - FD_RESERVE : soft / 2;
	return want < room ? want : room;
}

void server_set_limits(struct server *s, const struct server_limits *l)
{
	struct server_limits v = *l;
	if (!v.max_connections)
		v.max_connections = DEF_MAX_CONNECTIONS;
	if (!v.max_per_address)
		v.max_per_address = DEF_MAX_PER_ADDRESS;
	if (!v.ws_queue_max)
		v.ws_queue_max = DEF_WS_QUEUE_MAX;
	if (!v.ws_ping_s)
		v.ws_ping_s = DEF_WS_PING_S;
	if (!v.ws_idle_s)
		v.ws_idle_s = DEF_WS_IDLE_S;
	if (v.ws_idle_s <= v.ws_ping_s)
		v.ws_idle_s = v.ws_ping_s + 5;
	s->limits = v;
	s->budget = budget_for(v.max_connections);
	if (!s->n_open && !s->admitted) { /* room for an address per connection of the budget */
		rl_free(s->per_addr);
		s->per_addr = rl_new(s->budget > 1024 ? s->budget : 1024);
	}
	/* libwebsockets reads the policy through the pointer the vhost was made with. */
	s->idle_policy.secs_since_valid_ping = (uint16_t)(v.ws_ping_s > 65535 ? 65535 : v.ws_ping_s);
	s->idle_policy.secs_since_valid_hangup =
		(uint16_t)(v.ws_idle_s > 65535 ? 65535 : v.ws_idle_s);
	if (s->budget < v.max_connections)
		log_warn("server: RLIMIT_NOFILE allows %zu connections, not the %zu of "
			 "http.max_connections (raise LimitNOFILE)",
			 s->budget, v.max_connections);
}

size_t server_connections(const struct server *s)
{
	return s->n_open;
}

size_t server_refused(const struct server *s)
{
	return s->n_refused;
}

int server_start(uv_loop_t *loop, const char *host, int port, size_t max_body,
		 struct server **out, char *err, size_t errlen)
{
	struct server *s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->max_body = max_body;
	static const uint32_t retry_ms[] = {1000};
	s->idle_policy = (lws_retry_bo_t){.retry_ms_table = retry_ms, .retry_ms_table_count = 1};
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_cb);
	/* Before the context: libwebsockets sizes its descriptor table from the limit. */
	raise_nofile();
	server_set_limits(s, &(struct server_limits){0});

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	void *foreign_loops[1] = {loop};
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.foreign_loops = foreign_loops;
	info.pcontext = &s->context;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.max_http_header_data = HEADER_SPACE;
	s->context = lws_create_context(&info);
	if (!s->context) {
		snprintf(err, errlen, "server: cannot create the libwebsockets context "
				      "(is libwebsockets-evlib-uv installed?)");
		rl_free(s->per_addr);
		free(s);
		return -1;
	}
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_LIBUV;
	info.port = port;
	info.iface = host;
	info.protocols = protocols;
	info.vhost_name = "deskbot";
	info.user = s;
	info.keepalive_timeout = 30;
	info.timeout_secs = 30;
	info.timeout_secs_ah_idle = 10; /* a request's headers must arrive within 10 s */
	info.retry_and_idle_policy = &s->idle_policy;
	s->vhost = lws_create_vhost(s->context, &info);
	if (!s->vhost || lws_get_vhost_listen_port(s->vhost) <= 0) {
		snprintf(err, errlen, "server: cannot listen on %s:%d (address in use or invalid)",
			 host, port);
		lws_context_destroy(s->context);
		/* The context finishes closing its handles on the loop; spin it until done
		 * (the second destroy call completes it, as in wait_cb). */
		for (int i = 0; s->context && i < 1000; i++) {
			uv_run(loop, UV_RUN_NOWAIT);
			if (s->context && i % 10 == 9)
				lws_context_destroy(s->context);
		}
		rl_free(s->per_addr);
		free(s);
		return -1;
	}
	s->port = lws_get_vhost_listen_port(s->vhost);
	*out = s;
	return 0;
}

int server_port(const struct server *s)
{
	return s->port;
}

static void wait_closed_cb(uv_handle_t *h)
{
	struct server *s = h->data;
	void (*done)(void *) = s->done;
	void *arg = s->done_arg;
	while (s->routes) {
		struct route *r = s->routes;
		s->routes = r->next;
		free(r->path);
		free(r);
	}
	free(s->admitted);
	rl_free(s->per_addr);
	free(s);
	if (done)
		done(arg);
}

static void wait_cb(uv_timer_t *t)
{
	struct server *s = t->data;
	/* libwebsockets NULLs s->context once it has closed its handles; give it 2 s. */
	if (s->context && ++s->wait_ticks < 400) {
		/* With a foreign loop, libwebsockets 4.1 finishes (destroy2/3) on a second
		 * call once its own handles have closed. */
		if (s->wait_ticks % 20 == 0)
			lws_context_destroy(s->context);
		return;
	}
	if (s->context)
		log_warn("server: libwebsockets did not finish closing in time");
	uv_timer_stop(t);
	uv_close((uv_handle_t *)t, wait_closed_cb);
}

void server_stop(struct server *s, void (*done)(void *), void *arg)
{
	s->done = done;
	s->done_arg = arg;
	if (s->context)
		lws_context_destroy(s->context);
	uv_timer_init(s->loop, &s->wait_timer);
	s->wait_timer.data = s;
	uv_timer_start(&s->wait_timer, wait_cb, 1, 5);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copies an URL-encoded value of length n into out, decoding %XX and '+'. */
static void url_decode(const char *v, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (v[i] == '+')
			out[o++] = ' ';
		else if (v[i] == '%' && i + 2 < n && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
			out[o++] = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
			i += 2;
		} else
			out[o++] = v[i];
	}
	out[o] = '\0';
}

int http_param(const char *query, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	for (const char *p = query; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			url_decode(p + n + 1, len - n - 1, out, outlen);
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}

int http_cookie(const char *cookie_header, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	for (const char *p = cookie_header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t vlen = len - n - 1;
			if (vlen >= outlen)
				return -1;
			memcpy(out, p + n + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = semi;
	}
	return -1;
}

/* libwebsockets keeps each "name=value" argument as its own fragment, already URL-decoded
 * once; the value is taken as it is (decoding it again would turn %2541 into 'A'). */
static int lws_param(struct lws *wsi, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	char frag[1024];
	for (int i = 0; i < 64; i++) {
		int len = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (len == -1)
			return -1; /* no more fragments */
		if (len < 0 || (size_t)len <= n || strncmp(frag, name, n) != 0 || frag[n] != '=')
			continue;
		size_t vlen = (size_t)len - n - 1;
		if (vlen >= outlen || memchr(frag + n + 1, '\0', vlen))
			return -2;
		memcpy(out, frag + n + 1, vlen);
		out[vlen] = '\0';
		return 0;
	}
	return -1;
}

int http_req_param(const struct http_req *req, const char *name, char *out, size_t outlen)
{
	if (req->conn)
		return lws_param((struct lws *)req->conn, name, out, outlen);
	return http_param(req->query, name, out, outlen);
}

struct http_deferred *server_defer(struct server *s, struct http_resp *resp)
{
	if (!s || !s->routing || &s->routing->resp != resp || s->routing->deferred)
		return NULL;
	struct http_deferred *d = xcalloc(1, sizeof *d);
	d->pss = s->routing;
	d->wsi = s->routing_wsi;
	d->srv = s;
	d->resp = (struct http_resp){.status = 200, .content_type = "application/json",
				     .cache = "no-store"};
	s->routing->deferred = d;
	return d;
}

struct http_resp *server_deferred_resp(struct http_deferred *d)
{
	return &d->resp;
}

void server_deferred_send(struct http_deferred *d)
{
	struct pss *pss = d->pss;
	if (pss) {
		/* The answer becomes the transaction's, as if the route had given it at once. */
		buf_free(&pss->resp.body);
		free(pss->resp.set_cookie);
		pss->resp = d->resp;
		pss->deferred = NULL;
		/* Answered before the route returned: it goes out the usual way. */
		if (d->srv->routing != pss) {
			pss->deferred_ready = 1;
			lws_callback_on_writable(d->wsi);
		}
	} else {
		buf_free(&d->resp.body);
		free(d->resp.set_cookie);
	}
	free(d);
}
