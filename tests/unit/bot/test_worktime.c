/* The one clock (clock.c) and working-hours arithmetic (worktime.c): parsing DESKBOT_CLOCK
 * values, the clock moving when set, and working hours, days off, holidays and an SLA
 * counted in working time at the hours where texts used to go wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "replyset.h"
#include "worktime.h"

static int64_t t_of(const char *iso)
{
	int64_t ms = 0;
	assert_int_equal(clock_parse(iso, &ms), 0);
	return ms / 1000;
}

static void test_clock_parse(void **state)
{
	(void)state;
	int64_t ms = 0;
	assert_int_equal(clock_parse("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(clock_parse("2026-12-02T03:00:00+03:00", &ms), 0);
	assert_int_equal(ms, 1796169600000LL); /* 2026-12-02T00:00:00Z */
	assert_int_equal(clock_parse("2026-12-02T00:00Z", &ms), 0);
	assert_int_equal(ms, 1796169600000LL);
	assert_int_equal(clock_parse("2024-02-29T12:00:00-05:30", &ms), 0);
	assert_int_equal(ms, (1709208000LL + 5 * 3600 + 1800) * 1000);
	assert_int_equal(clock_parse("@1700000000", &ms), 0);
	assert_int_equal(ms, 1700000000000LL);
	static const char *const bad[] = {"", "tomorrow", "2026-13-01T00:00:00Z",
					  "2026-12-02T25:00:00Z", "2026-12-02T03:00:00",
					  "2026-12-02T03:00:00+03:00x", "@", "@12x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(clock_parse(bad[i], &ms), -1);
}

static void test_clock_set_moves_now(void **state)
{
	(void)state;
	clock_set_ms(1000000000000LL);
	int64_t a = clock_now_ms();
	assert_true(a >= 1000000000000LL && a < 1000000000000LL + 5000);
	assert_int_equal(clock_now_s(), clock_now_ms() / 1000);
	setenv("DESKBOT_CLOCK", "2026-12-06T03:00:00+03:00", 1);
	char err[160];
	assert_int_equal(clock_init_from_env(err, sizeof err), 0);
	int64_t now = clock_now_s();
	assert_true(now >= t_of("2026-12-06T03:00:00+03:00") && now < t_of("2026-12-06T03:00:05+03:00"));
	setenv("DESKBOT_CLOCK", "next tuesday", 1);
	assert_int_equal(clock_init_from_env(err, sizeof err), -1);
	assert_non_null(strstr(err, "DESKBOT_CLOCK"));
	unsetenv("DESKBOT_CLOCK");
}

/* The shipped settings' shape: 09:00-21:00 Moscow, every day. */
static struct replyset_settings moscow(unsigned days)
{
	struct replyset_settings s;
	memset(&s, 0, sizeof s);
	s.work_start = 9 * 60, s.work_end = 21 * 60, s.utc_offset_minutes = 180;
	s.work_days = days;
	return s;
}

#define ALL_DAYS 0xFEu
#define WEEKDAYS 0x3Eu /* Monday..Friday */

static void test_open_at_the_edges(void **state)
{
	(void)state;
	struct replyset_settings s = moscow(ALL_DAYS);
	assert_false(worktime_is_open(&s, t_of("2026-12-02T03:00:00+03:00")));
	assert_false(worktime_is_open(&s, t_of("2026-12-02T08:59:59+03:00")));
	assert_true(worktime_is_open(&s, t_of("2026-12-02T09:00:00+03:00")));
	assert_true(worktime_is_open(&s, t_of("2026-12-02T20:59:59+03:00")));
	assert_false(worktime_is_open(&s, t_of("2026-12-02T21:00:00+03:00")));
	/* 2026-12-06 is a Sunday: open every day, closed with weekdays only. */
	assert_true(worktime_is_open(&s, t_of("2026-12-06T12:00:00+03:00")));
	struct replyset_settings w = moscow(WEEKDAYS);
	assert_false(worktime_is_open(&w, t_of("2026-12-06T12:00:00+03:00")));
	assert_true(worktime_is_open(&w, t_of("2026-12-07T12:00:00+03:00")));
	/* A holiday is a day off whatever the weekday. */
	s.holidays[s.n_holidays++] = worktime_parse_day("2026-12-31");
	assert_false(worktime_is_open(&s, t_of("2026-12-31T12:00:00+03:00")));
	assert_true(worktime_is_open(&s, t_of("2026-12-30T12:00:00+03:00")));
	/* Midnight UTC is 03:00 in Moscow: the local day, not the UTC one, decides. */
	assert_false(worktime_is_open(&s, t_of("2026-12-31T00:30:00Z")));
	assert_true(worktime_is_open(&s, t_of("2026-12-30T17:30:00Z")));
}

