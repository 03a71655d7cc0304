/* Operator sessions for the console: login against the operators of the config (salted
 * hashes from "deskbot passwd"), session tokens of 256 random bits (getrandom) carried in
 * an HttpOnly, SameSite=Strict cookie, a per-session CSRF token for every state-changing
 * request, an Origin check, and login throttling per login and per client address
 * (a growing lock-out after repeated failures).
 *
 * Throttling has two parts that cannot be played against each other:
 * - per login: one state for each configured login and one shared by all unknown logins,
 *   allocated at auth_new, so no number of addresses or made-up logins can push a locked
 *   login out of memory (a bounded LRU table did: 12 guesses in 63 s);
 * - per address: a bounded table (LRU), which only ever forgets the evicted address.
 * An address that has logged in successfully as a login is trusted for it (up to 8 per
 * login, in memory) and has its own count there: failures from other addresses lock the
 * login everywhere else but not at its owner's desk. Failures at a trusted address still
 * lock that address. A refusal is logged (and should be audited) at most once a minute
 * per login, with the number of refusals in between.
 *
 * Sessions live in memory and, once auth_set_store is called, in the store too (by the
 * SHA-256 of their token): a restart, or another instance on the same store, knows them;
 * a session used here is checked against the store every few seconds, so a logout on
 * one instance ends it on all. Tokens and passwords are never logged; log lines name the
 * login and the client address only. */
#ifndef DESKBOT_AUTH_H
#define DESKBOT_AUTH_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct config;
struct http_req;

#define AUTH_COOKIE "deskbot_session"
#define AUTH_TOKEN_LEN 64 /* hex characters of a session or CSRF token */

/* Results of auth_login, as an X-macro table (auth_strerror). */
#define AUTH_ERRNO_MAP(XX)                                                   \
	XX(BAD_CREDENTIALS, -1, "wrong login or password")                     \
	XX(THROTTLED, -2, "too many failed logins; try again later")            \
	XX(NO_RANDOM, -3, "no random bytes for a session token")                 \
	XX(MALFORMED, -4, "login and password must be non-empty strings")      \
	XX(BUSY, -5, "too many logins at once; try again in a moment")         \
	XX(CANCELLED, -6, "the server is stopping")

enum {
#define XX(name, value, text) AUTH_E##name = (value),
	AUTH_ERRNO_MAP(XX)
#undef XX
};

const char *auth_strerror(int err);

/* A logged-in operator. Borrowed from struct auth: valid until the next auth call. */
struct auth_session {
	uint64_t id;                      /* stable handle (auth_session_by_id) */
	char token[AUTH_TOKEN_LEN + 1];   /* the cookie value: a secret */
	char csrf[AUTH_TOKEN_LEN + 1];    /* the X-CSRF-Token value */
	char login[64];
	char role[16];                    /* "operator" or "admin" */
	int64_t created_ms, last_seen_ms, expires_ms;
	char key[65];                     /* the token's SHA-256 (the store's key) */
	int64_t stored_seen_ms, checked_ms; /* last_seen written to / read from the store */
};

struct auth;

/* Operators are read from cfg, which must outlive the struct auth (borrowed). */
struct auth *auth_new(const struct config *cfg);
/* Accepts NULL. */
void auth_free(struct auth *a);
struct store;
/* Keeps sessions in st as well (borrowed; it outlives a). */
void auth_set_store(struct auth *a, struct store *st);

/* Checks login and password for a client at peer. On success returns 0 and *out is the
 * new session. Otherwise returns an AUTH_E* value; with AUTH_ETHROTTLED,
 * *retry_after_ms says how long the caller must wait. Every failure is counted against
 * both the login and the address. */
int auth_login(struct auth *a, const char *login, const char *password, const char *peer,
	       int64_t now_ms, const struct auth_session **out, int64_t *retry_after_ms);
/* auth_login in its three steps, for a caller that verifies the hash elsewhere:
 * auth_login_check (0 = go on, else AUTH_E*), password_verify(password,
 * auth_login_hash(a, login)) on any thread, then auth_login_finish with its result. */
int auth_login_check(struct auth *a, const char *login, const char *password,
		     const char *peer, int64_t now_ms, int64_t *retry_after_ms);
const char *auth_login_hash(const struct auth *a, const char *login);
int auth_login_finish(struct auth *a, const char *login, const char *peer, int verified,
		      int64_t now_ms, const struct auth_session **out);
/* After AUTH_ETHROTTLED: the number of refusals to report now (one audit row for all of
 * them), or 0 when this one is covered by a report made less than a minute ago. */
int auth_throttle_report(const struct auth *a);

/* auth_login with the yescrypt check (20-25 ms, 16 MB) on the libuv thread pool, so
 * the loop goes on serving meanwhile. done runs on the loop with the result (session
 * borrowed as for auth_login). At most AUTH_MAX_VERIFYING checks run or wait at once,
 * one per address: beyond that the answer is AUTH_EBUSY at once. Throttle refusals and
 * malformed input are answered at once too (done has run when this returns them).
 * Returns 0 when the check is queued or done has run. A check still running when
 * auth_free is called ends with AUTH_ECANCELLED: done must then touch nothing but arg. */
#define AUTH_MAX_VERIFYING 8
typedef void (*auth_login_done)(void *arg, int result, const struct auth_session *s,
				int64_t retry_after_ms);
int auth_login_async(struct auth *a, uv_loop_t *loop, const char *login, const char *password,
		     const char *peer, auth_login_done done, void *arg);
/* Trusts peer for login as if it had logged in at at_ms (a configured login only; the
 * 8 most recent addresses per login are kept). For seeding after a restart from the
 * audit log (store_console_recent_logins). */
void auth_trust(struct auth *a, const char *login, const char *peer, int64_t at_ms);

/* The session named by the Cookie header, or NULL when there is none, it expired or it
 * idled out. Touches its last-seen time. */
const struct auth_session *auth_session(struct auth *a, const char *cookie_header,
					int64_t now_ms);
/* The session with this id if it is still valid, else NULL. */
const struct auth_session *auth_session_by_id(struct auth *a, uint64_t id, int64_t now_ms);
/* Marks the session as in use now (an open console pings), so it does not idle out. */
void auth_touch(struct auth *a, uint64_t id, int64_t now_ms);
/* Ends the session (logout). */
void auth_logout(struct auth *a, uint64_t id);
/* Number of live sessions. */
size_t auth_count(const struct auth *a);

/* 1 when the request may come from our own pages: its Origin header, if any, names the
 * Host it was sent to (http or https). */
int auth_origin_ok(const struct http_req *req);
/* 1 when a state-changing request carries the session's CSRF token in X-CSRF-Token and
 * passes the Origin check. */
int auth_csrf_ok(const struct auth_session *s, const struct http_req *req);
/* The Set-Cookie value that installs (token non-NULL) or clears (NULL) the session
 * cookie. Caller frees. */
char *auth_cookie(const char *token, int64_t max_age_s);

/* Fills out (2 * n + 1 bytes) with n random bytes as hex. Returns 0 or -1. */
int auth_random_hex(char *out, size_t n);

#endif
