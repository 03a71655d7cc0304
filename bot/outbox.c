/* Outbox scheduling and delivery (see outbox.h). The fair ordering of chats is outq.c's;
 * this file moves rows between the store, those queues and the channels. */
#include "outbox.h"

#include "clock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <cjson/cJSON.h>

#include "channels/channel.h"
#include "json_util.h"
#include "log.h"
#include "outbox_policy.h"
#include "outq.h"
#include "store_files.h"
#include "store_outbox_peer.h"
#include "xalloc.h"

#define MAX_ATTEMPTS 16          /* transient failures before a row is given up */
/* Rows kept in memory per channel. Beyond HIGH, new rows stay only in the store and are
 * read back in id order once the queue has drained below LOW, so a burst costs disk,
 * not memory, and per-chat order holds (everything in memory is older). */
#define QUEUE_HIGH 2000
#define QUEUE_LOW 500
/* The same per chat: a chat flooding thousands of rows keeps PEER_HIGH in memory and
 * reads the rest back itself, so it never fills the channel's HIGH and pushes other
 * chats' new rows into the store behind its own. */
#define PEER_HIGH 64
#define PEER_LOW 16
#define LATENCY_START_MS 100.0
#define LATENCY_ALPHA 0.2
#define BATCH_MAX 64
#define RTT_SAMPLES 256

struct chanq {
	struct outbox *ob;
	struct channel *ch;
	struct outq *q;
	int in_flight;       /* requests (a batch is one) */
	int64_t paused_until_ms;
	int64_t max_id;      /* highest row id the channel's store scan has passed */
	int overflow;        /* rows above max_id wait in the store only */
	double latency_ms;   /* moving average of a request's round trip */
	/* The shortest round trip lately (the network and the platform, no waiting on our
	 * side): a request answered at t reached the platform no later than t - rtt_min. */
	int64_t rtt_min, rtt_min_next;
	int rtt_samples;
	int logged_batch_off;
	/* With several instances on one store, only the holder of the channel's lease sends
	 * its rows (app_leases.c): an inactive queue starts nothing and keeps nothing new. */
	int active;
	int reload_pending; /* made active again while requests were in flight */
};

/* A delivery result waiting for the end of the loop iteration, when the outbox writes
 * every mark of the iteration in one transaction of its own (flush_marks). Until then
 * the row is still pending in the store, which is safe: the store scans the outbox
 * reads rows from start above the highest id it has seen (max_id, loaded_max), and a
 * row being marked was in memory, so below them. A crash before the flush costs a
 * resend: VK drops it (random_id), Telegram shows it twice (the documented duplicate
 * window, measured by the kill -9 test). */
enum mark_kind { MARK_SENT, MARK_RETRY, MARK_FAILED, MARK_BLOCKED };

struct mark {
	enum mark_kind kind;
	int64_t id;        /* the row; MARK_BLOCKED: the peer */
	int64_t value;     /* MARK_SENT: channel message id; MARK_RETRY: next attempt (ms) */
	int64_t at_ms;
	const char *channel; /* MARK_BLOCKED; the channel's own name, lives as long */
	char *text;        /* error or reason, owned */
};

struct outbox {
	struct store *store;
	struct mark *marks;
	size_t n_marks, cap_marks;
	uv_check_t flush;  /* writes the iteration's marks (flush_marks) */
	struct chanq qs[OUTBOX_MAX_CHANNELS];
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
	int64_t started_ms;
	uint64_t ticket;     /* its slot in the channel's budget */
	size_t n;
	struct outq_node *nodes[];
};

static void kick(struct outbox *ob);

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
	return outbox_backoff_ms(attempts, &ob->seed);
}

static void mark(struct outbox *ob, enum mark_kind kind, int64_t id, int64_t value,
		 int64_t at_ms, const char *channel, const char *text)
{
	if (ob->n_marks == ob->cap_marks) {
		ob->cap_marks = ob->cap_marks ? 2 * ob->cap_marks : 64;
		ob->marks = xrealloc(ob->marks, ob->cap_marks * sizeof *ob->marks);
	}
	ob->marks[ob->n_marks++] = (struct mark){kind, id, value, at_ms, channel,
						 text ? xstrdup(text) : NULL};
}

