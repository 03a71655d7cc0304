/* A console without a network for the console's unit tests: a real loop, store (in a
 * temporary directory), reply set, events, outbox and web channel, the console created
 * by app_console_start as the daemon does, and requests handed straight to
 * console_api_handle. */
#ifndef DESKBOT_TEST_CONSOLE_FIXTURE_H
#define DESKBOT_TEST_CONSOLE_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "app.h"
#include "app_internal.h"
#include "auth.h"
#include "clock.h"
#include "cases.h"
#include "casework.h"
#include "channels/channel.h"
#include "console.h"
#include "console_api.h"
#include "events.h"
#include "metrics.h"
#include "outbox.h"
#include "password.h"
#include "server.h"
#include "store.h"
#include "store_int.h"
#include "store_sql.h"
#include "test_backends.h"
#include "test_helpers.h"
#include "test_store_tx.h"

#define FX_PASSWORD "correct horse battery"
#define FX_MAX_EVENTS 64

struct fx_event {
	char type[32];
	int64_t case_id;
	char text[256];
};

struct fx {
	uv_loop_t loop;
	struct app app;
	char dir[64];
	struct console *con;
	struct fx_event events[FX_MAX_EVENTS];
	int n_events;
	int sub;
};

/* One hash for every test operator: yescrypt is slow on purpose. */
static char *fx_hash;

static void fx_event_cb(void *arg, const char *type, const cJSON *data)
{
	struct fx *f = arg;
	if (f->n_events >= FX_MAX_EVENTS)
		return;
	struct fx_event *e = &f->events[f->n_events++];
	snprintf(e->type, sizeof e->type, "%s", type);
	const cJSON *id = cJSON_GetObjectItem(data, "case_id");
	e->case_id = cJSON_IsNumber(id) ? (int64_t)id->valuedouble : 0;
	const cJSON *t = cJSON_GetObjectItem(data, "text");
	snprintf(e->text, sizeof e->text, "%s", cJSON_IsString(t) ? t->valuestring : "");
}

/* How many events of type were seen (for case_id, or any case when 0). */
static inline int fx_count(const struct fx *f, const char *type, int64_t case_id)
{
	int n = 0;
	for (int i = 0; i < f->n_events; i++)
		n += strcmp(f->events[i].type, type) == 0 &&
		     (!case_id || f->events[i].case_id == case_id);
	return n;
}

static inline void fx_add_operator(struct config *cfg, const char *login, const char *role)
{
	cfg->operators = xrealloc(cfg->operators, (cfg->n_operators + 1) * sizeof *cfg->operators);
	struct config_operator *o = &cfg->operators[cfg->n_operators++];
	o->login = xstrdup(login);
	o->password_hash = xstrdup(fx_hash);
	o->role = xstrdup(role);
	o->display_name = NULL;
}

