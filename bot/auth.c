/* Console sessions, CSRF and login throttling (see auth.h). */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "config.h"
#include "log.h"
#include "password.h"
#include "server.h"
#include "xalloc.h"

#define AUTH_MAX_SESSIONS 4096
#define AUTH_SESSION_TTL_MS (12 * 3600 * 1000LL) /* absolute lifetime */
#define AUTH_IDLE_MS (4 * 3600 * 1000LL)         /* idle lifetime */
#define AUTH_THROTTLE_SLOTS 1024
#define AUTH_FREE_FAILURES 3                      /* failures before any delay */
#define AUTH_MAX_LOCK_MS (15 * 60 * 1000LL)
#define AUTH_THROTTLE_FORGET_MS (60 * 60 * 1000LL) /* a quiet hour forgives */

/* Failed logins of one key ("l:LOGIN" or "a:ADDRESS"). */
struct throttle {
	char key[80];
	int failures;
	int64_t locked_until_ms;
	int64_t last_ms;
};

struct auth {
	const struct config *cfg;
	struct auth_session *sessions; /* unordered; removal swaps the last one in */
	size_t n_sessions;
	uint64_t next_id;
	struct throttle throttles[AUTH_THROTTLE_SLOTS];
	char dummy_hash[160]; /* verified against for unknown logins: equal timing */
};

const char *auth_strerror(int err)
{
	switch (err) {
#define XX(name, value, text) \
	case AUTH_E##name:    \
		return text;
		AUTH_ERRNO_MAP(XX)
#undef XX
	case 0:
		return "ok";
	}
	return "unknown error";
}

int auth_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	if (n > sizeof raw)
		return -1;
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(raw + got, n - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * n] = '\0';
	explicit_bzero(raw, sizeof raw);
	return 0;
}

struct auth *auth_new(const struct config *cfg)
{
	struct auth *a = xcalloc(1, sizeof *a);
	a->cfg = cfg;
	a->sessions = xcalloc(AUTH_MAX_SESSIONS, sizeof *a->sessions);
	a->next_id = 1;
	/* A real yescrypt hash of a random password nobody kept, so that an unknown login
	 * costs the same as a known one. Fixed here rather than made at start-up: making
	 * one takes 16 MB for a moment, which is more than the whole idle daemon. */
	snprintf(a->dummy_hash, sizeof a->dummy_hash, "%s",
		 "$y$j9T$ttXA/fMCYsIr.AUFycgH1.$UJCBSTipik6uI7FuSzLeoSNE6Kofe4Z93btd7t3eGn7");
	return a;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	explicit_bzero(a->sessions, AUTH_MAX_SESSIONS * sizeof *a->sessions);
	free(a->sessions);
	free(a);
}

/* Constant-time equality of two NUL-terminated strings of the same expected length. */
static int secret_eq(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned char diff = (unsigned char)(n != m);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ (i < m ? b[i] : 0));
	return diff == 0 && n > 0;
}

static struct throttle *throttle_get(struct auth *a, const char *prefix, const char *name,
				     int64_t now, int create)
{
	char key[80];
	snprintf(key, sizeof key, "%s%s", prefix, name);
	struct throttle *oldest = &a->throttles[0];
	for (size_t i = 0; i < AUTH_THROTTLE_SLOTS; i++) {
		struct throttle *t = &a->throttles[i];
		if (t->key[0] && now - t->last_ms > AUTH_THROTTLE_FORGET_MS &&
		    now >= t->locked_until_ms)
			t->key[0] = '\0';
		if (t->key[0] && strcmp(t->key, key) == 0)
			return t;
		if (!t->key[0] || (oldest->key[0] && t->last_ms < oldest->last_ms))
			oldest = t;
	}
	if (!create)
		return NULL;
	*oldest = (struct throttle){0};
	snprintf(oldest->key, sizeof oldest->key, "%s", key);
	oldest->last_ms = now;
	return oldest;
}

static void throttle_fail(struct throttle *t, int64_t now)
{
	t->failures++;
	t->last_ms = now;
	if (t->failures >= AUTH_FREE_FAILURES) {
		int64_t delay = 1000;
		for (int i = AUTH_FREE_FAILURES; i < t->failures && delay < AUTH_MAX_LOCK_MS; i++)
			delay *= 2;
		if (delay > AUTH_MAX_LOCK_MS)
			delay = AUTH_MAX_LOCK_MS;
		t->locked_until_ms = now + delay;
	}
}

static void session_remove(struct auth *a, size_t i)
{
	a->sessions[i] = a->sessions[--a->n_sessions];
	explicit_bzero(&a->sessions[a->n_sessions], sizeof a->sessions[0]);
}

static int session_alive(const struct auth_session *s, int64_t now)
{
	return now < s->expires_ms && now - s->last_seen_ms < AUTH_IDLE_MS;
}

static void sessions_sweep(struct auth *a, int64_t now)
{
	for (size_t i = 0; i < a->n_sessions;)
		if (!session_alive(&a->sessions[i], now))
			session_remove(a, i);
		else
			i++;
}

static const struct config_operator *find_operator(const struct config *cfg, const char *login)
{
	for (size_t i = 0; i < cfg->n_operators; i++)
		if (strcmp(cfg->operators[i].login, login) == 0)
			return &cfg->operators[i];
	return NULL;
}

