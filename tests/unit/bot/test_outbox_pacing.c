/* The outbox sender (bot/outbox.c over outq.c, outbox_policy.c and the store) on a fake
 * channel and a clock that stands still: per-chat order, the per-chat interval, the
 * channel's request budget, backoff, retry_after for one chat, a channel pause, blocked
 * chats and rows that overflow into the store. test_outbox.c tests the queues alone;
 * these drive the whole sender, so a limit the sender forgets to apply fails here.
 *
 * Mutations tried (each made by hand, this file run, then reverted) and what caught them:
 * - no per-chat interval: outq.c tokens_at() always "now" -> per_chat_interval (and five
 *   of test_outbox.c); outbox.c limits_of() dropping chat_rate_per_s -> per_chat_interval
 *   (test_outbox.c passes).
 * - no channel budget: outbox.c pump() skipping outq_take_budget(), outq_take_budget()
 *   always 1, or limits_of() dropping rate_per_s -> channel_budget and
 *   budget_counts_the_channels_own_requests.
 * - backoff without doubling -> backoff_doubles_and_keeps_order; without jitter ->
 *   backoff_has_jitter; no give-up after MAX_ATTEMPTS -> gives_up_after_many_attempts;
 *   no channel pause -> pause_holds_the_channel; blocked chat's other rows not failed ->
 *   blocked_chat_fails_its_rows; no per-chat read-back -> chat_overflow_reads_back_in_order
 *   (blocked_chat_fails_its_rows then loops for ever); no channel read-back ->
 *   channel_overflow_and_restart.
 * - retry_after passed to outq_done() as no hold: nothing fails. An equivalent mutant as
 *   far as I can see: the retried row heads its chat with next_attempt_ms at the same
 *   time, which holds the chat just as long.
 *
 * Time: libuv's timers and the daemon's clock (clock.h) both read clock_gettime(), so
 * this file defines it: time moves only when a test moves it (advance()), and a timer the
 * outbox armed fires exactly when its time comes, without waiting. clock_set_ms() puts
 * the daemon's clock on a fixed date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "app.h"
#include "channels/channel.h"
#include "clock.h"
#include "metrics.h"
#include "outbox.h"
#include "store.h"
#include "store_int.h"
#include "test_store_fixture.h"
#include "xalloc.h"

#define T0 1796198400000LL /* 2026-12-02T08:00:00Z */
#define CHANNEL "fake"

/* ---- time that stands still ---- */

static int64_t frozen_ms = 5000000; /* what every clock reads; only advance() moves it */

int clock_gettime(clockid_t id, struct timespec *ts)
{
	(void)id;
	ts->tv_sec = (time_t)(frozen_ms / 1000);
	ts->tv_nsec = (long)(frozen_ms % 1000) * 1000000L;
	return 0;
}

/* ---- the fake channel: records each send; the test answers it ---- */

struct sent {
	int64_t row_id, peer, at_ms;
	channel_sent_cb cb;
	void *arg;
	int answered;
};

struct fake_channel {
	struct channel ch;
	struct sent *log; /* every send, in the order they started */
	size_t n, cap;
};

static int fake_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		     void *arg)
{
	struct fake_channel *fc = (struct fake_channel *)ch;
	if (fc->n == fc->cap) {
		fc->cap = fc->cap ? fc->cap * 2 : 64;
		fc->log = xrealloc(fc->log, fc->cap * sizeof *fc->log);
	}
	fc->log[fc->n++] = (struct sent){.row_id = row->id, .peer = row->peer_id,
					 .at_ms = clock_now_ms(), .cb = cb, .arg = arg};
	return 0;
}

static const struct channel_ops fake_ops = {.name = CHANNEL, .max_text = 4096,
					    .send = fake_send};

/* ---- the rig: the objects under test, built in one place ---- */

struct limits {
	double rate_per_s, chat_rate_per_s;
	int max_in_flight;
};

struct rig {
	uv_loop_t loop;
	struct app app; /* only loop, store and metrics are set: what the outbox uses */
	struct channel_env env; /* the fake channel's: loop and metrics */
	struct fake_channel fc;
	struct outbox *ob;
};

