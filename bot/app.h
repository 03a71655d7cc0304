/* The running daemon: one libuv loop and everything on it. struct app travels through
 * handle->data; there is no other global state (but the logger's settings). */
#ifndef DESKBOT_APP_H
#define DESKBOT_APP_H
#include <stdint.h>
#include <uv.h>

#include "config.h"

struct store;
struct http_client;
struct server;
struct metrics;
struct replyset;
struct channel;
struct channel_env;
struct outbox;
struct pipeline;
struct events;
struct console;
struct casework;
struct webhooks;

#define APP_MAX_CHANNELS 24

struct app {
	uv_loop_t *loop;
	struct config cfg;
	struct store *store;
	struct http_client *http;
	struct server *server;
	struct metrics *metrics;
	struct replyset *replies;   /* the live reply set; swapped whole on reload */
	struct channel *channels[APP_MAX_CHANNELS];
	int n_channels;
	struct outbox *outbox;
	struct pipeline *pipeline;  /* every channel's sink (pipeline.h) */
	struct channel_env *channel_env; /* what every channel gets at construction */
	struct events *events;      /* notices for the console (events.h) */
	struct console *console;    /* the blog secretary's console (console.h) */
	struct casework *casework;  /* cases around the dialog (casework.h) */
	struct file_fetch *files;   /* customers' files into the store (file_fetch.h) */
	struct webhooks *webhooks;  /* case news for the CRM and notify hooks (webhooks.h) */
	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t shutdown_timer;  /* bounds the graceful shutdown */
	uint64_t started_ms;
	int stopping;
	uint64_t stop_deadline_ms;  /* loop time when the shutdown grace period ends */
	int exit_code;
	double *m_reloads_ok, *m_reloads_failed;
	struct retention *retention;       /* old rows out, a batch at a time (retention.h) */
	struct admin_guard *admin_guard;   /* failed /admin/reload bearers per address */
	struct app_leases *leases;         /* several instances on one store (app_leases.h) */
};

/* Runs "deskbot run" with the arguments after "run"; returns the exit code. */
int app_main(int argc, char **argv);

/* Reloads the reply set from cfg.replies_dir; on success swaps it in. Appends a JSON
 * object {"ok":B,"version":..,"counts":{..},"errors":[..]} to out when out is not NULL.
 * Returns 0 on success. */
struct buf;
int app_reload(struct app *app, struct buf *out);

/* Begins a graceful shutdown (as SIGTERM does). */
void app_stop(struct app *app);

#endif
