/* Configuration loading and validation (see config.h). */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "xalloc.h"

#define CONFIG_MAX_BYTES (1 << 20)

/* Validation context: the first error wins and stops loading. */
struct loader {
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct loader *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct loader *l, const char *key, const char *fmt, ...)
{
	if (l->failed)
		return;
	l->failed = 1;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "config: %s: %s", key, msg);
}

/* Warns about keys of obj that are not in known (NULL-terminated). */
static void warn_unknown(const cJSON *obj, const char *prefix, const char *const *known)
{
	for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next) {
		int found = 0;
		for (const char *const *k = known; *k && !found; k++)
			found = strcmp(*k, it->string) == 0;
		if (!found)
			log_warn("config: unknown key %s%s%s ignored", prefix, *prefix ? "." : "",
				 it->string);
	}
}

static const cJSON *section(struct loader *l, const cJSON *root, const char *name)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, name);
	if (s && !cJSON_IsObject(s)) {
		fail(l, name, "expected an object");
		return NULL;
	}
	return s;
}

static void get_string(struct loader *l, const cJSON *obj, const char *key, const char *path,
		       char **dst)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	if (!v || cJSON_IsNull(v))
		return;
	if (!cJSON_IsString(v)) {
		fail(l, path, "expected a string");
		return;
	}
	free(*dst);
	*dst = xstrdup(v->valuestring);
}

static void get_bool(struct loader *l, const cJSON *obj, const char *key, const char *path,
		     int *dst)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	if (!v)
		return;
	if (!cJSON_IsBool(v)) {
		fail(l, path, "expected true or false");
		return;
	}
	*dst = cJSON_IsTrue(v);
}

/* Integer in [min, max]; what names the expectation in the error. */
static void get_int(struct loader *l, const cJSON *obj, const char *key, const char *path,
		    int64_t min, int64_t max, const char *what, int64_t *dst)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	if (!v)
		return;
	double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	if (!cJSON_IsNumber(v) || d != floor(d) || d < (double)min || d > (double)max) {
		fail(l, path, "expected %s", what);
		return;
	}
	*dst = (int64_t)d;
}

static void get_rate(struct loader *l, const cJSON *obj, const char *key, const char *path,
		     double *dst)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	if (!v)
		return;
	if (!cJSON_IsNumber(v) || !(v->valuedouble > 0)) {
		fail(l, path, "expected a positive number");
		return;
	}
	*dst = v->valuedouble;
}

static int parse_listen(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -1;
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (errno || *end || p < 0 || p > 65535 || end == colon + 1)
		return -1;
	free(*host);
	*host = xstrndup(s, (size_t)(colon - s));
	*port = (int)p;
	return 0;
}

static void set_defaults(struct config *c)
{
	*c = (struct config){0};
	c->replies_dir = xstrdup("replies");
	c->console_language = xstrdup("ru");
	c->store_path = xstrdup("deskbot.db");
	c->store_retention_days = 90;
	c->store_audit_retention_days = 365;
	c->store_synchronous_full = 1;
	c->cluster_lease_ms = 6000;
	c->cluster_scan_ms = 200;
	c->http_host = xstrdup("127.0.0.1");
	c->http_port = 8080;
	c->http_max_body = 64 * 1024;
	c->http = (struct config_http_limits){
		.max_connections = 4096, .max_per_address = 64, .ws_queue_max = 256 * 1024,
		.ws_ping_s = 30, .ws_idle_s = 75, .chat_sockets_per_customer = 8,
		.chat_token_days = 30, .chat_rate_per_s = 2, .chat_burst = 20,
		.address_rate_per_s = 10, .address_burst = 60};
	c->log_level = xstrdup("info");
	c->shutdown_grace_ms = 5000;
	c->vk = (struct config_channel){
		.enabled = 1, .api_url = xstrdup("https://api.vk.com/method"),
		.api_version = xstrdup("5.199"), .wait = 25, .reply_to = 1,
		.rate_per_s = 20, .chat_rate_per_s = 20, .chat_burst = 1,
		.execute_max = 25};
	c->telegram = (struct config_channel){
		.enabled = 1, .api_url = xstrdup("https://api.telegram.org"), .wait = 25,
		.reply_to = 1, .rate_per_s = 30, .chat_rate_per_s = 1, .chat_burst = 3,
		.group_rate_per_min = 20, .execute_max = 1};
}

