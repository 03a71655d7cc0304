/* The console's pages and JSON API (see console_api.h). Route handlers are synchronous:
 * each one checks the session, the CSRF token and the role, changes the store in one
 * transaction, writes the audit log, commits, and only then tells the live updates. */
#include "console_api.h"

#include "clock.h"
#include "worktime.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "assets.h"
#include "auth.h"
#include "buf.h"
#include "case_timers.h"
#include "cases.h"
#include "channels/channel.h"
#include "channels/web.h"
#include "console_hub.h"
#include "convstate.h"
#include "events.h"
#include "handoff.h"
#include "json_util.h"
#include "log.h"
#include "replyset.h"
#include "server.h"
#include "store.h"
#include "store_console.h"
#include "text.h"
#include "xalloc.h"

#define CONSOLE_MAX_TEXT 4000   /* bytes of a reply, note or resolution */
#define CONSOLE_SESSION_S (12 * 3600)
#define CONSOLE_LIST_MAX 500
#define CONSOLE_QUERY_MAX 200  /* bytes of a search query */
#define CONSOLE_VIEWS_MAX 50   /* saved views per login */
#define CONSOLE_SYNC_BATCH 2000 /* transcript lines stemmed per index step */
#define CONSOLE_SYNC_ROUNDS 25  /* index steps per search (50,000 lines, ~0.5 s) */
#define CONSOLE_SEARCH_IDS 50000 /* cases one search word may match */

struct console {
	struct app *app;
	struct channel *web;
	struct auth *auth;
	struct console_hub *hub;
	struct case_timers *timers;
	struct text_ctx *text; /* stems for the search index and queries (loop thread only) */
};

/* What a request brings once its session is checked. */
struct call {
	struct console *c;
	const struct http_req *req;
	struct http_resp *resp;
	const struct auth_session *s; /* NULL for login */
	cJSON *body;                  /* parsed JSON body of a POST, or NULL */
	int64_t now;                  /* unix seconds */
};

/* ---- small helpers ---- */

static const char *body_text(struct call *k, const char *key, int required);

static void set_str(cJSON *o, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (value)
		cJSON_AddStringToObject(o, key, value);
	else
		cJSON_AddNullToObject(o, key);
}

static void set_num(cJSON *o, const char *key, double value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, value);
}

/* The array at o[key], created (or replaced when not an array) on demand. */
static cJSON *array_at(cJSON *o, const char *key)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsArray(a))
		return a;
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	return cJSON_AddArrayToObject(o, key);
}

static void add_history(cJSON *record, const char *status, const char *by, int64_t now)
{
	cJSON *h = cJSON_CreateObject();
	cJSON_AddNumberToObject(h, "at", (double)now);
	cJSON_AddStringToObject(h, "status", status);
	cJSON_AddStringToObject(h, "by", by);
	cJSON_AddItemToArray(array_at(record, "history"), h);
}

static void add_note(cJSON *record, const char *author, const char *text, int64_t now)
{
	cJSON *n = cJSON_CreateObject();
	cJSON_AddNumberToObject(n, "at", (double)now);
	cJSON_AddStringToObject(n, "author", author);
	cJSON_AddStringToObject(n, "text", text);
	cJSON_AddItemToArray(array_at(record, "notes"), n);
}

static void add_transcript(cJSON *record, const char *from, const char *text, const char *op,
			   int64_t now)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddNumberToObject(t, "at", (double)now);
	cJSON_AddStringToObject(t, "from", from);
	cJSON_AddStringToObject(t, "text", text);
	if (op)
		cJSON_AddStringToObject(t, "operator", op);
	cJSON_AddItemToArray(array_at(record, "transcript"), t);
}

static int str_is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int is_open_status(const char *s)
{
	return str_is(s, "new") || str_is(s, "claimed") || str_is(s, "waiting");
}

static void emit_case(struct app *app, const char *type, int64_t id)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	events_emit(app->events, type, d);
	cJSON_Delete(d);
}

/* Opens a transaction of our own (an open batch commits first). */
static int tx_begin(struct app *app)
{
	if (store_in_tx(app->store) && store_commit(app->store) < 0)
		return -1;
	return store_begin(app->store);
}

static int tx_end(struct app *app, int result)
{
	if (result == 0 && store_commit(app->store) == 0)
		return 0;
	store_rollback(app->store);
	return -1;
}

cJSON *console_case_summary(int64_t id, const cJSON *record)
{
	static const char *const strs[] = {"number", "channel", "category", "intent", "severity",
					   "status", "assignee", "display_name", "summary",
					   "profile_link"};
	static const char *const nums[] = {"created_at", "updated_at", "sla_due_at", "peer_id",
					   "followers"};
	cJSON *s = cJSON_CreateObject();
	cJSON_AddNumberToObject(s, "id", (double)id);
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		const char *v = json_str(record, strs[i]);
		if (v)
			cJSON_AddStringToObject(s, strs[i], v);
		else
			cJSON_AddNullToObject(s, strs[i]);
	}
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
		cJSON_AddNumberToObject(s, nums[i], (double)json_int(record, nums[i], 0));
	const cJSON *flags = json_obj(record, "flags");
	cJSON_AddItemToObject(s, "flags", flags ? cJSON_Duplicate(flags, 1) : cJSON_CreateObject());
	/* The last line of the transcript: when and who, for "new message" marks (the store
	 * keeps them with the record, so a summary never reads the transcript). */
	cJSON_AddNumberToObject(s, "last_at", (double)json_int(record, "last_at", 0));
	const char *from = json_str(record, "last_from");
	if (from)
		cJSON_AddStringToObject(s, "last_from", from);
	cJSON_AddNumberToObject(s, "messages", (double)json_int(record, "messages", 0));
	const char *last = json_str(record, "last_text");
	if (last)
		cJSON_AddStringToObject(s, "last_text", last);
	return s;
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
	log_error("console: %s failed: %s", what, store_state(k->c->app->store));
	http_resp_error(k->resp, 500, "хранилище не ответило, ничего не изменено");
}

