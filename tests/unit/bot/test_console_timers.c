/* Case timers (case_timers.c) on a clock the test moves, the store's side of them and
 * of the web chat (store_console.c), sessions and throttling (auth.c) on a fake clock,
 * and the frames of the live-update hub (console_hub.c). */
#include "test_console_fixture.h"
#include "clock.h"

#include "case_timers.h"
#include "convstate.h"
#include "console_hub.h"
#include "handoff.h"
#include "replyset.h"
#include "store_console.h"

static int64_t settings_s(struct fx *f, const char *which)
{
	const struct replyset_settings *s = replyset_settings(f->app.replies);
	int m = strcmp(which, "unclaimed") == 0 ? s->unclaimed_alert_minutes
		: strcmp(which, "silence") == 0 ? s->claimed_silence_minutes
						: s->human_idle_minutes;
	return (int64_t)m * 60;
}

static void created(struct fx *f, int64_t id)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	events_emit(f->app.events, "case_created", d);
	cJSON_Delete(d);
}

/* Sets the daemon's clock to a local Moscow time (the shipped settings' offset). */
static int64_t at_moscow(const char *iso_local)
{
	char buf[40];
	int64_t ms = 0;
	snprintf(buf, sizeof buf, "%s+03:00", iso_local);
	assert_int_equal(clock_parse(buf, &ms), 0);
	clock_set_ms(ms);
	return ms / 1000;
}

/* A new case left in the queue in working hours (a Wednesday noon; the night is another
 * test's): its id, the time and the unclaimed alert's period. */
static int64_t new_case_at_noon(struct fx *f, int64_t *now, int64_t *period)
{
	*now = at_moscow("2026-12-02T12:00:00");
	int64_t id = fx_case(f, 7, "high", "web", *now);
	created(f, id);
	*period = settings_s(f, "unclaimed");
	assert_true(*period > 0);
	return id;
}

/* The text of the newest alert event ("" when none). */
static const char *fx_last_alert(const struct fx *f)
{
	for (int i = f->n_events - 1; i >= 0; i--)
		if (strcmp(f->events[i].type, "alert") == 0)
			return f->events[i].text;
	return "";
}