/* The listener's limits under "http" (README "Listener limits"). */
static void load_http_limits(struct loader *l, const cJSON *s, struct config_http_limits *h)
{
	static const char *const keys[] = {"listen", "max_body", "max_connections",
		"max_per_address", "ws_queue_max", "ws_ping_s", "ws_idle_s",
		"chat_sockets_per_customer", "chat_token_days", "chat_rate_per_s", "chat_burst",
		"address_rate_per_s", "address_burst", "public_origin", "secure_cookies", NULL};
	warn_unknown(s, "http", keys);
	get_int(l, s, "max_connections", "http.max_connections", 16, 1000000,
		"an integer from 16 to 1000000", &h->max_connections);
	get_int(l, s, "max_per_address", "http.max_per_address", 1, 1000000,
		"an integer from 1 to 1000000", &h->max_per_address);
	get_int(l, s, "ws_queue_max", "http.ws_queue_max", 16384, 64 << 20,
		"an integer from 16384 to 67108864", &h->ws_queue_max);
	get_int(l, s, "ws_ping_s", "http.ws_ping_s", 1, 3600, "an integer from 1 to 3600",
		&h->ws_ping_s);
	get_int(l, s, "ws_idle_s", "http.ws_idle_s", 2, 86400, "an integer from 2 to 86400",
		&h->ws_idle_s);
	get_int(l, s, "chat_sockets_per_customer", "http.chat_sockets_per_customer", 1, 1000,
		"an integer from 1 to 1000", &h->chat_sockets_per_customer);
	get_int(l, s, "chat_token_days", "http.chat_token_days", 1, 3650,
		"an integer from 1 to 3650", &h->chat_token_days);
	get_rate(l, s, "chat_rate_per_s", "http.chat_rate_per_s", &h->chat_rate_per_s);
	get_rate(l, s, "chat_burst", "http.chat_burst", &h->chat_burst);
	get_rate(l, s, "address_rate_per_s", "http.address_rate_per_s", &h->address_rate_per_s);
	get_rate(l, s, "address_burst", "http.address_burst", &h->address_burst);
	get_string(l, s, "public_origin", "http.public_origin", &h->public_origin);
	get_bool(l, s, "secure_cookies", "http.secure_cookies", &h->secure_cookies);
	const char *o = h->public_origin;
	const char *authority = !o ? NULL
				: strncmp(o, "http://", 7) == 0 ? o + 7
				: strncmp(o, "https://", 8) == 0 ? o + 8 : "";
	if (authority && (!*authority || strchr(authority, '/')))
		fail(l, "http.public_origin", "expected an origin such as https://chat.example");
}

/* is_vk: the section has VK's keys (group_id, api_version, wait, execute_max), else
 * Telegram's (timeout, group_rate_per_min). name is the path of s ("vk",
 * "vk.pages[0]"), for the errors. */
static void load_channel_keys(struct loader *l, const cJSON *s, const char *name, int is_vk,
			      struct config_channel *ch)
{
	char path[96];
#define PATH(k) (snprintf(path, sizeof path, "%s.%s", name, k), path)
	get_bool(l, s, "enabled", PATH("enabled"), &ch->enabled);
	get_string(l, s, "token", PATH("token"), &ch->token);
	get_string(l, s, "title", PATH("title"), &ch->title);
	get_string(l, s, "api_url", PATH("api_url"), &ch->api_url);
	get_bool(l, s, "reply_to", PATH("reply_to"), &ch->reply_to);
	get_rate(l, s, "rate_per_s", PATH("rate_per_s"), &ch->rate_per_s);
	get_rate(l, s, "chat_rate_per_s", PATH("chat_rate_per_s"), &ch->chat_rate_per_s);
	get_rate(l, s, "chat_burst", PATH("chat_burst"), &ch->chat_burst);
	if (!l->failed && cJSON_GetObjectItemCaseSensitive(s, "chat_burst") && ch->chat_burst < 1)
		fail(l, PATH("chat_burst"), "expected a number of at least 1");
	int64_t wait = ch->wait;
	if (is_vk) {
		get_int(l, s, "group_id", PATH("group_id"), 1, INT64_MAX / 2,
			"a positive integer", &ch->group_id);
		get_string(l, s, "api_version", PATH("api_version"), &ch->api_version);
		get_int(l, s, "wait", PATH("wait"), 1, 90, "an integer from 1 to 90", &wait);
		int64_t exe = ch->execute_max;
		get_int(l, s, "execute_max", PATH("execute_max"), 1, 25, "an integer from 1 to 25",
			&exe);
		ch->execute_max = (int)exe;
	} else {
		get_int(l, s, "timeout", PATH("timeout"), 0, 50, "an integer from 0 to 50", &wait);
		get_rate(l, s, "group_rate_per_min", PATH("group_rate_per_min"),
			 &ch->group_rate_per_min);
	}
	ch->wait = (int)wait;
	if (ch->api_url && strncmp(ch->api_url, "http://", 7) != 0 &&
	    strncmp(ch->api_url, "https://", 8) != 0)
		fail(l, PATH("api_url"), "expected an http:// or https:// URL");
#undef PATH
}

