/* fastfake: a fast fake VK / Telegram bot API for bench/channels.py only.
 *
 *   fastfake --kind vk|telegram --port 0 --port-file F --messages N --chats C
 *            [--token T] [--max-seconds 600]
 *
 * The Python fakes in tests/fakes are the reference (full wire formats, faults,
 * control API) but cost 130-260 us of CPU per request, so under load they, not the
 * bot, set the pace. This one speaks only the calls deskbot makes under load, with
 * minimal HTTP/1.1 (keep-alive, Content-Length bodies) on one libuv loop, bound to
 * 127.0.0.1 only.
 *
 * It holds N pre-generated customer messages over C chats (message i: chat
 * base + i % C, text cycling over six phrases, message id i + 1). Polls see none of
 * them until released:
 *   POST /_start                     release the whole burst
 *   POST /_stream?rate=R&count=K     release K more at R per second; latency figures
 *                                    then cover only those
 *   GET  /_stats                     {"delivered","sent","answered",
 *        "first_deliver_ns","last_answer_ns","p50_ms","p99_ms","max_ms", plus
 *        consistency counters: "multi_replied" (messages with more than one linked
 *        reply), "extra_replies", "unlinked" (sends naming no message), "bad_reply_to"
 *        (naming a message never delivered), "wrong_chat", "dup_random_id" (VK sends
 *        suppressed as duplicates, like VK does), "polls", "requests", "held"}
 * Times are CLOCK_MONOTONIC ns. Delivery time of a message: when it was first
 * returned to the bot; latency: first linked reply's receive time minus that.
 *
 * Telegram: POST /bot<T>/getUpdates {"offset","timeout","limit"} (long poll),
 * sendMessage, answerCallbackQuery. VK: POST /method/groups.getLongPollServer,
 * GET /lp?act=a_check&key=k&ts=T&wait=W (long poll, up to 100 events after T),
 * /method/messages.send, users.get (minimal profiles, like the Python fake),
 * messages.sendMessageEventAnswer; VK execute with the VKScript deskbot sends
 * (return [API.messages.send({...}),...];), answered as the real API does.
 *
 * Limits and latency (issue 13):
 *   --limits 1         VK: error 6 for a /method/ call above 20 in any second (one
 *                      token); Telegram: 429 with retry_after 1 for a sendMessage above
 *                      30 in any second, or above a chat's allowance (a bucket of 3
 *                      refilled at 1 a second; 20 a minute for group chats, ids < 0),
 *                      with 100 ms of tolerance for network jitter. "refused" counts them.
 *   --latency-ms N     every API request (not long polls) is answered N ms after it
 *                      arrives; --max-concurrent C serves at most C at a time (the rest
 *                      queue), so the fake's own capacity is C * 1000 / N requests/s.
 *   --flood F          messages [0, F) all come from one chat (the flood), the rest
 *                      from the other chats; latency figures then cover the rest only.
 *   --spread 1         the same chats, but message i's chat is (i % C) * step % C (step
 *                      coprime with C, near 0.618 C): a poll's consecutive messages come
 *                      from chats scattered over the id range, as real customers' ids are,
 *                      not from C consecutive ids (whose store index entries sit side by
 *                      side and make a few chats per page look cheap). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#define HEAD 192                 /* room reserved before a response body for headers */
#define READ_MIN 16384           /* free space offered to each read */
#define MAX_REQUEST (8u << 20)   /* a bigger request closes the connection */
#define DATE 1718000000

enum kind { K_VK, K_TG };

static const char *const texts[] = {"как проверить баланс", "как подключить роуминг",
				    "привет", "спасибо", "сколько стоит тариф смарт",
				    "не работает интернет"};
#define N_TEXTS (sizeof texts / sizeof texts[0])

struct conn {
	uv_tcp_t h;
	char *buf;
	size_t len, cap;
	size_t req_len;      /* bytes of the request being answered */
	int closing;
	int sent_continue;
	int held;            /* a long poll waiting for messages */
	int pending;         /* delayed answers not yet written (--latency-ms) */
	int dead;            /* closed while answers were pending: freed by the last */
	int64_t want;        /* telegram: offset; vk: ts */
	int limit;
	uint64_t deadline_ns;
	struct conn *wprev, *wnext;
};

struct wreq {
	uv_write_t w;
	uv_buf_t b;
	struct conn *c;
	char data[];
};

struct sbuf {
	char *p;
	size_t len, cap;
};

static struct {
	enum kind kind;
	int port;
	const char *port_file;
	int64_t n, chats, chat_base;
	const char *token;
	double max_seconds;
	char tg_prefix[512];
	size_t tg_prefix_len;
	char lp_server[64];

	int64_t released;       /* messages [0, released) are visible to polls */
	int64_t *deliver_ns, *answer_ns;
	uint32_t *replies;
	double *lat;            /* scratch for percentiles */
	int64_t delivered, sent, answered, multi_replied, extra_replies, unlinked, bad_reply,
		wrong_chat, dup_random;
	int64_t first_deliver_ns, last_answer_ns;
	int64_t lat_from;       /* latency figures cover messages >= this index */
	int64_t polls, requests, held;
	int64_t next_out_id;

	int streaming;
	int64_t s_from, s_target;
	double s_rate;
	uint64_t s_t0;

	/* VK random_id -> message id, open addressing (0 = empty) */
	int64_t *rid_key, *rid_val;
	size_t rid_mask, rid_used;

	/* /_stats cache */
	int64_t stats_answered;
	double p50, p99, pmax;