static void test_unclaimed_alert_and_one_wait_notice(void **state)
{
	struct fx *f = *state;
	struct case_timers *t = console__timers(f->con);
	int64_t now, period;
	int64_t id = new_case_at_noon(f, &now, &period);
	assert_int_equal(store_console_timer_next(f->app.store), now + period);
	assert_int_equal(case_timers_run(t, now + period - 1), 0);
	assert_int_equal(case_timers_run(t, now + period), 1);
	assert_int_equal(fx_count(f, "alert", id), 1);
	char want[128];
	snprintf(want, sizeof want, "Обращение 000001 ждёт без исполнителя %lld мин",
		 (long long)(period / 60));
	assert_string_equal(fx_last_alert(f), want);
	/* The customer is told the expected wait, once. */
	assert_int_equal(fx_outbox_rows(f, 7, "template:"), 1);
	cJSON *rec = fx_record(f, id);
	cJSON *tr = cJSON_GetObjectItem(rec, "transcript");
	assert_string_equal(fx_str(cJSON_GetArrayItem(tr, cJSON_GetArraySize(tr) - 1), "from", NULL), "bot");
	cJSON_Delete(rec);
	/* Still waiting a period later: another alert, no second message. */
	assert_int_equal(case_timers_run(t, now + 2 * period), 1);
	assert_int_equal(fx_count(f, "alert", id), 2);
	assert_int_equal(fx_outbox_rows(f, 7, "template:"), 1);
	assert_int_equal(store_console_timer_count(f->app.store, id, "unclaimed"), 2);
	/* A claim stops it. */
	struct fx_user u = fx_login(f, "oleg");
	struct fx_resp r = fx_post(f, &u, "/api/cases/1/claim", "{}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	int64_t later = clock_now_ms() / 1000 + 3 * period;
	int64_t silence = settings_s(f, "silence");
	/* Only the claimed-silence and idle timers remain armed, due after the claim. */
	assert_true(store_console_timer_next(f->app.store) >= later - 3 * period + silence - 2);
	assert_int_equal(fx_count(f, "alert", id), 2);
}

/* console.language "en": the alert comes from the table's English column. */
static void test_unclaimed_alert_in_english(void **state)
{
	struct fx *f = *state;
	struct case_timers *t = console__timers(f->con);
	int64_t now, period;
	new_case_at_noon(f, &now, &period);
	assert_int_equal(case_timers_run(t, now + period), 1);
	char want[128];
	snprintf(want, sizeof want, "Case 000001 has waited unclaimed for %lld min",
		 (long long)(period / 60));
	assert_string_equal(fx_last_alert(f), want);
}

/* A case opened at night waits for the team in working time: its unclaimed notice comes
 * a period after the team starts, and says when they start, not "all staff are busy". */
static void test_unclaimed_at_night_counts_from_the_start_of_work(void **state)
{
	struct fx *f = *state;
	struct case_timers *t = console__timers(f->con);
	static const struct {
		const char *created, *due;
	} cases[] = {
		{"2026-12-02T03:00:00", "2026-12-02T09:15:00"},
		{"2026-12-02T20:59:00", "2026-12-03T09:14:00"},
		{"2026-12-02T21:00:00", "2026-12-03T09:15:00"},
		{"2026-12-06T23:30:00", "2026-12-07T09:15:00"}, /* a Sunday night */
	};
	for (int i = 0; i < 4; i++) {
		int64_t now = at_moscow(cases[i].created);
		int64_t due = 0;
		char buf[40];
		snprintf(buf, sizeof buf, "%s+03:00", cases[i].due);
		assert_int_equal(clock_parse(buf, &due), 0);
		due /= 1000;
		int64_t id = fx_case(f, 20 + i, "high", "web", now);
		created(f, id);
		assert_int_equal(store_console_timer_next(f->app.store), due);
		assert_int_equal(case_timers_run(t, due - 1), 0);
		/* The notice goes out in working time: the team is at work, so the day text. */
		at_moscow(cases[i].due);
		assert_int_equal(case_timers_run(t, due), 1);
		assert_int_equal(fx_outbox_rows(f, 20 + i, "template:unclaimed_wait"), 1);
		assert_int_equal(fx_outbox_rows(f, 20 + i, "template:unclaimed_wait_after_hours"), 0);
		struct store_tx *tx = begin_tx(f->app.store);
		assert_int_equal(store_console_timer_cancel(tx, id, "unclaimed"), 0);
		assert_int_equal(store_commit(tx), 0);
	}
	/* Fired outside working hours (a timer from before a settings change, say): the
	 * after-hours text with the team's start time, never "all staff are busy". */
	int64_t now = at_moscow("2026-12-02T04:00:00");
	int64_t id = fx_case(f, 30, "high", "web", now);
	struct store_tx *tx = begin_tx(f->app.store);
	assert_int_equal(store_console_timer_arm(tx, id, "unclaimed", now, now, CONSOLE_ARM_REPLACE),
			 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(case_timers_run(t, now), 1);
	assert_int_equal(fx_outbox_rows(f, 30, "template:unclaimed_wait_after_hours"), 1);
	cJSON *rec = fx_record(f, id);
	cJSON *tr = cJSON_GetObjectItem(rec, "transcript");
	const char *text = fx_str(cJSON_GetArrayItem(tr, cJSON_GetArraySize(tr) - 1), "text", NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "после 09:00"));
	assert_null(strstr(text, "заняты"));
	assert_null(strstr(text, "{"));
	cJSON_Delete(rec);
}

static void test_silent_secretary_loses_the_case(void **state)
{
	struct fx *f = *state;
	struct case_timers *t = console__timers(f->con);
	int64_t id = fx_case(f, 7, "high", "web", clock_now_ms() / 1000);
	struct fx_user u = fx_login(f, "oleg");
	struct fx_resp r = fx_post(f, &u, "/api/cases/1/claim", "{}");
	fx_resp_free(&r);
	int64_t now = clock_now_ms() / 1000;
	int64_t silence = settings_s(f, "silence");
	assert_int_equal(case_timers_run(t, now + silence - 2), 0);
	assert_true(case_timers_run(t, now + silence + 1) >= 1);
	cJSON *rec = fx_record(f, id);
	assert_string_equal(fx_str(rec, "status", NULL), "new");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(rec, "assignee")));
	cJSON *notes = cJSON_GetObjectItem(rec, "notes");
	assert_int_equal(cJSON_GetArraySize(notes), 1);
	assert_non_null(strstr(fx_str(cJSON_GetArrayItem(notes, 0), "text", NULL), "oleg"));
	assert_string_equal(fx_str(cJSON_GetArrayItem(notes, 0), "author", NULL), "system");
	cJSON_Delete(rec);
	assert_int_equal(fx_count(f, "alert", id), 1);
	struct convstate *conv = NULL;
	convstate_load(f->app.store, "web", 7, &conv);
	assert_false(handoff_is_human(conv));
	convstate_free(conv);
}

