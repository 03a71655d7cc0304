/* HTTP client and server on one libuv loop: GET and POST against the real server,
 * connection reuse and time-out against a raw loopback responder, cancel, oversized
 * bodies refused, unknown paths 404, a port in use refused, and a clean loop close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "http_client.h"
#include "server.h"
#include "xalloc.h"

struct result {
	int calls;
	long status;
	int transport_error;
	char *body;
	char header[64];
};

static void done_cb(void *arg, const struct http_response *res)
{
	struct result *r = arg;
	r->calls++;
	r->status = res->status;
	r->transport_error = res->transport_error;
	free(r->body);
	r->body = xstrdup(res->body);
	http_response_header(res, "X-Content-Type-Options", r->header, sizeof r->header);
}

static void echo_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	int *hits = arg;
	(*hits)++;
	char v[64] = "";
	http_param(req->query, "q", v, sizeof v);
	buf_printf(&resp->body, "{\"method\":\"%s\",\"q\":\"%s\",\"body\":\"", req->method, v);
	buf_json_escape(&resp->body, req->body);
	buf_puts(&resp->body, "\"}");
}

/* Runs the loop until the counter reaches want or 5 s pass. */
static void run_until(uv_loop_t *loop, int *counter, int want)
{
	uint64_t start = uv_now(loop);
	while (*counter < want && uv_now(loop) - start < 5000) {
		uv_run(loop, UV_RUN_ONCE);
		uv_update_time(loop);
	}
}

static void server_stopped(void *arg)
{
	(*(int *)arg)++;
}

static void client_closed(void *arg)
{
	(*(int *)arg)++;
}

static void get_post_404_and_too_big(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct server *srv;
	char err[256];
	assert_int_equal(server_start(&loop, "127.0.0.1", 0, 1024, &srv, err, sizeof err), 0);
	int hits = 0;
	server_route(srv, "/echo", echo_route, &hits);
	char url[128];
	struct http_client *c;
	assert_int_equal(http_client_init(&loop, &c), 0);

	struct result r = {0};
	snprintf(url, sizeof url, "http://127.0.0.1:%d/echo?q=a%%20b", server_port(srv));
	struct http_request_opts get = {.url = url, .timeout_ms = 3000};
	assert_int_equal(http_request(c, &get, done_cb, &r, NULL), 0);
	run_until(&loop, &r.calls, 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"method\":\"GET\",\"q\":\"a b\",\"body\":\"\"}");
	assert_string_equal(r.header, "nosniff");

	struct http_request_opts post = {.method = "POST", .url = url, .body = "{\"x\":1}",
					 .body_len = 7, .content_type = "application/json"};
	assert_int_equal(http_request(c, &post, done_cb, &r, NULL), 0);
	run_until(&loop, &r.calls, 2);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"method\":\"POST\",\"q\":\"a b\",\"body\":\"{\\\"x\\\":1}\"}");

	char *big = xmalloc(4096);
	memset(big, 'a', 4096);
	struct http_request_opts toobig = {.method = "POST", .url = url, .body = big,
					   .body_len = 4096};
	assert_int_equal(http_request(c, &toobig, done_cb, &r, NULL), 0);
	run_until(&loop, &r.calls, 3);
	assert_int_equal(r.status, 413);
	free(big);
	assert_int_equal(hits, 2);

	snprintf(url, sizeof url, "http://127.0.0.1:%d/nowhere", server_port(srv));
	assert_int_equal(http_request(c, &get, done_cb, &r, NULL), 0);
	run_until(&loop, &r.calls, 4);
	assert_int_equal(r.status, 404);

	/* A second server on the same port must fail cleanly. */
	struct server *dup;
	assert_int_equal(server_start(&loop, "127.0.0.1", server_port(srv), 1024, &dup, err,
				      sizeof err),
			 -1);
	assert_non_null(strstr(err, "cannot listen"));

	int closed = 0;
	http_client_close(c, client_closed, &closed);
	server_stop(srv, server_stopped, &closed);
	run_until(&loop, &closed, 2);
	assert_int_equal(closed, 2);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(r.body);
}

