/* The console's sessions in the store (issue #14 item 4): a secretary logged in on one
 * instance is logged in on all of them, and stays logged in through a restart or a
 * failover. The token itself is never stored: rows are keyed by its SHA-256. */
#ifndef DESKBOT_STORE_SESSIONS_H
#define DESKBOT_STORE_SESSIONS_H
#include <stddef.h>
#include <stdint.h>

struct store;

struct stored_session {
	char csrf[65], login[64], role[16]; /* csrf: AUTH_TOKEN_LEN hex characters */
	int64_t created_ms, last_seen_ms, expires_ms;
};

/* The hex SHA-256 of token into out (65 bytes). */
void store_session_key(const char *token, char out[65]);
/* Keeps a new session (its own unit of work; expired sessions are removed with it). 0 or
 * -1. */
int store_session_put(struct store *st, const char *token, const struct stored_session *s,
		      int64_t now_ms);
/* The session of token: 1 found (alive or not: the caller judges), 0 none, -1 error. */
int store_session_get(struct store *st, const char *token, struct stored_session *out);
/* Records that the session was used at last_seen_ms (its idle clock). 0 or -1. */
int store_session_seen(struct store *st, const char *token_key, int64_t last_seen_ms);
/* Ends the session (logout). 0 or -1. */
int store_session_delete(struct store *st, const char *token_key);
#endif