static void test_answering_secretary_keeps_it_and_idle_returns_to_bot(void **state)
{
	struct fx *f = *state;
	struct case_timers *t = console__timers(f->con);
	int64_t id = fx_case(f, 7, "high", "web", clock_now_ms() / 1000);
	struct fx_user u = fx_login(f, "oleg");
	struct fx_resp r = fx_post(f, &u, "/api/cases/1/claim", "{}");
	fx_resp_free(&r);
	r = fx_post(f, &u, "/api/cases/1/reply", "{\"text\":\"Смотрю\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	int64_t now = clock_now_ms() / 1000;
	int64_t silence = settings_s(f, "silence"), idle = settings_s(f, "idle");
	assert_true(idle > silence);
	/* The secretary answered: silence does not fire. */
	case_timers_run(t, now + silence + 1);
	cJSON *rec = fx_record(f, id);
	assert_string_equal(fx_str(rec, "assignee", NULL), "oleg");
	cJSON_Delete(rec);
	/* A customer message restarts the clocks; silence is armed again. */
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	cJSON_AddStringToObject(d, "text", "ну что там?");
	events_emit(f->app.events, "customer_message", d);
	cJSON_Delete(d);
	assert_true(store_console_timer_next(f->app.store) > now + silence - 5);
	r = fx_post(f, &u, "/api/cases/1/reply", "{\"text\":\"Проверяем\"}");
	assert_int_equal(r.status, 200);
	fx_resp_free(&r);
	/* Nobody writes for the idle period: the conversation goes back to the bot. */
	struct convstate *conv = NULL;
	convstate_load(f->app.store, "web", 7, &conv);
	assert_true(handoff_is_human(conv));
	convstate_free(conv);
	case_timers_run(t, now + idle + 5);
	convstate_load(f->app.store, "web", 7, &conv);
	assert_false(handoff_is_human(conv));
	convstate_free(conv);
	assert_true(fx_count(f, "alert", id) >= 1);
	assert_int_equal(fx_outbox_rows(f, 7, "template:handed_back"), 1);
}

static void test_timers_survive_a_restart(void **state)
{
	struct fx *f = *state;
	int64_t now = at_moscow("2026-12-02T12:00:00");
	int64_t id = fx_case(f, 7, "critical", "web", now);
	created(f, id);
	/* A case created while nobody listened gets its timer at start-up. */
	int64_t lost = fx_case(f, 8, "low", "web", now - 10);
	/* The restarted daemon's store: a new handle on the same database (the console
	 * under test keeps its own, which its timers and relay still use). */
	struct store *st = NULL;
	char err[256];
	assert_int_equal(store_open(config_store_where(&f->app.cfg), &st, err, sizeof err), 0);
	assert_int_equal(store_console_timer_next(st), now + settings_s(f, "unclaimed"));
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_console_timers_recover(tx, settings_s(f, "unclaimed"), now), 0);
	assert_int_equal(store_commit(tx), 0);
	struct console_timer due[4];
	int n = store_console_timers_due(st, now + 10 * 3600, due, 4);
	assert_int_equal(n, 2);
	assert_int_equal(due[0].case_id, lost);
	assert_int_equal(due[1].case_id, id);
	assert_string_equal(due[0].kind, "unclaimed");
	store_close(st);
}