/* Webhook keys: VK's callback_confirmation and callback_secret, or Telegram's and MAX's
 * webhook_url and webhook_secret. */
static void load_hook(struct loader *l, const cJSON *s, const char *name, int is_vk,
		      struct config_hook *h)
{
	char path[96];
#define PATH(k) (snprintf(path, sizeof path, "%s.%s", name, k), path)
	if (is_vk) {
		get_string(l, s, "callback_confirmation", PATH("callback_confirmation"),
			   &h->confirmation);
		get_string(l, s, "callback_secret", PATH("callback_secret"), &h->secret);
	} else {
		get_string(l, s, "webhook_url", PATH("webhook_url"), &h->url);
		get_string(l, s, "webhook_secret", PATH("webhook_secret"), &h->secret);
	}
#undef PATH
}

/* The path of an http(s) URL ("/" when it has none). */
static const char *url_path(const char *url)
{
	const char *p = strchr(strstr(url, "://") + 3, '/');
	return p ? p : "/";
}

static int secret_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* After the environment: VK's Callback API has its secret key (a public listener must
 * not take events from anybody). */
static void check_callback(struct loader *l, const char *name, const struct config_hook *h)
{
	char path[96];
	if (h->confirmation && (!*h->confirmation || !h->secret || !*h->secret)) {
		snprintf(path, sizeof path, "%s.callback_secret", name);
		fail(l, path, "required with callback_confirmation (the Callback API's "
			      "secret key, so that nobody else can post events)");
	}
}

/* After the environment: a Telegram or MAX webhook has what its platform needs. Its
 * path must be prefix<secret path> ("/hooks/telegram/"), the route the listener serves
 * it on; min_secret is the platform's shortest secret. */
static void check_webhook(struct loader *l, const char *name, const char *prefix,
			  size_t min_secret, struct config_hook *h)
{
	char path[96];
	if (!h->url)
		return;
	snprintf(path, sizeof path, "%s.webhook_url", name);
	if (strncmp(h->url, "https://", 8) != 0 && strncmp(h->url, "http://", 7) != 0) {
		fail(l, path, "expected an http:// or https:// URL");
		return;
	}
	const char *p = url_path(h->url);
	size_t n = strlen(prefix);
	if (strncmp(p, prefix, n) != 0 || !p[n] || !secret_chars_ok(p + n)) {
		fail(l, path, "expected a URL whose path is %s<secret path> (A-Z, a-z, 0-9, _, -)",
		     prefix);
		return;
	}
	h->path = p;
	size_t len = h->secret ? strlen(h->secret) : 0;
	snprintf(path, sizeof path, "%s.webhook_secret", name);
	if (len < min_secret || len > 256 || !secret_chars_ok(h->secret))
		fail(l, path, "required with webhook_url: %zu to 256 of A-Z, a-z, 0-9, _ and -",
		     min_secret);
}

/* The "max" section on its own (README "Configuration"): defaults, keys, the token from
 * DESKBOT_MAX_TOKEN, and whether the channel is on. */
static void load_max(struct loader *l, const cJSON *root, struct config_max *m)
{
	static const char *const keys[] = {"enabled", "token", "api_url", "timeout", "limit",
		"rate_per_s", "chat_rate_per_s", "chat_burst", "webhook_url", "webhook_secret", NULL};
	*m = (struct config_max){.enabled = 1, .api_url = xstrdup("https://platform-api2.max.ru"),
				 .timeout = 30, .limit = 100, .rate_per_s = 30,
				 .chat_rate_per_s = 30, .chat_burst = 1};
	const cJSON *s = section(l, root, "max");
	warn_unknown(s, "max", keys);
	get_bool(l, s, "enabled", "max.enabled", &m->enabled);
	get_string(l, s, "token", "max.token", &m->token);
	get_string(l, s, "api_url", "max.api_url", &m->api_url);
	int64_t timeout = m->timeout, limit = m->limit;
	get_int(l, s, "timeout", "max.timeout", 0, 90, "an integer from 0 to 90", &timeout);
	get_int(l, s, "limit", "max.limit", 1, 1000, "an integer from 1 to 1000", &limit);
	m->timeout = (int)timeout;
	m->limit = (int)limit;
	get_rate(l, s, "rate_per_s", "max.rate_per_s", &m->rate_per_s);
	get_rate(l, s, "chat_rate_per_s", "max.chat_rate_per_s", &m->chat_rate_per_s);
	get_rate(l, s, "chat_burst", "max.chat_burst", &m->chat_burst);
	if (!l->failed && m->chat_burst < 1)
		fail(l, "max.chat_burst", "expected a number of at least 1");
	load_hook(l, s, "max", 0, &m->hook);
	if (strncmp(m->api_url, "http://", 7) != 0 && strncmp(m->api_url, "https://", 8) != 0)
		fail(l, "max.api_url", "expected an http:// or https:// URL");
	const char *env = getenv("DESKBOT_MAX_TOKEN");
	if (env && *env) {
		free(m->token);
		m->token = xstrdup(env);
	}
	if ((env = getenv("DESKBOT_MAX_WEBHOOK_SECRET")) && *env) {
		free(m->hook.secret);
		m->hook.secret = xstrdup(env);
	}
	check_webhook(l, "max", "/hooks/max/", 5, &m->hook); /* MAX: 5 to 256 (spec 6) */
	m->enabled = m->enabled && m->token && *m->token;
}

