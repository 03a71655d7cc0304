/* Fair per-chat queues for one channel's outbox, with no I/O (the outbox drives them and
 * the unit tests reach them directly).
 *
 * Each chat has its own queue in row-id order. A chat whose next row may go now sits in a
 * FIFO ring of ready chats; a chat that waits on time (its per-chat token bucket, a
 * retry's backoff, a retry_after hold for that chat) sits in a min-heap on its due time;
 * a chat with a send in flight is in neither. A chat takes one row per turn and goes to
 * the back of the ring when its send ends, so chats are served round-robin and one chat
 * flooding a thousand rows gets one turn per round and at most its per-chat rate, however
 * many rows it has. At most one row per chat is in flight: that keeps per-chat order even
 * when a send fails and is retried.
 *
 * The channel's budget is a sliding window: at most n requests in any window_ms, with a
 * few percent of headroom so that a platform counting "N a second" never sees N + 1
 * because of network jitter. A batch (VK execute) costs one request.
 *
 * A chat with nothing queued is kept until its bucket is full again (so its rate holds
 * across a quiet moment) and is then forgotten: memory follows the chats with work. */
#ifndef DESKBOT_OUTQ_H
#define DESKBOT_OUTQ_H
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct outq_limits {
	double rate_per_s;      /* requests per second for the channel; <= 0: unlimited */
	double chat_rate_per_s; /* rows per second to one chat; <= 0: unlimited */
	double chat_burst;      /* bucket size per chat (>= 1) */
	double group_rate_per_s; /* group chats (negative ids): > 0 replaces chat_rate_per_s */
	double group_burst;
};

struct outq_node {
	struct outbox_row row;
	struct outq_node *next, *prev;
	struct outq_peer *peer;
};

struct outq_peer {
	int64_t id;
	struct outq_node *head, *tail; /* queued rows in id order */
	size_t n;
	int busy;             /* a row of this chat is in flight */
	int64_t busy_id;      /* that row's id */
	double tokens;        /* per-chat bucket */
	int64_t tokens_at_ms;
	int64_t hold_until_ms; /* retry_after for this chat only */
	/* The outbox's bookkeeping of rows left in the store (see outbox.c). */
	int overflow;
	int64_t loaded_max;
	/* Where the chat is: in the ring, in the heap, or neither. */
	int in_ring;
	size_t heap_at;       /* index + 1 in the heap; 0 when not there */
	int64_t due_ms;
	struct outq_peer *ring_next;
	struct outq_peer *hash_next;
};

struct outq;

struct outq *outq_new(const struct outq_limits *lim, int64_t now_ms);
/* Frees every queued row and chat. */
void outq_free(struct outq *q);
void outq_set_limits(struct outq *q, const struct outq_limits *lim);

/* The chat, created when missing. */
struct outq_peer *outq_peer(struct outq *q, int64_t id);
/* The chat when known, else NULL. */
struct outq_peer *outq_find(struct outq *q, int64_t id);

/* Queues a row (taking its strings; the caller's struct is zeroed) in id order within its
 * chat: a retried row goes back ahead of the chat's later rows. */
struct outq_node *outq_push(struct outq *q, struct outbox_row *row, int64_t now_ms);

/* Rows queued in memory. */
size_t outq_len(const struct outq *q);

/* Moves chats whose time has come from the heap to the ring. Returns 1 when some chat
 * may send now. */
int outq_ready(struct outq *q, int64_t now_ms);
/* The row the next turn would send (the ring's first chat's first row), or NULL. */
const struct outq_node *outq_peek(const struct outq *q);

/* Takes one request from the channel's budget: 1 when it may start now, else 0 with
 * *wake_ms set to when it may. */
int outq_take_budget(struct outq *q, int64_t now_ms, int64_t *wake_ms);

/* The request the last outq_take_budget / outq_charge counted, and a later estimate of
 * when the platform saw it: a request our loop was slow to write (a busy moment) arrives
 * later than it started, so its slot is moved to that time. Then a burst of late
 * requests followed by punctual ones can never put N + 1 in one of the platform's
 * seconds, whatever the delays on our side. */
uint64_t outq_last_ticket(const struct outq *q);
void outq_budget_arrived(struct outq *q, uint64_t ticket, int64_t at_ms);

/* Counts a request the channel made outside the outbox (VK users.get) against the same
 * budget, even when the budget is spent: later sends wait for it instead. */
void outq_charge(struct outq *q, int64_t now_ms);

/* Takes the next chat's first row for sending (call outq_ready first): the chat becomes
 * busy and pays one token of its bucket. NULL when no chat is ready. */
struct outq_node *outq_take(struct outq *q, int64_t now_ms);

/* A row's send has ended. The chat is no longer busy; when requeue, the row goes back to
 * its chat (its next_attempt_ms says when), else the caller frees node with
 * outq_node_free. hold_until_ms > 0 holds the whole chat until then. */
void outq_done(struct outq *q, struct outq_node *node, int requeue, int64_t hold_until_ms,
	       int64_t now_ms);
void outq_node_free(struct outq_node *node);
/* 1 when row row_id of chat peer_id is queued or in flight. */
int outq_holds(const struct outq *q, int64_t peer_id, int64_t row_id);

/* Removes every queued row of a chat (it blocked the bot), calling fn for each (fn frees
 * nothing; the node is freed after). Call only while the chat is not busy or from its
 * send's completion before outq_done. */
void outq_drop_chat(struct outq *q, struct outq_peer *p, void (*fn)(void *arg, struct outbox_row *row),
		    void *arg);

/* The earliest time a chat waiting on time becomes due (INT64_MAX if none). */
int64_t outq_next_due(const struct outq *q);

/* Chats known (queued, busy or cooling down). */
size_t outq_peers(const struct outq *q);

#endif