/* ---- pages ---- */

static void console_page_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	if (strcmp(req->method, "GET") != 0) {
		http_resp_error(resp, 405, "use GET");
		return;
	}
	assets_respond(resp, "console.html");
}

static void console_asset_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	const char *name = req->path + strlen("/console/");
	if (strcmp(req->method, "GET") != 0 || !*name || strchr(name, '/')) {
		http_resp_error(resp, 404, "not found");
		return;
	}
	assets_respond(resp, name);
}

/* ---- sessions ---- */

/* The answer to a login, once auth has decided (at once, or after the password check on
 * the thread pool). */
static void login_answer(struct console *c, struct http_resp *resp, int result,
			 const struct auth_session *s, int64_t retry, const char *actor,
			 const char *peer, int64_t now)
{
	if (result == AUTH_EMALFORMED) {
		http_resp_error(resp, 400, auth_strerror(result));
		return;
	}
	if (result == AUTH_ETHROTTLED) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", auth_strerror(result));
		cJSON_AddNumberToObject(o, "retry_after_s", (double)((retry + 999) / 1000));
		reply_json(resp, 429, o);
		/* One row a minute per login for all its refusals (auth.h), not one each. */
		int refused = auth_throttle_report(c->auth);
		if (refused) {
			char detail[96];
			snprintf(detail, sizeof detail, "%s (отказано: %d)", peer, refused);
			store_audit(c->app->store, actor, "login_throttled", 0, detail, now);
		}
		return;
	}
	if (result < 0) {
		if (result == AUTH_EBAD_CREDENTIALS)
			store_audit(c->app->store, actor, "login_failed", 0, peer, now);
		http_resp_error(resp, result == AUTH_EBAD_CREDENTIALS ? 401 : 503,
				auth_strerror(result));
		return;
	}
	store_audit(c->app->store, s->login, "login", 0, peer, now);
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
	struct console *c;
	struct http_deferred *d;
	char actor[64];
	char peer[64];
	int64_t now;
};

static void login_done(void *arg, int result, const struct auth_session *s, int64_t retry)
{
	struct login_wait *w = arg;
	struct http_resp *resp = server_deferred_resp(w->d);
	if (result == AUTH_ECANCELLED) /* shutting down: the console may be gone */
		http_resp_error(resp, 503, auth_strerror(result));
	else
		login_answer(w->c, resp, result, s, retry, w->actor, w->peer, w->now);
	server_deferred_send(w->d);
	free(w);
}

static void api_login(struct call *k)
{
	struct console *c = k->c;
	const char *login = json_str(k->body, "login");
	const char *password = json_str(k->body, "password");
	char actor[64];
	snprintf(actor, sizeof actor, "%s", login && *login ? login : "?");
	struct http_deferred *d = server_defer(c->app->server, k->resp);
	if (d) {
		struct login_wait *w = xcalloc(1, sizeof *w);
		w->c = c;
		w->d = d;
		w->now = k->now;
		snprintf(w->actor, sizeof w->actor, "%s", actor);
		snprintf(w->peer, sizeof w->peer, "%s", k->req->peer);
		auth_login_async(c->auth, c->app->loop, login, password, k->req->peer, login_done,
				 w);
		return;
	}
	/* Called directly, not through the server (unit tests): the check runs here. */
	const struct auth_session *s = NULL;
	int64_t retry = 0;
	int result = auth_login(c->auth, login, password, k->req->peer, clock_now_ms(), &s, &retry);
	login_answer(c, k->resp, result, s, retry, actor, k->req->peer, k->now);
}

static void api_logout(struct call *k)
{
	store_audit(k->c->app->store, k->s->login, "logout", 0, NULL, k->now);
	uint64_t id = k->s->id;
	console_hub_forget_session(k->c->hub, id);
	auth_logout(k->c->auth, id);
	k->s = NULL;
	k->resp->set_cookie = auth_cookie(NULL, 0);
	http_resp_json(k->resp, 200, "{\"ok\":true}");
}

static void api_session(struct call *k)
{
	struct app *app = k->c->app;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "login", k->s->login);
	cJSON_AddStringToObject(o, "role", k->s->role);
	cJSON_AddStringToObject(o, "csrf", k->s->csrf);
	cJSON *ops = cJSON_AddArrayToObject(o, "operators");
	for (size_t i = 0; i < app->cfg.n_operators; i++)
		cJSON_AddItemToArray(ops, cJSON_CreateString(app->cfg.operators[i].login));
	cJSON *chs = cJSON_AddArrayToObject(o, "channels");
	for (unsigned i = 0; i < channel_n_customer_names; i++)
		cJSON_AddItemToArray(chs, cJSON_CreateString(channel_customer_names[i]));
	/* Titles, so that the console shows «Плохо работает интернет», not the id. */
	cJSON *titles = cJSON_AddObjectToObject(o, "intents");
	for (size_t i = 0; app->replies && i < replyset_n_intents(app->replies); i++) {
		const struct replyset_intent *in = replyset_intent_at(app->replies, i);
		cJSON *t = cJSON_AddObjectToObject(titles, in->id);
		const char *title = in->title[RS_RU] ? in->title[RS_RU] : in->id;
		cJSON_AddStringToObject(t, "title", title);
		if (in->category)
			cJSON_AddStringToObject(t, "category", in->category);
	}
	cJSON *cats = cJSON_AddArrayToObject(o, "categories");
	for (size_t i = 0; app->replies && i < replyset_n_intents(app->replies); i++) {
		const struct replyset_intent *in = replyset_intent_at(app->replies, i);
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
	cJSON_AddItemToArray(l->arr, console_case_summary(id, record));
}

