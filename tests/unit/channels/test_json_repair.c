/* The JSON text repair pass (bot/json_repair.c): what it rewrites to U+FFFD, what it
 * must leave byte for byte, and that cJSON then reads every repaired text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "json_repair.h"

/* Repairs s and returns the result (s itself copied when nothing changed). */
static char *fix(const char *s, size_t len, struct json_repair_stats *st)
{
	size_t n = 0;
	char *out = json_repair(s, len, &n, st);
	if (!out) {
		out = malloc(len + 1);
		memcpy(out, s, len);
		out[len] = '\0';
		return out;
	}
	assert_int_equal(n, strlen(out));
	return out;
}

static void expect(const char *in, const char *want)
{
	struct json_repair_stats st;
	char *out = fix(in, strlen(in), &st);
	assert_string_equal(out, want);
	free(out);
}

/* The value of "text" in the repaired {"text": ...} document, as cJSON reads it. */
static char *text_of(const char *doc, size_t len)
{
	char *fixed = fix(doc, len, NULL);
	cJSON *o = cJSON_Parse(fixed);
	assert_non_null(o);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
	assert_true(cJSON_IsString(t));
	char *r = strdup(t->valuestring);
	cJSON_Delete(o);
	free(fixed);
	return r;
}

static void clean_text_is_not_copied(void **state)
{
	(void)state;
	const char *ok[] = {
		"{\"ts\":\"1\",\"updates\":[]}",
		"{\"text\":\"Привет 😀 \\ud83d\\ude00 \\u00e9 \\n \\\" \\\\ud83d\"}",
		"[1, 2.5e3, true, null, \"\\u0041\"]",
		"", "\"\\u\"", "{\"a\":\"\\uZZZZ\"}",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct json_repair_stats st = {1, 1, 1};
		size_t n = 99;
		assert_null(json_repair(ok[i], strlen(ok[i]), &n, &st));
		assert_int_equal(st.escapes + st.nuls + st.bytes, 0);
	}
}

static void lone_and_reversed_surrogates(void **state)
{
	(void)state;
	expect("{\"text\":\"\\ud83d\"}", "{\"text\":\"\\ufffd\"}");
	expect("{\"text\":\"a\\uD83Db\"}", "{\"text\":\"a\\ufffdb\"}");
	/* surrogate-escaped bytes (Python's surrogateescape) */
	expect("{\"text\":\"\\udc80\\udcff\"}", "{\"text\":\"\\ufffd\\ufffd\"}");
	/* reversed pair: low then high, both lone */
	expect("{\"text\":\"\\ude00\\ud83d\"}", "{\"text\":\"\\ufffd\\ufffd\"}");
	/* high then high then low: the second pair is proper */
	expect("{\"text\":\"\\ud83d\\ud83d\\ude00\"}", "{\"text\":\"\\ufffd\\ud83d\\ude00\"}");
	/* high at the very end of the text, and high before another escape */
	expect("\"\\ud800", "\"\\ufffd");
	expect("\"\\ud800\\n\"", "\"\\ufffd\\n\"");
	/* keys are strings too */
	expect("{\"\\udfff\":1}", "{\"\\ufffd\":1}");
	/* an escaped backslash before "ud83d" is not an escape */
	expect("{\"text\":\"\\\\ud83d\"}", "{\"text\":\"\\\\ud83d\"}");
	struct json_repair_stats st;
	const char *two = "\"\\ud83d \\udc80\"";
	char *out = fix(two, strlen(two), &st);
	assert_int_equal(st.escapes, 2);
	free(out);
}

static void nul_escape_keeps_the_text_whole(void **state)
{
	(void)state;
	const char doc[] = "{\"text\":\"abc\\u0000def\"}";
	char *t = text_of(doc, sizeof doc - 1);
	assert_string_equal(t, "abc\xEF\xBF\xBD" "def"); /* not "abc" */
	free(t);
	/* a raw NUL byte inside a string too (a space: between tokens, where cJSON reads a
	 * NUL as whitespace, the same replacement keeps the text readable) */
	const char raw[] = "{\"text\":\"ab\0cd\"}";
	t = text_of(raw, sizeof raw - 1);
	assert_string_equal(t, "ab cd");
	free(t);
}

static void invalid_utf8_bytes(void **state)
{
	(void)state;
	/* stray continuation, lone lead, overlong, encoded surrogate, past U+10FFFF,
	 * 5-byte lead, truncated sequence before a quote */
	expect("\"\x80\"", "\"\xEF\xBF\xBD\"");
	expect("\"\xC3\"", "\"\xEF\xBF\xBD\"");
	expect("\"\xC0\xAF\"", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
	expect("\"\xED\xA0\x80\"", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
	expect("\"\xF4\x90\x80\x80\"", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
	expect("\"\xF8\x88\x80\x80\x80\"",
	       "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
	/* a maximal subpart is one replacement: E2 82 then a quote */
	expect("\"\xE2\x82\"", "\"\xEF\xBF\xBD\"");
	/* valid neighbours untouched */
	expect("\"я\xFFя\"", "\"я\xEF\xBF\xBDя\"");
	expect("\"\xF0\x9F\x98\x80\"", "\"\xF0\x9F\x98\x80\"");
	/* a backslash before a non-ASCII byte does not hide the byte from the check */
	expect("\"\\\xFF\"", "\"\\\xEF\xBF\xBD\"");
	/* outside strings as well (such text is not JSON, but nothing invalid is kept) */
	expect("[1,\xFF]", "[1,\xEF\xBF\xBD]");
	char *s = utf8_repair("ok \xC3\x28 ok");
	assert_string_equal(s, "ok \xEF\xBF\xBD( ok");
	free(s);
	s = utf8_repair("всё хорошо");
	assert_string_equal(s, "всё хорошо");
	free(s);
}

static void repair_is_idempotent_and_parses(void **state)
{
	(void)state;
	/* found by fuzz_vk: NULs between tokens are whitespace to cJSON; still readable */
	const char nuls[] = "{\"a\"\x16\0\0:\"5\"}";
	char *spaced = fix(nuls, sizeof nuls - 1, NULL);
	cJSON *spaced_doc = cJSON_Parse(spaced);
	assert_non_null(spaced_doc);
	cJSON_Delete(spaced_doc);
	free(spaced);
	const char *docs[] = {
		"{\"text\":\"\\ud83d\\u0000\xFF\\udc80\\udcff\"}",
		"{\"text\":\"\\udbff\\udbff\\udfff\\udfff\"}",
		"{\"text\":\"\xE0\x80\x80\xF0\x80\x80\x80\"}",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		char *once = fix(docs[i], strlen(docs[i]), NULL);
		assert_null(json_repair(once, strlen(once), NULL, NULL));
		cJSON *o = cJSON_Parse(once);
		assert_non_null(o);
		cJSON_Delete(o);
		free(once);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_text_is_not_copied),
		cmocka_unit_test(lone_and_reversed_surrogates),
		cmocka_unit_test(nul_escape_keeps_the_text_whole),
		cmocka_unit_test(invalid_utf8_bytes),
		cmocka_unit_test(repair_is_idempotent_and_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