static void test_next_open(void **state)
{
	(void)state;
	struct replyset_settings s = moscow(ALL_DAYS);
	int64_t noon = t_of("2026-12-02T12:00:00+03:00");
	assert_int_equal(worktime_next_open(&s, noon), noon);
	assert_int_equal(worktime_next_open(&s, t_of("2026-12-02T03:00:00+03:00")),
			 t_of("2026-12-02T09:00:00+03:00"));
	assert_int_equal(worktime_next_open(&s, t_of("2026-12-02T21:00:00+03:00")),
			 t_of("2026-12-03T09:00:00+03:00"));
	struct replyset_settings w = moscow(WEEKDAYS);
	assert_int_equal(worktime_next_open(&w, t_of("2026-12-04T21:30:00+03:00")), /* Friday */
			 t_of("2026-12-07T09:00:00+03:00"));
	w.holidays[w.n_holidays++] = worktime_parse_day("2026-12-07");
	assert_int_equal(worktime_next_open(&w, t_of("2026-12-05T10:00:00+03:00")),
			 t_of("2026-12-08T09:00:00+03:00"));
	/* No working day at all: the time itself, no endless search. */
	struct replyset_settings none = moscow(0);
	assert_int_equal(worktime_next_open(&none, noon), noon);
}

static void test_sla_in_working_time(void **state)
{
	(void)state;
	struct replyset_settings s = moscow(ALL_DAYS);
	assert_int_equal(worktime_add(&s, t_of("2026-12-02T12:00:00+03:00"), 60),
			 t_of("2026-12-02T13:00:00+03:00"));
	assert_int_equal(worktime_add(&s, t_of("2026-12-02T20:59:00+03:00"), 60),
			 t_of("2026-12-03T09:59:00+03:00"));
	assert_int_equal(worktime_add(&s, t_of("2026-12-02T03:00:00+03:00"), 30),
			 t_of("2026-12-02T09:30:00+03:00"));
	/* A day and a half of working time runs over two nights. */
	assert_int_equal(worktime_add(&s, t_of("2026-12-02T09:00:00+03:00"), 12 * 60 + 6 * 60),
			 t_of("2026-12-03T15:00:00+03:00"));
	struct replyset_settings w = moscow(WEEKDAYS);
	assert_int_equal(worktime_add(&w, t_of("2026-12-04T20:00:00+03:00"), 240),
			 t_of("2026-12-07T12:00:00+03:00"));
	struct replyset_settings none = moscow(0);
	assert_int_equal(worktime_add(&none, 1000, 1), 1060);
}

static void test_format(void **state)
{
	(void)state;
	struct replyset_settings s = moscow(ALL_DAYS);
	char out[32];
	int64_t now = t_of("2026-12-02T20:59:00+03:00");
	worktime_format(&s, t_of("2026-12-02T20:59:30+03:00"), now, out, sizeof out);
	assert_string_equal(out, "20:59");
	worktime_format(&s, t_of("2026-12-03T09:59:00+03:00"), now, out, sizeof out);
	assert_string_equal(out, "03.12 09:59");
	/* 03:00 Moscow is the previous day in UTC: still "today" for the customer. */
	now = t_of("2026-12-02T03:00:00+03:00");
	worktime_format(&s, t_of("2026-12-02T09:00:00+03:00"), now, out, sizeof out);
	assert_string_equal(out, "09:00");
	assert_int_equal(worktime_parse_day("1970-01-02"), 1);
	assert_int_equal(worktime_parse_day("2026-12-02"), 20789);
	assert_int_equal(worktime_parse_day("2026-12-2x"), -1);
	assert_int_equal(worktime_parse_day("31.12.2026"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_parse),    cmocka_unit_test(test_clock_set_moves_now),
		cmocka_unit_test(test_open_at_the_edges), cmocka_unit_test(test_next_open),
		cmocka_unit_test(test_sla_in_working_time), cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
