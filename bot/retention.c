/* Retention timer (see retention.h). */
#include "retention.h"

#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

struct retention {
	uv_timer_t timer;
	struct store *st;
	struct store_retention policy;
	struct store_retention_counts pass; /* deleted since the pass began */
};

static void log_pass(struct retention *r)
{
	const struct store_retention_counts *c = &r->pass;
	if (c->inbound || c->outbox || c->web_peers || c->audit || c->misses)
		log_info("retention: deleted %d messages, %d replies, %d web-chat customers, "
			 "%d audit rows, %d misses",
			 c->inbound, c->outbox, c->web_peers, c->audit, c->misses);
	r->pass = (struct store_retention_counts){0};
}

static void tick(uv_timer_t *t)
{
	struct retention *r = t->data;
	struct store_retention_counts c;
	/* One step is one unit of work: a short transaction, the write lock held briefly. */
	struct store_tx *tx = store_begin(r->st);
	int more = tx ? store_retention_step(tx, &r->policy, clock_now_ms(), &c) : -1;
	if (more < 0)
		store_rollback(tx);
	else if (store_commit(tx) < 0)
		more = -1;
	if (more >= 0) {
		r->pass.inbound += c.inbound;
		r->pass.outbox += c.outbox;
		r->pass.web_peers += c.web_peers;
		r->pass.audit += c.audit;
		r->pass.misses += c.misses;
	}
	/* Vacuum only between passes: pages freed by a pass go back in 1 MB steps. */
	if (more == 0) {
		log_pass(r);
		more = store_vacuum_step(r->st, RETENTION_VACUUM_PAGES);
	}
	/* A failure (full disk, busy) waits for the next interval: never a hot loop. */
	uv_timer_start(&r->timer, tick, more > 0 ? RETENTION_BUSY_MS : RETENTION_INTERVAL_MS, 0);
}

struct retention *retention_start(uv_loop_t *loop, struct store *st, int64_t keep_days,
				  int64_t audit_days)
{
	if (keep_days <= 0 && audit_days <= 0)
		return NULL;
	struct retention *r = xcalloc(1, sizeof *r);
	r->st = st;
	r->policy.keep_s = keep_days * 86400;
	r->policy.audit_keep_s = audit_days * 86400;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, tick, RETENTION_FIRST_MS, 0);
	return r;
}

static void closed(uv_handle_t *h)
{
	free(h->data);
}

void retention_close(struct retention *r)
{
	if (!r)
		return;
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, closed);
}
