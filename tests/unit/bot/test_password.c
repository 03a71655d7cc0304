/* Passwords: salted (two hashes of one password differ) and verifiable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"

static void hash_and_verify(void **state)
{
	char *a = password_hash("correct horse");
	char *b = password_hash("correct horse");
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b);
	assert_null(strstr(a, "correct"));
	assert_true(password_verify("correct horse", a));
	assert_true(password_verify("correct horse", b));
	assert_false(password_verify("correct horsE", a));
	assert_false(password_verify("", a));
	assert_false(password_verify("correct horse", ""));
	assert_false(password_verify("correct horse", "garbage"));
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(hash_and_verify)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
