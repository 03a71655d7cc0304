/* The console API (console_api.c): every endpoint, refused without a session, with a
 * session of the wrong role, without or with a wrong CSRF token, from a foreign origin,
 * and with malformed bodies; then what each one does to the case, the conversation, the
 * outbox, the audit log and the live-update events. */
#include "test_console_fixture.h"
#include "clock.h"

#include "console_hub.h"
#include "convstate.h"
#include "handoff.h"
#include "store_console.h"

/* Every endpoint with a body that would be accepted. */
static const struct {
	const char *method, *path, *body;
	int admin;
} endpoints[] = {
	{"POST", "/api/logout", "{}", 0},
	{"GET", "/api/session", NULL, 0},
	{"GET", "/api/cases", NULL, 0},
	{"GET", "/api/cases?q=интернет", NULL, 0},
	{"GET", "/api/views", NULL, 0},
	{"POST", "/api/views", "{\"name\":\"v\",\"filter\":{}}", 0},
	{"POST", "/api/views/delete", "{\"name\":\"v\"}", 0},
	{"GET", "/api/cases/1", NULL, 0},
	{"GET", "/api/cases/1/templates", NULL, 0},
	{"POST", "/api/cases/1/claim", "{}", 0},
	{"POST", "/api/cases/1/release", "{}", 0},
	{"POST", "/api/cases/1/assign", "{\"to\":\"anna\"}", 0},
	{"POST", "/api/cases/1/reply", "{\"text\":\"Здравствуйте\"}", 0},
	{"POST", "/api/cases/1/note", "{\"text\":\"n\"}", 0},
	{"POST", "/api/cases/1/status", "{\"status\":\"waiting\"}", 0},
	{"POST", "/api/cases/1/close", "{\"resolution\":\"r\"}", 0},
	{"POST", "/api/cases/1/handback", "{}", 0},
	{"GET", "/api/stats", NULL, 1},
	{"GET", "/api/reports", NULL, 1},
	{"POST", "/api/admin/reload", "{}", 1},
	{"GET", "/api/audit?case_id=1", NULL, 1},
};
#define N_ENDPOINTS (sizeof endpoints / sizeof endpoints[0])

static void test_refused_without_session(void **state)
{
	struct fx *f = *state;
	fx_case(f, 1, "high", "web", 1000);
	for (size_t i = 0; i < N_ENDPOINTS; i++) {
		const char *cookies[] = {NULL, "deskbot_session=", "deskbot_session=zz",
					 "deskbot_session=0000000000000000000000000000000000000000000000000000000000000000"};
		for (size_t c = 0; c < 4; c++) {
			struct fx_resp r = fx_req_full(f, endpoints[i].method, endpoints[i].path,
						       endpoints[i].body, cookies[c], "x", NULL, NULL);
			if (r.status != 401)
				fail_msg("%s %s with cookie %s: %d", endpoints[i].method,
					 endpoints[i].path, cookies[c] ? cookies[c] : "(none)", r.status);
			fx_resp_free(&r);
		}
	}
	cJSON *rec = fx_record(f, 1);
	assert_string_equal(cJSON_GetObjectItem(rec, "status")->valuestring, "new");
	cJSON_Delete(rec);
	assert_int_equal(fx_count(f, "case_updated", 0), 0);
}

static void test_refused_without_csrf_or_with_foreign_origin(void **state)
{
	struct fx *f = *state;
	fx_case(f, 1, "high", "web", 1000);
	struct fx_user u = fx_login(f, "marina");
	for (size_t i = 0; i < N_ENDPOINTS; i++) {
		if (strcmp(endpoints[i].method, "POST") != 0)
			continue;
		const char *tokens[] = {NULL, "", "wrong", "0000"};
		for (size_t t = 0; t < 4; t++) {
			struct fx_resp r = fx_req_full(f, "POST", endpoints[i].path, endpoints[i].body,
						       u.cookie, tokens[t], NULL, NULL);
			if (r.status != 403)
				fail_msg("%s with CSRF token %s: %d", endpoints[i].path,
					 tokens[t] ? tokens[t] : "(none)", r.status);
			fx_resp_free(&r);
		}
		struct fx_resp r = fx_req_full(f, "POST", endpoints[i].path, endpoints[i].body,
					       u.cookie, u.csrf, NULL, "http://evil.example");
		if (r.status != 403)
			fail_msg("%s from a foreign origin: %d", endpoints[i].path, r.status);
		fx_resp_free(&r);
	}
	/* The same origin, spelled by the browser, is fine. */
	struct fx_resp r = fx_req_full(f, "POST", "/api/cases/1/note", "{\"text\":\"ok\"}", u.cookie,
				       u.csrf, NULL, "http://127.0.0.1:8080");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_req_full(f, "POST", "/api/login", "{\"login\":\"marina\",\"password\":\"" FX_PASSWORD "\"}",
			NULL, NULL, NULL, "http://evil.example");
	assert_int_equal(r.status, 403);
	fx_resp_free(&r);
	cJSON *rec = fx_record(f, 1);
	assert_string_equal(cJSON_GetObjectItem(rec, "status")->valuestring, "new");
	cJSON_Delete(rec);
}

static void test_admin_endpoints_need_the_admin_role(void **state)
{
	struct fx *f = *state;
	fx_case(f, 1, "high", "web", 1000);
	struct fx_user op = fx_login(f, "oleg"), admin = fx_login(f, "marina");
	for (size_t i = 0; i < N_ENDPOINTS; i++) {
		if (!endpoints[i].admin)
			continue;
		struct fx_resp r = fx_req_full(f, endpoints[i].method, endpoints[i].path,
					       endpoints[i].body, op.cookie, op.csrf, NULL, NULL);
		if (r.status != 403)
			fail_msg("operator on %s: %d", endpoints[i].path, r.status);
		fx_resp_free(&r);
		r = fx_req_full(f, endpoints[i].method, endpoints[i].path, endpoints[i].body,
				admin.cookie, admin.csrf, NULL, NULL);
		if (r.status != 200)
			fail_msg("admin on %s: %d", endpoints[i].path, r.status);
		fx_resp_free(&r);
	}
}

