/* Tests of the approved files (replies/files.json, bot/replyset.c): the shipped set's
 * two files, every way an entry can be wrong (reported at its file:line:col, the set
 * refused), the kind checked against the extension and the bytes, the size limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_helpers.h"


static void write_bytes(const char *dir, const char *rel, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	free(path);
}

static void test_shipped_files(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	assert_int_equal(replyset_n_files(rs), 2);
	const struct replyset_file *pdf = replyset_file(rs, "internet_setup");
	assert_non_null(pdf);
	assert_int_equal(pdf->kind, RS_FILE_DOCUMENT);
	assert_string_equal(pdf->name, "internet_setup.pdf");
	assert_string_equal(pdf->mime, "application/pdf");
	assert_string_equal(pdf->title[RS_RU], "Памятка: настройка интернета");
	assert_non_null(pdf->title[RS_EN]);
	assert_true(pdf->len > 100 && memcmp(pdf->data, "%PDF-", 5) == 0);
	const struct replyset_file *png = replyset_file_at(rs, 1);
	assert_int_equal(png->kind, RS_FILE_PHOTO);
	assert_string_equal(png->mime, "image/png");
	assert_null(replyset_file(rs, "no_such_file"));
	assert_null(replyset_file_at(rs, 2));
	replyset_free(rs);
}

static void test_no_files_json(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	char *path = xasprintf("%s/files.json", dir);
	remove(path);
	free(path);
	struct replyset *rs = NULL;
	assert_int_equal(replyset_load(dir, &rs, NULL), 0);
	assert_int_equal(replyset_n_files(rs), 0);
	replyset_free(rs);
	th_rmtree(dir);
	free(dir);
}

static void test_broken_entries(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	/* Outside the set: a symlink under files/ pointing out of it. */
	char *link = xasprintf("%s/files/outside.pdf", dir);
	assert_int_equal(symlink("/etc/hostname", link), 0);
	free(link);
	write_bytes(dir, "files/fake.png", "GIF89a not a png", 16);
	write_bytes(dir, "files/empty.pdf", "", 0);
	write_bytes(dir, "files/page.html", "<script>", 8);
	th_write(dir, "files.json",
		 "{\"files\": [\n"
		 "  {\"id\": \"up\", \"title\": \"x\", \"file\": \"files/../settings.json\", \"kind\": \"document\"},\n"
		 "  {\"id\": \"sub\", \"title\": \"x\", \"file\": \"files/a/b.pdf\", \"kind\": \"document\"},\n"
		 "  {\"id\": \"abs\", \"title\": \"x\", \"file\": \"/etc/passwd\", \"kind\": \"document\"},\n"
		 "  {\"id\": \"gone\", \"title\": \"x\", \"file\": \"files/gone.pdf\", \"kind\": \"document\"},\n"
		 "  {\"id\": \"out\", \"title\": \"x\", \"file\": \"files/outside.pdf\", \"kind\": \"document\"},\n"
		 "  {\"id\": \"magic\", \"title\": \"x\", \"file\": \"files/fake.png\", \"kind\": \"photo\"},\n"
		 "  {\"id\": \"pdfphoto\", \"title\": \"x\", \"file\": \"files/internet_setup.pdf\", \"kind\": \"photo\"},\n"
		 "  {\"id\": \"empty\", \"title\": \"x\", \"file\": \"files/empty.pdf\", \"kind\": \"document\"},\n"
		 "  {\"id\": \"html\", \"title\": \"x\", \"file\": \"files/page.html\", \"kind\": \"document\"},\n"
		 "  {\"id\": \"Bad-Id\", \"title\": \"\", \"file\": \"files/router.png\", \"kind\": \"video\"},\n"
		 "  {\"id\": \"up\", \"file\": \"files/router.png\", \"kind\": \"photo\"}\n"
		 "]}\n");
	char *e = th_load_errors(dir);
	fprintf(stderr, "%s", e);
	assert_non_null(strstr(e, "files.json:2:38: \"files/../settings.json\": a file must be"));
	assert_non_null(strstr(e, "files.json:3:39: \"files/a/b.pdf\": a file must be"));
	assert_non_null(strstr(e, "files.json:4:39: \"/etc/passwd\": a file must be"));
	assert_non_null(strstr(e, "files.json:5:40: \"files/gone.pdf\" does not exist"));
	assert_non_null(strstr(e, "files.json:6:39: \"files/outside.pdf\" is outside the reply set's directory"));
	assert_non_null(strstr(e, "files.json:7:41: \"fake.png\" is not a png file"));
	assert_non_null(strstr(e, "files.json:8:44: a photo must be .png, .jpg or .jpeg"));
	assert_non_null(strstr(e, "files.json:9:41: \"files/empty.pdf\" is empty"));
	assert_non_null(strstr(e, "files.json:10:40: \"page.html\": only .pdf"));
	assert_non_null(strstr(e, "files.json:11:10: file id \"Bad-Id\" must match [a-z0-9_]+"));
	assert_non_null(strstr(e, "files.json:11:29: field \"title\" must not be empty"));
	assert_non_null(strstr(e, "files.json:11:69: unknown file kind \"video\" (document, photo)"));
	assert_non_null(strstr(e, "files.json:12:10: duplicate file id \"up\""));
	assert_non_null(strstr(e, "files.json:12:3: missing field \"title\""));
	free(e);
	th_rmtree(dir);
	free(dir);
}