static int write_mark(struct store_tx *tx, const struct mark *m)
{
	switch (m->kind) {
	case MARK_SENT:
		return store_outbox_mark_sent(tx, m->id, m->value, m->at_ms);
	case MARK_RETRY:
		return store_outbox_mark_retry(tx, m->id, m->value, m->text);
	case MARK_FAILED:
		return store_outbox_mark_failed(tx, m->id, m->text, m->at_ms);
	case MARK_BLOCKED:
		return store_peer_set_blocked(tx, m->channel, m->id, 1, m->text);
	}
	return -1;
}

/* The outbox's own unit of work: this iteration's delivery marks, in one transaction
 * that is not synced (a mark lost to a power cut costs a resend, never a message; VK
 * drops the resend by random_id). A failed write keeps the marks for the next
 * iteration, so a full disk that has room again loses none. */
static void flush_marks(struct outbox *ob)
{
	if (!ob->n_marks)
		return;
	struct store *st = ob->store;
	struct store_tx *tx = store_begin_unsynced(st);
	int result = tx ? 0 : -1;
	for (size_t i = 0; i < ob->n_marks && result == 0; i++)
		result = write_mark(tx, &ob->marks[i]);
	if (result == 0)
		result = store_commit(tx);
	else
		store_rollback(tx);
	if (result < 0) {
		log_error("outbox: %zu delivery mark(s) not written, kept for the next try: %s",
			  ob->n_marks, store_state(st));
		return;
	}
	for (size_t i = 0; i < ob->n_marks; i++)
		free(ob->marks[i].text);
	ob->n_marks = 0;
}

static void flush_cb(uv_check_t *h)
{
	flush_marks(h->data);
}

static struct chanq *queue_of(struct outbox *ob, const char *channel)
{
	for (int i = 0; i < ob->n_qs; i++)
		if (strcmp(ob->qs[i].ch->name, channel) == 0)
			return &ob->qs[i];
	return NULL;
}

static void limits_of(const struct channel *ch, struct outq_limits *lim)
{
	*lim = (struct outq_limits){.rate_per_s = ch->rate_per_s,
				    .chat_rate_per_s = ch->chat_rate_per_s,
				    .chat_burst = ch->chat_burst,
				    .group_rate_per_s = ch->group_rate_per_s,
				    .group_burst = ch->group_burst};
}

/* ---- rows between the store and memory ---- */

static int peer_refill(struct chanq *q, struct outq_peer *p, int64_t now);
static void reload(struct chanq *q);

/* A row the store scan reached (id above max_id) or a new one: into its chat's queue, or
 * left in the store when the chat already has PEER_HIGH rows in memory. */
static void admit(struct chanq *q, struct outbox_row *row, int64_t now)
{
	if (row->id > q->max_id)
		q->max_id = row->id;
	struct outq_peer *p = outq_peer(q->q, row->peer_id);
	if (p->overflow || p->n >= PEER_HIGH) {
		/* It waits in the store; its chat reads it back (peer_refill). A chat with no
		 * rows in memory is not kept for its overflow alone: n >= PEER_HIGH here. */
		p->overflow = 1;
		outbox_row_free(row);
		if (!p->busy && !p->n)
			peer_refill(q, p, now); /* an earlier read-back failed: try again */
		return;
	}
	p->loaded_max = row->id;
	outq_push(q->q, row, now);
}

struct load_ctx {
	struct chanq *q;
	int64_t now;
};

static void load_row(void *arg, struct outbox_row *row)
{
	struct load_ctx *c = arg;
	admit(c->q, row, c->now);
}

static void peer_row(void *arg, struct outbox_row *row)
{
	struct load_ctx *c = arg;
	struct outq_peer *p = outq_peer(c->q->q, row->peer_id);
	p->loaded_max = row->id;
	outq_push(c->q->q, row, c->now);
}