static void test_malformed_bodies(void **state)
{
	struct fx *f = *state;
	fx_case(f, 1, "high", "web", 1000);
	struct fx_user u = fx_login(f, "oleg");
	struct fx_resp r = fx_post(f, &u, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	static const char *const bad[] = {"not json", "[1,2]", "\"s\"", "{\"a\":", "null", "{}x"};
	for (size_t i = 0; i < N_ENDPOINTS; i++) {
		if (strcmp(endpoints[i].method, "POST") != 0)
			continue;
		for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
			r = fx_post(f, &u, endpoints[i].path, bad[b]);
			int want = endpoints[i].admin ? 403 : 400;
			if (r.status != want)
				fail_msg("%s with body %s: %d", endpoints[i].path, bad[b], r.status);
			fx_resp_free(&r);
		}
		r = fx_req_full(f, "POST", endpoints[i].path, "{}", u.cookie, u.csrf,
				"text/plain", NULL);
		if (r.status != (endpoints[i].admin ? 403 : 415))
			fail_msg("%s as text/plain: %d", endpoints[i].path, r.status);
		fx_resp_free(&r);
	}
	/* Fields of the wrong type or shape. */
	static const struct {
		const char *path, *body;
		int status;
	} fields[] = {
		{"/api/cases/1/reply", "{}", 400},
		{"/api/cases/1/reply", "{\"text\":5}", 400},
		{"/api/cases/1/reply", "{\"text\":\"   \"}", 400},
		{"/api/cases/1/reply", "{\"text\":\"Ответ {reason}\"}", 422},
		{"/api/cases/1/note", "{\"text\":[]}", 400},
		{"/api/cases/1/note", "{\"text\":\"\"}", 400},
		{"/api/cases/1/status", "{\"status\":\"bogus\"}", 400},
		{"/api/cases/1/status", "{\"status\":1}", 400},
		{"/api/cases/1/status", "{\"status\":\"resolved\",\"resolution\":7}", 400},
		{"/api/cases/1/close", "{}", 400},
		{"/api/cases/1/close", "{\"resolution\":true}", 400},
		{"/api/cases/1/handback", "{\"notify\":\"yes\"}", 400},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		r = fx_post(f, &u, fields[i].path, fields[i].body);
		if (r.status != fields[i].status)
			fail_msg("%s %s: %d, expected %d", fields[i].path, fields[i].body, r.status,
				 fields[i].status);
		assert_non_null(cJSON_GetObjectItem(r.body, "error"));
		fx_resp_free(&r);
	}
	/* Too long. */
	char *big = xmalloc(5000 + 32);
	memcpy(big, "{\"text\":\"", 9);
	memset(big + 9, 'a', 5000);
	memcpy(big + 9 + 5000, "\"}", 3);
	r = fx_post(f, &u, "/api/cases/1/reply", big);
	assert_int_equal(r.status, 400);
	fx_resp_free(&r);
	free(big);
	/* Nothing reached the customer. */
	assert_int_equal(fx_outbox_rows(f, 1, "operator"), 0);
	/* Login bodies. */
	static const char *const logins[] = {"{}", "{\"login\":\"marina\"}", "{\"login\":1,\"password\":\"x\"}",
					     "{\"login\":\"\",\"password\":\"x\"}"};
	for (size_t i = 0; i < sizeof logins / sizeof logins[0]; i++) {
		r = fx_req_full(f, "POST", "/api/login", logins[i], NULL, NULL, NULL, NULL);
		if (r.status != 400)
			fail_msg("login %s: %d", logins[i], r.status);
		fx_resp_free(&r);
	}
	r = fx_req_full(f, "POST", "/api/login", "login=marina&password=x", NULL, NULL,
			"application/x-www-form-urlencoded", NULL);
	assert_int_equal(r.status, 415);
	fx_resp_free(&r);
	r = fx_req_full(f, "POST", "/api/login", "garbage", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 400);
	fx_resp_free(&r);
}

static void test_unknown_paths_and_methods(void **state)
{
	struct fx *f = *state;
	struct fx_user u = fx_login(f, "oleg");
	static const struct {
		const char *method, *path;
		int status;
	} cases[] = {
		{"GET", "/api/nope", 404},        {"GET", "/api/login", 405},
		{"DELETE", "/api/cases/1", 405},  {"GET", "/api/cases/0", 404},
		{"GET", "/api/cases/abc", 404},   {"GET", "/api/cases/1x", 404},
		{"GET", "/api/cases/-1", 404},    {"GET", "/api/cases/99999", 404},
		{"POST", "/api/cases/99999/claim", 404},
		{"GET", "/api/cases/99999999999999999999", 404},
		{"GET", "/api/cases?status=bogus", 400}, {"GET", "/api/cases?limit=0", 400},
		{"GET", "/api/cases?limit=100000", 400},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fx_resp r = fx_req_full(f, cases[i].method, cases[i].path,
					       strcmp(cases[i].method, "POST") == 0 ? "{}" : NULL,
					       u.cookie, u.csrf, NULL, NULL);
		if (r.status != cases[i].status)
			fail_msg("%s %s: %d, expected %d", cases[i].method, cases[i].path, r.status,
				 cases[i].status);
		fx_resp_free(&r);
	}
}