static struct rig *rig_new(struct limits lim)
{
	struct rig *r = xcalloc(1, sizeof *r);
	clock_set_ms(T0);
	assert_int_equal(uv_loop_init(&r->loop), 0);
	r->app.loop = &r->loop;
	r->app.store = open_store();
	/* Thousands of small commits; whether they reach the disk is not what is tested. */
	assert_int_equal(store_set_synchronous(r->app.store, 0), 0);
	r->app.metrics = metrics_new();
	r->env = (struct channel_env){.loop = &r->loop, .metrics = r->app.metrics};
	channel_init(&r->fc.ch, &fake_ops, &r->env, lim.rate_per_s, lim.chat_rate_per_s,
		     lim.max_in_flight ? lim.max_in_flight : 64);
	r->ob = outbox_new(r->app.loop, r->app.store);
	return r;
}

/* Rows already in the store are queued as after a restart. */
static void rig_start(struct rig *r)
{
	assert_int_equal(outbox_add_channel(r->ob, &r->fc.ch), 0);
}

/* A few loop iterations (timers due, the pump); the outbox's check handle writes the
 * delivery marks of each in a unit of its own. */
static void run(struct rig *r)
{
	for (int i = 0; i < 4; i++)
		uv_run(&r->loop, UV_RUN_NOWAIT);
}

static void answer(struct rig *r, size_t i, struct send_result res)
{
	struct sent *s = &r->fc.log[i];
	assert_false(s->answered);
	s->answered = 1;
	s->cb(s->arg, &res);
}

static const struct send_result ok_result = {.outcome = SEND_OK, .channel_msg_id = 1};

/* Answers every open send with res; returns how many. */
static size_t answer_open(struct rig *r, struct send_result res)
{
	size_t n = 0;
	for (size_t i = 0; i < r->fc.n; i++)
		if (!r->fc.log[i].answered) {
			answer(r, i, res);
			n++;
		}
	return n;
}

/* Delivers whatever may go now: sends start, are answered OK at once, and the next
 * ones start, until nothing more starts without time passing. */
static void deliver_now(struct rig *r)
{
	do
		run(r);
	while (answer_open(r, ok_result));
	run(r);
}

/* Moves time on by ms, step ms at a time, delivering at each step. */
static void advance(struct rig *r, int64_t ms, int64_t step)
{
	for (int64_t t = 0; t < ms; t += step) {
		frozen_ms += step;
		deliver_now(r);
	}
}

static size_t open_sends(const struct rig *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->fc.n; i++)
		n += !r->fc.log[i].answered;
	return n;
}

/* A row committed to the store and handed to the outbox, as the pipeline does. */
static int64_t queue_row(struct rig *r, int64_t peer, int hand_over)
{
	struct outbox_row row = {.channel = xstrdup(CHANNEL), .kind = xstrdup("message"),
				 .peer_id = peer, .text = xstrdup("hello"),
				 .created_ms = clock_now_ms()};
	struct store_tx *tx = store_begin(r->app.store);
	assert_non_null(tx);
	assert_int_equal(store_outbox_add(tx, &row), 0);
	assert_int_equal(store_commit(tx), 0);
	int64_t id = row.id;
	if (hand_over)
		outbox_enqueue(r->ob, CHANNEL, &row);
	outbox_row_free(&row);
	return id;
}

static int64_t pending(struct rig *r)
{
	int64_t n = -1, oldest = 0;
	assert_int_equal(store_outbox_depth(r->app.store, CHANNEL, &n, &oldest), 0);
	return n;
}

static void rig_free(struct rig *r)
{
	deliver_now(r);
	outbox_close(r->ob);
	uv_run(&r->loop, UV_RUN_DEFAULT); /* the outbox's handles close; it frees itself */
	assert_int_equal(uv_loop_close(&r->loop), 0);
	store_close(r->app.store);
	metrics_free(r->app.metrics);
	free(r->fc.log);
	free(r);
}

/* The sends of one chat, in the order they started; returns how many (at most max). */
static size_t sends_of(const struct rig *r, int64_t peer, const struct sent **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->fc.n && n < max; i++)
		if (r->fc.log[i].peer == peer)
			out[n++] = &r->fc.log[i];
	return n;
}

/* ---- the tests ---- */

static void clock_stands_still(void **state)
{
	(void)state;
	/* The rest of the file relies on it: if this fails, clock_gettime was not ours. */
	clock_set_ms(T0);
	int64_t a = clock_now_ms();
	uv_sleep(5);
	assert_int_equal(clock_now_ms(), a);
	assert_int_equal(a, T0);
	frozen_ms += 250;
	assert_int_equal(clock_now_ms(), T0 + 250);
	frozen_ms -= 250;
}

