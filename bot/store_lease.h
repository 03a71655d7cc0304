/* Leases in the store (issue #14 items 2 and 3): when several deskbot instances share one
 * PostgreSQL store, each channel (its long poll and its outbox) and each job that must run
 * once (the case timers) has exactly one holder at a time. A lease is held by renewing it
 * before it runs out; a holder that dies stops renewing, and another instance takes the
 * lease once it has run out. Times are the database's own clock, so instances whose
 * clocks differ (or a test's injected clock) agree on when a lease ends. */
#ifndef DESKBOT_STORE_LEASE_H
#define DESKBOT_STORE_LEASE_H
#include <stddef.h>
#include <stdint.h>

struct store;

/* Takes or renews lease name for holder for ttl_ms: 1 when holder holds it now, 0 when
 * another instance does (who names it, left_ms is how long its lease still runs), -1 on a
 * store error (logged). who may be NULL. */
int store_lease_hold(struct store *st, const char *name, const char *holder, int64_t ttl_ms,
		     char *who, size_t wholen, int64_t *left_ms);
/* Gives lease name up if holder holds it, so that another instance takes it at once. 0
 * or -1. */
int store_lease_release(struct store *st, const char *name, const char *holder);
/* Calls fn for every lease (left_ms <= 0: run out, free to take). The count, or -1. */
int store_leases_each(struct store *st,
		      void (*fn)(void *arg, const char *name, const char *holder, int64_t left_ms),
		      void *arg);
#endif
