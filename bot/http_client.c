/* libcurl multi on libuv (see http_client.h). Follows curl's docs/examples/multi-uv.c
 * with the fixes STYLE.md lists: never stop curl's timer ourselves, always drain
 * curl_multi_info_read, pass CURL_CSELECT_ERR on poll errors, free poll contexts only in
 * their close callbacks. */
#include "http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "curl_dl.h"
#include "log.h"
#include "xalloc.h"

/* libcurl through its on-demand table; http_client_init fails if it cannot load. */
#define API curl_dl_load()

struct request {
	struct http_client *client;
	CURL *easy;
	uint64_t id;
	http_done_cb done;
	void *arg;
	struct buf body;
	struct buf headers;
	struct curl_slist *slist;
	curl_mime *mime;
	char errbuf[CURL_ERROR_SIZE];
	struct request *next;
};

struct poll_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	int events; /* what the poll watches now: uv_poll_start re-registers the fd with
		     * the kernel (two epoll_ctl calls), so it is skipped when unchanged */
	struct http_client *client;
};

/* Finished easy handles kept for the next request: making one costs allocations and
 * buffers that a busy channel would otherwise pay on every send. */
#define EASY_POOL 64

struct http_client {
	uv_loop_t *loop;
	CURLM *multi;
	CURL *pool[EASY_POOL];
	int n_pool;
	uv_timer_t timer;
	struct request *requests; /* in flight */
	uint64_t next_id;
	size_t active;
	int open_handles; /* timer + poll contexts not yet closed */
	int closing;
	void (*closed_cb)(void *);
	void *closed_arg;
};

static void check_done(struct http_client *c);

static void maybe_free(struct http_client *c)
{
	if (c->closing && c->open_handles == 0) {
		void (*cb)(void *) = c->closed_cb;
		void *arg = c->closed_arg;
		free(c);
		API->global_cleanup();
		if (cb)
			cb(arg);
	}
}

static void poll_closed_cb(uv_handle_t *h)
{
	struct poll_ctx *p = h->data;
	struct http_client *c = p->client;
	free(p);
	c->open_handles--;
	maybe_free(c);
}

static void timer_closed_cb(uv_handle_t *h)
{
	struct http_client *c = h->data;
	c->open_handles--;
	maybe_free(c);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct poll_ctx *p = h->data;
	struct http_client *c = p->client;
	int flags = 0;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	int running;
	API->multi_socket_action(c->multi, p->fd, flags, &running);
	check_done(c);
}

static void timer_cb(uv_timer_t *t)
{
	struct http_client *c = t->data;
	int running;
	API->multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
	struct http_client *c = userp;
	struct poll_ctx *p = socketp;
	if (action == CURL_POLL_REMOVE) {
		if (p) {
			uv_poll_stop(&p->poll);
			uv_close((uv_handle_t *)&p->poll, poll_closed_cb);
			API->multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (!p) {
		p = xcalloc(1, sizeof *p);
		p->fd = fd;
		p->client = c;
		if (uv_poll_init_socket(c->loop, &p->poll, fd) < 0) {
			free(p);
			log_error("http: cannot poll socket %d", (int)fd);
			return -1;
		}
		p->poll.data = p;
		c->open_handles++;
		API->multi_assign(c->multi, fd, p);
	}
	int events = 0;
	if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	if (events != p->events) {
		uv_poll_start(&p->poll, events, poll_cb);
		p->events = events;
	}
	return 0;
}

static int timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, timer_cb, timeout_ms ? (uint64_t)timeout_ms : 1, 0);
	return 0;
}

int http_client_init(uv_loop_t *loop, struct http_client **out)
{
	if (!curl_dl_load())
		return -1;
	/* Reference-counted by libcurl (7.84+), so each client may take its own. */
	API->global_init(CURL_GLOBAL_DEFAULT);
	struct http_client *c = xcalloc(1, sizeof *c);
	c->loop = loop;
	c->next_id = 1;
	c->multi = API->multi_init();
	if (!c->multi) {
		free(c);
		return -1;
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 1;
	API->multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	API->multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	API->multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	API->multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	API->multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 64L);
	*out = c;
	return 0;
}

static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
	struct request *r = userp;
	if (buf_append(&r->body, data, size * n) < 0)
		return 0; /* over the cap: curl fails the transfer with CURLE_WRITE_ERROR */
	return size * n;
}

