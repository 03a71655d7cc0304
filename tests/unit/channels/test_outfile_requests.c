/* Tests of how each channel builds the requests of an approved file (a row of kind
 * "file"): the row read back (channel_row_file), Telegram's sendDocument / sendPhoto
 * multipart fields, VK's upload server, save and attachment, MAX's upload type, token
 * and message body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "channels/channel.h"
#include "channels/max_parse.h"
#include "channels/tg_parse.h"
#include "channels/vk_parse.h"
#include "http_client.h"
#include "xalloc.h"

static const char PNG[] = "\x89PNG\r\n\x1a\nrest";

static struct outbox_row file_row(const char *kind, const char *text)
{
	struct outbox_row r = {.id = 42, .peer_id = 7001};
	r.kind = xstrdup("file");
	r.text = xstrdup(text);
	r.extra = xasprintf("{\"file_id\":5,\"kind\":\"%s\",\"name\":\"%s\",\"mime\":\"%s\"}", kind,
			    strcmp(kind, "photo") == 0 ? "router.png" : "memo.pdf",
			    strcmp(kind, "photo") == 0 ? "image/png" : "application/pdf");
	r.file_data = xmalloc(sizeof PNG - 1);
	memcpy(r.file_data, PNG, sizeof PNG - 1);
	r.file_len = sizeof PNG - 1;
	return r;
}

static void test_row_file(void **state)
{
	(void)state;
	struct outbox_row r = file_row("document", "Памятка");
	struct chan_outfile f;
	assert_int_equal(channel_row_file(&r, &f), 0);
	assert_false(f.photo);
	assert_string_equal(f.name, "memo.pdf");
	assert_string_equal(f.mime, "application/pdf");
	assert_ptr_equal(f.data, r.file_data);
	assert_int_equal(f.len, sizeof PNG - 1);
	assert_null(f.handle);
	r.handle = xstrdup("doc-1_2");
	assert_int_equal(channel_row_file(&r, &f), 0);
	assert_string_equal(f.handle, "doc-1_2");
	/* Not loaded yet, or not a file row: nothing to send as a file. */
	free(r.file_data);
	r.file_data = NULL;
	assert_int_equal(channel_row_file(&r, &f), -1);
	free(r.kind);
	r.kind = xstrdup("message");
	assert_int_equal(channel_row_file(&r, &f), -1);
	outbox_row_free(&r);
}

static void test_telegram_parts(void **state)
{
	(void)state;
	struct outbox_row r = file_row("document", "Памятка во вложении");
	struct chan_outfile f;
	assert_int_equal(channel_row_file(&r, &f), 0);
	char chat[32];
	const char *method;
	struct http_part parts[3];
	assert_int_equal(tg_file_parts(&r, &f, chat, &method, parts), 3);
	assert_string_equal(method, "sendDocument");
	assert_string_equal(parts[0].name, "chat_id");
	assert_string_equal(parts[0].data, "7001");
	assert_string_equal(parts[1].name, "caption");
	assert_memory_equal(parts[1].data, "Памятка во вложении", parts[1].len);
	assert_null(parts[1].filename);
	assert_string_equal(parts[2].name, "document");
	assert_string_equal(parts[2].filename, "memo.pdf");
	assert_string_equal(parts[2].type, "application/pdf");
	assert_int_equal(parts[2].len, sizeof PNG - 1);
	assert_memory_equal(parts[2].data, PNG, parts[2].len);
	outbox_row_free(&r);

	r = file_row("photo", "");
	assert_int_equal(channel_row_file(&r, &f), 0);
	assert_int_equal(tg_file_parts(&r, &f, chat, &method, parts), 2); /* no caption */
	assert_string_equal(method, "sendPhoto");
	assert_string_equal(parts[1].name, "photo");
	assert_string_equal(parts[1].filename, "router.png");
	outbox_row_free(&r);
}

