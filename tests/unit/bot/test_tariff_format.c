/* The tariff format a real operator needs (issue 12, item 5): a data-only plan (no
 * calls), a restricted plan (age 60+), services left out of the package (messengers,
 * social networks, calls within the network); the calculator and the dialog honour
 * them, and the loader (deskbot check) refuses what cannot be meant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "convstate.h"
#include "dialog.h"
#include "test_helpers.h"

/* Two plans added to a copy of the default set, and Smart given unlimited
 * messengers. */
static const char tablet_and_silver[] =
	"\"tariffs\": [\n"
	"{\"id\": \"tablet\", \"name\": {\"ru\": \"Планшет\", \"en\": \"Tablet\"}, \"aliases\": [\"планшет\"],\n"
	" \"monthly_fee\": 200, \"minutes\": 0, \"sms\": 0, \"gb\": 15, \"data_only\": true,\n"
	" \"unlimited\": {\"minutes\": false, \"sms\": false, \"gb\": false},\n"
	" \"overage\": {\"minute\": null, \"sms\": null, \"gb\": null}},\n"
	"{\"id\": \"silver\", \"name\": {\"ru\": \"Серебряный\", \"en\": \"Silver\"}, \"aliases\": [\"серебряный\"],\n"
	" \"monthly_fee\": 150, \"minutes\": 300, \"sms\": 50, \"gb\": 3,\n"
	" \"restricted\": {\"min_age\": 60, \"text\": {\"ru\": \"Только для абонентов от 60 лет.\", \"en\": \"Only for customers aged 60 and over.\"}},\n"
	" \"unlimited\": {\"minutes\": false, \"sms\": false, \"gb\": false, \"calls_in_network\": true},\n"
	" \"overage\": {\"minute\": 2.5, \"sms\": 2.0, \"gb\": null}},\n";

static char *extended_dir(void)
{
	char *dir = th_copy_default();
	th_patch(dir, "tariffs.json", "\"tariffs\": [\n", tablet_and_silver);
	th_patch(dir, "tariffs.json", "\"gb\": 20,\n      \"unlimited\": {\n        \"minutes\": false,",
		 "\"gb\": 20,\n      \"unlimited\": {\n        \"messengers\": true,\n        \"minutes\": false,");
	return dir;
}

static int setup(void **state)
{
	char *dir = extended_dir();
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	if (replyset_load(dir, &rs, &errs) < 0)
		replyset_errors_print(&errs, stderr);
	replyset_errors_free(&errs);
	th_rmtree(dir);
	free(dir);
	*state = rs;
	return rs ? 0 : -1;
}

static int teardown(void **state)
{
	replyset_free(*state);
	return 0;
}

static const char *plan_for(struct replyset *rs, const char *text, char *reply, size_t n)
{
	static char plan[64];
	struct convstate *st = convstate_new();
	struct chan_msg msg = {.channel = "test", .text = (char *)text};
	struct dialog_result res;
	assert_int_equal(dialog_handle(rs, st, &msg, 1700000000, &res), 0);
	snprintf(plan, sizeof plan, "%s", res.plan ? res.plan : "");
	if (reply)
		snprintf(reply, n, "%s", res.replies.n ? res.replies.items[0].text : "");
	dialog_result_free(&res);
	convstate_free(st);
	return plan;
}

static void test_loaded(void **state)
{
	struct replyset *rs = *state;
	const struct replyset_tariff *t = replyset_tariff(rs, "tablet"), *s = replyset_tariff(rs, "silver");
	assert_non_null(t);
	assert_int_equal(t->data_only, 1);
	assert_int_equal(s->min_age, 60);
	assert_int_equal(s->max_age, 0);
	assert_int_equal(s->unl_in_network, 1);
	assert_non_null(strstr(s->restricted[RS_RU], "60"));
	assert_int_equal(replyset_tariff(rs, "smart")->unl_apps, RS_APP_MESSENGERS);
}

static void test_calculator(void **state)
{
	struct replyset *rs = *state;
	const struct replyset_tariff *tablet = replyset_tariff(rs, "tablet"), *silver = replyset_tariff(rs, "silver");
	struct tariff_need n = {.minutes = 0, .gb = 10, .sms = -1, .budget = -1};
	assert_true(replyset_tariff_cost(tablet, &n) == 200);
	n.minutes = 50; /* no calls on a data-only plan */
	assert_true(replyset_tariff_cost(tablet, &n) < 0);
	n = (struct tariff_need){.minutes = 300, .gb = 2, .sms = -1, .budget = -1};
	assert_true(replyset_tariff_cost(silver, &n) < 0); /* age not stated */
	n.age = 45;
	assert_true(replyset_tariff_cost(silver, &n) < 0);
	n.age = 67;
	assert_true(replyset_tariff_cost(silver, &n) == 150);
	/* Calls within the network cost nothing where they are unlimited. */
	n.minutes = 1000;
	assert_true(replyset_tariff_cost(silver, &n) == 150 + 700 * 2.5);
	n.in_network = 1;
	assert_true(replyset_tariff_cost(silver, &n) == 150);
	/* An app wanted unlimited: a plan that counts it cannot serve; unlimited data can. */
	n = (struct tariff_need){.minutes = 300, .gb = 15, .sms = -1, .budget = -1, .unl_apps = RS_APP_MESSENGERS};
	assert_true(replyset_tariff_cost(replyset_tariff(rs, "maxi"), &n) < 0);
	assert_true(replyset_tariff_cost(replyset_tariff(rs, "smart"), &n) == 550);
	assert_true(replyset_tariff_cost(replyset_tariff(rs, "turbo"), &n) >= 750);
	n.unl_apps = RS_APP_SOCIAL;
	assert_true(replyset_tariff_cost(replyset_tariff(rs, "smart"), &n) < 0);
}