/* Reads rows that overflowed into the store back into memory. */
static void refill_from_store(struct chanq *q, int64_t now)
{
	int want = QUEUE_HIGH - (int)outq_len(q->q);
	struct load_ctx c = {q, now};
	int got = store_outbox_each_pending(q->ob->store, q->ch->name, q->max_id, want,
					    load_row, &c);
	if (got >= 0 && got < want)
		q->overflow = 0;
}

/* Reads a chat's own overflow back: its rows the store scan has passed (up to max_id);
 * later ones come with the scan. */
static int peer_refill(struct chanq *q, struct outq_peer *p, int64_t now)
{
	if (!p->overflow || p->n >= PEER_LOW)
		return 0;
	int want = PEER_HIGH - (int)p->n;
	struct load_ctx c = {q, now};
	int got = store_outbox_each_pending_peer(q->ob->store, q->ch->name, p->id,
						 p->loaded_max, q->max_id, want, peer_row, &c);
	if (got < 0)
		return -1; /* logged; the rows stay pending for the next start */
	if (got < want)
		p->overflow = 0;
	return 0;
}

/* ---- completion ---- */

struct fail_ctx {
	struct chanq *q;
	const char *reason;
	int64_t now;
};

static void fail_row(void *arg, struct outbox_row *row)
{
	struct fail_ctx *c = arg;
	mark(c->q->ob, MARK_FAILED, row->id, 0, c->now, NULL, c->reason);
	*c->q->ch->m_failed += 1;
}

/* Every other queued row for a chat that blocked the bot fails without a request: those
 * in memory and those still in the store. */
static void fail_chat(struct chanq *q, struct outq_peer *p, const char *reason, int64_t now)
{
	struct fail_ctx c = {q, reason, now};
	outq_drop_chat(q->q, p, fail_row, &c);
	while (p->overflow && peer_refill(q, p, now) == 0)
		outq_drop_chat(q->q, p, fail_row, &c);
}

static int is_file(const struct outbox_row *row)
{
	return row->kind && strcmp(row->kind, "file") == 0;
}

/* A file row failed for good: its snapshot says so, so that the transcript line shows
 * the file was not delivered (a text row's failure is the outbox's alone). */
static void file_failed(struct outbox *ob, const struct outbox_row *row, const char *reason)
{
	if (!is_file(row))
		return;
	cJSON *x = row->extra ? cJSON_Parse(row->extra) : NULL;
	int64_t id = json_int(x, "file_id", 0);
	cJSON_Delete(x);
	if (id > 0 && store_file_out_failed(ob->store, id, reason) < 0)
		log_warn("outbox: file %lld: the failure is not on its line: %s", (long long)id,
			 store_state(ob->store));
}