static void per_chat_order_one_in_flight(void **state)
{
	(void)state;
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	int64_t ids[5];
	for (int i = 0; i < 5; i++)
		ids[i] = queue_row(r, 7, 1);
	int64_t other = queue_row(r, 8, 1);
	run(r);
	/* One row per chat in flight: chat 7's first, and chat 8's (not behind chat 7). */
	assert_int_equal(r->fc.n, 2);
	assert_int_equal(r->fc.log[0].row_id, ids[0]);
	assert_int_equal(r->fc.log[1].row_id, other);
	for (int i = 1; i < 5; i++) {
		answer_open(r, ok_result);
		run(r);
		assert_int_equal(open_sends(r), 1);
		assert_int_equal(r->fc.log[r->fc.n - 1].row_id, ids[i]);
	}
	answer_open(r, ok_result);
	run(r);
	assert_int_equal(r->fc.n, 6);
	assert_int_equal(pending(r), 0);
	assert_int_equal((int)*r->fc.ch.m_sent, 6);
	rig_free(r);
}

static void per_chat_interval(void **state)
{
	(void)state;
	/* One row a second to a chat (bucket of 1); the channel itself unlimited. */
	struct rig *r = rig_new((struct limits){.chat_rate_per_s = 1});
	rig_start(r);
	int64_t ids[4];
	for (int i = 0; i < 4; i++)
		ids[i] = queue_row(r, 7, 1);
	int64_t other = queue_row(r, 8, 1);
	deliver_now(r);
	/* Chat 7's first row and chat 8's go now; chat 7's second waits its second. */
	assert_int_equal(r->fc.n, 2);
	advance(r, 990, 10);
	assert_int_equal(r->fc.n, 2);
	advance(r, 3100, 10);
	const struct sent *s[8];
	assert_int_equal(sends_of(r, 7, s, 8), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(s[i]->row_id, ids[i]);
		if (i) {
			int64_t gap = s[i]->at_ms - s[i - 1]->at_ms;
			/* At least the interval, and not much more: the outbox's timer wakes it. */
			assert_in_range(gap, 1000, 1020);
		}
	}
	assert_int_equal(sends_of(r, 8, s, 8), 1);
	assert_int_equal(s[0]->row_id, other);
	assert_int_equal(s[0]->at_ms, T0);
	assert_int_equal(pending(r), 0);
	rig_free(r);
}

static void channel_budget(void **state)
{
	(void)state;
	/* Five requests a second for the channel; twelve chats with one row each. */
	struct rig *r = rig_new((struct limits){.rate_per_s = 5});
	rig_start(r);
	for (int i = 0; i < 12; i++)
		queue_row(r, 100 + i, 1);
	deliver_now(r);
	assert_int_equal(r->fc.n, 5);
	assert_int_equal(outbox_try_charge(r->ob, CHANNEL), 0);
	advance(r, 3000, 5);
	assert_int_equal(r->fc.n, 12);
	assert_int_equal(pending(r), 0);
	/* Never more than five in any second (the window has a few percent of headroom),
	 * and the rest not held back longer than that. */
	for (size_t i = 5; i < r->fc.n; i++) {
		int64_t span = r->fc.log[i].at_ms - r->fc.log[i - 5].at_ms;
		assert_in_range(span, 1000, 1100);
	}
	rig_free(r);
}

static void budget_counts_the_channels_own_requests(void **state)
{
	(void)state;
	/* Requests the channel makes itself (VK users.get) share the budget with sends. */
	struct rig *r = rig_new((struct limits){.rate_per_s = 5});
	rig_start(r);
	outbox_charge(r->ob, CHANNEL);
	assert_int_equal(outbox_try_charge(r->ob, CHANNEL), 1);
	for (int i = 0; i < 6; i++)
		queue_row(r, 100 + i, 1);
	deliver_now(r);
	assert_int_equal(r->fc.n, 3);
	advance(r, 1200, 10);
	assert_int_equal(r->fc.n, 6);
	rig_free(r);
}

