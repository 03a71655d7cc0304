/* Tests of the tariff calculator and handlers/tariff.c through a fake conversation:
 * every case of tests/data/tariff_picks.tsv, the two-step question that survives a
 * restart (state through JSON text), describe and compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "convstate.h"
#include "dialog.h"
#include "test_helpers.h"

static int setup(void **state)
{
	*state = th_default_set();
	return 0;
}

static int teardown(void **state)
{
	replyset_free(*state);
	return 0;
}

/* One message through the dialog with state; returns the result (caller frees). */
static void say(struct replyset *rs, struct convstate *st, const char *text,
		struct dialog_result *res)
{
	struct chan_msg msg = {.channel = "test", .text = (char *)text};
	assert_int_equal(dialog_handle(rs, st, &msg, 1700000000, res), 0);
}

/* 1 while the conversation keeps a half-answered tariff question. */
static int tariff_pending(const struct convstate *st)
{
	struct convstate_tariff t;
	return convstate_tariff(st, &t);
}

static void test_picks_file(void **state)
{
	struct replyset *rs = *state;
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/tariff_picks.tsv", th_source_dir());
	FILE *f = fopen(path, "r");
	/* The picks are the test: without them it would check nothing, so it fails. */
	if (!f)
		fail_msg("cannot open %s (DESKBOT_SOURCE_DIR names the source tree)", path);
	char line[2048];
	int n = 0, ok = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *text = line, *tab = strchr(line, '\t');
		if (!tab || strncmp(line, "text\t", 5) == 0)
			continue;
		*tab = '\0';
		char *expected = tab + 1;
		char *tab2 = strchr(expected, '\t');
		if (tab2)
			*tab2 = '\0';
		struct convstate *st = convstate_new();
		struct dialog_result res;
		say(rs, st, text, &res);
		const char *got = res.plan ? res.plan : "-";
		int good = strcmp(got, expected) == 0 && strcmp(res.handler, "tariff") == 0;
		if (!good)
			fprintf(stderr, "tariff pick: \"%s\": expected %s, got %s (handler %s)\n", text, expected, got,
				res.handler);
		ok += good;
		n++;
		dialog_result_free(&res);
		convstate_free(st);
	}
	fclose(f);
	fprintf(stderr, "tariff picks: %d/%d right\n", ok, n);
	assert_true(n > 0);
	assert_int_equal(ok, n);
}

static void test_two_steps_across_restart(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "подберите тариф, мне нужно 500 минут", &res);
	assert_string_equal(res.handler, "tariff");
	assert_null(res.plan);
	assert_int_equal(res.replies.n, 1);
	assert_string_equal(res.replies.items[0].source, "template:tariff_ask_gb");
	dialog_result_free(&res);
	/* The state goes through the store as text. */
	char *saved = convstate_print(st);
	convstate_free(st);
	st = convstate_parse(saved);
	free(saved);
	say(rs, st, "20 гб", &res);
	assert_string_equal(res.plan, "smart");
	assert_string_equal(res.replies.items[0].source, "template:tariff_pick");
	assert_non_null(strstr(res.replies.items[0].text, "Смарт"));
	assert_false(tariff_pending(st));
	dialog_result_free(&res);
	/* Nothing first: minutes are asked, then a bare number answers. */
	say(rs, st, "подберите тариф", &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_ask_minutes");
	dialog_result_free(&res);
	say(rs, st, "100", &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_ask_gb");
	dialog_result_free(&res);
	say(rs, st, "2", &res);
	assert_string_equal(res.plan, "mini");
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_describe_and_compare(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "расскажите про тариф собеседнек", &res); /* misspelt */
	assert_string_equal(res.plan, "talk");
	assert_string_equal(res.replies.items[0].source, "template:tariff_info");
	assert_non_null(strstr(res.replies.items[0].text, "400"));
	dialog_result_free(&res);
	say(rs, st, "что лучше смарт или макси", &res);
	assert_string_equal(res.replies.items[0].source, "template:tariff_compare");
	assert_non_null(strstr(res.replies.items[0].text, "Смарт"));
	assert_non_null(strstr(res.replies.items[0].text, "Макси"));
	dialog_result_free(&res);
	struct chan_msg msg = {.channel = "test", .text = "", .payload = "plan:maxi"};
	assert_int_equal(dialog_handle(rs, st, &msg, 1700000000, &res), 0);
	assert_string_equal(res.plan, "maxi");
	dialog_result_free(&res);
	convstate_free(st);
}

static void test_calculator(void **state)
{
	struct replyset *rs = *state;
	struct tariff_pick p;
	struct tariff_need n = {.minutes = 500, .gb = 21, .sms = -1, .budget = -1};
	assert_int_equal(replyset_tariff_pick(rs, &n, &p), 0);
	assert_string_equal(replyset_tariff_at(rs, (size_t)p.tariff)->id, "smart");
	assert_true(p.total == 700);
	assert_int_equal(p.reason, RS_PICK_OVERAGE);
	n = (struct tariff_need){.minutes = 1000, .gb = 40, .sms = -1, .budget = 700};
	assert_int_equal(replyset_tariff_pick(rs, &n, &p), -1);
	/* Brute force agrees for a grid of needs. */
	for (double mi = 0; mi <= 2500; mi += 250)
		for (double gb = 0; gb <= 120; gb += 15) {
			n = (struct tariff_need){.minutes = mi, .gb = gb, .sms = -1, .budget = -1};
			double best = -1;
			for (size_t i = 0; i < replyset_n_tariffs(rs); i++) {
				double c = replyset_tariff_cost(replyset_tariff_at(rs, i), &n);
				if (c >= 0 && (best < 0 || c < best))
					best = c;
			}
			int r = replyset_tariff_pick(rs, &n, &p);
			assert_int_equal(r, best < 0 ? -1 : 0);
			if (r == 0)
				assert_true(p.total == best);
		}
}

/* Issue 12: a need and a budget are a whole request; over the budget the nearest plan
 * that covers the need is offered and the reply says no plan fits the budget; an app's
 * unlimited traffic ("безлимит на мессенджеры") is no unlimited data. */
static void test_budget_and_app_unlimited(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	say(rs, st, "подберите тариф 100 гб до 1000 руб", &res);
	assert_string_equal(res.plan, "turbo");
	assert_false(tariff_pending(st)); /* nothing more asked */
	assert_non_null(strstr(res.replies.items[0].text, "Укладывается в ваш бюджет"));
	dialog_result_free(&res);
	say(rs, st, "1000 минут и 40 гб, бюджет 700 рублей", &res);
	assert_string_equal(res.plan, "maxi");
	assert_non_null(strstr(res.replies.items[0].text, "ни один тариф не укладывается"));
	assert_null(strstr(res.replies.items[0].text, "Укладывается в ваш бюджет"));
	dialog_result_free(&res);
	struct match_result m;
	const char *t = "600 минут, 35 гб, безлимит на мессенджеры, до 700 р";
	assert_int_equal(match_message(rs, t, strlen(t), &m), 0);
	assert_true(m.text.ent.gb == 35);
	assert_true(m.text.ent.minutes == 600);
	match_result_free(&m);
	t = "тариф для планшета только интернет гигов 40";
	assert_int_equal(match_message(rs, t, strlen(t), &m), 0);
	assert_true(m.text.ent.minutes == 0 && m.text.ent.gb == 40);
	match_result_free(&m);
	convstate_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_picks_file),
		cmocka_unit_test(test_two_steps_across_restart),
		cmocka_unit_test(test_describe_and_compare),
		cmocka_unit_test(test_calculator),
		cmocka_unit_test(test_budget_and_app_unlimited),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
