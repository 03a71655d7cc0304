/* Tests of bot/replyset.c: loading the default set, every kind of problem reported at
 * its file:line:col, rendering, reference counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_helpers.h"

/* Loads dir expecting failure; returns the errors joined as "file:line:col: msg\n"
 * with the directory prefix removed. Caller frees. */

static void test_default_set(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	assert_true(replyset_n_intents(rs) >= 50);
	assert_true(replyset_n_tariffs(rs) >= 3);
	const struct replyset_intent *b = replyset_intent(rs, "balance");
	assert_non_null(b);
	assert_int_equal(b->kind, RS_FAQ);
	assert_non_null(b->answer[RS_RU]);
	assert_non_null(b->answer[RS_EN]);
	assert_null(replyset_intent(rs, "no_such_intent"));
	const struct replyset_settings *s = replyset_settings(rs);
	assert_true(s->answer > s->clarify);
	assert_true(s->n_menu > 0);
	assert_non_null(replyset_lexicon(rs, "obscene"));
	/* The version is a content hash and a time: equal content, equal hash. */
	const char *v = replyset_version(rs);
	assert_non_null(strchr(v, '@'));
	struct replyset *again = th_default_set();
	assert_memory_equal(v, replyset_version(again), (size_t)(strchr(v, '@') - v));
	replyset_free(again);
	/* References: the set survives until the last one goes. */
	assert_ptr_equal(replyset_ref(rs), rs);
	replyset_unref(rs);
	assert_non_null(replyset_version(rs));
	replyset_unref(rs);
}

static void test_render(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	struct tpl_vars v = {.case_id = "A-17", .eta = "1 час"};
	char *s = replyset_render(rs, "operator_handoff", RS_RU, &v);
	assert_non_null(s);
	assert_non_null(strstr(s, "A-17"));
	assert_non_null(strstr(s, "1 час"));
	assert_null(strchr(s, '{'));
	free(s);
	assert_null(replyset_render(rs, "no_such_template", RS_RU, NULL));
	s = replyset_fill("x {plan} {unknown} {", &(struct tpl_vars){.plan = "Смарт"});
	assert_string_equal(s, "x Смарт {unknown} {");
	free(s);
	replyset_free(rs);
}

static void test_syntax_error_position(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	th_write(dir, "settings.json", "{\n  \"thresholds\": {\"answer\": 0.5,,\n}\n");
	char *e = th_load_errors(dir);
	assert_non_null(strstr(e, "settings.json:2:"));
	assert_non_null(strstr(e, "JSON syntax error"));
	free(e);
	th_rmtree(dir);
	free(dir);
}

static void test_semantic_errors(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	/* A wrong type, a duplicate id, an unknown placeholder, a button to nowhere, a
	 * missing language, a missing required template: all reported in one run. */
	th_patch(dir, "tariffs.json", "\"monthly_fee\": 300", "\"monthly_fee\": \"300\"");
	th_patch(dir, "intents/account.json", "\"id\": \"topup\"", "\"id\": \"balance\"");
	th_patch(dir, "templates.json", "{case_id}", "{case_number}");
	th_patch(dir, "intents/account.json", "\"intent\": \"promised_payment\"", "\"intent\": \"nowhere\"");
	th_patch(dir, "templates.json", "\"id\": \"empty_message\"", "\"id\": \"empty_msg\"");
	char *e = th_load_errors(dir);
	fprintf(stderr, "%s", e);
	assert_non_null(strstr(e, "tariffs.json:"));
	assert_non_null(strstr(e, "field \"monthly_fee\" must be a number"));
	assert_non_null(strstr(e, "duplicate intent id \"balance\""));
	assert_non_null(strstr(e, "unknown placeholder {case_number}"));
	assert_non_null(strstr(e, "button points to unknown intent \"nowhere\""));
	assert_non_null(strstr(e, "missing required template \"empty_message\""));
	free(e);
	th_rmtree(dir);
	free(dir);
}

/* The idea board's parts of a set: the units load, a bad unit and an unknown intent
 * kind are reported. */
static void test_idea_units(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	const struct replyset_settings *set = replyset_settings(rs);
	assert_true(set->n_idea_units >= 2);
	assert_string_equal(set->idea_units[0], "Тарифы и цены");
	assert_int_equal(replyset_intent(rs, "idea_propose")->kind, RS_IDEA);
	replyset_unref(rs);
	char *dir = th_copy_default();
	th_patch(dir, "settings.json", "\"Роуминг\"", "\"\"");
	th_patch(dir, "intents/ideas.json", "\"kind\": \"idea\"", "\"kind\": \"ideas\"");
	char *e = th_load_errors(dir);
	assert_non_null(strstr(e, "a business unit must be a name of 1 to 80 bytes"));
	assert_non_null(strstr(e, "unknown kind \"ideas\""));
	free(e);
	th_rmtree(dir);
	free(dir);
}

/* An operator that serves Russian only: no "en" anywhere loads, English falls back to the
 * Russian text, and Russian stays required. */
