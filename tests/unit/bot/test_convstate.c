/* Tests of bot/convstate.c: every accessor reads and writes the key the stored object
 * has always used (checked on the printed JSON, not through the module), values
 * survive printing and parsing and the store, objects written before the module
 * existed read back, keys it does not know survive, and damaged objects read as a
 * fresh conversation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "convstate.h"
#include "test_store_fixture.h"

/* The state as stored: the printed text parsed back. Caller frees. */
static cJSON *printed(const struct convstate *cs)
{
	char *text = convstate_print(cs);
	assert_non_null(text);
	cJSON *o = cJSON_Parse(text);
	free(text);
	assert_true(cJSON_IsObject(o));
	return o;
}

static const cJSON *key(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static void assert_key_str(const cJSON *o, const char *name, const char *value)
{
	const cJSON *v = key(o, name);
	if (!cJSON_IsString(v))
		fail_msg("key \"%s\" is not a string", name);
	assert_string_equal(v->valuestring, value);
}

static void assert_key_num(const cJSON *o, const char *name, double value)
{
	const cJSON *v = key(o, name);
	if (!cJSON_IsNumber(v))
		fail_msg("key \"%s\" is not a number", name);
	assert_int_equal((int64_t)v->valuedouble, (int64_t)value);
}

static size_t n_keys(const cJSON *o)
{
	return (size_t)cJSON_GetArraySize(o);
}

/* ------------------------------------------------------------------ writes: the keys */

static void writes_language_seen_holder_open_case(void **state)
{
	(void)state;
	struct convstate *cs = convstate_new();
	cJSON *o = printed(cs);
	assert_int_equal(n_keys(o), 0);
	cJSON_Delete(o);

	convstate_set_lang(cs, "en");
	convstate_set_seen(cs);
	convstate_set_open_case(cs, "000042");
	o = printed(cs);
	assert_key_str(o, "lang", "en");
	assert_true(cJSON_IsTrue(key(o, "seen")));
	assert_key_str(o, "open_case", "000042");
	assert_int_equal(n_keys(o), 3);
	cJSON_Delete(o);

	convstate_hand_to_person(cs, 17, 1700000000);
	convstate_set_last_auto_reply(cs, 1700000100);
	o = printed(cs);
	assert_key_str(o, "mode", "human");
	assert_key_num(o, "case_id", 17);
	assert_key_num(o, "since", 1700000000);
	assert_key_num(o, "last_auto_reply", 1700000100);
	cJSON_Delete(o);

	/* Back to the bot: the holder's keys go, the rest stays. */
	convstate_hand_to_bot(cs);
	convstate_set_open_case(cs, NULL);
	o = printed(cs);
	assert_null(key(o, "mode"));
	assert_null(key(o, "case_id"));
	assert_null(key(o, "since"));
	assert_null(key(o, "last_auto_reply"));
	assert_null(key(o, "open_case"));
	assert_key_str(o, "lang", "en");
	assert_int_equal(n_keys(o), 2);
	cJSON_Delete(o);
	convstate_free(cs);
}

static void writes_interview(void **state)
{
	(void)state;
	struct convstate *cs = convstate_new();
	/* No interview: setters do nothing. */
	convstate_interview_set(cs, CONVSTATE_PHONE, "+79161234567");
	convstate_interview_ask(cs, CONVSTATE_PHONE, 1);
	assert_false(convstate_in_interview(cs));
	assert_null(convstate_interview_take(cs));

	convstate_interview_start(cs, "complaint_home_internet", 1700000000);
	convstate_interview_set(cs, CONVSTATE_PHONE, "+79161234567");
	convstate_interview_set(cs, CONVSTATE_ACCOUNT, "123456");
	convstate_interview_set(cs, CONVSTATE_LOCATION, "Тверская, 1");
	convstate_interview_set(cs, CONVSTATE_DESCRIPTION, "не работает с утра");
	convstate_interview_set(cs, CONVSTATE_SUMMARY, "интернет не работает");
	convstate_interview_ask(cs, CONVSTATE_LOCATION, 1);
	convstate_interview_skip(cs, CONVSTATE_ACCOUNT);
	convstate_interview_add_flags(cs, CONVSTATE_OBSCENE | CONVSTATE_SHOUTING);
	convstate_interview_add_flags(cs, CONVSTATE_LEGAL_THREAT | CONVSTATE_SPREAD_CALL);
	cJSON *o = printed(cs);
	const cJSON *iv = key(o, "interview");
	assert_true(cJSON_IsObject(iv));
	assert_key_str(iv, "intent", "complaint_home_internet");
	assert_key_num(iv, "started", 1700000000);
	assert_key_str(iv, "phone", "+79161234567");
	assert_key_str(iv, "account", "123456");
	assert_key_str(iv, "location", "Тверская, 1");
	assert_key_str(iv, "description", "не работает с утра");
	assert_key_str(iv, "summary", "интернет не работает");
	assert_key_str(iv, "asked", "location");
	assert_key_num(iv, "tries", 1);
	const cJSON *skipped = key(iv, "skipped");
	assert_true(cJSON_IsArray(skipped));
	assert_int_equal(cJSON_GetArraySize(skipped), 1);
	assert_string_equal(cJSON_GetArrayItem(skipped, 0)->valuestring, "account");
	const cJSON *flags = key(iv, "flags");
	assert_true(cJSON_IsTrue(key(flags, "obscene")));
	assert_true(cJSON_IsTrue(key(flags, "legal_threat")));
	assert_true(cJSON_IsTrue(key(flags, "spread_call")));
	assert_true(cJSON_IsTrue(key(flags, "shouting")));
	assert_int_equal(n_keys(flags), 4);
	assert_int_equal(n_keys(o), 1);
	cJSON_Delete(o);

	/* A field set to NULL goes. */
	convstate_interview_set(cs, CONVSTATE_LOCATION, NULL);
	o = printed(cs);
	assert_null(key(key(o, "interview"), "location"));
	cJSON_Delete(o);

	/* Taken as the case's data: the collected fields, not the question. */
	cJSON *data = convstate_interview_take(cs);
	assert_non_null(data);
	assert_key_str(data, "intent", "complaint_home_internet");
	assert_key_str(data, "phone", "+79161234567");
	assert_key_str(data, "summary", "интернет не работает");
	assert_key_num(data, "started", 1700000000);
	assert_true(cJSON_IsArray(key(data, "skipped")));
	assert_true(cJSON_IsObject(key(data, "flags")));
	assert_null(key(data, "asked"));
	assert_null(key(data, "tries"));
	cJSON_Delete(data);
	assert_false(convstate_in_interview(cs));
	o = printed(cs);
	assert_null(key(o, "interview"));
	cJSON_Delete(o);

	/* Dropped: gone. An interview's flags object is there from the first message. */
	convstate_interview_start(cs, "complaint_general", 5);
	convstate_interview_add_flags(cs, 0);
	o = printed(cs);
	assert_true(cJSON_IsObject(key(key(o, "interview"), "flags")));
	cJSON_Delete(o);
	convstate_interview_drop(cs);
	assert_false(convstate_in_interview(cs));
	convstate_free(cs);
}

static void writes_problem_and_tariff(void **state)
{
	(void)state;
	struct convstate *cs = convstate_new();
	struct convstate_problem p = {.intent = "complaint_sms_calls", .text = "звонки не проходят",
				      .phone = "+79123456789", .account = NULL, .at = 1700000000};
	convstate_set_problem(cs, &p);
	struct convstate_tariff t = {.awaiting = "gb", .minutes = 500, .gb = -1, .sms = 0,
				     .budget = 700, .at = 1700000001};
	convstate_set_tariff(cs, &t);
	cJSON *o = printed(cs);
	const cJSON *po = key(o, "problem");
	assert_true(cJSON_IsObject(po));
	assert_key_str(po, "intent", "complaint_sms_calls");
	assert_key_str(po, "text", "звонки не проходят");
	assert_key_str(po, "phone", "+79123456789");
	assert_null(key(po, "account"));
	assert_key_num(po, "at", 1700000000);
	const cJSON *to = key(o, "tariff");
	assert_true(cJSON_IsObject(to));
	assert_key_str(to, "awaiting", "gb");
	assert_key_num(to, "minutes", 500);
	assert_key_num(to, "gb", -1);
	assert_key_num(to, "sms", 0);
	assert_key_num(to, "budget", 700);
	assert_key_num(to, "at", 1700000001);
	assert_int_equal(n_keys(o), 2);
	cJSON_Delete(o);

	/* Replacing the problem with itself (its strings borrowed from it) is safe. */
	struct convstate_problem again;
	assert_true(convstate_problem(cs, &again));
	again.at = 1700000005;
	convstate_set_problem(cs, &again);
	assert_true(convstate_problem(cs, &again));
	assert_string_equal(again.text, "звонки не проходят");
	assert_int_equal(again.at, 1700000005);

	convstate_drop_problem(cs);
	convstate_drop_tariff(cs);
	o = printed(cs);
	assert_int_equal(n_keys(o), 0);
	cJSON_Delete(o);
	convstate_free(cs);
}

/* ------------------------------------------------------------------ reads: old objects */

/* A conversation as the bot wrote it before this module (same keys, its order), with a
 * key from some other version. */
static const char old_format[] =
	"{\"lang\":\"en\",\"seen\":true,\"mode\":\"human\",\"case_id\":12,\"since\":1699990000,"
	"\"last_auto_reply\":1699990500,\"open_case\":\"000012\","
	"\"interview\":{\"intent\":\"complaint_wrong_charge\",\"summary\":\"списали деньги\","
	"\"started\":1699980000,\"flags\":{\"obscene\":true},\"phone\":\"+79001112233\","
	"\"asked\":\"account\",\"tries\":1,\"skipped\":[\"location\"]},"
	"\"problem\":{\"intent\":\"complaint_home_internet\",\"text\":\"нет интернета\","
	"\"at\":1699970000,\"account\":\"778899\"},"
	"\"tariff\":{\"awaiting\":\"minutes\",\"minutes\":-1,\"gb\":20,\"sms\":-1,\"budget\":-1,"
	"\"at\":1699960000},"
	"\"future\":{\"kept\":[1,2,3]}}";

static void reads_old_format(void **state)
{
	(void)state;
	struct convstate *cs = convstate_parse(old_format);
	assert_string_equal(convstate_lang(cs), "en");
	assert_true(convstate_seen(cs));
	assert_true(convstate_person_holds(cs));
	assert_int_equal(convstate_holder_case(cs), 12);
	assert_int_equal(convstate_holder_since(cs), 1699990000);
	assert_int_equal(convstate_last_auto_reply(cs), 1699990500);
	assert_string_equal(convstate_open_case(cs), "000012");

	assert_true(convstate_in_interview(cs));
	assert_string_equal(convstate_interview_get(cs, CONVSTATE_INTENT), "complaint_wrong_charge");
	assert_string_equal(convstate_interview_get(cs, CONVSTATE_SUMMARY), "списали деньги");
	assert_string_equal(convstate_interview_get(cs, CONVSTATE_PHONE), "+79001112233");
	assert_null(convstate_interview_get(cs, CONVSTATE_ACCOUNT));
	assert_null(convstate_interview_get(cs, CONVSTATE_LOCATION));
	assert_null(convstate_interview_get(cs, CONVSTATE_DESCRIPTION));
	assert_int_equal(convstate_interview_asked(cs), CONVSTATE_ACCOUNT);
	assert_int_equal(convstate_interview_tries(cs), 1);
	assert_true(convstate_interview_skipped(cs, CONVSTATE_LOCATION));
	assert_false(convstate_interview_skipped(cs, CONVSTATE_ACCOUNT));
	assert_false(convstate_interview_skipped(cs, CONVSTATE_PHONE));

	struct convstate_problem p;
	assert_true(convstate_problem(cs, &p));
	assert_string_equal(p.intent, "complaint_home_internet");
	assert_string_equal(p.text, "нет интернета");
	assert_null(p.phone);
	assert_string_equal(p.account, "778899");
	assert_int_equal(p.at, 1699970000);

	struct convstate_tariff t;
	assert_true(convstate_tariff(cs, &t));
	assert_string_equal(t.awaiting, "minutes");
	assert_true(t.minutes == -1 && t.gb == 20 && t.sms == -1 && t.budget == -1);
	assert_int_equal(t.at, 1699960000);

	/* A change and a print keep what the module does not know, and the rest. */
	convstate_set_lang(cs, "ru");
	cJSON *o = printed(cs);
	const cJSON *future = key(o, "future");
	assert_true(cJSON_IsObject(future));
	assert_int_equal(cJSON_GetArraySize(key(future, "kept")), 3);
	assert_key_str(o, "lang", "ru");
	assert_key_str(key(o, "interview"), "asked", "account");
	cJSON_Delete(o);
	convstate_free(cs);
}

/* The interview's old "asked" values are the field names; each maps to its field. */
static void reads_every_asked_value(void **state)
{
	(void)state;
	static const struct {
		const char *asked;
		int field;
	} cases[] = {{"phone", CONVSTATE_PHONE},
		     {"account", CONVSTATE_ACCOUNT},
		     {"location", CONVSTATE_LOCATION},
		     {"description", CONVSTATE_DESCRIPTION},
		     {"nonsense", -1}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[160];
		snprintf(text, sizeof text, "{\"interview\":{\"intent\":\"x\",\"asked\":\"%s\",\"%s\":\"v\"}}",
			 cases[i].asked, cases[i].asked);
		struct convstate *cs = convstate_parse(text);
		assert_int_equal(convstate_interview_asked(cs), cases[i].field);
		if (cases[i].field >= 0)
			assert_string_equal(convstate_interview_get(cs, (enum convstate_field)cases[i].field), "v");
		convstate_free(cs);
	}
}

/* A fresh conversation and one with nothing stored read the same: nothing. */
static void assert_empty(const struct convstate *cs)
{
	assert_null(convstate_lang(cs));
	assert_false(convstate_seen(cs));
	assert_false(convstate_person_holds(cs));
	assert_int_equal(convstate_holder_case(cs), 0);
	assert_int_equal(convstate_holder_since(cs), 0);
	assert_int_equal(convstate_last_auto_reply(cs), 0);
	assert_null(convstate_open_case(cs));
	assert_false(convstate_in_interview(cs));
	assert_int_equal(convstate_interview_asked(cs), -1);
	assert_int_equal(convstate_interview_tries(cs), 0);
	assert_null(convstate_interview_get(cs, CONVSTATE_PHONE));
	struct convstate_problem p;
	assert_false(convstate_problem(cs, &p));
	struct convstate_tariff t;
	assert_false(convstate_tariff(cs, &t));
	assert_true(t.minutes == -1 && t.gb == -1 && t.at == -1);
}

static void damaged_reads_as_fresh(void **state)
{
	(void)state;
	static const char *const texts[] = {NULL, "", "not json", "[1,2]", "\"x\"", "null", "{}"};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct convstate *cs = convstate_parse(texts[i]);
		assert_non_null(cs);
		assert_empty(cs);
		char *out = convstate_print(cs);
		assert_string_equal(out, "{}");
		free(out);
		convstate_free(cs);
	}
	/* Keys of the wrong type read as absent; a tariff question of the wrong shape is
	 * there (to be forgotten) but awaits nothing. */
	struct convstate *cs = convstate_parse(
		"{\"lang\":5,\"seen\":\"yes\",\"mode\":true,\"case_id\":[7],\"open_case\":42,"
		"\"interview\":\"x\",\"problem\":[1],\"tariff\":\"x\"}");
	assert_null(convstate_lang(cs));
	assert_false(convstate_seen(cs));
	assert_false(convstate_person_holds(cs));
	assert_int_equal(convstate_holder_case(cs), 0);
	assert_null(convstate_open_case(cs));
	assert_false(convstate_in_interview(cs));
	struct convstate_problem p;
	assert_false(convstate_problem(cs, &p));
	struct convstate_tariff t;
	assert_true(convstate_tariff(cs, &t));
	assert_string_equal(t.awaiting, "");
	/* Writing over them works. */
	convstate_set_lang(cs, "en");
	convstate_interview_start(cs, "complaint_general", 1);
	convstate_interview_skip(cs, CONVSTATE_PHONE);
	assert_string_equal(convstate_lang(cs), "en");
	assert_true(convstate_interview_skipped(cs, CONVSTATE_PHONE));
	convstate_free(cs);
	convstate_free(NULL);
}

