/* The long-poll skeleton (see longpoll.h). */
#include "longpoll.h"

#include "http_client.h"

#define LONGPOLL_FIRST_MS 1000
#define LONGPOLL_CAP_MS 60000

static const char *const state_names[] = {"idle", "connecting", "polling", "backoff",
					  "conflict", "unauthorized", "stopped",
					  "registering", "webhook"};

static void retry_cb(uv_timer_t *t)
{
	struct longpoll *lp = t->data;
	if (lp->state != LONGPOLL_STOPPED)
		lp->retry(lp->owner);
}

void longpoll_init(struct longpoll *lp, uv_loop_t *loop, struct http_client *http,
		   void (*retry)(void *owner), void *owner)
{
	*lp = (struct longpoll){.state = LONGPOLL_IDLE, .http = http, .retry = retry,
				.owner = owner};
	uv_timer_init(loop, &lp->retry_timer);
	lp->retry_timer.data = lp;
}

void longpoll_backoff(struct longpoll *lp, uint64_t min_ms, enum longpoll_state state)
{
	if (lp->state == LONGPOLL_STOPPED)
		return;
	lp->failures++;
	uint64_t delay = LONGPOLL_FIRST_MS;
	for (int i = 1; i < lp->failures && delay < LONGPOLL_CAP_MS; i++)
		delay *= 2;
	if (delay > LONGPOLL_CAP_MS)
		delay = LONGPOLL_CAP_MS;
	if (delay < min_ms)
		delay = min_ms;
	lp->state = state;
	uv_timer_start(&lp->retry_timer, retry_cb, delay, 0);
}

void longpoll_rearm(struct longpoll *lp)
{
	uv_timer_stop(&lp->retry_timer);
	lp->state = LONGPOLL_IDLE;
	lp->failures = 0;
}

void longpoll_stop(struct longpoll *lp)
{
	lp->state = LONGPOLL_STOPPED;
	uv_timer_stop(&lp->retry_timer);
	if (lp->poll_req)
		http_cancel(lp->http, lp->poll_req);
	lp->poll_req = 0;
}

static void timer_closed(uv_handle_t *h)
{
	struct longpoll *lp = h->data;
	lp->closed(lp->owner);
}

void longpoll_close(struct longpoll *lp, void (*closed)(void *owner))
{
	longpoll_stop(lp);
	lp->closed = closed;
	uv_close((uv_handle_t *)&lp->retry_timer, timer_closed);
}

const char *longpoll_state_name(const struct longpoll *lp)
{
	return state_names[lp->state];
}

size_t longpoll_in_flight(const struct longpoll *lp)
{
	return lp->sends_in_flight + (lp->poll_req ? 1 : 0);
}