static void test_login_session_logout(void **state)
{
	struct fx *f = *state;
	struct fx_resp r = fx_req_full(f, "POST", "/api/login",
				       "{\"login\":\"marina\",\"password\":\"wrong\"}", NULL, NULL,
				       NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.set_cookie, "");
	fx_resp_free(&r);
	r = fx_req_full(f, "POST", "/api/login", "{\"login\":\"nobody\",\"password\":\"x\"}", NULL,
			NULL, NULL, NULL);
	assert_int_equal(r.status, 401);
	fx_resp_free(&r);
	r = fx_req_full(f, "POST", "/api/login",
			"{\"login\":\"oleg\",\"password\":\"" FX_PASSWORD "\"}", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.set_cookie, "HttpOnly"));
	assert_non_null(strstr(r.set_cookie, "SameSite=Strict"));
	assert_non_null(strstr(r.set_cookie, "Path=/"));
	assert_non_null(strstr(r.set_cookie, "Max-Age="));
	assert_string_equal(fx_str(r.body, "role", NULL), "operator");
	assert_int_equal(strlen(fx_str(r.body, "csrf", NULL)), 64);
	/* The token is 256 bits in hex. */
	const char *tok = strchr(r.set_cookie, '=') + 1;
	assert_int_equal(strcspn(tok, ";"), 64);
	fx_resp_free(&r);

	struct fx_user u = fx_login(f, "oleg");
	r = fx_get(f, &u, "/api/session");
	assert_int_equal(r.status, 200);
	assert_string_equal(fx_str(r.body, "login", NULL), "oleg");
	assert_string_equal(fx_str(r.body, "csrf", NULL), u.csrf);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "operators")) == 3);
	fx_resp_free(&r);
	r = fx_post(f, &u, "/api/logout", "{}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.set_cookie, "Max-Age=0"));
	fx_resp_free(&r);
	r = fx_get(f, &u, "/api/session");
	assert_int_equal(r.status, 401);
	fx_resp_free(&r);
	r = fx_post(f, &u, "/api/logout", "{}");
	assert_int_equal(r.status, 401);
	fx_resp_free(&r);
	/* Audit: the logins, the failure and the logout. */
	struct sql_stmt *s = sql_prepare(store__db(f->app.store), "SELECT action FROM audit ORDER BY id");
	char actions[256] = "";
	while (sql_step(s) == SQL_ROW)
		snprintf(actions + strlen(actions), sizeof actions - strlen(actions), "%s%s",
			 actions[0] ? "," : "", sql_column_text(s, 0));
	assert_string_equal(actions, "login_failed,login_failed,login,login,logout");
	sql_finalize(s);
}

static void test_login_throttled(void **state)
{
	struct fx *f = *state;
	int codes[6];
	for (int i = 0; i < 6; i++) {
		struct fx_resp r = fx_req_full(f, "POST", "/api/login",
					       "{\"login\":\"anna\",\"password\":\"guess\"}", NULL,
					       NULL, NULL, NULL);
		codes[i] = r.status;
		if (r.status == 429)
			assert_true(cJSON_GetObjectItem(r.body, "retry_after_s")->valuedouble >= 1);
		fx_resp_free(&r);
	}
	assert_int_equal(codes[0], 401);
	assert_int_equal(codes[2], 401);
	assert_int_equal(codes[3], 429);
	/* Locked: even the right password waits. */
	struct fx_resp r = fx_req_full(f, "POST", "/api/login",
				       "{\"login\":\"anna\",\"password\":\"" FX_PASSWORD "\"}", NULL,
				       NULL, NULL, NULL);
	assert_int_equal(r.status, 429);
	fx_resp_free(&r);
}

static void test_queue_order_and_filters(void **state)
{
	struct fx *f = *state;
	int64_t low = fx_case(f, 1, "low", "web", 1000);
	int64_t crit = fx_case(f, 2, "critical", "vk", 900);
	int64_t high_old = fx_case(f, 3, "high", "telegram", 800);
	int64_t high_new = fx_case(f, 4, "high", "web", 1100);
	struct fx_user u = fx_login(f, "oleg");
	struct fx_resp r = fx_get(f, &u, "/api/cases");
	assert_int_equal(r.status, 200);
	cJSON *cases = cJSON_GetObjectItem(r.body, "cases");
	assert_int_equal(cJSON_GetArraySize(cases), 4);
	int64_t want[] = {crit, high_new, high_old, low};
	for (int i = 0; i < 4; i++)
		assert_int_equal((int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(cases, i), "id")->valuedouble,
				 want[i]);
	cJSON *first = cJSON_GetArrayItem(cases, 0);
	assert_string_equal(fx_str(first, "channel", NULL), "vk");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "flags"), "legal_threat")));
	assert_int_equal((int)cJSON_GetObjectItem(first, "sla_due_at")->valuedouble, 900 + 3600);
	assert_string_equal(fx_str(first, "summary", NULL), "<script>alert(1)</script> нет связи");
	fx_resp_free(&r);

	r = fx_get(f, &u, "/api/cases?channel=web");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "cases")), 2);
	fx_resp_free(&r);
	r = fx_post(f, &u, "/api/cases/2/claim", "{}");
	fx_resp_free(&r);
	r = fx_get(f, &u, "/api/cases?assignee=oleg");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "cases")), 1);
	fx_resp_free(&r);
	r = fx_get(f, &u, "/api/cases?status=new");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "cases")), 3);
	fx_resp_free(&r);
	r = fx_get(f, &u, "/api/cases?status=claimed&category=complaint");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "cases")), 1);
	fx_resp_free(&r);
	r = fx_get(f, &u, "/api/cases?status=closed");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "cases")), 0);
	fx_resp_free(&r);
	r = fx_get(f, &u, "/api/cases?limit=2");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "cases")), 2);
	fx_resp_free(&r);
}

static int n_cases(struct fx *f, const struct fx_user *u, const char *path)
{
	struct fx_resp r = fx_get(f, u, path);
	if (r.status != 200)
		fail_msg("%s: %d", path, r.status);
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "cases"));
	fx_resp_free(&r);
	return n;
}

/* Search finds a case by any form of a word the customer used (the index and the
 * query are stemmed alike), by its number and phone; filters combine with it. */