static void test_store_timer_modes(void **state)
{
	struct fx *f = *state;
	struct store *st = f->app.store;
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_console_timer_arm(tx, 1, "silence", 100, 1, CONSOLE_ARM_REPLACE), 0);
	assert_int_equal(store_console_timer_arm(tx, 1, "silence", 50, 1, CONSOLE_ARM_IF_ABSENT), 0);
	assert_int_equal(store_console_timer_next(st), 100);
	assert_int_equal(store_console_timer_arm(tx, 1, "silence", 70, 1, CONSOLE_ARM_IF_IDLE), 0);
	assert_int_equal(store_console_timer_next(st), 100);
	assert_int_equal(store_console_timer_cancel(tx, 1, "silence"), 0);
	assert_int_equal(store_console_timer_next(st), 0);
	assert_int_equal(store_console_timer_arm(tx, 1, "silence", 70, 1, CONSOLE_ARM_IF_IDLE), 0);
	assert_int_equal(store_console_timer_next(st), 70);
	assert_int_equal(store_console_timer_fired(tx, 1, "silence"), 1);
	assert_int_equal(store_console_timer_count(st, 1, "silence"), 1);
	/* Fired already (as by another instance on the same store): not again. */
	assert_int_equal(store_console_timer_fired(tx, 1, "silence"), 0);
	assert_int_equal(store_console_timer_count(st, 1, "silence"), 1);
	assert_int_equal(store_console_timer_arm(tx, 1, "silence", 90, 1, CONSOLE_ARM_REPLACE), 0);
	assert_int_equal(store_console_timer_count(st, 1, "silence"), 1);
	assert_int_equal(store_console_timer_arm(tx, 1, "x", 90, 1, 99), -1);
	assert_int_equal(store_console_timer_count(st, 2, "none"), 0);
	assert_int_equal(store_commit(tx), 0);
}

static void line_cb(void *arg, const struct console_line *l)
{
	cJSON *a = arg;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "from", l->from);
	cJSON_AddStringToObject(o, "text", l->text);
	cJSON_AddItemToArray(a, o);
}