/* A summary with the case's notes and resolution (the customer's history). */
static void history_one(void *arg, int64_t id, const cJSON *record)
{
	struct list_ctx *l = arg;
	cJSON *s = console_case_summary(id, record);
	const cJSON *notes = json_arr(record, "notes");
	cJSON_AddItemToObject(s, "notes", notes ? cJSON_Duplicate(notes, 1) : cJSON_CreateArray());
	const char *res = json_str(record, "resolution");
	if (res)
		cJSON_AddStringToObject(s, "resolution", res);
	cJSON_AddItemToArray(l->arr, s);
}

/* ---- search ---- */

/* Appends s to b as an FTS5 string ("..." with " doubled), with a trailing * so that a
 * word being typed matches too. */
static void fts_term(struct buf *b, const char *s)
{
	if (b->len)
		buf_append(b, " ", 1);
	buf_append(b, "\"", 1);
	for (; *s; s++)
		buf_append(b, *s == '"' ? "\"\"" : s, 1 + (*s == '"'));
	buf_append(b, "\"*", 2);
}

/* The words of text as the index keeps them: Snowball stems (Russian for Cyrillic,
 * English for Latin) of its words and numbers, separated by spaces. No layout or typo
 * repair: the index holds what was written, and a query is stemmed the same way. */
static char *stem_words(void *ud, const char *text)
{
	struct console *c = ud;
	struct text_analysis a;
	struct text_opts opts = {.no_repair = 1};
	struct buf b = {0};
	if (text_analyze(c->text, text, strlen(text), &opts, &a) < 0)
		return xstrdup("");
	for (size_t i = 0; i < a.n_tokens; i++) {
		const struct text_token *t = &a.tokens[i];
		if (t->kind == TEXT_PUNCT)
			continue;
		const char *w = t->kind == TEXT_WORD ? t->stem : t->text;
		if (*w == '+')
			w++;
		if (b.len)
			buf_append(&b, " ", 1);
		buf_append(&b, w, strlen(w));
	}
	text_analysis_free(&a);
	return b.len ? buf_steal(&b) : xstrdup("");
}

/* Indexes the transcript lines written since the last search (case_words). A store
 * with a long history not indexed yet (the first search after the upgrade) is indexed
 * over several searches, CONSOLE_SYNC_ROUNDS batches each, so that no request holds the
 * loop for long: returns 1 while lines remain, 0 when the index is complete. */
static int search_sync(struct call *k)
{
	struct app *app = k->c->app;
	if (!k->c->text || tx_begin(app) < 0)
		return -1;
	int n = 0, rounds = 0;
	while (rounds++ < CONSOLE_SYNC_ROUNDS &&
	       (n = store_case_words_sync(app->store, stem_words, k->c, CONSOLE_SYNC_BATCH)) ==
		       CONSOLE_SYNC_BATCH)
		;
	if (tx_end(app, n < 0 ? -1 : 0) < 0)
		return -1;
	return n == CONSOLE_SYNC_BATCH;
}

/* Keeps in a (ascending, *na of them) only the ids also in b (ascending, nb). */
static void intersect(int64_t *a, size_t *na, const int64_t *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;
	while (i < *na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else
			a[n++] = a[i++], j++;
	}
	*na = n;
}

/* The cases whose transcripts hold every word of q (in any form: each word is stemmed
 * and matched as a prefix), as a JSON array of ids into ids_json; the digits of q (for
 * case numbers and phones) into digits. The words may be on different lines of the
 * transcript: each is looked up alone and the sets are intersected. */
static int search_terms(struct call *k, const char *q, struct buf *ids_json, char *digits,
			size_t dlen)
{
	char *stems = stem_words(k->c, q);
	int64_t *found = NULL, *next = xcalloc(CONSOLE_SEARCH_IDS, sizeof *next);
	size_t n_found = 0;
	int terms = 0, result = 0;
	for (char *tok = strtok(stems, " "); tok && result == 0; tok = strtok(NULL, " ")) {
		struct buf term = {0};
		fts_term(&term, tok);
		int n = store_case_words_match(k->c->app->store, term.data, next, CONSOLE_SEARCH_IDS);
		buf_free(&term);
		if (n < 0) {
			result = -1;
		} else if (terms++ == 0) {
			found = next;
			n_found = (size_t)n;
			next = xcalloc(CONSOLE_SEARCH_IDS, sizeof *next);
		} else {
			intersect(found, &n_found, next, (size_t)n);
		}
	}
	free(stems);
	buf_puts(ids_json, "[");
	for (size_t i = 0; i < n_found; i++)
		buf_printf(ids_json, "%s%lld", i ? "," : "", (long long)found[i]);
	buf_puts(ids_json, "]");
	free(found);
	free(next);
	size_t n = 0;
	for (const char *p = q; *p && n + 1 < dlen; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	digits[n] = '\0';
	/* Fewer than 3 digits would match almost every number. */
	if (n < 3)
		digits[0] = '\0';
	return result;
}

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
	static const char *const severities[] = {"critical", "high", "normal", "low"};
	long lim = *limit ? strtol(limit, NULL, 10) : 200;
	int64_t t_from = time_arg(from), t_to = time_arg(to);
	bad |= !one_of(status, statuses, sizeof statuses / sizeof statuses[0]);
	bad |= *severity && !one_of(severity, severities, 4);
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
		if ((partial = search_sync(k)) < 0) {
			store_failed(k, "search index");
			return;
		}
		if (search_terms(k, q, &ids, digits, sizeof digits) < 0) {
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
	int rc = store_cases_each(k->c->app->store, &f, list_one, &l);
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
	cJSON *v = store_console_views(k->c->app->store, k->s->login);
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
		http_resp_error(k->resp, 400, "название вида до 64 байт; фильтр: объект со "
					      "строками status, channel, category, assignee, "
					      "severity, flag, from, to, q");
		return;
	}
	struct store *st = k->c->app->store;
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
		http_resp_error(k->resp, 409, "сохранено слишком много видов (не больше 50)");
		return;
	}
	char *text = cJSON_PrintUnformatted(filter);
	int rc = store_console_view_put(st, k->s->login, name, text, k->now);
	free(text);
	if (rc == 0)
		rc = store_audit(st, k->s->login, "view_saved", 0, name, k->now);
	if (store_in_tx(st) && store_commit(st) < 0)
		rc = -1;
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
	struct store *st = k->c->app->store;
	int rc = store_console_view_delete(st, k->s->login, name);
	if (store_in_tx(st) && store_commit(st) < 0)
		rc = -1;
	if (rc < 0) {
		store_failed(k, "view");
		return;
	}
	if (rc == 0) {
		http_resp_error(k->resp, 404, "нет такого вида");
		return;
	}
	api_views(k);
}

