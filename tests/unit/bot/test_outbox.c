/* The outbox's fair per-chat queues (bot/outq.c): per-chat order, the per-chat token
 * bucket, the channel's sliding window, round-robin between chats, retries and holds,
 * group chats, and forgetting idle chats. Time is passed in, so nothing here sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "outbox_policy.h"
#include "outq.h"
#include "xalloc.h"

#define T0 1000000

static void push(struct outq *q, int64_t id, int64_t peer, int64_t now)
{
	struct outbox_row r = {.id = id, .peer_id = peer, .kind = xstrdup("message"),
			       .text = xstrdup("x"), .channel = xstrdup("vk")};
	outq_push(q, &r, now);
}

/* Takes the next row if one may go now (budget included); NULL otherwise. */
static struct outq_node *next(struct outq *q, int64_t now)
{
	int64_t wake;
	if (!outq_ready(q, now))
		return NULL;
	if (!outq_take_budget(q, now, &wake))
		return NULL;
	return outq_take(q, now);
}

static void ok(struct outq *q, struct outq_node *n, int64_t now)
{
	outq_done(q, n, 0, 0, now);
	outq_node_free(n);
}

static const struct outq_limits unlimited = {.chat_burst = 1};

static void per_chat_order_with_retry(void **state)
{
	(void)state;
	struct outq *q = outq_new(&unlimited, T0);
	for (int i = 1; i <= 5; i++)
		push(q, i, 7, T0);
	struct outq_node *n = next(q, T0);
	assert_int_equal(n->row.id, 1);
	/* One row per chat in flight: the chat's next row waits for this one. */
	assert_null(next(q, T0));
	/* It fails transiently and is retried at T0+500: it goes back ahead of 2..5. */
	n->row.next_attempt_ms = T0 + 500;
	outq_done(q, n, 1, 0, T0 + 10);
	assert_null(next(q, T0 + 10));
	assert_int_equal(outq_next_due(q), T0 + 500);
	for (int want = 1; want <= 5; want++) {
		n = next(q, T0 + 500 + want);
		assert_non_null(n);
		assert_int_equal(n->row.id, want);
		ok(q, n, T0 + 500 + want);
	}
	assert_int_equal(outq_len(q), 0);
	outq_free(q);
}

static void per_chat_bucket(void **state)
{
	(void)state;
	struct outq_limits lim = {.chat_rate_per_s = 1, .chat_burst = 3};
	struct outq *q = outq_new(&lim, T0);
	for (int i = 1; i <= 10; i++)
		push(q, i, 42, T0);
	/* The burst: three at once. */
	for (int i = 1; i <= 3; i++) {
		struct outq_node *n = next(q, T0);
		assert_non_null(n);
		ok(q, n, T0);
	}
	/* Then one a second. */
	assert_null(next(q, T0));
	assert_null(next(q, T0 + 990));
	int64_t due = outq_next_due(q);
	assert_true(due > T0 + 990 && due <= T0 + 1002);
	struct outq_node *n = next(q, T0 + 1002);
	assert_non_null(n);
	ok(q, n, T0 + 1002);
	assert_null(next(q, T0 + 1500));
	/* Over 10 s from T0 the chat gets at most 3 + 10 rows: here all 10, not sooner. */
	int sent = 4;
	for (int64_t t = T0 + 1002; t <= T0 + 8000; t += 50) {
		while ((n = next(q, t))) {
			ok(q, n, t);
			sent++;
		}
	}
	assert_int_equal(sent, 10);
	/* ...and not before the 7th second: 3 + 7 = 10 tokens. */
	outq_free(q);
}

static void per_chat_interval_over_time(void **state)
{
	(void)state;
	/* VK's default: 20 a second per chat, no burst: two sends are >= 50 ms apart. */
	struct outq_limits lim = {.chat_rate_per_s = 20, .chat_burst = 1};
	struct outq *q = outq_new(&lim, T0);
	for (int i = 1; i <= 40; i++)
		push(q, i, 9, T0);
	int sent = 0;
	int64_t last = 0;
	for (int64_t t = T0; t < T0 + 1000; t++) {
		struct outq_node *n = next(q, t);
		if (n) {
			if (sent)
				assert_true(t - last >= 50);
			last = t;
			sent++;
			ok(q, n, t);
		}
	}
	assert_in_range(sent, 19, 21);
	outq_free(q);
}

