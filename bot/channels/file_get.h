/* Downloads of the files customers send, for the channels' fetch_file: one GET of the
 * file's URL (after an optional first request that names it, as Telegram's getFile
 * does), with a size limit, no redirect followed, and only from the hosts the channel
 * allows. Each channel keeps its downloads in flight in a struct file_gets and cancels
 * them when it is freed. */
#ifndef DESKBOT_FILE_GET_H
#define DESKBOT_FILE_GET_H
#include <stddef.h>

#include "channel.h"

struct http_client;
struct http_response;
struct file_get;

struct file_gets {
	struct file_get *head;
	size_t n; /* in flight */
};

/* Turns the answer to the first request into the file's URL (a new string), or NULL
 * with the reason (and *permanent when retrying cannot help). */
typedef char *(*file_get_resolve_fn)(void *arg, const struct http_response *res,
				     char *reason, size_t reason_len, int *permanent);

struct file_get_opts {
	const char *url;             /* the file, or the first request when resolve is set */
	const char *body;            /* POST body of the first request (JSON), or NULL */
	file_get_resolve_fn resolve; /* NULL: url is the file */
	void *resolve_arg;
	size_t max_bytes;
};

/* Starts a download; cb runs once with the outcome. Returns 0, or negative (cb never
 * runs). */
int file_get_start(struct file_gets *g, struct http_client *http, const struct file_get_opts *o,
		   channel_file_cb cb, void *arg);
/* The download of a file named by its URL (VK, MAX): CHANNEL_FILE_REFUSED when
 * file_url_allowed refuses it, else as file_get_start. */
int file_get_url(struct file_gets *g, struct http_client *http, const char *url,
		 const char *api_url, const char *const *hosts, size_t max_bytes,
		 channel_file_cb cb, void *arg);
/* Cancels every download in flight; their callbacks never run. */
void file_gets_cancel(struct file_gets *g, struct http_client *http);

/* 1 when url may be fetched for a channel whose API is at api_url: the API's own
 * scheme, host and port, or https on a host that is one of hosts (a NULL-terminated
 * list of names, ".suffix" for every subdomain). Userinfo ("a@b") is refused. */
int file_url_allowed(const char *url, const char *api_url, const char *const *hosts);

#endif
