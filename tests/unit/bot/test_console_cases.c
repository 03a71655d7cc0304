/* The cases service (cases.c) on the console's fixture: an operator's reply is one
 * transaction (outbox row, transcript line, audit entry: all or none), the case timers'
 * rows commit or roll back with the change that armed them, and the severity names.
 *
 * Mutation tried (made by hand, the test run, then reverted):
 * - the reply's outbox row committed on its own before the transcript and the audit entry
 *   (as before the cases service): test_reply_is_all_or_nothing fails (a row is left). */
#include "test_console_fixture.h"

#include "case_timers.h"
#include "cases.h"
#include "convstate.h"
#include "handoff.h"
#include "severity.h"
#include "store_console.h"

static int64_t count_rows(struct fx *f, const char *sql, int64_t id)
{
	struct sql_stmt *s;
	assert_non_null(s = sql_prepare(store__db(f->app.store), sql));
	sql_bind_int64(s, 1, id);
	int64_t n = sql_step(s) == SQL_ROW ? sql_column_int64(s, 0) : -1;
	sql_finalize(s);
	return n;
}

static int64_t operator_lines(struct fx *f, int64_t id)
{
	return count_rows(f, "SELECT count(*) FROM case_lines WHERE case_id = ? AND "
			     "who = 'operator'", id);
}

static int64_t audit_rows(struct fx *f, int64_t id, const char *action)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE case_id = ? AND action = '%s'",
		 action);
	return count_rows(f, sql, id);
}

static int64_t timer_rows(struct fx *f, int64_t id)
{
	return count_rows(f, "SELECT count(*) FROM console_timers WHERE case_id = ? AND active = 1", id);
}

/* Makes the audit log refuse entries of action (as a full disk would refuse a write). */
static void refuse_audit(struct fx *f, const char *action)
{
	char sql[512];
	if (tb_pg)
		snprintf(sql, sizeof sql,
			 "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ "
			 "BEGIN IF NEW.action = '%s' THEN RAISE 'audit refused'; END IF; "
			 "RETURN NEW; END $$; CREATE TRIGGER refuse_audit BEFORE INSERT ON audit "
			 "FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
			 action);
	else
		snprintf(sql, sizeof sql,
			 "CREATE TEMP TRIGGER refuse_audit BEFORE INSERT ON audit WHEN NEW.action "
			 "= '%s' BEGIN SELECT RAISE(ABORT, 'audit refused'); END;",
			 action);
	assert_int_equal(sql_exec(store__db(f->app.store), sql), 0);
}

static void allow_audit(struct fx *f)
{
	assert_int_equal(sql_exec(store__db(f->app.store),
				  tb_pg ? "DROP TRIGGER refuse_audit ON audit; DROP FUNCTION "
					  "refuse_audit()"
					: "DROP TRIGGER refuse_audit"),
			 0);
}

/* Makes the transcript refuse new lines. */
static void refuse_lines(struct fx *f, int refuse)
{
	const char *sql =
		tb_pg ? (refuse ? "CREATE FUNCTION refuse_line() RETURNS trigger LANGUAGE plpgsql "
				  "AS $$ BEGIN RAISE 'line refused'; END $$; CREATE TRIGGER "
				  "refuse_line BEFORE INSERT ON case_lines FOR EACH ROW EXECUTE "
				  "FUNCTION refuse_line()"
				: "DROP TRIGGER refuse_line ON case_lines; DROP FUNCTION refuse_line()")
		      : (refuse ? "CREATE TEMP TRIGGER refuse_line BEFORE INSERT ON case_lines "
				  "BEGIN SELECT RAISE(ABORT, 'line refused'); END;"
				: "DROP TRIGGER refuse_line");
	assert_int_equal(sql_exec(store__db(f->app.store), sql), 0);
}

