/* The HTTP + WebSocket listener: libwebsockets on the application's libuv loop (foreign
 * loop). Modules register routes; a route handler gets a parsed request and fills a
 * response synchronously. WebSocket endpoints get accept/message/close callbacks and
 * send through a per-connection queue. Nothing here knows what a route means. */
#ifndef DESKBOT_SERVER_H
#define DESKBOT_SERVER_H
#include <stddef.h>
#include <uv.h>

#include "buf.h"

struct server;
struct ws_conn;

struct http_req {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* without the query */
	const char *query;         /* "a=1&b=2" (URL-decoded pieces joined by '&'), or "" */
	const char *body;          /* NUL-terminated, "" when none */
	size_t body_len;
	const char *cookie;        /* Cookie header, or "" */
	const char *authorization; /* Authorization header, or "" */
	const char *content_type;  /* or "" */
	const char *origin;        /* Origin header, or "" */
	const char *host;          /* Host header, or "" */
	const char *csrf;          /* X-CSRF-Token header, or "" */
	const char *hook_secret;   /* X-Telegram-Bot-Api-Secret-Token or X-Max-Bot-Api-Secret, or "" */
	const char *peer;          /* client address */
	const void *conn;          /* the server's handle for http_req_param, or NULL */
};

struct http_resp {
	int status;               /* default 200 */
	const char *content_type; /* default "application/json" */
	struct buf body;
	char *set_cookie;         /* owned; one Set-Cookie value, or NULL */
	const char *cache;        /* Cache-Control value; default "no-store" */
};

/* Fills resp for req. arg is what the route was registered with. */
typedef void (*server_route_fn)(void *arg, const struct http_req *req, struct http_resp *resp);

struct server_ws_ops {
	/* Decides whether to accept an upgrade (0 accepts); *conn_data is kept with the
	 * connection (server_ws_data). */
	int (*accept)(void *arg, const struct http_req *req, void **conn_data);
	void (*on_message)(void *arg, struct ws_conn *c, const char *data, size_t len);
	/* The connection is gone; free conn_data here. */
	void (*on_close)(void *arg, struct ws_conn *c);
};

/* What the listener allows one client (config "http"; see README "Listener limits").
 * A zero field keeps the built-in default. */
struct server_limits {
	size_t max_connections;  /* open connections at most (the file-descriptor budget) */
	size_t max_per_address;  /* open connections from one address */
	size_t ws_queue_max;     /* bytes queued to one WebSocket before it is dropped */
	int ws_ping_s;           /* a WebSocket silent this long is pinged */
	int ws_idle_s;           /* ... and closed when no pong has come this long */
	const char *public_origin; /* "https://chat.example" (borrowed), or NULL: only IP or
				    * localhost Host headers are served */
	int secure_cookies;      /* add Secure to every Set-Cookie (served behind TLS) */
};

/* Starts listening on host:port (port 0 picks one; see server_port). On failure (port in
 * use, bad address) returns -1 with one line in err. */
int server_start(uv_loop_t *loop, const char *host, int port, size_t max_body,
		 struct server **out, char *err, size_t errlen);
int server_port(const struct server *s);
/* Applies limits (copied; public_origin is borrowed and must outlive the server). Call
 * before the loop runs. The connection budget never exceeds what the process's
 * RLIMIT_NOFILE leaves after a reserve for the store, the HTTP client and logs. */
void server_set_limits(struct server *s, const struct server_limits *limits);
/* Drops a WebSocket now (its queue is freed; on_close follows). */
void server_ws_drop(struct ws_conn *c, const char *why);
/* The peer address of a WebSocket, as http_req.peer had it. */
const char *server_ws_peer(const struct ws_conn *c);
/* Connections open now, and those refused by the budget or per-address cap so far. */
size_t server_connections(const struct server *s);
size_t server_refused(const struct server *s);
/* Registers fn for path. A path ending in '*' matches every path with that prefix.
 * Routes are tried in registration order. */
void server_route(struct server *s, const char *path, server_route_fn fn, void *arg);
/* server_route with a body limit of its own instead of the server's max_body. */
void server_route_max_body(struct server *s, const char *path, server_route_fn fn, void *arg,
			   size_t max_body);
void server_ws_route(struct server *s, const char *path, const struct server_ws_ops *ops,
		     void *arg);
/* Queues a text frame (copied). Returns 0, or -1 when the connection's queue is over its
 * cap (slow reader: the connection is closed). */
int server_ws_send(struct ws_conn *c, const char *data, size_t len);
void *server_ws_data(struct ws_conn *c);
/* Number of open WebSocket connections. */
size_t server_ws_count(const struct server *s);
/* Begins shutdown: the listener stops and connections close. done runs once
 * libwebsockets has released everything on the loop; then s is freed. */
void server_stop(struct server *s, void (*done)(void *), void *arg);

/* A route that answers later (work on the thread pool) calls server_defer with its
 * resp and returns; it then fills server_deferred_resp(d) on the loop and calls
 * server_deferred_send(d), which sends it (or only frees d when the client has gone).
 * NULL when resp is not the one of a request being routed now (a unit test calling a
 * handler directly): then answer at once as usual. */
struct http_deferred;
struct http_deferred *server_defer(struct server *s, struct http_resp *resp);
struct http_resp *server_deferred_resp(struct http_deferred *d);
void server_deferred_send(struct http_deferred *d);

/* Small helpers for route handlers. */
void http_resp_json(struct http_resp *resp, int status, const char *json);
void http_resp_error(struct http_resp *resp, int status, const char *message);
/* Extracts a query or form parameter (URL-decoded) into out; 0 when present. */
int http_param(const char *query, const char *name, char *out, size_t outlen);
/* A query parameter of req, decoded exactly once: through libwebsockets' own argument
 * fragments for a request the server parsed, else from req->query (tests build requests
 * by hand). 0 when present; -1 when absent; -2 when the value does not fit out or holds
 * a NUL byte (%00). */
int http_req_param(const struct http_req *req, const char *name, char *out, size_t outlen);
/* Extracts a cookie value into out; 0 when present. */
int http_cookie(const char *cookie_header, const char *name, char *out, size_t outlen);

#endif
