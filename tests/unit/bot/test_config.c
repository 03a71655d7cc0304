/* Config: defaults, file values, environment secrets, and one clear line per error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static char path[64];

static void write_config(const char *json)
{
	strcpy(path, "/tmp/deskbot-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
}

static int teardown(void **state)
{
	(void)state;
	if (path[0])
		unlink(path);
	path[0] = '\0';
	unsetenv("DESKBOT_VK_TOKEN");
	unsetenv("DESKBOT_TELEGRAM_TOKEN");
	unsetenv("DESKBOT_ADMIN_TOKEN");
	unsetenv("DESKBOT_MAX_TOKEN");
	log_clear_secrets();
	return 0;
}

static void defaults_without_file(void **state)
{
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(NULL, &c, err, sizeof err), 0);
	/* "replies", or the installed / source-tree set when ./replies does not exist. */
	assert_non_null(strstr(c.replies_dir, "replies"));
	assert_string_equal(c.store_path, "deskbot.db");
	/* SQLite stays the default: no URL, and the store opens the file. */
	assert_null(c.store_url);
	assert_string_equal(config_store_where(&c), "deskbot.db");
	assert_string_equal(c.http_host, "127.0.0.1");
	assert_int_equal(c.http_port, 8080);
	assert_false(c.vk.enabled);
	assert_false(c.telegram.enabled);
	assert_string_equal(c.vk.api_version, "5.199");
	assert_int_equal(c.telegram.wait, 25);
	config_free(&c);
}

static void file_values_and_env_secrets(void **state)
{
	write_config("{\"store\":{\"path\":\"x.db\"},\"http\":{\"listen\":\"127.0.0.1:9191\"},"
		     "\"vk\":{\"group_id\":42,\"api_url\":\"http://127.0.0.1:1/method\"},"
		     "\"telegram\":{\"token\":\"file-token\",\"timeout\":3},"
		     "\"operators\":[{\"login\":\"marina\",\"password_hash\":\"$y$x\","
		     "\"role\":\"admin\"}]}");
	setenv("DESKBOT_VK_TOKEN", "vk-secret-from-env", 1);
	setenv("DESKBOT_TELEGRAM_TOKEN", "tg-secret-from-env", 1);
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_string_equal(c.store_path, "x.db");
	assert_int_equal(c.http_port, 9191);
	assert_true(c.vk.enabled);
	assert_int_equal(c.vk.group_id, 42);
	assert_string_equal(c.vk.token, "vk-secret-from-env");
	/* The environment wins over the file for secrets. */
	assert_string_equal(c.telegram.token, "tg-secret-from-env");
	assert_int_equal(c.telegram.wait, 3);
	assert_int_equal(c.n_operators, 1);
	assert_string_equal(c.operators[0].role, "admin");
	config_free(&c);
}

static void expect_error(const char *json, const char *message)
{
	write_config(json);
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), -1);
	assert_string_equal(err, message);
	unlink(path);
	path[0] = '\0';
}

/* store.url chooses PostgreSQL over store.path; anything but a postgres:// URL is refused. */
static void store_url_chooses_postgresql(void **state)
{
	(void)state;
	write_config("{\"store\":{\"path\":\"x.db\","
		     "\"url\":\"postgres://deskbot@127.0.0.1:5432/deskbot\"}}");
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_string_equal(config_store_where(&c), "postgres://deskbot@127.0.0.1:5432/deskbot");
	config_free(&c);
	unlink(path);
	path[0] = '\0';
	expect_error("{\"store\":{\"url\":\"mysql://x\"}}",
		     "config: store.url: expected a postgres:// or postgresql:// URL");
	expect_error("{\"store\":{\"url\":5}}", "config: store.url: expected a string");
}

static void outbox_limits(void **state)
{
	(void)state;
	struct config c;
	char err[256] = "";
	/* Defaults: the platforms' published limits. */
	assert_int_equal(config_load(NULL, &c, err, sizeof err), 0);
	assert_true(c.vk.rate_per_s == 20 && c.vk.chat_rate_per_s == 20 && c.vk.chat_burst == 1);
	assert_int_equal(c.vk.execute_max, 25);
	assert_true(c.telegram.rate_per_s == 30 && c.telegram.chat_rate_per_s == 1);
	assert_true(c.telegram.chat_burst == 3 && c.telegram.group_rate_per_min == 20);
	config_free(&c);
	write_config("{\"vk\":{\"group_id\":1,\"rate_per_s\":10,\"execute_max\":5},"
		     "\"telegram\":{\"chat_rate_per_s\":2,\"chat_burst\":5,"
		     "\"group_rate_per_min\":10}}");
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_true(c.vk.rate_per_s == 10 && c.vk.execute_max == 5);
	assert_true(c.telegram.chat_rate_per_s == 2 && c.telegram.chat_burst == 5);
	assert_true(c.telegram.group_rate_per_min == 10);
	config_free(&c);
	unlink(path);
	path[0] = '\0';
}

