/* The satisfaction question's rows (bot/store_ratings.c): asked once per case, a press
 * only from the customer asked, a later press replaces, and the report's figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "store.h"
#include "store_ratings.h"
#include "test_store_fixture.h"

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void asked_once_rated_by_the_customer_only(void **state)
{
	(void)state;
	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(store_rating_ask(tx, 1, "vk", 100, "oleg", 1000), 1);
	assert_int_equal(store_rating_ask(tx, 1, "vk", 100, "anna", 1100), 0);
	assert_int_equal(store_rating_ask(tx, 2, "telegram", 200, "anna", 1000), 1);
	assert_int_equal(store_rating_ask(tx, 3, "web", 300, NULL, 1000), 1);
	/* Another customer, another channel, a case never asked, out of range: nothing. */
	assert_int_equal(store_rating_set(tx, 1, "vk", 101, 5, 1200), 0);
	assert_int_equal(store_rating_set(tx, 1, "telegram", 100, 5, 1200), 0);
	assert_int_equal(store_rating_set(tx, 9, "vk", 100, 5, 1200), 0);
	assert_int_equal(store_rating_set(tx, 1, "vk", 100, 0, 1200), 0);
	assert_int_equal(store_rating_set(tx, 1, "vk", 100, 6, 1200), 0);
	assert_int_equal(store_rating_set(tx, 1, "vk", 100, 5, 1200), 1);
	assert_int_equal(store_rating_set(tx, 1, "vk", 100, 3, 1300), 1); /* replaces */
	assert_int_equal(store_rating_set(tx, 2, "telegram", 200, 5, 1300), 1);
	assert_int_equal(store_commit(tx), 0);

	cJSON *o = cJSON_CreateObject();
	assert_int_equal(store_rating_report(st, 0, o), 0);
	const cJSON *sat = cJSON_GetObjectItem(o, "satisfaction");
	assert_int_equal((int)num(sat, "asked"), 3);
	assert_int_equal((int)num(sat, "count"), 2);
	assert_true(num(sat, "average") == 4.0);
	const cJSON *d = cJSON_GetObjectItem(sat, "distribution");
	assert_int_equal(cJSON_GetArraySize(d), 5);
	int want[5] = {0, 0, 1, 0, 1};
	for (int i = 0; i < 5; i++)
		assert_int_equal(cJSON_GetArrayItem(d, i)->valueint, want[i]);
	const cJSON *ops = cJSON_GetObjectItem(sat, "operators");
	assert_int_equal(cJSON_GetArraySize(ops), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ops, 0), "login")->valuestring,
			    "anna");
	assert_true(num(cJSON_GetArrayItem(ops, 1), "average") == 3.0);
	cJSON_Delete(o);

	/* Only the ratings given since count; none: zeros, not a division by zero. */
	o = cJSON_CreateObject();
	assert_int_equal(store_rating_report(st, 5000, o), 0);
	sat = cJSON_GetObjectItem(o, "satisfaction");
	assert_int_equal((int)num(sat, "count"), 0);
	assert_true(num(sat, "average") == 0.0);
	cJSON_Delete(o);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(asked_once_rated_by_the_customer_only, setup,
						teardown),
	};
	return tb_run(tests);
}