static void test_search_and_filters(void **state)
{
	struct fx *f = *state;
	int64_t a = fx_case(f, 1, "high", "web", 1000);
	int64_t b = fx_case(f, 2, "low", "vk", 5000);
	struct store_tx *tx = store_begin(f->app.store);
	assert_non_null(tx);
	assert_int_equal(store_case_line_add(tx, a, 1001, "customer",
					     "Третий день интернета нет, «ничего» не грузится!", NULL),
			 0);
	assert_int_equal(store_case_line_add(tx, b, 5001, "customer",
					     "Хочу подключить роуминг", NULL),
			 0);
	assert_int_equal(store_commit(tx), 0);
	struct fx_user u = fx_login(f, "oleg");
	struct fx_resp r = fx_get(f, &u, "/api/cases?q=%D0%B8%D0%BD%D1%82%D0%B5%D1%80%D0%BD%D0%B5%D1%82");
	assert_int_equal(r.status, 200);
	cJSON *cases = cJSON_GetObjectItem(r.body, "cases");
	assert_int_equal(cJSON_GetArraySize(cases), 1);
	cJSON *c = cJSON_GetArrayItem(cases, 0);
	assert_int_equal((int64_t)cJSON_GetObjectItem(c, "id")->valuedouble, a);
	/* The queue's preview: the customer's last line. */
	assert_non_null(strstr(fx_str(c, "last_text", NULL), "интернета нет"));
	fx_resp_free(&r);
	/* "интернету", "грузиться", "связь" (the first line said "связи"): other forms. */
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D0%B8%D0%BD%D1%82%D0%B5%D1%80%D0%BD%D0%B5%D1%82%D1%83"), 1);
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D1%81%D0%B2%D1%8F%D0%B7%D1%8C&status=all"), 2);
	/* Roaming is only in b; with a severity filter that b does not have, nothing. */
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D1%80%D0%BE%D1%83%D0%BC%D0%B8%D0%BD%D0%B3"), 1);
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D1%80%D0%BE%D1%83%D0%BC%D0%B8%D0%BD%D0%B3&severity=high"), 0);
	/* Words from different lines of one transcript: "интернет" (line 2) and "связь"
	 * (line 1); with a word from another case, nothing. */
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D0%B8%D0%BD%D1%82%D0%B5%D1%80%D0%BD%D0%B5%D1%82+%D1%81%D0%B2%D1%8F%D0%B7%D1%8C"), 1);
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D0%B8%D0%BD%D1%82%D0%B5%D1%80%D0%BD%D0%B5%D1%82+%D1%80%D0%BE%D1%83%D0%BC%D0%B8%D0%BD%D0%B3&status=all"), 0);
	/* FTS5 syntax in a query is only text. */
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%22%20OR%20*%20NEAR(a"), 0);
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%21%21%21"), 0);
	/* The case number and the phone, by their digits. */
	assert_int_equal(n_cases(f, &u, "/api/cases?q=000002"), 1);
	assert_int_equal(n_cases(f, &u, "/api/cases?q=916123"), 2);
	/* A line written after the first search is found by the next one. */
	tx = store_begin(f->app.store);
	assert_non_null(tx);
	assert_int_equal(store_case_line_add(tx, b, 5002, "customer", "И телевидение пропало", NULL), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D1%82%D0%B5%D0%BB%D0%B5%D0%B2%D0%B8%D0%B4%D0%B5%D0%BD%D0%B8%D0%B5"), 1);
	/* More lines than one index step (2,000): the last one is found too. */
	tx = store_begin(f->app.store);
	assert_non_null(tx);
	for (int i = 0; i < 2500; i++)
		assert_int_equal(store_case_line_add(tx, b, 6000 + i, "bot", "строка", NULL), 0);
	assert_int_equal(store_case_line_add(tx, b, 9000, "customer", "Абонплата выросла", NULL), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(n_cases(f, &u, "/api/cases?q=%D0%B0%D0%B1%D0%BE%D0%BD%D0%BF%D0%BB%D0%B0%D1%82%D1%83"), 1);
	/* Filters: severity, flag, creation dates. */
	assert_int_equal(n_cases(f, &u, "/api/cases?severity=low"), 1);
	assert_int_equal(n_cases(f, &u, "/api/cases?flag=legal_threat"), 2);
	assert_int_equal(n_cases(f, &u, "/api/cases?flag=obscene"), 0);
	assert_int_equal(n_cases(f, &u, "/api/cases?from=2000"), 1);
	assert_int_equal(n_cases(f, &u, "/api/cases?from=500&to=2000"), 1);
	const char *bad[] = {"/api/cases?severity=urgent", "/api/cases?flag=x%27%20OR%201",
			     "/api/cases?from=yesterday", "/api/cases?to=-5"};
	for (size_t i = 0; i < 4; i++) {
		r = fx_get(f, &u, bad[i]);
		if (r.status != 400)
			fail_msg("%s: %d", bad[i], r.status);
		fx_resp_free(&r);
	}
}

/* A live update carries the customer's last words for the list's preview. */
static void test_live_summary_has_the_last_line(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_case(f, 1, "high", "web", 1000);
	struct store_tx *tx = store_begin(f->app.store);
	assert_non_null(tx);
	assert_int_equal(store_case_line_add(tx, id, 1001, "customer", "А теперь и SMS не уходят", NULL), 0);
	assert_int_equal(store_case_line_add(tx, id, 1002, "bot", "Добавил к обращению", NULL), 0);
	assert_int_equal(store_commit(tx), 0);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	char *s = console_hub__frame(console__hub(f->con), "case_updated", d);
	cJSON_Delete(d);
	assert_non_null(s);
	cJSON *o = cJSON_Parse(s);
	free(s);
	assert_string_equal(fx_str(cJSON_GetObjectItem(o, "case"), "last_text", NULL), "А теперь и SMS не уходят");
	assert_string_equal(fx_str(cJSON_GetObjectItem(o, "case"), "last_from", NULL), "bot");
	cJSON_Delete(o);
}

/* Saved views are personal: per login, stored, replaced by name, deleted. */
static void test_saved_views(void **state)
{
	struct fx *f = *state;
	struct fx_user u = fx_login(f, "oleg");
	struct fx_user m = fx_login(f, "marina");
	struct fx_resp r = fx_post(f, &u, "/api/views",
				   "{\"name\":\"Мои суды\",\"filter\":{\"flag\":\"legal_threat\","
				   "\"assignee\":\"oleg\",\"q\":\"суд\"}}");
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "views")), 1);
	fx_resp_free(&r);
	r = fx_post(f, &u, "/api/views", "{\"name\":\"Мои суды\",\"filter\":{\"status\":\"all\"}}");
	assert_int_equal(r.status, 200);
	cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "views"), 0);
	assert_string_equal(fx_str(cJSON_GetObjectItem(v, "filter"), "status", NULL), "all");
	fx_resp_free(&r);
	r = fx_get(f, &m, "/api/views");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "views")), 0);
	fx_resp_free(&r);
	const char *bad[] = {"{\"name\":\"x\",\"filter\":{\"evil\":\"1\"}}",
			     "{\"name\":\"x\",\"filter\":{\"q\":5}}", "{\"name\":\"x\"}",
			     "{\"filter\":{}}", "{\"name\":\" \",\"filter\":{}}"};
	for (size_t i = 0; i < 5; i++) {
		r = fx_post(f, &u, "/api/views", bad[i]);
		if (r.status != 400)
			fail_msg("%s: %d", bad[i], r.status);
		fx_resp_free(&r);
	}
	r = fx_post(f, &m, "/api/views/delete", "{\"name\":\"Мои суды\"}");
	assert_int_equal(r.status, 404);
	fx_resp_free(&r);
	r = fx_post(f, &u, "/api/views/delete", "{\"name\":\"Мои суды\"}");
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "views")), 0);
	fx_resp_free(&r);
}

