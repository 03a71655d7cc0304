/* The login check on the thread pool and the throttle reports (issue 10, item 7): the
 * loop keeps running while yescrypt works, one address cannot queue many guesses, and
 * a locked-out client's retries make one report a minute, not one each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "auth.h"
#include "config.h"
#include "password.h"

#define RIGHT "correct horse battery"

struct fx {
	struct config cfg;
	struct config_operator op;
	struct auth *a;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->op = (struct config_operator){"marina", password_hash(RIGHT), "admin", NULL};
	assert_non_null(f->op.password_hash);
	f->cfg.operators = &f->op;
	f->cfg.n_operators = 1;
	f->a = auth_new(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	auth_free(f->a);
	free(f->op.password_hash);
	free(f);
	return 0;
}

static void throttle_reports_are_aggregated(void **state)
{
	struct fx *f = *state;
	const struct auth_session *s;
	int64_t retry = 0, t = 1000000;
	/* Enough failures for a long lock. */
	for (int i = 0; i < 30; i++) {
		int rc = auth_login(f->a, "marina", "guess", "10.9.0.1", t, &s, &retry);
		if (rc == AUTH_ETHROTTLED)
			t += retry;
	}
	auth_login(f->a, "marina", "guess", "10.9.0.1", t, &s, &retry); /* locks, if not yet */
	assert_int_equal(auth_login(f->a, "marina", "guess", "10.9.0.1", t, &s, &retry),
			 AUTH_ETHROTTLED);
	assert_true(retry > 120000);
	int reports = 0;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(auth_login(f->a, "marina", "guess", "10.9.0.1", t + i * 100, &s,
					    &retry),
				 AUTH_ETHROTTLED);
		reports += auth_throttle_report(f->a) > 0;
	}
	assert_true(reports <= 1);
	assert_int_equal(auth_login(f->a, "marina", "guess", "10.9.0.1", t + 61000, &s, &retry),
			 AUTH_ETHROTTLED);
	assert_true(auth_throttle_report(f->a) >= 100);
}

struct run {
	int done, result, ticks_at_done;
	int ticks;
	uv_timer_t timer;
};

static void tick(uv_timer_t *t)
{
	struct run *r = t->data;
	r->ticks++;
	if (r->done || r->ticks > 5000)
		uv_timer_stop(t);
}

static void login_done(void *arg, int result, const struct auth_session *s, int64_t retry)
{
	struct run *r = arg;
	r->done++;
	r->result = result;
	r->ticks_at_done = r->ticks;
	if (result == 0)
		assert_string_equal(s->login, "marina");
}

static void hash_check_runs_off_the_loop(void **state)
{
	struct fx *f = *state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct run ok = {0}, busy = {0};
	uv_timer_init(&loop, &ok.timer);
	ok.timer.data = &ok;
	uv_timer_start(&ok.timer, tick, 1, 1);
	assert_int_equal(auth_login_async(f->a, &loop, "marina", RIGHT, "10.8.0.1", login_done,
					  &ok),
			 0);
	/* A second check from the same address while the first runs: refused at once. */
	assert_int_equal(auth_login_async(f->a, &loop, "marina", "guess", "10.8.0.1", login_done,
					  &busy),
			 0);
	assert_int_equal(busy.done, 1);
	assert_int_equal(busy.result, AUTH_EBUSY);
	assert_int_equal(ok.done, 0); /* not on the caller's stack */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(ok.done, 1);
	assert_int_equal(ok.result, 0);
	/* The timer kept ticking while yescrypt ran (20 ms and more). */
	print_message("loop ticks during the check: %d\n", ok.ticks_at_done);
	assert_true(ok.ticks_at_done >= 3);
	uv_close((uv_handle_t *)&ok.timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* auth_free with a check still on the pool: the job finishes without touching it and
 * tells its caller it was cancelled (so the caller can free what it keeps). */
static void auth_freed_while_checking(void **state)
{
	struct fx *f = *state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct run r = {0};
	assert_int_equal(auth_login_async(f->a, &loop, "marina", RIGHT, "10.7.0.1", login_done,
					  &r),
			 0);
	auth_free(f->a);
	f->a = NULL;
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.result, AUTH_ECANCELLED);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* After a restart the addresses come from the audit log (auth_trust). */
static void seeded_address_is_trusted(void **state)
{
	struct fx *f = *state;
	const struct auth_session *s;
	int64_t retry, t = 3000000;
	auth_trust(f->a, "marina", "192.168.7.5", t - 86400000);
	auth_trust(f->a, "nobody", "10.0.0.9", t); /* not a configured login: ignored */
	char peer[32];
	for (int i = 0; i < 8; i++) {
		snprintf(peer, sizeof peer, "203.0.113.%d", i);
		auth_login(f->a, "marina", "guess", peer, t++, &s, &retry);
	}
	assert_int_equal(auth_login(f->a, "marina", RIGHT, "10.0.0.9", t++, &s, &retry),
			 AUTH_ETHROTTLED);
	assert_int_equal(auth_login(f->a, "marina", RIGHT, "192.168.7.5", t++, &s, &retry), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(throttle_reports_are_aggregated, setup, teardown),
		cmocka_unit_test_setup_teardown(hash_check_runs_off_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_freed_while_checking, setup, teardown),
		cmocka_unit_test_setup_teardown(seeded_address_is_trusted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