static void test_dialog_honours_it(void **state)
{
	struct replyset *rs = *state;
	char reply[2048];
	assert_string_equal(plan_for(rs, "тариф для планшета только интернет 10 гб", NULL, 0), "tablet");
	assert_string_not_equal(plan_for(rs, "нужно 100 минут и 10 гб", NULL, 0), "tablet");
	/* The 60+ plan only for whom it is for. */
	assert_string_equal(plan_for(rs, "мне 65 лет, нужно 300 минут и 2 гб", reply, sizeof reply), "silver");
	assert_non_null(strstr(reply, "от 60 лет"));
	assert_string_equal(plan_for(rs, "тариф для пенсионера, 300 минут и 2 гб", NULL, 0), "silver");
	/* The age with one amount is the whole request: picked, not asked for data. */
	assert_string_equal(plan_for(rs, "мне 70 лет, звоню минут 200 в месяц", NULL, 0), "silver");
	assert_string_not_equal(plan_for(rs, "мне 30 лет, нужно 300 минут и 2 гб", NULL, 0), "silver");
	assert_string_not_equal(plan_for(rs, "нужно 300 минут и 2 гб", NULL, 0), "silver");
	/* Messengers unlimited on Smart: picked for them over plans that count them. */
	assert_string_equal(plan_for(rs, "нужно 300 минут, 15 гб и безлимит на мессенджеры", reply, sizeof reply), "smart");
	assert_non_null(strstr(reply, "безлимитные мессенджеры")); /* said back as asked */
	assert_string_equal(plan_for(rs, "300 минут, 15 гб, чтобы соцсети были безлимитные", NULL, 0), "turbo");
	/* Describing the restricted plan says who it is for. */
	plan_for(rs, "расскажи про тариф серебряный", reply, sizeof reply);
	assert_non_null(strstr(reply, "от 60 лет"));
}

/* The conditions told with the question hold when the amounts come in the next message
 * (kept with the half-answered question in the conversation state). */
static void test_conditions_kept_across_question(void **state)
{
	struct replyset *rs = *state;
	struct convstate *st = convstate_new();
	struct dialog_result res;
	struct chan_msg first = {.channel = "test", .text = "мне 65 лет, подберите тариф"};
	assert_int_equal(dialog_handle(rs, st, &first, 1700000000, &res), 0);
	assert_null(res.plan); /* nothing to pick on yet: a question */
	dialog_result_free(&res);
	struct chan_msg second = {.channel = "test", .text = "300 минут и 2 гб"};
	assert_int_equal(dialog_handle(rs, st, &second, 1700000060, &res), 0);
	assert_non_null(res.plan);
	assert_string_equal(res.plan, "silver");
	dialog_result_free(&res);
	convstate_free(st);
}

static char *errors_of(const char *dir)
{
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	assert_int_equal(replyset_load(dir, &rs, &errs), -1);
	size_t cap = 1;
	for (size_t i = 0; i < errs.n; i++)
		cap += strlen(errs.items[i].msg) + 2;
	char *out = xcalloc(1, cap);
	for (size_t i = 0; i < errs.n; i++) {
		strcat(out, errs.items[i].msg);
		strcat(out, "\n");
	}
	replyset_errors_free(&errs);
	return out;
}

static void test_check_refuses_nonsense(void **state)
{
	(void)state;
	char *dir = extended_dir();
	th_patch(dir, "tariffs.json", "\"minutes\": 0, \"sms\": 0, \"gb\": 15, \"data_only\": true",
		 "\"minutes\": 100, \"sms\": 0, \"gb\": 15, \"data_only\": true");
	th_patch(dir, "tariffs.json", "{\"min_age\": 60,", "{\"min_age\": 60, \"max_age\": 30,");
	th_patch(dir, "tariffs.json", "\"messengers\": true", "\"mesengers\": true");
	char *e = errors_of(dir);
	fprintf(stderr, "%s", e);
	assert_non_null(strstr(e, "a data-only tariff has no minutes"));
	assert_non_null(strstr(e, "\"min_age\" 60 is above \"max_age\" 30"));
	assert_non_null(strstr(e, "unknown service \"mesengers\""));
	free(e);
	th_rmtree(dir);
	free(dir);
	dir = extended_dir();
	th_patch(dir, "tariffs.json", "{\"min_age\": 60,", "{\"min_age\": \"60\",");
	th_patch(dir, "tariffs.json", "\"data_only\": true", "\"data_only\": 1");
	e = errors_of(dir);
	assert_non_null(strstr(e, "\"min_age\" must be a whole number"));
	assert_non_null(strstr(e, "needs \"min_age\" or \"max_age\""));
	assert_non_null(strstr(e, "field \"data_only\" must be true or false"));
	free(e);
	th_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded),
		cmocka_unit_test(test_calculator),
		cmocka_unit_test(test_dialog_honours_it),
		cmocka_unit_test(test_conditions_kept_across_question),
		cmocka_unit_test(test_check_refuses_nonsense),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
