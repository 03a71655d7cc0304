/* The console's pages and JSON API (see console_api.h). Route handlers are synchronous:
 * each one checks the session, the CSRF token and the role, then asks the cases service
 * (cases.h) for the change, which commits and tells the live updates. */
#include "console_api.h"

#include "clock.h"
#include "console_text.h"
#include "worktime.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assets.h"
#include "auth.h"
#include "buf.h"
#include "case_search.h"
#include "cases.h"
#include "config.h"
#include "channels/channel.h"
#include "console_hub.h"
#include "console_ideas.h"
#include "console_misses.h"
#include "convstate.h"
#include "handoff.h"
#include "json_util.h"
#include "log.h"
#include "replyset.h"
#include "server.h"
#include "severity.h"
#include "store.h"
#include "store_console.h"
#include "store_files.h"
#include "file_fetch.h"
#include "store_wall.h"
#include "xalloc.h"

#define CONSOLE_MAX_TEXT 4000   /* bytes of a reply, note or resolution */
#define CONSOLE_SESSION_S (12 * 3600)
#define CONSOLE_LIST_MAX 500
#define CONSOLE_QUERY_MAX 200  /* bytes of a search query */
#define CONSOLE_VIEWS_MAX 50   /* saved views per login */

struct console_api {
	struct console_api_deps d;
	struct case_search *search;
};

/* What a request brings once its session is checked. */
struct call {
	struct console_api *c;
	const struct http_req *req;
	struct http_resp *resp;
	const struct auth_session *s; /* NULL for login */
	cJSON *body;                  /* parsed JSON body of a POST, or NULL */
	int64_t now;                  /* unix seconds */
};

/* ---- small helpers ---- */

/* The console's language ("ru" or "en", config console.language). */
static const char *api_lang(const struct console_api *c)
{
	return c->d.cfg ? c->d.cfg->console_language : NULL;
}

/* One of the console's texts in the configured language (console_text.h). */
static const char *api_text(const struct console_api *c, enum console_text_id id)
{
	return console_text(api_lang(c), id);
}

static const char *txt(const struct call *k, enum console_text_id id)
{
	return api_text(k->c, id);
}

static const char *body_text(struct call *k, const char *key, int required);

static void set_num(cJSON *o, const char *key, double value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, value);
}

static int str_is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The live reply set (swapped whole on reload: asked for at each use). */
static struct replyset *live_replies(struct console_api *c)
{
	return c->d.replies ? c->d.replies(c->d.arg) : NULL;
}

/* ---- responses ---- */

static void reply_json(struct http_resp *resp, int status, cJSON *o)
{
	/* Every answer carries the daemon's time: the console measures waits and SLA
	 * against it, not against the browser's clock, which may be off. */
	if (cJSON_IsObject(o) && !cJSON_GetObjectItemCaseSensitive(o, "server_now"))
		cJSON_AddNumberToObject(o, "server_now", (double)clock_now_s());
	char *s = cJSON_PrintUnformatted(o);
	http_resp_json(resp, status, s);
	free(s);
	cJSON_Delete(o);
}

/* Answers {"case": record + id}. record is borrowed. */
static void reply_case(struct call *k, int64_t id, const cJSON *record)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *r = cJSON_Duplicate(record, 1);
	set_num(r, "id", (double)id);
	cJSON_AddItemToObject(o, "case", r);
	reply_json(k->resp, 200, o);
}

static void store_failed(struct call *k, const char *what)
{
	log_error("console: %s failed: %s", what, store_state(k->c->d.store));
	http_resp_error(k->resp, 500, txt(k, CT_STORE_FAILED));
}

/* An audit entry that is a unit of work of its own (a login, a logout, a reload). */
static void audit_alone(struct store *st, const char *actor, const char *action,
			const char *detail, int64_t now)
{
	struct store_tx *tx = store_begin(st);
	if (!tx || store_audit(tx, actor, action, 0, detail, now) < 0) {
		store_rollback(tx);
		log_error("console: audit %s of %s not written", action, actor);
		return;
	}
	if (store_commit(tx) < 0)
		log_error("console: audit %s of %s not written: %s", action, actor,
			  store_state(st));
}

/* ---- pages ---- */

static void console_page_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	if (strcmp(req->method, "GET") != 0) {
		http_resp_error(resp, 405, api_text(arg, CT_USE_GET));
		return;
	}
	assets_respond(resp, "console.html");
}

static void console_asset_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	const char *name = req->path + strlen("/console/");
	if (strcmp(req->method, "GET") != 0 || !*name || strchr(name, '/')) {
		http_resp_error(resp, 404, api_text(arg, CT_NOT_FOUND));
		return;
	}
	assets_respond(resp, name);
}

/* ---- sessions ---- */

/* The answer to a login, once auth has decided (at once, or after the password check on
 * the thread pool). */
static void login_answer(struct console_api *c, struct http_resp *resp, int result,
			 const struct auth_session *s, int64_t retry, const char *actor,
			 const char *peer, int64_t now)
{
	if (result == AUTH_EMALFORMED) {
		http_resp_error(resp, 400, console_auth_text(api_lang(c), result));
		return;
	}
	if (result == AUTH_ETHROTTLED) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", console_auth_text(api_lang(c), result));
		cJSON_AddNumberToObject(o, "retry_after_s", (double)((retry + 999) / 1000));
		reply_json(resp, 429, o);
		/* One row a minute per login for all its refusals (auth.h), not one each. */
		int refused = auth_throttle_report(c->d.auth);
		if (refused) {
			char detail[96];
			snprintf(detail, sizeof detail, api_text(c, CT_LOGIN_REFUSED_DETAIL), peer,
				 refused);
			audit_alone(c->d.store, actor, "login_throttled", detail, now);
		}
		return;
	}
	if (result < 0) {
		if (result == AUTH_EBAD_CREDENTIALS)
			audit_alone(c->d.store, actor, "login_failed", peer, now);
		http_resp_error(resp, result == AUTH_EBAD_CREDENTIALS ? 401 : 503,
				console_auth_text(api_lang(c), result));
		return;
	}
	audit_alone(c->d.store, s->login, "login", peer, now);
	resp->set_cookie = auth_cookie(s->token, CONSOLE_SESSION_S);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "login", s->login);
	cJSON_AddStringToObject(o, "role", s->role);
	cJSON_AddStringToObject(o, "csrf", s->csrf);
	reply_json(resp, 200, o);
}

