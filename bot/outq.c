/* Fair per-chat queues (see outq.h). */
#include "outq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* The channel window is this much longer than the rate says: 5% fewer requests than
 * allowed, so that jitter between our clock and the platform's never makes one too many. */
#define WINDOW_HEADROOM 1.05
#define WINDOW_MAX_SLOTS 4096 /* a rate above this many per window is treated as that */

struct outq {
	struct outq_limits lim;
	/* Chats by id: chained hash, so a chat's address stays put while the table grows. */
	struct outq_peer **buckets;
	size_t n_buckets, n_peers;
	/* Ready chats, FIFO. */
	struct outq_peer *ring_head, *ring_tail;
	/* Chats waiting on time: binary min-heap on due_ms. */
	struct outq_peer **heap;
	size_t heap_n, heap_cap;
	size_t n_rows;
	/* The channel's sliding window: the start times of the last win_n requests. */
	int64_t *win;
	uint64_t *win_seq; /* which request each slot holds (see outq_budget_arrived) */
	uint64_t seq;      /* requests counted so far */
	size_t win_n, win_at, win_used;
	int64_t win_ms;
};

static size_t hash_of(int64_t id, size_t n)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 17) & (n - 1);
}

static void set_window(struct outq *q)
{
	free(q->win);
	free(q->win_seq);
	q->win = NULL;
	q->win_seq = NULL;
	q->win_n = q->win_at = q->win_used = 0;
	double r = q->lim.rate_per_s;
	if (r <= 0)
		return;
	/* n requests in win_ms: n = the whole number of requests in a second (at least 1),
	 * the window as long as the rate makes n take, plus the headroom. */
	double n = floor(r);
	if (n < 1)
		n = 1;
	if (n > WINDOW_MAX_SLOTS)
		n = WINDOW_MAX_SLOTS;
	q->win_n = (size_t)n;
	q->win_ms = (int64_t)ceil(n / r * 1000.0 * WINDOW_HEADROOM);
	q->win = xcalloc(q->win_n, sizeof *q->win);
	q->win_seq = xcalloc(q->win_n, sizeof *q->win_seq);
}

struct outq *outq_new(const struct outq_limits *lim, int64_t now_ms)
{
	(void)now_ms;
	struct outq *q = xcalloc(1, sizeof *q);
	q->lim = *lim;
	q->n_buckets = 256;
	q->buckets = xcalloc(q->n_buckets, sizeof *q->buckets);
	set_window(q);
	return q;
}

void outq_set_limits(struct outq *q, const struct outq_limits *lim)
{
	q->lim = *lim;
	set_window(q);
}

int outq_holds(const struct outq *q, int64_t peer_id, int64_t row_id)
{
	const struct outq_peer *p = outq_find((struct outq *)q, peer_id);
	if (!p)
		return 0;
	if (p->busy && p->busy_id == row_id)
		return 1;
	for (const struct outq_node *n = p->head; n; n = n->next)
		if (n->row.id == row_id)
			return 1;
	return 0;
}

void outq_node_free(struct outq_node *node)
{
	if (!node)
		return;
	outbox_row_free(&node->row);
	free(node);
}

void outq_free(struct outq *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n_buckets; i++) {
		for (struct outq_peer *p = q->buckets[i], *next; p; p = next) {
			next = p->hash_next;
			for (struct outq_node *n = p->head, *nn; n; n = nn) {
				nn = n->next;
				outq_node_free(n);
			}
			free(p);
		}
	}
	free(q->buckets);
	free(q->heap);
	free(q->win);
	free(q->win_seq);
	free(q);
}

/* ---- per-chat bucket ---- */

static void chat_limits(const struct outq *q, int64_t id, double *rate, double *burst)
{
	if (id < 0 && q->lim.group_rate_per_s > 0) {
		*rate = q->lim.group_rate_per_s;
		*burst = q->lim.group_burst >= 1 ? q->lim.group_burst : 1;
	} else {
		*rate = q->lim.chat_rate_per_s;
		*burst = q->lim.chat_burst >= 1 ? q->lim.chat_burst : 1;
	}
}