static int64_t claimed_case(struct fx *f, int64_t peer)
{
	int64_t id = fx_case(f, peer, "high", "web", clock_now_s() - 60);
	char holder[64];
	cJSON *rec = NULL;
	assert_int_equal(cases_claim(console__cases(f->con), id, "oleg", clock_now_s(), holder,
				     sizeof holder, &rec),
			 1);
	assert_string_equal(fx_str(rec, "assignee", NULL), "oleg");
	cJSON_Delete(rec);
	return id;
}

static void test_reply_is_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct cases *cs = console__cases(f->con);
	int64_t id = claimed_case(f, 7);
	int64_t now = clock_now_s();
	int before = f->n_events;

	refuse_audit(f, "reply");
	cJSON *rec = NULL;
	assert_true(cases_reply(cs, id, "oleg", "Проверяю вашу линию", NULL, now, &rec) < 0);
	assert_null(rec);
	/* Nothing of it stayed: no row to send, no transcript line, no audit entry, no news. */
	assert_int_equal(fx_outbox_rows(f, 7, "operator:"), 0);
	assert_int_equal(operator_lines(f, id), 0);
	assert_int_equal(audit_rows(f, id, "reply"), 0);
	assert_int_equal(fx_count(f, "operator_message", id), 0);
	assert_int_equal(f->n_events, before);
	/* ... and no unit was left open: the next one begins. */
	struct store_tx *tx = store_begin(f->app.store);
	assert_non_null(tx);
	store_rollback(tx);
	cJSON *r = fx_record(f, id);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "transcript")), 1);
	cJSON_Delete(r);

	/* Through the API: the operator is told it was not queued. */
	struct fx_user oleg = fx_login(f, "oleg");
	struct fx_resp resp = fx_post(f, &oleg, "/api/cases/1/reply", "{\"text\":\"Ещё раз\"}");
	assert_int_equal(resp.status, 503);
	fx_resp_free(&resp);
	assert_int_equal(fx_outbox_rows(f, 7, "operator:"), 0);
	assert_int_equal(operator_lines(f, id), 0);

	/* The same reply once the audit log takes it: all three are there. */
	allow_audit(f);
	assert_int_equal(cases_reply(cs, id, "oleg", "Проверяю вашу линию", "checking", now, &rec),
			 0);
	assert_non_null(rec);
	cJSON_Delete(rec);
	assert_int_equal(fx_outbox_rows(f, 7, "operator:oleg"), 1);
	assert_int_equal(operator_lines(f, id), 1);
	assert_int_equal(audit_rows(f, id, "reply"), 1);
	assert_int_equal(fx_count(f, "operator_message", id), 1);
}

/* A bot template to the customer: the row and the transcript line together. */
static void test_template_is_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct cases *cs = console__cases(f->con);
	int64_t id = claimed_case(f, 8);
	static const char *const ids[] = {"handed_back", NULL};
	refuse_lines(f, 1);
	assert_true(cases_send_template(cs, id, ids, clock_now_s()) < 0);
	assert_int_equal(fx_outbox_rows(f, 8, "template:"), 0);
	assert_int_equal(fx_count(f, "bot_message", id), 0);
	refuse_lines(f, 0);
	assert_int_equal(cases_send_template(cs, id, ids, clock_now_s()), 0);
	assert_int_equal(fx_outbox_rows(f, 8, "template:handed_back"), 1);
	assert_int_equal(fx_count(f, "bot_message", id), 1);
}

/* The timers are armed inside the change's transaction: a change that rolls back leaves
 * them as they were. */
