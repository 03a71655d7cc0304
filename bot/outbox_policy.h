/* The outbox's two formulas, kept apart so the tests reach them: how long a transient
 * failure waits before the next attempt, and how many requests may be in flight. */
#ifndef DESKBOT_OUTBOX_POLICY_H
#define DESKBOT_OUTBOX_POLICY_H
#include <stdint.h>

#define OUTBOX_BACKOFF_BASE_MS 1000
#define OUTBOX_BACKOFF_CAP_MS 300000

/* 1 s doubling per attempt up to 5 min, with +-25% jitter (so that many chats failing
 * together do not retry in lock-step). seed is the caller's rand_r state. */
int64_t outbox_backoff_ms(int attempts, unsigned int *seed);

/* Requests allowed in flight (Little's law): rate x latency, doubled for latency spikes,
 * plus 4, within [4, cap]. rate <= 0 (unlimited): cap. */
int outbox_window(double rate_per_s, double latency_ms, int cap);

#endif
