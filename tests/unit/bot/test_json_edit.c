/* The layout-keeping edit of reply-set files (bot/json_edit.c): new examples go into the
 * right intent's array in the style of their neighbours (one a line with the same
 * indentation, or side by side), every other byte stays (CRLF files too, nested arrays,
 * escapes elsewhere), an empty array takes them, texts needing escapes come out as
 * valid JSON that reads back the same, duplicates are left out, and the diff is a
 * unified diff of the changed lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "json_edit.h"

static char *add(const char *file, const char *intent, const char *lang, const char *text,
		 int expect)
{
	const char *texts[] = {text};
	char *out = NULL, err[256] = "";
	int n = json_edit_add_examples(file, intent, lang, texts, 1, &out, err, sizeof err);
	if (n != expect)
		fail_msg("added %d, expected %d (%s)", n, expect, err);
	return out;
}

/* The examples[lang] of intent in the parsed text. */
static cJSON *examples(cJSON *root, const char *intent, const char *lang)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "intents"))
	{
		const cJSON *id = cJSON_GetObjectItem(it, "id");
		if (cJSON_IsString(id) && strcmp(id->valuestring, intent) == 0)
			return cJSON_GetObjectItem(cJSON_GetObjectItem(it, "examples"), lang);
	}
	return NULL;
}

static const char MULTI[] =
	"{\n"
	"  \"intents\": [\n"
	"    {\n"
	"      \"id\": \"first\",\n"
	"      \"examples\": {\n"
	"        \"ru\": [\n"
	"          \"один\",\n"
	"          \"два \\\"в кавычках\\\" [скобки]\"\n"
	"        ]\n"
	"      },\n"
	"      \"buttons\": [[{\"intent\": \"x\"}], []]\n"
	"    },\n"
	"    {\n"
	"      \"examples\": {\"ru\": [\"не тот\"]},\n"
	"      \"id\": \"second\",\n"
	"      \"note\": \"\\u0441\\\\ \\\"id\\\": \\\"first\\\"\"\n"
	"    }\n"
	"  ]\n"
	"}\n";

static void multi_line_array_keeps_its_layout(void **state)
{
	(void)state;
	char *out = add(MULTI, "first", "ru", "три", 1);
	const char *want_tail = "          \"два \\\"в кавычках\\\" [скобки]\",\n"
				"          \"три\"\n"
				"        ]\n";
	assert_non_null(strstr(out, want_tail));
	/* Everything before the array's last element and after it is untouched. */
	const char *last = strstr(MULTI, "          \"два");
	size_t pre = (size_t)(last - MULTI);
	assert_memory_equal(out, MULTI, pre);
	const char *after_old = strstr(MULTI, "        ]\n      },");
	assert_string_equal(strstr(out, "        ]\n      },"), after_old);
	free(out);
}

static void side_by_side_array_and_the_right_intent(void **state)
{
	(void)state;
	/* "second" has a one-line array; its id comes after examples, and "note" spells
	 * "id": "first" inside a string. */
	char *out = add(MULTI, "second", "ru", "ещё один", 1);
	assert_non_null(strstr(out, "{\"ru\": [\"не тот\", \"ещё один\"]}"));
	cJSON *root = cJSON_Parse(out);
	assert_non_null(root);
	assert_int_equal(cJSON_GetArraySize(examples(root, "first", "ru")), 2);
	assert_int_equal(cJSON_GetArraySize(examples(root, "second", "ru")), 2);
	cJSON_Delete(root);
	free(out);
}

static void crlf_file_stays_crlf(void **state)
{
	(void)state;
	const char *crlf = "{\r\n  \"intents\": [\r\n    {\r\n      \"id\": \"a\",\r\n"
			   "      \"examples\": {\r\n        \"ru\": [\r\n          \"x\"\r\n"
			   "        ]\r\n      }\r\n    }\r\n  ]\r\n}\r\n";
	char *out = add(crlf, "a", "ru", "y", 1);
	assert_string_equal(out, "{\r\n  \"intents\": [\r\n    {\r\n      \"id\": \"a\",\r\n"
				 "      \"examples\": {\r\n        \"ru\": [\r\n          \"x\",\r\n"
				 "          \"y\"\r\n        ]\r\n      }\r\n    }\r\n  ]\r\n}\r\n");
	/* No bare LF anywhere. */
	for (const char *p = out; *p; p++)
		if (*p == '\n')
			assert_true(p > out && p[-1] == '\r');
	free(out);
}