static void channel_window(void **state)
{
	(void)state;
	struct outq_limits lim = {.rate_per_s = 20, .chat_burst = 1};
	struct outq *q = outq_new(&lim, T0);
	int64_t wake = 0;
	/* 20 requests may start at once... */
	for (int i = 0; i < 20; i++)
		assert_int_equal(outq_take_budget(q, T0 + i, &wake), 1);
	/* ...the 21st waits until the first has left the (1 s + headroom) window. */
	assert_int_equal(outq_take_budget(q, T0 + 100, &wake), 0);
	assert_true(wake >= T0 + 1000 && wake <= T0 + 1100);
	assert_int_equal(outq_take_budget(q, wake - 1, &wake), 0);
	assert_int_equal(outq_take_budget(q, wake, &wake), 1);
	/* Over 10 s of asking every millisecond: never more than 20 in any 1000 ms. */
	outq_free(q);
	q = outq_new(&lim, T0);
	int64_t starts[400];
	int n = 0;
	for (int64_t t = T0; t < T0 + 10000 && n < 400; t++)
		while (n < 400 && outq_take_budget(q, t, &wake))
			starts[n++] = t;
	assert_true(n >= 180 && n <= 200);
	for (int i = 20; i < n; i++)
		assert_true(starts[i] - starts[i - 20] >= 1000);
	outq_free(q);
}

static void late_arrival_moves_the_window(void **state)
{
	(void)state;
	/* Our loop was busy: the first request reached the platform 300 ms after it
	 * started. The 21st must wait for a second after that, not after the start. */
	struct outq_limits lim = {.rate_per_s = 20, .chat_burst = 1};
	struct outq *q = outq_new(&lim, T0);
	int64_t wake = 0;
	assert_int_equal(outq_take_budget(q, T0, &wake), 1);
	uint64_t first = outq_last_ticket(q);
	for (int i = 1; i < 20; i++)
		assert_int_equal(outq_take_budget(q, T0 + 400 + i, &wake), 1);
	outq_budget_arrived(q, first, T0 + 300);
	assert_int_equal(outq_take_budget(q, T0 + 1100, &wake), 0);
	assert_true(wake >= T0 + 1300);
	assert_int_equal(outq_take_budget(q, wake, &wake), 1);
	/* A stale ticket (its slot reused) changes nothing. */
	outq_budget_arrived(q, first, T0 + 5000);
	assert_int_equal(outq_take_budget(q, T0 + 1500, &wake), 1);
	outq_free(q);
}

static void channel_budget_limits_rows(void **state)
{
	(void)state;
	/* 500 chats ready at once, 30 a second for the channel: 30 go now, not 500. */
	struct outq_limits lim = {.rate_per_s = 30, .chat_rate_per_s = 1, .chat_burst = 3};
	struct outq *q = outq_new(&lim, T0);
	for (int i = 1; i <= 500; i++)
		push(q, i, i, T0);
	int sent = 0;
	struct outq_node *n;
	while ((n = next(q, T0))) {
		ok(q, n, T0);
		sent++;
	}
	assert_int_equal(sent, 30);
	outq_free(q);
}

static void round_robin_fairness(void **state)
{
	(void)state;
	/* One chat floods 1,000 rows before 100 others write once; no per-chat limit at
	 * all, the channel 20 a second: the others still go within the first 101 turns. */
	struct outq_limits lim = {.rate_per_s = 0, .chat_burst = 1};
	struct outq *q = outq_new(&lim, T0);
	for (int i = 1; i <= 1000; i++)
		push(q, i, 1, T0);
	for (int i = 0; i < 100; i++)
		push(q, 1001 + i, 100 + i, T0);
	int others = 0, flood = 0;
	int64_t t = T0;
	for (int turn = 0; turn < 101; turn++) {
		/* Everything in flight is answered after each round of takes. */
		struct outq_node *taken[128];
		int k = 0;
		struct outq_node *n;
		while (k < 128 && (n = next(q, t)))
			taken[k++] = n;
		for (int i = 0; i < k; i++) {
			if (taken[i]->peer->id == 1)
				flood++;
			else
				others++;
			ok(q, taken[i], t);
		}
		t++;
		if (others == 100)
			break;
	}
	assert_int_equal(others, 100);
	/* The flooding chat had one row per round, not its thousand. */
	assert_true(flood <= 2);
	outq_free(q);
}

static void flood_gets_its_chat_rate_only(void **state)
{
	(void)state;
	struct outq_limits lim = {.rate_per_s = 30, .chat_rate_per_s = 1, .chat_burst = 3};
	struct outq *q = outq_new(&lim, T0);
	for (int i = 1; i <= 1000; i++)
		push(q, i, 1, T0);
	int flood = 0, others = 0;
	int64_t other_done = 0;
	for (int i = 0; i < 100; i++)
		push(q, 1001 + i, 100 + i, T0);
	for (int64_t t = T0; t < T0 + 10000; t += 10) {
		struct outq_node *n;
		while ((n = next(q, t))) {
			if (n->peer->id == 1)
				flood++;
			else if (++others == 100)
				other_done = t;
			ok(q, n, t);
		}
	}
	assert_int_equal(others, 100);
	assert_true(other_done - T0 <= 4000); /* 100 at 30 a second */
	/* At most its burst plus one a second over 10 s (it waited its turns behind the
	 * others, so less). */
	assert_in_range(flood, 8, 3 + 10);
	outq_free(q);
}

