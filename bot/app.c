/* deskbot run: start-up, the loop, the health and metrics endpoints, reload and
 * graceful shutdown. Order of shutdown (STYLE.md): stop taking work, let in-flight sends
 * finish within the grace period, stop the server, close the HTTP client, commit and
 * close the store, close our own handles; uv_run then returns by itself. */
#include "app.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "app_internal.h"
#include "app_leases.h"
#include "buf.h"
#include "casework.h"
#include "clock.h"
#include "console.h"
#include "events.h"
#include "http_client.h"
#include "log.h"
#include "metrics.h"
#include "retention.h"
#include "server.h"
#include "store.h"
#include "webhooks.h"
#include "file_fetch.h"
#include "xalloc.h"

/* Resident set size in bytes, from /proc/self/statm. */
static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

static void healthz_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	struct app *app = arg;
	cJSON *o = cJSON_CreateObject();
	const char *store = store_state(app->store);
	int ok = strcmp(store, "ok") == 0 && !app->stopping;
	cJSON_AddStringToObject(o, "status", ok ? "ok" : (app->stopping ? "stopping" : "degraded"));
	cJSON_AddNumberToObject(o, "uptime_s",
				(double)(uv_now(app->loop) - app->started_ms) / 1000.0);
	cJSON_AddStringToObject(o, "version", DESKBOT_VERSION);
	cJSON_AddStringToObject(o, "store", store);
	app_describe_replies(app, o);
	cJSON *ch = cJSON_AddObjectToObject(o, "channels");
	app_describe_channels(app, ch);
	app_leases_describe(app, o, ch);
	char *s = cJSON_PrintUnformatted(o);
	http_resp_json(resp, ok ? 200 : 503, s);
	free(s);
	cJSON_Delete(o);
}

static void metrics_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	struct app *app = arg;
	*metrics_series(app->metrics, "deskbot_uptime_seconds", "") =
		(double)(uv_now(app->loop) - app->started_ms) / 1000.0;
	*metrics_series(app->metrics, "process_resident_memory_bytes", "") = (double)rss_bytes();
	*metrics_series(app->metrics, "deskbot_loop_idle_seconds_total", "") =
		(double)uv_metrics_idle_time(app->loop) / 1e9;
	*metrics_series(app->metrics, "deskbot_http_client_in_flight", "") =
		app->http ? (double)http_client_active(app->http) : 0;
	app_update_metrics(app);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metrics_render(app->metrics, &resp->body);
}

static void declare_metrics(struct app *app)
{
	struct metrics *m = app->metrics;
	metrics_family(m, "deskbot_uptime_seconds", "gauge", "Seconds since start.");
	metrics_family(m, "process_resident_memory_bytes", "gauge", "Resident memory in bytes.");
	metrics_family(m, "deskbot_loop_idle_seconds_total", "counter",
		       "Time the event loop spent idle waiting for events.");
	metrics_family(m, "deskbot_http_client_in_flight", "gauge",
		       "Outgoing HTTP requests in flight.");
	metrics_family(m, "deskbot_reloads_total", "counter", "Reply-set reloads by result.");
	app->m_reloads_ok = metrics_series(m, "deskbot_reloads_total", "result=\"ok\"");
	app->m_reloads_failed = metrics_series(m, "deskbot_reloads_total", "result=\"failed\"");
}

static void closed_noop(uv_handle_t *h)
{
	(void)h;
}

/* Last step: everything else has released the loop. */
static void close_own_handles(struct app *app)
{
	retention_close(app->retention);
	app->retention = NULL;
	store_close(app->store);
	app->store = NULL;
	uv_close((uv_handle_t *)&app->sig_int, closed_noop);
	uv_close((uv_handle_t *)&app->sig_term, closed_noop);
	uv_close((uv_handle_t *)&app->sig_hup, closed_noop);
	uv_close((uv_handle_t *)&app->shutdown_timer, closed_noop);
	log_info("shutdown: complete");
}

static void http_closed_cb(void *arg)
{
	struct app *app = arg;
	app->http = NULL;
	close_own_handles(app);
}

