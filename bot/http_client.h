/* Asynchronous HTTP client: libcurl's multi interface driven by the application's libuv
 * loop (uv_poll per socket, one uv_timer). Connections are reused across requests.
 * Channels use it for long polls and sends; nothing here knows about any API. */
#ifndef DESKBOT_HTTP_CLIENT_H
#define DESKBOT_HTTP_CLIENT_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct http_client;

struct http_response {
	long status;         /* HTTP status, 0 when no response arrived */
	int transport_error; /* 0, or a CURLcode when the transfer failed */
	const char *error;   /* human-readable failure, "" on success; never holds a secret */
	const char *body;    /* NUL-terminated; borrowed for the callback only */
	size_t body_len;
	const char *headers; /* raw response header block; borrowed for the callback only */
	double seconds;      /* total time of the transfer */
};

/* Called exactly once per successful http_request, unless the request is cancelled. */
typedef void (*http_done_cb)(void *arg, const struct http_response *res);

/* One part of a multipart/form-data POST (http_request_opts.parts): a field, or a file
 * when filename is set. data is copied. */
struct http_part {
	const char *name;
	const char *data;
	size_t len;
	const char *filename; /* NULL: a plain field */
	const char *type;     /* the part's Content-Type, or NULL */
};

struct http_request_opts {
	const char *method;       /* "GET" (default), "POST" or "DELETE" (no body) */
	const char *url;
	const char *body;         /* POST body, or NULL */
	size_t body_len;
	const char *content_type; /* e.g. "application/json"; default form-urlencoded */
	long timeout_ms;          /* whole-transfer time-out; 0 = 30 s */
	size_t max_response;      /* bytes; 0 = 8 MiB; larger responses fail */
	const char *extra_header; /* one "Name: value" header, or NULL */
	/* POST as multipart/form-data (libcurl mime) instead of body: n_parts parts. */
	const struct http_part *parts;
	size_t n_parts;
};

int http_client_init(uv_loop_t *loop, struct http_client **out);
/* Starts a request; *id (may be NULL) identifies it for http_cancel. Returns 0, or
 * negative on failure, in which case done never runs. */
int http_request(struct http_client *c, const struct http_request_opts *opts, http_done_cb done,
		 void *arg, uint64_t *id);
/* Cancels a request: its callback will not run. Unknown ids are ignored. */
void http_cancel(struct http_client *c, uint64_t id);
/* Requests in flight. */
size_t http_client_active(const struct http_client *c);
/* Finds a response header (case-insensitive name); copies its value into out.
 * Returns 0 when found. */
int http_response_header(const struct http_response *res, const char *name, char *out,
			 size_t outlen);
/* Cancels everything and releases the client; the loop's handles close asynchronously
 * and closed_cb (may be NULL) runs when the last one has closed. */
void http_client_close(struct http_client *c, void (*closed_cb)(void *), void *arg);

#endif
