/* The long-poll skeleton VK and Telegram share: the backoff grows from 1 s, doubling per
 * consecutive failure, is capped at 60 s, honours a floor (retry_after, 409), reports
 * its state, and does nothing once stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <uv.h>

#include "channels/longpoll.h"

struct owner {
	int retries;
	int closed;
};

static void on_retry(void *arg)
{
	((struct owner *)arg)->retries++;
}

static void on_closed(void *arg)
{
	((struct owner *)arg)->closed++;
}

static void backoff_doubles_and_caps(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct owner o = {0};
	struct longpoll lp;
	longpoll_init(&lp, &loop, NULL, on_retry, &o);
	assert_string_equal(longpoll_state_name(&lp), "idle");
	static const uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		longpoll_backoff(&lp, 0, LONGPOLL_BACKOFF);
		assert_int_equal(lp.failures, (int)i + 1);
		assert_int_equal(uv_timer_get_due_in(&lp.retry_timer), want[i]);
	}
	assert_string_equal(longpoll_state_name(&lp), "backoff");
	lp.failures = 0;
	longpoll_backoff(&lp, 5000, LONGPOLL_CONFLICT); /* a floor beats the first second */
	assert_int_equal(uv_timer_get_due_in(&lp.retry_timer), 5000);
	assert_string_equal(longpoll_state_name(&lp), "conflict");
	longpoll_close(&lp, on_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.retries, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void retry_runs_and_stop_is_final(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct owner o = {0};
	struct longpoll lp;
	longpoll_init(&lp, &loop, NULL, on_retry, &o);
	uv_update_time(&loop);
	longpoll_backoff(&lp, 0, LONGPOLL_UNAUTHORIZED);
	uv_run(&loop, UV_RUN_DEFAULT); /* about a second */
	assert_int_equal(o.retries, 1);
	assert_string_equal(longpoll_state_name(&lp), "unauthorized");
	lp.sends_in_flight = 2;
	assert_int_equal(longpoll_in_flight(&lp), 2);
	lp.poll_req = 0; /* none in flight: stop cancels nothing */
	longpoll_stop(&lp);
	assert_string_equal(longpoll_state_name(&lp), "stopped");
	longpoll_backoff(&lp, 0, LONGPOLL_BACKOFF);
	assert_false(uv_is_active((uv_handle_t *)&lp.retry_timer));
	assert_string_equal(longpoll_state_name(&lp), "stopped");
	longpoll_close(&lp, on_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(o.retries, 1);
	assert_int_equal(o.closed, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_doubles_and_caps),
		cmocka_unit_test(retry_runs_and_stop_is_final),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