/* The fixture with the console in lang ("ru" or "en": config console.language). */
static inline int fx_setup_lang(void **state, const char *lang)
{
	struct fx *f = xcalloc(1, sizeof *f);
	/* The suite runs at the hour DESKBOT_CLOCK says (tests/run-all.sh runs it at several). */
	char clock_err[160];
	if (clock_init_from_env(clock_err, sizeof clock_err) < 0)
		abort();
	if (!fx_hash)
		fx_hash = password_hash(FX_PASSWORD);
	snprintf(f->dir, sizeof f->dir, "/tmp/deskbot-console-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	uv_loop_init(&f->loop);
	struct app *app = &f->app;
	app->loop = &f->loop;
	char err[256];
	char *path = xasprintf("%s/deskbot.db", f->dir);
	if (config_load(NULL, &app->cfg, err, sizeof err) < 0)
		abort();
	free(app->cfg.store_path);
	app->cfg.store_path = path;
	/* On tb_run's PostgreSQL pass, a fresh schema instead of the file. */
	if (tb_pg)
		app->cfg.store_url = tb_store_where(path);
	fx_add_operator(&app->cfg, "marina", "admin");
	fx_add_operator(&app->cfg, "oleg", "operator");
	fx_add_operator(&app->cfg, "anna", "operator"); /* no display name: the fallbacks */
	app->cfg.operators[0].display_name = xstrdup("Марина");
	app->cfg.operators[1].display_name = xstrdup("Олег Петров");
	free(app->cfg.console_language);
	app->cfg.console_language = xstrdup(lang);
	app->metrics = metrics_new();
	app->events = events_new();
	if (store_open(config_store_where(&app->cfg), &app->store, err, sizeof err) < 0)
		fail_msg("store_open: %s", err);
	app->replies = th_default_set();
	if (app_casework_start(app) < 0)
		abort();
	app_pipeline_open(app);
	f->sub = events_subscribe(app->events, fx_event_cb, f);
	app_channels_add_local(app);
	for (int i = 0; i < app->n_channels; i++)
		outbox_add_channel(app->outbox, app->channels[i]);
	app_console_start(app);
	f->con = app->console;
	*state = f;
	return 0;
}

static inline int fx_setup(void **state)
{
	return fx_setup_lang(state, "ru");
}

static inline int fx_setup_en(void **state)
{
	return fx_setup_lang(state, "en");
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;
	struct app *app = &f->app;
	/* Sends in flight finish first, as the daemon's shutdown lets them. */
	int64_t waiting = 1, oldest = 0;
	for (int i = 0; i < 50 && (outbox_in_flight(app->outbox) || waiting); i++) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		if (store_outbox_depth(app->store, "web", &waiting, &oldest) < 0)
			waiting = 0;
	}
	app_channels_stop(app);
	console_stop(app->console);
	console_free(app->console);
	app->console = NULL;
	app_channels_free(app);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	events_unsubscribe(app->events, f->sub);
	casework_free(app->casework);
	store_close(app->store);
	tb_store_drop();
	replyset_unref(app->replies);
	events_free(app->events);
	metrics_free(app->metrics);
	config_free(&app->cfg);
	th_rmtree(f->dir);
	free(f);
	return 0;
}

/* An answer: status and parsed body (NULL when not JSON). */
struct fx_resp {
	int status;
	cJSON *body;
	char set_cookie[256];
};

static inline void fx_resp_free(struct fx_resp *r)
{
	cJSON_Delete(r->body);
	r->body = NULL;
}

/* One request. path may carry "?query". NULL cookie/csrf send none; content_type NULL
 * means application/json. */
static inline struct fx_resp fx_req_full(struct fx *f, const char *method, const char *path,
					 const char *body, const char *cookie, const char *csrf,
					 const char *content_type, const char *origin)
{
	char p[256], q[256] = "";
	snprintf(p, sizeof p, "%s", path);
	char *qm = strchr(p, '?');
	if (qm) {
		snprintf(q, sizeof q, "%s", qm + 1);
		*qm = '\0';
	}
	struct http_req req = {
		.method = method, .path = p, .query = q, .body = body ? body : "",
		.body_len = body ? strlen(body) : 0, .cookie = cookie ? cookie : "",
		.authorization = "", .content_type = content_type ? content_type : "application/json",
		.origin = origin ? origin : "", .host = "127.0.0.1:8080", .csrf = csrf ? csrf : "",
		.peer = "127.0.0.1"};
	struct http_resp resp = {.status = 200, .content_type = "application/json"};
	console_api_handle(console__api(f->con), &req, &resp);
	struct fx_resp r = {.status = resp.status};
	r.body = resp.body.data ? cJSON_Parse(resp.body.data) : NULL;
	if (resp.set_cookie)
		snprintf(r.set_cookie, sizeof r.set_cookie, "%s", resp.set_cookie);
	buf_free(&resp.body);
	free(resp.set_cookie);
	return r;
}

/* A logged-in operator: "deskbot_session=..." and the CSRF token. */
struct fx_user {
	char cookie[128];
	char csrf[80];
};