/* A labelled page starts as a copy of its section's settings; its token, group id and
 * title are its own. */
static void page_inherit(const struct config_channel *base, struct config_channel *pg)
{
	*pg = *base;
	pg->enabled = 1;
	pg->token = NULL;
	pg->group_id = 0;
	pg->title = NULL;
	pg->pages = NULL;
	pg->n_pages = 0;
	pg->hook = (struct config_hook){0};
	pg->api_url = base->api_url ? xstrdup(base->api_url) : NULL;
	pg->api_version = base->api_version ? xstrdup(base->api_version) : NULL;
}

static int label_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CONFIG_PAGE_LABEL_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* The section's "pages": a list of labelled pages (README "Several pages"). */
static void load_pages(struct loader *l, const cJSON *s, const char *name, int is_vk,
		       const char *const *keys, struct config_channel *ch)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(s, "pages");
	char path[64];
	snprintf(path, sizeof path, "%s.pages", name);
	if (!arr || cJSON_IsNull(arr))
		return;
	if (!cJSON_IsArray(arr)) {
		fail(l, path, "expected an array of pages");
		return;
	}
	int n = cJSON_GetArraySize(arr);
	if (n > CONFIG_MAX_PAGES) {
		fail(l, path, "at most %d pages", CONFIG_MAX_PAGES);
		return;
	}
	ch->pages = xcalloc((size_t)n ? (size_t)n : 1, sizeof *ch->pages);
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		size_t i = ch->n_pages;
		struct config_channel *pg = &ch->pages[ch->n_pages++];
		page_inherit(ch, pg);
		snprintf(path, sizeof path, "%s.pages[%zu]", name, i);
		if (!cJSON_IsObject(it)) {
			fail(l, path, "expected an object");
			return;
		}
		warn_unknown(it, path, keys);
		load_channel_keys(l, it, path, is_vk, pg);
		load_hook(l, it, path, is_vk, &pg->hook);
		char lpath[80];
		snprintf(lpath, sizeof lpath, "%s.label", path);
		get_string(l, it, "label", lpath, &pg->label);
		if (l->failed)
			return;
		if (!pg->label || !label_ok(pg->label)) {
			fail(l, lpath, "expected 1 to %d of a-z, 0-9 and _", CONFIG_PAGE_LABEL_MAX);
			return;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(ch->pages[k].label, pg->label) == 0) {
				fail(l, lpath, "\"%s\" is already the label of %s.pages[%zu]",
				     pg->label, name, k);
				return;
			}
	}
}

static void load_channel(struct loader *l, const cJSON *root, const char *name, int is_vk,
			 struct config_channel *ch)
{
	/* The section's keys, then a page's: a page has a label and no pages of its own. */
	static const char *const vk_keys[] = {"enabled", "token", "group_id", "api_url",
		"api_version", "wait", "reply_to", "rate_per_s", "chat_rate_per_s", "chat_burst",
		"execute_max", "callback_confirmation", "callback_secret", "title", "pages", NULL};
	static const char *const vk_page_keys[] = {"enabled", "token", "group_id", "api_url",
		"api_version", "wait", "reply_to", "rate_per_s", "chat_rate_per_s", "chat_burst",
		"execute_max", "callback_confirmation", "callback_secret", "title", "label", NULL};
	static const char *const tg_keys[] = {"enabled", "token", "api_url", "timeout",
		"reply_to", "rate_per_s", "chat_rate_per_s", "chat_burst", "group_rate_per_min",
		"webhook_url", "webhook_secret", "title", "pages", NULL};
	static const char *const tg_page_keys[] = {"enabled", "token", "api_url", "timeout",
		"reply_to", "rate_per_s", "chat_rate_per_s", "chat_burst", "group_rate_per_min",
		"webhook_url", "webhook_secret", "title", "label", NULL};
	const cJSON *s = section(l, root, name);
	if (!s)
		return;
	warn_unknown(s, name, is_vk ? vk_keys : tg_keys);
	load_channel_keys(l, s, name, is_vk, ch);
	load_hook(l, s, name, is_vk, &ch->hook);
	load_pages(l, s, name, is_vk, is_vk ? vk_page_keys : tg_page_keys, ch);
}