static void test_web_peers_and_history(void **state)
{
	struct fx *f = *state;
	struct store *st = f->app.store;
	int64_t p1 = 0, p2 = 0, again = 0;
	char tok1[65], tok2[65];
	assert_int_equal(auth_random_hex(tok1, 32), 0);
	assert_int_equal(auth_random_hex(tok2, 32), 0);
	assert_string_not_equal(tok1, tok2);
	assert_int_equal(store_console_web_peer(st, tok1, &p1), 0);
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_console_web_peer_create(tx, tok1, 1, &p1), 1);
	assert_int_equal(store_console_web_peer_create(tx, tok2, 1, &p2), 1);
	assert_int_equal(store_console_web_peer_create(tx, tok1, 1, &again), 1);
	assert_int_equal(again, p1);
	assert_int_equal(store_console_web_peer(st, tok1, &again), 1);
	assert_int_equal(again, p1);
	assert_true(p1 != p2);
	/* A customer line and the replies to it come back in order. */
	struct chan_msg m = {.channel = "web", .dedup_key = "1:a", .peer_id = p1, .user_id = p1,
			     .date = 1000, .text = "<b>привет</b>"};
	int64_t in_id = 0;
	assert_int_equal(store_inbound_add(tx, &m, 1000, &in_id), 1);
	struct outbox_row row = {.channel = "web", .kind = "message", .peer_id = p1,
				 .text = "ответ бота", .source = "faq:hello", .created_ms = 1000500,
				 .next_attempt_ms = 0};
	assert_int_equal(store_outbox_add(tx, &row), 0);
	row = (struct outbox_row){.channel = "web", .kind = "message", .peer_id = p1,
				  .text = "ответ человека", .source = "operator:oleg",
				  .created_ms = 1000600};
	assert_int_equal(store_outbox_add(tx, &row), 0);
	cJSON *a = cJSON_CreateArray();
	assert_int_equal(store_console_web_history(st, p1, 50, line_cb, a), 0);
	assert_int_equal(cJSON_GetArraySize(a), 3);
	assert_string_equal(fx_str(cJSON_GetArrayItem(a, 0), "from", NULL), "customer");
	assert_string_equal(fx_str(cJSON_GetArrayItem(a, 0), "text", NULL), "<b>привет</b>");
	assert_string_equal(fx_str(cJSON_GetArrayItem(a, 1), "from", NULL), "bot");
	assert_string_equal(fx_str(cJSON_GetArrayItem(a, 2), "from", NULL), "operator");
	cJSON_Delete(a);
	a = cJSON_CreateArray();
	assert_int_equal(store_console_web_history(st, p1, 1, line_cb, a), 0);
	assert_int_equal(cJSON_GetArraySize(a), 1);
	assert_string_equal(fx_str(cJSON_GetArrayItem(a, 0), "from", NULL), "operator");
	cJSON_Delete(a);
	a = cJSON_CreateArray();
	assert_int_equal(store_console_web_history(st, p2, 50, line_cb, a), 0);
	assert_int_equal(cJSON_GetArraySize(a), 0);
	cJSON_Delete(a);
	assert_int_equal(store_commit(tx), 0);
}

static void test_hub_frames(void **state)
{
	struct fx *f = *state;
	struct console_hub *h = console__hub(f->con);
	int64_t id = fx_case(f, 7, "critical", "vk", 1000);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	char *s = console_hub__frame(h, "case_created", d);
	cJSON *o = cJSON_Parse(s);
	assert_string_equal(fx_str(o, "type", NULL), "case_created");
	assert_string_equal(fx_str(o, "case", "severity"), "critical");
	assert_string_equal(fx_str(o, "case", "number"), "000001");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "case"), "flags"), "legal_threat")));
	cJSON_Delete(o);
	free(s);
	cJSON_AddStringToObject(d, "text", "<script>x</script>");
	s = console_hub__frame(h, "customer_message", d);
	o = cJSON_Parse(s);
	assert_string_equal(fx_str(o, "entry", "from"), "customer");
	assert_string_equal(fx_str(o, "entry", "text"), "<script>x</script>");
	cJSON_Delete(o);
	free(s);
	assert_null(console_hub__frame(h, "something_else", d));
	cJSON_Delete(d);
	d = cJSON_CreateObject();
	assert_null(console_hub__frame(h, "case_created", d)); /* no case id */
	cJSON_Delete(d);
	assert_int_equal(console_hub_count(h), 0);
	assert_int_equal(console_hub_broadcast(h, "{}"), 0);
}