/* A login whose password check runs on the thread pool (yescrypt: 20-25 ms that the
 * loop would otherwise spend not serving anyone). Owned by itself until login_done. */
struct login_wait {
	struct console_api *c;
	struct http_deferred *d;
	char actor[64];
	char peer[64];
	int64_t now;
};

static void login_done(void *arg, int result, const struct auth_session *s, int64_t retry)
{
	struct login_wait *w = arg;
	struct http_resp *resp = server_deferred_resp(w->d);
	if (result == AUTH_ECANCELLED) /* shutting down: the console and its config may be gone */
		http_resp_error(resp, 503, console_auth_text(NULL, result));
	else
		login_answer(w->c, resp, result, s, retry, w->actor, w->peer, w->now);
	server_deferred_send(w->d);
	free(w);
}

static void api_login(struct call *k)
{
	struct console_api *c = k->c;
	const char *login = json_str(k->body, "login");
	const char *password = json_str(k->body, "password");
	char actor[64];
	snprintf(actor, sizeof actor, "%s", login && *login ? login : "?");
	struct http_deferred *d = server_defer(c->d.server, k->resp);
	if (d) {
		struct login_wait *w = xcalloc(1, sizeof *w);
		w->c = c;
		w->d = d;
		w->now = k->now;
		snprintf(w->actor, sizeof w->actor, "%s", actor);
		snprintf(w->peer, sizeof w->peer, "%s", k->req->peer);
		auth_login_async(c->d.auth, c->d.loop, login, password, k->req->peer, login_done,
				 w);
		return;
	}
	/* Called directly, not through the server (unit tests): the check runs here. */
	const struct auth_session *s = NULL;
	int64_t retry = 0;
	int result = auth_login(c->d.auth, login, password, k->req->peer, clock_now_ms(), &s, &retry);
	login_answer(c, k->resp, result, s, retry, actor, k->req->peer, k->now);
}

static void api_logout(struct call *k)
{
	audit_alone(k->c->d.store, k->s->login, "logout", NULL, k->now);
	uint64_t id = k->s->id;
	console_hub_forget_session(k->c->d.hub, id);
	auth_logout(k->c->d.auth, id);
	k->s = NULL;
	k->resp->set_cookie = auth_cookie(NULL, 0);
	http_resp_json(k->resp, 200, "{\"ok\":true}");
}

static void api_session(struct call *k)
{
	struct console_api *c = k->c;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "login", k->s->login);
	cJSON_AddStringToObject(o, "role", k->s->role);
	cJSON_AddStringToObject(o, "csrf", k->s->csrf);
	cJSON *ops = cJSON_AddArrayToObject(o, "operators");
	const struct config *cfg = c->d.cfg;
	cJSON *names = cJSON_AddObjectToObject(o, "names"); /* login -> display name or login */
	for (size_t i = 0; i < cfg->n_operators; i++) {
		const char *login = cfg->operators[i].login;
		cJSON_AddItemToArray(ops, cJSON_CreateString(login));
		cJSON_AddStringToObject(names, login, config_operator_title(cfg, login));
	}
	cJSON_AddStringToObject(o, "language", api_lang(c));
	cJSON *chs = cJSON_AddArrayToObject(o, "channels");
	for (unsigned i = 0; i < channel_n_customer_names; i++)
		cJSON_AddItemToArray(chs, cJSON_CreateString(channel_customer_names[i]));
	channel_pages_json(cfg, cJSON_AddArrayToObject(o, "pages"));
	/* Titles, so that the console shows «Плохо работает интернет», not the id. */
	cJSON *titles = cJSON_AddObjectToObject(o, "intents");
	struct replyset *rs = live_replies(c);
	for (size_t i = 0; rs && i < replyset_n_intents(rs); i++) {
		const struct replyset_intent *in = replyset_intent_at(rs, i);
		cJSON *t = cJSON_AddObjectToObject(titles, in->id);
		const char *title = in->title[RS_RU] ? in->title[RS_RU] : in->id;
		cJSON_AddStringToObject(t, "title", title);
		if (in->title[RS_EN]) /* the English console's (console.language "en") */
			cJSON_AddStringToObject(t, "title_en", in->title[RS_EN]);
		if (in->category)
			cJSON_AddStringToObject(t, "category", in->category);
	}
	cJSON *cats = cJSON_AddArrayToObject(o, "categories");
	for (size_t i = 0; rs && i < replyset_n_intents(rs); i++) {
		const struct replyset_intent *in = replyset_intent_at(rs, i);
		if (in->kind != RS_COMPLAINT || !in->category)
			continue;
		int seen = 0;
		const cJSON *it;
		cJSON_ArrayForEach(it, cats)
		{
			seen |= strcmp(it->valuestring, in->category) == 0;
		}
		if (!seen)
			cJSON_AddItemToArray(cats, cJSON_CreateString(in->category));
	}
	reply_json(k->resp, 200, o);
}

/* ---- the queue ---- */

struct list_ctx {
	cJSON *arr;
};

static void list_one(void *arg, int64_t id, const cJSON *record)
{
	struct list_ctx *l = arg;
	cJSON_AddItemToArray(l->arr, cases_summary(id, record));
}

/* A summary with the case's notes and resolution (the customer's history). */
static void history_one(void *arg, int64_t id, const cJSON *record)
{
	struct list_ctx *l = arg;
	cJSON *s = cases_summary(id, record);
	const cJSON *notes = json_arr(record, "notes");
	cJSON_AddItemToObject(s, "notes", notes ? cJSON_Duplicate(notes, 1) : cJSON_CreateArray());
	const char *res = json_str(record, "resolution");
	if (res)
		cJSON_AddStringToObject(s, "resolution", res);
	cJSON_AddItemToArray(l->arr, s);
}

/* ---- search ---- */

static int valid_flag(const char *s)
{
	static const char *const flags[] = {"obscene", "legal_threat", "spread_call",
					    "shouting", "repeat_contact", "high_reach"};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (strcmp(s, flags[i]) == 0)
			return 1;
	return 0;
}

static int one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

/* A unix time argument: empty (0) or a non-negative integer; -1 when malformed. */
static int64_t time_arg(const char *v)
{
	if (!*v)
		return 0;
	char *end;
	long long t = strtoll(v, &end, 10);
	return *end || t < 0 ? -1 : t;
}