static void load_operators(struct loader *l, const cJSON *root, struct config *c)
{
	static const char *const operator_keys[] = {"login", "password_hash", "role",
						     "display_name", NULL};
	const cJSON *ops = cJSON_GetObjectItemCaseSensitive(root, "operators");
	if (!ops)
		return;
	if (!cJSON_IsArray(ops)) {
		fail(l, "operators", "expected an array");
		return;
	}
	int n = cJSON_GetArraySize(ops);
	c->operators = xcalloc((size_t)n, sizeof *c->operators);
	const cJSON *op;
	cJSON_ArrayForEach(op, ops)
	{
		char path[64];
		size_t i = c->n_operators;
		struct config_operator *o = &c->operators[c->n_operators++];
		snprintf(path, sizeof path, "operators[%zu]", i);
		if (!cJSON_IsObject(op)) {
			fail(l, path, "expected an object");
			return;
		}
		snprintf(path, sizeof path, "operators[%zu].login", i);
		get_string(l, op, "login", path, &o->login);
		if (!l->failed && (!o->login || !*o->login))
			fail(l, path, "expected a non-empty string");
		snprintf(path, sizeof path, "operators[%zu].password_hash", i);
		get_string(l, op, "password_hash", path, &o->password_hash);
		if (!l->failed && !o->password_hash)
			fail(l, path, "expected the output of 'deskbot passwd'");
		snprintf(path, sizeof path, "operators[%zu].role", i);
		get_string(l, op, "role", path, &o->role);
		if (!o->role)
			o->role = xstrdup("operator");
		if (!l->failed && strcmp(o->role, "operator") && strcmp(o->role, "admin"))
			fail(l, path, "expected \"operator\" or \"admin\"");
		snprintf(path, sizeof path, "operators[%zu].display_name", i);
		get_string(l, op, "display_name", path, &o->display_name);
		if (!l->failed && o->display_name && (!*o->display_name ||
						      strlen(o->display_name) > 64))
			fail(l, path, "expected a name of 1 to 64 bytes");
		if (!l->failed && !o->display_name)
			log_warn("config: %s missing: a greeting keeps {operator} for %s to fill in",
				 path, o->login);
		warn_unknown(op, "operators[]", operator_keys);
	}
}

static char *read_file(const char *path, size_t limit, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "config: %s: %s", path, strerror(errno));
		return NULL;
	}
	char *data = xmalloc(limit + 1);
	size_t n = fread(data, 1, limit + 1, f);
	fclose(f);
	if (n > limit) {
		snprintf(err, errlen, "config: %s: file larger than %zu bytes", path, limit);
		free(data);
		return NULL;
	}
	data[n] = '\0';
	return data;
}

/* With no replies.dir set and no ./replies, the embedded default uses the installed
 * reply set, or the source tree's when run from a build directory. */
