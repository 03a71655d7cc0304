/* Console sessions, CSRF and login throttling (see auth.h). */
#include "auth.h"
#include "store_sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "password.h"
#include "server.h"
#include "xalloc.h"

#define AUTH_MAX_SESSIONS 4096
#define AUTH_SESSION_TTL_MS (12 * 3600 * 1000LL) /* absolute lifetime */
#define AUTH_IDLE_MS (4 * 3600 * 1000LL)         /* idle lifetime */
#define AUTH_ADDR_SLOTS 1024                      /* addresses remembered (LRU) */
#define AUTH_TRUSTED 8                            /* addresses remembered per login */
#define AUTH_FREE_FAILURES 3                      /* failures before any delay */
#define AUTH_MAX_LOCK_MS (15 * 60 * 1000LL)
#define AUTH_THROTTLE_FORGET_MS (60 * 60 * 1000LL) /* a quiet hour forgives */
#define AUTH_REPORT_MS (60 * 1000LL)              /* one throttle report a minute */

/* Failed logins counted against one thing: a login, an address, or a login at one of
 * its trusted addresses. */
struct throttle {
	int failures;
	int64_t locked_until_ms;
	int64_t last_ms;
};

/* An address that has logged in as this login before, with its own count: failures
 * from elsewhere do not lock it out, its own do. */
struct trusted {
	char addr[64];
	int64_t last_ok_ms;
	struct throttle t;
};

/* Per-login state, one for each configured login plus one shared by every unknown login
 * (the set of logins is the config's, so nothing an attacker sends can evict one). */
struct login_state {
	struct throttle t;         /* failures from addresses that are not trusted */
	struct trusted trusted[AUTH_TRUSTED];
	int64_t report_ms;         /* last throttle report (log line, audit row) */
	int unreported;            /* refusals since */
};

/* Per-address state: a bounded table, least recently used out. Evicting an address
 * only forgets that address; the per-login state above is what stops guessing spread
 * over many addresses. */
struct addr_slot {
	char addr[64];
	struct throttle t;
};

/* One password check on the thread pool. Owned by itself: freed in its after-work
 * callback, whether or not the struct auth still exists then. */
struct login_job {
	uv_work_t req;
	struct auth *a; /* NULL once auth_free ran */
	struct login_job *next;
	char login[64];
	char peer[64];
	char *password;
	char *hash;
	int verified;
	auth_login_done done;
	void *arg;
};

struct auth {
	const struct config *cfg;
	struct store *store;           /* NULL: sessions in memory only */
	struct auth_session *sessions; /* unordered; removal swaps the last one in */
	size_t n_sessions;
	uint64_t next_id;
	struct login_state *logins;    /* cfg->n_operators + 1: the last is "unknown" */
	struct addr_slot addrs[AUTH_ADDR_SLOTS];
	int report;                    /* refusals the last AUTH_ETHROTTLED should report */
	struct login_job *jobs;        /* checks on the thread pool */
	int n_jobs;
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
	a->logins = xcalloc(cfg->n_operators + 1, sizeof *a->logins);
	/* A real yescrypt hash of a random password nobody kept, so that an unknown login
	 * costs the same as a known one. Fixed here rather than made at start-up: making
	 * one takes 16 MB for a moment, which is more than the whole idle daemon. */
	snprintf(a->dummy_hash, sizeof a->dummy_hash, "%s",
		 "$y$j9T$ttXA/fMCYsIr.AUFycgH1.$UJCBSTipik6uI7FuSzLeoSNE6Kofe4Z93btd7t3eGn7");
	return a;
}

