/* The files in customers' messages as the channels decode them (Telegram's largest
 * photo size, document, voice, sticker by file_id; VK's and MAX's by URL), getFile's
 * answer, and which URLs a channel may fetch (bot/channels/file_get.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "channels/file_get.h"
#include "channels/max_parse.h"
#include "channels/tg_parse.h"
#include "channels/vk_parse.h"

static void assert_file(const struct chan_file *f, const char *kind, const char *ref,
			const char *name)
{
	assert_string_equal(f->kind, kind);
	assert_string_equal(f->ref, ref);
	if (name)
		assert_string_equal(f->name, name);
	else
		assert_null(f->name);
}

static void telegram_files(void **state)
{
	(void)state;
	static const char body[] =
		"{\"ok\":true,\"result\":[{\"update_id\":1,\"message\":{\"message_id\":5,"
		"\"from\":{\"id\":9,\"first_name\":\"A\"},\"chat\":{\"id\":9,\"type\":\"private\"},"
		"\"date\":1,\"caption\":\"экран\",\"photo\":[{\"file_id\":\"small\",\"width\":90,"
		"\"height\":90},{\"file_id\":\"big\",\"width\":1280,\"height\":960}]}},"
		"{\"update_id\":2,\"message\":{\"message_id\":6,\"from\":{\"id\":9},\"chat\":{\"id\":9,"
		"\"type\":\"private\"},\"date\":1,\"document\":{\"file_id\":\"doc\",\"file_name\":"
		"\"a.pdf\"},\"voice\":{\"file_id\":\"v\"},\"sticker\":{\"file_id\":\"st\"}}},"
		"{\"update_id\":3,\"message\":{\"message_id\":7,\"from\":{\"id\":9},\"chat\":{\"id\":9,"
		"\"type\":\"private\"},\"date\":1,\"photo\":[],\"document\":{\"file_id\":7},"
		"\"voice\":\"x\",\"sticker\":{}}}]}";
	struct tg_updates u;
	tg_parse_updates(body, strlen(body), &u);
	assert_int_equal(u.n_msgs, 3);
	assert_string_equal(u.msgs[0].text, "экран");
	assert_int_equal(u.msgs[0].n_files, 1);
	assert_file(&u.msgs[0].files[0], "photo", "big", NULL);
	assert_int_equal(u.msgs[1].n_files, 3);
	assert_file(&u.msgs[1].files[0], "document", "doc", "a.pdf");
	assert_file(&u.msgs[1].files[1], "voice", "v", NULL);
	assert_file(&u.msgs[1].files[2], "sticker", "st", NULL);
	/* Shapes that are not files are no files, and nothing crashes. */
	assert_int_equal(u.msgs[2].n_files, 0);
	tg_updates_free(&u);
}

