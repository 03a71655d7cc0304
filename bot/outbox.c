/* Outbox scheduling and delivery (see outbox.h). */
#include "outbox.h"

#include "clock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app.h"
#include "channel.h"
#include "log.h"
#include "xalloc.h"

#define MAX_ATTEMPTS 16          /* transient failures before a row is given up */
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 300000
#define WALK_LIMIT 4096          /* rows examined per pump; later rows wait their turn */
/* Rows kept in memory per channel. Beyond HIGH, new rows stay only in the store and are
 * read back in id order once the queue has drained below LOW, so a burst costs disk,
 * not memory, and per-chat order holds (everything in memory is older). */
#define QUEUE_HIGH 2000
#define QUEUE_LOW 500

struct peer {
	int64_t id;
	int used;
	int busy;           /* a send to this chat is in flight */
	int walk;           /* pump generation that last saw this chat */
	int64_t next_ok_ms; /* per-chat rate limit */
};

struct node {
	struct outbox_row row;
	struct node *prev, *next;
};

struct chanq {
	struct outbox *ob;
	struct channel *ch;
	struct node *head, *tail;
	size_t n;
	struct peer *peers; /* open addressing on the chat id */
	size_t peers_cap, peers_used;
	int in_flight;
	double tokens;
	int64_t tokens_at_ms;
	int64_t paused_until_ms;
	int walk_gen;
	int64_t max_id;  /* highest row id ever queued in memory */
	int overflow;    /* rows above max_id wait in the store only */
};

struct outbox {
	struct app *app;
	struct chanq qs[APP_MAX_CHANNELS];
	int n_qs;
	uv_timer_t timer; /* wakes the pump when the earliest waiting row is due */
	uv_idle_t kick;   /* runs the pump once on the next loop iteration */
	int64_t timer_due_ms;
	unsigned int seed; /* jitter */
	int draining;
	int open_handles;
};

struct in_flight {
	struct chanq *q;
	struct node *node;
};

static struct peer *peer_get(struct chanq *q, int64_t id)
{
	if (q->peers_used * 2 >= q->peers_cap) {
		size_t cap = q->peers_cap ? q->peers_cap * 2 : 256;
		struct peer *old = q->peers;
		size_t old_cap = q->peers_cap;
		q->peers = xcalloc(cap, sizeof *q->peers);
		q->peers_cap = cap;
		q->peers_used = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].used)
				*peer_get(q, old[i].id) = old[i];
		free(old);
	}
	size_t mask = q->peers_cap - 1;
	size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull >> 20) & mask;
	while (q->peers[i].used && q->peers[i].id != id)
		i = (i + 1) & mask;
	if (!q->peers[i].used) {
		q->peers[i] = (struct peer){.id = id, .used = 1};
		q->peers_used++;
	}
	return &q->peers[i];
}

static struct chanq *queue_of(struct outbox *ob, const char *channel)
{
	for (int i = 0; i < ob->n_qs; i++)
		if (strcmp(ob->qs[i].ch->ops->name, channel) == 0)
			return &ob->qs[i];
	return NULL;
}

static void link_tail(struct chanq *q, struct node *n)
{
	n->next = NULL;
	n->prev = q->tail;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	q->n++;
}

/* Puts a row back in id order (after a retry), ahead of later rows of its chat. */
static void link_sorted(struct chanq *q, struct node *n)
{
	struct node *at = q->head;
	while (at && at->row.id < n->row.id)
		at = at->next;
	if (!at) {
		link_tail(q, n);
		return;
	}
	n->next = at;
	n->prev = at->prev;
	if (at->prev)
		at->prev->next = n;
	else
		q->head = n;
	at->prev = n;
	q->n++;
}

static void unlink_node(struct chanq *q, struct node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		q->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		q->tail = n->prev;
	n->prev = n->next = NULL;
	q->n--;
}

static void node_free(struct node *n)
{
	outbox_row_free(&n->row);
	free(n);
}

static void kick(struct outbox *ob);

static void idle_cb(uv_idle_t *h);