static void api_cases(struct call *k)
{
	char status[16] = "open", channel[32] = "", category[64] = "", assignee[64] = "",
	     limit[16] = "", severity[16] = "", flag[32] = "", from[24] = "", to[24] = "",
	     q[CONSOLE_QUERY_MAX + 1] = "";
	/* Each argument decoded once, by libwebsockets; one that does not fit is a bad filter. */
	const struct http_req *r = k->req;
	int bad = http_req_param(r, "status", status, sizeof status) == -2;
	bad |= http_req_param(r, "channel", channel, sizeof channel) == -2;
	bad |= http_req_param(r, "category", category, sizeof category) == -2;
	bad |= http_req_param(r, "assignee", assignee, sizeof assignee) == -2;
	bad |= http_req_param(r, "limit", limit, sizeof limit) == -2;
	bad |= http_req_param(r, "severity", severity, sizeof severity) == -2;
	bad |= http_req_param(r, "flag", flag, sizeof flag) == -2;
	bad |= http_req_param(r, "from", from, sizeof from) == -2;
	bad |= http_req_param(r, "to", to, sizeof to) == -2;
	bad |= http_req_param(r, "q", q, sizeof q) == -2;
	static const char *const statuses[] = {"open", "all", "new", "claimed", "waiting",
					       "resolved", "closed"};
	long lim = *limit ? strtol(limit, NULL, 10) : 200;
	int64_t t_from = time_arg(from), t_to = time_arg(to);
	bad |= !one_of(status, statuses, sizeof statuses / sizeof statuses[0]);
	bad |= *severity && severity_of(severity) < 0;
	bad |= *flag && !valid_flag(flag);
	bad |= t_from < 0 || t_to < 0 || lim <= 0 || lim > CONSOLE_LIST_MAX;
	if (bad) {
		http_resp_error(k->resp, 400, "неверный фильтр: статус open, all, new, claimed, "
					      "waiting, resolved или closed; важность critical, "
					      "high, normal или low; признак из списка; from и to "
					      "в секундах Unix; limit от 1 до 500; запрос до 200 "
					      "байт");
		return;
	}
	struct buf ids = {0};
	char digits[32] = "";
	const char *p = q;
	while (isspace((unsigned char)*p))
		p++;
	int search = *p != '\0', partial = 0;
	if (search) {
		if ((partial = case_search_sync(k->c->search)) < 0) {
			store_failed(k, "search index");
			return;
		}
		if (case_search_terms(k->c->search, q, &ids, digits, sizeof digits) < 0) {
			buf_free(&ids);
			store_failed(k, "search");
			return;
		}
	}
	struct case_filter f = {
		.status = strcmp(status, "all") == 0 ? NULL : status,
		.channel = *channel ? channel : NULL,
		.category = *category ? category : NULL,
		.assignee = *assignee ? assignee : NULL,
		.severity = *severity ? severity : NULL,
		.flag = *flag ? flag : NULL,
		.created_from = t_from,
		.created_to = t_to,
		.limit = (int)lim};
	if (search) {
		/* A query of nothing but punctuation matches nothing ("[]"), not everything. */
		f.ids_json = ids.data;
		f.digits = *digits ? digits : NULL;
	}
	struct list_ctx l = {cJSON_CreateArray()};
	int rc = store_cases_each(k->c->d.store, &f, list_one, &l);
	buf_free(&ids);
	if (rc < 0) {
		cJSON_Delete(l.arr);
		store_failed(k, "case list");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "cases", l.arr);
	if (partial)
		cJSON_AddTrueToObject(o, "indexing"); /* older transcripts not searched yet */
	reply_json(k->resp, 200, o);
}

/* ---- saved views ---- */

static void api_views(struct call *k)
{
	cJSON *v = store_console_views(k->c->d.store, k->s->login);
	if (!v) {
		store_failed(k, "views");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "views", v);
	reply_json(k->resp, 200, o);
}

/* The filter of a view: an object of short strings under the keys the queue knows. */
static int view_filter_ok(const cJSON *f)
{
	static const char *const keys[] = {"status", "channel", "category", "assignee",
					   "severity", "flag", "from", "to", "q"};
	if (!cJSON_IsObject(f) || cJSON_GetArraySize(f) > 16)
		return 0;
	for (const cJSON *c = f->child; c; c = c->next)
		if (!one_of(c->string, keys, sizeof keys / sizeof keys[0]) || !cJSON_IsString(c) ||
		    strlen(c->valuestring) > CONSOLE_QUERY_MAX)
			return 0;
	return 1;
}

static void api_view_save(struct call *k)
{
	const char *name = body_text(k, "name", 1);
	if (!name)
		return;
	const cJSON *filter = cJSON_GetObjectItemCaseSensitive(k->body, "filter");
	if (strlen(name) > 64 || !view_filter_ok(filter)) {
		http_resp_error(k->resp, 400, txt(k, CT_BAD_VIEW));
		return;
	}
	struct store *st = k->c->d.store;
	cJSON *views = store_console_views(st, k->s->login);
	int exists = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, views)
	{
		exists |= str_is(json_str(it, "name"), name);
	}
	int n = views ? cJSON_GetArraySize(views) : -1;
	cJSON_Delete(views);
	if (n < 0) {
		store_failed(k, "views");
		return;
	}
	if (!exists && n >= CONSOLE_VIEWS_MAX) {
		http_resp_error(k->resp, 409, txt(k, CT_TOO_MANY_VIEWS));
		return;
	}
	char *text = cJSON_PrintUnformatted(filter);
	struct store_tx *tx = store_begin(st);
	int rc = tx ? store_console_view_put(tx, k->s->login, name, text, k->now) : -1;
	free(text);
	if (rc == 0)
		rc = store_audit(tx, k->s->login, "view_saved", 0, name, k->now);
	if (rc < 0)
		store_rollback(tx);
	else
		rc = store_commit(tx);
	if (rc < 0) {
		store_failed(k, "view");
		return;
	}
	api_views(k);
}

static void api_view_delete(struct call *k)
{
	const char *name = body_text(k, "name", 1);
	if (!name)
		return;
	struct store *st = k->c->d.store;
	struct store_tx *tx = store_begin(st);
	int rc = tx ? store_console_view_delete(tx, k->s->login, name) : -1;
	if (rc < 0)
		store_rollback(tx);
	else if (store_commit(tx) < 0)
		rc = -1;
	if (rc < 0) {
		store_failed(k, "view");
		return;
	}
	if (rc == 0) {
		http_resp_error(k->resp, 404, txt(k, CT_NO_SUCH_VIEW));
		return;
	}
	api_views(k);
}