static void backoff_doubles_and_keeps_order(void **state)
{
	(void)state;
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	int64_t first = queue_row(r, 7, 1);
	int64_t second = queue_row(r, 7, 1);
	run(r);
	assert_int_equal(r->fc.n, 1);
	struct send_result busy = {.outcome = SEND_RETRY, .code = 500};
	snprintf(busy.reason, sizeof busy.reason, "HTTP 500");
	/* Attempt n waits 1 s x 2^(n-1), +-25%; the chat's next row waits behind it. */
	int64_t failed_at = clock_now_ms();
	for (int attempt = 1; attempt <= 4; attempt++) {
		size_t last = r->fc.n - 1;
		assert_int_equal(r->fc.log[last].row_id, first);
		answer(r, last, busy);
		failed_at = clock_now_ms();
		run(r);
		int64_t want = 1000LL << (attempt - 1);
		int64_t waited = 0;
		while (r->fc.n == last + 1 && waited < 2 * want) {
			frozen_ms += 5;
			waited += 5;
			run(r);
		}
		assert_int_equal(r->fc.n, last + 2);
		int64_t delay = r->fc.log[last + 1].at_ms - failed_at;
		assert_in_range(delay, want * 3 / 4, want * 5 / 4 + 5);
	}
	assert_int_equal((int)*r->fc.ch.m_retries, 4);
	assert_int_equal(store__scalar(r->app.store, "SELECT max(attempts) FROM outbox"), 4);
	answer_open(r, ok_result);
	run(r);
	assert_int_equal(r->fc.log[r->fc.n - 1].row_id, second);
	rig_free(r);
}

static void backoff_has_jitter(void **state)
{
	(void)state;
	/* Many chats failing together do not all come back in the same millisecond. */
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	for (int i = 0; i < 10; i++)
		queue_row(r, 100 + i, 1);
	run(r);
	assert_int_equal(r->fc.n, 10);
	struct send_result busy = {.outcome = SEND_RETRY, .code = 502};
	answer_open(r, busy);
	advance(r, 1300, 1);
	int64_t min = INT64_MAX, max = 0;
	for (size_t i = 10; i < r->fc.n; i++) {
		int64_t after = r->fc.log[i].at_ms - T0;
		min = after < min ? after : min;
		max = after > max ? after : max;
	}
	assert_int_equal(r->fc.n, 20);
	assert_true(min >= 750 && max <= 1250);
	assert_true(max - min >= 50);
	rig_free(r);
}

static void gives_up_after_many_attempts(void **state)
{
	(void)state;
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	queue_row(r, 7, 1);
	int64_t next = queue_row(r, 7, 1);
	/* A short retry_after each time, so the test need not wait out the backoff. */
	struct send_result busy = {.outcome = SEND_RETRY, .retry_after_ms = 10, .code = 429};
	int attempts = 0;
	run(r);
	while (attempts < 40 && r->fc.log[r->fc.n - 1].row_id != next) {
		attempts += (int)answer_open(r, busy);
		frozen_ms += 10;
		run(r);
	}
	/* The sixteenth failure is the last: the row fails and the chat's next row goes. */
	assert_int_equal(attempts, 16);
	assert_int_equal((int)*r->fc.ch.m_failed, 1);
	assert_int_equal(store__scalar(r->app.store,
				       "SELECT count(*) FROM outbox WHERE status = 'failed' AND "
				       "last_error LIKE 'gave up after 16 attempts%'"),
			 1);
	rig_free(r);
}

static void retry_after_holds_one_chat(void **state)
{
	(void)state;
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	int64_t a1 = queue_row(r, 5, 1);
	int64_t a2 = queue_row(r, 5, 1);
	int64_t b1 = queue_row(r, 6, 1);
	run(r);
	assert_int_equal(r->fc.n, 2);
	assert_int_equal(r->fc.log[0].row_id, a1);
	assert_int_equal(r->fc.log[1].row_id, b1);
	struct send_result flood = {.outcome = SEND_RETRY, .retry_after_ms = 3000, .code = 429};
	snprintf(flood.reason, sizeof flood.reason, "Too Many Requests: retry after 3");
	answer(r, 0, flood);
	answer(r, 1, ok_result);
	/* Chat 6 goes on at once; chat 5 waits, its later row too. */
	int64_t b2 = queue_row(r, 6, 1);
	advance(r, 2990, 10);
	assert_int_equal(r->fc.n, 3);
	assert_int_equal(r->fc.log[2].row_id, b2);
	advance(r, 20, 10);
	assert_int_equal(r->fc.n, 5);
	assert_int_equal(r->fc.log[3].row_id, a1);
	assert_int_equal(r->fc.log[3].at_ms, T0 + 3000);
	assert_int_equal(r->fc.log[4].row_id, a2);
	rig_free(r);
}

static void pause_holds_the_channel(void **state)
{
	(void)state;
	/* Flood control for the whole channel: no chat sends until the pause is over. */
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	queue_row(r, 5, 1);
	run(r);
	struct send_result paused = {.outcome = SEND_RETRY, .retry_after_ms = 2000,
				     .pause_channel_ms = 2000, .code = 29};
	answer(r, 0, paused);
	queue_row(r, 6, 1);
	advance(r, 1990, 10);
	assert_int_equal(r->fc.n, 1);
	advance(r, 20, 10);
	assert_int_equal(r->fc.n, 3);
	rig_free(r);
}

