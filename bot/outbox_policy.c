/* The outbox's backoff and in-flight window (see outbox_policy.h). */
#include "outbox_policy.h"

#include <math.h>
#include <stdlib.h>

#define WINDOW_FACTOR 2.0
#define WINDOW_EXTRA 4
#define WINDOW_MIN 4

int64_t outbox_backoff_ms(int attempts, unsigned int *seed)
{
	int64_t d = OUTBOX_BACKOFF_BASE_MS;
	for (int i = 1; i < attempts && d < OUTBOX_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > OUTBOX_BACKOFF_CAP_MS)
		d = OUTBOX_BACKOFF_CAP_MS;
	double j = 0.75 + 0.5 * ((double)rand_r(seed) / RAND_MAX);
	return (int64_t)((double)d * j);
}

int outbox_window(double rate_per_s, double latency_ms, int cap)
{
	if (cap < 1)
		cap = 1;
	if (rate_per_s <= 0)
		return cap;
	double w = ceil(rate_per_s * latency_ms / 1000.0 * WINDOW_FACTOR) + WINDOW_EXTRA;
	if (w < WINDOW_MIN)
		w = WINDOW_MIN;
	return w > cap ? cap : (int)w;
}