static void timer_cb(uv_timer_t *t)
{
	struct outbox *ob = t->data;
	ob->timer_due_ms = 0;
	kick(ob);
}

static void arm_timer(struct outbox *ob, int64_t due_ms, int64_t now)
{
	if (ob->timer_due_ms && ob->timer_due_ms <= due_ms && uv_is_active((uv_handle_t *)&ob->timer))
		return;
	ob->timer_due_ms = due_ms;
	uv_timer_start(&ob->timer, timer_cb, (uint64_t)(due_ms > now ? due_ms - now : 1), 0);
}

static int64_t backoff_ms(struct outbox *ob, int attempts)
{
	int64_t d = BACKOFF_BASE_MS;
	for (int i = 1; i < attempts && d < BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	/* Jitter of +-25% keeps many chats from retrying in lock-step. */
	double j = 0.75 + 0.5 * ((double)rand_r(&ob->seed) / RAND_MAX);
	return (int64_t)((double)d * j);
}

static void ensure_tx(struct outbox *ob)
{
	if (!store_in_tx(ob->app->store))
		store_begin(ob->app->store);
}

/* Every other queued row for a chat that blocked the bot fails without a request. */
static void fail_chat(struct chanq *q, int64_t peer, const char *reason, int64_t now)
{
	struct outbox *ob = q->ob;
	for (struct node *n = q->head, *next; n; n = next) {
		next = n->next;
		if (n->row.peer_id != peer)
			continue;
		unlink_node(q, n);
		store_outbox_mark_failed(ob->app->store, n->row.id, reason, now);
		*q->ch->m_failed += 1;
		node_free(n);
	}
}

static void sent_cb(void *arg, const struct send_result *res)
{
	struct in_flight *f = arg;
	struct chanq *q = f->q;
	struct node *n = f->node;
	struct outbox *ob = q->ob;
	struct channel *ch = q->ch;
	free(f);
	q->in_flight--;
	struct peer *p = peer_get(q, n->row.peer_id);
	p->busy = 0;
	int64_t now = clock_now_ms();
	ensure_tx(ob);
	if (res->pause_channel_ms > 0 && now + res->pause_channel_ms > q->paused_until_ms) {
		q->paused_until_ms = now + res->pause_channel_ms;
		log_warn("outbox: %s paused for %lld ms (code %d: %s)", ch->ops->name,
			 (long long)res->pause_channel_ms, res->code, res->reason);
	}
	switch (res->outcome) {
	case SEND_OK:
		store_outbox_mark_sent(ob->app->store, n->row.id, res->channel_msg_id, now);
		*ch->m_sent += 1;
		if (q->ch->chat_rate_per_s > 0)
			p->next_ok_ms = now + (int64_t)(1000.0 / q->ch->chat_rate_per_s);
		node_free(n);
		break;
	case SEND_RETRY:
		n->row.attempts++;
		channel_count_failure(ch, res->code);
		if (n->row.attempts >= MAX_ATTEMPTS) {
			char reason[256];
			snprintf(reason, sizeof reason, "gave up after %d attempts: %s",
				 n->row.attempts, res->reason);
			log_error("outbox: %s chat %lld row %lld: %s", ch->ops->name,
				  (long long)n->row.peer_id, (long long)n->row.id, reason);
			store_outbox_mark_failed(ob->app->store, n->row.id, reason, now);
			*ch->m_failed += 1;
			node_free(n);
			break;
		}
		int64_t delay = res->retry_after_ms > 0 ? res->retry_after_ms
							: backoff_ms(ob, n->row.attempts);
		n->row.next_attempt_ms = now + delay;
		store_outbox_mark_retry(ob->app->store, n->row.id, n->row.next_attempt_ms,
					res->reason);
		*ch->m_retries += 1;
		log_warn("outbox: %s chat %lld row %lld: retry %d in %lld ms (code %d: %s)",
			 ch->ops->name, (long long)n->row.peer_id, (long long)n->row.id,
			 n->row.attempts, (long long)delay, res->code, res->reason);
		link_sorted(q, n);
		break;
	case SEND_FAILED:
		log_error("outbox: %s chat %lld row %lld failed for good (code %d: %s)",
			  ch->ops->name, (long long)n->row.peer_id, (long long)n->row.id, res->code,
			  res->reason);
		store_outbox_mark_failed(ob->app->store, n->row.id, res->reason, now);
		channel_count_failure(ch, res->code);
		*ch->m_failed += 1;
		node_free(n);
		break;
	case SEND_BLOCKED: {
		log_warn("outbox: %s chat %lld cannot receive messages (code %d: %s); stopping",
			 ch->ops->name, (long long)n->row.peer_id, res->code, res->reason);
		int64_t peer = n->row.peer_id;
		store_outbox_mark_failed(ob->app->store, n->row.id, res->reason, now);
		store_peer_set_blocked(ob->app->store, ch->ops->name, peer, 1, res->reason);
		channel_count_failure(ch, res->code);
		*ch->m_blocked += 1;
		*ch->m_failed += 1;
		node_free(n);
		fail_chat(q, peer, "customer cannot receive messages (blocked the bot)", now);
		break;
	}
	}
	kick(ob);
}

static void refill(struct chanq *q, int64_t now)
{
	double rate = q->ch->rate_per_s;
	if (rate <= 0) {
		q->tokens = 1e9;
		return;
	}
	double burst = rate < 1 ? 1 : rate;
	q->tokens += (double)(now - q->tokens_at_ms) * rate / 1000.0;
	if (q->tokens > burst)
		q->tokens = burst;
	q->tokens_at_ms = now;
}

static void load_row(void *arg, struct outbox_row *row)
{
	struct chanq *q = arg;
	struct node *n = xcalloc(1, sizeof *n);
	n->row = *row;
	*row = (struct outbox_row){0};
	if (n->row.id > q->max_id)
		q->max_id = n->row.id;
	link_tail(q, n);
}

/* Reads rows that overflowed into the store back into memory. */
static void refill_from_store(struct chanq *q)
{
	int want = QUEUE_HIGH - (int)q->n;
	int got = store_outbox_each_pending(q->ob->app->store, q->ch->ops->name, q->max_id, want,
					    load_row, q);
	if (got >= 0 && got < want)
		q->overflow = 0;
}

/* Starts every send that may start now; returns the earliest time anything waiting
 * becomes due (INT64_MAX if nothing waits on time). */
static int64_t pump(struct chanq *q, int64_t now)
{
	struct outbox *ob = q->ob;
	if (q->overflow && q->n < QUEUE_LOW)
		refill_from_store(q);
	if (ob->draining || !q->head)
		return INT64_MAX;
	if (now < q->paused_until_ms)
		return q->paused_until_ms;
	refill(q, now);
	int64_t wake = INT64_MAX;
	int gen = ++q->walk_gen;
	int scanned = 0;
	for (struct node *n = q->head, *next; n && q->in_flight < q->ch->max_in_flight &&
					      scanned < WALK_LIMIT;
	     n = next) {
		next = n->next;
		scanned++;
		struct peer *p = peer_get(q, n->row.peer_id);
		int earlier_waits = p->walk == gen || p->busy;
		p->walk = gen;
		if (earlier_waits)
			continue; /* per-chat order: an earlier row of this chat goes first */
		int64_t due = n->row.next_attempt_ms > p->next_ok_ms ? n->row.next_attempt_ms
								      : p->next_ok_ms;
		if (due > now) {
			if (due < wake)
				wake = due;
			continue;
		}
		if (q->tokens < 1) {
			int64_t refill_at = now + (int64_t)((1 - q->tokens) * 1000 / q->ch->rate_per_s) + 1;
			if (refill_at < wake)
				wake = refill_at;
			break;
		}
		q->tokens -= 1;
		unlink_node(q, n);
		p->busy = 1;
		q->in_flight++;
		struct in_flight *f = xmalloc(sizeof *f);
		f->q = q;
		f->node = n;
		if (q->ch->ops->send(q->ch, &n->row, sent_cb, f) < 0) {
			/* Could not even start: treat as a transient failure. */
			struct send_result res = {.outcome = SEND_RETRY};
			snprintf(res.reason, sizeof res.reason, "could not start the request");
			sent_cb(f, &res);
			break; /* sent_cb kicked again; do not walk a list it changed */
		}
	}
	if (scanned >= WALK_LIMIT && q->in_flight < q->ch->max_in_flight && now + 50 < wake)
		wake = now + 50;
	return wake;
}

static void pump_all(struct outbox *ob)
{
	int64_t now = clock_now_ms();
	int64_t wake = INT64_MAX;
	for (int i = 0; i < ob->n_qs; i++) {
		int64_t w = pump(&ob->qs[i], now);
		if (w < wake)
			wake = w;
	}
	if (wake != INT64_MAX)
		arm_timer(ob, wake, now);
}

static void idle_cb(uv_idle_t *h)
{
	struct outbox *ob = h->data;
	uv_idle_stop(h);
	pump_all(ob);
}

static void kick(struct outbox *ob)
{
	if (!ob->draining && !uv_is_active((uv_handle_t *)&ob->kick))
		uv_idle_start(&ob->kick, idle_cb);
}

struct outbox *outbox_new(struct app *app)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);
	ob->app = app;
	ob->seed = (unsigned int)clock_now_ms();
	uv_timer_init(app->loop, &ob->timer);
	ob->timer.data = ob;
	uv_idle_init(app->loop, &ob->kick);
	ob->kick.data = ob;
	ob->open_handles = 2;
	return ob;
}