static void empty_array_and_missing_language(void **state)
{
	(void)state;
	const char *empty = "{\"intents\": [{\"id\": \"a\", \"examples\": {\"ru\": [ ], \"en\": []}}]}";
	char *out = add(empty, "a", "ru", "первый", 1);
	assert_string_equal(out, "{\"intents\": [{\"id\": \"a\", \"examples\": {\"ru\": [\"первый\" ], "
				 "\"en\": []}}]}");
	free(out);
	const char *ru_only = "{\"intents\": [{\"id\": \"a\",\n  \"examples\": {\n    \"ru\": [\"x\"]\n  }}]}";
	out = add(ru_only, "a", "en", "hello", 1);
	assert_string_equal(out, "{\"intents\": [{\"id\": \"a\",\n  \"examples\": {\n    \"ru\": [\"x\"],\n"
				 "    \"en\": [\"hello\"]\n  }}]}");
	free(out);
}

static void escapes_read_back_the_same(void **state)
{
	(void)state;
	const char *text = "он сказал \"привет\" \\ C:\\path \x01 — ёжик 😀 </script>";
	char *out = add(MULTI, "first", "ru", text, 1);
	cJSON *root = cJSON_Parse(out);
	assert_non_null(root);
	cJSON *ru = examples(root, "first", "ru");
	assert_int_equal(cJSON_GetArraySize(ru), 3);
	assert_string_equal(cJSON_GetArrayItem(ru, 2)->valuestring, text);
	/* UTF-8 stays as it is (like the neighbours); the control character is escaped. */
	assert_non_null(strstr(out, "ёжик 😀"));
	assert_non_null(strstr(out, "\\u0001"));
	assert_non_null(strstr(out, "\\\"привет\\\" \\\\ C:\\\\path"));
	cJSON_Delete(root);
	free(out);
	/* A line break in a customer's text is a space in the example. */
	out = add(MULTI, "first", "ru", "  две\nстроки ", 1);
	assert_non_null(strstr(out, "\"две строки\""));
	free(out);
}

static void duplicates_and_errors(void **state)
{
	(void)state;
	/* Already there (normalised: case, ё), or empty: nothing added, the file as it was. */
	char *out = add(MULTI, "first", "ru", "ОДИН", 0);
	assert_string_equal(out, MULTI);
	free(out);
	out = add(MULTI, "second", "ru", "   ", 0);
	assert_string_equal(out, MULTI);
	free(out);
	const char *texts[] = {"x"};
	char *o = NULL, err[256] = "";
	assert_int_equal(json_edit_add_examples(MULTI, "third", "ru", texts, 1, &o, err, sizeof err), -1);
	assert_non_null(strstr(err, "third"));
	assert_null(o);
	assert_int_equal(json_edit_add_examples("{\"intents\": [", "a", "ru", texts, 1, &o, err,
						sizeof err), -1);
	assert_int_equal(json_edit_add_examples("{\"intents\": [{\"id\": \"a\"}]}", "a", "ru", texts,
						1, &o, err, sizeof err), -1);
	assert_non_null(strstr(err, "examples"));
}

static void new_file_and_diff(void **state)
{
	(void)state;
	const char *texts[] = {"a \"b\"", "c", "d", "C ", ""};
	size_t added = 0;
	char *f = json_edit_new_intent_file("logo", "Логотип", "Синий.", "ru", texts, 5, &added);
	cJSON *root = cJSON_Parse(f);
	assert_non_null(root);
	assert_int_equal(added, 3); /* "C " repeats "c"; "" is nothing */
	assert_int_equal(cJSON_GetArraySize(examples(root, "logo", "ru")), 3);
	assert_string_equal(cJSON_GetArrayItem(examples(root, "logo", "ru"), 0)->valuestring, "a \"b\"");
	cJSON_Delete(root);
	free(f);

	const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n";
	const char *b = "1\n2\n3\n4\n5,\nnew\n6\n7\n8\n";
	char *d = json_edit_diff("x.json", a, b);
	assert_string_equal(d, "--- a/x.json\n+++ b/x.json\n@@ -2,7 +2,8 @@\n 2\n 3\n 4\n-5\n+5,\n"
			       "+new\n 6\n 7\n 8\n");
	free(d);
	d = json_edit_diff("x.json", a, a);
	assert_string_equal(d, "");
	free(d);
	d = json_edit_diff("n.json", NULL, "x\n");
	assert_string_equal(d, "--- /dev/null\n+++ b/n.json\n@@ -0,0 +1,1 @@\n+x\n");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(multi_line_array_keeps_its_layout),
		cmocka_unit_test(side_by_side_array_and_the_right_intent),
		cmocka_unit_test(crlf_file_stays_crlf),
		cmocka_unit_test(empty_array_and_missing_language),
		cmocka_unit_test(escapes_read_back_the_same),
		cmocka_unit_test(duplicates_and_errors),
		cmocka_unit_test(new_file_and_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