	uv_loop_t *loop;
	uv_tcp_t server;
	uv_timer_t hold_timer, stream_timer, max_timer;
	uv_signal_t sigterm, sigint;
	struct conn *waiters;

	/* --flood, --spread, --limits, --latency-ms, --max-concurrent */
	int64_t flood;
	int64_t spread; /* 0, or the step (coprime with chats) that scatters chat ids */
	int64_t n_texts; /* texts used: the first n_texts of texts[] (the last one opens cases) */
	int limits;
	int64_t latency_ms, max_concurrent;
	int defer;              /* the answer being built is an API call's: delay it */
	int64_t refused, execute_requests, execute_calls, api_requests;
	int64_t lat_answered;   /* messages >= lat_from with a reply */
	int64_t refused_sends;  /* of refused: sends (execute, messages.send, sendMessage) */
	uv_timer_t delay_timer;
} g;

static struct sbuf out;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "fastfake: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "fastfake: out of memory\n");
		exit(1);
	}
	return p;
}

/* ------------------------------------------------------------------ output buffer */

static void sb_reserve(struct sbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap < b->len + more)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_int(struct sbuf *b, int64_t v)
{
	char tmp[24];
	char *e = tmp + sizeof tmp, *p = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	sb_put(b, p, (size_t)(e - p));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	sb_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

#define LIT(b, s) sb_put((b), (s), sizeof(s) - 1)

/* ------------------------------------------------------------------ connections */

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (c->pending) {
		c->dead = 1; /* the last delayed answer frees it */
		return;
	}
	free(c->buf);
	free(c);
}

static void unhold(struct conn *c)
{
	if (!c->held)
		return;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		g.waiters = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	c->wprev = c->wnext = NULL;
	c->held = 0;
	g.held--;
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	unhold(c);
	uv_close((uv_handle_t *)&c->h, conn_closed);
}

static void write_cb(uv_write_t *w, int status)
{
	struct wreq *r = (struct wreq *)w;
	if (status < 0 && status != UV_ECANCELED)
		conn_close(r->c);
	free(r);
}

static void write_raw(struct conn *c, const char *data, size_t len)
{
	if (c->closing)
		return;
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	int r = uv_try_write((uv_stream_t *)&c->h, &b, 1);
	if (r == (int)len)
		return;
	if (r < 0 && r != UV_EAGAIN) {
		conn_close(c);
		return;
	}
	size_t done = r > 0 ? (size_t)r : 0;
	struct wreq *w = xmalloc(sizeof *w + len - done);
	memcpy(w->data, data + done, len - done);
	w->b = uv_buf_init(w->data, (unsigned)(len - done));
	w->c = c;
	if (uv_write(&w->w, (uv_stream_t *)&c->h, &w->b, 1, write_cb) < 0) {
		free(w);
		conn_close(c);
	}
}

/* ------------------------------------------------------------------ delayed answers */

struct delayed {
	struct delayed *next;
	struct conn *c;
	uint64_t due_ns;
	size_t len;
	char data[];
};

static struct {
	struct delayed *head, *tail;   /* in service, due in order */
	struct delayed *whead, *wtail; /* waiting for a service slot */
	int64_t busy;
} dq;

static void delay_tick(uv_timer_t *t);

static void dq_serve(struct delayed *d, uint64_t now)
{
	d->due_ns = now + (uint64_t)g.latency_ms * 1000000u;
	d->next = NULL;
	if (dq.tail)
		dq.tail->next = d;
	else
		dq.head = d;
	dq.tail = d;
	dq.busy++;
}

static void write_delayed(struct conn *c, const char *data, size_t len)
{
	struct delayed *d = xmalloc(sizeof *d + len);
	memcpy(d->data, data, len);
	d->len = len;
	d->c = c;
	c->pending++;
	uint64_t now = now_ns();
	if (g.max_concurrent <= 0 || dq.busy < g.max_concurrent) {
		dq_serve(d, now);
	} else {
		d->next = NULL;
		if (dq.wtail)
			dq.wtail->next = d;
		else
			dq.whead = d;
		dq.wtail = d;
	}
	if (!uv_is_active((uv_handle_t *)&g.delay_timer))
		uv_timer_start(&g.delay_timer, delay_tick, 1, 1);
}

static void write_raw(struct conn *c, const char *data, size_t len);

static void delay_tick(uv_timer_t *t)
{
	uint64_t now = now_ns();
	while (dq.head && dq.head->due_ns <= now) {
		struct delayed *d = dq.head;
		dq.head = d->next;
		if (!dq.head)
			dq.tail = NULL;
		dq.busy--;
		struct conn *c = d->c;
		c->pending--;
		if (c->dead) {
			if (!c->pending) {
				free(c->buf);
				free(c);
			}
		} else {
			write_raw(c, d->data, d->len);
		}
		free(d);
		if (dq.whead) {
			struct delayed *w = dq.whead;
			dq.whead = w->next;
			if (!dq.whead)
				dq.wtail = NULL;
			dq_serve(w, now);
		}
	}
	if (!dq.head && !dq.whead)
		uv_timer_stop(t);
}

static void body_begin(void)
{
	out.len = 0;
	sb_reserve(&out, HEAD);
	out.len = HEAD;
}