static void finish_row(struct chanq *q, struct outq_node *n, const struct send_result *res,
		       int64_t now)
{
	struct outbox *ob = q->ob;
	struct channel *ch = q->ch;
	struct outbox_row *row = &n->row;
	struct outq_peer *p = n->peer;
	switch (res->outcome) {
	case SEND_OK:
		mark(ob, MARK_SENT, row->id, res->channel_msg_id, now, NULL, NULL);
		*ch->m_sent += 1;
		outq_done(q->q, n, 0, 0, now);
		outq_node_free(n);
		break;
	case SEND_RETRY: {
		row->attempts++;
		if (res->handle[0]) {
			free(row->handle);
			row->handle = xstrdup(res->handle);
		}
		channel_count_failure(ch, res->code);
		if (row->attempts >= MAX_ATTEMPTS) {
			char reason[256];
			snprintf(reason, sizeof reason, "gave up after %d attempts: %s", row->attempts,
				 res->reason);
			log_error("outbox: %s chat %lld row %lld: %s", ch->name,
				  (long long)row->peer_id, (long long)row->id, reason);
			mark(ob, MARK_FAILED, row->id, 0, now, NULL, reason);
			file_failed(ob, row, reason);
			*ch->m_failed += 1;
			outq_done(q->q, n, 0, 0, now);
			outq_node_free(n);
			break;
		}
		int64_t delay = res->retry_after_ms > 0 ? res->retry_after_ms
							: backoff_ms(ob, row->attempts);
		row->next_attempt_ms = now + delay;
		mark(ob, MARK_RETRY, row->id, row->next_attempt_ms, now, NULL, res->reason);
		*ch->m_retries += 1;
		log_warn("outbox: %s chat %lld row %lld: retry %d in %lld ms (code %d: %s)",
			 ch->name, (long long)row->peer_id, (long long)row->id, row->attempts,
			 (long long)delay, res->code, res->reason);
		/* retry_after holds this chat (its later rows too), not the channel. */
		outq_done(q->q, n, 1, res->retry_after_ms > 0 ? row->next_attempt_ms : 0, now);
		break;
	}
	case SEND_FAILED:
		log_error("outbox: %s chat %lld row %lld failed for good (code %d: %s)",
			  ch->name, (long long)row->peer_id, (long long)row->id, res->code,
			  res->reason);
		mark(ob, MARK_FAILED, row->id, 0, now, NULL, res->reason);
		file_failed(ob, row, res->reason);
		channel_count_failure(ch, res->code);
		*ch->m_failed += 1;
		outq_done(q->q, n, 0, 0, now);
		outq_node_free(n);
		break;
	case SEND_BLOCKED:
		log_warn("outbox: %s chat %lld cannot receive messages (code %d: %s); stopping",
			 ch->name, (long long)row->peer_id, res->code, res->reason);
		mark(ob, MARK_FAILED, row->id, 0, now, NULL, res->reason);
		file_failed(ob, row, res->reason);
		mark(ob, MARK_BLOCKED, row->peer_id, 0, now, ch->name, res->reason);
		channel_count_failure(ch, res->code);
		*ch->m_blocked += 1;
		*ch->m_failed += 1;
		fail_chat(q, p, "customer cannot receive messages (blocked the bot)", now);
		outq_done(q->q, n, 0, 0, now);
		outq_node_free(n);
		return;
	}
	peer_refill(q, p, now);
}

static void request_ended(struct in_flight *f, const struct send_result *res, size_t n_res)
{
	struct chanq *q = f->q;
	struct outbox *ob = q->ob;
	struct channel *ch = q->ch;
	q->in_flight--;
	int64_t now = clock_now_ms();
	int64_t rtt = now - f->started_ms > 0 ? now - f->started_ms : 0;
	q->latency_ms = q->latency_ms * (1 - LATENCY_ALPHA) + (double)rtt * LATENCY_ALPHA;
	/* The minimum over the last RTT_SAMPLES answers, so it follows a network that
	 * slows down. */
	if (q->rtt_samples == 0 || rtt < q->rtt_min)
		q->rtt_min = rtt;
	if (q->rtt_samples % RTT_SAMPLES == 0 || rtt < q->rtt_min_next)
		q->rtt_min_next = rtt;
	if (++q->rtt_samples % RTT_SAMPLES == 0)
		q->rtt_min = q->rtt_min_next;
	outq_budget_arrived(q->q, f->ticket, now - q->rtt_min);
	for (size_t i = 0; i < f->n; i++) {
		const struct send_result *r = &res[i < n_res ? i : n_res - 1];
		if (r->pause_channel_ms > 0 && now + r->pause_channel_ms > q->paused_until_ms) {
			q->paused_until_ms = now + r->pause_channel_ms;
			log_warn("outbox: %s paused for %lld ms (code %d: %s)", ch->name,
				 (long long)r->pause_channel_ms, r->code, r->reason);
		}
		finish_row(q, f->nodes[i], r, now);
	}
	if (ch->batch_off && !q->logged_batch_off) {
		q->logged_batch_off = 1;
		log_warn("outbox: %s refused batched sends; sending one row per request from now on",
			 ch->name);
	}
	free(f);
	if (q->reload_pending && q->in_flight == 0)
		reload(q);
	kick(ob);
}

static void sent_cb(void *arg, const struct send_result *res)
{
	request_ended(arg, res, 1);
}

