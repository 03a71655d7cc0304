/* The console's string table: every text in both languages, with the same arguments,
 * Russian by default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "console_text.h"

/* The printf conversions of s in order ("%s%lld"), so ru and en can be compared. */
static void conversions(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	for (const char *p = strchr(s, '%'); p && n + 8 < outlen; p = strchr(p + 1, '%')) {
		const char *q = p + 1;
		while (*q && strchr("lhz0123456789.-", *q))
			q++;
		if (!*q)
			break;
		size_t len = (size_t)(q - p + 1);
		memcpy(out + n, p, len);
		n += len;
		p = q;
	}
	out[n] = '\0';
}

static void test_every_text_in_both_languages(void **state)
{
	(void)state;
	for (int id = 0; id < CT_COUNT; id++) {
		const char *ru = console_text("ru", (enum console_text_id)id);
		const char *en = console_text("en", (enum console_text_id)id);
		assert_non_null(ru);
		assert_non_null(en);
		assert_true(*ru && *en);
		assert_string_not_equal(ru, en);
		char a[64], b[64];
		conversions(ru, a, sizeof a);
		conversions(en, b, sizeof b);
		assert_string_equal(a, b);
	}
}

static void test_russian_is_the_default(void **state)
{
	(void)state;
	assert_string_equal(console_text(NULL, CT_CLAIMED_BY), "обращение уже взял в работу %s");
	assert_string_equal(console_text("de", CT_CLAIMED_BY), "обращение уже взял в работу %s");
	assert_string_equal(console_text("en", CT_CLAIMED_BY), "case already claimed by %s");
	assert_string_equal(console_text("ru", CT_ALERT_UNCLAIMED),
			    "Обращение %s ждёт без исполнителя %lld мин");
	assert_string_equal(console_text("en", CT_ALERT_UNCLAIMED),
			    "Case %s has waited unclaimed for %lld min");
	assert_string_equal(console_text("ru", CT_COUNT), "?");
}

static void test_auth_errors(void **state)
{
	(void)state;
	assert_string_equal(console_auth_text(NULL, AUTH_EBAD_CREDENTIALS),
			    "Неверный логин или пароль");
	assert_string_equal(console_auth_text("en", AUTH_ETHROTTLED),
			    "too many failed logins; try again later");
	assert_string_equal(console_auth_text("ru", AUTH_ECANCELLED), "сервер останавливается");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_text_in_both_languages),
		cmocka_unit_test(test_russian_is_the_default),
		cmocka_unit_test(test_auth_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