/* The case page carries the customer's earlier cases; the session the intents' titles. */
static void test_customer_history_and_titles(void **state)
{
	struct fx *f = *state;
	int64_t old = fx_case(f, 7, "normal", "web", 1000);
	int64_t other = fx_case(f, 8, "normal", "telegram", 1500); /* same phone */
	int64_t now = fx_case(f, 7, "high", "web", 2000);
	fx_case(f, 9, "high", "vk", 2500);
	sql_exec(store__db(f->app.store),
		 tb_pg ? "UPDATE cases SET record = jsonb_set(record::jsonb, '{phone}', "
			 "'\"+70000000000\"')::text WHERE peer_id = 9"
		       : "UPDATE cases SET record = json_set(record, '$.phone', '+70000000000') "
			 "WHERE peer_id = 9");
	struct fx_user u = fx_login(f, "oleg");
	char path[64];
	snprintf(path, sizeof path, "/api/cases/%lld", (long long)now);
	struct fx_resp r = fx_get(f, &u, path);
	assert_int_equal(r.status, 200);
	cJSON *hist = cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "customer"), "cases");
	assert_int_equal(cJSON_GetArraySize(hist), 2);
	assert_int_equal((int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 0), "id")->valuedouble, other);
	assert_int_equal((int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 1), "id")->valuedouble, old);
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 0), "notes")));
	fx_resp_free(&r);
	r = fx_get(f, &u, "/api/session");
	cJSON *intents = cJSON_GetObjectItem(r.body, "intents");
	assert_true(cJSON_GetArraySize(intents) > 10);
	int with_english = 0;
	for (cJSON *it = intents->child; it; it = it->next) {
		const char *t = fx_str(it, "title", NULL);
		assert_non_null(t);
		with_english += fx_str(it, "title_en", NULL) != NULL;
	}
	/* The English console names intents by their English titles where the set has them. */
	assert_true(with_english > 10);
	fx_resp_free(&r);
}

/* A holder hands the case to a colleague; a colleague cannot take it; an admin can
 * take over. Each change is a note, an audit row and a live update. */
static void test_hand_over_and_take_over(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_case(f, 1, "high", "web", 1000);
	struct fx_user o = fx_login(f, "oleg");
	struct fx_user a = fx_login(f, "anna");
	struct fx_user m = fx_login(f, "marina");
	struct fx_resp r = fx_post(f, &a, "/api/cases/1/assign", "{\"to\":\"anna\"}");
	assert_int_equal(r.status, 403); /* nobody holds it: anna claims it instead */
	fx_resp_free(&r);
	r = fx_post(f, &o, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &a, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 409);
	assert_string_equal(fx_str(r.body, "error", NULL), "обращение уже взял в работу Олег Петров");
	fx_resp_free(&r);
	r = fx_post(f, &a, "/api/cases/1/assign", "{\"to\":\"anna\"}");
	assert_int_equal(r.status, 403);
	fx_resp_free(&r);
	r = fx_post(f, &o, "/api/cases/1/assign", "{\"to\":\"nobody\"}");
	assert_int_equal(r.status, 400);
	fx_resp_free(&r);
	int before = fx_count(f, "case_updated", id);
	r = fx_post(f, &o, "/api/cases/1/assign", "{\"to\":\"anna\"}");
	assert_int_equal(r.status, 200);
	assert_string_equal(fx_str(r.body, "case", "assignee"), "anna");
	fx_resp_free(&r);
	assert_int_equal(fx_count(f, "case_updated", id), before + 1);
	/* anna holds it now: she replies, oleg cannot. */
	r = fx_post(f, &o, "/api/cases/1/reply", "{\"text\":\"Здравствуйте\"}");
	assert_int_equal(r.status, 409);
	fx_resp_free(&r);
	r = fx_post(f, &a, "/api/cases/1/reply", "{\"text\":\"Здравствуйте\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	/* The admin takes over. */
	r = fx_post(f, &m, "/api/cases/1/assign", "{\"to\":\"marina\"}");
	assert_int_equal(r.status, 200);
	assert_string_equal(fx_str(r.body, "case", "assignee"), "marina");
	cJSON *notes = cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "case"), "notes");
	assert_int_equal(cJSON_GetArraySize(notes), 2);
	assert_non_null(strstr(fx_str(cJSON_GetArrayItem(notes, 1), "text", NULL), "anna → marina"));
	fx_resp_free(&r);
	r = fx_post(f, &m, "/api/cases/1/assign", "{\"to\":\"marina\"}");
	assert_int_equal(r.status, 409);
	fx_resp_free(&r);
	cJSON *audit = store_console_audit(f->app.store, id, 100);
	int assigns = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, audit)
	{
		assigns += strcmp(fx_str(it, "action", NULL), "assign") == 0;
	}
	cJSON_Delete(audit);
	assert_int_equal(assigns, 2);
}

