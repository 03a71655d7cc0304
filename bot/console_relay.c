/* The console's live updates across instances (console_relay.h). */
#include "console_relay.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "console_hub.h"
#include "log.h"
#include "store_news.h"
#include "xalloc.h"

/* Another instance's transaction may commit a lower id after a higher one was read: each
 * scan looks BACK ids below the highest seen again, and a ring of the ids already sent
 * keeps a frame from going out twice. */
#define BACK 64
#define SEEN 256
#define KEEP_MS (10 * 60 * 1000LL) /* frames older than this are pruned */
#define PRUNE_EVERY 300            /* scans */

struct console_relay {
	struct store *store;
	struct console_hub *hub;
	char origin[64];
	uv_timer_t timer;
	int64_t high;
	int64_t seen[SEEN];
	size_t seen_at;
	unsigned scans;
	int failing; /* a store error is logged once until the store answers again */
};

static int seen(const struct console_relay *r, int64_t id)
{
	for (size_t i = 0; i < SEEN; i++)
		if (r->seen[i] == id)
			return 1;
	return 0;
}

static void frame_cb(void *arg, int64_t id, const char *frame)
{
	struct console_relay *r = arg;
	if (seen(r, id))
		return;
	r->seen[r->seen_at++ % SEEN] = id;
	if (id > r->high)
		r->high = id;
	console_hub_broadcast(r->hub, frame);
}

static void scan_cb(uv_timer_t *t)
{
	struct console_relay *r = t->data;
	int64_t from = r->high > BACK ? r->high - BACK : 0;
	int n = store_news_since(r->store, from, r->origin, 500, frame_cb, r);
	if (n < 0 && !r->failing)
		log_warn("console: cannot read the other instances' live updates; trying again");
	r->failing = n < 0;
	if (++r->scans % PRUNE_EVERY == 0)
		store_news_prune(r->store, clock_now_ms() - KEEP_MS);
}

struct console_relay *console_relay_new(uv_loop_t *loop, struct store *st,
					struct console_hub *hub, const char *origin,
					int64_t scan_ms)
{
	struct console_relay *r = xcalloc(1, sizeof *r);
	r->store = st;
	r->hub = hub;
	snprintf(r->origin, sizeof r->origin, "%s", origin);
	r->high = store_news_last(st);
	if (r->high < 0)
		r->high = 0;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, scan_cb, (uint64_t)scan_ms, (uint64_t)scan_ms);
	return r;
}

void console_relay_publish(void *relay, const char *frame)
{
	struct console_relay *r = relay;
	if (store_news_add(r->store, r->origin, frame, clock_now_ms()) < 0 && !r->failing) {
		log_warn("console: a live update did not reach the other instances");
		r->failing = 1;
	}
}

static void closed_cb(uv_handle_t *h)
{
	free(h->data);
}

void console_relay_free(struct console_relay *r)
{
	if (!r)
		return;
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, closed_cb);
}
