/* Log redaction: a registered secret, an access_token parameter or a Telegram token in a
 * URL path never reaches a log line; customer control characters cannot forge lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static char *captured;
static size_t captured_len;
static FILE *stream;

static int setup(void **state)
{
	stream = open_memstream(&captured, &captured_len);
	log_set_stream(stream);
	log_set_level(LOG_DEBUG);
	return 0;
}

static int teardown(void **state)
{
	log_set_stream(NULL);
	fclose(stream);
	free(captured);
	captured = NULL;
	log_clear_secrets();
	unsetenv("DESKBOT_TELEGRAM_TOKEN");
	unsetenv("DESKBOT_ADMIN_TOKEN");
	return 0;
}

static void registered_secret_is_redacted(void **state)
{
	log_add_secret("s3cr3t-value-123");
	log_info("calling api with token s3cr3t-value-123 and again s3cr3t-value-123!");
	fflush(stream);
	assert_null(strstr(captured, "s3cr3t"));
	assert_non_null(strstr(captured, "token [redacted] and again [redacted]!"));
}

static void tokens_in_urls_are_redacted_without_registration(void **state)
{
	log_warn("GET https://api.vk.com/method/messages.send?access_token=abcdef0123&v=5.199");
	log_warn("POST https://api.telegram.org/bot123456789:AAE_secretsecretsecret/sendMessage");
	fflush(stream);
	assert_null(strstr(captured, "abcdef0123"));
	assert_null(strstr(captured, "AAE_secretsecretsecret"));
	assert_non_null(strstr(captured, "access_token=[redacted]&v=5.199"));
	assert_non_null(strstr(captured, "/bot[redacted]/sendMessage"));
}

static void config_registers_its_secrets(void **state)
{
	setenv("DESKBOT_TELEGRAM_TOKEN", "999:telegram-token-from-env", 1);
	setenv("DESKBOT_ADMIN_TOKEN", "admin-token-xyz-0123456789abcdef0123", 1);
	struct config c;
	char err[256];
	assert_int_equal(config_load(NULL, &c, err, sizeof err), 0);
	log_error("failed with 999:telegram-token-from-env using admin-token-xyz-0123456789abcdef0123");
	fflush(stream);
	assert_null(strstr(captured, "telegram-token-from-env"));
	assert_null(strstr(captured, "admin-token-xyz-0123456789abcdef0123"));
	config_free(&c);
}

static void line_format_and_no_forged_lines(void **state)
{
	log_info("customer said %s", "hello\nlevel=error fn=fake forged");
	fflush(stream);
	assert_non_null(strstr(captured, "level=info fn=line_format_and_no_forged_lines "));
	/* Exactly one newline: the one that ends the line. */
	assert_ptr_equal(strchr(captured, '\n'), captured + captured_len - 1);
}

static void level_filter(void **state)
{
	log_set_level(LOG_WARN);
	log_info("quiet");
	log_warn("loud");
	fflush(stream);
	assert_null(strstr(captured, "quiet"));
	assert_non_null(strstr(captured, "loud"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(registered_secret_is_redacted, setup, teardown),
		cmocka_unit_test_setup_teardown(tokens_in_urls_are_redacted_without_registration,
						setup, teardown),
		cmocka_unit_test_setup_teardown(config_registers_its_secrets, setup, teardown),
		cmocka_unit_test_setup_teardown(line_format_and_no_forged_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(level_filter, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