/* Loads case id; answers 404 (and returns NULL) when there is none. Caller frees. */
static cJSON *load_case(struct call *k, int64_t id)
{
	cJSON *record = NULL;
	if (store_case_get(k->c->app->store, id, &record) < 0) {
		store_failed(k, "case load");
		return NULL;
	}
	if (!record)
		http_resp_error(k->resp, 404, "нет такого обращения");
	return record;
}

static void api_case_get(struct call *k, int64_t id)
{
	struct app *app = k->c->app;
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	cJSON *o = cJSON_CreateObject();
	set_num(record, "id", (double)id);
	cJSON_AddItemToObject(o, "case", record);
	struct convstate *state = NULL;
	const char *channel = json_str(record, "channel");
	cJSON *conv = cJSON_AddObjectToObject(o, "conversation");
	if (channel && convstate_load(app->store, channel, json_int(record, "peer_id", 0), &state) == 0) {
		cJSON_AddStringToObject(conv, "mode", handoff_is_human(state) ? "human" : "bot");
		int64_t held_for = convstate_holder_case(state);
		if (held_for)
			cJSON_AddNumberToObject(conv, "case_id", (double)held_for);
		const char *lang = convstate_lang(state);
		cJSON_AddStringToObject(conv, "lang", lang ? lang : "ru");
	}
	convstate_free(state);
	cJSON *audit = store_console_audit(app->store, id, 200);
	cJSON_AddItemToObject(o, "audit", audit ? audit : cJSON_CreateArray());
	/* The customer's history beside the case: earlier cases (same chat user, or the same
	 * phone on another channel) with their notes and resolutions. */
	struct list_ctx hist = {cJSON_CreateArray()};
	if (store_cases_of_customer(app->store, id, 20, history_one, &hist) < 0)
		log_warn("console: case %lld: customer history: %s", (long long)id,
			 store_state(app->store));
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
		      const char *operator_login, char *eta, size_t etalen, struct tpl_vars *v)
{
	*v = (struct tpl_vars){
		.case_id = field_or(record, "number", "{case_id}"),
		.name = field_or(record, "display_name", "{name}"),
		.phone = field_or(record, "phone", "{phone}"),
		.account = field_or(record, "account", "{account}"),
		.operator_name = operator_login,
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

static int case_lang(struct app *app, const cJSON *record)
{
	const char *l = json_str(record, "lang");
	if (l)
		return replyset_lang(l);
	struct convstate *state = NULL;
	int lang = RS_RU;
	const char *channel = json_str(record, "channel");
	if (channel && convstate_load(app->store, channel, json_int(record, "peer_id", 0), &state) == 0)
		lang = replyset_lang(convstate_lang(state) ? convstate_lang(state) : "ru");
	convstate_free(state);
	return lang;
}

static void api_templates(struct call *k, int64_t id)
{
	struct app *app = k->c->app;
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	struct replyset *rs = replyset_ref(app->replies);
	int lang = case_lang(app, record);
	char eta[32];
	struct tpl_vars v;
	case_vars(record, rs, lang, k->s->login, eta, sizeof eta, &v);
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
			snprintf(msg, sizeof msg, "поле «%s» обязательно", key);
			http_resp_error(k->resp, 400, msg);
		}
		return NULL;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) > CONSOLE_MAX_TEXT) {
		char msg[96];
		snprintf(msg, sizeof msg, "поле «%s» — строка не длиннее %d байт", key,
			 CONSOLE_MAX_TEXT);
		http_resp_error(k->resp, 400, msg);
		return NULL;
	}
	const char *s = v->valuestring;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s && required) {
		char msg[80];
		snprintf(msg, sizeof msg, "поле «%s» пустое", key);
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

static void api_claim(struct call *k, int64_t id)
{
	struct app *app = k->c->app;
	cJSON *before = load_case(k, id);
	if (!before)
		return;
	const char *prev = json_str(before, "assignee");
	int already = str_is(prev, k->s->login);
	char holder[64];
	cJSON *record = NULL;
	int result = tx_begin(app);
	int won = result == 0 ? store_case_claim(app->store, id, k->s->login, k->now, holder,
						 sizeof holder)
			      : -1;
	if (won < 0) {
		tx_end(app, -1);
		cJSON_Delete(before);
		store_failed(k, "claim");
		return;
	}
	if (won == 0) {
		tx_end(app, -1);
		cJSON *o = cJSON_CreateObject();
		if (*holder) {
			char msg[128];
			snprintf(msg, sizeof msg, "обращение уже взял в работу %s", holder);
			cJSON_AddStringToObject(o, "error", msg);
			cJSON_AddStringToObject(o, "holder", holder);
		} else {
			cJSON_AddStringToObject(o, "error", "обращение уже решено или закрыто");
		}
		reply_json(k->resp, 409, o);
		cJSON_Delete(before);
		return;
	}
	result = store_case_get(app->store, id, &record);
	if (result == 0 && record && !already) {
		add_history(record, "claimed", k->s->login, k->now);
		result = store_case_put(app->store, id, record, k->now);
		const char *channel = json_str(record, "channel");
		if (result == 0 && channel)
			result = handoff_set(app->store, channel, json_int(record, "peer_id", 0), 1,
					     id, k->now);
		if (result == 0)
			result = store_audit(app->store, k->s->login, "claim", id, NULL, k->now);
		if (result == 0)
			case_timers_claimed(k->c->timers, id, k->now);
	}
	if (!record || tx_end(app, result) < 0) {
		cJSON_Delete(before);
		cJSON_Delete(record);
		store_failed(k, "claim");
		return;
	}
	emit_case(app, "case_updated", id);
	reply_case(k, id, record);
	cJSON_Delete(record);
	cJSON_Delete(before);
}

static int is_operator(const struct app *app, const char *login)
{
	for (size_t i = 0; login && i < app->cfg.n_operators; i++)
		if (strcmp(app->cfg.operators[i].login, login) == 0)
			return 1;
	return 0;
}

/* Hands a case to a colleague (its holder, or an admin), or lets an admin take over a
 * colleague's case ("to" = the admin). The new holder answers the customer from now on. */
static void api_assign(struct call *k, int64_t id)
{
	struct app *app = k->c->app;
	const char *to = body_text(k, "to", 1);
	if (!to)
		return;
	if (!is_operator(app, to)) {
		http_resp_error(k->resp, 400, "нет такого сотрудника");
		return;
	}
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const char *holder = json_str(record, "assignee");
	char prev[64];
	snprintf(prev, sizeof prev, "%s", holder && *holder ? holder : "");
	int admin = str_is(k->s->role, "admin");
	if (!is_open_status(json_str(record, "status"))) {
		http_resp_error(k->resp, 409, "обращение уже решено или закрыто");
	} else if (!admin && !str_is(prev, k->s->login)) {
		http_resp_error(k->resp, 403, "передать обращение может только его исполнитель "
					      "или администратор");
	} else if (str_is(prev, to)) {
		http_resp_error(k->resp, 409, "обращение уже у этого сотрудника");
	} else {
		int result = tx_begin(app);
		set_str(record, "assignee", to);
		set_str(record, "status", "claimed");
		add_history(record, "claimed", k->s->login, k->now);
		char note[192];
		snprintf(note, sizeof note, "%s: %s → %s", *prev ? "Передано" : "Назначено",
			 *prev ? prev : "очередь", to);
		add_note(record, k->s->login, note, k->now);
		if (result == 0)
			result = store_case_put(app->store, id, record, k->now);
		const char *channel = json_str(record, "channel");
		if (result == 0 && channel)
			result = handoff_set(app->store, channel, json_int(record, "peer_id", 0), 1,
					     id, k->now);
		if (result == 0)
			result = store_audit(app->store, k->s->login, "assign", id, note, k->now);
		if (result == 0)
			case_timers_claimed(k->c->timers, id, k->now);
		if (tx_end(app, result) < 0) {
			store_failed(k, "assign");
		} else {
			emit_case(app, "case_updated", id);
			cJSON_Delete(record);
			if ((record = load_case(k, id)))
				reply_case(k, id, record);
		}
	}
	cJSON_Delete(record);
}

int console__release(struct app *app, int64_t id, const char *by, const char *note, int64_t now)
{
	cJSON *record = NULL;
	if (tx_begin(app) < 0)
		return -1;
	int result = store_case_get(app->store, id, &record);
	if (result == 0 && !record)
		result = -1;
	if (result == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(record, "assignee");
		cJSON_AddNullToObject(record, "assignee");
		set_str(record, "status", "new");
		add_history(record, "new", by, now);
		if (note)
			add_note(record, by, note, now);
		result = store_case_put(app->store, id, record, now);
	}
	const char *channel = record ? json_str(record, "channel") : NULL;
	if (result == 0 && channel)
		result = handoff_set(app->store, channel, json_int(record, "peer_id", 0), 0, 0, now);
	if (result == 0)
		result = store_audit(app->store, by, "release", id, note, now);
	struct console *c = console__of(app);
	if (result == 0 && c)
		case_timers_released(c->timers, id, now);
	cJSON_Delete(record);
	if (tx_end(app, result) < 0)
		return -1;
	emit_case(app, "case_updated", id);
	return 0;
}

static void api_release(struct call *k, int64_t id)
{
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const char *assignee = json_str(record, "assignee");
	if (!assignee || !*assignee || !is_open_status(json_str(record, "status"))) {
		http_resp_error(k->resp, 409, "обращение никто не взял в работу");
	} else if (!may_change(k->s, record)) {
		http_resp_error(k->resp, 403, "вернуть обращение в очередь может только исполнитель или администратор");
	} else if (console__release(k->c->app, id, k->s->login, NULL, k->now) < 0) {
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
	struct app *app = k->c->app;
	const char *text = body_text(k, "text", 1);
	if (!text)
		return;
	const char *tpl = json_str(k->body, "template");
	char ph[48];
	if (unfilled(text, ph, sizeof ph)) {
		char msg[128];
		snprintf(msg, sizeof msg, "заполните %s перед отправкой", ph);
		http_resp_error(k->resp, 422, msg);
		return;
	}
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	char channel[32] = "";
	if (json_str(record, "channel"))
		snprintf(channel, sizeof channel, "%s", json_str(record, "channel"));
	int64_t peer = json_int(record, "peer_id", 0);
	if (!is_open_status(json_str(record, "status"))) {
		http_resp_error(k->resp, 409, "обращение уже решено или закрыто");
		cJSON_Delete(record);
		return;
	}
	if (!str_is(json_str(record, "assignee"), k->s->login)) {
		http_resp_error(k->resp, 409, "чтобы ответить, возьмите обращение в работу");
		cJSON_Delete(record);
		return;
	}
	char source[96];
	snprintf(source, sizeof source, "operator:%s", k->s->login);
	if (!*channel || handoff_send(app, channel, peer, text, source) < 0) {
		http_resp_error(k->resp, 503, "ответ не поставлен в очередь на отправку, попробуйте ещё раз");
		cJSON_Delete(record);
		return;
	}
	/* The row is committed: from here on the customer gets it whatever happens. */
	cJSON_Delete(record);
	record = NULL;
	int result = tx_begin(app);
	if (result == 0)
		result = store_case_get(app->store, id, &record);
	if (result == 0 && record) {
		add_transcript(record, "operator", text, k->s->login, k->now);
		result = store_case_put(app->store, id, record, k->now);
		struct convstate *state = NULL;
		if (result == 0 && convstate_load(app->store, channel, peer, &state) == 0 &&
		    !handoff_is_human(state))
			result = handoff_set(app->store, channel, peer, 1, id, k->now);
		convstate_free(state);
		char detail[96];
		snprintf(detail, sizeof detail, "%s%s, %zu байт", tpl ? "шаблон " : "свой текст",
			 tpl ? tpl : "", strlen(text));
		if (result == 0)
			result = store_audit(app->store, k->s->login, "reply", id, detail, k->now);
		if (result == 0)
			case_timers_operator_spoke(k->c->timers, id, k->now);
	}
	if (!record || tx_end(app, result) < 0) {
		cJSON_Delete(record);
		store_failed(k, "transcript after the reply was queued");
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	cJSON_AddStringToObject(d, "channel", channel);
	cJSON_AddNumberToObject(d, "peer_id", (double)peer);
	cJSON_AddStringToObject(d, "text", text);
	cJSON_AddStringToObject(d, "operator", k->s->login);
	cJSON_AddNumberToObject(d, "at", (double)k->now);
	events_emit(app->events, "operator_message", d);
	cJSON_Delete(d);
	emit_case(app, "case_updated", id);
	reply_case(k, id, record);
	cJSON_Delete(record);
}

static void api_note(struct call *k, int64_t id)
{
	struct app *app = k->c->app;
	const char *text = body_text(k, "text", 1);
	if (!text)
		return;
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	int result = tx_begin(app);
	add_note(record, k->s->login, text, k->now);
	if (result == 0)
		result = store_case_put(app->store, id, record, k->now);
	if (result == 0)
		result = store_audit(app->store, k->s->login, "note", id, NULL, k->now);
	if (tx_end(app, result) < 0) {
		cJSON_Delete(record);
		store_failed(k, "note");
		return;
	}
	emit_case(app, "case_updated", id);
	reply_case(k, id, record);
	cJSON_Delete(record);
}

int console__handback(struct app *app, int64_t id, const char *by, const char *note, int notify,
		      int64_t now)
{
	cJSON *record = NULL;
	if (tx_begin(app) < 0)
		return -1;
	int result = store_case_get(app->store, id, &record);
	if (result == 0 && !record)
		result = -1;
	const char *channel = record ? json_str(record, "channel") : NULL;
	if (result == 0 && channel)
		result = handoff_set(app->store, channel, json_int(record, "peer_id", 0), 0, 0, now);
	if (result == 0 && note) {
		add_note(record, by, note, now);
		result = store_case_put(app->store, id, record, now);
	}
	if (result == 0)
		result = store_audit(app->store, by, "handback", id, note, now);
	struct console *c = console__of(app);
	if (result == 0 && c)
		case_timers_handed_back(c->timers, id);
	cJSON_Delete(record);
	if (tx_end(app, result) < 0)
		return -1;
	if (notify) {
		static const char *const ids[] = {"handed_back", NULL};
		console__send_template(app, id, ids, now);
	}
	emit_case(app, "case_updated", id);
	return 0;
}

int console__send_template(struct app *app, int64_t id, const char *const *ids, int64_t now)
{
	cJSON *record = NULL;
	if (store_case_get(app->store, id, &record) < 0 || !record)
		return -1;
	struct replyset *rs = replyset_ref(app->replies);
	int lang = case_lang(app, record);
	char eta[32] = "";
	struct tpl_vars v = {0};
	const char *s;
	v.case_id = json_str(record, "number");
	v.name = json_str(record, "display_name");
	v.phone = (s = json_str(record, "phone")) ? s : NULL;
	v.account = json_str(record, "account");
	v.operator_name = json_str(record, "assignee");
	int64_t due = json_int(record, "sla_due_at", 0);
	if (due > 0) {
		eta_text(rs, due, lang, eta, sizeof eta);
		v.eta = eta;
	}
	char work_start[32];
	const struct replyset_settings *set = replyset_settings(rs);
	worktime_format(set, worktime_next_open(set, now), now, work_start, sizeof work_start);
	v.work_start = work_start;
	char *text = NULL;
	const char *used = NULL;
	for (const char *const *p = ids; *p && !text; p++)
		if ((text = replyset_render(rs, *p, lang, &v)))
			used = *p;
	replyset_unref(rs);
	char channel[32] = "";
	if (json_str(record, "channel"))
		snprintf(channel, sizeof channel, "%s", json_str(record, "channel"));
	int64_t peer = json_int(record, "peer_id", 0);
	int result = -1;
	if (text && *channel) {
		char source[64];
		snprintf(source, sizeof source, "template:%s", used);
		result = handoff_send(app, channel, peer, text, source);
	}
	if (result == 0 && tx_begin(app) == 0) {
		cJSON_Delete(record);
		record = NULL;
		int r = store_case_get(app->store, id, &record);
		if (r == 0 && record) {
			add_transcript(record, "bot", text, NULL, now);
			r = store_case_put(app->store, id, record, now);
		}
		tx_end(app, r);
		cJSON *d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "case_id", (double)id);
		cJSON_AddStringToObject(d, "channel", channel);
		cJSON_AddNumberToObject(d, "peer_id", (double)peer);
		cJSON_AddStringToObject(d, "text", text);
		cJSON_AddNumberToObject(d, "at", (double)now);
		events_emit(app->events, "bot_message", d);
		cJSON_Delete(d);
	}
	if (!text)
		log_error("console: case %lld: no template %s to send", (long long)id, ids[0]);
	free(text);
	cJSON_Delete(record);
	return result;
}

static void api_handback(struct call *k, int64_t id)
{
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const cJSON *nv = cJSON_GetObjectItemCaseSensitive(k->body, "notify");
	if (nv && !cJSON_IsBool(nv)) {
		http_resp_error(k->resp, 400, "поле «notify» должно быть true или false");
	} else if (!may_change(k->s, record)) {
		http_resp_error(k->resp, 403, "вернуть разговор боту может только исполнитель "
					      "или администратор");
	} else if (console__handback(k->c->app, id, k->s->login, NULL, !nv || cJSON_IsTrue(nv),
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
	struct app *app = k->c->app;
	cJSON *record = load_case(k, id);
	if (!record)
		return;
	const char *cur = json_str(record, "status");
	const char *assignee = json_str(record, "assignee");
	if (!may_change(k->s, record)) {
		http_resp_error(k->resp, 403, "сменить статус может только исполнитель или администратор");
		cJSON_Delete(record);
		return;
	}
	if (str_is(cur, "closed")) {
		http_resp_error(k->resp, 409, "обращение закрыто");
		cJSON_Delete(record);
		return;
	}
	if ((str_is(status, "claimed") || str_is(status, "waiting")) && (!assignee || !*assignee)) {
		http_resp_error(k->resp, 409, "сначала возьмите обращение в работу");
		cJSON_Delete(record);
		return;
	}
	int finished = str_is(status, "resolved") || str_is(status, "closed");
	int result = tx_begin(app);
	set_str(record, "status", status);
	add_history(record, status, k->s->login, k->now);
	if (resolution)
		set_str(record, "resolution", resolution);
	if (result == 0)
		result = store_case_put(app->store, id, record, k->now);
	const char *channel = json_str(record, "channel");
	if (result == 0 && finished && channel) {
		/* A finished case no longer holds the conversation: the bot answers again. */
		struct convstate *state = NULL;
		int64_t peer = json_int(record, "peer_id", 0);
		if (convstate_load(app->store, channel, peer, &state) == 0 &&
		    handoff_is_human(state) && convstate_holder_case(state) == id)
			result = handoff_set(app->store, channel, peer, 0, 0, k->now);
		convstate_free(state);
	}
	if (result == 0)
		result = store_audit(app->store, k->s->login, "status", id, status, k->now);
	if (result == 0 && finished)
		case_timers_finished(k->c->timers, id);
	else if (result == 0 && str_is(status, "waiting"))
		case_timers_waiting(k->c->timers, id);
	if (tx_end(app, result) < 0) {
		cJSON_Delete(record);
		store_failed(k, "status");
		return;
	}
	emit_case(app, "case_updated", id);
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
		http_resp_error(k->resp, 400, "статус: new, claimed, waiting, resolved "
					      "или closed");
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
	struct app *app = k->c->app;
	const struct replyset_settings *set = replyset_settings(app->replies);
	int64_t off = (int64_t)set->utc_offset_minutes * 60;
	int64_t now = k->now;
	int64_t midnight = (now + off) / 86400 * 86400 - off;
	cJSON *today = store_console_stats(app->store, midnight, now);
	cJSON *week = store_console_stats(app->store, now - 7 * 86400, now);
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
	cJSON_AddNumberToObject(o, "operators_online", (double)console_hub_count(k->c->hub));
	cJSON_AddStringToObject(o, "replies_version", replyset_version(app->replies));
	reply_json(k->resp, 200, o);
}

/* The reports page: the last days=N (1 to 90, default 14) local days. */
static void api_reports(struct call *k)
{
	struct app *app = k->c->app;
	char v[16] = "";
	int bad = http_req_param(k->req, "days", v, sizeof v) == -2;
	char *end = v;
	long days = *v ? strtol(v, &end, 10) : 14;
	if (bad || *end || days < 1 || days > 90) {
		http_resp_error(k->resp, 400, "days — число от 1 до 90");
		return;
	}
	int64_t off = (int64_t)replyset_settings(app->replies)->utc_offset_minutes * 60;
	cJSON *o = store_console_report(app->store, (int)days, k->now, off);
	if (!o) {
		store_failed(k, "reports");
		return;
	}
	cJSON_AddNumberToObject(o, "utc_offset_s", (double)off);
	reply_json(k->resp, 200, o);
}

static void api_reload(struct call *k)
{
	struct app *app = k->c->app;
	buf_reset(&k->resp->body);
	int result = app_reload(app, &k->resp->body);
	k->resp->status = result == 0 ? 200 : 422;
	k->resp->content_type = "application/json";
	store_audit(app->store, k->s->login, "reload", 0, result == 0 ? "ok" : "failed", k->now);
}

static void api_audit(struct call *k)
{
	char v[32] = "";
	http_req_param(k->req, "case_id", v, sizeof v);
	char *end;
	long long id = strtoll(v, &end, 10);
	if (!*v || *end || id <= 0) {
		http_resp_error(k->resp, 400, "case_id — целое положительное число");
		return;
	}
	cJSON *a = store_console_audit(k->c->app->store, id, 1000);
	if (!a) {
		store_failed(k, "audit");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "audit", a);
	reply_json(k->resp, 200, o);
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
	{"POST", "cases/#/status", NEED_SESSION, NULL, api_status},
	{"POST", "cases/#/close", NEED_SESSION, NULL, api_close},
	{"POST", "cases/#/handback", NEED_SESSION, NULL, api_handback},
	{"GET", "stats", NEED_ADMIN, api_stats, NULL},
	{"GET", "reports", NEED_ADMIN, api_reports, NULL},
	{"POST", "admin/reload", NEED_ADMIN, api_reload, NULL},
	{"GET", "audit", NEED_ADMIN, api_audit, NULL},
};

/* Matches path against pattern; a "#" takes a positive case id. */
static int match(const char *pattern, const char *path, int64_t *id)
{
	while (*pattern) {
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

void console_api_handle(struct console *c, const struct http_req *req, struct http_resp *resp)
{
	const char *path = strncmp(req->path, "/api/", 5) == 0 ? req->path + 5 : "";
	const struct api_route *r = NULL;
	int64_t id = 0;
	int path_known = 0;
	for (size_t i = 0; i < sizeof api_routes / sizeof api_routes[0]; i++)
		if (match(api_routes[i].path, path, &id)) {
			path_known = 1;
			if (strcmp(api_routes[i].method, req->method) == 0) {
				r = &api_routes[i];
				break;
			}
		}
	if (!r) {
		http_resp_error(resp, path_known ? 405 : 404, path_known ? "метод не поддерживается"
									 : "нет такого адреса");
		return;
	}
	struct call k = {.c = c, .req = req, .resp = resp, .now = clock_now_ms() / 1000};
	int post = strcmp(req->method, "POST") == 0;
	if (r->need != NEED_NONE) {
		k.s = auth_session(c->auth, req->cookie, clock_now_ms());
		if (!k.s) {
			http_resp_error(resp, 401, "войдите в консоль");
			return;
		}
		if (post && !auth_csrf_ok(k.s, req)) {
			log_warn("console: %s %s by %s from %s refused: bad CSRF token or origin",
				 req->method, req->path, k.s->login, req->peer);
			http_resp_error(resp, 403, "нет CSRF-токена, он неверен, или запрос с чужого сайта");
			return;
		}
		if (r->need == NEED_ADMIN && strcmp(k.s->role, "admin") != 0) {
			http_resp_error(resp, 403, "нужна роль администратора");
			return;
		}
	} else if (!auth_origin_ok(req)) {
		http_resp_error(resp, 403, "запрос с чужого сайта");
		return;
	}
	if (post) {
		if (req->body_len && !json_content(req->content_type)) {
			http_resp_error(resp, 415, "нужен Content-Type: application/json");
			return;
		}
		/* The whole body must be one JSON object: no NUL inside, nothing after it. */
		k.body = !req->body_len ? cJSON_CreateObject()
			 : strlen(req->body) == req->body_len ? cJSON_ParseWithOpts(req->body, NULL, 1)
							      : NULL;
		if (!cJSON_IsObject(k.body)) {
			cJSON_Delete(k.body);
			http_resp_error(resp, 400, "ожидается объект JSON");
			return;
		}
		if (!r->need && !json_content(req->content_type)) {
			cJSON_Delete(k.body);
			http_resp_error(resp, 415, "нужен Content-Type: application/json");
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

static void console_stop_cb(void *arg)
{
	struct console *c = arg;
	case_timers_stop(c->timers);
}

static void console_free_cb(void *arg)
{
	struct console *c = arg;
	case_timers_free(c->timers);
	text_ctx_free(c->text);
	console_hub_free(c->hub);
	auth_free(c->auth);
	free(c);
}

/* The addresses operators logged in from before a restart stay trusted (auth.h). */
static void seed_trust(void *arg, const char *login, const char *peer, int64_t at)
{
	auth_trust(arg, login, peer, at * 1000);
}

struct console *console_new(struct app *app, struct channel *web)
{
	struct console *c = xcalloc(1, sizeof *c);
	c->app = app;
	c->web = web;
	c->auth = auth_new(&app->cfg);
	c->text = text_ctx_new();
	if (!c->text)
		log_error("console: no stemmer: search will answer 500");
	if (app->store && store_console_recent_logins(app->store, 256, seed_trust, c->auth) < 0)
		log_warn("console: cannot read recent logins from the audit log: %s",
			 store_state(app->store));
	web_channel_set_companion(web, console_stop_cb, console_free_cb, c);
	c->hub = console_hub_new(app, c->auth);
	c->timers = case_timers_new(app);
	if (app->server) {
		server_route(app->server, "/console", console_page_route, c);
		server_route(app->server, "/console/*", console_asset_route, c);
		server_route(app->server, "/api/*", api_route, c);
	}
	return c;
}

struct console *console__of(struct app *app)
{
	for (int i = 0; i < app->n_channels; i++)
		if (app->channels[i]->caps.local_chat)
			return web_channel_companion(app->channels[i]);
	return NULL;
}

struct auth *console__auth(struct console *c)
{
	return c->auth;
}

struct console_hub *console__hub(struct console *c)
{
	return c->hub;
}

struct case_timers *console__timers(struct console *c)
{
	return c->timers;
}