void auth_set_store(struct auth *a, struct store *st)
{
	a->store = st;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	explicit_bzero(a->sessions, AUTH_MAX_SESSIONS * sizeof *a->sessions);
	free(a->sessions);
	free(a->logins);
	/* Checks still on the thread pool finish without us: they only free themselves. */
	for (struct login_job *j = a->jobs; j; j = j->next)
		j->a = NULL;
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

/* A quiet hour (and no lock running) forgives. */
static void throttle_age(struct throttle *t, int64_t now)
{
	if (t->failures && now - t->last_ms > AUTH_THROTTLE_FORGET_MS && now >= t->locked_until_ms)
		*t = (struct throttle){0};
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

/* The state of login: its own, or the one every unknown login shares. */
static struct login_state *login_state(struct auth *a, const char *login)
{
	for (size_t i = 0; i < a->cfg->n_operators; i++)
		if (strcmp(a->cfg->operators[i].login, login) == 0)
			return &a->logins[i];
	return &a->logins[a->cfg->n_operators];
}

static struct trusted *trusted_of(struct login_state *l, const char *peer)
{
	for (size_t i = 0; i < AUTH_TRUSTED; i++)
		if (l->trusted[i].addr[0] && strcmp(l->trusted[i].addr, peer) == 0)
			return &l->trusted[i];
	return NULL;
}

/* After a success from peer: it is trusted for this login from now on (the least
 * recently successful of AUTH_TRUSTED makes room). */
static void trust(struct login_state *l, const char *peer, int64_t now)
{
	struct trusted *t = trusted_of(l, peer);
	if (!t) {
		t = &l->trusted[0];
		for (size_t i = 1; i < AUTH_TRUSTED && t->addr[0]; i++)
			if (!l->trusted[i].addr[0] || l->trusted[i].last_ok_ms < t->last_ok_ms)
				t = &l->trusted[i];
		*t = (struct trusted){0};
		snprintf(t->addr, sizeof t->addr, "%s", peer);
	}
	t->last_ok_ms = now;
	t->t = (struct throttle){0};
}

/* The slot of address peer; created (evicting the least recently used) when create. */
static struct addr_slot *addr_slot(struct auth *a, const char *peer, int64_t now, int create)
{
	struct addr_slot *lru = &a->addrs[0];
	for (size_t i = 0; i < AUTH_ADDR_SLOTS; i++) {
		struct addr_slot *s = &a->addrs[i];
		if (s->addr[0]) {
			throttle_age(&s->t, now);
			if (!s->t.failures)
				s->addr[0] = '\0';
		}
		if (s->addr[0] && strcmp(s->addr, peer) == 0)
			return s;
		if (!s->addr[0] || (lru->addr[0] && s->t.last_ms < lru->t.last_ms))
			lru = s;
	}
	if (!create)
		return NULL;
	*lru = (struct addr_slot){0};
	snprintf(lru->addr, sizeof lru->addr, "%s", peer);
	return lru;
}

/* The throttle of login that applies at peer: a trusted address's own, else the
 * login's shared one. */
static struct throttle *login_throttle(struct login_state *l, const char *peer)
{
	struct trusted *t = trusted_of(l, peer);
	return t ? &t->t : &l->t;
}

/* A refusal is reported (log line, audit row) at most once a minute per login, with
 * the number of refusals since the last report: a locked-out attacker's retries cost
 * neither disk nor log volume. */
static int report_refusal(struct login_state *l, const char *login, const char *peer,
			  int64_t retry_ms, int64_t now)
{
	l->unreported++;
	if (l->report_ms && now - l->report_ms < AUTH_REPORT_MS)
		return 0;
	int n = l->unreported;
	l->unreported = 0;
	l->report_ms = now;
	log_warn("auth: login of %s from %s refused: throttled for %lld ms more (%d refused "
		 "since the last report)",
		 login, peer, (long long)retry_ms, n);
	return n;
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

void auth_trust(struct auth *a, const char *login, const char *peer, int64_t at_ms)
{
	if (!login || !peer || !*peer || !find_operator(a->cfg, login))
		return;
	struct login_state *l = login_state(a, login);
	struct trusted *t = trusted_of(l, peer), *oldest = &l->trusted[0];
	if (t) {
		if (at_ms > t->last_ok_ms)
			t->last_ok_ms = at_ms;
		return;
	}
	for (size_t i = 0; i < AUTH_TRUSTED; i++) {
		if (!l->trusted[i].addr[0]) {
			oldest = &l->trusted[i];
			break;
		}
		if (l->trusted[i].last_ok_ms < oldest->last_ok_ms)
			oldest = &l->trusted[i];
	}
	if (oldest->addr[0] && oldest->last_ok_ms >= at_ms)
		return; /* all 8 are more recent */
	*oldest = (struct trusted){0};
	snprintf(oldest->addr, sizeof oldest->addr, "%s", peer);
	oldest->last_ok_ms = at_ms;
}

int auth_login_check(struct auth *a, const char *login, const char *password,
		     const char *peer, int64_t now_ms, int64_t *retry_after_ms)
{
	*retry_after_ms = 0;
	a->report = 0;
	if (!login || !*login || !password || !*password || strlen(login) >= 64 ||
	    strlen(password) > 1024)
		return AUTH_EMALFORMED;
	struct login_state *l = login_state(a, login);
	struct throttle *tl = login_throttle(l, peer);
	throttle_age(tl, now_ms);
	struct addr_slot *ta = addr_slot(a, peer, now_ms, 0);
	int64_t until = tl->locked_until_ms;
	if (ta && ta->t.locked_until_ms > until)
		until = ta->t.locked_until_ms;
	if (until > now_ms) {
		*retry_after_ms = until - now_ms;
		a->report = report_refusal(l, login, peer, *retry_after_ms, now_ms);
		return AUTH_ETHROTTLED;
	}
	return 0;
}

const char *auth_login_hash(const struct auth *a, const char *login)
{
	const struct config_operator *op = login ? find_operator(a->cfg, login) : NULL;
	return op && op->password_hash ? op->password_hash : a->dummy_hash;
}

int auth_throttle_report(const struct auth *a)
{
	return a->report;
}

static struct auth_session *new_slot(struct auth *a, int64_t now_ms);

int auth_login_finish(struct auth *a, const char *login, const char *peer, int verified,
		      int64_t now_ms, const struct auth_session **out)
{
	*out = NULL;
	const struct config_operator *op = find_operator(a->cfg, login);
	struct login_state *l = login_state(a, login);
	if (!verified || !op) {
		throttle_fail(login_throttle(l, peer), now_ms);
		throttle_fail(&addr_slot(a, peer, now_ms, 1)->t, now_ms);
		log_warn("auth: failed login for %s%s from %s", login, op ? "" : " (unknown)", peer);
		return AUTH_EBAD_CREDENTIALS;
	}
	/* A success forgives this address and trusts it for this login. The login's
	 * shared count stays: whoever guesses from elsewhere is not let off by it. */
	struct addr_slot *ta = addr_slot(a, peer, now_ms, 0);
	if (ta)
		ta->addr[0] = '\0';
	trust(l, peer, now_ms);
	struct auth_session *s = new_slot(a, now_ms);
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
	store_session_key(s->token, s->key);
	s->stored_seen_ms = s->checked_ms = now_ms;
	if (a->store) {
		struct stored_session row = {.created_ms = s->created_ms, .last_seen_ms = now_ms,
					     .expires_ms = s->expires_ms};
		snprintf(row.csrf, sizeof row.csrf, "%s", s->csrf);
		snprintf(row.login, sizeof row.login, "%s", s->login);
		snprintf(row.role, sizeof row.role, "%s", s->role);
		if (store_session_put(a->store, s->token, &row, now_ms) < 0)
			log_warn("auth: the session of %s is not in the store (this instance only, "
				 "until a restart)", s->login);
		explicit_bzero(&row, sizeof row);
	}
	log_info("auth: %s (%s) logged in from %s", s->login, s->role, peer);
	*out = s;
	return 0;
}

int auth_login(struct auth *a, const char *login, const char *password, const char *peer,
	       int64_t now_ms, const struct auth_session **out, int64_t *retry_after_ms)
{
	*out = NULL;
	int rc = auth_login_check(a, login, password, peer, now_ms, retry_after_ms);
	if (rc < 0)
		return rc;
	int ok = password_verify(password, auth_login_hash(a, login));
	return auth_login_finish(a, login, peer, ok, now_ms, out);
}

/* A free slot for one more session: the least recently seen one makes room. */
static struct auth_session *new_slot(struct auth *a, int64_t now_ms)
{
	sessions_sweep(a, now_ms);
	if (a->n_sessions == AUTH_MAX_SESSIONS) {
		size_t lru = 0;
		for (size_t i = 1; i < a->n_sessions; i++)
			if (a->sessions[i].last_seen_ms < a->sessions[lru].last_seen_ms)
				lru = i;
		session_remove(a, lru);
	}
	struct auth_session *s = &a->sessions[a->n_sessions];
	*s = (struct auth_session){0};
	return s;
}

/* A session another instance (or this one before a restart) made: taken into memory
 * when it is alive and its login is still an operator of the config, with the role the
 * config gives now. */
static struct auth_session *from_store(struct auth *a, const char *token, int64_t now_ms)
{
	struct stored_session row;
	if (!a->store || store_session_get(a->store, token, &row) != 1)
		return NULL;
	const struct config_operator *op = find_operator(a->cfg, row.login);
	struct auth_session probe = {.last_seen_ms = row.last_seen_ms, .expires_ms = row.expires_ms};
	if (!op || !session_alive(&probe, now_ms)) {
		explicit_bzero(&row, sizeof row);
		return NULL;
	}
	struct auth_session *s = new_slot(a, now_ms);
	a->n_sessions++;
	s->id = a->next_id++;
	snprintf(s->token, sizeof s->token, "%s", token);
	snprintf(s->csrf, sizeof s->csrf, "%s", row.csrf);
	snprintf(s->login, sizeof s->login, "%s", op->login);
	snprintf(s->role, sizeof s->role, "%s", op->role ? op->role : "operator");
	s->created_ms = row.created_ms;
	s->last_seen_ms = s->stored_seen_ms = row.last_seen_ms;
	s->expires_ms = row.expires_ms;
	s->checked_ms = now_ms;
	store_session_key(token, s->key);
	explicit_bzero(&row, sizeof row);
	log_info("auth: %s's session taken from the store", s->login);
	return s;
}

#define AUTH_RECHECK_MS 3000   /* a logout elsewhere ends the session here within this */
#define AUTH_SEEN_WRITE_MS 60000 /* the idle clock in the store, at most once a minute */

/* 0 when the store no longer has the session (logged out on another instance). A store
 * that cannot answer keeps it: a store failure logs nobody out. */
static int still_stored(struct auth *a, struct auth_session *s, int64_t now_ms)
{
	if (!a->store || now_ms - s->checked_ms < AUTH_RECHECK_MS)
		return 1;
	s->checked_ms = now_ms;
	struct stored_session row;
	int r = store_session_get(a->store, s->token, &row);
	explicit_bzero(&row, sizeof row);
	return r != 0;
}

static void seen_to_store(struct auth *a, struct auth_session *s)
{
	if (a->store && s->last_seen_ms - s->stored_seen_ms >= AUTH_SEEN_WRITE_MS &&
	    store_session_seen(a->store, s->key, s->last_seen_ms) == 0)
		s->stored_seen_ms = s->last_seen_ms;
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
	if (!found)
		found = from_store(a, token, now_ms);
	explicit_bzero(token, sizeof token);
	if (!found)
		return NULL;
	if (!session_alive(found, now_ms) || !still_stored(a, found, now_ms)) {
		session_remove(a, (size_t)(found - a->sessions));
		return NULL;
	}
	found->last_seen_ms = now_ms;
	seen_to_store(a, found);
	return found;
}

const struct auth_session *auth_session_by_id(struct auth *a, uint64_t id, int64_t now_ms)
{
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].id == id)
			return session_alive(&a->sessions[i], now_ms) &&
					       still_stored(a, &a->sessions[i], now_ms)
				       ? &a->sessions[i]
				       : NULL;
	return NULL;
}

void auth_touch(struct auth *a, uint64_t id, int64_t now_ms)
{
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].id == id && session_alive(&a->sessions[i], now_ms)) {
			a->sessions[i].last_seen_ms = now_ms;
			seen_to_store(a, &a->sessions[i]);
		}
}