static void batch_cb(void *arg, const struct send_result *res, size_t n)
{
	struct in_flight *f = arg;
	if (n != f->n) {
		/* A channel bug; every row is retried rather than guessed at. */
		log_error("outbox: %s answered %zu results for a batch of %zu", f->q->ch->name,
			  n, f->n);
		struct send_result *all = xcalloc(f->n, sizeof *all);
		for (size_t i = 0; i < f->n; i++) {
			all[i].outcome = SEND_RETRY;
			snprintf(all[i].reason, sizeof all[i].reason, "batch answer of the wrong size");
		}
		request_ended(f, all, f->n);
		free(all);
		return;
	}
	request_ended(f, res, n);
}

/* ---- the pump ---- */

static int batchable(const struct outq_node *n)
{
	return n && (!n->row.kind || strcmp(n->row.kind, "message") == 0);
}

static int window_of(const struct chanq *q)
{
	return outbox_window(q->ch->rate_per_s, q->latency_ms, q->ch->max_in_flight);
}

static size_t text_bytes(const struct outq_node *n)
{
	return (n->row.text ? strlen(n->row.text) : 0) + (n->row.keyboard ? strlen(n->row.keyboard) : 0);
}


/* Loads a file row's bytes (the snapshot its extra names) before its first attempt;
 * on failure fills res: a store that cannot answer now is a retry, a snapshot that is
 * gone (or a channel that cannot send files) a permanent failure. */
static int load_file(struct outbox *ob, struct outbox_row *row, struct send_result *res)
{
	*res = (struct send_result){.outcome = SEND_FAILED};
	if (row->file_data)
		return 0;
	cJSON *x = row->extra ? cJSON_Parse(row->extra) : NULL;
	int64_t id = json_int(x, "file_id", 0);
	cJSON_Delete(x);
	struct store_file sf;
	int found = id > 0 ? store_file_get(ob->store, id, &sf) : 0;
	if (found < 0) {
		res->outcome = SEND_RETRY;
		snprintf(res->reason, sizeof res->reason, "file %lld: the store cannot read it now",
			 (long long)id);
		return -1;
	}
	if (!found || strcmp(sf.state, "ok") != 0 || !sf.data) {
		snprintf(res->reason, sizeof res->reason, "file %lld is not in the store", (long long)id);
		if (found)
			store_file_clear(&sf);
		return -1;
	}
	row->file_data = sf.data;
	row->file_len = sf.len;
	sf.data = NULL;
	store_file_clear(&sf);
	return 0;
}

/* Starts one request: a single row, or a batch of ready rows from different chats. */
static void start_request(struct chanq *q, int64_t now, uint64_t ticket)
{
	struct channel *ch = q->ch;
	struct outq_node *first = outq_take(q->q, now);
	size_t max = ch->caps.batch_send && !ch->batch_off ? ch->max_batch : 1;
	if (max > BATCH_MAX)
		max = BATCH_MAX;
	if (!batchable(first) || max < 1)
		max = 1;
	struct in_flight *f = xmalloc(sizeof *f + max * sizeof f->nodes[0]);
	f->q = q;
	f->started_ms = now;
	f->ticket = ticket;
	f->n = 0;
	f->nodes[f->n++] = first;
	size_t bytes = text_bytes(first);
	while (f->n < max && outq_ready(q->q, now)) {
		const struct outq_node *next = outq_peek(q->q);
		if (!batchable(next) || bytes + text_bytes(next) > ch->max_batch_bytes)
			break;
		bytes += text_bytes(next);
		f->nodes[f->n++] = outq_take(q->q, now);
	}
	q->in_flight++;
	int r;
	struct send_result file_res;
	if (f->n == 1 && is_file(&first->row) && load_file(q->ob, &first->row, &file_res) < 0) {
		request_ended(f, &file_res, 1);
		return;
	}
	if (f->n == 1) {
		r = ch->ops->send(ch, &f->nodes[0]->row, sent_cb, f);
	} else {
		const struct outbox_row *rows[BATCH_MAX];
		for (size_t i = 0; i < f->n; i++)
			rows[i] = &f->nodes[i]->row;
		r = ch->ops->send_batch(ch, rows, f->n, batch_cb, f);
	}
	if (r < 0) {
		/* Could not even start: a transient failure for each row. */
		struct send_result res = {.outcome = SEND_RETRY};
		snprintf(res.reason, sizeof res.reason, "could not start the request");
		struct send_result *all = xcalloc(f->n, sizeof *all);
		for (size_t i = 0; i < f->n; i++)
			all[i] = res;
		request_ended(f, all, f->n);
		free(all);
	}
}