/* Loads case id; answers 404 (and returns NULL) when there is none. Caller frees. */
static cJSON *load_case(struct call *k, int64_t id)
{
	cJSON *record = NULL;
	if (store_case_get(k->c->d.store, id, &record) < 0) {
		store_failed(k, "case load");
		return NULL;
	}
	if (!record)
		http_resp_error(k->resp, 404, txt(k, CT_NO_SUCH_CASE));
	return record;
}

static void api_case_get(struct call *k, int64_t id)
{
	struct console_api *c = k->c;
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	cJSON *o = cJSON_CreateObject();
	set_num(record, "id", (double)id);
	cJSON_AddItemToObject(o, "case", record);
	struct convstate *state = NULL;
	const char *channel = json_str(record, "channel");
	cJSON *conv = cJSON_AddObjectToObject(o, "conversation");
	if (channel && convstate_load(c->d.store, channel, json_int(record, "peer_id", 0), &state) == 0) {
		cJSON_AddStringToObject(conv, "mode", handoff_is_human(state) ? "human" : "bot");
		int64_t held_for = convstate_holder_case(state);
		if (held_for)
			cJSON_AddNumberToObject(conv, "case_id", (double)held_for);
		const char *lang = convstate_lang(state);
		cJSON_AddStringToObject(conv, "lang", lang ? lang : "ru");
	}
	convstate_free(state);
	cJSON *audit = store_console_audit(c->d.store, id, 200);
	cJSON_AddItemToObject(o, "audit", audit ? audit : cJSON_CreateArray());
	/* The customer's history beside the case: earlier cases (same chat user, or the same
	 * phone on another channel) with their notes and resolutions. */
	struct list_ctx hist = {cJSON_CreateArray()};
	if (store_cases_of_customer(c->d.store, id, 20, history_one, &hist) < 0)
		log_warn("console: case %lld: customer history: %s", (long long)id,
			 store_state(c->d.store));
	cJSON *cust = cJSON_AddObjectToObject(o, "customer");
	cJSON_AddItemToObject(cust, "cases", hist.arr);
	reply_json(k->resp, 200, o);
}

/* ---- templates ---- */

/* {eta} as every template reads it ("до {eta}", "by {eta}"): the bare local time, with
 * the date when it is not today (worktime.h). The words around it are the reply set's. */
static void eta_text(const struct replyset *rs, int64_t due, int lang, char *out, size_t outlen)
{
	(void)lang;
	worktime_format(replyset_settings(rs), due, clock_now_s(), out, outlen);
}

/* Placeholder values from a case; unknown ones stay visible as "{name}" for the
 * secretary to fill in. The strings point into record, buffers or literals. */
/* The record's non-empty string at key, or the placeholder itself. */
static const char *field_or(const cJSON *record, const char *key, const char *placeholder)
{
	const char *s = json_str(record, key);
	return s && *s ? s : placeholder;
}

static void case_vars(const cJSON *record, const struct replyset *rs, int lang,
		      const char *operator_name, char *eta, size_t etalen, struct tpl_vars *v)
{
	*v = (struct tpl_vars){
		.case_id = field_or(record, "number", "{case_id}"),
		.name = field_or(record, "display_name", "{name}"),
		.phone = field_or(record, "phone", "{phone}"),
		.account = field_or(record, "account", "{account}"),
		.operator_name = operator_name,
		.eta = "{eta}", .plan = "{plan}", .fee = "{fee}", .minutes = "{minutes}",
		.sms = "{sms}", .gb = "{gb}", .total = "{total}", .reason = "{reason}",
		.plan_a = "{plan_a}", .plan_b = "{plan_b}", .missing = "{missing}",
		.topics = "{topics}", .work_start = "{work_start}"};
	int64_t due = json_int(record, "sla_due_at", 0);
	if (due > 0) {
		eta_text(rs, due, lang, eta, etalen);
		v->eta = eta;
	}
}

static void api_templates(struct call *k, int64_t id)
{
	struct console_api *c = k->c;
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	struct replyset *rs = replyset_ref(live_replies(c));
	int lang = cases_lang(c->d.cases, record);
	char eta[32];
	struct tpl_vars v;
	/* The customer is told the secretary's display name, never the login; without one
	 * {operator} stays for the secretary to fill in (a reply with it is refused). */
	const char *name = config_operator_display_name(c->d.cfg, k->s->login);
	case_vars(record, rs, lang, name ? name : "{operator}", eta, sizeof eta, &v);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "lang", replyset_lang_code(lang));
	cJSON *arr = cJSON_AddArrayToObject(o, "templates");
	const cJSON *sugg = json_arr(record, "suggested_templates");
	for (size_t i = 0; i < replyset_n_templates(rs); i++) {
		const struct replyset_template *t = replyset_template_at(rs, i);
		if (t->kind != RS_TPL_OPERATOR)
			continue;
		const char *text = t->text[lang] ? t->text[lang] : t->text[RS_RU];
		if (!text)
			continue;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", t->id);
		cJSON_AddStringToObject(e, "text", text);
		char *filled = replyset_fill(text, &v);
		cJSON_AddStringToObject(e, "filled", filled);
		free(filled);
		int suggested = 0;
		const cJSON *it;
		cJSON_ArrayForEach(it, sugg)
		{
			suggested |= cJSON_IsString(it) && strcmp(it->valuestring, t->id) == 0;
		}
		cJSON_AddBoolToObject(e, "suggested", suggested);
		cJSON_AddItemToArray(arr, e);
	}
	/* The approved files (files.json), when the case's channel can send them. */
	const char *channel = json_str(record, "channel");
	int files_ok = channel && c->d.can_send_files && c->d.can_send_files(c->d.arg, channel);
	cJSON_AddBoolToObject(o, "can_send_files", files_ok);
	cJSON *files = cJSON_AddArrayToObject(o, "files");
	for (size_t i = 0; files_ok && i < replyset_n_files(rs); i++) {
		const struct replyset_file *f = replyset_file_at(rs, i);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", f->id);
		cJSON_AddStringToObject(e, "title", f->title[RS_RU]);
		if (f->title[RS_EN])
			cJSON_AddStringToObject(e, "title_en", f->title[RS_EN]);
		cJSON_AddStringToObject(e, "kind", f->kind == RS_FILE_PHOTO ? "photo" : "document");
		cJSON_AddStringToObject(e, "name", f->name);
		cJSON_AddNumberToObject(e, "size", (double)f->len);
		cJSON_AddItemToArray(files, e);
	}
	replyset_unref(rs);
	cJSON_Delete(record);
	reply_json(k->resp, 200, o);
}