static void telegram_file_path(void **state)
{
	(void)state;
	int64_t size;
	static const char ok[] = "{\"ok\":true,\"result\":{\"file_id\":\"x\",\"file_size\":1500,"
				 "\"file_path\":\"photos/file_1.jpg\"}}";
	char *p = tg_parse_file_path(ok, strlen(ok), &size);
	assert_string_equal(p, "photos/file_1.jpg");
	assert_int_equal(size, 1500);
	free(p);
	static const char *const bad[] = {
		"{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: invalid file_id\"}",
		"{\"ok\":true,\"result\":{\"file_path\":\"../../etc/passwd\"}}",
		"{\"ok\":true,\"result\":{\"file_path\":\"/abs\"}}",
		"{\"ok\":true,\"result\":{\"file_path\":\"a?b=1\"}}",
		"{\"ok\":true,\"result\":{\"file_path\":\"http://evil/x\"}}",
		"{\"ok\":true,\"result\":{\"file_path\":\"a%2e%2e/b\"}}",
		"{\"ok\":true,\"result\":{\"file_path\":\"\"}}",
		"{\"ok\":true,\"result\":{}}",
		"not json",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_null(tg_parse_file_path(bad[i], strlen(bad[i]), &size));
	assert_null(tg_parse_file_path(NULL, 0, &size));
}

static void vk_files(void **state)
{
	(void)state;
	static const char body[] =
		"{\"ts\":\"2\",\"updates\":[{\"type\":\"message_new\",\"event_id\":\"e\",\"object\":"
		"{\"message\":{\"id\":4,\"peer_id\":5,\"from_id\":5,\"text\":\"\",\"attachments\":["
		"{\"type\":\"photo\",\"photo\":{\"sizes\":[{\"url\":\"https://sun9-1.userapi.com/s\","
		"\"width\":75,\"height\":56},{\"url\":\"https://sun9-1.userapi.com/x\",\"width\":604,"
		"\"height\":453},{\"url\":\"https://sun9-1.userapi.com/m\",\"width\":130,\"height\":97}]}},"
		"{\"type\":\"doc\",\"doc\":{\"title\":\"счёт.pdf\",\"url\":\"https://vk.com/doc1_2\"}},"
		"{\"type\":\"audio_message\",\"audio_message\":{\"link_ogg\":\"https://psv4.userapi.com/a.ogg\"}},"
		"{\"type\":\"sticker\",\"sticker\":{\"images\":[{\"url\":\"https://vk.com/s/64\",\"width\":64,"
		"\"height\":64},{\"url\":\"https://vk.com/s/512\",\"width\":512,\"height\":512}]}},"
		"{\"type\":\"photo\",\"photo\":{}},{\"type\":\"wall\",\"wall\":{\"id\":1}},{\"type\":7}]}}}]}";
	struct vk_poll p;
	vk_parse_poll(body, strlen(body), &p);
	assert_int_equal(p.n_msgs, 1);
	assert_int_equal(p.msgs[0].n_files, 4);
	assert_file(&p.msgs[0].files[0], "photo", "https://sun9-1.userapi.com/x", NULL);
	assert_file(&p.msgs[0].files[1], "document", "https://vk.com/doc1_2", "счёт.pdf");
	assert_file(&p.msgs[0].files[2], "voice", "https://psv4.userapi.com/a.ogg", NULL);
	assert_file(&p.msgs[0].files[3], "sticker", "https://vk.com/s/512", NULL);
	vk_poll_free(&p);
}

static void max_files(void **state)
{
	(void)state;
	static const char body[] =
		"{\"updates\":[{\"update_type\":\"message_created\",\"timestamp\":1,\"message\":{"
		"\"sender\":{\"user_id\":5,\"first_name\":\"A\"},\"recipient\":{\"chat_id\":5,"
		"\"chat_type\":\"dialog\",\"user_id\":5},\"timestamp\":1,\"body\":{\"mid\":\"m1\","
		"\"seq\":1,\"text\":null,\"attachments\":[{\"type\":\"image\",\"payload\":{\"url\":"
		"\"https://i.oneme.ru/i?r=1\"}},{\"type\":\"file\",\"filename\":\"a.pdf\",\"payload\":"
		"{\"url\":\"https://fd.oneme.ru/f\"}},{\"type\":\"sticker\",\"payload\":{}}]}}}],"
		"\"marker\":2}";
	struct max_updates u;
	max_parse_updates(body, strlen(body), &u);
	assert_int_equal(u.n_msgs, 1);
	assert_int_equal(u.msgs[0].n_files, 2);
	assert_file(&u.msgs[0].files[0], "photo", "https://i.oneme.ru/i?r=1", NULL);
	assert_file(&u.msgs[0].files[1], "document", "https://fd.oneme.ru/f", "a.pdf");
	max_updates_free(&u);
}

static void only_the_platforms_hosts(void **state)
{
	(void)state;
	static const char *const hosts[] = {".userapi.com", "vk.com", NULL};
	const char *api = "https://api.vk.com/method";
	assert_true(file_url_allowed("https://sun9-1.userapi.com/x.jpg", api, hosts));
	assert_true(file_url_allowed("https://vk.com/doc1", api, hosts));
	assert_true(file_url_allowed("https://api.vk.com/other", api, hosts));
	assert_true(file_url_allowed("http://127.0.0.1:4000/files/a", "http://127.0.0.1:4000/method",
				     hosts));
	assert_false(file_url_allowed("http://127.0.0.1:4001/files/a", "http://127.0.0.1:4000/method",
				      hosts));
	assert_false(file_url_allowed("http://sun9-1.userapi.com/x.jpg", api, hosts));
	assert_false(file_url_allowed("https://userapi.com.evil.example/x", api, hosts));
	assert_false(file_url_allowed("https://evil-userapi.com/x", api, hosts));
	assert_false(file_url_allowed("https://sub.vk.com/x", api, hosts)); /* "vk.com": exact */
	assert_false(file_url_allowed("https://vk.com@evil.example/x", api, hosts));
	assert_false(file_url_allowed("https://sun9-1.userapi.com:8443/x", api, hosts));
	assert_false(file_url_allowed("file:///etc/passwd", api, hosts));
	assert_false(file_url_allowed("//vk.com/x", api, hosts));
	assert_false(file_url_allowed("", api, hosts));
	assert_false(file_url_allowed(NULL, api, hosts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(telegram_files),
		cmocka_unit_test(telegram_file_path),
		cmocka_unit_test(vk_files),
		cmocka_unit_test(max_files),
		cmocka_unit_test(only_the_platforms_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