static void test_size_limit(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	size_t big = REPLYSET_FILE_MAX + 1;
	char *data = xcalloc(1, big);
	memcpy(data, "%PDF-1.4\n", 9);
	write_bytes(dir, "files/big.pdf", data, big);
	write_bytes(dir, "files/limit.pdf", data, REPLYSET_FILE_MAX);
	free(data);
	th_write(dir, "files.json",
		 "{\"files\": [{\"id\": \"limit\", \"title\": \"x\", \"file\": \"files/limit.pdf\", "
		 "\"kind\": \"document\"}]}\n");
	struct replyset *rs = NULL;
	assert_int_equal(replyset_load(dir, &rs, NULL), 0);
	assert_int_equal(replyset_file(rs, "limit")->len, REPLYSET_FILE_MAX);
	replyset_free(rs);
	th_write(dir, "files.json",
		 "{\"files\": [{\"id\": \"big\", \"title\": \"x\", \"file\": \"files/big.pdf\", "
		 "\"kind\": \"document\"}]}\n");
	char *e = th_load_errors(dir);
	assert_non_null(strstr(e, "\"files/big.pdf\" is 10485761 bytes, over the limit of 10485760"));
	free(e);
	th_rmtree(dir);
	free(dir);
}

static void test_file_check(void **state)
{
	(void)state;
	char why[200];
	assert_string_equal(replyset_file_check(RS_FILE_PHOTO, "a.JPG", "\xff\xd8\xff\xe0", 4, why,
						sizeof why),
			    "image/jpeg");
	assert_null(replyset_file_check(RS_FILE_PHOTO, "a.jpg", "\x89PNG\r\n\x1a\n", 8, why,
					sizeof why));
	assert_string_equal(replyset_file_check(RS_FILE_DOCUMENT, "a.png", "\x89PNG\r\n\x1a\n", 8,
						why, sizeof why),
			    "image/png");
	assert_string_equal(replyset_file_check(RS_FILE_DOCUMENT, "notes.txt", "hi", 2, why,
						sizeof why),
			    "text/plain; charset=utf-8");
	assert_null(replyset_file_check(RS_FILE_DOCUMENT, "a.svg", "<svg", 4, why, sizeof why));
	assert_null(replyset_file_check(RS_FILE_DOCUMENT, "a.pdf", "%PD", 3, why, sizeof why));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_files),
		cmocka_unit_test(test_no_files_json),
		cmocka_unit_test(test_broken_entries),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_file_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