/* Operators' display names (what customers are told) and the console's language. */
static void display_names_and_console_language(void **state)
{
	(void)state;
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(NULL, &c, err, sizeof err), 0);
	assert_string_equal(c.console_language, "ru");
	config_free(&c);
	write_config("{\"console\":{\"language\":\"en\"},\"operators\":["
		     "{\"login\":\"oleg\",\"password_hash\":\"h\",\"display_name\":\"Олег\"},"
		     "{\"login\":\"anna\",\"password_hash\":\"h\"}]}");
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_string_equal(c.console_language, "en");
	assert_string_equal(config_operator_display_name(&c, "oleg"), "Олег");
	assert_null(config_operator_display_name(&c, "anna"));
	assert_null(config_operator_display_name(&c, "nobody"));
	assert_string_equal(config_operator_title(&c, "oleg"), "Олег");
	assert_string_equal(config_operator_title(&c, "anna"), "anna");
	assert_null(config_operator(&c, NULL));
	config_free(&c);
	unlink(path);
	path[0] = '\0';
	expect_error("{\"console\":{\"language\":\"de\"}}",
		     "config: console.language: expected \"ru\" or \"en\"");
	expect_error("{\"operators\":[{\"login\":\"o\",\"password_hash\":\"h\","
		     "\"display_name\":\"\"}]}",
		     "config: operators[0].display_name: expected a name of 1 to 64 bytes");
	expect_error("{\"operators\":[{\"login\":\"o\",\"password_hash\":\"h\","
		     "\"display_name\":7}]}",
		     "config: operators[0].display_name: expected a string");
}

static void wrong_types_are_one_clear_line(void **state)
{
	expect_error("{\"vk\":{\"group_id\":-5}}",
		     "config: vk.group_id: expected a positive integer");
	expect_error("{\"vk\":{\"group_id\":\"12\"}}",
		     "config: vk.group_id: expected a positive integer");
	expect_error("{\"http\":{\"listen\":\"nope\"}}",
		     "config: http.listen: expected HOST:PORT such as 127.0.0.1:8080");
	expect_error("{\"telegram\":{\"timeout\":99}}",
		     "config: telegram.timeout: expected an integer from 0 to 50");
	expect_error("{\"store\":{\"path\":5}}", "config: store.path: expected a string");
	expect_error("{\"vk\":[]}", "config: vk: expected an object");
	expect_error("{\"operators\":[{\"login\":\"a\",\"password_hash\":\"h\",\"role\":\"boss\"}]}",
		     "config: operators[0].role: expected \"operator\" or \"admin\"");
	expect_error("{\"vk\":{\"token\":\"t\"}}", "config: vk.group_id: expected a positive integer");
	expect_error("{\"vk\":{\"execute_max\":26}}",
		     "config: vk.execute_max: expected an integer from 1 to 25");
	expect_error("{\"telegram\":{\"chat_burst\":0.5}}",
		     "config: telegram.chat_burst: expected a number of at least 1");
}

/* The "max" section: the spec's limits by default, the token from the environment
 * over the file's, on only with a token, and one clear line per wrong value. */
static void max_section(void **state)
{
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(NULL, &c, err, sizeof err), 0);
	assert_false(c.max.enabled);
	assert_string_equal(c.max.api_url, "https://platform-api2.max.ru");
	assert_int_equal(c.max.timeout, 30);
	assert_int_equal(c.max.limit, 100);
	assert_true(c.max.rate_per_s == 30);
	config_free(&c);
	write_config("{\"max\":{\"token\":\"file-token\",\"api_url\":\"http://127.0.0.1:1\","
		     "\"timeout\":2,\"limit\":1000,\"rate_per_s\":10,\"chat_burst\":2}}");
	setenv("DESKBOT_MAX_TOKEN", "max-secret-from-env", 1);
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_true(c.max.enabled);
	assert_string_equal(c.max.token, "max-secret-from-env");
	assert_string_equal(c.max.api_url, "http://127.0.0.1:1");
	assert_int_equal(c.max.timeout, 2);
	assert_int_equal(c.max.limit, 1000);
	assert_true(c.max.rate_per_s == 10 && c.max.chat_burst == 2);
	config_free(&c);
	unlink(path);
	path[0] = '\0';
	unsetenv("DESKBOT_MAX_TOKEN");
	write_config("{\"max\":{\"token\":\"t\",\"enabled\":false}}");
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_false(c.max.enabled);
	config_free(&c);
	unlink(path);
	path[0] = '\0';
	expect_error("{\"max\":{\"timeout\":91}}",
		     "config: max.timeout: expected an integer from 0 to 90");
	expect_error("{\"max\":{\"limit\":0}}",
		     "config: max.limit: expected an integer from 1 to 1000");
	expect_error("{\"max\":{\"api_url\":\"platform-api2.max.ru\"}}",
		     "config: max.api_url: expected an http:// or https:// URL");
	expect_error("{\"max\":{\"chat_burst\":0.5}}",
		     "config: max.chat_burst: expected a number of at least 1");
	expect_error("{\"max\":7}", "config: max: expected an object");
}

