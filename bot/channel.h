/* A customer channel (VK, Telegram, the local web chat): a small vtable. A channel turns
 * its wire format into struct chan_msg batches handed to the pipeline, and renders
 * outbox rows back into API calls. It never decides what to say. */
#ifndef DESKBOT_CHANNEL_H
#define DESKBOT_CHANNEL_H
#include <stddef.h>
#include <stdint.h>

#include "message.h"
#include "store.h"

struct app;
struct channel;

/* How one delivery attempt ended, as the outbox needs to know it. */
enum send_outcome {
	SEND_OK,      /* delivered; channel_msg_id set when the API returned one */
	SEND_RETRY,   /* transient: try again later (retry_after_ms when the API said) */
	SEND_FAILED,  /* permanent: record the reason and stop */
	SEND_BLOCKED, /* the customer blocked the bot / cannot receive: stop, remember */
};

struct send_result {
	enum send_outcome outcome;
	int64_t channel_msg_id;
	int64_t retry_after_ms;   /* > 0: wait at least this long before the retry */
	int64_t pause_channel_ms; /* > 0: the whole channel must pause (rate limit) */
	int code;                 /* API error code or HTTP status, 0 if none */
	char reason[160];         /* short, secret-free description */
};

typedef void (*channel_sent_cb)(void *arg, const struct send_result *res);
/* How a batch ended: res[i] is row i's result, as a single send of that row would have
 * reported it. */
typedef void (*channel_batch_cb)(void *arg, const struct send_result *res, size_t n);

struct channel_ops {
	const char *name;        /* "vk", "telegram", "web" */
	size_t max_text;         /* longest text one message may carry (characters) */
	/* Begins receiving. Returns 0, or negative when the channel cannot start. */
	int (*start)(struct channel *ch);
	/* Stops receiving (cancels the long poll); sends in flight may still finish. */
	void (*stop)(struct channel *ch);
	/* Delivers one outbox row. Returns 0 and later calls cb exactly once, or returns
	 * negative and never calls cb. row is borrowed until cb runs. */
	int (*send)(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		    void *arg);
	/* Optional: delivers n rows (kind "message", at most ch->max_batch of them, texts
	 * of at most ch->max_batch_bytes together) in one request, in order. Returns 0 and
	 * later calls cb exactly once with n results, or returns negative and never calls
	 * cb. */
	int (*send_batch)(struct channel *ch, const struct outbox_row *const *rows, size_t n,
			  channel_batch_cb cb, void *arg);
	/* Short state for /healthz: "polling", "backoff", "unauthorized", ... */
	const char *(*state)(const struct channel *ch);
	/* Work still in flight (requests not yet answered). */
	size_t (*in_flight)(const struct channel *ch);
	void (*free)(struct channel *ch);
};

/* The common head of every channel; each implementation embeds it first. */
struct channel {
	const struct channel_ops *ops;
	struct app *app;
	double chat_rate_per_s; /* outbox limits for this channel */
	double rate_per_s;      /* requests per second (a batch is one request) */
	double chat_burst;      /* per-chat token bucket size (1 unless the channel says) */
	double group_rate_per_s; /* group chats (negative ids), when > 0 */
	double group_burst;
	int max_in_flight;      /* upper bound of the in-flight window */
	int batch_off;          /* the channel refused batches (e.g. VK 12/13): send singly */
	size_t max_batch;       /* rows per send_batch (<= 1: no batching) */
	size_t max_batch_bytes; /* text + keyboard bytes per send_batch */
	/* Metrics (pointers into the registry). */
	double *m_updates, *m_ignored, *m_poll_restarts_key, *m_poll_restarts_history,
		*m_poll_restarts_session, *m_poll_errors, *m_poll_skipped, *m_sent, *m_retries, *m_failed,
		*m_blocked, *m_depth, *m_oldest_age;
};

/* Sets up the common fields and the channel's metric series. */
void channel_init(struct channel *ch, const struct channel_ops *ops, struct app *app,
		  double rate_per_s, double chat_rate_per_s, int max_in_flight);
/* Counts a send failure by code in deskbot_send_failures_total{channel,code}. */
void channel_count_failure(struct channel *ch, int code);

/* Creates the VK and Telegram channels from config (bot/channels/). */
struct channel *vk_channel_new(struct app *app);
struct channel *tg_channel_new(struct app *app);
/* A send-only channel that POSTs its rows to url: "crm" (crm.webhook_url) and "notify"
 * (console.notify_webhook). name and url are copied. */
struct channel *webhook_channel_new(struct app *app, const char *name, const char *url);

#endif