/* The reports: per day (messages, answers by the bot and by people, cases, SLA
 * breaches, medians), by hour, category, severity and secretary. */
static void test_reports(void **state)
{
	struct fx *f = *state;
	int64_t now = clock_now_ms() / 1000;
	int64_t a = fx_case(f, 1, "high", "web", now - 7200);    /* due now - 3600 */
	fx_case(f, 2, "low", "vk", now - 600);                    /* due in 50 min */
	fx_case(f, 3, "critical", "web", now - 40 * 86400);       /* outside the period */
	struct fx_user m = fx_login(f, "marina");
	struct fx_user o = fx_login(f, "oleg");
	char path[64];
	snprintf(path, sizeof path, "/api/cases/%lld/claim", (long long)a);
	struct fx_resp r = fx_post(f, &o, path, "{}");
	fx_resp_free(&r);
	snprintf(path, sizeof path, "/api/cases/%lld/reply", (long long)a);
	r = fx_post(f, &o, path, "{\"text\":\"Здравствуйте\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_get(f, &o, "/api/reports");
	assert_int_equal(r.status, 403);
	fx_resp_free(&r);
	r = fx_get(f, &m, "/api/reports?days=0");
	assert_int_equal(r.status, 400);
	fx_resp_free(&r);
	r = fx_get(f, &m, "/api/reports?days=7");
	assert_int_equal(r.status, 200);
	cJSON *days = cJSON_GetObjectItem(r.body, "days");
	assert_int_equal(cJSON_GetArraySize(days), 7);
	int cases = 0, breached = 0, people = 0;
	const cJSON *d;
	cJSON_ArrayForEach(d, days)
	{
		cases += (int)cJSON_GetObjectItem(d, "cases")->valuedouble;
		breached += (int)cJSON_GetObjectItem(d, "sla_breached")->valuedouble;
		people += (int)cJSON_GetObjectItem(d, "people")->valuedouble;
	}
	assert_int_equal(cases, 2);
	assert_int_equal(breached, 1); /* answered an hour after its due time */
	assert_int_equal(people, 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "hours")), 24);
	cJSON *cats = cJSON_GetObjectItem(r.body, "categories");
	assert_int_equal((int)cJSON_GetObjectItem(cats, "complaint")->valuedouble, 2);
	cJSON *sev = cJSON_GetObjectItem(r.body, "severities");
	assert_null(cJSON_GetObjectItem(sev, "critical"));
	assert_int_equal((int)cJSON_GetObjectItem(sev, "high")->valuedouble, 1);
	cJSON *ops = cJSON_GetObjectItem(r.body, "operators");
	assert_int_equal(cJSON_GetArraySize(ops), 1);
	cJSON *op = cJSON_GetArrayItem(ops, 0);
	assert_string_equal(fx_str(op, "login", NULL), "oleg");
	assert_int_equal((int)cJSON_GetObjectItem(op, "claimed")->valuedouble, 1);
	assert_int_equal((int)cJSON_GetObjectItem(op, "replies")->valuedouble, 1);
	fx_resp_free(&r);
}

static void test_case_page_and_templates(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_case(f, 7, "high", "web", 1000);
	struct fx_user u = fx_login(f, "oleg");
	struct fx_resp r = fx_get(f, &u, "/api/cases/1");
	assert_int_equal(r.status, 200);
	cJSON *c = cJSON_GetObjectItem(r.body, "case");
	assert_int_equal((int64_t)cJSON_GetObjectItem(c, "id")->valuedouble, id);
	assert_string_equal(fx_str(c, "number", NULL), "000001");
	assert_string_equal(fx_str(c, "phone", NULL), "+79161234567");
	assert_string_equal(fx_str(r.body, "conversation", "mode"), "bot");
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(r.body, "audit")));
	fx_resp_free(&r);

	r = fx_get(f, &u, "/api/cases/1/templates");
	assert_int_equal(r.status, 200);
	assert_string_equal(fx_str(r.body, "lang", NULL), "ru");
	const cJSON *t;
	int seen = 0;
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(r.body, "templates"))
	{
		assert_non_null(fx_str(t, "text", NULL));
		if (strcmp(fx_str(t, "id", NULL), "op_greeting") == 0) {
			const char *filled = fx_str(t, "filled", NULL);
			assert_non_null(strstr(filled, "Иван"));
			/* The customer is told the display name, never the login. */
			assert_non_null(strstr(filled, "Меня зовут Олег Петров,"));
			assert_null(strstr(filled, "oleg"));
			assert_non_null(strstr(filled, "000001"));
			seen++;
		}
		if (strcmp(fx_str(t, "id", NULL), "no_fault_found") == 0) {
			assert_non_null(strstr(fx_str(t, "filled", NULL), "+79161234567"));
			/* What the case cannot know stays for the secretary to fill in. */
			assert_non_null(strstr(fx_str(t, "filled", NULL), "{reason}"));
			seen++;
		}
		if (strcmp(fx_str(t, "id", NULL), "refund_done") == 0) {
			assert_non_null(strstr(fx_str(t, "filled", NULL), "1234567"));
			seen++;
		}
		/* Only operator templates: never the bot's. */
		assert_string_not_equal(fx_str(t, "id", NULL), "greeting_first");
	}
	assert_int_equal(seen, 3);
	fx_resp_free(&r);
}

