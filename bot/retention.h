/* Retention on the loop: a libuv timer that calls store_retention_step (store.h) in
 * small batches and gives freed pages back with incremental vacuum, so the store stops
 * growing without ever holding the loop or the write lock for long. */
#ifndef DESKBOT_RETENTION_H
#define DESKBOT_RETENTION_H
#include <stdint.h>
#include <uv.h>

struct store;
struct retention;

#define RETENTION_FIRST_MS 2000      /* first pass soon after start-up */
#define RETENTION_INTERVAL_MS 60000  /* then once a minute when caught up */
#define RETENTION_BUSY_MS 200        /* between batches while a backlog lasts */
#define RETENTION_VACUUM_PAGES 256   /* 1 MB of 4 KB pages per vacuum step */

/* Starts the timer; keep_days (messages, replies, web peers) and audit_days in days,
 * 0 = keep forever. Returns NULL when both are 0 (nothing to do). */
struct retention *retention_start(uv_loop_t *loop, struct store *st, int64_t keep_days,
				  int64_t audit_days);
/* Stops the timer and frees once libuv has closed it. Accepts NULL. */
void retention_close(struct retention *r);

#endif
