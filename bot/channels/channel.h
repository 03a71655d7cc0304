/* A customer channel (VK, Telegram, the local web chat) or a send-only webhook: a small
 * vtable. A channel turns its wire format into struct chan_msg batches handed to its
 * sink, and renders outbox rows back into API calls. It never decides what to say and
 * never touches the store itself: the sink (the pipeline's) stores each batch together
 * with the channel's cursor, and answers the few questions a channel has (where it left
 * off, a customer's profile, a web chat's history). */
#ifndef DESKBOT_CHANNEL_H
#define DESKBOT_CHANNEL_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "caps.h"
#include "message.h"
#include "names.h"
#include "outbox_row.h"

struct channel;
struct http_client;
struct metrics;

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
	/* A file row (SEND_RETRY): the attachment handle of an upload that went through,
	 * "" when none; the outbox keeps it in the row (outbox_row.handle) for the retry. */
	char handle[256];
};

typedef void (*channel_sent_cb)(void *arg, const struct send_result *res);
/* How a batch ended: res[i] is row i's result, as a single send of that row would have
 * reported it. */
typedef void (*channel_batch_cb)(void *arg, const struct send_result *res, size_t n);

/* How fetching a customer's file ended (channel_ops.fetch_file). */
struct channel_file_result {
	int ok;           /* 1: data holds the whole file */
	int permanent;    /* on failure: 1 when trying again cannot help (refused, too big) */
	const char *mime; /* the Content-Type the host sent, "" when none */
	const char *data; /* borrowed for the callback */
	size_t len;
	char reason[160]; /* on failure: short, secret-free */
};
typedef void (*channel_file_cb)(void *arg, const struct channel_file_result *res);
#define CHANNEL_FILE_REFUSED (-2)

/* A peer that blocked the bot or allowed it again, as one batch reported it. */
struct channel_block {
	int64_t peer_id;
	int blocked;
	const char *reason;
};

/* One received batch, all borrowed: messages, block changes, and the cursor that
 * follows the batch (NULL: the channel has none, e.g. the web chat). */
struct channel_batch {
	const struct chan_msg *msgs;
	size_t n;
	const struct channel_block *blocks;
	size_t n_blocks;
	const char *cursor;
};

/* A customer's profile as the channel's API tells it. */
struct channel_profile {
	const char *display_name;
	const char *screen_name;
	int64_t followers; /* -1 when unknown */
};

/* One line of a web chat's history. */
struct channel_line {
	int64_t at_ms;
	const char *from; /* "customer", "bot" or "operator" */
	const char *text;
	const char *keyboard;
	int64_t id;       /* the store's id of the line (an outbox row for a reply) */
	const char *file; /* an approved file the reply sent ({"name","kind","mime"}), or NULL */
};
typedef void (*channel_line_cb)(void *arg, const struct channel_line *line);

/* An approved file sent to a web chat, as the chat page fetches it. */
struct channel_chat_file {
	const char *mime, *name;
	const void *data;
	size_t len;
};
typedef void (*channel_chat_file_cb)(void *arg, const struct channel_chat_file *f);