/* A raw responder: counts connections; answers each request unless silent. */
struct responder {
	uv_tcp_t tcp;
	int accepts;
	int silent;
	int port;
};

struct rconn {
	uv_tcp_t tcp;
	struct responder *r;
	char buf[4096];
	size_t len;
};

static void rconn_closed(uv_handle_t *h)
{
	free(h->data);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct rconn *c = h->data;
	b->base = c->buf + c->len;
	b->len = sizeof c->buf - c->len;
}

static void write_done(uv_write_t *w, int status)
{
	free(w);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct rconn *c = s->data;
	if (n < 0) {
		uv_close((uv_handle_t *)s, rconn_closed);
		return;
	}
	c->len += (size_t)n;
	char *end;
	while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		size_t used = (size_t)(end - c->buf) + 4;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		if (c->r->silent)
			continue;
		static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
					    "Retry-After: 7\r\n\r\nok";
		uv_write_t *w = xmalloc(sizeof *w);
		uv_buf_t out = uv_buf_init((char *)reply, sizeof reply - 1);
		uv_write(w, s, &out, 1, write_done);
	}
}

static void conn_cb(uv_stream_t *server, int status)
{
	struct responder *r = server->data;
	struct rconn *c = xcalloc(1, sizeof *c);
	c->r = r;
	uv_tcp_init(server->loop, &c->tcp);
	c->tcp.data = c;
	uv_accept(server, (uv_stream_t *)&c->tcp);
	r->accepts++;
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void responder_start(uv_loop_t *loop, struct responder *r)
{
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(loop, &r->tcp);
	r->tcp.data = r;
	assert_int_equal(uv_tcp_bind(&r->tcp, (struct sockaddr *)&addr, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&r->tcp, 16, conn_cb), 0);
	struct sockaddr_in bound;
	int len = sizeof bound;
	uv_tcp_getsockname(&r->tcp, (struct sockaddr *)&bound, &len);
	r->port = ntohs(bound.sin_port);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, h->data && h->type == UV_TCP && arg != h->data ? rconn_closed : NULL);
}

static void reuse_timeout_and_cancel(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct responder r = {0};
	responder_start(&loop, &r);
	struct http_client *c;
	assert_int_equal(http_client_init(&loop, &c), 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", r.port);
	struct result res = {0};
	struct http_request_opts get = {.url = url, .timeout_ms = 2000};
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(http_request(c, &get, done_cb, &res, NULL), 0);
		run_until(&loop, &res.calls, i);
		assert_int_equal(res.status, 200);
		assert_string_equal(res.body, "ok");
	}
	/* Five sequential requests over one kept-alive connection. */
	assert_int_equal(r.accepts, 1);

	r.silent = 1;
	struct http_request_opts slow = {.url = url, .timeout_ms = 300};
	assert_int_equal(http_request(c, &slow, done_cb, &res, NULL), 0);
	run_until(&loop, &res.calls, 6);
	assert_int_equal(res.calls, 6);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.transport_error, 28); /* CURLE_OPERATION_TIMEDOUT */

	uint64_t id = 0;
	assert_int_equal(http_request(c, &get, done_cb, &res, &id), 0);
	assert_int_equal(http_client_active(c), 1);
	http_cancel(c, id);
	assert_int_equal(http_client_active(c), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(res.calls, 6); /* a cancelled request never calls back */

	int closed = 0;
	http_client_close(c, client_closed, &closed);
	run_until(&loop, &closed, 1);
	uv_walk(&loop, close_walk, &r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(res.body);
}

static void params_and_cookies(void **state)
{
	char v[32];
	assert_int_equal(http_param("a=1&b=x%2By+z&c=", "b", v, sizeof v), 0);
	assert_string_equal(v, "x+y z");
	assert_int_equal(http_param("a=1", "b", v, sizeof v), -1);
	assert_int_equal(http_cookie("x=1; session=abc; y=2", "session", v, sizeof v), 0);
	assert_string_equal(v, "abc");
	assert_int_equal(http_cookie("xsession=abc", "session", v, sizeof v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_post_404_and_too_big),
		cmocka_unit_test(reuse_timeout_and_cancel),
		cmocka_unit_test(params_and_cookies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