static void server_stopped_cb(void *arg)
{
	struct app *app = arg;
	app->server = NULL;
	console_free(app->console);
	app->console = NULL;
	file_fetch_free(app->files); /* before the channels: their downloads point into it */
	app->files = NULL;
	app_channels_free(app);
	if (app->http)
		http_client_close(app->http, http_closed_cb, app);
	else
		close_own_handles(app);
}

/* In-flight work finished, or the grace period ran out: release the loop. */
static void finish_shutdown(struct app *app)
{
	uv_timer_stop(&app->shutdown_timer);
	if (app->server)
		server_stop(app->server, server_stopped_cb, app);
	else
		server_stopped_cb(app);
}

static void shutdown_tick_cb(uv_timer_t *t)
{
	struct app *app = t->data;
	if (app_work_in_flight(app) && uv_now(app->loop) < app->stop_deadline_ms)
		return;
	if (app_work_in_flight(app))
		log_warn("shutdown: grace period of %lld ms over with sends in flight; their rows "
			 "stay pending and are sent after restart",
			 (long long)app->cfg.shutdown_grace_ms);
	finish_shutdown(app);
}

void app_stop(struct app *app)
{
	if (app->stopping)
		return;
	app->stopping = 1;
	log_info("shutdown: stopping intake, waiting up to %d ms for sends in flight",
		 app->cfg.shutdown_grace_ms);
	app_channels_stop(app);
	console_stop(app->console);
	app->stop_deadline_ms = uv_now(app->loop) + (uint64_t)app->cfg.shutdown_grace_ms;
	uv_timer_start(&app->shutdown_timer, shutdown_tick_cb, 0, 20);
}

static void signal_cb(uv_signal_t *h, int signum)
{
	struct app *app = h->data;
	if (signum == SIGHUP) {
		log_info("signal: SIGHUP, reloading the reply set");
		app_reload(app, NULL);
		return;
	}
	log_info("signal: %s", signum == SIGINT ? "SIGINT" : "SIGTERM");
	app_stop(app);
}

struct replyset *app_live_replies(void *arg)
{
	return ((struct app *)arg)->replies;
}

static int reload_replies(void *arg, struct buf *out)
{
	return app_reload(arg, out);
}

int app_casework_start(struct app *app)
{
	struct casework_deps d = {.store = app->store, .events = app->events,
				  .replies = app_live_replies, .replies_arg = app,
				  .crm_webhook_url = app->cfg.crm_webhook_url};
	app->casework = casework_new(&d);
	return app->casework ? 0 : -1;
}

void app_webhooks_start(struct app *app)
{
	struct webhooks_deps d = {.store = app->store, .outbox = app->outbox,
				  .events = app->events, .crm_url = app->cfg.crm_webhook_url,
				  .notify_url = app->cfg.notify_webhook_url};
	app->webhooks = webhooks_new(&d);
}

void app_console_start(struct app *app)
{
	struct console_deps d = {.loop = app->loop, .cfg = &app->cfg, .store = app->store,
				 .server = app->server, .outbox = app->outbox,
				 .events = app->events, .replies = app_live_replies,
				 .reload = reload_replies, .typing = app_channel_typing,
				 .can_send_files = app_channel_can_send_files, .arg = app};
	app->console = console_new(&d);
}

/* The file fetcher on the app's store, events and channels (after the channels). */
static void files_start(struct app *app)
{
	struct file_fetch_deps d = {.loop = app->loop, .store = app->store,
				    .events = app->events, .fetch = app_channel_fetch_file,
				    .arg = app};
	app->files = file_fetch_new(&d);
}

static int parse_args(int argc, char **argv, const char **config_path)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			*config_path = argv[++i];
		else {
			fprintf(stderr, "usage: deskbot run [--config FILE]\n");
			return -1;
		}
	}
	return 0;
}

