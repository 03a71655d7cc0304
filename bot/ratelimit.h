/* Keyed counters and token buckets for the HTTP listener's limits: connections per
 * address, messages per second per chat customer and per address. One table per use;
 * keys are short strings (an address, "peer:42"). The table is bounded: an entry that is
 * idle (count 0 and a full bucket) is forgotten when room is needed, and when every entry
 * is busy a new key is refused (fail closed) rather than growing without bound. */
#ifndef DESKBOT_RATELIMIT_H
#define DESKBOT_RATELIMIT_H
#include <stddef.h>
#include <stdint.h>

#define RL_KEY_MAX 64 /* bytes of a key, NUL included; longer keys are cut */

struct rl_table;

/* A table of at most max_keys keys. */
struct rl_table *rl_new(size_t max_keys);
void rl_free(struct rl_table *t);

/* Token bucket for key: refills at rate tokens per second up to burst. Takes one token
 * and returns 1 when there was one, else 0 (also 0 when the table is full). */
int rl_take(struct rl_table *t, const char *key, double rate, double burst, int64_t now_ms);

/* Counter for key: rl_acquire adds one if the count is below max and returns 1, else 0
 * (also 0 when the table is full); rl_release takes one away. */
int rl_acquire(struct rl_table *t, const char *key, size_t max);
void rl_release(struct rl_table *t, const char *key);
size_t rl_count(const struct rl_table *t, const char *key);

#endif