static void test_timers_commit_with_the_change(void **state)
{
	struct fx *f = *state;
	struct cases *cs = console__cases(f->con);
	int64_t id = claimed_case(f, 9);
	int64_t now = clock_now_s();
	/* Claimed: the secretary owes an answer (silence) and the chat may go idle. */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM console_timers WHERE case_id = ? "
				       "AND active = 1 AND kind IN ('silence', 'idle')", id),
			 2);
	int64_t timers = timer_rows(f, id);

	refuse_audit(f, "release");
	assert_true(cases_release(cs, id, "oleg", NULL, now) < 0);
	assert_int_equal(timer_rows(f, id), timers);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM console_timers WHERE case_id = ? "
				       "AND active = 1 AND kind = 'unclaimed'", id),
			 0);
	cJSON *r = fx_record(f, id);
	assert_string_equal(fx_str(r, "status", NULL), "claimed");
	cJSON_Delete(r);
	allow_audit(f);

	assert_int_equal(cases_release(cs, id, "oleg", "ушла домой", now), 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM console_timers WHERE case_id = ? "
				       "AND active = 1 AND kind IN ('silence', 'idle')", id),
			 0);
	r = fx_record(f, id);
	assert_string_equal(fx_str(r, "status", NULL), "new");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "assignee")));
	cJSON_Delete(r);
	struct convstate *conv = NULL;
	assert_int_equal(convstate_load(f->app.store, "web", 9, &conv), 0);
	assert_false(handoff_is_human(conv));
	convstate_free(conv);
}

static void test_severity_names(void **state)
{
	(void)state;
	assert_int_equal(SEVERITY_COUNT, 4);
	assert_string_equal(severity_name(RS_SEV_CRITICAL), "critical");
	assert_string_equal(severity_name(RS_SEV_LOW), "low");
	assert_null(severity_name(-1));
	assert_null(severity_name(SEVERITY_COUNT));
	for (int i = 0; i < SEVERITY_COUNT; i++)
		assert_int_equal(severity_of(severity_name(i)), i);
	assert_int_equal(severity_of("urgent"), -1);
	assert_int_equal(severity_of(NULL), -1);
}

/* What the app's channels were asked to show: calls per (channel, peer), and what to
 * answer (1 sent, 0 skipped by the budget). */
struct typing_log {
	int calls;
	char channel[16];
	int64_t peer;
	int answer;
};

static int log_typing(void *arg, const char *channel, int64_t peer)
{
	struct typing_log *t = arg;
	t->calls++;
	snprintf(t->channel, sizeof t->channel, "%s", channel);
	t->peer = peer;
	return t->answer;
}

/* At most one notice per case every CASES_TYPING_EVERY_MS, each case on its own; a
 * notice the channel skipped (no budget) does not hold the next one back. */
static void test_typing_is_throttled_per_case(void **state)
{
	struct fx *f = *state;
	int64_t a = fx_case(f, 501, "normal", "vk", 1000);
	int64_t b = fx_case(f, 502, "normal", "telegram", 1000);
	struct typing_log t = {.answer = 1};
	struct cases_deps d = {.store = f->app.store, .events = f->app.events,
			       .typing = log_typing, .typing_arg = &t};
	struct cases *cs = cases_new(&d);
	assert_int_equal(cases_typing(cs, a, 10000), 1);
	assert_string_equal(t.channel, "vk");
	assert_int_equal(t.peer, 501);
	assert_int_equal(cases_typing(cs, a, 10000 + 1000), 0);
	assert_int_equal(cases_typing(cs, a, 10000 + CASES_TYPING_EVERY_MS - 1), 0);
	assert_int_equal(t.calls, 1);
	assert_int_equal(cases_typing(cs, b, 10500), 1);
	assert_string_equal(t.channel, "telegram");
	assert_int_equal(cases_typing(cs, a, 10000 + CASES_TYPING_EVERY_MS), 1);
	assert_int_equal(t.calls, 3);
	t.answer = 0;
	assert_int_equal(cases_typing(cs, b, 20000), 0);
	t.answer = 1;
	assert_int_equal(cases_typing(cs, b, 20001), 1);
	assert_int_equal(t.calls, 5);
	assert_int_equal(cases_typing(cs, 99999, 30000), -1); /* no such case */
	cases_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_is_all_or_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_template_is_all_or_nothing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_timers_commit_with_the_change, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_typing_is_throttled_per_case, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_severity_names),
	};
	int result = tb_run(tests);
	free(fx_hash);
	return result;
}