static void test_auth_on_a_fake_clock(void **state)
{
	struct fx *f = *state;
	struct auth *a = auth_new(&f->app.cfg);
	const struct auth_session *s = NULL;
	int64_t retry = 0, t = 1000000;
	/* Failures from one address lock that address out for growing times. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth_login(a, "oleg", "bad", "10.0.0.1", t, &s, &retry), AUTH_EBAD_CREDENTIALS);
	assert_int_equal(auth_login(a, "oleg", FX_PASSWORD, "10.0.0.1", t, &s, &retry), AUTH_ETHROTTLED);
	assert_true(retry > 0 && retry <= 1000);
	/* The login is locked from any address too. */
	assert_int_equal(auth_login(a, "oleg", FX_PASSWORD, "10.0.0.2", t, &s, &retry), AUTH_ETHROTTLED);
	/* Another login from another address is not. */
	assert_int_equal(auth_login(a, "anna", FX_PASSWORD, "10.0.0.3", t, &s, &retry), 0);
	t += 1001;
	assert_int_equal(auth_login(a, "oleg", "bad", "10.0.0.1", t, &s, &retry), AUTH_EBAD_CREDENTIALS);
	assert_int_equal(auth_login(a, "oleg", FX_PASSWORD, "10.0.0.1", t, &s, &retry), AUTH_ETHROTTLED);
	assert_true(retry > 1000 && retry <= 2000); /* it grows */
	t += 2001;
	assert_int_equal(auth_login(a, "oleg", FX_PASSWORD, "10.0.0.1", t, &s, &retry), 0);
	assert_string_equal(s->login, "oleg");
	assert_string_equal(s->role, "operator");
	uint64_t id = s->id;
	char cookie[128];
	snprintf(cookie, sizeof cookie, "x=1; " AUTH_COOKIE "=%s; y=2", s->token);
	assert_non_null(auth_session(a, cookie, t + 1000));
	assert_non_null(auth_session_by_id(a, id, t + 1000));
	/* A success forgave the failures. */
	assert_int_equal(auth_login(a, "oleg", "bad", "10.0.0.1", t, &s, &retry), AUTH_EBAD_CREDENTIALS);
	assert_int_equal(auth_login(a, "oleg", FX_PASSWORD, "10.0.0.1", t, &s, &retry), 0);
	uint64_t id2 = s->id; /* s is only valid until the next auth call */
	/* An open console's pings keep a session from idling out; it still expires. */
	auth_touch(a, id, t + 3LL * 3600 * 1000);
	assert_non_null(auth_session_by_id(a, id, t + 6LL * 3600 * 1000));
	/* Sessions idle out and expire. */
	assert_null(auth_session(a, cookie, t + 7LL * 3600 * 1000 + 1));
	assert_null(auth_session_by_id(a, id, t + 13LL * 3600 * 1000));
	assert_int_equal(auth_count(a), 2);
	auth_logout(a, id2);
	assert_int_equal(auth_count(a), 1);
	assert_int_equal(auth_login(a, "", "x", "p", t, &s, &retry), AUTH_EMALFORMED);
	assert_int_equal(auth_login(a, "oleg", NULL, "p", t, &s, &retry), AUTH_EMALFORMED);
	assert_string_equal(auth_strerror(AUTH_ETHROTTLED), "too many failed logins; try again later");
	auth_free(a);

	struct http_req req = {.origin = "", .host = "127.0.0.1:8080", .csrf = ""};
	assert_true(auth_origin_ok(&req));
	req.origin = "http://127.0.0.1:8080";
	assert_true(auth_origin_ok(&req));
	req.origin = "https://127.0.0.1:8080";
	assert_true(auth_origin_ok(&req));
	req.origin = "http://127.0.0.1:8081";
	assert_false(auth_origin_ok(&req));
	req.origin = "null";
	assert_false(auth_origin_ok(&req));
	req.origin = "http://127.0.0.1:8080.evil.example";
	assert_false(auth_origin_ok(&req));
	char *c = auth_cookie("abc", 60);
	assert_string_equal(c, AUTH_COOKIE "=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unclaimed_alert_and_one_wait_notice, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unclaimed_alert_in_english, fx_setup_en, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unclaimed_at_night_counts_from_the_start_of_work,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_silent_secretary_loses_the_case, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_answering_secretary_keeps_it_and_idle_returns_to_bot,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_timers_survive_a_restart, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_timer_modes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_web_peers_and_history, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hub_frames, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_auth_on_a_fake_clock, fx_setup, fx_teardown),
	};
	int result = tb_run(tests);
	free(fx_hash);
	return result;
}