static size_t header_cb(char *data, size_t size, size_t n, void *userp)
{
	struct request *r = userp;
	/* A new status line (after a redirect or 100-continue) starts a new header block. */
	if (size * n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		buf_reset(&r->headers);
	if (buf_append(&r->headers, data, size * n) < 0)
		return 0;
	return size * n;
}

static void request_free(struct request *r)
{
	struct http_client *c = r->client;
	if (c->n_pool < EASY_POOL && !c->closing) {
		API->easy_reset(r->easy);
		c->pool[c->n_pool++] = r->easy;
	} else {
		API->easy_cleanup(r->easy);
	}
	API->slist_free_all(r->slist);
	if (r->mime)
		API->mime_free(r->mime);
	buf_free(&r->body);
	buf_free(&r->headers);
	free(r);
}

static void unlink_request(struct http_client *c, struct request *r)
{
	for (struct request **pp = &c->requests; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	c->active--;
}

int http_request(struct http_client *c, const struct http_request_opts *opts, http_done_cb done,
		 void *arg, uint64_t *id)
{
	if (c->closing)
		return -1;
	struct request *r = xcalloc(1, sizeof *r);
	r->client = c;
	r->done = done;
	r->arg = arg;
	r->body.limit = opts->max_response ? opts->max_response : 8u << 20;
	r->headers.limit = 64 * 1024;
	r->easy = c->n_pool ? c->pool[--c->n_pool] : API->easy_init();
	if (!r->easy) {
		free(r);
		return -1;
	}
	CURL *e = r->easy;
	API->easy_setopt(e, CURLOPT_URL, opts->url);
	API->easy_setopt(e, CURLOPT_PRIVATE, r);
	API->easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	API->easy_setopt(e, CURLOPT_WRITEDATA, r);
	API->easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	API->easy_setopt(e, CURLOPT_HEADERDATA, r);
	API->easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	API->easy_setopt(e, CURLOPT_TIMEOUT_MS, opts->timeout_ms ? opts->timeout_ms : 30000L);
	API->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	API->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	API->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	API->easy_setopt(e, CURLOPT_USERAGENT, "deskbot/" DESKBOT_VERSION);
	API->easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (opts->method && strcmp(opts->method, "POST") == 0 && opts->parts) {
		r->mime = API->mime_init(e);
		for (size_t i = 0; r->mime && i < opts->n_parts; i++) {
			const struct http_part *p = &opts->parts[i];
			curl_mimepart *part = API->mime_addpart(r->mime);
			if (!part)
				break;
			API->mime_name(part, p->name);
			API->mime_data(part, p->data ? p->data : "", p->len);
			if (p->filename)
				API->mime_filename(part, p->filename);
			if (p->type)
				API->mime_type(part, p->type);
		}
		API->easy_setopt(e, CURLOPT_MIMEPOST, r->mime);
		r->slist = API->slist_append(r->slist, "Expect:");
	} else if (opts->method && strcmp(opts->method, "POST") == 0) {
		API->easy_setopt(e, CURLOPT_POST, 1L);
		API->easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(opts->body ? opts->body_len : 0));
		API->easy_setopt(e, CURLOPT_COPYPOSTFIELDS, opts->body ? opts->body : "");
		char ct[128];
		snprintf(ct, sizeof ct, "Content-Type: %s",
			 opts->content_type ? opts->content_type
					    : "application/x-www-form-urlencoded");
		r->slist = API->slist_append(r->slist, ct);
		/* No "Expect: 100-continue" round trip for larger bodies. */
		r->slist = API->slist_append(r->slist, "Expect:");
	} else if (opts->method && strcmp(opts->method, "DELETE") == 0) {
		API->easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	}
	if (opts->extra_header)
		r->slist = API->slist_append(r->slist, opts->extra_header);
	if (r->slist)
		API->easy_setopt(e, CURLOPT_HTTPHEADER, r->slist);
	r->id = c->next_id++;
	r->next = c->requests;
	c->requests = r;
	c->active++;
	if (API->multi_add_handle(c->multi, e) != CURLM_OK) {
		unlink_request(c, r);
		request_free(r);
		return -1;
	}
	if (id)
		*id = r->id;
	return 0;
}

/* Delivers every finished transfer. Runs after each curl_multi_socket_action. */
static void check_done(struct http_client *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = API->multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct request *r;
		API->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		CURLcode code = msg->data.result;
		API->multi_remove_handle(c->multi, r->easy);
		unlink_request(c, r);
		struct http_response res = {0};
		if (code == CURLE_OK)
			API->easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
		res.transport_error = (int)code;
		/* curl's error buffer may quote the URL, which can hold a token: redact. */
		char *safe = log_redact(code == CURLE_OK ? ""
				       : (r->errbuf[0] ? r->errbuf : API->easy_strerror(code)));
		res.error = safe;
		res.body = r->body.data ? r->body.data : "";
		res.body_len = r->body.len;
		res.headers = r->headers.data ? r->headers.data : "";
		API->easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &res.seconds);
		r->done(r->arg, &res);
		free(safe);
		request_free(r);
	}
}

void http_cancel(struct http_client *c, uint64_t id)
{
	for (struct request *r = c->requests; r; r = r->next)
		if (r->id == id) {
			API->multi_remove_handle(c->multi, r->easy);
			unlink_request(c, r);
			request_free(r);
			return;
		}
}

size_t http_client_active(const struct http_client *c)
{
	return c->active;
}

int http_response_header(const struct http_response *res, const char *name, char *out,
			 size_t outlen)
{
	size_t n = strlen(name);
	for (const char *line = res->headers; line && *line;) {
		const char *eol = strchr(line, '\n');
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t len = eol ? (size_t)(eol - v) : strlen(v);
			while (len && (v[len - 1] == '\r' || v[len - 1] == ' '))
				len--;
			if (len >= outlen)
				len = outlen - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

void http_client_close(struct http_client *c, void (*closed_cb)(void *), void *arg)
{
	if (!c)
		return;
	c->closing = 1;
	c->closed_cb = closed_cb;
	c->closed_arg = arg;
	while (c->requests) {
		struct request *r = c->requests;
		API->multi_remove_handle(c->multi, r->easy);
		unlink_request(c, r);
		request_free(r);
	}
	while (c->n_pool)
		API->easy_cleanup(c->pool[--c->n_pool]);
	/* curl calls socket_cb (CURL_POLL_REMOVE) for cached connections here. */
	API->multi_cleanup(c->multi);
	c->multi = NULL;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
}
