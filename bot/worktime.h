/* Working hours: when the team is at work, when it starts next, an SLA counted in working
 * minutes, and local times as customers read them. Pure functions of the reply set's
 * settings (working_hours, holidays) and a time the caller takes from clock.h. */
#ifndef DESKBOT_WORKTIME_H
#define DESKBOT_WORKTIME_H
#include <stddef.h>
#include <stdint.h>

struct replyset_settings;

/* 1 when t (unix seconds) is inside working hours on a working day that is no holiday. */
int worktime_is_open(const struct replyset_settings *s, int64_t t);

/* t itself when the team is at work then, else the start of the next working period. */
int64_t worktime_next_open(const struct replyset_settings *s, int64_t t);

/* The time reached after minutes of working time from t: minutes outside working hours,
 * on days off and holidays do not count. */
int64_t worktime_add(const struct replyset_settings *s, int64_t t, int minutes);

/* t as local time for a customer: "14:30" on the same local day as now, else
 * "03.12 09:00". */
void worktime_format(const struct replyset_settings *s, int64_t t, int64_t now, char *out,
		     size_t n);

/* The local day number (days since 1970-01-01) of "YYYY-MM-DD", or -1. */
int32_t worktime_parse_day(const char *ymd);

#endif