/* Starts every request that may start now; returns the earliest time anything waiting
 * becomes due (INT64_MAX if nothing waits on time). */
static int64_t pump(struct chanq *q, int64_t now)
{
	struct outbox *ob = q->ob;
	if (!q->active)
		return INT64_MAX;
	if (q->overflow && outq_len(q->q) < QUEUE_LOW)
		refill_from_store(q, now);
	if (ob->draining)
		return INT64_MAX;
	if (now < q->paused_until_ms)
		return q->paused_until_ms;
	int64_t wake = INT64_MAX;
	int window = window_of(q);
	while (q->in_flight < window && outq_ready(q->q, now)) {
		int64_t budget_at;
		if (!outq_take_budget(q->q, now, &budget_at)) {
			wake = budget_at;
			break;
		}
		start_request(q, now, outq_last_ticket(q->q));
		if (now < q->paused_until_ms)
			return q->paused_until_ms; /* a request failed at once and paused us */
	}
	int64_t due = outq_next_due(q->q);
	return due < wake ? due : wake;
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

struct outbox *outbox_new(uv_loop_t *loop, struct store *store)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);
	ob->store = store;
	ob->seed = (unsigned int)clock_now_ms();
	uv_timer_init(loop, &ob->timer);
	ob->timer.data = ob;
	uv_idle_init(loop, &ob->kick);
	ob->kick.data = ob;
	uv_check_init(loop, &ob->flush);
	ob->flush.data = ob;
	uv_check_start(&ob->flush, flush_cb);
	uv_unref((uv_handle_t *)&ob->flush); /* marks alone do not keep the loop alive */
	ob->open_handles = 3;
	return ob;
}

/* Reads the channel's pending rows from the store into a fresh queue (no request may be
 * in flight: their nodes live in the old one). The count, or -1. */
static int load_pending(struct chanq *q)
{
	int64_t now = clock_now_ms();
	struct outq_limits lim;
	limits_of(q->ch, &lim);
	if (q->q)
		outq_free(q->q);
	q->q = outq_new(&lim, now);
	q->max_id = 0;
	q->overflow = 0;
	q->reload_pending = 0;
	struct load_ctx c = {q, now};
	int got = store_outbox_each_pending(q->ob->store, q->ch->name, 0, QUEUE_HIGH, load_row, &c);
	if (got >= 0)
		q->overflow = got == QUEUE_HIGH;
	return got;
}

static void reload(struct chanq *q)
{
	int got = load_pending(q);
	if (got < 0)
		q->reload_pending = 1; /* logged by the store; tried again after the next request */
	else if (got)
		log_info("outbox: %s has %d pending row(s) in the store%s", q->ch->name, got,
			 q->overflow ? " (and more)" : "");
}

static int add_channel(struct outbox *ob, struct channel *ch, int active)
{
	if (ob->n_qs >= OUTBOX_MAX_CHANNELS)
		return -1;
	struct chanq *q = &ob->qs[ob->n_qs];
	*q = (struct chanq){.ob = ob, .ch = ch, .latency_ms = LATENCY_START_MS, .active = active};
	int got = 0;
	if (active) {
		got = load_pending(q);
	} else {
		struct outq_limits lim;
		limits_of(ch, &lim);
		q->q = outq_new(&lim, clock_now_ms());
	}
	if (got < 0) {
		outq_free(q->q);
		return -1;
	}
	ob->n_qs++;
	if (got)
		log_info("outbox: %s has %d pending row(s) from before the restart%s", ch->name,
			 got, q->overflow ? " (and more in the store)" : "");
	kick(ob);
	return 0;
}

int outbox_add_channel(struct outbox *ob, struct channel *ch)
{
	return add_channel(ob, ch, 1);
}