int app_main(int argc, char **argv)
{
	const char *config_path = NULL;
	if (parse_args(argc, argv, &config_path) < 0)
		return 2;
	struct app *app = xcalloc(1, sizeof *app);
	char err[512];
	if (config_load(config_path, &app->cfg, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(app);
		return 1;
	}
	enum log_level level;
	if (log_level_parse(app->cfg.log_level, &level) == 0)
		log_set_level(level);
	if (getenv("DESKBOT_CLOCK") && *getenv("DESKBOT_CLOCK"))
		log_warn("clock: DESKBOT_CLOCK=%s: running on a shifted clock (for tests only)",
			 getenv("DESKBOT_CLOCK"));

	uv_loop_t loop;
	uv_loop_init(&loop);
	uv_loop_configure(&loop, UV_METRICS_IDLE_TIME);
	app->loop = &loop;
	app->started_ms = uv_now(&loop);
	app->metrics = metrics_new();
	app->events = events_new();
	declare_metrics(app);
	int result = 1;

	/* Past ulimit -f the kernel would kill us with SIGXFSZ, without a log line. Ignored,
	 * the write fails with EFBIG instead and the store treats it like a full disk:
	 * nothing is acknowledged that is not stored, /healthz says why. */
	signal(SIGXFSZ, SIG_IGN);
	if (store_open(config_store_where(&app->cfg), &app->store, err, sizeof err) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (!app->cfg.store_synchronous_full) {
		store_set_synchronous(app->store, 0);
		log_warn("store: synchronous=NORMAL: a power cut may undo the last commits, whose "
			 "messages VK and Telegram will not send again");
	}
	if (app_reload(app, NULL) < 0) {
		log_error("start-up: the reply set in %s is broken; fix it (deskbot check) and "
			  "start again", app->cfg.replies_dir);
		goto out_store;
	}
	/* Only a channel that calls out needs libcurl (see curl_dl.h). */
	int needs_http = app->cfg.vk.enabled || app->cfg.telegram.enabled || app->cfg.max.enabled ||
			 app->cfg.vk.n_pages || app->cfg.telegram.n_pages ||
			 app->cfg.crm_webhook_url != NULL || app->cfg.notify_webhook_url != NULL;
	if (needs_http && http_client_init(&loop, &app->http) < 0) {
		log_error("start-up: cannot initialise libcurl");
		goto out_store;
	}
	if (server_start(&loop, app->cfg.http_host, app->cfg.http_port, app->cfg.http_max_body,
			 &app->server, err, sizeof err) < 0) {
		log_error("%s", err);
		if (app->http)
			http_client_close(app->http, NULL, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		goto out_store;
	}
	server_route(app->server, "/healthz", healthz_route, app);
	server_route(app->server, "/metrics", metrics_route, app);
	app_routes(app);

	uv_signal_init(&loop, &app->sig_int);
	uv_signal_init(&loop, &app->sig_term);
	uv_signal_init(&loop, &app->sig_hup);
	app->sig_int.data = app->sig_term.data = app->sig_hup.data = app;
	uv_signal_start(&app->sig_int, signal_cb, SIGINT);
	uv_signal_start(&app->sig_term, signal_cb, SIGTERM);
	uv_signal_start(&app->sig_hup, signal_cb, SIGHUP);
	uv_timer_init(&loop, &app->shutdown_timer);
	app->shutdown_timer.data = app;
	app->retention = retention_start(&loop, app->store, app->cfg.store_retention_days,
					 app->cfg.store_audit_retention_days);

	if (app_channels_start(app) < 0) {
		app->exit_code = 1;
		app_stop(app);
	} else {
		app_console_start(app);
		files_start(app);
	}
	log_info("deskbot %s listening on http://%s:%d (store %s, replies %s)", DESKBOT_VERSION,
		 app->cfg.http_host, server_port(app->server),
		 app->cfg.store_url ? "on PostgreSQL" : app->cfg.store_path, /* no password */
		 app->cfg.replies_dir);
	uv_run(&loop, UV_RUN_DEFAULT);
	result = app->exit_code;
	goto out;

out_store:
	store_close(app->store);
	app->store = NULL;
out:
	uv_walk(&loop, app_report_leftover, NULL);
	if (uv_loop_close(&loop) != 0) {
		log_error("shutdown: event loop still had open handles");
		result = result ? result : 1;
	}
	app_replies_release(app);
	free(app->admin_guard);
	metrics_free(app->metrics);
	webhooks_free(app->webhooks);
	casework_free(app->casework);
	events_free(app->events);
	config_free(&app->cfg);
	free(app);
	return result;
}
