/* Tests of bot/json_print.c: the same bytes as cJSON_PrintUnformatted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json_print.h"

/* Prints item both ways and compares; frees item. */
static void same(cJSON *item)
{
	char *want = cJSON_PrintUnformatted(item);
	assert_non_null(want);
	struct buf got = {0};
	assert_int_equal(json_print_compact(item, &got), 0);
	assert_string_equal(got.data, want);
	free(want);
	buf_free(&got);
	cJSON_Delete(item);
}

static void test_thousandths(void **state)
{
	(void)state;
	/* Every score the matcher writes: round(x * 1000) / 1000 in [0, 1]. */
	for (int k = 0; k <= 1000; k++)
		same(cJSON_CreateNumber(round((double)k / 1000 * 1000) / 1000));
	for (int k = 0; k <= 1000; k++)
		same(cJSON_CreateNumber((double)k / 1000));
}

static void test_other_numbers(void **state)
{
	(void)state;
	const double v[] = {-0.0, -1, 2, 1.0005, 0.0005, 1e-7, 123456789.125, 0.1 + 0.2, 1.0 / 3, 250, 30.5, 1e300,
			    -0.709, 0.7091, 2147483648.0, NAN, INFINITY};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		same(cJSON_CreateNumber(v[i]));
}

static void test_strings(void **state)
{
	(void)state;
	char s[256];
	for (int c = 1; c < 256; c++)
		s[c - 1] = (char)c;
	s[255] = '\0';
	same(cJSON_CreateString(s));
	same(cJSON_CreateString(""));
	same(cJSON_CreateString("баланс \"в\" \\роуминге\\\n\t😀"));
}

static void test_tree(void **state)
{
	(void)state;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNullToObject(o, "intent");
	cJSON_AddNumberToObject(o, "score", 0.709);
	cJSON *top = cJSON_AddArrayToObject(o, "top");
	for (int i = 0; i < 3; i++) {
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "intent", "balance");
		cJSON_AddNumberToObject(h, "score", 0.5 + i / 10.0);
		cJSON_AddItemToArray(top, h);
	}
	cJSON *fl = cJSON_AddObjectToObject(o, "flags");
	cJSON_AddBoolToObject(fl, "obscene", 0);
	cJSON_AddBoolToObject(fl, "shouting", 1);
	cJSON_AddObjectToObject(o, "entities");
	cJSON_AddArrayToObject(o, "empty");
	cJSON_AddStringToObject(o, "ключ \"x\"", "значение");
	cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("[1,2]"));
	cJSON_AddNumberToObject(o, "budget", 450.75);
	same(o);
}

/* A buffer with a limit: a clean failure, no overflow. */
static void test_limit(void **state)
{
	(void)state;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "text", "a long enough string to pass the limit");
	struct buf b = {.limit = 16};
	assert_int_equal(json_print_compact(o, &b), -1);
	assert_true(b.len <= 16);
	buf_free(&b);
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousandths),
		cmocka_unit_test(test_other_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
