/* The console's sessions (store_sessions.h). */
#include "store_sessions.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

void store_session_key(const char *token, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL) || n != 32) {
		out[0] = 0; /* matches no row */
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int store_session_put(struct store *st, const char *token, const struct stored_session *in,
		      int64_t now_ms)
{
	char key[65];
	store_session_key(token, key);
	struct store_tx *tx = store_begin(st);
	if (!tx)
		return -1;
	struct sql_stmt *s = store__prep(st, "DELETE FROM console_sessions WHERE expires_ms < ?1");
	if (s)
		sql_bind_int64(s, 1, now_ms);
	if (!s || store__step_done(st, s, "sessions expire") < 0)
		goto fail;
	s = store__prep(st, "INSERT INTO console_sessions (token_sha, csrf, login, role, "
			    "created_ms, last_seen_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!s)
		goto fail;
	sql_bind_text(s, 1, key);
	sql_bind_text(s, 2, in->csrf);
	sql_bind_text(s, 3, in->login);
	sql_bind_text(s, 4, in->role);
	sql_bind_int64(s, 5, in->created_ms);
	sql_bind_int64(s, 6, in->last_seen_ms);
	sql_bind_int64(s, 7, in->expires_ms);
	if (store__step_done(st, s, "session put") < 0)
		goto fail;
	return store_commit(tx);
fail:
	store_rollback(tx);
	return -1;
}

int store_session_get(struct store *st, const char *token, struct stored_session *out)
{
	char key[65];
	store_session_key(token, key);
	struct sql_stmt *s = store__prep(st, "SELECT csrf, login, role, created_ms, last_seen_ms, "
					  "expires_ms FROM console_sessions WHERE token_sha = ?1");
	if (!s)
		return -1;
	sql_bind_text(s, 1, key);
	int rc = sql_step(s);
	if (rc == SQL_ROW) {
		snprintf(out->csrf, sizeof out->csrf, "%s", sql_column_text(s, 0));
		snprintf(out->login, sizeof out->login, "%s", sql_column_text(s, 1));
		snprintf(out->role, sizeof out->role, "%s", sql_column_text(s, 2));
		out->created_ms = sql_column_int64(s, 3);
		out->last_seen_ms = sql_column_int64(s, 4);
		out->expires_ms = sql_column_int64(s, 5);
	}
	sql_reset(s);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

static int keyed_write(struct store *st, const char *sql, const char *key, int64_t v,
		       const char *what)
{
	struct sql_stmt *s = store__prep(st, sql);
	if (!s)
		return -1;
	sql_bind_text(s, 1, key);
	if (v >= 0)
		sql_bind_int64(s, 2, v);
	return store__write_unit(st, s, what);
}

int store_session_seen(struct store *st, const char *token_key, int64_t last_seen_ms)
{
	return keyed_write(st, "UPDATE console_sessions SET last_seen_ms = ?2 WHERE token_sha = ?1 "
			       "AND last_seen_ms < ?2",
			   token_key, last_seen_ms, "session seen");
}

int store_session_delete(struct store *st, const char *token_key)
{
	return keyed_write(st, "DELETE FROM console_sessions WHERE token_sha = ?1", token_key, -1,
			   "session delete");
}