/* Where a channel's batches go, and the little it may read back. */
struct channel_sink_ops {
	/* Stores and answers the batch and saves its cursor, in one transaction. Returns 0
	 * once committed; negative when nothing was kept: the channel must hand the same
	 * batch again later without advancing its cursor. */
	int (*batch)(void *arg, struct channel *ch, const struct channel_batch *b);
	/* The cursor saved with the channel's last batch (*cursor NULL: none; caller
	 * frees). Returns 0, or negative when it cannot be read. */
	int (*cursor)(void *arg, struct channel *ch, char **cursor);
	/* A per-installation secret for idempotency keys (stable across restarts). */
	int64_t (*salt)(void *arg);
	/* Counts one request the channel makes on its own against its request budget, so
	 * that the outbox's sends leave room for it. only_if_room: count it only when the
	 * budget has room now; returns 1 when counted (make the request), 0 when not. */
	int (*charge)(void *arg, struct channel *ch, int only_if_room);
	/* 1 when the customer's profile was stored less than max_age_s ago, else 0. */
	int (*profile_fresh)(void *arg, struct channel *ch, int64_t user, int64_t max_age_s);
	void (*profile_put)(void *arg, struct channel *ch, int64_t user,
			    const struct channel_profile *p);
	/* The web chat's customer for a chat token: 1 found (or created when create), 0 not
	 * found, negative on error. */
	int (*chat_peer)(void *arg, const char *token, int create, int64_t now_s, int64_t *peer);
	/* Calls fn for the last limit lines of a web chat, oldest first. */
	int (*chat_history)(void *arg, int64_t peer, int limit, channel_line_cb fn, void *fn_arg);
	/* The approved file outbox row row_id sent to the web chat's customer peer: calls fn
	 * and returns 1; 0 when that row is no file of that chat; negative on error. */
	int (*chat_file)(void *arg, int64_t peer, int64_t row_id, channel_chat_file_cb fn,
			 void *fn_arg);
};

struct channel_sink {
	const struct channel_sink_ops *ops;
	void *arg;
};

/* What every channel gets at construction (all borrowed; they outlive the channel). */
struct channel_env {
	uv_loop_t *loop;
	struct http_client *http;
	struct metrics *metrics;
	struct channel_sink sink;
};

/* One webhook delivery as the listener received it (all borrowed). */
struct channel_hook_req {
	const char *path;   /* the request path: "/hooks/vk", "/hooks/telegram/<secret path>" */
	const char *body;   /* NUL-terminated; invalid UTF-8 already repaired by the listener */
	size_t body_len;
	const char *secret; /* the platform's secret header (Telegram's, MAX's), or "" */
};

/* The plain-text answer to a webhook delivery. */
struct channel_hook_answer {
	int status;
	char body[128];
};

struct channel_ops {
	const char *name;        /* "vk", "telegram", "max", "web" */
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
	/* Optional (caps.typing): tells peer_id that a person is writing now. Ephemeral, not
	 * an outbox row: nothing is retried or stored; the request counts against the
	 * channel's request budget and is skipped when the budget has no room. Returns 1
	 * when the notice went out, 0 when skipped, negative on an error. */
	int (*typing)(struct channel *ch, int64_t peer_id);
	/* Optional: takes a webhook delivery (bot/channels/hook.c). Returns 0 when the
	 * request is not for this channel (another page's path or community), 1 when it
	 * filled ans: a delivery is answered 2xx only once its batch is committed. */
	int (*hook)(struct channel *ch, const struct channel_hook_req *req,
		    struct channel_hook_answer *ans);
	/* Optional: downloads a file a customer sent (chan_file.ref), at most max_bytes,
	 * from the platform's own hosts only; a redirect is refused, not followed. Returns
	 * 0 and later calls cb exactly once (unless the channel is freed first), or
	 * negative and never calls cb: CHANNEL_FILE_REFUSED when the file's URL is on a
	 * host the platform does not serve files from (never worth another try). */
	int (*fetch_file)(struct channel *ch, const char *ref, size_t max_bytes,
			  channel_file_cb cb, void *arg);
	/* Short state for /healthz: "polling", "backoff", "unauthorized", ... */
	const char *(*state)(const struct channel *ch);
	/* Work still in flight (requests not yet answered). */
	size_t (*in_flight)(const struct channel *ch);
	void (*free)(struct channel *ch);
};