static void test_claim_is_atomic_and_hands_over(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_case(f, 7, "high", "web", 1000);
	struct fx_user oleg = fx_login(f, "oleg"), anna = fx_login(f, "anna");
	struct fx_resp r = fx_post(f, &oleg, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	assert_string_equal(fx_str(r.body, "case", "assignee"), "oleg");
	assert_string_equal(fx_str(r.body, "case", "status"), "claimed");
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 409);
	assert_string_equal(fx_str(r.body, "holder", NULL), "oleg");
	assert_non_null(strstr(fx_str(r.body, "error", NULL), "Олег Петров"));
	fx_resp_free(&r);
	/* Claiming again is harmless for the holder. */
	r = fx_post(f, &oleg, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	cJSON *rec = fx_record(f, id);
	assert_string_equal(fx_str(rec, "assignee", NULL), "oleg");
	cJSON *hist = cJSON_GetObjectItem(rec, "history");
	assert_int_equal(cJSON_GetArraySize(hist), 1);
	assert_string_equal(fx_str(cJSON_GetArrayItem(hist, 0), "status", NULL), "claimed");
	assert_string_equal(fx_str(cJSON_GetArrayItem(hist, 0), "by", NULL), "oleg");
	cJSON_Delete(rec);
	struct convstate *conv = NULL;
	convstate_load(f->app.store, "web", 7, &conv);
	assert_true(handoff_is_human(conv));
	assert_int_equal(convstate_holder_case(conv), id);
	convstate_free(conv);
	assert_int_equal(fx_count(f, "case_updated", id), 2);
	/* Not the holder: no release, no status, no handback, no reply. */
	static const char *const paths[] = {"/api/cases/1/release", "/api/cases/1/handback"};
	for (int i = 0; i < 2; i++) {
		r = fx_post(f, &anna, paths[i], "{}");
		assert_int_equal(r.status, 403);
		fx_resp_free(&r);
	}
	r = fx_post(f, &anna, "/api/cases/1/status", "{\"status\":\"resolved\"}");
	assert_int_equal(r.status, 403);
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/reply", "{\"text\":\"hi\"}");
	assert_int_equal(r.status, 409);
	fx_resp_free(&r);
	/* A closed case cannot be claimed. */
	r = fx_post(f, &oleg, "/api/cases/1/close", "{\"resolution\":\"done\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 409);
	fx_resp_free(&r);
}

static void test_reply_goes_through_the_outbox(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_case(f, 7, "high", "web", 1000);
	struct fx_user oleg = fx_login(f, "oleg");
	struct fx_resp r = fx_post(f, &oleg, "/api/cases/1/reply", "{\"text\":\"hi\"}");
	assert_int_equal(r.status, 409); /* claim first */
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/claim", "{}");
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/reply",
		    "{\"text\":\"Здравствуйте, Иван! <b>Смотрю</b>\",\"template\":\"op_greeting\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	assert_int_equal(fx_outbox_rows(f, 7, "operator:oleg"), 1);
	cJSON *rec = fx_record(f, id);
	cJSON *tr = cJSON_GetObjectItem(rec, "transcript");
	cJSON *last = cJSON_GetArrayItem(tr, cJSON_GetArraySize(tr) - 1);
	assert_string_equal(fx_str(last, "from", NULL), "operator");
	assert_string_equal(fx_str(last, "operator", NULL), "oleg");
	assert_string_equal(fx_str(last, "text", NULL), "Здравствуйте, Иван! <b>Смотрю</b>");
	cJSON_Delete(rec);
	assert_int_equal(fx_count(f, "operator_message", id), 1);
	/* The outbox delivers it (to the web chat: no socket open, still delivered). */
	for (int i = 0; i < 20; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	int64_t depth = -1, oldest = 0;
	store_outbox_depth(f->app.store, "web", &depth, &oldest);
	assert_int_equal(depth, 0);
	/* A handed-back conversation is taken again by a reply. */
	r = fx_post(f, &oleg, "/api/cases/1/handback", "{\"notify\":false}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/reply", "{\"text\":\"Ещё вопрос\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	struct convstate *conv = NULL;
	convstate_load(f->app.store, "web", 7, &conv);
	assert_true(handoff_is_human(conv));
	convstate_free(conv);
	r = fx_post(f, &oleg, "/api/cases/1/status", "{\"status\":\"resolved\",\"resolution\":\"ok\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/reply", "{\"text\":\"после закрытия\"}");
	assert_int_equal(r.status, 409);
	fx_resp_free(&r);
	assert_int_equal(fx_outbox_rows(f, 7, "operator:oleg"), 2);
}

static void test_notes_status_close_handback_release(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_case(f, 7, "high", "web", 1000);
	struct fx_user oleg = fx_login(f, "oleg"), anna = fx_login(f, "anna"),
		       marina = fx_login(f, "marina");
	struct fx_resp r = fx_post(f, &anna, "/api/cases/1/note", "{\"text\":\"звонил в 10:00\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/status", "{\"status\":\"waiting\"}");
	assert_int_equal(r.status, 403); /* not the holder */
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/release", "{}");
	assert_int_equal(r.status, 409); /* nobody holds it */
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/claim", "{}");
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/status", "{\"status\":\"waiting\"}");
	assert_int_equal(r.status, 200);
	assert_string_equal(fx_str(r.body, "case", "status"), "waiting");
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/handback", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	/* The customer was told the bot answers again (handed_back, a bot template). */
	assert_int_equal(fx_outbox_rows(f, 7, "template:handed_back"), 1);
	struct convstate *conv = NULL;
	convstate_load(f->app.store, "web", 7, &conv);
	assert_false(handoff_is_human(conv));
	convstate_free(conv);
	/* An admin may release someone else's case. */
	r = fx_post(f, &marina, "/api/cases/1/release", "{}");
	assert_int_equal(r.status, 200);
	assert_string_equal(fx_str(r.body, "case", "status"), "new");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "case"), "assignee")));
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/status", "{\"status\":\"new\"}"); /* = release */
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/claim", "{}");
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/close", "{\"resolution\":\"Компенсация начислена\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &anna, "/api/cases/1/status", "{\"status\":\"waiting\"}");
	assert_int_equal(r.status, 409); /* closed */
	fx_resp_free(&r);
	cJSON *rec = fx_record(f, id);
	assert_string_equal(fx_str(rec, "status", NULL), "closed");
	assert_string_equal(fx_str(rec, "resolution", NULL), "Компенсация начислена");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rec, "notes")), 1);
	/* Every change of status is in the history, with who and when. */
	const char *expect[] = {"claimed", "waiting", "new", "claimed", "new", "claimed", "closed"};
	cJSON *hist = cJSON_GetObjectItem(rec, "history");
	assert_int_equal(cJSON_GetArraySize(hist), 7);
	for (int i = 0; i < 7; i++) {
		assert_string_equal(fx_str(cJSON_GetArrayItem(hist, i), "status", NULL), expect[i]);
		assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(hist, i), "at")->valuedouble > 0);
	}
	cJSON_Delete(rec);
	/* And every action is in the audit log. */
	r = fx_get(f, &marina, "/api/audit?case_id=1");
	assert_int_equal(r.status, 200);
	char actions[512] = "";
	size_t used = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(r.body, "audit"))
	{
		const char *action = fx_str(a, "action", NULL);
		used += (size_t)snprintf(actions + used, sizeof actions - used, "%s,",
					 action ? action : "?");
		assert_true(used < sizeof actions);
	}
	assert_string_equal(actions, "note,claim,status,handback,release,claim,release,claim,status,");
	fx_resp_free(&r);
	r = fx_get(f, &marina, "/api/audit?case_id=x");
	assert_int_equal(r.status, 400);
	fx_resp_free(&r);
}