static void resolve_default_replies(struct config *c, int dir_given)
{
	struct stat sb;
	if (dir_given || (stat(c->replies_dir, &sb) == 0 && S_ISDIR(sb.st_mode)))
		return;
	static const char *const fallbacks[] = {DESKBOT_DATADIR "/replies",
						DESKBOT_SOURCE_DIR "/replies"};
	for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++)
		if (stat(fallbacks[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			free(c->replies_dir);
			c->replies_dir = xstrdup(fallbacks[i]);
			return;
		}
}

/* The environment variable of a labelled page's token: var_LABEL, e.g.
 * DESKBOT_VK_TOKEN_NORTH (labels are a-z, 0-9 and _, so the name is a valid one). */
static void page_env_name(const char *var, const char *label, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s_", var);
	for (const char *c = label; *c && n > 0 && (size_t)n + 1 < outlen; c++)
		out[n++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
	if (n > 0 && (size_t)n < outlen)
		out[n] = '\0';
}

static void apply_page_env(struct config_channel *ch, const char *var)
{
	for (size_t i = 0; i < ch->n_pages; i++) {
		struct config_channel *pg = &ch->pages[i];
		char name[64 + CONFIG_PAGE_LABEL_MAX];
		page_env_name(var, pg->label, name, sizeof name);
		const char *v = getenv(name);
		if (v && *v) {
			free(pg->token);
			pg->token = xstrdup(v);
		}
	}
}

/* After the environment: every page that is on has its token (and VK its community),
 * and no two pages of a platform are the same community or bot. */
static void check_pages(struct loader *l, const char *name, const char *var, int is_vk,
			const struct config_channel *ch)
{
	char path[96];
	for (size_t i = 0; i < ch->n_pages && !l->failed; i++) {
		const struct config_channel *pg = &ch->pages[i];
		if (!pg->enabled)
			continue;
		if (!pg->token || !*pg->token) {
			char env[64 + CONFIG_PAGE_LABEL_MAX];
			page_env_name(var, pg->label, env, sizeof env);
			snprintf(path, sizeof path, "%s.pages[%zu].token", name, i);
			fail(l, path, "page \"%s\" has no token (set it here or in %s)", pg->label,
			     env);
			return;
		}
		if (is_vk && !pg->group_id) {
			snprintf(path, sizeof path, "%s.pages[%zu].group_id", name, i);
			fail(l, path, "expected a positive integer");
			return;
		}
		/* The same community or bot twice would answer every customer twice. */
		for (size_t k = 0; k <= i; k++) {
			const struct config_channel *o = k < i ? &ch->pages[k] : ch;
			if (!o->enabled || !o->token)
				continue;
			const char *what = NULL;
			if (is_vk && o->group_id == pg->group_id)
				what = "group_id";
			else if (strcmp(o->token, pg->token) == 0)
				what = "token";
			if (what) {
				snprintf(path, sizeof path, "%s.pages[%zu].%s", name, i, what);
				fail(l, path, "the same %s as %s%s", is_vk ? "community" : "bot",
				     k < i ? "another page" : name, k < i ? "" : "'s own page");
				return;
			}
		}
	}
}

static void apply_env(struct config *c)
{
	const char *v;
	if ((v = getenv("DESKBOT_VK_TOKEN")) && *v) {
		free(c->vk.token);
		c->vk.token = xstrdup(v);
	}
	if ((v = getenv("DESKBOT_TELEGRAM_TOKEN")) && *v) {
		free(c->telegram.token);
		c->telegram.token = xstrdup(v);
	}
	if ((v = getenv("DESKBOT_VK_CALLBACK_SECRET")) && *v) {
		free(c->vk.hook.secret);
		c->vk.hook.secret = xstrdup(v);
	}
	if ((v = getenv("DESKBOT_TELEGRAM_WEBHOOK_SECRET")) && *v) {
		free(c->telegram.hook.secret);
		c->telegram.hook.secret = xstrdup(v);
	}
	apply_page_env(&c->vk, "DESKBOT_VK_TOKEN");
	apply_page_env(&c->telegram, "DESKBOT_TELEGRAM_TOKEN");
	if ((v = getenv("DESKBOT_ADMIN_TOKEN")) && *v) {
		free(c->admin_token);
		c->admin_token = xstrdup(v);
	}
}

void config_instance_name(const struct config *c, char *out, size_t outlen)
{
	if (c->cluster_instance) {
		snprintf(out, outlen, "%s", c->cluster_instance);
		return;
	}
	char host[48] = "";
	gethostname(host, sizeof host - 1);
	snprintf(out, outlen, "%s:%d", *host ? host : "deskbot", c->http_port);
}

int config_load(const char *path, struct config *out, char *err, size_t errlen)
{
	static const char *const top_keys[] = {"replies", "store", "http", "admin", "operators",
		"vk", "telegram", "max", "crm", "console", "log", "shutdown", "cluster", NULL};
	struct loader l = {err, errlen, 0};
	set_defaults(out);
	cJSON *root = NULL;
	if (path) {
		char *text = read_file(path, CONFIG_MAX_BYTES, err, errlen);
		if (!text)
			goto fail;
		root = cJSON_Parse(text);
		if (!root) {
			const char *at = cJSON_GetErrorPtr();
			size_t line = 1, col = 1;
			for (const char *p = text; at && p < at && *p; p++, col++)
				if (*p == '\n')
					line++, col = 0;
			snprintf(err, errlen, "config: %s:%zu:%zu: invalid JSON", path, line, col);
			free(text);
			goto fail;
		}
		free(text);
		if (!cJSON_IsObject(root)) {
			snprintf(err, errlen, "config: %s: expected a JSON object", path);
			goto fail;
		}
		warn_unknown(root, "", top_keys);
	}
	const cJSON *s;
	int replies_given = 0;
	if ((s = section(&l, root, "replies"))) {
		get_string(&l, s, "dir", "replies.dir", &out->replies_dir);
		replies_given = cJSON_GetObjectItemCaseSensitive(s, "dir") != NULL;
	}
	if ((s = section(&l, root, "store"))) {
		static const char *const store_keys[] = {"path", "url", "retention_days",
			"audit_retention_days", "synchronous", NULL};
		warn_unknown(s, "store", store_keys);
		get_string(&l, s, "path", "store.path", &out->store_path);
		get_string(&l, s, "url", "store.url", &out->store_url);
		if (out->store_url && strncmp(out->store_url, "postgres://", 11) != 0 &&
		    strncmp(out->store_url, "postgresql://", 13) != 0)
			fail(&l, "store.url", "expected a postgres:// or postgresql:// URL");
		get_int(&l, s, "retention_days", "store.retention_days", 0, 36500,
			"an integer from 0 (keep forever) to 36500", &out->store_retention_days);
		get_int(&l, s, "audit_retention_days", "store.audit_retention_days", 0, 36500,
			"an integer from 0 (keep forever) to 36500",
			&out->store_audit_retention_days);
		char *sync = NULL;
		get_string(&l, s, "synchronous", "store.synchronous", &sync);
		if (sync && strcmp(sync, "full") && strcmp(sync, "normal"))
			fail(&l, "store.synchronous", "expected \"full\" or \"normal\"");
		if (sync)
			out->store_synchronous_full = strcmp(sync, "normal") != 0;
		free(sync);
	}
	if ((s = section(&l, root, "cluster"))) {
		static const char *const cluster_keys[] = {"instance", "lease_ms", "scan_ms", NULL};
		warn_unknown(s, "cluster", cluster_keys);
		get_string(&l, s, "instance", "cluster.instance", &out->cluster_instance);
		if (out->cluster_instance &&
		    (!*out->cluster_instance || strlen(out->cluster_instance) > 63))
			fail(&l, "cluster.instance", "expected a name of 1 to 63 bytes");
		get_int(&l, s, "lease_ms", "cluster.lease_ms", 300, 600000,
			"an integer from 300 to 600000 (milliseconds)", &out->cluster_lease_ms);
		get_int(&l, s, "scan_ms", "cluster.scan_ms", 20, 60000,
			"an integer from 20 to 60000 (milliseconds)", &out->cluster_scan_ms);
	}
	if ((s = section(&l, root, "http"))) {
		char *listen = NULL;
		get_string(&l, s, "listen", "http.listen", &listen);
		if (listen && parse_listen(listen, &out->http_host, &out->http_port) < 0)
			fail(&l, "http.listen", "expected HOST:PORT such as 127.0.0.1:8080");
		free(listen);
		int64_t max_body = (int64_t)out->http_max_body;
		get_int(&l, s, "max_body", "http.max_body", 1024, 64 << 20,
			"an integer from 1024 to 67108864", &max_body);
		out->http_max_body = (size_t)max_body;
		load_http_limits(&l, s, &out->http);
	}
	if ((s = section(&l, root, "admin")))
		get_string(&l, s, "token", "admin.token", &out->admin_token);
	if ((s = section(&l, root, "crm")))
		get_string(&l, s, "webhook_url", "crm.webhook_url", &out->crm_webhook_url);
	if ((s = section(&l, root, "console"))) {
		static const char *const console_keys[] = {"notify_webhook", "language", NULL};
		warn_unknown(s, "console", console_keys);
		get_string(&l, s, "notify_webhook", "console.notify_webhook",
			   &out->notify_webhook_url);
		get_string(&l, s, "language", "console.language", &out->console_language);
		if (!l.failed && strcmp(out->console_language, "ru") &&
		    strcmp(out->console_language, "en"))
			fail(&l, "console.language", "expected \"ru\" or \"en\"");
	}
	const char *const urls[][2] = {{"crm.webhook_url", out->crm_webhook_url},
				       {"console.notify_webhook", out->notify_webhook_url}};
	for (size_t i = 0; i < 2; i++)
		if (urls[i][1] && strncmp(urls[i][1], "http://", 7) != 0 &&
		    strncmp(urls[i][1], "https://", 8) != 0)
			fail(&l, urls[i][0], "expected an http:// or https:// URL");
	if ((s = section(&l, root, "log"))) {
		get_string(&l, s, "level", "log.level", &out->log_level);
		enum log_level lvl;
		if (!l.failed && log_level_parse(out->log_level, &lvl) < 0)
			fail(&l, "log.level", "expected debug, info, warn or error");
	}
	if ((s = section(&l, root, "shutdown"))) {
		int64_t grace = out->shutdown_grace_ms;
		get_int(&l, s, "grace_ms", "shutdown.grace_ms", 0, 600000,
			"an integer from 0 to 600000", &grace);
		out->shutdown_grace_ms = (int)grace;
	}
	load_operators(&l, root, out);
	load_max(&l, root, &out->max);
	load_channel(&l, root, "vk", 1, &out->vk);
	load_channel(&l, root, "telegram", 0, &out->telegram);
	if (l.failed)
		goto fail;
	resolve_default_replies(out, replies_given);
	apply_env(out);
	out->vk.enabled = out->vk.enabled && out->vk.token && *out->vk.token;
	out->telegram.enabled = out->telegram.enabled && out->telegram.token &&
				*out->telegram.token;
	if (out->vk.enabled && !out->vk.group_id) {
		fail(&l, "vk.group_id", "expected a positive integer");
		goto fail;
	}
	check_pages(&l, "vk", "DESKBOT_VK_TOKEN", 1, &out->vk);
	check_pages(&l, "telegram", "DESKBOT_TELEGRAM_TOKEN", 0, &out->telegram);
	check_callback(&l, "vk", &out->vk.hook);
	check_webhook(&l, "telegram", "/hooks/telegram/", 1, &out->telegram.hook);
	for (size_t i = 0; i < out->vk.n_pages; i++) {
		char name[48];
		snprintf(name, sizeof name, "vk.pages[%zu]", i);
		check_callback(&l, name, &out->vk.pages[i].hook);
	}
	for (size_t i = 0; i < out->telegram.n_pages; i++) {
		char name[48];
		snprintf(name, sizeof name, "telegram.pages[%zu]", i);
		check_webhook(&l, name, "/hooks/telegram/", 1, &out->telegram.pages[i].hook);
	}
	if (l.failed)
		goto fail;
	if (out->admin_token && *out->admin_token &&
	    strlen(out->admin_token) < CONFIG_ADMIN_TOKEN_MIN) {
		fail(&l, "admin.token",
		     "too short: at least %d characters (make one with: openssl rand -hex 24)",
		     CONFIG_ADMIN_TOKEN_MIN);
		goto fail;
	}
	/* Secrets are registered with the logger the moment they are known. */
	log_add_secret(out->vk.token);
	log_add_secret(out->telegram.token);
	for (size_t i = 0; i < out->vk.n_pages; i++)
		log_add_secret(out->vk.pages[i].token);
	for (size_t i = 0; i < out->telegram.n_pages; i++)
		log_add_secret(out->telegram.pages[i].token);
	log_add_secret(out->admin_token);
	log_add_secret(out->max.token);
	log_add_secret(out->max.hook.secret);
	log_add_secret(out->vk.hook.secret);
	log_add_secret(out->telegram.hook.secret);
	for (size_t i = 0; i < out->vk.n_pages; i++)
		log_add_secret(out->vk.pages[i].hook.secret);
	for (size_t i = 0; i < out->telegram.n_pages; i++)
		log_add_secret(out->telegram.pages[i].hook.secret);
	for (size_t i = 0; i < out->n_operators; i++)
		log_add_secret(out->operators[i].password_hash);
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	config_free(out);
	return -1;
}

static void hook_free(struct config_hook *h)
{
	free(h->url);
	free(h->secret);
	free(h->confirmation);
}

static void channel_free(struct config_channel *ch)
{
	hook_free(&ch->hook);
	free(ch->token);
	free(ch->api_url);
	free(ch->api_version);
	free(ch->label);
	free(ch->title);
	for (size_t i = 0; i < ch->n_pages; i++)
		channel_free(&ch->pages[i]);
	free(ch->pages);
}

void config_free(struct config *c)
{
	free(c->replies_dir);
	free(c->store_path);
	free(c->store_url);
	free(c->cluster_instance);
	free(c->http_host);
	free(c->http.public_origin);
	free(c->admin_token);
	for (size_t i = 0; i < c->n_operators; i++) {
		free(c->operators[i].login);
		free(c->operators[i].password_hash);
		free(c->operators[i].role);
		free(c->operators[i].display_name);
	}
	free(c->operators);
	channel_free(&c->vk);
	channel_free(&c->telegram);
	hook_free(&c->max.hook);
	free(c->max.token);
	free(c->max.api_url);
	free(c->crm_webhook_url);
	free(c->notify_webhook_url);
	free(c->console_language);
	free(c->log_level);
	*c = (struct config){0};
}

const struct config_operator *config_operator(const struct config *cfg, const char *login)
{
	for (size_t i = 0; cfg && login && i < cfg->n_operators; i++)
		if (strcmp(cfg->operators[i].login, login) == 0)
			return &cfg->operators[i];
	return NULL;
}

const char *config_operator_display_name(const struct config *cfg, const char *login)
{
	const struct config_operator *o = config_operator(cfg, login);
	return o ? o->display_name : NULL;
}

const char *config_operator_title(const struct config *cfg, const char *login)
{
	const char *name = config_operator_display_name(cfg, login);
	return name ? name : login;
}

const char *config_store_where(const struct config *c)
{
	return c->store_url ? c->store_url : c->store_path;
}