static void hold_one_chat_only(void **state)
{
	(void)state;
	struct outq_limits lim = {.chat_burst = 1};
	struct outq *q = outq_new(&lim, T0);
	push(q, 1, 5, T0);
	push(q, 2, 5, T0);
	push(q, 3, 6, T0);
	struct outq_node *a = next(q, T0);
	assert_int_equal(a->row.id, 1);
	/* A 429 with retry_after 3 s: chat 5 (its later row too) waits, chat 6 does not. */
	a->row.next_attempt_ms = T0 + 3000;
	outq_done(q, a, 1, T0 + 3000, T0);
	struct outq_node *b = next(q, T0 + 1);
	assert_non_null(b);
	assert_int_equal(b->peer->id, 6);
	ok(q, b, T0 + 1);
	assert_null(next(q, T0 + 2999));
	a = next(q, T0 + 3000);
	assert_int_equal(a->row.id, 1);
	ok(q, a, T0 + 3000);
	a = next(q, T0 + 3001);
	assert_int_equal(a->row.id, 2);
	ok(q, a, T0 + 3001);
	outq_free(q);
}

static void group_chats_slower(void **state)
{
	(void)state;
	struct outq_limits lim = {.chat_rate_per_s = 1, .chat_burst = 3,
				  .group_rate_per_s = 20.0 / 60.0, .group_burst = 1};
	struct outq *q = outq_new(&lim, T0);
	for (int i = 1; i <= 30; i++)
		push(q, i, -100123, T0);
	int sent = 0;
	for (int64_t t = T0; t < T0 + 60000; t += 100) {
		struct outq_node *n;
		while ((n = next(q, t))) {
			sent++;
			ok(q, n, t);
		}
	}
	assert_in_range(sent, 19, 20); /* 20 a minute */
	outq_free(q);
}

static void drop_and_forget(void **state)
{
	(void)state;
	struct outq_limits lim = {.chat_rate_per_s = 1, .chat_burst = 1};
	struct outq *q = outq_new(&lim, T0);
	push(q, 1, 5, T0);
	push(q, 2, 5, T0);
	push(q, 3, 5, T0);
	push(q, 4, 6, T0);
	struct outq_node *n = next(q, T0);
	assert_int_equal(n->peer->id, 5);
	outq_drop_chat(q, n->peer, NULL, NULL);
	ok(q, n, T0);
	assert_int_equal(outq_len(q), 1);
	n = next(q, T0);
	assert_int_equal(n->row.id, 4);
	ok(q, n, T0);
	assert_int_equal(outq_peers(q), 2);
	/* Once their buckets are full again, idle chats are forgotten. */
	outq_ready(q, T0 + 5000);
	assert_int_equal(outq_peers(q), 0);
	outq_free(q);
}

static void backoff_doubles_with_jitter(void **state)
{
	(void)state;
	unsigned int seed = 42;
	for (int a = 1; a <= 16; a++) {
		int64_t want = 1000;
		for (int i = 1; i < a && want < 300000; i++)
			want *= 2;
		if (want > 300000)
			want = 300000;
		for (int k = 0; k < 50; k++) {
			int64_t d = outbox_backoff_ms(a, &seed);
			assert_true(d >= want * 3 / 4 && d <= want * 5 / 4);
		}
	}
	/* The jitter spreads: not every chat waits the same. */
	int64_t first = outbox_backoff_ms(3, &seed), differ = 0;
	for (int k = 0; k < 20; k++)
		differ += outbox_backoff_ms(3, &seed) != first;
	assert_true(differ > 10);
}

static void window_follows_latency(void **state)
{
	(void)state;
	/* Little's law: 30 a second at 50 ms is 1.5 in flight; doubled plus 4. */
	assert_int_equal(outbox_window(30, 50, 128), 7);
	/* Ten times the latency, ten times the window, up to the bound. */
	assert_int_equal(outbox_window(30, 500, 128), 34);
	assert_int_equal(outbox_window(30, 5000, 128), 128);
	assert_int_equal(outbox_window(20, 1, 64), 5);
	/* Unlimited rate: the bound. */
	assert_int_equal(outbox_window(0, 50, 64), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(per_chat_order_with_retry),
		cmocka_unit_test(per_chat_bucket),
		cmocka_unit_test(per_chat_interval_over_time),
		cmocka_unit_test(channel_window),
		cmocka_unit_test(late_arrival_moves_the_window),
		cmocka_unit_test(channel_budget_limits_rows),
		cmocka_unit_test(round_robin_fairness),
		cmocka_unit_test(flood_gets_its_chat_rate_only),
		cmocka_unit_test(hold_one_chat_only),
		cmocka_unit_test(group_chats_slower),
		cmocka_unit_test(drop_and_forget),
		cmocka_unit_test(backoff_doubles_with_jitter),
		cmocka_unit_test(window_follows_latency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