static void test_vk_chain(void **state)
{
	(void)state;
	struct buf b = {0};
	assert_string_equal(vk_upload_server_call(0, 2000000001, &b),
			    "docs.getMessagesUploadServer");
	assert_string_equal(b.data, "&type=doc&peer_id=2000000001");
	buf_free(&b);
	assert_string_equal(vk_upload_server_call(1, 55, &b), "photos.getMessagesUploadServer");
	assert_string_equal(b.data, "&peer_id=55");
	buf_free(&b);
	assert_string_equal(vk_upload_field(0), "file");
	assert_string_equal(vk_upload_field(1), "photo");

	char *url = vk_parse_upload_url("{\"response\":{\"upload_url\":\"https://pu.vk.com/c1/upload.php?x=1\"}}");
	assert_string_equal(url, "https://pu.vk.com/c1/upload.php?x=1");
	free(url);
	assert_null(vk_parse_upload_url("{\"error\":{\"error_code\":15}}"));
	assert_null(vk_parse_upload_url("not json"));

	assert_string_equal(vk_save_call(0, "{\"file\":\"a|b c\"}", "памятка.pdf", &b), "docs.save");
	assert_string_equal(b.data, "&file=a%7Cb%20c&title=%D0%BF%D0%B0%D0%BC%D1%8F%D1%82%D0%BA%D0%B0.pdf");
	buf_free(&b);
	assert_null(vk_save_call(0, "{\"error\":\"no file\"}", "x", &b));
	buf_free(&b);
	assert_string_equal(vk_save_call(1, "{\"server\":123,\"photo\":\"[{\\\"p\\\":1}]\",\"hash\":\"h1\"}",
					 "x.png", &b),
			    "photos.saveMessagesPhoto");
	assert_string_equal(b.data, "&server=123&photo=%5B%7B%22p%22%3A1%7D%5D&hash=h1");
	buf_free(&b);
	/* VK's answer to an upload it could not read: an empty photo list. */
	assert_null(vk_save_call(1, "{\"server\":1,\"photo\":\"[]\",\"hash\":\"0\"}", "x.png", &b));
	buf_free(&b);

	char att[64];
	assert_int_equal(vk_parse_saved(0, "{\"response\":{\"type\":\"doc\",\"doc\":{\"id\":600001,\"owner_id\":-123}}}",
					att, sizeof att),
			 0);
	assert_string_equal(att, "doc-123_600001");
	assert_int_equal(vk_parse_saved(1, "{\"response\":[{\"id\":700002,\"owner_id\":-123}]}", att,
					sizeof att),
			 0);
	assert_string_equal(att, "photo-123_700002");
	assert_int_equal(vk_parse_saved(1, "{\"response\":[]}", att, sizeof att), -1);
	assert_int_equal(vk_parse_saved(0, "{\"error\":{\"error_code\":100}}", att, sizeof att), -1);
}

static void test_max_chain(void **state)
{
	(void)state;
	assert_string_equal(max_upload_type(0), "file");
	assert_string_equal(max_upload_type(1), "image");
	assert_string_equal(max_upload_field(), "data");
	char *url = max_parse_upload_url("{\"url\":\"https://vu.max.ru/upload?sig=1\"}");
	assert_string_equal(url, "https://vu.max.ru/upload?sig=1");
	free(url);
	assert_null(max_parse_upload_url("{\"code\":\"x\"}"));
	char *t = max_parse_upload_token("{\"token\":\"tok-1\"}");
	assert_string_equal(t, "tok-1");
	free(t);
	t = max_parse_upload_token("{\"photos\":{\"abc\":{\"token\":\"img-2\"}}}");
	assert_string_equal(t, "img-2");
	free(t);
	assert_null(max_parse_upload_token("{}"));

	struct outbox_row r = file_row("photo", "Вот где");
	char *body = max_file_body(&r, 1, "img-2");
	cJSON *o = cJSON_Parse(body);
	assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring, "Вот где");
	cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "attachments"), 0);
	assert_string_equal(cJSON_GetObjectItem(a, "type")->valuestring, "image");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "payload"), "token")->valuestring,
			    "img-2");
	cJSON_Delete(o);
	free(body);
	free(r.text);
	r.text = xstrdup("");
	body = max_file_body(&r, 0, "tok-1");
	assert_null(strstr(body, "\"text\""));
	assert_non_null(strstr(body, "\"type\":\"file\""));
	free(body);
	outbox_row_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_file),
		cmocka_unit_test(test_telegram_parts),
		cmocka_unit_test(test_vk_chain),
		cmocka_unit_test(test_max_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