/* ---- case actions ---- */

/* A text field of the body: present, a non-empty string, within the cap. */
static const char *body_text(struct call *k, const char *key, int required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(k->body, key);
	if (!v || cJSON_IsNull(v)) {
		if (required) {
			char msg[80];
			snprintf(msg, sizeof msg, txt(k, CT_FIELD_REQUIRED), key);
			http_resp_error(k->resp, 400, msg);
		}
		return NULL;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) > CONSOLE_MAX_TEXT) {
		char msg[96];
		snprintf(msg, sizeof msg, txt(k, CT_FIELD_TOO_LONG), key,
			 CONSOLE_MAX_TEXT);
		http_resp_error(k->resp, 400, msg);
		return NULL;
	}
	const char *s = v->valuestring;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s && required) {
		char msg[80];
		snprintf(msg, sizeof msg, txt(k, CT_FIELD_EMPTY), key);
		http_resp_error(k->resp, 400, msg);
		return NULL;
	}
	return v->valuestring;
}

/* 1 when the session may change the case's status: its holder or an admin. */
static int may_change(const struct auth_session *s, const cJSON *record)
{
	return str_is(json_str(record, "assignee"), s->login) || str_is(s->role, "admin");
}

/* The refusal of a plain claim of a case a colleague holds: it names the colleague as
 * secretaries know each other (display name, else login); "holder" keeps the login. */
static void refuse_claim(struct call *k, const char *holder)
{
	cJSON *o = cJSON_CreateObject();
	char msg[160];
	snprintf(msg, sizeof msg, txt(k, CT_CLAIMED_BY),
		 config_operator_title(k->c->d.cfg, holder));
	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddStringToObject(o, "holder", holder);
	reply_json(k->resp, 409, o);
}

/* A claim takes a case from the queue only (cases_claim refuses a held one, atomically):
 * a colleague's case is handed over by its holder or taken over by an admin (api_assign). */
static void api_claim(struct call *k, int64_t id)
{
	cJSON *before = load_case(k, id);
	if (!before)
		return;
	cJSON_Delete(before);
	char holder[64] = "";
	cJSON *record = NULL;
	int won = cases_claim(k->c->d.cases, id, k->s->login, k->now, holder, sizeof holder,
			      &record);
	if (won < 0) {
		store_failed(k, "claim");
		return;
	}
	if (won == 0) {
		if (*holder) {
			refuse_claim(k, holder);
		} else {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "error", txt(k, CT_CASE_DONE));
			reply_json(k->resp, 409, o);
		}
		return;
	}
	reply_case(k, id, record);
	cJSON_Delete(record);
}

/* Hands a case to a colleague (its holder, or an admin), or lets an admin take over a
 * colleague's case ("to" = the admin). The new holder answers the customer from now on. */
static void api_assign(struct call *k, int64_t id)
{
	const char *to = body_text(k, "to", 1);
	if (!to)
		return;
	if (!config_operator(k->c->d.cfg, to)) {
		http_resp_error(k->resp, 400, txt(k, CT_NO_SUCH_OPERATOR));
		return;
	}
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const char *holder = json_str(record, "assignee");
	char prev[64];
	snprintf(prev, sizeof prev, "%s", holder && *holder ? holder : "");
	int admin = str_is(k->s->role, "admin");
	if (!cases_is_open_status(json_str(record, "status"))) {
		http_resp_error(k->resp, 409, txt(k, CT_CASE_DONE));
	} else if (!admin && !str_is(prev, k->s->login)) {
		http_resp_error(k->resp, 403, txt(k, CT_ASSIGN_NOT_ALLOWED));
	} else if (str_is(prev, to)) {
		http_resp_error(k->resp, 409, txt(k, CT_ALREADY_WITH_THEM));
	} else if (cases_assign(k->c->d.cases, id, k->s->login, to, k->now) < 0) {
		store_failed(k, "assign");
	} else {
		cJSON_Delete(record);
		if ((record = load_case(k, id)))
			reply_case(k, id, record);
	}
	cJSON_Delete(record);
}

static void api_release(struct call *k, int64_t id)
{
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const char *assignee = json_str(record, "assignee");
	if (!assignee || !*assignee || !cases_is_open_status(json_str(record, "status"))) {
		http_resp_error(k->resp, 409, txt(k, CT_NOBODY_HOLDS));
	} else if (!may_change(k->s, record)) {
		http_resp_error(k->resp, 403, txt(k, CT_RELEASE_NOT_ALLOWED));
	} else if (cases_release(k->c->d.cases, id, k->s->login, NULL, k->now) < 0) {
		store_failed(k, "release");
	} else {
		cJSON_Delete(record);
		if ((record = load_case(k, id)))
			reply_case(k, id, record);
	}
	cJSON_Delete(record);
}

/* 1 when text still holds a placeholder such as {reason} that nobody filled in. */
static int unfilled(const char *text, char *name, size_t namelen)
{
	for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
		const char *q = p + 1;
		while ((*q >= 'a' && *q <= 'z') || *q == '_')
			q++;
		if (*q == '}' && q > p + 1) {
			snprintf(name, namelen, "%.*s", (int)(q - p + 1), p);
			return 1;
		}
	}
	return 0;
}