/* Sends the body built since body_begin() with its headers in front. */
static void respond(struct conn *c, int status)
{
	const char *reason = status == 200   ? "OK"
			     : status == 401 ? "Unauthorized"
			     : status == 429 ? "Too Many Requests"
					     : "Not Found";
	char h[HEAD];
	size_t blen = out.len - HEAD;
	int hl = snprintf(h, sizeof h,
			  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			  "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
			  status, reason, blen);
	char *start = out.p + HEAD - hl;
	memcpy(start, h, (size_t)hl);
	if (g.defer && g.latency_ms > 0)
		write_delayed(c, start, (size_t)hl + blen);
	else
		write_raw(c, start, (size_t)hl + blen);
}

static void respond_lit(struct conn *c, int status, const char *body)
{
	body_begin();
	sb_puts(&out, body);
	respond(c, status);
}

/* ------------------------------------------------------------------ scanning */

static int64_t gcd(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static int64_t chat_of(int64_t i)
{
	if (g.flood > 0)
		return i < g.flood ? g.chat_base : g.chat_base + 1 + (i - g.flood) % g.chats;
	if (g.spread)
		return g.chat_base + (i % g.chats) * g.spread % g.chats;
	return g.chat_base + i % g.chats;
}

/* Number after "key" in a JSON text (NUL-terminated): skips ':', spaces, a quote. */
static int64_t jnum(const char *s, const char *key, int64_t def)
{
	const char *p = s ? strstr(s, key) : NULL;
	if (!p)
		return def;
	p += strlen(key);
	while (*p == ' ' || *p == ':' || *p == '\t' || *p == '"')
		p++;
	char *end;
	long long v = strtoll(p, &end, 10);
	return end == p ? def : (int64_t)v;
}

/* Value of key in a query string or urlencoded form of length n. */
static const char *qparam(const char *q, size_t n, const char *key, size_t *vlen)
{
	size_t kl = strlen(key);
	const char *e = q + n, *p = q;
	while (p < e) {
		const char *amp = memchr(p, '&', (size_t)(e - p));
		const char *end = amp ? amp : e;
		if ((size_t)(end - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
			*vlen = (size_t)(end - p - (ptrdiff_t)kl - 1);
			return p + kl + 1;
		}
		p = end + 1;
	}
	return NULL;
}

static int64_t qnum(const char *q, size_t n, const char *key, int64_t def)
{
	size_t vl;
	const char *v = qparam(q, n, key, &vl);
	if (!v || !vl || vl > 20)
		return def;
	char tmp[24];
	memcpy(tmp, v, vl);
	tmp[vl] = 0;
	char *end;
	long long x = strtoll(tmp, &end, 10);
	return end == tmp ? def : (int64_t)x;
}

/* ------------------------------------------------------------------ messages */

static void mark_delivered(int64_t i, uint64_t t)
{
	if (g.deliver_ns[i])
		return;
	g.deliver_ns[i] = (int64_t)t;
	g.delivered++;
	if (!g.first_deliver_ns)
		g.first_deliver_ns = (int64_t)t;
}

static void record_reply(uint64_t t, int64_t chat, int64_t reply_to)
{
	g.sent++;
	if (reply_to <= 0) {
		g.unlinked++;
		return;
	}
	int64_t i = reply_to - 1;
	if (i >= g.n || !g.deliver_ns[i]) {
		g.bad_reply++;
		return;
	}
	if (chat != chat_of(i))
		g.wrong_chat++;
	uint32_t k = g.replies[i]++;
	if (k == 0) {
		g.answer_ns[i] = (int64_t)t;
		g.answered++;
		if ((int64_t)t > g.last_answer_ns)
			g.last_answer_ns = (int64_t)t;
	} else {
		g.extra_replies++;
		if (k == 1)
			g.multi_replied++;
	}
}

/* Builds and sends the answer to a long poll (possibly empty); the request is done. */
static void answer_poll(struct conn *c)
{
	uint64_t t = now_ns();
	body_begin();
	if (g.kind == K_TG) {
		int64_t first = c->want > 0 ? c->want - 1 : 0;
		int64_t end = first + c->limit;
		if (end > g.released)
			end = g.released;
		LIT(&out, "{\"ok\":true,\"result\":[");
		for (int64_t i = first; i < end; i++) {
			int64_t chat = chat_of(i);
			if (i > first)
				LIT(&out, ",");
			LIT(&out, "{\"update_id\":");
			sb_int(&out, i + 1);
			LIT(&out, ",\"message\":{\"message_id\":");
			sb_int(&out, i + 1);
			LIT(&out, ",\"from\":{\"id\":");
			sb_int(&out, chat);
			LIT(&out, ",\"is_bot\":false,\"first_name\":\"A\"},\"chat\":{\"id\":");
			sb_int(&out, chat);
			LIT(&out, ",\"type\":\"private\"},\"date\":1718000000,\"text\":\"");
			sb_puts(&out, texts[i % g.n_texts]);
			LIT(&out, "\"}}");
			mark_delivered(i, t);
		}
		LIT(&out, "]}");
	} else {
		int64_t first = c->want > 0 ? c->want : 0;
		int64_t end = first + 100;
		if (end > g.released)
			end = g.released;
		if (end < first)
			end = first;
		LIT(&out, "{\"ts\":\"");
		sb_int(&out, end);
		LIT(&out, "\",\"updates\":[");
		for (int64_t i = first; i < end; i++) {
			int64_t chat = chat_of(i);
			if (i > first)
				LIT(&out, ",");
			LIT(&out, "{\"type\":\"message_new\",\"event_id\":\"e");
			sb_int(&out, i + 1);
			LIT(&out, "\",\"v\":\"5.199\",\"group_id\":1,\"object\":{\"message\":{\"id\":");
			sb_int(&out, i + 1);
			LIT(&out, ",\"date\":1718000000,\"peer_id\":");
			sb_int(&out, chat);
			LIT(&out, ",\"from_id\":");
			sb_int(&out, chat);
			LIT(&out, ",\"out\":0,\"text\":\"");
			sb_puts(&out, texts[i % g.n_texts]);
			LIT(&out, "\",\"conversation_message_id\":");
			sb_int(&out, i + 1);
			LIT(&out, ",\"attachments\":[]},\"client_info\":{\"lang_id\":0}}}");
			mark_delivered(i, t);
		}
		LIT(&out, "]}");
	}
	respond(c, 200);
}

static int poll_ready(const struct conn *c)
{
	if (g.kind == K_TG)
		return (c->want > 0 ? c->want - 1 : 0) < g.released;
	return c->want < g.released;
}

static void consume(struct conn *c)
{
	if (c->req_len >= c->len)
		c->len = 0;
	else {
		memmove(c->buf, c->buf + c->req_len, c->len - c->req_len);
		c->len -= c->req_len;
	}
	c->req_len = 0;
}

static void process(struct conn *c);

static void finish_held(struct conn *c)
{
	unhold(c);
	answer_poll(c);
	consume(c);
	process(c);
}

static void wake_waiters(void)
{
	struct conn *c = g.waiters, *next;
	for (; c; c = next) {
		next = c->wnext;
		if (poll_ready(c))
			finish_held(c);
	}
}

static void hold_timer_cb(uv_timer_t *t)
{
	uint64_t now = now_ns();
	struct conn *c = g.waiters, *next;
	for (; c; c = next) {
		next = c->wnext;
		if (c->deadline_ns <= now)
			finish_held(c);
	}
}

/* Answers now if there is something to deliver, else holds up to timeout_s. */
static void long_poll(struct conn *c, int64_t want, int limit, int64_t timeout_s)
{
	g.polls++;
	c->want = want;
	c->limit = limit < 1 ? 1 : limit > 100 ? 100 : limit;
	if (poll_ready(c) || timeout_s <= 0) {
		answer_poll(c);
		return;
	}
	if (timeout_s > 90)
		timeout_s = 90;
	c->held = 1;
	g.held++;
	c->deadline_ns = now_ns() + (uint64_t)timeout_s * 1000000000u;
	c->wprev = NULL;
	c->wnext = g.waiters;
	if (g.waiters)
		g.waiters->wprev = c;
	g.waiters = c;
}

static void stream_tick(uv_timer_t *t)
{
	uint64_t now = now_ns();
	int64_t due = g.s_from + 1 + (int64_t)((double)(now - g.s_t0) * g.s_rate / 1e9);
	if (due > g.s_target)
		due = g.s_target;
	if (due > g.released) {
		g.released = due;
		wake_waiters();
	}
	if (g.released >= g.s_target) {
		g.streaming = 0;
		uv_timer_stop(&g.stream_timer);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void stats(struct conn *c)
{
	if (g.stats_answered != g.answered) {
		size_t m = 0;
		for (int64_t i = g.lat_from; i < g.n; i++)
			if (g.replies[i])
				g.lat[m++] = (double)(g.answer_ns[i] - g.deliver_ns[i]) / 1e6;
		qsort(g.lat, m, sizeof *g.lat, cmp_double);
		if (m) {
			g.p50 = m % 2 ? g.lat[m / 2] : (g.lat[m / 2 - 1] + g.lat[m / 2]) / 2;
			size_t k = (size_t)((double)m * 0.99);
			g.p99 = g.lat[k ? k - 1 : 0];
			g.pmax = g.lat[m - 1];
		}
		g.stats_answered = g.answered;
		g.lat_answered = (int64_t)m;
	}
	body_begin();
	sb_printf(&out,
		  "{\"delivered\":%" PRId64 ",\"sent\":%" PRId64 ",\"answered\":%" PRId64
		  ",\"first_deliver_ns\":%" PRId64 ",\"last_answer_ns\":%" PRId64
		  ",\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"released\":%" PRId64
		  ",\"messages\":%" PRId64 ",\"multi_replied\":%" PRId64 ",\"extra_replies\":%" PRId64
		  ",\"unlinked\":%" PRId64 ",\"bad_reply_to\":%" PRId64 ",\"wrong_chat\":%" PRId64
		  ",\"dup_random_id\":%" PRId64 ",\"polls\":%" PRId64 ",\"requests\":%" PRId64
		  ",\"held\":%" PRId64 ",\"streaming\":%d,\"refused\":%" PRId64
		  ",\"execute_requests\":%" PRId64 ",\"execute_calls\":%" PRId64
		  ",\"api_requests\":%" PRId64 ",\"lat_from\":%" PRId64
		  ",\"lat_answered\":%" PRId64 ",\"refused_sends\":%" PRId64 "}",
		  g.delivered, g.sent, g.answered, g.first_deliver_ns, g.last_answer_ns, g.p50,
		  g.p99, g.pmax, g.released, g.n, g.multi_replied, g.extra_replies, g.unlinked,
		  g.bad_reply, g.wrong_chat, g.dup_random, g.polls, g.requests, g.held,
		  g.streaming, g.refused, g.execute_requests, g.execute_calls, g.api_requests,
		  g.lat_from, g.lat_answered, g.refused_sends);
	respond(c, 200);
}

/* VK random_id de-duplication: returns the earlier message id, or 0 (and remembers). */
static int64_t rid_check(int64_t rid, int64_t id)
{
	if (!rid || g.rid_used * 10 > g.rid_mask * 7)
		return 0;
	size_t h = (size_t)(((uint64_t)rid * 0x9E3779B97F4A7C15ull) >> 17) & g.rid_mask;
	while (g.rid_key[h]) {
		if (g.rid_key[h] == rid)
			return g.rid_val[h];
		h = (h + 1) & g.rid_mask;
	}
	g.rid_key[h] = rid;
	g.rid_val[h] = id;
	g.rid_used++;
	return 0;
}

static int path_is(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n == l && strncasecmp(p, lit, l) == 0;
}

/* ------------------------------------------------------------------ limits */

#define WIN_MAX 64
#define CHAT_SLOTS 65536 /* per-chat buckets (Telegram), open addressing */
#define NS 1000000000ull

/* At most n starts in any second. */
struct win {
	uint64_t t[WIN_MAX];
	int n, at, used;
};

static struct win vk_win = {.n = 20}, tg_win = {.n = 30};

static int win_allow(struct win *w, uint64_t now)
{
	if (w->used == w->n) {
		if (w->t[w->at] + NS > now)
			return 0;
	} else {
		w->used++;
	}
	w->t[w->at] = now;
	w->at = (w->at + 1) % w->n;
	return 1;
}

static struct chat_bucket {
	int64_t chat;
	int used;
	double tokens;
	uint64_t at;
} *buckets;

static struct chat_bucket *bucket_of(int64_t chat, uint64_t now)
{
	if (!buckets)
		buckets = calloc(CHAT_SLOTS, sizeof *buckets);
	size_t h = (size_t)(((uint64_t)chat * 0x9E3779B97F4A7C15ull) >> 20) & (CHAT_SLOTS - 1);
	for (size_t k = 0; k < CHAT_SLOTS; k++, h = (h + 1) & (CHAT_SLOTS - 1)) {
		struct chat_bucket *b = &buckets[h];
		if (!b->used) {
			*b = (struct chat_bucket){.chat = chat, .used = 1, .tokens = chat < 0 ? 1 : 3,
						  .at = now};
			return b;
		}
		if (b->chat == chat)
			return b;
	}
	return NULL; /* full: no per-chat limit for it */
}

/* Telegram's allowance for a sendMessage to chat: 1 when it may go. */
static int tg_allow(int64_t chat, uint64_t now)
{
	struct chat_bucket *b = bucket_of(chat, now);
	double rate = chat < 0 ? 20.0 / 60.0 : 1.0, burst = chat < 0 ? 1 : 3;
	if (b) {
		b->tokens += (double)(now - b->at) / 1e9 * rate;
		if (b->tokens > burst)
			b->tokens = burst;
		b->at = now;
		if (b->tokens < 0.9) /* 0.1 token of tolerance for jitter */
			return 0;
	}
	if (!win_allow(&tg_win, now))
		return 0;
	if (b)
		b->tokens -= 1;
	return 1;
}

static void tg_refuse(struct conn *c)
{
	g.refused++;
	g.refused_sends++;
	respond_lit(c, 429, "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many "
			    "Requests: retry after 1\",\"parameters\":{\"retry_after\":1}}");
}

static void handle_tg(struct conn *c, const char *m, size_t ml, const char *body)
{
	if (g.limits && path_is(m, ml, "sendMessage") &&
	    !tg_allow(jnum(body, "\"chat_id\"", 0), now_ns())) {
		tg_refuse(c);
		return;
	}
	if (path_is(m, ml, "getUpdates")) {
		long_poll(c, jnum(body, "\"offset\"", 0), (int)jnum(body, "\"limit\"", 100),
			  jnum(body, "\"timeout\"", 0));
	} else if (path_is(m, ml, "sendMessage")) {
		uint64_t t = now_ns();
		int64_t chat = jnum(body, "\"chat_id\"", 0);
		const char *rp = strstr(body, "\"reply_parameters\"");
		int64_t reply_to = rp ? jnum(rp, "\"message_id\"", 0)
				      : jnum(body, "\"reply_to_message_id\"", 0);
		record_reply(t, chat, reply_to);
		body_begin();
		LIT(&out, "{\"ok\":true,\"result\":{\"message_id\":");
		sb_int(&out, ++g.next_out_id);
		LIT(&out, ",\"chat\":{\"id\":");
		sb_int(&out, chat);
		LIT(&out, "},\"date\":1718000000}}");
		respond(c, 200);
	} else {
		respond_lit(c, 200, "{\"ok\":true,\"result\":true}");
	}
}

static void users_get(struct conn *c, const char *form, size_t n)
{
	size_t vl = 0;
	const char *v = qparam(form, n, "user_ids", &vl);
	body_begin();
	LIT(&out, "{\"response\":[");
	int first = 1;
	const char *p = v, *e = v ? v + vl : NULL;
	while (p && p < e) {
		char *end;
		long long id = strtoll(p, &end, 10);
		if (end == p)
			break;
		if (!first)
			LIT(&out, ",");
		first = 0;
		LIT(&out, "{\"id\":");
		sb_int(&out, id);
		LIT(&out, ",\"first_name\":\"Анна\",\"last_name\":\"Клиент\",\"can_access_closed\":"
			  "true,\"is_closed\":false,\"screen_name\":\"id");
		sb_int(&out, id);
		LIT(&out, "\",\"followers_count\":0}");
		p = end;
		if (p < e && *p == ',')
			p++;
		else if (e - p >= 3 && strncasecmp(p, "%2C", 3) == 0)
			p += 3;
		else
			break;
	}
	LIT(&out, "]}");
	respond(c, 200);
}

/* Percent-decodes a form value (+ is a space) into a new NUL-terminated string. */
static char *url_decode(const char *v, size_t n)
{
	char *o = xmalloc(n + 1), *p = o;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '+') {
			*p++ = ' ';
		} else if (v[i] == '%' && i + 2 < n) {
			char hex[3] = {v[i + 1], v[i + 2], 0};
			*p++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*p++ = v[i];
		}
	}
	*p = 0;
	return o;
}

/* End of the JSON object starting at p ('{'), or NULL. */
static char *object_end(char *p)
{
	int depth = 0, in_str = 0;
	for (; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"') {
			in_str = 1;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth == 0) {
			return p;
		}
	}
	return NULL;
}

/* execute with the code deskbot sends: return [API.messages.send({...}),...]; */
static void vk_execute(struct conn *c, const char *form, size_t n)
{
	size_t vl = 0;
	char *code = NULL;
	if (n > 2 && form[0] == '-' && form[1] == '-') {
		/* multipart/form-data: the code part's value runs to the next boundary line */
		const char *h = strstr(form, "name=\"code\"\r\n\r\n");
		const char *e = h ? strstr(h, "\r\n--") : NULL;
		if (h && e) {
			h += 15;
			code = xmalloc((size_t)(e - h) + 1);
			memcpy(code, h, (size_t)(e - h));
			code[e - h] = 0;
		}
	} else {
		const char *v = qparam(form, n, "code", &vl);
		code = v ? url_decode(v, vl) : NULL;
	}
	uint64_t t = now_ns();
	g.execute_requests++;
	body_begin();
	LIT(&out, "{\"response\":[");
	int calls = 0;
	for (char *p = code ? strstr(code, "API.messages.send(") : NULL; p;
	     p = strstr(p, "API.messages.send(")) {
		char *obj = p + 18, *end = *obj == '{' ? object_end(obj) : NULL;
		if (!end)
			break;
		char saved = end[1];
		end[1] = 0;
		int64_t peer = jnum(obj, "\"peer_id\"", 0);
		int64_t id = g.next_out_id + 1;
		int64_t earlier = rid_check(jnum(obj, "\"random_id\"", 0), id);
		if (earlier) {
			g.dup_random++;
			id = earlier;
		} else {
			g.next_out_id = id;
			record_reply(t, peer, jnum(obj, "\"reply_to\"", 0));
		}
		end[1] = saved;
		if (calls++)
			LIT(&out, ",");
		sb_int(&out, id);
		g.execute_calls++;
		p = end + 1;
	}
	LIT(&out, "]}");
	free(code);
	if (getenv("FASTFAKE_TRACE"))
		fprintf(stderr, "execute %.3f %d\n", (double)t / 1e9, calls);
	if (!calls || calls > 25) {
		respond_lit(c, 200, calls ? "{\"error\":{\"error_code\":13,\"error_msg\":\"Runtime "
					    "error occurred during code invocation: too many API calls\"}}"
					  : "{\"error\":{\"error_code\":12,\"error_msg\":\"Unable to "
					    "compile code\"}}");
		return;
	}
	respond(c, 200);
}

static void handle_vk(struct conn *c, const char *m, size_t ml, const char *form, size_t n)
{
	g.api_requests++;
	if (g.limits && !win_allow(&vk_win, now_ns())) {
		g.refused++;
		if (path_is(m, ml, "execute") || path_is(m, ml, "messages.send"))
			g.refused_sends++;
		respond_lit(c, 200, "{\"error\":{\"error_code\":6,\"error_msg\":\"Too many "
				    "requests per second\"}}");
		return;
	}
	if (path_is(m, ml, "execute")) {
		vk_execute(c, form, n);
	} else if (path_is(m, ml, "messages.send")) {
		uint64_t t = now_ns();
		int64_t peer = qnum(form, n, "peer_id", 0);
		int64_t id = g.next_out_id + 1;
		int64_t earlier = rid_check(qnum(form, n, "random_id", 0), id);
		if (earlier) {
			g.dup_random++;
			id = earlier;
		} else {
			g.next_out_id = id;
			record_reply(t, peer, qnum(form, n, "reply_to", 0));
		}
		body_begin();
		LIT(&out, "{\"response\":");
		sb_int(&out, id);
		LIT(&out, "}");
		respond(c, 200);
	} else if (path_is(m, ml, "groups.getLongPollServer")) {
		body_begin();
		LIT(&out, "{\"response\":{\"key\":\"k\",\"server\":\"");
		sb_puts(&out, g.lp_server);
		LIT(&out, "\",\"ts\":\"0\"}}");
		respond(c, 200);
	} else if (path_is(m, ml, "users.get")) {
		users_get(c, form, n);
	} else {
		respond_lit(c, 200, "{\"response\":1}");
	}
}

static void handle(struct conn *c, const char *path, size_t plen, const char *body, size_t blen)
{
	g.requests++;
	const char *q = memchr(path, '?', plen);
	size_t pl = q ? (size_t)(q - path) : plen;
	const char *query = q ? q + 1 : "";
	size_t ql = q ? plen - pl - 1 : 0;

	if (path_is(path, pl, "/_stats")) {
		stats(c);
		return;
	}
	if (path_is(path, pl, "/_start")) {
		g.released = g.n;
		wake_waiters();
		respond_lit(c, 200, "{\"ok\":true}");
		return;
	}
	if (path_is(path, pl, "/_stream")) {
		double rate = (double)qnum(query, ql, "rate", 1000);
		int64_t count = qnum(query, ql, "count", g.n);
		if (rate < 1)
			rate = 1;
		g.s_from = g.released;
		g.s_target = g.released + count > g.n ? g.n : g.released + count;
		g.s_rate = rate;
		g.s_t0 = now_ns();
		g.lat_from = g.s_from;
		g.stats_answered = -1;
		g.streaming = 1;
		uv_timer_start(&g.stream_timer, stream_tick, 0, 1);
		respond_lit(c, 200, "{\"ok\":true}");
		return;
	}
	if (g.kind == K_TG) {
		if (pl > g.tg_prefix_len && memcmp(path, g.tg_prefix, g.tg_prefix_len) == 0) {
			const char *m = path + g.tg_prefix_len;
			size_t ml = pl - g.tg_prefix_len;
			g.defer = !path_is(m, ml, "getUpdates");
			handle_tg(c, m, ml, body);
			g.defer = 0;
		} else
			respond_lit(c, 401,
				    "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
		return;
	}
	if (pl > 8 && memcmp(path, "/method/", 8) == 0) {
		/* parameters may come in the query string or the form body */
		g.defer = 1;
		if (blen)
			handle_vk(c, path + 8, pl - 8, body, blen);
		else
			handle_vk(c, path + 8, pl - 8, query, ql);
		g.defer = 0;
		return;
	}
	if (path_is(path, pl, "/lp")) {
		size_t kl;
		const char *key = qparam(query, ql, "key", &kl);
		if (!key || kl != 1 || *key != 'k') {
			respond_lit(c, 200, "{\"failed\":2}");
			return;
		}
		long_poll(c, qnum(query, ql, "ts", 0), 100, qnum(query, ql, "wait", 25));
		return;
	}
	respond_lit(c, 404, "{\"error\":{\"error_code\":3,\"error_msg\":\"Unknown method passed\"}}");
}

static const char *find_crlf2(const char *p, size_t n)
{
	const char *e = p + n;
	while (n >= 4) {
		const char *r = memchr(p, '\r', n - 3);
		if (!r)
			return NULL;
		if (r[1] == '\n' && r[2] == '\r' && r[3] == '\n')
			return r;
		p = r + 1;
		n = (size_t)(e - p);
	}
	return NULL;
}

static void process(struct conn *c)
{
	while (!c->held && !c->closing && c->len) {
		char *p = c->buf;
		const char *he = find_crlf2(p, c->len);
		if (!he) {
			if (c->len > 65536)
				conn_close(c);
			return;
		}
		size_t hlen = (size_t)(he - p) + 4;
		const char *sp1 = memchr(p, ' ', hlen);
		const char *path = sp1 ? sp1 + 1 : NULL;
		const char *sp2 = path ? memchr(path, ' ', (size_t)(p + hlen - path)) : NULL;
		if (!sp2) {
			conn_close(c);
			return;
		}
		size_t clen = 0;
		int expect = 0;
		const char *line = memchr(p, '\n', hlen);
		line = line ? line + 1 : p + hlen;
		while (line < p + hlen - 2) {
			const char *eol = memchr(line, '\n', (size_t)(p + hlen - line));
			size_t ll = (size_t)(eol - line);
			if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0)
				clen = (size_t)strtoull(line + 15, NULL, 10);
			else if (ll > 7 && strncasecmp(line, "expect:", 7) == 0 &&
				 memmem(line, ll, "100", 3))
				expect = 1;
			line = eol + 1;
		}
		if (clen > MAX_REQUEST) {
			conn_close(c);
			return;
		}
		if (c->len < hlen + clen) {
			if (expect && !c->sent_continue) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				c->sent_continue = 1;
				write_raw(c, cont, sizeof cont - 1);
			}
			return;
		}
		c->sent_continue = 0;
		c->req_len = hlen + clen;
		char *body = p + hlen;
		char saved = body[clen]; /* the buffer always has a spare byte */
		body[clen] = 0;
		handle(c, path, (size_t)(sp2 - path), body, clen);
		if (c->closing)
			return;
		body[clen] = saved;
		if (!c->held)
			consume(c);
	}
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct conn *c = h->data;
	if (c->cap - c->len < READ_MIN + 1 && c->cap < MAX_REQUEST + 65536) {
		c->cap = c->cap ? c->cap * 2 : READ_MIN * 2;
		c->buf = xrealloc(c->buf, c->cap);
	}
	*b = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len - 1));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = s->data;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	if (c->len + 1 >= c->cap && c->cap >= MAX_REQUEST + 65536) {
		conn_close(c);
		return;
	}
	if (!c->held)
		process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	if (status < 0)
		return;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return;
	uv_tcp_init(g.loop, &c->h);
	c->h.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->h) < 0) {
		c->closing = 1;
		uv_close((uv_handle_t *)&c->h, conn_closed);
		return;
	}
	uv_tcp_nodelay(&c->h, 1);
	uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb);
}