int outbox_add_channel_idle(struct outbox *ob, struct channel *ch)
{
	return add_channel(ob, ch, 0);
}

void outbox_set_active(struct outbox *ob, const char *channel, int active)
{
	struct chanq *q = queue_of(ob, channel);
	if (!q || q->active == active)
		return;
	q->active = active;
	if (active) {
		/* Another instance may have sent, or queued, anything since: start from the
		 * store. Requests still in flight from before keep their nodes until they end. */
		if (q->in_flight)
			q->reload_pending = 1;
		else
			reload(q);
		kick(ob);
	}
}

/* How far below the highest row id seen a rescan looks again: another instance's
 * transaction may commit a lower id after a higher one was seen. */
#define RESCAN_BACK 512

static void rescan_row(void *arg, struct outbox_row *row)
{
	struct load_ctx *c = arg;
	if (outq_holds(c->q->q, row->peer_id, row->id))
		outbox_row_free(row);
	else
		admit(c->q, row, c->now);
}

int outbox_rescan(struct outbox *ob, const char *channel)
{
	struct chanq *q = queue_of(ob, channel);
	if (!q || !q->active || q->reload_pending || ob->draining)
		return 0;
	if (q->overflow) {
		kick(ob); /* the rows above max_id come back with the refill */
		return 0;
	}
	int64_t now = clock_now_ms();
	struct load_ctx c = {q, now};
	size_t before = outq_len(q->q);
	int64_t from = q->max_id > RESCAN_BACK ? q->max_id - RESCAN_BACK : 0;
	int got = store_outbox_each_pending(ob->store, channel, from, QUEUE_HIGH, rescan_row, &c);
	if (got < 0)
		return -1;
	if (got == QUEUE_HIGH)
		q->overflow = 1;
	size_t added = outq_len(q->q) > before ? outq_len(q->q) - before : 0;
	if (added)
		kick(ob);
	return (int)added;
}

int outbox_queue_row(struct outbox *ob, struct outbox_row *row)
{
	struct store *st = ob->store;
	/* A unit of work of its own: the row reaches the queue once it is committed. */
	struct store_tx *tx = store_begin(st);
	int result = tx ? store_outbox_add(tx, row) : -1;
	if (result < 0)
		store_rollback(tx);
	else
		result = store_commit(tx);
	if (result < 0) {
		outbox_row_free(row);
		return -1;
	}
	outbox_enqueue(ob, row->channel, row);
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
	if (!q->active) {
		/* Committed; the instance holding the channel finds it in the store. */
		outbox_row_free(row);
		return;
	}
	if (q->overflow || outq_len(q->q) >= QUEUE_HIGH) {
		/* Committed to the store already; it is read back when its turn comes. */
		q->overflow = 1;
		outbox_row_free(row);
		kick(ob);
		return;
	}
	admit(q, row, clock_now_ms());
	kick(ob);
}

void outbox_charge(struct outbox *ob, const char *channel)
{
	struct chanq *q = ob ? queue_of(ob, channel) : NULL;
	if (q)
		outq_charge(q->q, clock_now_ms());
}

int outbox_try_charge(struct outbox *ob, const char *channel)
{
	struct chanq *q = ob ? queue_of(ob, channel) : NULL;
	int64_t wake;
	return !q || outq_take_budget(q->q, clock_now_ms(), &wake);
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
	/* The store may be closed by now: outbox_close wrote the marks there were. */
	if (ob->n_marks)
		log_warn("outbox: %zu delivery mark(s) came after close and are not written",
			 ob->n_marks);
	for (size_t i = 0; i < ob->n_marks; i++)
		free(ob->marks[i].text);
	free(ob->marks);
	for (int i = 0; i < ob->n_qs; i++)
		outq_free(ob->qs[i].q);
	free(ob);
}

void outbox_close(struct outbox *ob)
{
	if (!ob)
		return;
	outbox_drain(ob);
	flush_marks(ob);
	uv_close((uv_handle_t *)&ob->timer, handle_closed);
	uv_close((uv_handle_t *)&ob->kick, handle_closed);
	uv_close((uv_handle_t *)&ob->flush, handle_closed);
}