static void refill(const struct outq *q, struct outq_peer *p, int64_t now)
{
	double rate, burst;
	chat_limits(q, p->id, &rate, &burst);
	if (rate <= 0) {
		p->tokens = burst;
	} else if (now > p->tokens_at_ms) {
		p->tokens += (double)(now - p->tokens_at_ms) * rate / 1000.0;
		if (p->tokens > burst)
			p->tokens = burst;
	}
	if (now > p->tokens_at_ms)
		p->tokens_at_ms = now;
}

/* When the chat's bucket holds `want` tokens again. */
static int64_t tokens_at(const struct outq *q, const struct outq_peer *p, double want)
{
	double rate, burst;
	chat_limits(q, p->id, &rate, &burst);
	if (want > burst)
		want = burst;
	if (rate <= 0 || p->tokens >= want)
		return p->tokens_at_ms;
	/* +1: a token that is 0.9999 at the computed millisecond is not there yet. */
	return p->tokens_at_ms + (int64_t)ceil((want - p->tokens) * 1000.0 / rate) + 1;
}

/* When the chat may send its next row; for a chat with nothing queued, when it can be
 * forgotten (bucket full, hold over). */
static int64_t peer_due(const struct outq *q, const struct outq_peer *p)
{
	int64_t due = p->hold_until_ms;
	if (p->head) {
		int64_t t = tokens_at(q, p, 1);
		if (t > due)
			due = t;
		if (p->head->row.next_attempt_ms > due)
			due = p->head->row.next_attempt_ms;
	} else {
		double rate, burst;
		chat_limits(q, p->id, &rate, &burst);
		int64_t t = tokens_at(q, p, burst);
		if (t > due)
			due = t;
	}
	return due;
}

/* ---- chats by id ---- */

struct outq_peer *outq_find(struct outq *q, int64_t id)
{
	for (struct outq_peer *p = q->buckets[hash_of(id, q->n_buckets)]; p; p = p->hash_next)
		if (p->id == id)
			return p;
	return NULL;
}

static void grow(struct outq *q)
{
	size_t n = q->n_buckets * 2;
	struct outq_peer **b = xcalloc(n, sizeof *b);
	for (size_t i = 0; i < q->n_buckets; i++) {
		for (struct outq_peer *p = q->buckets[i], *next; p; p = next) {
			next = p->hash_next;
			size_t h = hash_of(p->id, n);
			p->hash_next = b[h];
			b[h] = p;
		}
	}
	free(q->buckets);
	q->buckets = b;
	q->n_buckets = n;
}

struct outq_peer *outq_peer(struct outq *q, int64_t id)
{
	struct outq_peer *p = outq_find(q, id);
	if (p)
		return p;
	if (q->n_peers >= q->n_buckets)
		grow(q);
	p = xcalloc(1, sizeof *p);
	p->id = id;
	double rate, burst;
	chat_limits(q, id, &rate, &burst);
	p->tokens = burst;
	size_t h = hash_of(id, q->n_buckets);
	p->hash_next = q->buckets[h];
	q->buckets[h] = p;
	q->n_peers++;
	return p;
}

static void forget(struct outq *q, struct outq_peer *p)
{
	struct outq_peer **at = &q->buckets[hash_of(p->id, q->n_buckets)];
	while (*at != p)
		at = &(*at)->hash_next;
	*at = p->hash_next;
	q->n_peers--;
	free(p);
}

size_t outq_peers(const struct outq *q)
{
	return q->n_peers;
}

size_t outq_len(const struct outq *q)
{
	return q->n_rows;
}

/* ---- the heap of chats waiting on time ---- */

static void heap_swap(struct outq *q, size_t a, size_t b)
{
	struct outq_peer *t = q->heap[a];
	q->heap[a] = q->heap[b];
	q->heap[b] = t;
	q->heap[a]->heap_at = a + 1;
	q->heap[b]->heap_at = b + 1;
}