/* The common head of every channel; each implementation embeds it first. */
struct channel {
	const struct channel_ops *ops;
	/* The page's id: the store's rows, cursors, conversations and customers, the
	 * outbox's queue and the metrics' channel label carry it. ops->name ("vk") for a
	 * platform's single page, "vk:<label>" for a labelled one (channel_set_page). */
	const char *name;
	char page_id[48];
	struct channel_caps caps;
	const struct channel_env *env;
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

/* Makes ch one labelled page of its platform (label NULL: the platform's own page, named
 * as before pages existed): its name "<platform>:<label>" and its caps' page fields.
 * Call before channel_init, which names the metric series. label and title are
 * borrowed (the channel's config outlives it). */
void channel_set_page(struct channel *ch, const char *platform, const char *label,
		      const char *title);
/* A page's id: "<platform>" for a platform's own page (label NULL), else
 * "<platform>:<label>" (bot/channels/pages.c). */
void channel_page_id(const char *platform, const char *label, char *out, size_t outlen);
struct config;
struct cJSON;
/* Appends to arr one {"id","platform","label","title"} per page that is on and has a
 * label or a title, so that the console can name and filter them. */
void channel_pages_json(const struct config *cfg, struct cJSON *arr);
/* Sets up the common fields and the channel's metric series. env is borrowed. */
void channel_init(struct channel *ch, const struct channel_ops *ops, const struct channel_env *env,
		  double rate_per_s, double chat_rate_per_s, int max_in_flight);
/* Counts a send failure by code in deskbot_send_failures_total{channel,code}. */
void channel_count_failure(struct channel *ch, int code);
/* Hands a batch to the channel's sink (see channel_sink_ops.batch). */
int channel_deliver(struct channel *ch, const struct channel_batch *b);

/* Hands a webhook delivery to the first of chs that takes it; 0 when none did (ans is
 * then a 404). */
int channel_hook_dispatch(struct channel *const *chs, size_t n, const struct channel_hook_req *req,
			  struct channel_hook_answer *ans);
/* What the channels' webhook modes share (hook.c): a constant-time comparison of a secret
 * (a NULL or empty expected secret matches nothing), the answer, and one body read as JSON (repaired, then parsed; NULL when it
 * is not an object, logged as "<channel>: webhook body ..."). */
int hook_secret_equal(const char *given, const char *expected);
void hook_answer(struct channel_hook_answer *ans, int status, const char *body);
struct cJSON *hook_read_json(const char *body, size_t len, const char *channel);
/* A Telegram or MAX delivery's first steps: 0 when its path is not path (another
 * channel's; path NULL: not in webhook mode), -1 when the secret header (named header,
 * for the log line) is not secret (ans: 401, logged), 1 to go on. */
int hook_admit(struct channel *ch, const char *path, const char *secret, const char *header,
	       const struct channel_hook_req *req, struct channel_hook_answer *ans);
/* Its answer once read (parsed < 0: not JSON, 200 and counted as skipped) and handed to
 * the sink (stored < 0: 503, the platform resends it). */
void hook_answer_stored(struct channel *ch, int parsed, int stored,
			struct channel_hook_answer *ans);

/* An outbox row of kind "file" as a channel sends it (borrowed from the row). */
struct chan_outfile {
	int photo;          /* 1: a photo (sendPhoto, photos.*, an image), else a document */
	char name[128];     /* the file name the customer sees */
	char mime[96];
	const char *data;   /* the snapshot's bytes (outbox_row.file_data) */
	size_t len;
	const char *handle; /* an earlier attempt's upload (outbox_row.handle), or NULL */
};
/* Reads a file row: 0, or -1 when it is not a file row or its bytes are not loaded. */
int channel_row_file(const struct outbox_row *row, struct chan_outfile *f);

struct config_channel;
struct config_max;
/* Creates the VK and Telegram channels from their config (bot/channels/). */
struct channel *vk_channel_new(const struct channel_env *env, const struct config_channel *cfg);
struct channel *tg_channel_new(const struct channel_env *env, const struct config_channel *cfg);
/* The MAX channel from its config section "max" (max.c). */
struct channel *max_channel_new(const struct channel_env *env, const struct config_max *cfg);
/* A send-only channel that POSTs its rows to url: CHANNEL_CRM (crm.webhook_url) and
 * CHANNEL_NOTIFY (console.notify_webhook). name and url are copied. */
struct channel *webhook_channel_new(const struct channel_env *env, const char *name,
				    const char *url);

#endif