int auth_login(struct auth *a, const char *login, const char *password, const char *peer,
	       int64_t now_ms, const struct auth_session **out, int64_t *retry_after_ms)
{
	*out = NULL;
	*retry_after_ms = 0;
	if (!login || !*login || !password || !*password || strlen(login) >= 64 ||
	    strlen(password) > 1024)
		return AUTH_EMALFORMED;
	struct throttle *tl = throttle_get(a, "l:", login, now_ms, 0);
	struct throttle *ta = throttle_get(a, "a:", peer, now_ms, 0);
	int64_t until = 0;
	if (tl && tl->locked_until_ms > until)
		until = tl->locked_until_ms;
	if (ta && ta->locked_until_ms > until)
		until = ta->locked_until_ms;
	if (until > now_ms) {
		*retry_after_ms = until - now_ms;
		log_warn("auth: login of %s from %s refused: throttled for %lld ms more", login, peer,
			 (long long)*retry_after_ms);
		return AUTH_ETHROTTLED;
	}
	const struct config_operator *op = find_operator(a->cfg, login);
	int ok = password_verify(password, op ? op->password_hash : a->dummy_hash) && op;
	if (!ok) {
		throttle_fail(throttle_get(a, "l:", login, now_ms, 1), now_ms);
		throttle_fail(throttle_get(a, "a:", peer, now_ms, 1), now_ms);
		log_warn("auth: failed login for %s%s from %s", login, op ? "" : " (unknown)", peer);
		return AUTH_EBAD_CREDENTIALS;
	}
	/* A success forgives this login and address. */
	if ((tl = throttle_get(a, "l:", login, now_ms, 0)))
		tl->key[0] = '\0';
	if ((ta = throttle_get(a, "a:", peer, now_ms, 0)))
		ta->key[0] = '\0';
	sessions_sweep(a, now_ms);
	if (a->n_sessions == AUTH_MAX_SESSIONS) {
		/* Full: the least recently seen session makes room. */
		size_t lru = 0;
		for (size_t i = 1; i < a->n_sessions; i++)
			if (a->sessions[i].last_seen_ms < a->sessions[lru].last_seen_ms)
				lru = i;
		session_remove(a, lru);
	}
	struct auth_session *s = &a->sessions[a->n_sessions];
	*s = (struct auth_session){0};
	if (auth_random_hex(s->token, AUTH_TOKEN_LEN / 2) < 0 ||
	    auth_random_hex(s->csrf, AUTH_TOKEN_LEN / 2) < 0) {
		explicit_bzero(s, sizeof *s);
		log_error("auth: getrandom failed; no session for %s", login);
		return AUTH_ENO_RANDOM;
	}
	a->n_sessions++;
	s->id = a->next_id++;
	snprintf(s->login, sizeof s->login, "%s", login);
	snprintf(s->role, sizeof s->role, "%s", op->role ? op->role : "operator");
	s->created_ms = s->last_seen_ms = now_ms;
	s->expires_ms = now_ms + AUTH_SESSION_TTL_MS;
	log_info("auth: %s (%s) logged in from %s", s->login, s->role, peer);
	*out = s;
	return 0;
}

const struct auth_session *auth_session(struct auth *a, const char *cookie_header,
					int64_t now_ms)
{
	char token[AUTH_TOKEN_LEN + 8];
	if (!cookie_header || http_cookie(cookie_header, AUTH_COOKIE, token, sizeof token) < 0 ||
	    strlen(token) != AUTH_TOKEN_LEN)
		return NULL;
	struct auth_session *found = NULL;
	/* Every live session is compared in full, so timing says nothing about the token. */
	for (size_t i = 0; i < a->n_sessions; i++)
		if (secret_eq(a->sessions[i].token, token))
			found = &a->sessions[i];
	explicit_bzero(token, sizeof token);
	if (!found)
		return NULL;
	if (!session_alive(found, now_ms)) {
		session_remove(a, (size_t)(found - a->sessions));
		return NULL;
	}
	found->last_seen_ms = now_ms;
	return found;
}

const struct auth_session *auth_session_by_id(struct auth *a, uint64_t id, int64_t now_ms)
{
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].id == id)
			return session_alive(&a->sessions[i], now_ms) ? &a->sessions[i] : NULL;
	return NULL;
}

void auth_touch(struct auth *a, uint64_t id, int64_t now_ms)
{
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].id == id && session_alive(&a->sessions[i], now_ms))
			a->sessions[i].last_seen_ms = now_ms;
}

void auth_logout(struct auth *a, uint64_t id)
{
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].id == id) {
			log_info("auth: %s logged out", a->sessions[i].login);
			session_remove(a, i);
			return;
		}
}

size_t auth_count(const struct auth *a)
{
	return a->n_sessions;
}

int auth_origin_ok(const struct http_req *req)
{
	if (!req->origin || !*req->origin)
		return 1; /* same-origin GETs and non-browser clients send none */
	const char *o = req->origin;
	if (strncmp(o, "http://", 7) == 0)
		o += 7;
	else if (strncmp(o, "https://", 8) == 0)
		o += 8;
	else
		return 0;
	return req->host && *req->host && strcmp(o, req->host) == 0;
}

int auth_csrf_ok(const struct auth_session *s, const struct http_req *req)
{
	return s && req->csrf && secret_eq(s->csrf, req->csrf) && auth_origin_ok(req);
}

char *auth_cookie(const char *token, int64_t max_age_s)
{
	if (!token)
		return xstrdup(AUTH_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	return xasprintf(AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", token,
			 (long long)max_age_s);
}