int outbox_add_channel(struct outbox *ob, struct channel *ch)
{
	if (ob->n_qs >= APP_MAX_CHANNELS)
		return -1;
	struct chanq *q = &ob->qs[ob->n_qs++];
	*q = (struct chanq){.ob = ob, .ch = ch, .tokens_at_ms = clock_now_ms()};
	int got = store_outbox_each_pending(ob->app->store, ch->ops->name, 0, QUEUE_HIGH, load_row, q);
	if (got < 0)
		return -1;
	q->overflow = got == QUEUE_HIGH;
	if (q->n)
		log_info("outbox: %s has %zu pending row(s) from before the restart", ch->ops->name,
			 q->n);
	kick(ob);
	return 0;
}

void outbox_enqueue(struct outbox *ob, const char *channel, struct outbox_row *row)
{
	struct chanq *q = queue_of(ob, channel);
	if (!q) {
		log_error("outbox: no channel %s for row %lld", channel, (long long)row->id);
		outbox_row_free(row);
		return;
	}
	if (q->overflow || q->n >= QUEUE_HIGH) {
		/* Committed to the store already; it is read back when its turn comes. */
		q->overflow = 1;
		outbox_row_free(row);
		kick(ob);
		return;
	}
	struct node *n = xcalloc(1, sizeof *n);
	n->row = *row;
	*row = (struct outbox_row){0};
	if (n->row.id > q->max_id)
		q->max_id = n->row.id;
	link_tail(q, n);
	kick(ob);
}

size_t outbox_in_flight(const struct outbox *ob)
{
	size_t n = 0;
	for (int i = 0; i < ob->n_qs; i++)
		n += (size_t)ob->qs[i].in_flight;
	return n;
}

void outbox_drain(struct outbox *ob)
{
	ob->draining = 1;
	uv_idle_stop(&ob->kick);
	uv_timer_stop(&ob->timer);
}

static void handle_closed(uv_handle_t *h)
{
	struct outbox *ob = h->data;
	if (--ob->open_handles)
		return;
	for (int i = 0; i < ob->n_qs; i++) {
		struct chanq *q = &ob->qs[i];
		while (q->head) {
			struct node *n = q->head;
			unlink_node(q, n);
			node_free(n);
		}
		free(q->peers);
	}
	free(ob);
}

void outbox_close(struct outbox *ob)
{
	if (!ob)
		return;
	outbox_drain(ob);
	uv_close((uv_handle_t *)&ob->timer, handle_closed);
	uv_close((uv_handle_t *)&ob->kick, handle_closed);
}
