/* Config of several pages per platform (vk.pages, telegram.pages): each page's own
 * token, group id, limits and title, its secret from the environment, the single-page
 * config as before, and the refusals. */
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
	strcpy(path, "/tmp/deskbot-pages-XXXXXX");
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
	static const char *const vars[] = {"DESKBOT_VK_TOKEN", "DESKBOT_VK_TOKEN_NORTH",
		"DESKBOT_VK_TOKEN_SOUTH", "DESKBOT_TELEGRAM_TOKEN", "DESKBOT_TELEGRAM_TOKEN_SALES",
		NULL};
	for (const char *const *v = vars; *v; v++)
		unsetenv(*v);
	log_clear_secrets();
	return 0;
}

static void several_pages_inherit_the_section(void **state)
{
	(void)state;
	write_config("{\"vk\":{\"token\":\"vk-main\",\"group_id\":1,\"rate_per_s\":15,"
		     "\"api_url\":\"http://127.0.0.1:1/method\",\"title\":\"ВК Москва\","
		     "\"pages\":[{\"label\":\"north\",\"group_id\":2,\"title\":\"ВК Север\","
		     "\"token\":\"vk-north\"},"
		     "{\"label\":\"south\",\"group_id\":3,\"rate_per_s\":5,\"execute_max\":1}]},"
		     "\"telegram\":{\"pages\":[{\"label\":\"sales\",\"chat_burst\":2}]}}");
	setenv("DESKBOT_VK_TOKEN_SOUTH", "vk-south-from-env", 1);
	setenv("DESKBOT_TELEGRAM_TOKEN_SALES", "tg-sales-from-env", 1);
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	/* The section's own page is there as before. */
	assert_true(c.vk.enabled);
	assert_string_equal(c.vk.token, "vk-main");
	assert_null(c.vk.label);
	assert_string_equal(c.vk.title, "ВК Москва");
	assert_int_equal(c.vk.n_pages, 2);
	const struct config_channel *n = &c.vk.pages[0], *s = &c.vk.pages[1];
	assert_true(n->enabled && s->enabled);
	assert_string_equal(n->label, "north");
	assert_string_equal(n->title, "ВК Север");
	assert_string_equal(n->token, "vk-north");
	assert_int_equal(n->group_id, 2);
	/* Inherited from the section: its URL and limits, never its token or title. */
	assert_string_equal(n->api_url, "http://127.0.0.1:1/method");
	assert_string_equal(n->api_version, "5.199");
	assert_true(n->rate_per_s == 15 && n->execute_max == 25);
	assert_true(s->rate_per_s == 5 && s->execute_max == 1);
	assert_null(s->title);
	assert_string_equal(s->token, "vk-south-from-env");
	assert_int_equal(s->group_id, 3);
	/* A platform may have labelled pages only; its own page is off without a token. */
	assert_false(c.telegram.enabled);
	assert_int_equal(c.telegram.n_pages, 1);
	assert_string_equal(c.telegram.pages[0].token, "tg-sales-from-env");
	assert_true(c.telegram.pages[0].chat_burst == 2);
	assert_true(c.telegram.pages[0].chat_rate_per_s == 1); /* the default */
	assert_null(c.telegram.pages[0].pages);
	/* Every page's token is a secret the log redacts. */
	char *line = log_redact("vk-north vk-south-from-env tg-sales-from-env vk-main");
	assert_null(strstr(line, "vk-north"));
	assert_null(strstr(line, "south-from-env"));
	assert_null(strstr(line, "sales-from-env"));
	assert_null(strstr(line, "vk-main"));
	free(line);
	config_free(&c);
}

