/* Login throttling under attack (issue 10, item 7), through auth_login only, so that it
 * also runs against the code before the fix: a locked login must stay locked however
 * many other addresses and logins fail meanwhile (LRU eviction let it out), and failures
 * from elsewhere must not lock the owner out at the address she logs in from. */
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

#define RIGHT "correct horse battery"

struct fx {
	struct config cfg;
	struct config_operator ops[2];
	struct auth *a;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char *h = password_hash(RIGHT);
	assert_non_null(h);
	f->ops[0] = (struct config_operator){"marina", h, "admin", NULL};
	f->ops[1] = (struct config_operator){"oleg", strdup(h), "operator", NULL};
	f->cfg.operators = f->ops;
	f->cfg.n_operators = 2;
	f->a = auth_new(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	auth_free(f->a);
	free(f->ops[0].password_hash);
	free(f->ops[1].password_hash);
	free(f);
	return 0;
}

static int try_login(struct fx *f, const char *login, const char *pw, const char *peer,
		     int64_t t)
{
	const struct auth_session *s = NULL;
	int64_t retry = 0;
	return auth_login(f->a, login, pw, peer, t, &s, &retry);
}

/* Before the fix 1,024 shared slots with LRU eviction: failures of ~520 made-up logins
 * from as many addresses pushed "l:marina" out and her lock was gone. */
static void locked_login_survives_address_and_login_churn(void **state)
{
	struct fx *f = *state;
	int64_t t = 5000000;
	char peer[64], login[64];
	for (int i = 0; i < 6; i++) {
		snprintf(peer, sizeof peer, "10.1.0.%d", i);
		int rc = try_login(f, "marina", "guess", peer, t++);
		assert_true(rc == AUTH_EBAD_CREDENTIALS || rc == AUTH_ETHROTTLED);
	}
	assert_int_equal(try_login(f, "marina", RIGHT, "10.1.1.1", t++), AUTH_ETHROTTLED);
	for (int i = 0; i < 600; i++) {
		snprintf(peer, sizeof peer, "2001:db8::%x", i);
		snprintf(login, sizeof login, "nobody%d", i);
		int rc = try_login(f, login, "guess", peer, t++);
		assert_true(rc == AUTH_EBAD_CREDENTIALS || rc == AUTH_ETHROTTLED);
	}
	/* Still locked for an address that never logged in as marina. */
	assert_int_equal(try_login(f, "marina", RIGHT, "10.1.2.2", t++), AUTH_ETHROTTLED);
	/* Other logins are not affected by marina's lock or the made-up logins. */
	assert_int_equal(try_login(f, "oleg", RIGHT, "10.1.3.3", t++), 0);
}

/* Before the fix three wrong passwords from anywhere locked the login everywhere. */
static void owner_is_not_locked_out_at_her_own_address(void **state)
{
	struct fx *f = *state;
	int64_t t = 9000000;
	assert_int_equal(try_login(f, "marina", RIGHT, "192.168.7.5", t++), 0);
	char peer[64];
	for (int i = 0; i < 12; i++) {
		snprintf(peer, sizeof peer, "203.0.113.%d", i);
		try_login(f, "marina", "guess", peer, t++);
	}
	/* The attacker, even with the right password, waits... */
	assert_int_equal(try_login(f, "marina", RIGHT, "203.0.113.200", t++), AUTH_ETHROTTLED);
	/* ...the owner does not. */
	assert_int_equal(try_login(f, "marina", RIGHT, "192.168.7.5", t++), 0);
	/* Her own wrong passwords still count at her address. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(try_login(f, "marina", "typo", "192.168.7.5", t++),
				 AUTH_EBAD_CREDENTIALS);
	assert_int_equal(try_login(f, "marina", RIGHT, "192.168.7.5", t++), AUTH_ETHROTTLED);
}

/* The lock still grows to its cap: after many failures at most a few guesses an hour. */
static void guesses_an_hour_stay_few(void **state)
{
	struct fx *f = *state;
	int64_t t = 20000000, end = t + 3600 * 1000LL;
	int tried = 0;
	char peer[64];
	for (int i = 0; t < end && i < 100000; i++) {
		snprintf(peer, sizeof peer, "198.51.100.%d", i % 250);
		int64_t retry = 0;
		const struct auth_session *s = NULL;
		int rc = auth_login(f->a, "oleg", "guess", peer, t, &s, &retry);
		if (rc == AUTH_EBAD_CREDENTIALS)
			tried++;
		t += rc == AUTH_ETHROTTLED && retry > 0 ? retry : 1;
	}
	/* 3 free, then locks of 1, 2, 4 ... s up to 15 min: about 16 in the first hour. */
	assert_true(tried <= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(locked_login_survives_address_and_login_churn,
						setup, teardown),
		cmocka_unit_test_setup_teardown(owner_is_not_locked_out_at_her_own_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(guesses_an_hour_stay_few, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