/* ------------------------------------------------------------------ round trips */

static void round_trip_through_json_and_store(void **state)
{
	(void)state;
	struct convstate *cs = convstate_new();
	convstate_set_lang(cs, "en");
	convstate_set_seen(cs);
	convstate_hand_to_person(cs, 99, 1700000000);
	convstate_set_last_auto_reply(cs, 1700000060);
	convstate_interview_start(cs, "complaint_roaming", 1700000001);
	convstate_interview_set(cs, CONVSTATE_DESCRIPTION, "в роуминге нет сети");
	convstate_interview_ask(cs, CONVSTATE_PHONE, 0);
	struct convstate_tariff t = {.awaiting = "minutes", .minutes = -1, .gb = 15, .sms = -1,
				     .budget = 500, .at = 1700000002};
	convstate_set_tariff(cs, &t);

	char *text = convstate_print(cs);
	struct convstate *back = convstate_parse(text);
	free(text);

	struct store *st = open_store();
	struct store_tx *tx = begin_tx(st);
	assert_int_equal(convstate_save(tx, "telegram", 5000000000LL, back, 1700000003), 0);
	assert_int_equal(store_commit(tx), 0);
	convstate_free(back);
	store_close(st);
	st = open_store();
	assert_int_equal(convstate_load(st, "telegram", 5000000000LL, &back), 0);

	assert_string_equal(convstate_lang(back), "en");
	assert_true(convstate_seen(back));
	assert_true(convstate_person_holds(back));
	assert_int_equal(convstate_holder_case(back), 99);
	assert_int_equal(convstate_holder_since(back), 1700000000);
	assert_int_equal(convstate_last_auto_reply(back), 1700000060);
	assert_string_equal(convstate_interview_get(back, CONVSTATE_INTENT), "complaint_roaming");
	assert_string_equal(convstate_interview_get(back, CONVSTATE_DESCRIPTION), "в роуминге нет сети");
	assert_int_equal(convstate_interview_asked(back), CONVSTATE_PHONE);
	assert_int_equal(convstate_interview_tries(back), 0);
	struct convstate_tariff tb;
	assert_true(convstate_tariff(back, &tb));
	assert_string_equal(tb.awaiting, "minutes");
	assert_true(tb.gb == 15 && tb.budget == 500 && tb.minutes == -1 && tb.sms == -1);
	assert_int_equal(tb.at, 1700000002);
	convstate_free(back);

	/* A chat with nothing stored is a fresh conversation. */
	assert_int_equal(convstate_load(st, "telegram", 1, &back), 0);
	assert_empty(back);
	convstate_free(back);
	store_close(st);
	convstate_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_language_seen_holder_open_case),
		cmocka_unit_test(writes_interview),
		cmocka_unit_test(writes_problem_and_tariff),
		cmocka_unit_test(reads_old_format),
		cmocka_unit_test(reads_every_asked_value),
		cmocka_unit_test(damaged_reads_as_fresh),
		cmocka_unit_test_setup_teardown(round_trip_through_json_and_store, setup, teardown),
	};
	return tb_run(tests);
}