static void single_page_config_unchanged(void **state)
{
	(void)state;
	write_config("{\"vk\":{\"group_id\":42},\"telegram\":{\"token\":\"tg-file\"}}");
	setenv("DESKBOT_VK_TOKEN", "vk-env", 1);
	/* A labelled page's variable does not touch the single page. */
	setenv("DESKBOT_VK_TOKEN_NORTH", "vk-north-env", 1);
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_true(c.vk.enabled && c.telegram.enabled);
	assert_string_equal(c.vk.token, "vk-env");
	assert_int_equal(c.vk.group_id, 42);
	assert_string_equal(c.telegram.token, "tg-file");
	assert_null(c.vk.label);
	assert_null(c.vk.title);
	assert_int_equal(c.vk.n_pages, 0);
	assert_int_equal(c.telegram.n_pages, 0);
	assert_null(c.vk.pages);
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

static void refusals_name_the_page(void **state)
{
	(void)state;
	expect_error("{\"vk\":{\"pages\":[{\"label\":\"north\",\"group_id\":2,\"token\":\"a\"},"
		     "{\"label\":\"north\",\"group_id\":3,\"token\":\"b\"}]}}",
		     "config: vk.pages[1].label: \"north\" is already the label of vk.pages[0]");
	expect_error("{\"vk\":{\"pages\":[{\"label\":\"north\",\"group_id\":2}]}}",
		     "config: vk.pages[0].token: page \"north\" has no token (set it here or in "
		     "DESKBOT_VK_TOKEN_NORTH)");
	expect_error("{\"telegram\":{\"pages\":[{\"label\":\"sales\"}]}}",
		     "config: telegram.pages[0].token: page \"sales\" has no token (set it here "
		     "or in DESKBOT_TELEGRAM_TOKEN_SALES)");
	expect_error("{\"vk\":{\"pages\":[{\"label\":\"north\",\"token\":\"a\"}]}}",
		     "config: vk.pages[0].group_id: expected a positive integer");
	expect_error("{\"vk\":{\"pages\":[{\"group_id\":2,\"token\":\"a\"}]}}",
		     "config: vk.pages[0].label: expected 1 to 24 of a-z, 0-9 and _");
	expect_error("{\"vk\":{\"pages\":[{\"label\":\"North-1\",\"group_id\":2,\"token\":\"a\"}]}}",
		     "config: vk.pages[0].label: expected 1 to 24 of a-z, 0-9 and _");
	expect_error("{\"vk\":{\"pages\":{}}}", "config: vk.pages: expected an array of pages");
	expect_error("{\"vk\":{\"pages\":[{\"label\":\"n\",\"group_id\":-1,\"token\":\"a\"}]}}",
		     "config: vk.pages[0].group_id: expected a positive integer");
	/* The same community or bot twice would answer every customer twice. */
	expect_error("{\"vk\":{\"token\":\"a\",\"group_id\":2,"
		     "\"pages\":[{\"label\":\"n\",\"group_id\":2,\"token\":\"b\"}]}}",
		     "config: vk.pages[0].group_id: the same community as vk's own page");
	expect_error("{\"telegram\":{\"pages\":[{\"label\":\"a\",\"token\":\"t\"},"
		     "{\"label\":\"b\",\"token\":\"t\"}]}}",
		     "config: telegram.pages[1].token: the same bot as another page");
	/* A page switched off needs no token. */
	write_config("{\"vk\":{\"pages\":[{\"label\":\"north\",\"enabled\":false}]}}");
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof err), 0);
	assert_int_equal(c.vk.n_pages, 1);
	assert_false(c.vk.pages[0].enabled);
	config_free(&c);
}

/* The installed sample config shows a page of each platform, switched off. */
static void sample_config_loads(void **state)
{
	(void)state;
	const char *src = getenv("DESKBOT_SOURCE_DIR");
	char sample[512];
	snprintf(sample, sizeof sample, "%s/packaging/deskbot.json.in", src ? src : ".");
	struct config c;
	char err[256] = "";
	assert_int_equal(config_load(sample, &c, err, sizeof err), 0);
	assert_int_equal(c.vk.n_pages, 1);
	assert_int_equal(c.telegram.n_pages, 1);
	assert_string_equal(c.vk.pages[0].label, "north");
	assert_false(c.vk.pages[0].enabled);
	assert_false(c.telegram.pages[0].enabled);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(several_pages_inherit_the_section, teardown),
		cmocka_unit_test_teardown(single_page_config_unchanged, teardown),
		cmocka_unit_test_teardown(refusals_name_the_page, teardown),
		cmocka_unit_test_teardown(sample_config_loads, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