static void api_reply(struct call *k, int64_t id)
{
	/* With an approved file ("file": its id) the text is optional. */
	const cJSON *file_id = cJSON_GetObjectItemCaseSensitive(k->body, "file");
	int with_file = file_id && !cJSON_IsNull(file_id);
	if (with_file && (!cJSON_IsString(file_id) || strlen(file_id->valuestring) > 64)) {
		char msg[192];
		snprintf(msg, sizeof msg, txt(k, CT_NO_SUCH_FILE), "?");
		http_resp_error(k->resp, 400, msg);
		return;
	}
	const char *text = body_text(k, "text", !with_file);
	if (!text && (!with_file || cJSON_GetObjectItemCaseSensitive(k->body, "text")))
		return;
	if (!text)
		text = "";
	const char *tpl = json_str(k->body, "template");
	char ph[48];
	if (unfilled(text, ph, sizeof ph)) {
		char msg[128];
		snprintf(msg, sizeof msg, txt(k, CT_FILL_PLACEHOLDER), ph);
		http_resp_error(k->resp, 422, msg);
		return;
	}
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	if (!cases_is_open_status(json_str(record, "status"))) {
		http_resp_error(k->resp, 409, txt(k, CT_CASE_DONE));
		cJSON_Delete(record);
		return;
	}
	if (!str_is(json_str(record, "assignee"), k->s->login)) {
		http_resp_error(k->resp, 409, txt(k, CT_CLAIM_TO_REPLY));
		cJSON_Delete(record);
		return;
	}
	/* Only an approved file of the live set, on a channel that can send it. */
	struct replyset *rs = with_file ? replyset_ref(live_replies(k->c)) : NULL;
	const struct replyset_file *file = NULL;
	if (with_file) {
		const char *channel = json_str(record, "channel");
		if (!channel || !k->c->d.can_send_files ||
		    !k->c->d.can_send_files(k->c->d.arg, channel)) {
			http_resp_error(k->resp, 422, txt(k, CT_NO_FILES_HERE));
			goto out;
		}
		if (!(file = replyset_file(rs, file_id->valuestring))) {
			char msg[192];
			snprintf(msg, sizeof msg, txt(k, CT_NO_SUCH_FILE), file_id->valuestring);
			http_resp_error(k->resp, 422, msg);
			goto out;
		}
	}
	cJSON_Delete(record);
	record = NULL;
	/* One transaction: the row, the transcript line and the audit entry, or nothing. */
	if (cases_reply_file(k->c->d.cases, id, k->s->login, text, tpl, file, k->now, &record) < 0) {
		http_resp_error(k->resp, 503, txt(k, CT_NOT_QUEUED));
		goto out;
	}
	reply_case(k, id, record);
out:
	cJSON_Delete(record);
	replyset_unref(rs);
}

/* The «Публичные» view: threads under the community's posts with open cases. */
static void api_public(struct call *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *threads = cJSON_AddArrayToObject(o, "threads");
	if (store_wall_open_threads(k->c->d.store, threads) < 0) {
		cJSON_Delete(o);
		store_failed(k, "public threads");
		return;
	}
	/* The approved public texts a secretary may choose from (Russian: said in public). */
	cJSON *arr = cJSON_AddArrayToObject(o, "templates");
	struct replyset *rs = replyset_ref(live_replies(k->c));
	for (size_t i = 0; rs && i < replyset_n_templates(rs); i++) {
		const struct replyset_template *t = replyset_template_at(rs, i);
		if (strncmp(t->id, "public_", 7) != 0 || !t->text[RS_RU])
			continue;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", t->id);
		cJSON_AddStringToObject(e, "text", t->text[RS_RU]);
		cJSON_AddItemToArray(arr, e);
	}
	replyset_unref(rs);
	reply_json(k->resp, 200, o);
}

/* A secretary's public reply from a template under a comment of the case's thread. */
static void api_public_reply(struct call *k, int64_t id)
{
	const char *tpl = json_str(k->body, "template");
	int64_t comment = json_int(k->body, "comment_id", 0);
	if (!tpl) {
		http_resp_error(k->resp, 400, txt(k, CT_PUBLIC_NEED_TEMPLATE));
		return;
	}
	int r = cases_public_reply(k->c->d.cases, id, k->s->login, tpl, comment, k->now);
	/* By cases_public_reply's codes -1 .. -4. */
	static const enum console_text_id why[] = {CT_NOT_QUEUED, CT_PUBLIC_NOT_APPROVED,
						   CT_PUBLIC_NO_COMMENT, CT_PUBLIC_DELETED};
	static const int status[] = {503, 422, 404, 409};
	if (r < 0) {
		http_resp_error(k->resp, status[-r - 1], txt(k, why[-r - 1]));
		return;
	}
	http_resp_json(k->resp, 200, "{\"queued\":true}");
}

/* The composer's "печатает…" notice: the holder's only, throttled by the cases
 * service; {"sent":B} tells whether this one reached the channel. */
static void api_typing(struct call *k, int64_t id)
{
	cJSON *record = NULL;
	if (store_case_get_head(k->c->d.store, id, &record) < 0) {
		store_failed(k, "case load");
		return;
	}
	if (!record) {
		http_resp_error(k->resp, 404, txt(k, CT_NO_SUCH_CASE));
		return;
	}
	int holder = cases_is_open_status(json_str(record, "status")) &&
		     str_is(json_str(record, "assignee"), k->s->login);
	cJSON_Delete(record);
	if (!holder) {
		http_resp_error(k->resp, 409, txt(k, CT_CLAIM_TO_REPLY));
		return;
	}
	int r = cases_typing(k->c->d.cases, id, clock_now_ms());
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "sent", r == 1);
	reply_json(k->resp, 200, o);
}

static void api_note(struct call *k, int64_t id)
{
	const char *text = body_text(k, "text", 1);
	if (!text)
		return;
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	cJSON_Delete(record);
	if (cases_note(k->c->d.cases, id, k->s->login, text, k->now, &record) < 0) {
		store_failed(k, "note");
		return;
	}
	reply_case(k, id, record);
	cJSON_Delete(record);
}

static void api_handback(struct call *k, int64_t id)
{
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const cJSON *nv = cJSON_GetObjectItemCaseSensitive(k->body, "notify");
	if (nv && !cJSON_IsBool(nv)) {
		http_resp_error(k->resp, 400, txt(k, CT_NOTIFY_BOOL));
	} else if (!may_change(k->s, record)) {
		http_resp_error(k->resp, 403, txt(k, CT_HANDBACK_NOT_ALLOWED));
	} else if (cases_handback(k->c->d.cases, id, k->s->login, NULL, !nv || cJSON_IsTrue(nv),
				  k->now) < 0) {
		store_failed(k, "handback");
	} else {
		cJSON_Delete(record);
		if ((record = load_case(k, id)))
			reply_case(k, id, record);
	}
	cJSON_Delete(record);
}

/* Sets the status (waiting, claimed, resolved, closed) with its history line. */
static void change_status(struct call *k, int64_t id, const char *status, const char *resolution)
{
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const char *cur = json_str(record, "status");
	const char *assignee = json_str(record, "assignee");
	if (!may_change(k->s, record)) {
		http_resp_error(k->resp, 403, txt(k, CT_STATUS_NOT_ALLOWED));
		cJSON_Delete(record);
		return;
	}
	if (str_is(cur, "closed")) {
		http_resp_error(k->resp, 409, txt(k, CT_CASE_CLOSED));
		cJSON_Delete(record);
		return;
	}
	if ((str_is(status, "claimed") || str_is(status, "waiting")) && (!assignee || !*assignee)) {
		http_resp_error(k->resp, 409, txt(k, CT_CLAIM_FIRST));
		cJSON_Delete(record);
		return;
	}
	cJSON_Delete(record);
	if (cases_set_status(k->c->d.cases, id, k->s->login, status, resolution, k->now,
			     &record) < 0) {
		store_failed(k, "status");
		return;
	}
	reply_case(k, id, record);
	cJSON_Delete(record);
}