static inline struct fx_user fx_login(struct fx *f, const char *login)
{
	char body[160];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, FX_PASSWORD);
	struct fx_resp r = fx_req_full(f, "POST", "/api/login", body, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	struct fx_user u;
	char *semi = strchr(r.set_cookie, ';');
	assert_non_null(semi);
	snprintf(u.cookie, sizeof u.cookie, "%.*s", (int)(semi - r.set_cookie), r.set_cookie);
	snprintf(u.csrf, sizeof u.csrf, "%s", cJSON_GetObjectItem(r.body, "csrf")->valuestring);
	fx_resp_free(&r);
	return u;
}

static inline struct fx_resp fx_get(struct fx *f, const struct fx_user *u, const char *path)
{
	return fx_req_full(f, "GET", path, NULL, u ? u->cookie : NULL, NULL, NULL, NULL);
}

static inline struct fx_resp fx_post(struct fx *f, const struct fx_user *u, const char *path,
				     const char *body)
{
	return fx_req_full(f, "POST", path, body ? body : "{}", u ? u->cookie : NULL,
			   u ? u->csrf : NULL, NULL, NULL);
}

/* Creates a new case for web chat peer (as the pipeline would) and returns its id. */
static inline int64_t fx_case(struct fx *f, int64_t peer, const char *severity,
			      const char *channel, int64_t created_at)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "created_at", (double)created_at);
	cJSON_AddNumberToObject(r, "updated_at", (double)created_at);
	cJSON_AddNumberToObject(r, "sla_due_at", (double)created_at + 3600);
	cJSON_AddStringToObject(r, "channel", channel);
	cJSON_AddNumberToObject(r, "peer_id", (double)peer);
	cJSON_AddNumberToObject(r, "user_id", (double)peer);
	cJSON_AddStringToObject(r, "display_name", "Иван");
	cJSON_AddStringToObject(r, "phone", "+79161234567");
	cJSON_AddStringToObject(r, "account", "1234567");
	cJSON_AddStringToObject(r, "category", "complaint");
	cJSON_AddStringToObject(r, "severity", severity);
	cJSON *fl = cJSON_AddObjectToObject(r, "flags");
	cJSON_AddTrueToObject(fl, "legal_threat");
	cJSON_AddFalseToObject(fl, "obscene");
	cJSON_AddStringToObject(r, "summary", "<script>alert(1)</script> нет связи");
	cJSON *tr = cJSON_AddArrayToObject(r, "transcript");
	cJSON *l = cJSON_CreateObject();
	cJSON_AddNumberToObject(l, "at", (double)created_at);
	cJSON_AddStringToObject(l, "from", "customer");
	cJSON_AddStringToObject(l, "text", "нет связи");
	cJSON_AddItemToArray(tr, l);
	cJSON_AddStringToObject(r, "status", "new");
	cJSON_AddNullToObject(r, "assignee");
	int64_t id = 0;
	char number[24];
	struct store_tx *tx = store_begin(f->app.store);
	assert_non_null(tx);
	assert_int_equal(store_case_create(tx, r, created_at, &id, number, sizeof number), 0);
	assert_int_equal(store_commit(tx), 0);
	cJSON_Delete(r);
	return id;
}

/* The case record as stored now. Caller frees. */
static inline cJSON *fx_record(struct fx *f, int64_t id)
{
	cJSON *r = NULL;
	assert_int_equal(store_case_get(f->app.store, id, &r), 0);
	assert_non_null(r);
	return r;
}

/* Rows in the outbox of channel/peer whose source starts with prefix. */
static inline int fx_outbox_rows(struct fx *f, int64_t peer, const char *prefix)
{
	struct sql_stmt *s = sql_prepare(
		store__db(f->app.store),
		"SELECT count(*) FROM outbox WHERE peer_id = ? AND source LIKE ? || '%'");
	assert_non_null(s);
	sql_bind_int64(s, 1, peer);
	sql_bind_text(s, 2, prefix);
	int n = sql_step(s) == SQL_ROW ? sql_column_int(s, 0) : -1;
	sql_finalize(s);
	return n;
}

static inline const char *fx_str(const cJSON *o, const char *path1, const char *path2)
{
	const cJSON *v = cJSON_GetObjectItem(o, path1);
	if (path2)
		v = cJSON_GetObjectItem(v, path2);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

#endif
