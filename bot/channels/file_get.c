/* Downloads of customers' files (see file_get.h). */
#include "file_get.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http_client.h"
#include "xalloc.h"

#define FILE_GET_TIMEOUT_MS 20000

struct file_get {
	struct file_get *next, **prev;
	struct file_gets *g;
	struct http_client *http;
	uint64_t req;
	struct file_get_opts o; /* url and body owned */
	channel_file_cb cb;
	void *arg;
};

static void unlink_free(struct file_get *f)
{
	*f->prev = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->g->n--;
	free((char *)f->o.url);
	free((char *)f->o.body);
	free(f);
}

static void finish(struct file_get *f, struct channel_file_result *r)
{
	channel_file_cb cb = f->cb;
	void *arg = f->arg;
	unlink_free(f);
	cb(arg, r);
}

static void fail(struct file_get *f, int permanent, const char *fmt, long a)
{
	struct channel_file_result r = {.permanent = permanent, .mime = ""};
	snprintf(r.reason, sizeof r.reason, fmt, a);
	finish(f, &r);
}

static void file_cb(void *arg, const struct http_response *res)
{
	struct file_get *f = arg;
	if (res->transport_error) {
		/* The body's limit stops the transfer with a write error: the file is too big,
		 * which retrying cannot help; any other transport error may pass. */
		if (res->transport_error == CURLE_WRITE_ERROR)
			fail(f, 1, "file larger than %ld bytes: refused", (long)f->o.max_bytes);
		else {
			struct channel_file_result r = {.mime = ""};
			snprintf(r.reason, sizeof r.reason, "download failed: %.120s", res->error);
			finish(f, &r);
		}
		return;
	}
	if (res->status >= 300 && res->status < 400) {
		fail(f, 1, "redirected (HTTP %ld): refused, only the platform's hosts are asked",
		     res->status);
		return;
	}
	if (res->status != 200) {
		fail(f, res->status >= 400 && res->status < 500 && res->status != 429,
		     "download answered HTTP %ld", res->status);
		return;
	}
	char mime[96] = "";
	http_response_header(res, "Content-Type", mime, sizeof mime);
	struct channel_file_result r = {.ok = 1, .mime = mime, .data = res->body,
					.len = res->body_len};
	finish(f, &r);
}

static int get(struct file_get *f, const char *url)
{
	struct http_request_opts opts = {.method = "GET", .url = url,
					 .timeout_ms = FILE_GET_TIMEOUT_MS,
					 .max_response = f->o.max_bytes};
	return http_request(f->http, &opts, file_cb, f, &f->req);
}

static void resolve_cb(void *arg, const struct http_response *res)
{
	struct file_get *f = arg;
	char reason[160] = "";
	int permanent = 0;
	char *url = f->o.resolve(f->o.resolve_arg, res, reason, sizeof reason, &permanent);
	if (!url) {
		struct channel_file_result r = {.permanent = permanent, .mime = ""};
		snprintf(r.reason, sizeof r.reason, "%s", reason);
		finish(f, &r);
		return;
	}
	int rc = get(f, url);
	free(url);
	if (rc < 0)
		fail(f, 0, "download could not start (HTTP client: %ld)", (long)rc);
}

int file_get_start(struct file_gets *g, struct http_client *http, const struct file_get_opts *o,
		   channel_file_cb cb, void *arg)
{
	struct file_get *f = xcalloc(1, sizeof *f);
	f->g = g;
	f->http = http;
	f->o = *o;
	f->o.url = xstrdup(o->url);
	f->o.body = o->body ? xstrdup(o->body) : NULL;
	f->cb = cb;
	f->arg = arg;
	f->next = g->head;
	f->prev = &g->head;
	if (g->head)
		g->head->prev = &f->next;
	g->head = f;
	g->n++;
	int rc;
	if (o->resolve) {
		struct http_request_opts opts = {.method = "POST", .url = f->o.url,
						 .body = f->o.body,
						 .body_len = f->o.body ? strlen(f->o.body) : 0,
						 .content_type = "application/json",
						 .timeout_ms = FILE_GET_TIMEOUT_MS};
		rc = http_request(http, &opts, resolve_cb, f, &f->req);
	} else {
		rc = get(f, f->o.url);
	}
	if (rc < 0) {
		unlink_free(f);
		return -1;
	}
	return 0;
}

int file_get_url(struct file_gets *g, struct http_client *http, const char *url,
		 const char *api_url, const char *const *hosts, size_t max_bytes,
		 channel_file_cb cb, void *arg)
{
	if (!file_url_allowed(url, api_url, hosts))
		return CHANNEL_FILE_REFUSED;
	struct file_get_opts o = {.url = url, .max_bytes = max_bytes};
	return file_get_start(g, http, &o, cb, arg);
}

void file_gets_cancel(struct file_gets *g, struct http_client *http)
{
	while (g->head) {
		http_cancel(http, g->head->req);
		unlink_free(g->head);
	}
}

/* Splits "scheme://host[:port]/..." into scheme and authority; 0 when it is not one. */
static int split_url(const char *url, char *scheme, size_t sl, char *auth, size_t al)
{
	const char *sep = strstr(url, "://");
	if (!sep || (size_t)(sep - url) >= sl)
		return 0;
	snprintf(scheme, sl, "%.*s", (int)(sep - url), url);
	const char *a = sep + 3;
	size_t n = strcspn(a, "/?#");
	if (!n || n >= al)
		return 0;
	snprintf(auth, al, "%.*s", (int)n, a);
	return strchr(auth, '@') == NULL && strchr(auth, '\\') == NULL;
}

int file_url_allowed(const char *url, const char *api_url, const char *const *hosts)
{
	char scheme[16], auth[256], api_scheme[16], api_auth[256];
	if (!url || !split_url(url, scheme, sizeof scheme, auth, sizeof auth))
		return 0;
	if (api_url && split_url(api_url, api_scheme, sizeof api_scheme, api_auth, sizeof api_auth) &&
	    strcasecmp(scheme, api_scheme) == 0 && strcasecmp(auth, api_auth) == 0)
		return 1;
	if (strcasecmp(scheme, "https") != 0 || strchr(auth, ':'))
		return 0;
	size_t n = strlen(auth);
	for (size_t i = 0; hosts && hosts[i]; i++) {
		const char *h = hosts[i];
		size_t m = strlen(h);
		if (h[0] == '.' ? n > m && strcasecmp(auth + n - m, h) == 0 : strcasecmp(auth, h) == 0)
			return 1;
	}
	return 0;
}