static void api_status(struct call *k, int64_t id)
{
	const char *status = json_str(k->body, "status");
	static const char *const allowed[] = {"new", "claimed", "waiting", "resolved", "closed"};
	int ok = 0;
	for (size_t i = 0; status && i < sizeof allowed / sizeof allowed[0]; i++)
		ok |= strcmp(status, allowed[i]) == 0;
	if (!ok) {
		http_resp_error(k->resp, 400, txt(k, CT_BAD_STATUS));
		return;
	}
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(k->body, "resolution");
	const char *resolution = NULL;
	if (rv && !cJSON_IsNull(rv) && !(resolution = body_text(k, "resolution", 0)))
		return;
	if (strcmp(status, "new") == 0) {
		api_release(k, id);
		return;
	}
	change_status(k, id, status, resolution);
}

static void api_close(struct call *k, int64_t id)
{
	const char *resolution = body_text(k, "resolution", 1);
	if (resolution)
		change_status(k, id, "closed", resolution);
}

/* ---- admin ---- */

static void api_stats(struct call *k)
{
	struct console_api *c = k->c;
	struct replyset *rs = live_replies(c);
	const struct replyset_settings *set = replyset_settings(rs);
	int64_t off = (int64_t)set->utc_offset_minutes * 60;
	int64_t now = k->now;
	int64_t midnight = (now + off) / 86400 * 86400 - off;
	cJSON *today = store_console_stats(c->d.store, midnight, now);
	cJSON *week = store_console_stats(c->d.store, now - 7 * 86400, now);
	if (!today || !week) {
		cJSON_Delete(today);
		cJSON_Delete(week);
		store_failed(k, "stats");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "today", today);
	cJSON_AddItemToObject(o, "week", week);
	cJSON_AddNumberToObject(o, "now", (double)now);
	cJSON_AddNumberToObject(o, "operators_online", (double)console_hub_count(k->c->d.hub));
	cJSON_AddStringToObject(o, "replies_version", replyset_version(rs));
	reply_json(k->resp, 200, o);
}

/* The reports page: the last days=N (1 to 90, default 14) local days. */
static void api_reports(struct call *k)
{
	struct console_api *c = k->c;
	char v[16] = "";
	int bad = http_req_param(k->req, "days", v, sizeof v) == -2;
	char *end = v;
	long days = *v ? strtol(v, &end, 10) : 14;
	if (bad || *end || days < 1 || days > 90) {
		http_resp_error(k->resp, 400, txt(k, CT_BAD_DAYS));
		return;
	}
	int64_t off = (int64_t)replyset_settings(live_replies(c))->utc_offset_minutes * 60;
	cJSON *o = store_console_report(c->d.store, (int)days, k->now, off);
	if (!o) {
		store_failed(k, "reports");
		return;
	}
	cJSON_AddNumberToObject(o, "utc_offset_s", (double)off);
	reply_json(k->resp, 200, o);
}

static void api_reload(struct call *k)
{
	struct console_api *c = k->c;
	buf_reset(&k->resp->body);
	int result = c->d.reload ? c->d.reload(c->d.arg, &k->resp->body) : -1;
	k->resp->status = result == 0 ? 200 : 422;
	k->resp->content_type = "application/json";
	audit_alone(c->d.store, k->s->login, "reload", result == 0 ? "ok" : "failed",
		    k->now);
}

/* /api/ideas...: the ideas page's own file (console_ideas.c), past the checks above. */
static void api_ideas(struct call *k)
{
	console_ideas_handle(k->c->d.ideas, k->req, k->req->path + strlen("/api/ideas"),
			     k->body, k->s->login, k->now, k->resp);
}

/* /api/misses...: the learning page's own file (console_misses.c), past the checks. */
static void api_misses(struct call *k)
{
	console_misses_handle(k->c->d.misses, k->req, k->req->path + strlen("/api/misses"),
			      k->body, k->s->login, k->now, k->resp);
}

static void api_audit(struct call *k)
{
	char v[32] = "";
	http_req_param(k->req, "case_id", v, sizeof v);
	char *end;
	long long id = strtoll(v, &end, 10);
	if (!*v || *end || id <= 0) {
		http_resp_error(k->resp, 400, txt(k, CT_BAD_CASE_ID));
		return;
	}
	cJSON *a = store_console_audit(k->c->d.store, id, 1000);
	if (!a) {
		store_failed(k, "audit");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "audit", a);
	reply_json(k->resp, 200, o);
}

/* ---- files customers sent ---- */

/* The bytes of a file a customer sent, from the store (the browser never asks the
 * platform's hosts). Only types file_type_allowed let in are stored, and nosniff is on. */
static void api_file_get(struct call *k, int64_t id)
{
	struct store_file f;
	int found = store_file_get(k->c->d.store, id, &f);
	if (found < 0) {
		store_failed(k, "file read");
		return;
	}
	if (!found)
		http_resp_error(k->resp, 404, "нет такого файла");
	else if (strcmp(f.state, "pending") == 0)
		http_resp_error(k->resp, 503, "файл ещё загружается");
	else if (strcmp(f.state, "ok") != 0)
		http_resp_error(k->resp, 410, "файл не удалось получить");
	else {
		k->resp->status = 200;
		k->resp->content_type = file_type_static(f.mime); /* outlives f */
		k->resp->cache = "private, max-age=86400";
		buf_append(&k->resp->body, f.data, f.len);
	}
	store_file_clear(&f);
}

/* ---- dispatch ---- */

enum need { NEED_NONE, NEED_SESSION, NEED_ADMIN };

/* One row of the route table. A path with "#" matches a case number there. */
struct api_route {
	const char *method;
	const char *path;
	enum need need;
	void (*fn)(struct call *k);
	void (*case_fn)(struct call *k, int64_t id);
};