static void test_russian_only_set(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	char *cmd = xasprintf(
		"python3 -c \"import json,glob\n"
		"def s(o):\n"
		" return {k: s(v) for k, v in o.items() if k != 'en'} if isinstance(o, dict) "
		"else [s(x) for x in o] if isinstance(o, list) else o\n"
		"for f in glob.glob('%s/**/*.json', recursive=True):\n"
		" d = json.load(open(f)); json.dump(s(d), open(f, 'w'), ensure_ascii=False)\"",
		dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	int r = replyset_load(dir, &rs, &errs);
	replyset_errors_print(&errs, stderr);
	replyset_errors_free(&errs);
	assert_int_equal(r, 0);
	char *ru = replyset_render(rs, "fallback", RS_RU, NULL);
	char *en = replyset_render(rs, "fallback", RS_EN, NULL);
	assert_non_null(ru);
	assert_string_equal(ru, en);
	free(ru);
	free(en);
	replyset_free(rs);
	/* Russian is not optional. */
	th_patch(dir, "templates.json", "\"ru\": \"Кажется, сообщение пустое", "\"xx\": \"Кажется, сообщение пустое");
	char *e = th_load_errors(dir);
	assert_non_null(strstr(e, "missing language \"ru\""));
	free(e);
	th_rmtree(dir);
	free(dir);
}

static void test_exact_positions(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	th_write(dir, "intents/zz.json",
		 "{\"intents\": [\n"
		 "  {\"id\": \"x_one\", \"category\": \"c\", \"kind\": \"faq\",\n"
		 "   \"title\": {\"en\": \"T\"},\n"
		 "   \"examples\": {\"ru\": [\"а\", \"б\", \"в\"], \"en\": [\"a\", \"b\", \"c\"]},\n"
		 "   \"answer\": {\"ru\": \"ответ {plan} {bad}\", \"en\": \"answer\"},\n"
		 "   \"buttons\": [{\"intent\": \"ghost\"}]}\n"
		 "]}\n");
	char *e = th_load_errors(dir);
	fprintf(stderr, "%s", e);
	/* Missing Russian (required; English is optional): at the "title" object (line 3,
	 * column 13). */
	assert_non_null(strstr(e, "intents/zz.json:3:13: \"title\": missing language \"ru\""));
	/* Unknown placeholder: at the placeholder itself. */
	assert_non_null(strstr(e, "intents/zz.json:5:35: unknown placeholder {bad}"));
	/* The button's intent value. */
	assert_non_null(strstr(e, "intents/zz.json:6:27: button points to unknown intent \"ghost\""));
	free(e);
	th_rmtree(dir);
	free(dir);
}

static void test_missing_files(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	char *path = xasprintf("%s/lexicons.json", dir);
	remove(path);
	free(path);
	char *e = th_load_errors(dir);
	assert_non_null(strstr(e, "lexicons.json:1:1: cannot open"));
	free(e);
	th_rmtree(dir);
	free(dir);
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	assert_int_equal(replyset_load("/nonexistent/replies", &rs, &errs), -1);
	assert_true(errs.n >= 5);
	replyset_errors_free(&errs);
	/* errs may be NULL. */
	assert_int_equal(replyset_load("/nonexistent/replies", &rs, NULL), -1);
}

/* synonyms.json is optional; a broken one is reported at file:line:col like the rest. */
static void test_synonyms_file(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	assert_true(replyset_n_synonym_groups(rs) > 0);
	const char *const *g = replyset_synonym_group(rs, 0);
	assert_non_null(g);
	assert_non_null(g[0]);
	assert_non_null(g[1]);
	assert_null(replyset_synonym_group(rs, replyset_n_synonym_groups(rs)));
	replyset_free(rs);

	char *dir = th_copy_default();
	char *path = xasprintf("%s/synonyms.json", dir);
	remove(path);
	free(path);
	struct replyset_errors errs = {0};
	assert_int_equal(replyset_load(dir, &rs, &errs), 0);
	assert_int_equal(replyset_n_synonym_groups(rs), 0);
	replyset_free(rs);
	replyset_errors_free(&errs);

	th_write(dir, "synonyms.json",
		 "{\"synonyms\": [\n"
		 "  [\"симка\", \"СИМ карта\"],\n"
		 "  [\"одинокий\"],\n"
		 "  [\"инет\", 5, \"!!!\", \"сим карта\"],\n"
		 "  \"not a group\"\n"
		 "]}\n");
	char *e = th_load_errors(dir);
	fprintf(stderr, "%s", e);
	assert_non_null(strstr(e, "synonyms.json:3:3: a synonym group needs at least two entries"));
	assert_non_null(strstr(e, "synonyms.json:4:12: a synonym must be a non-empty string"));
	assert_non_null(strstr(e, "synonyms.json:4:15: synonym \"!!!\" has no word in it"));
	assert_non_null(strstr(e, "synonyms.json:4:22: synonym \"сим карта\" is listed twice"));
	assert_non_null(strstr(e, "synonyms.json:5:3: a synonym group must be an array of strings"));
	free(e);
	th_write(dir, "synonyms.json", "[1, 2]\n");
	e = th_load_errors(dir);
	assert_non_null(strstr(e, "synonyms.json:1:1: top level must be an object"));
	free(e);
	th_rmtree(dir);
	free(dir);
}

static void test_tariff_cost(void **state)
{
	(void)state;
	struct replyset_tariff t = {.monthly_fee = 500, .minutes = 300, .sms = 50, .gb = 10,
				    .over_minute = 2, .over_sms = 1, .over_gb = -1};
	struct tariff_need n = {.minutes = 400, .gb = 5, .sms = -1, .budget = -1};
	assert_true(replyset_tariff_cost(&t, &n) == 700);
	n.gb = 11; /* beyond a package whose overage is null */
	assert_true(replyset_tariff_cost(&t, &n) == -1);
	t.unl_gb = 1;
	assert_true(replyset_tariff_cost(&t, &n) == 700);
	n.minutes = 1e9; /* unlimited wanted, not offered */
	assert_true(replyset_tariff_cost(&t, &n) == -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_set),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_syntax_error_position),
		cmocka_unit_test(test_semantic_errors),
		cmocka_unit_test(test_exact_positions),
		cmocka_unit_test(test_russian_only_set),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_tariff_cost),
		cmocka_unit_test(test_synonyms_file),
		cmocka_unit_test(test_idea_units),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
