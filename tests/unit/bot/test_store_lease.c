/* Leases in the store (bot/store_lease.c): one holder at a time, renewed by its holder,
 * taken by another only once it has run out or was given up, and listed for /healthz;
 * case timers fire once however many instances try (store_console_timer_fired); the
 * console's frames reach the other instances (store_news.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "store.h"
#include "store_console.h"
#include "store_lease.h"
#include "store_news.h"
#include "test_store_fixture.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void one_holder_until_it_runs_out(void **state)
{
	(void)state;
	struct store *a = open_store(), *b = open_store(); /* two instances, one store */
	char who[64];
	int64_t left = 0;
	assert_int_equal(store_lease_hold(a, "vk", "a", 400, who, sizeof who, &left), 1);
	assert_string_equal(who, "a");
	assert_true(left > 300 && left <= 400);
	assert_int_equal(store_lease_hold(b, "vk", "b", 400, who, sizeof who, &left), 0);
	assert_string_equal(who, "a");
	assert_true(left > 0);
	/* Another name is free for b. */
	assert_int_equal(store_lease_hold(b, "telegram", "b", 400, NULL, 0, NULL), 1);
	/* a renews: b still cannot take it after the first term would have ended. */
	sleep_ms(250);
	assert_int_equal(store_lease_hold(a, "vk", "a", 400, NULL, 0, NULL), 1);
	sleep_ms(250);
	assert_int_equal(store_lease_hold(b, "vk", "b", 400, who, sizeof who, NULL), 0);
	assert_string_equal(who, "a");
	/* a stops renewing (it died): b takes it once it has run out, and a has lost it. */
	sleep_ms(450);
	assert_int_equal(store_lease_hold(b, "vk", "b", 400, who, sizeof who, NULL), 1);
	assert_string_equal(who, "b");
	assert_int_equal(store_lease_hold(a, "vk", "a", 400, who, sizeof who, NULL), 0);
	assert_string_equal(who, "b");
	/* Given up, it is a's again at once; a release by a non-holder changes nothing. */
	assert_int_equal(store_lease_release(a, "vk", "a"), 0);
	assert_int_equal(store_lease_hold(a, "vk", "a", 400, NULL, 0, NULL), 0);
	assert_int_equal(store_lease_release(b, "vk", "b"), 0);
	assert_int_equal(store_lease_hold(a, "vk", "a", 400, NULL, 0, NULL), 1);
	store_close(b);
	store_close(a);
}

struct seen {
	char names[4][16], holders[4][16];
	int n;
};

static void collect(void *arg, const char *name, const char *holder, int64_t left_ms)
{
	struct seen *s = arg;
	assert_true(left_ms > 0);
	snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
	snprintf(s->holders[s->n], sizeof s->holders[0], "%s", holder);
	s->n++;
}

static void listed_for_healthz(void **state)
{
	(void)state;
	struct store *st = open_store();
	assert_int_equal(store_lease_hold(st, "vk", "i1", 5000, NULL, 0, NULL), 1);
	assert_int_equal(store_lease_hold(st, "telegram", "i2", 5000, NULL, 0, NULL), 1);
	struct seen s = {0};
	assert_int_equal(store_leases_each(st, collect, &s), 2);
	assert_string_equal(s.names[0], "telegram");
	assert_string_equal(s.holders[0], "i2");
	assert_string_equal(s.names[1], "vk");
	assert_string_equal(s.holders[1], "i1");
	store_close(st);
}

static void a_timer_fires_once_across_instances(void **state)
{
	(void)state;
	struct store *a = open_store(), *b = open_store();
	struct store_tx *tx = begin_tx(a);
	assert_int_equal(store_console_timer_arm(tx, 7, "unclaimed", 100, 1, CONSOLE_ARM_REPLACE), 0);
	assert_int_equal(store_commit(tx), 0);
	/* Both read it as due; only the first to mark it may act. */
	struct console_timer due_a[4], due_b[4];
	assert_int_equal(store_console_timers_due(a, 200, due_a, 4), 1);
	assert_int_equal(store_console_timers_due(b, 200, due_b, 4), 1);
	tx = begin_tx(a);
	assert_int_equal(store_console_timer_fired(tx, 7, "unclaimed"), 1);
	assert_int_equal(store_commit(tx), 0);
	tx = begin_tx(b);
	assert_int_equal(store_console_timer_fired(tx, 7, "unclaimed"), 0);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(store_console_timer_count(a, 7, "unclaimed"), 1);
	store_close(b);
	store_close(a);
}

struct frames {
	char text[4][32];
	int64_t ids[4];
	int n;
};

static void frame(void *arg, int64_t id, const char *text)
{
	struct frames *f = arg;
	snprintf(f->text[f->n], sizeof f->text[0], "%s", text);
	f->ids[f->n++] = id;
}

static void news_of_the_other_instances(void **state)
{
	(void)state;
	struct store *st = open_store();
	assert_int_equal(store_news_last(st), 0);
	assert_int_equal(store_news_add(st, "a", "{\"n\":1}", 1000), 0);
	assert_int_equal(store_news_add(st, "b", "{\"n\":2}", 2000), 0);
	assert_int_equal(store_news_add(st, "a", "{\"n\":3}", 3000), 0);
	/* b reads a's frames only, in order; from the last id on, nothing. */
	struct frames f = {0};
	assert_int_equal(store_news_since(st, 0, "b", 10, frame, &f), 2);
	assert_string_equal(f.text[0], "{\"n\":1}");
	assert_string_equal(f.text[1], "{\"n\":3}");
	struct frames none = {0};
	assert_int_equal(store_news_since(st, store_news_last(st), "b", 10, frame, &none), 0);
	/* Old frames go. */
	assert_int_equal(store_news_prune(st, 2500), 0);
	struct frames left = {0};
	assert_int_equal(store_news_since(st, 0, "c", 10, frame, &left), 1);
	assert_string_equal(left.text[0], "{\"n\":3}");
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_holder_until_it_runs_out, setup, teardown),
		cmocka_unit_test_setup_teardown(listed_for_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(a_timer_fires_once_across_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(news_of_the_other_instances, setup, teardown),
	};
	return tb_run(tests);
}
