/* Working-hours arithmetic (see worktime.h). Local time is UTC plus the reply set's fixed
 * offset (Moscow has no daylight saving time), so no time zone database is needed. */
#include "worktime.h"

#include <stdio.h>
#include <time.h>

#include "replyset_settings.h"

#define DAY 86400

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ISO weekday (1 = Monday ... 7) of a local day number; 1970-01-01 was a Thursday. */
static int weekday(int64_t day)
{
	return (int)(((day % 7) + 7 + 3) % 7) + 1;
}

static int is_working_day(const struct replyset_settings *s, int64_t day)
{
	if (!(s->work_days & (1u << weekday(day))))
		return 0;
	for (int i = 0; i < s->n_holidays; i++)
		if (s->holidays[i] == day)
			return 0;
	return 1;
}

int worktime_is_open(const struct replyset_settings *s, int64_t t)
{
	int64_t local = t + (int64_t)s->utc_offset_minutes * 60;
	int64_t day = floor_div(local, DAY);
	int64_t minute = (local - day * DAY) / 60;
	return is_working_day(s, day) && minute >= s->work_start && minute < s->work_end;
}

int64_t worktime_next_open(const struct replyset_settings *s, int64_t t)
{
	if (worktime_is_open(s, t) || s->work_end <= s->work_start)
		return t;
	int64_t off = (int64_t)s->utc_offset_minutes * 60;
	int64_t local = t + off;
	int64_t day = floor_div(local, DAY);
	/* A year ahead at most: settings with no working day at all keep t. */
	for (int d = 0; d < 400; d++) {
		int64_t start = (day + d) * DAY + (int64_t)s->work_start * 60;
		if (start > local && is_working_day(s, day + d))
			return start - off;
	}
	return t;
}

int64_t worktime_add(const struct replyset_settings *s, int64_t t, int minutes)
{
	int64_t left = (int64_t)minutes * 60;
	int64_t off = (int64_t)s->utc_offset_minutes * 60;
	int64_t at = t;
	for (int guard = 0; left > 0 && guard < 800; guard++) {
		int64_t open = worktime_next_open(s, at);
		if (!worktime_is_open(s, open))
			return at + left; /* no working time in the settings: plain minutes */
		int64_t local = open + off;
		int64_t end = floor_div(local, DAY) * DAY + (int64_t)s->work_end * 60 - off;
		int64_t step = end - open < left ? end - open : left;
		left -= step;
		at = open + step;
	}
	return at;
}

void worktime_format(const struct replyset_settings *s, int64_t t, int64_t now, char *out,
		     size_t n)
{
	int64_t off = (int64_t)s->utc_offset_minutes * 60;
	time_t local = (time_t)(t + off);
	struct tm tm;
	gmtime_r(&local, &tm);
	if (floor_div(t + off, DAY) == floor_div(now + off, DAY))
		strftime(out, n, "%H:%M", &tm);
	else
		strftime(out, n, "%d.%m %H:%M", &tm);
}

int32_t worktime_parse_day(const char *ymd)
{
	int y, m, d, k = 0;
	if (!ymd || sscanf(ymd, "%4d-%2d-%2d%n", &y, &m, &d, &k) != 3 || ymd[k] || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	/* days_from_civil (H. Hinnant) */
	int64_t yy = y - (m <= 2);
	int64_t era = floor_div(yy, 400);
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}
