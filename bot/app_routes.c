/* Routes beyond /healthz and /metrics: the admin reload endpoint and the webhooks. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "app_internal.h"
#include "channels/channel.h"
#include "clock.h"
#include "log.h"
#include "server.h"
#include "xalloc.h"

/* Failed bearer tokens per client address: after ADMIN_FREE_FAILURES the address waits
 * 1 s, doubling to ADMIN_MAX_LOCK_MS, and is told so with 429 (no token is even compared
 * meanwhile). A bounded table; the least recently failing address makes room. Refusals
 * while locked are logged once per lock, not once each. */
#define ADMIN_SLOTS 256
#define ADMIN_FREE_FAILURES 5
#define ADMIN_MAX_LOCK_MS (15 * 60 * 1000LL)
#define ADMIN_FORGET_MS (60 * 60 * 1000LL)

struct admin_slot {
	char addr[64];
	int failures;
	int logged_lock;
	int64_t locked_until_ms, last_ms;
};

struct admin_guard {
	struct admin_slot slots[ADMIN_SLOTS];
};

static struct admin_slot *admin_slot(struct admin_guard *g, const char *peer, int64_t now,
				     int create)
{
	struct admin_slot *lru = &g->slots[0];
	for (size_t i = 0; i < ADMIN_SLOTS; i++) {
		struct admin_slot *s = &g->slots[i];
		if (s->addr[0] && now - s->last_ms > ADMIN_FORGET_MS && now >= s->locked_until_ms)
			s->addr[0] = '\0';
		if (s->addr[0] && strcmp(s->addr, peer) == 0)
			return s;
		if (!s->addr[0] || (lru->addr[0] && s->last_ms < lru->last_ms))
			lru = s;
	}
	if (!create)
		return NULL;
	*lru = (struct admin_slot){0};
	snprintf(lru->addr, sizeof lru->addr, "%s", peer);
	return lru;
}

static void admin_failed(struct admin_slot *s, int64_t now)
{
	s->failures++;
	s->last_ms = now;
	s->logged_lock = 0;
	if (s->failures < ADMIN_FREE_FAILURES)
		return;
	int64_t delay = 1000;
	for (int i = ADMIN_FREE_FAILURES; i < s->failures && delay < ADMIN_MAX_LOCK_MS; i++)
		delay *= 2;
	s->locked_until_ms = now + (delay > ADMIN_MAX_LOCK_MS ? ADMIN_MAX_LOCK_MS : delay);
}

/* Constant-time comparison of the bearer token, so timing does not leak it. */
static int token_ok(const char *authorization, const char *token)
{
	static const char prefix[] = "Bearer ";
	if (!token || !*token || strncmp(authorization, prefix, sizeof prefix - 1) != 0)
		return 0;
	const char *given = authorization + sizeof prefix - 1;
	size_t n = strlen(token), m = strlen(given);
	unsigned char diff = (unsigned char)(n != m);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(token[i] ^ (i < m ? given[i] : 0));
	return diff == 0;
}

static void admin_reload_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	struct app *app = arg;
	if (strcmp(req->method, "POST") != 0) {
		http_resp_error(resp, 405, "use POST");
		return;
	}
	int64_t now = clock_now_ms();
	struct admin_slot *slot = admin_slot(app->admin_guard, req->peer, now, 0);
	if (slot && slot->locked_until_ms > now) {
		if (!slot->logged_lock)
			log_warn("admin: reload refused from %s: %d wrong bearer tokens, locked for "
				 "%lld ms",
				 req->peer, slot->failures, (long long)(slot->locked_until_ms - now));
		slot->logged_lock = 1;
		http_resp_error(resp, 429, "too many wrong admin tokens; try again later");
		return;
	}
	if (!token_ok(req->authorization, app->cfg.admin_token)) {
		log_warn("admin: reload refused from %s: missing or wrong bearer token", req->peer);
		admin_failed(slot ? slot : admin_slot(app->admin_guard, req->peer, now, 1), now);
		http_resp_error(resp, 401, "admin bearer token required");
		return;
	}
	if (slot)
		slot->addr[0] = '\0'; /* the right token forgives the address */
	int result = app_reload(app, &resp->body);
	resp->status = result == 0 ? 200 : 422;
	resp->content_type = "application/json";
}

/* A delivery is one update, written by the platform, not a browser: a 4096-character
 * text with its entities is far below this, and what is above is refused with 413
 * (which the platform resends: never a real update). */
#define HOOK_MAX_BODY (1u << 20)

/* Webhook deliveries (VK Callback API, Telegram, MAX): the channel whose path it is
 * decodes it and hands it to the pipeline; the answer says whether it was committed. */
static void hooks_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	struct app *app = arg;
	if (strcmp(req->method, "POST") != 0) {
		http_resp_error(resp, 405, "use POST");
		return;
	}
	struct channel_hook_req h = {.path = req->path, .body = req->body,
				     .body_len = req->body_len, .secret = req->hook_secret};
	struct channel_hook_answer ans;
	if (!channel_hook_dispatch(app->channels, (size_t)app->n_channels, &h, &ans))
		log_debug("hooks: %s %s from %s: no channel takes it (404)", req->method,
			  req->path, req->peer);
	resp->status = ans.status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	buf_puts(&resp->body, ans.body);
}

void app_routes(struct app *app)
{
	if (!app->admin_guard)
		app->admin_guard = xcalloc(1, sizeof *app->admin_guard);
	server_route(app->server, "/admin/reload", admin_reload_route, app);
	server_route_max_body(app->server, "/hooks/*", hooks_route, app, HOOK_MAX_BODY);
}

void app_report_leftover(uv_handle_t *h, void *arg)
{
	(void)arg;
	log_warn("shutdown: handle of type %s still open", uv_handle_type_name(h->type));
}