/* Webhook keys (README "Webhooks"): read per section and per page, never inherited,
 * secrets from the environment, and one clear line for what the platforms refuse. */
static void webhook_keys(void **state)
{
	struct config c;
	char err[256] = "";
	write_config("{\"vk\":{\"token\":\"t\",\"group_id\":1,\"callback_confirmation\":\"c0de\","
		     "\"callback_secret\":\"file-secret\",\"pages\":[{\"label\":\"north\","
		     "\"token\":\"t2\",\"group_id\":2}]},"
		     "\"telegram\":{\"token\":\"t\",\"webhook_url\":"
		     "\"https://bot.example/hooks/telegram/Pa7h_1\",\"webhook_secret\":\"tg_s-1\"},"
		     "\"max\":{\"token\":\"t\",\"webhook_url\":\"https://bot.example/hooks/max/p\","
		     "\"webhook_secret\":\"max-s\"}}");
	setenv("DESKBOT_VK_CALLBACK_SECRET", "env-secret", 1);
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_string_equal(c.vk.hook.confirmation, "c0de");
	assert_string_equal(c.vk.hook.secret, "env-secret");
	assert_null(c.vk.pages[0].hook.confirmation); /* the page polls: not inherited */
	assert_string_equal(c.telegram.hook.path, "/hooks/telegram/Pa7h_1");
	assert_string_equal(c.telegram.hook.secret, "tg_s-1");
	assert_string_equal(c.max.hook.path, "/hooks/max/p");
	config_free(&c);
	unlink(path);
	path[0] = '\0';
	unsetenv("DESKBOT_VK_CALLBACK_SECRET");
	expect_error("{\"vk\":{\"callback_confirmation\":\"c0de\"}}",
		     "config: vk.callback_secret: required with callback_confirmation (the "
		     "Callback API's secret key, so that nobody else can post events)");
	expect_error("{\"telegram\":{\"webhook_url\":\"https://bot.example/tg\","
		     "\"webhook_secret\":\"s\"}}",
		     "config: telegram.webhook_url: expected a URL whose path is "
		     "/hooks/telegram/<secret path> (A-Z, a-z, 0-9, _, -)");
	expect_error("{\"telegram\":{\"webhook_url\":\"https://bot.example/hooks/telegram/a/b\","
		     "\"webhook_secret\":\"s\"}}",
		     "config: telegram.webhook_url: expected a URL whose path is "
		     "/hooks/telegram/<secret path> (A-Z, a-z, 0-9, _, -)");
	expect_error("{\"telegram\":{\"webhook_url\":\"ftp://x/hooks/telegram/a\"}}",
		     "config: telegram.webhook_url: expected an http:// or https:// URL");
	expect_error("{\"telegram\":{\"webhook_url\":\"https://x/hooks/telegram/a\"}}",
		     "config: telegram.webhook_secret: required with webhook_url: 1 to 256 of "
		     "A-Z, a-z, 0-9, _ and -");
	expect_error("{\"telegram\":{\"webhook_url\":\"https://x/hooks/telegram/a\","
		     "\"webhook_secret\":\"bad secret\"}}",
		     "config: telegram.webhook_secret: required with webhook_url: 1 to 256 of "
		     "A-Z, a-z, 0-9, _ and -");
	expect_error("{\"max\":{\"webhook_url\":\"https://x/hooks/max/a\",\"webhook_secret\":"
		     "\"abcd\"}}",
		     "config: max.webhook_secret: required with webhook_url: 5 to 256 of A-Z, "
		     "a-z, 0-9, _ and -");
}

static void invalid_json_names_the_position(void **state)
{
	write_config("{\n  \"store\": {\"path\": }\n}");
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, ":2:"));
	assert_non_null(strstr(err, "invalid JSON"));
}

static void unknown_key_is_only_a_warning(void **state)
{
	write_config("{\"colour\":\"blue\",\"vk\":{\"speed\":1}}");
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&logbuf, &loglen);
	log_set_stream(logf);
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	fflush(logf);
	assert_non_null(strstr(logbuf, "unknown key colour"));
	assert_non_null(strstr(logbuf, "unknown key vk.speed"));
	log_set_stream(NULL);
	fclose(logf);
	free(logbuf);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(defaults_without_file, teardown),
		cmocka_unit_test_teardown(outbox_limits, teardown),
		cmocka_unit_test_teardown(store_url_chooses_postgresql, teardown),
		cmocka_unit_test_teardown(file_values_and_env_secrets, teardown),
		cmocka_unit_test_teardown(wrong_types_are_one_clear_line, teardown),
		cmocka_unit_test_teardown(invalid_json_names_the_position, teardown),
		cmocka_unit_test_teardown(max_section, teardown),
		cmocka_unit_test_teardown(webhook_keys, teardown),
		cmocka_unit_test_teardown(unknown_key_is_only_a_warning, teardown),
		cmocka_unit_test_teardown(display_names_and_console_language, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