static void blocked_chat_fails_its_rows(void **state)
{
	(void)state;
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	/* More rows than a chat keeps in memory: the rest wait in the store, and fail too. */
	for (int i = 0; i < 100; i++)
		queue_row(r, 5, 1);
	int64_t other = queue_row(r, 6, 1);
	run(r);
	assert_int_equal(r->fc.n, 2);
	struct send_result blocked = {.outcome = SEND_BLOCKED, .code = 901};
	snprintf(blocked.reason, sizeof blocked.reason, "user blocked the bot");
	answer(r, 0, blocked);
	deliver_now(r);
	advance(r, 2000, 100);
	/* One request for chat 5, none after; chat 6 unaffected. */
	const struct sent *s[4];
	assert_int_equal(sends_of(r, 5, s, 4), 1);
	assert_int_equal(sends_of(r, 6, s, 4), 1);
	assert_int_equal(s[0]->row_id, other);
	assert_int_equal(pending(r), 0);
	assert_int_equal((int)*r->fc.ch.m_blocked, 1);
	assert_int_equal((int)*r->fc.ch.m_failed, 100);
	assert_int_equal(store__scalar(r->app.store,
				       "SELECT count(*) FROM outbox WHERE peer_id = 5 AND status = 'failed'"),
			 100);
	assert_int_equal(store__scalar(r->app.store,
				       "SELECT blocked FROM peers WHERE channel = 'fake' AND peer_id = 5"),
			 1);
	rig_free(r);
}

static void chat_overflow_reads_back_in_order(void **state)
{
	(void)state;
	/* One chat floods 300 rows (more than a chat keeps in memory), then another chat
	 * writes: every row goes once, in order per chat, and the other chat is not stuck
	 * behind the flood. */
	struct rig *r = rig_new((struct limits){0});
	rig_start(r);
	int64_t first = 0;
	for (int i = 0; i < 300; i++) {
		int64_t id = queue_row(r, 1, 1);
		first = first ? first : id;
	}
	int64_t other = queue_row(r, 2, 1);
	deliver_now(r);
	assert_int_equal(r->fc.n, 301);
	const struct sent *s[301];
	assert_int_equal(sends_of(r, 1, s, 301), 300);
	for (int i = 0; i < 300; i++)
		assert_int_equal(s[i]->row_id, first + i);
	size_t at = 0;
	while (r->fc.log[at].row_id != other)
		at++;
	assert_true(at <= 2);
	assert_int_equal(pending(r), 0);
	rig_free(r);
}

static void channel_overflow_and_restart(void **state)
{
	(void)state;
	/* 2,600 chats with a row each, more than a channel keeps in memory: rows past that
	 * stay in the store and are read back. 300 of them were in the store before the
	 * outbox started (a restart); they go first. */
	struct rig *r = rig_new((struct limits){.max_in_flight = 128});
	for (int i = 0; i < 300; i++)
		queue_row(r, 10000 + i, 0);
	rig_start(r);
	for (int i = 0; i < 2300; i++)
		queue_row(r, 20000 + i, 1);
	deliver_now(r);
	assert_int_equal(r->fc.n, 2600);
	for (size_t i = 1; i < r->fc.n; i++)
		assert_true(r->fc.log[i].row_id > r->fc.log[i - 1].row_id);
	assert_int_equal(r->fc.log[0].peer, 10000);
	assert_int_equal(pending(r), 0);
	assert_int_equal((int)*r->fc.ch.m_sent, 2600);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clock_stands_still),
		cmocka_unit_test_setup_teardown(per_chat_order_one_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(per_chat_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(channel_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(budget_counts_the_channels_own_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(backoff_doubles_and_keeps_order, setup, teardown),
		cmocka_unit_test_setup_teardown(backoff_has_jitter, setup, teardown),
		cmocka_unit_test_setup_teardown(gives_up_after_many_attempts, setup, teardown),
		cmocka_unit_test_setup_teardown(retry_after_holds_one_chat, setup, teardown),
		cmocka_unit_test_setup_teardown(pause_holds_the_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(blocked_chat_fails_its_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(chat_overflow_reads_back_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(channel_overflow_and_restart, setup, teardown),
	};
	return tb_run(tests);
}