static void heap_up(struct outq *q, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (q->heap[parent]->due_ms <= q->heap[i]->due_ms)
			break;
		heap_swap(q, i, parent);
		i = parent;
	}
}

static void heap_down(struct outq *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->heap_n && q->heap[l]->due_ms < q->heap[m]->due_ms)
			m = l;
		if (r < q->heap_n && q->heap[r]->due_ms < q->heap[m]->due_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(q, i, m);
		i = m;
	}
}

static void heap_remove(struct outq *q, struct outq_peer *p)
{
	size_t i = p->heap_at - 1;
	p->heap_at = 0;
	q->heap_n--;
	if (i == q->heap_n)
		return;
	q->heap[i] = q->heap[q->heap_n];
	q->heap[i]->heap_at = i + 1;
	heap_up(q, i);
	heap_down(q, q->heap[i]->heap_at - 1);
}

static void heap_put(struct outq *q, struct outq_peer *p, int64_t due)
{
	p->due_ms = due;
	if (p->heap_at) {
		heap_up(q, p->heap_at - 1);
		heap_down(q, p->heap_at - 1);
		return;
	}
	if (q->heap_n == q->heap_cap) {
		q->heap_cap = q->heap_cap ? q->heap_cap * 2 : 64;
		q->heap = xrealloc(q->heap, q->heap_cap * sizeof *q->heap);
	}
	q->heap[q->heap_n] = p;
	p->heap_at = ++q->heap_n;
	heap_up(q, q->heap_n - 1);
}

int64_t outq_next_due(const struct outq *q)
{
	return q->heap_n ? q->heap[0]->due_ms : INT64_MAX;
}

/* ---- the ring of ready chats ---- */

static void ring_push(struct outq *q, struct outq_peer *p)
{
	p->in_ring = 1;
	p->ring_next = NULL;
	if (q->ring_tail)
		q->ring_tail->ring_next = p;
	else
		q->ring_head = p;
	q->ring_tail = p;
}

static struct outq_peer *ring_pop(struct outq *q)
{
	struct outq_peer *p = q->ring_head;
	if (!p)
		return NULL;
	q->ring_head = p->ring_next;
	if (!q->ring_head)
		q->ring_tail = NULL;
	p->ring_next = NULL;
	p->in_ring = 0;
	return p;
}

/* Puts an idle (not busy, not in the ring) chat where it belongs now. */
static void place(struct outq *q, struct outq_peer *p, int64_t now)
{
	refill(q, p, now);
	int64_t due = peer_due(q, p);
	if (p->head && due <= now) {
		if (p->heap_at)
			heap_remove(q, p);
		ring_push(q, p);
	} else {
		heap_put(q, p, due);
	}
}

int outq_ready(struct outq *q, int64_t now)
{
	while (q->heap_n && q->heap[0]->due_ms <= now) {
		struct outq_peer *p = q->heap[0];
		heap_remove(q, p);
		if (!p->head) {
			refill(q, p, now);
			if (p->overflow)
				continue; /* rows only in the store: the outbox's to read back */
			if (peer_due(q, p) <= now) {
				forget(q, p); /* nothing queued, bucket full: nothing to remember */
				continue;
			}
		}
		place(q, p, now);
	}
	return q->ring_head != NULL;
}

const struct outq_node *outq_peek(const struct outq *q)
{
	return q->ring_head ? q->ring_head->head : NULL;
}

/* ---- the channel's budget ---- */

int outq_take_budget(struct outq *q, int64_t now, int64_t *wake_ms)
{
	if (!q->win_n)
		return 1;
	if (q->win_used == q->win_n) {
		/* The oldest of the last win_n starts must have left the window. */
		int64_t oldest = q->win[q->win_at];
		if (oldest + q->win_ms > now) {
			*wake_ms = oldest + q->win_ms;
			return 0;
		}
	} else {
		q->win_used++;
	}
	q->win[q->win_at] = now;
	q->win_seq[q->win_at] = ++q->seq;
	q->win_at = (q->win_at + 1) % q->win_n;
	return 1;
}

