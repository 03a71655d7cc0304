/* The one wall clock (see clock.h): the real time plus an offset that DESKBOT_CLOCK
 * sets. The offset is the process's only clock state; it is written once at start-up
 * (or by a test) before the loop runs. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t clock_offset_ms;

static int64_t real_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
	return real_now_ms() + clock_offset_ms;
}

int64_t clock_now_s(void)
{
	return clock_now_ms() / 1000;
}

void clock_set_ms(int64_t unix_ms)
{
	clock_offset_ms = unix_ms - real_now_ms();
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil), so no time zone database is involved. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int clock_parse(const char *s, int64_t *unix_ms)
{
	if (!s || !*s)
		return -1;
	if (s[0] == '@') {
		char *end = NULL;
		long long v = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end)
			return -1;
		*unix_ms = (int64_t)v * 1000;
		return 0;
	}
	int y, mo, d, h, mi, sec = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5)
		return -1;
	const char *p = s + n;
	if (*p == ':') {
		int k = 0;
		if (sscanf(p, ":%2d%n", &sec, &k) != 1)
			return -1;
		p += k;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
	    mi < 0 || sec < 0)
		return -1;
	int off_min = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || oh > 23 || om > 59)
			return -1;
		off_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 1 + k;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		    (int64_t)off_min * 60;
	*unix_ms = t * 1000;
	return 0;
}

int clock_init_from_env(char *err, int errlen)
{
	const char *v = getenv("DESKBOT_CLOCK");
	if (!v || !*v)
		return 0;
	int64_t ms;
	if (clock_parse(v, &ms) < 0) {
		snprintf(err, (size_t)errlen,
			 "DESKBOT_CLOCK=%.64s: expected 2026-12-06T03:00:00+03:00 or @<unix seconds>",
			 v);
		return -1;
	}
	clock_set_ms(ms);
	return 0;
}