static void test_stats_and_reload(void **state)
{
	struct fx *f = *state;
	int64_t now = clock_now_ms() / 1000;
	fx_case(f, 7, "high", "web", now - 30);
	struct fx_user oleg = fx_login(f, "oleg"), marina = fx_login(f, "marina");
	struct fx_resp r = fx_post(f, &oleg, "/api/cases/1/claim", "{}");
	fx_resp_free(&r);
	r = fx_post(f, &oleg, "/api/cases/1/reply", "{\"text\":\"Здравствуйте\"}");
	fx_resp_free(&r);
	r = fx_get(f, &marina, "/api/stats");
	assert_int_equal(r.status, 200);
	cJSON *today = cJSON_GetObjectItem(r.body, "today");
	assert_int_equal((int)cJSON_GetObjectItem(today, "cases_created")->valuedouble, 1);
	assert_int_equal((int)cJSON_GetObjectItem(today, "open_cases")->valuedouble, 1);
	assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(today, "answered"), "people")->valuedouble, 1);
	double med = cJSON_GetObjectItem(today, "first_human_reply_median_s")->valuedouble;
	assert_true(med >= 29 && med <= 40);
	assert_non_null(cJSON_GetObjectItem(r.body, "week"));
	fx_resp_free(&r);
	r = fx_post(f, &marina, "/api/admin/reload", "{}");
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.body, "ok")));
	assert_non_null(fx_str(r.body, "version", NULL));
	fx_resp_free(&r);
}

/* A secretary without a display name: the greeting keeps {operator} for her to fill in
 * (the login never reaches the customer), and a colleague's claim names her login. */
static void test_display_name_fallbacks(void **state)
{
	struct fx *f = *state;
	fx_case(f, 7, "high", "web", 1000);
	struct fx_user a = fx_login(f, "anna"), o = fx_login(f, "oleg");
	struct fx_resp r = fx_get(f, &a, "/api/cases/1/templates");
	assert_int_equal(r.status, 200);
	const cJSON *t;
	int seen = 0;
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(r.body, "templates"))
	{
		if (strcmp(fx_str(t, "id", NULL), "op_greeting") == 0) {
			const char *filled = fx_str(t, "filled", NULL);
			assert_non_null(strstr(filled, "Меня зовут {operator},"));
			assert_null(strstr(filled, "anna"));
			seen++;
		}
	}
	assert_int_equal(seen, 1);
	fx_resp_free(&r);
	r = fx_post(f, &a, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &a, "/api/cases/1/reply",
		    "{\"text\":\"Меня зовут {operator}, смотрю\",\"template\":\"op_greeting\"}");
	assert_int_equal(r.status, 422);
	assert_string_equal(fx_str(r.body, "error", NULL), "заполните {operator} перед отправкой");
	fx_resp_free(&r);
	r = fx_post(f, &o, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 409);
	assert_string_equal(fx_str(r.body, "error", NULL), "обращение уже взял в работу anna");
	assert_string_equal(fx_str(r.body, "holder", NULL), "anna");
	fx_resp_free(&r);
}

/* console.language "en": the API's texts come from the English column of the one table. */
static void test_english_console_texts(void **state)
{
	struct fx *f = *state;
	free(f->app.cfg.console_language);
	f->app.cfg.console_language = xstrdup("en");
	fx_case(f, 7, "high", "web", 1000);
	struct fx_user o = fx_login(f, "oleg"), a = fx_login(f, "anna");
	struct fx_resp r = fx_post(f, &o, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	r = fx_post(f, &a, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 409);
	assert_string_equal(fx_str(r.body, "error", NULL), "case already claimed by Олег Петров");
	fx_resp_free(&r);
	r = fx_get(f, &a, "/api/cases/99");
	assert_int_equal(r.status, 404);
	assert_string_equal(fx_str(r.body, "error", NULL), "no such case");
	fx_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_without_session, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_refused_without_csrf_or_with_foreign_origin, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_admin_endpoints_need_the_admin_role, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_bodies, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_paths_and_methods, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_login_session_logout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_login_throttled, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_queue_order_and_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_case_page_and_templates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_search_and_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_saved_views, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_live_summary_has_the_last_line, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reports, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hand_over_and_take_over, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_customer_history_and_titles, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_claim_is_atomic_and_hands_over, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_display_name_fallbacks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_english_console_texts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reply_goes_through_the_outbox, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notes_status_close_handback_release, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_stats_and_reload, fx_setup, fx_teardown),
	};
	int result = tb_run(tests);
	free(fx_hash);
	return result;
}