void auth_logout(struct auth *a, uint64_t id)
{
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].id == id) {
			log_info("auth: %s logged out", a->sessions[i].login);
			if (a->store && store_session_delete(a->store, a->sessions[i].key) < 0)
				log_warn("auth: %s's session could not be removed from the store",
					 a->sessions[i].login);
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

/* ---- the password check on the thread pool ---- */

static void verify_work(uv_work_t *req)
{
	struct login_job *j = req->data;
	j->verified = password_verify(j->password, j->hash);
}

static void job_unlink(struct auth *a, struct login_job *j)
{
	for (struct login_job **pp = &a->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			a->n_jobs--;
			return;
		}
}

static void verify_done(uv_work_t *req, int status)
{
	struct login_job *j = req->data;
	explicit_bzero(j->password, strlen(j->password));
	if (j->a) {
		job_unlink(j->a, j);
		const struct auth_session *s = NULL;
		int rc = status == 0 ? auth_login_finish(j->a, j->login, j->peer, j->verified,
							 clock_now_ms(), &s)
				     : AUTH_EBUSY;
		j->done(j->arg, rc, s, 0);
	} else {
		j->done(j->arg, AUTH_ECANCELLED, NULL, 0); /* the caller only frees its part */
	}
	free(j->password);
	free(j->hash);
	free(j);
}

static int verifying_from(const struct auth *a, const char *peer)
{
	for (const struct login_job *j = a->jobs; j; j = j->next)
		if (strcmp(j->peer, peer) == 0)
			return 1;
	return 0;
}

int auth_login_async(struct auth *a, uv_loop_t *loop, const char *login, const char *password,
		     const char *peer, auth_login_done done, void *arg)
{
	int64_t retry = 0;
	int rc = auth_login_check(a, login, password, peer, clock_now_ms(), &retry);
	/* Checks already running have not counted their failures yet: without a cap, one
	 * address could queue thousands of guesses before the first is counted. */
	if (rc == 0 && (a->n_jobs >= AUTH_MAX_VERIFYING || verifying_from(a, peer)))
		rc = AUTH_EBUSY;
	if (rc < 0) {
		done(arg, rc, NULL, retry);
		return 0;
	}
	struct login_job *j = xcalloc(1, sizeof *j);
	j->a = a;
	snprintf(j->login, sizeof j->login, "%s", login);
	snprintf(j->peer, sizeof j->peer, "%s", peer);
	j->password = xstrdup(password);
	j->hash = xstrdup(auth_login_hash(a, login));
	j->done = done;
	j->arg = arg;
	j->req.data = j;
	if (uv_queue_work(loop, &j->req, verify_work, verify_done) != 0) {
		log_error("auth: cannot queue the password check of %s", login);
		explicit_bzero(j->password, strlen(j->password));
		free(j->password);
		free(j->hash);
		free(j);
		done(arg, AUTH_EBUSY, NULL, 0);
		return 0;
	}
	j->next = a->jobs;
	a->jobs = j;
	a->n_jobs++;
	return 0;
}
