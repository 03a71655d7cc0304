/* The daemon's one wall clock. Every "now" (store timestamps, SLA, working hours, case
 * timers, sessions, throttles) comes from here, never from time()/gettimeofday(), so that
 * tests can run the daemon at any hour: DESKBOT_CLOCK (read at start-up) sets the time
 * the clock starts from, and it then runs at real speed. The loop's monotonic uv_now()
 * is not a wall clock and stays what timers use for intervals. */
#ifndef DESKBOT_CLOCK_H
#define DESKBOT_CLOCK_H
#include <stdint.h>

/* Milliseconds since the Unix epoch, as the daemon sees it. */
int64_t clock_now_ms(void);

/* Seconds since the Unix epoch (clock_now_ms() / 1000). */
int64_t clock_now_s(void);

/* Reads DESKBOT_CLOCK: "2026-12-06T03:00:00+03:00" (ISO 8601 with an offset or Z) or
 * "@<unix seconds>". Unset or empty: the real time. Returns 0, or -1 with a message in
 * err when the value cannot be read (the caller refuses to start). */
int clock_init_from_env(char *err, int errlen);

/* Shifts the clock so that it reads unix_ms now (tests and the CLI). */
void clock_set_ms(int64_t unix_ms);

/* Parses an ISO 8601 time with offset ("2026-12-06T03:00:00+03:00", "...Z") or
 * "@<unix seconds>" into unix milliseconds. Returns 0, or -1. */
int clock_parse(const char *s, int64_t *unix_ms);

#endif