static const struct api_route api_routes[] = {
	{"POST", "login", NEED_NONE, api_login, NULL},
	{"POST", "logout", NEED_SESSION, api_logout, NULL},
	{"GET", "session", NEED_SESSION, api_session, NULL},
	{"GET", "cases", NEED_SESSION, api_cases, NULL},
	{"GET", "views", NEED_SESSION, api_views, NULL},
	{"POST", "views", NEED_SESSION, api_view_save, NULL},
	{"POST", "views/delete", NEED_SESSION, api_view_delete, NULL},
	{"GET", "cases/#", NEED_SESSION, NULL, api_case_get},
	{"GET", "cases/#/templates", NEED_SESSION, NULL, api_templates},
	{"POST", "cases/#/claim", NEED_SESSION, NULL, api_claim},
	{"POST", "cases/#/release", NEED_SESSION, NULL, api_release},
	{"POST", "cases/#/assign", NEED_SESSION, NULL, api_assign},
	{"POST", "cases/#/reply", NEED_SESSION, NULL, api_reply},
	{"POST", "cases/#/note", NEED_SESSION, NULL, api_note},
	{"POST", "cases/#/typing", NEED_SESSION, NULL, api_typing},
	{"POST", "cases/#/status", NEED_SESSION, NULL, api_status},
	{"POST", "cases/#/close", NEED_SESSION, NULL, api_close},
	{"POST", "cases/#/handback", NEED_SESSION, NULL, api_handback},
	{"GET", "files/#", NEED_SESSION, NULL, api_file_get},
	{"POST", "cases/#/public_reply", NEED_SESSION, NULL, api_public_reply},
	{"GET", "public", NEED_SESSION, api_public, NULL},
	{"GET", "stats", NEED_ADMIN, api_stats, NULL},
	{"GET", "reports", NEED_ADMIN, api_reports, NULL},
	{"POST", "admin/reload", NEED_ADMIN, api_reload, NULL},
	{"GET", "audit", NEED_ADMIN, api_audit, NULL},
	{"*", "ideas*", NEED_ADMIN, api_ideas, NULL},
	{"*", "misses*", NEED_ADMIN, api_misses, NULL},
};

/* Matches path against pattern; a "#" takes a positive case id, a final "*" any rest
 * that is empty or starts with '/'. */
static int match(const char *pattern, const char *path, int64_t *id)
{
	while (*pattern) {
		if (*pattern == '*')
			return *path == '\0' || *path == '/';
		if (*pattern == '#') {
			char *end;
			if (*path < '1' || *path > '9')
				return 0;
			long long v = strtoll(path, &end, 10);
			if (v <= 0 || end - path > 15)
				return 0;
			*id = v;
			path = end;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *path == '\0';
}

static int json_content(const char *ct)
{
	return ct && strncmp(ct, "application/json", 16) == 0 &&
	       (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

void console_api_handle(struct console_api *c, const struct http_req *req, struct http_resp *resp)
{
	const char *path = strncmp(req->path, "/api/", 5) == 0 ? req->path + 5 : "";
	const struct api_route *r = NULL;
	int64_t id = 0;
	int path_known = 0;
	for (size_t i = 0; i < sizeof api_routes / sizeof api_routes[0]; i++)
		if (match(api_routes[i].path, path, &id)) {
			path_known = 1;
			if (strcmp(api_routes[i].method, req->method) == 0 ||
			    strcmp(api_routes[i].method, "*") == 0) {
				r = &api_routes[i];
				break;
			}
		}
	if (!r) {
		http_resp_error(resp, path_known ? 405 : 404,
				api_text(c, path_known ? CT_METHOD_NOT_ALLOWED : CT_NO_SUCH_PATH));
		return;
	}
	struct call k = {.c = c, .req = req, .resp = resp, .now = clock_now_ms() / 1000};
	int post = strcmp(req->method, "POST") == 0;
	if (r->need != NEED_NONE) {
		k.s = auth_session(c->d.auth, req->cookie, clock_now_ms());
		if (!k.s) {
			/* The language comes too: the login page is shown in it. */
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "error", api_text(c, CT_LOG_IN));
			cJSON_AddStringToObject(o, "language", api_lang(c) ? api_lang(c) : "ru");
			reply_json(resp, 401, o);
			return;
		}
		if (post && !auth_csrf_ok(k.s, req)) {
			log_warn("console: %s %s by %s from %s refused: bad CSRF token or origin",
				 req->method, req->path, k.s->login, req->peer);
			http_resp_error(resp, 403, api_text(c, CT_BAD_CSRF));
			return;
		}
		if (r->need == NEED_ADMIN && strcmp(k.s->role, "admin") != 0) {
			http_resp_error(resp, 403, api_text(c, CT_ADMIN_ONLY));
			return;
		}
	} else if (!auth_origin_ok(req)) {
		http_resp_error(resp, 403, api_text(c, CT_FOREIGN_ORIGIN));
		return;
	}
	if (post) {
		if (req->body_len && !json_content(req->content_type)) {
			http_resp_error(resp, 415, api_text(c, CT_NEED_JSON_TYPE));
			return;
		}
		/* The whole body must be one JSON object: no NUL inside, nothing after it. */
		k.body = !req->body_len ? cJSON_CreateObject()
			 : strlen(req->body) == req->body_len ? cJSON_ParseWithOpts(req->body, NULL, 1)
							      : NULL;
		if (!cJSON_IsObject(k.body)) {
			cJSON_Delete(k.body);
			http_resp_error(resp, 400, api_text(c, CT_NEED_JSON_OBJECT));
			return;
		}
		if (!r->need && !json_content(req->content_type)) {
			cJSON_Delete(k.body);
			http_resp_error(resp, 415, api_text(c, CT_NEED_JSON_TYPE));
			return;
		}
	}
	if (r->fn)
		r->fn(&k);
	else
		r->case_fn(&k, id);
	cJSON_Delete(k.body);
}

static void api_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	console_api_handle(arg, req, resp);
}

/* ---- life cycle ---- */

struct console_api *console_api_new(const struct console_api_deps *d)
{
	struct console_api *c = xcalloc(1, sizeof *c);
	c->d = *d;
	c->search = case_search_new(d->store);
	if (d->server) {
		server_route(d->server, "/console", console_page_route, c);
		server_route(d->server, "/console/*", console_asset_route, c);
		server_route(d->server, "/api/*", api_route, c);
	}
	return c;
}

void console_api_free(struct console_api *c)
{
	if (!c)
		return;
	case_search_free(c->search);
	free(c);
}