uint64_t outq_last_ticket(const struct outq *q)
{
	return q->seq;
}

void outq_budget_arrived(struct outq *q, uint64_t ticket, int64_t at_ms)
{
	if (!q->win_n || !ticket)
		return;
	size_t slot = (size_t)((ticket - 1) % q->win_n);
	/* Only while the slot still holds that request; a later time only makes the window
	 * stricter (the check looks at the slot due next: it waits for this one). */
	if (q->win_seq[slot] == ticket && at_ms > q->win[slot])
		q->win[slot] = at_ms;
}

void outq_charge(struct outq *q, int64_t now)
{
	if (!q->win_n)
		return;
	if (q->win_used < q->win_n)
		q->win_used++;
	q->win[q->win_at] = now;
	q->win_seq[q->win_at] = ++q->seq;
	q->win_at = (q->win_at + 1) % q->win_n;
}

/* ---- rows ---- */

static void link_sorted(struct outq_peer *p, struct outq_node *n)
{
	/* From the tail: new rows append in O(1); a retried row walks back past the few
	 * later rows of its chat. */
	struct outq_node *at = p->tail;
	while (at && at->row.id > n->row.id)
		at = at->prev;
	n->prev = at;
	n->next = at ? at->next : p->head;
	if (n->next)
		n->next->prev = n;
	else
		p->tail = n;
	if (at)
		at->next = n;
	else
		p->head = n;
	p->n++;
}

static void unlink_row(struct outq_peer *p, struct outq_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		p->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		p->tail = n->prev;
	n->prev = n->next = NULL;
	p->n--;
}

static void requeue(struct outq *q, struct outq_peer *p, struct outq_node *n, int64_t now)
{
	n->peer = p;
	link_sorted(p, n);
	q->n_rows++;
	if (!p->busy && !p->in_ring)
		place(q, p, now); /* a busy chat is placed when its send ends */
}

struct outq_node *outq_push(struct outq *q, struct outbox_row *row, int64_t now)
{
	struct outq_node *n = xcalloc(1, sizeof *n);
	n->row = *row;
	*row = (struct outbox_row){0};
	requeue(q, outq_peer(q, n->row.peer_id), n, now);
	return n;
}

struct outq_node *outq_take(struct outq *q, int64_t now)
{
	struct outq_peer *p = ring_pop(q);
	if (!p)
		return NULL;
	refill(q, p, now);
	p->tokens -= 1;
	struct outq_node *n = p->head;
	unlink_row(p, n);
	q->n_rows--;
	p->busy = 1;
	p->busy_id = n->row.id;
	return n;
}

void outq_done(struct outq *q, struct outq_node *node, int again, int64_t hold_until_ms,
	       int64_t now)
{
	struct outq_peer *p = node->peer;
	p->busy = 0;
	p->busy_id = 0;
	if (hold_until_ms > p->hold_until_ms)
		p->hold_until_ms = hold_until_ms;
	if (again) {
		link_sorted(p, node);
		q->n_rows++;
	}
	place(q, p, now);
}

void outq_drop_chat(struct outq *q, struct outq_peer *p,
		    void (*fn)(void *arg, struct outbox_row *row), void *arg)
{
	while (p->head) {
		struct outq_node *n = p->head;
		unlink_row(p, n);
		q->n_rows--;
		if (fn)
			fn(arg, &n->row);
		outq_node_free(n);
	}
	if (p->in_ring) {
		/* Rare (only a caller outside a send's completion): rebuild the ring without it. */
		struct outq_peer *keep = NULL, *keep_tail = NULL;
		for (struct outq_peer *r = q->ring_head, *next; r; r = next) {
			next = r->ring_next;
			r->ring_next = NULL;
			if (r == p)
				continue;
			if (keep_tail)
				keep_tail->ring_next = r;
			else
				keep = r;
			keep_tail = r;
		}
		q->ring_head = keep;
		q->ring_tail = keep_tail;
		p->in_ring = 0;
		heap_put(q, p, p->hold_until_ms);
	}
}
