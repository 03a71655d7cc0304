/* Configuration: one JSON file (DESIGN.md "Config"), secrets also from the environment,
 * defaults that make "deskbot run" with no file the embedded default. */
#ifndef DESKBOT_CONFIG_H
#define DESKBOT_CONFIG_H
#include <stddef.h>
#include <stdint.h>

struct config_operator {
	char *login;
	char *password_hash; /* from "deskbot passwd" */
	char *role;          /* "operator" or "admin" */
	/* What customers are told ("Меня зовут Ольга"), never the login; NULL when the
	 * config gives none (a greeting then keeps {operator} for the secretary to fill). */
	char *display_name;
};

/* Webhook intake instead of long polling (README "Webhooks"). Never inherited by a page:
 * each community or bot has its own. */
struct config_hook {
	char *url;          /* Telegram, MAX "webhook_url": registered at start; NULL: polling */
	const char *path;   /* url's path, "/hooks/<platform>/<secret path>" (points into url) */
	char *secret;       /* "webhook_secret" / VK "callback_secret" (secret; never logged) */
	char *confirmation; /* VK "callback_confirmation": set means Callback API, no polling */
};

struct config_channel {
	int enabled;          /* on when a token is set and "enabled" is not false */
	char *token;          /* secret; never logged */
	char *api_url;
	int64_t group_id;     /* VK only */
	char *api_version;    /* VK only */
	int wait;             /* VK long-poll wait / Telegram getUpdates timeout, seconds */
	int reply_to;         /* each reply names the message it answers */
	double rate_per_s;    /* sends per second for the whole channel */
	double chat_rate_per_s; /* sends per second to one chat */
	double chat_burst;      /* sends one chat may get at once (token bucket) */
	double group_rate_per_min; /* Telegram group chats (negative ids); 0: as any chat */
	int execute_max;        /* VK: messages.send calls per execute; 1: no batching */
	/* A page: one VK community or one Telegram bot. The section itself is the page
	 * without a label (its rows, cursor and metrics say "vk" / "telegram", as before
	 * pages existed); the section's "pages" list adds labelled ones, each inheriting the
	 * section's settings but not its token or group id. */
	char *label; /* [a-z0-9_], NULL for the section's own page */
	char *title; /* what the console shows ("ВК Север"), or NULL */
	struct config_hook hook;
	struct config_channel *pages; /* the section's labelled pages (NULL in a page) */
	size_t n_pages;
};

/* The MAX messenger ("max", README "Configuration"): long polling; limits from
 * ../shared/specs/max.md. */
struct config_max {
	int enabled;            /* on when a token is set and "enabled" is not false */
	char *token;            /* secret; never logged */
	char *api_url;          /* https://platform-api2.max.ru, or a test fake */
	int timeout;            /* GET /updates long-poll timeout, seconds (0-90) */
	int limit;              /* updates per answer (1-1000) */
	double rate_per_s;      /* requests per second for the whole bot (the API's 30) */
	double chat_rate_per_s; /* sends per second to one chat */
	double chat_burst;      /* sends one chat may get at once (token bucket) */
	struct config_hook hook;
};

/* Labelled pages per platform, and the longest label (it also names the page's
 * environment secret, DESKBOT_VK_TOKEN_<LABEL>). */
#define CONFIG_MAX_PAGES 6
#define CONFIG_PAGE_LABEL_MAX 24

struct config {
	char *replies_dir;
	char *store_path;
	char *store_url; /* store.url: a postgres:// URL chooses PostgreSQL; NULL: SQLite */
	int64_t store_retention_days;       /* messages, replies, web peers; 0 = forever */
	int64_t store_audit_retention_days; /* audit rows; 0 = forever */
	int store_synchronous_full;         /* 1: synchronous=FULL (default), 0: NORMAL */
	/* Several instances on one PostgreSQL store (README "Several instances"): leases on
	 * the channels and the case timers. cluster.instance names this instance (NULL:
	 * "<hostname>:<http port>"); cluster.lease_ms is how long a lease runs without a
	 * renewal (renewed every third of it). Only with store.url. */
	char *cluster_instance;
	int64_t cluster_lease_ms;
	int64_t cluster_scan_ms; /* how often the outbox (and the console) look for what other
				  * instances wrote */
	char *http_host;   /* from http.listen */
	int http_port;
	size_t http_max_body; /* bytes; larger requests are refused */
	struct config_http_limits { /* README "Listener limits" */
		int64_t max_connections, max_per_address, ws_queue_max, ws_ping_s, ws_idle_s;
		int64_t chat_sockets_per_customer, chat_token_days;
		double chat_rate_per_s, chat_burst, address_rate_per_s, address_burst;
		char *public_origin; /* "https://chat.example", or NULL */
		int secure_cookies;
	} http;
	char *admin_token; /* secret; NULL = admin endpoints refuse everything */
	struct config_operator *operators;
	size_t n_operators;
	struct config_channel vk;
	struct config_channel telegram;
	struct config_max max;
	char *crm_webhook_url; /* NULL = no CRM export */
	char *notify_webhook_url; /* NULL = console notices only in the console */
	char *console_language;   /* "ru" (default) or "en": the console's own texts */
	char *log_level;
	int shutdown_grace_ms; /* how long in-flight sends may finish after SIGTERM */
};

/* An admin token shorter than this is refused at load: it is the only thing between
 * the network and /admin/reload. */
#define CONFIG_ADMIN_TOKEN_MIN 32

/* Loads path (NULL: embedded defaults only), then the environment secrets. On a wrong
 * type or value returns -1 with one line such as
 * "config: vk.group_id: expected a positive integer" in err. Unknown keys are logged as
 * warnings. On success the caller frees with config_free. */
/* This instance's name among several on one store: cluster.instance, else
 * "<hostname>:<http port>" (unique on a host, stable across restarts). */
void config_instance_name(const struct config *c, char *out, size_t outlen);
int config_load(const char *path, struct config *out, char *err, size_t errlen);
void config_free(struct config *c);

/* The configured operator with this login, or NULL (cfg or login NULL: NULL). */
const struct config_operator *config_operator(const struct config *cfg, const char *login);
/* The operator's display name for a customer, or NULL when none is configured. */
const char *config_operator_display_name(const struct config *cfg, const char *login);
/* The name one secretary sees of another: the display name, else the login. */
const char *config_operator_title(const struct config *cfg, const char *login);

/* What store_open takes: store.url when set, else store.path. */
const char *config_store_where(const struct config *c);

#endif
