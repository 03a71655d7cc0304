/* Console sessions in the store (bot/store_sessions.c through bot/auth.c), both backends:
 * a session made on one instance is valid on another on the same store and after a
 * restart; a logout on one ends it on the other within AUTH_RECHECK_MS; an operator
 * taken out of the config is logged out everywhere; the role is the config's; the store
 * keeps only the token's SHA-256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "password.h"
#include "store.h"
#include "store_int.h"
#include "store_sessions.h"
#include "test_store_fixture.h"

#define RIGHT "correct horse battery"

static struct config cfg;
static struct config_operator ops[2];

static int group_setup(void **state)
{
	(void)state;
	char *h = password_hash(RIGHT);
	assert_non_null(h);
	ops[0] = (struct config_operator){"marina", h, "admin", NULL};
	ops[1] = (struct config_operator){"oleg", strdup(h), "operator", NULL};
	cfg.operators = ops;
	cfg.n_operators = 2;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(ops[0].password_hash);
	free(ops[1].password_hash);
	return 0;
}

static struct auth *instance(struct store *st)
{
	struct auth *a = auth_new(&cfg);
	auth_set_store(a, st);
	return a;
}

/* Logs oleg in on a; the cookie header for his session into cookie. */
static void log_in(struct auth *a, int64_t t, char *cookie, size_t len, char *csrf)
{
	const struct auth_session *s = NULL;
	int64_t retry = 0;
	assert_int_equal(auth_login(a, "oleg", RIGHT, "10.0.0.5", t, &s, &retry), 0);
	snprintf(cookie, len, "%s=%s", AUTH_COOKIE, s->token);
	snprintf(csrf, AUTH_TOKEN_LEN + 1, "%s", s->csrf);
}

static void one_session_on_every_instance(void **state)
{
	(void)state;
	struct store *sa = open_store(), *sb = open_store();
	struct auth *a = instance(sa), *b = instance(sb);
	char cookie[160], csrf[AUTH_TOKEN_LEN + 1];
	int64_t t = 1000000;
	log_in(a, t, cookie, sizeof cookie, csrf);
	/* Instance b never saw the login, and knows the session, its CSRF token and role. */
	const struct auth_session *s = auth_session(b, cookie, t + 10);
	assert_non_null(s);
	assert_string_equal(s->login, "oleg");
	assert_string_equal(s->role, "operator");
	assert_string_equal(s->csrf, csrf);
	/* A made-up token is nobody's, on either. */
	char fake[160];
	snprintf(fake, sizeof fake, "%s=%064d", AUTH_COOKIE, 7);
	assert_null(auth_session(b, fake, t + 20));
	/* The store holds the SHA-256 only, never the token. */
	const char *token = strchr(cookie, '=') + 1;
	char key[65];
	store_session_key(token, key);
	assert_int_equal(strlen(key), 64);
	assert_string_not_equal(key, token);
	struct stored_session row;
	assert_int_equal(store_session_get(sa, token, &row), 1);
	assert_int_equal(store__scalar(sa, "SELECT count(*) FROM console_sessions"), 1);
	/* A restart: a new auth on the same store keeps oleg logged in. */
	auth_free(a);
	a = instance(sa);
	assert_non_null(auth_session(a, cookie, t + 30));
	/* Logged out on a: b refuses it once its recheck is due, not before a logout shows. */
	const struct auth_session *on_a = auth_session(a, cookie, t + 40);
	assert_non_null(on_a);
	auth_logout(a, on_a->id);
	assert_null(auth_session(a, cookie, t + 50));
	assert_null(auth_session(b, cookie, t + 50 + 3000));
	assert_int_equal(store__scalar(sa, "SELECT count(*) FROM console_sessions"), 0);
	auth_free(b);
	auth_free(a);
	store_close(sb);
	store_close(sa);
}

static void an_operator_removed_from_the_config_is_out(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct auth *a = instance(st);
	char cookie[160], csrf[AUTH_TOKEN_LEN + 1];
	log_in(a, 5000000, cookie, sizeof cookie, csrf);
	auth_free(a);
	/* The next start's config has no oleg: his stored session is not taken. */
	cfg.n_operators = 1;
	a = instance(st);
	assert_null(auth_session(a, cookie, 5000100));
	cfg.n_operators = 2;
	auth_free(a);
	/* An expired one neither (12 h absolute lifetime). */
	a = instance(st);
	assert_null(auth_session(a, cookie, 5000000 + 13 * 3600 * 1000LL));
	auth_free(a);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_session_on_every_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(an_operator_removed_from_the_config_is_out, setup,
						teardown),
	};
	return tb_run_group(tests, group_setup, group_teardown);
}