static void stop_cb(uv_signal_t *s, int signum)
{
	uv_stop(g.loop);
}

static void max_cb(uv_timer_t *t)
{
	uv_stop(g.loop);
}

static void usage(void)
{
	fprintf(stderr, "usage: fastfake --kind vk|telegram --port 0 --port-file F --messages N "
			"--chats C [--token T] [--max-seconds 600] [--limits 0|1] [--latency-ms N] "
			"[--max-concurrent C] [--flood F] [--spread 0|1] [--texts 1..6]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *kind = NULL;
	g.n = 20000;
	g.chats = 5000;
	g.n_texts = (int64_t)N_TEXTS;
	g.max_seconds = 600;
	/* Options come in pairs: --name value. */
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--kind"))
			kind = v;
		else if (!strcmp(a, "--port"))
			g.port = (int)strtol(v, NULL, 10);
		else if (!strcmp(a, "--port-file"))
			g.port_file = v;
		else if (!strcmp(a, "--messages"))
			g.n = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--chats"))
			g.chats = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--token"))
			g.token = v;
		else if (!strcmp(a, "--max-seconds"))
			g.max_seconds = strtod(v, NULL);
		else if (!strcmp(a, "--limits"))
			g.limits = (int)strtol(v, NULL, 10);
		else if (!strcmp(a, "--latency-ms"))
			g.latency_ms = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--max-concurrent"))
			g.max_concurrent = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--flood"))
			g.flood = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--spread"))
			g.spread = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--texts"))
			g.n_texts = strtoll(v, NULL, 10);
		else
			usage();
	}
	if (!kind || (strcmp(kind, "vk") && strcmp(kind, "telegram")) || g.n < 0 || g.chats < 1 ||
	    g.n_texts < 1 || g.n_texts > (int64_t)N_TEXTS)
		usage();
	g.kind = strcmp(kind, "vk") == 0 ? K_VK : K_TG;
	g.chat_base = g.kind == K_VK ? 100000 : 7000000000LL;
	if (!g.token)
		g.token = g.kind == K_VK ? "vk-bench-token" : "123456:BENCH-token";
	int pl = snprintf(g.tg_prefix, sizeof g.tg_prefix, "/bot%s/", g.token);
	if (pl < 0 || (size_t)pl >= sizeof g.tg_prefix)
		usage();
	g.tg_prefix_len = (size_t)pl;

	size_t n = (size_t)g.n + 1;
	g.deliver_ns = calloc(n, sizeof *g.deliver_ns);
	g.answer_ns = calloc(n, sizeof *g.answer_ns);
	g.replies = calloc(n, sizeof *g.replies);
	g.lat = calloc(n, sizeof *g.lat);
	size_t rsz = 1024;
	while (rsz < n * 8)
		rsz *= 2;
	g.rid_key = calloc(rsz, sizeof *g.rid_key);
	g.rid_val = calloc(rsz, sizeof *g.rid_val);
	g.rid_mask = rsz - 1;
	if (!g.deliver_ns || !g.answer_ns || !g.replies || !g.lat || !g.rid_key || !g.rid_val) {
		fprintf(stderr, "fastfake: out of memory\n");
		return 1;
	}
	g.next_out_id = g.n + 1000;
	signal(SIGPIPE, SIG_IGN);

	g.loop = uv_default_loop();
	uv_tcp_init(g.loop, &g.server);
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", g.port, &addr);
	int r = uv_tcp_bind(&g.server, (const struct sockaddr *)&addr, 0);
	if (!r)
		r = uv_listen((uv_stream_t *)&g.server, 4096, on_connection);
	if (r) {
		fprintf(stderr, "fastfake: cannot listen on 127.0.0.1:%d: %s\n", g.port,
			uv_strerror(r));
		return 1;
	}
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	uv_tcp_getsockname(&g.server, (struct sockaddr *)&ss, &sl);
	g.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(g.lp_server, sizeof g.lp_server, "http://127.0.0.1:%d/lp", g.port);

	uv_timer_init(g.loop, &g.hold_timer);
	uv_timer_start(&g.hold_timer, hold_timer_cb, 20, 20);
	uv_timer_init(g.loop, &g.stream_timer);
	uv_timer_init(g.loop, &g.delay_timer);
	g.lat_from = g.flood > 0 && g.flood < g.n ? g.flood : 0;
	if (g.spread) {
		/* The step nearest 0.618 C that is coprime with C: a permutation of the chats. */
		int64_t step = (int64_t)((double)g.chats * 0.618) | 1;
		while (step > 1 && gcd(step, g.chats) != 1)
			step++;
		g.spread = step > 1 && step < g.chats ? step : 0;
	}
	uv_timer_init(g.loop, &g.max_timer);
	if (g.max_seconds > 0)
		uv_timer_start(&g.max_timer, max_cb, (uint64_t)(g.max_seconds * 1000), 0);
	uv_signal_init(g.loop, &g.sigterm);
	uv_signal_start(&g.sigterm, stop_cb, SIGTERM);
	uv_signal_init(g.loop, &g.sigint);
	uv_signal_start(&g.sigint, stop_cb, SIGINT);

	if (g.port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", g.port_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", g.port) < 0 || fclose(f) != 0 ||
		    rename(tmp, g.port_file) != 0) {
			fprintf(stderr, "fastfake: cannot write %s: %s\n", g.port_file,
				strerror(errno));
			return 1;
		}
	}
	uv_run(g.loop, UV_RUN_DEFAULT);
	fprintf(stderr,
		"fastfake %s: delivered %" PRId64 ", sent %" PRId64 ", answered %" PRId64
		", requests %" PRId64 "\n",
		kind, g.delivered, g.sent, g.answered, g.requests);
	return 0;
}
