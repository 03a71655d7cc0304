/* Tests of bot/matcher.c on the default reply set: decisions, repairs reaching the
 * right intent, flags, plans, and that scores are sane. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "matcher.h"
#include "test_helpers.h"
#include "xalloc.h"

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

/* The id of the top intent of s, or "" (static buffer). */
static const char *top_of(struct replyset *rs, const char *s, struct match_result *m)
{
	assert_int_equal(match_message(rs, s, strlen(s), m), 0);
	return m->n_top ? replyset_intent_at(rs, (size_t)m->top[0].intent)->id : "";
}

static void test_plain_and_repaired(void **state)
{
	struct replyset *rs = *state;
	static const char *const cases[][2] = {
		{"как проверить баланс", "balance"},
		{",fkfyc", "balance"},                      /* баланс on the QWERTY layout */
		{"kak podkluchit rouming", "roaming"},      /* transliteration + typo */
		{"как праверить балланс", "balance"},       /* two typos */
		{"how do I check my balance", "balance"},
		{"позовите оператора", "operator_request"},
		{"привет", "greeting"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct match_result m;
		assert_string_equal(top_of(rs, cases[i][0], &m), cases[i][1]);
		assert_true(m.top[0].score > 0 && m.top[0].score <= 1);
		for (size_t k = 1; k < m.n_top; k++)
			assert_true(m.top[k].score <= m.top[k - 1].score);
		match_result_free(&m);
	}
	struct match_result m;
	top_of(rs, "как проверить баланс", &m);
	assert_int_equal(m.decision, MATCH_ANSWER);
	match_result_free(&m);
}

static void test_out_of_scope(void **state)
{
	struct replyset *rs = *state;
	static const char *const oos[] = {"как приготовить борщ", "расскажи анекдот", "🙂🙂🙂", "12345",
					  "asdfgh", ""};
	for (size_t i = 0; i < sizeof oos / sizeof oos[0]; i++) {
		struct match_result m;
		top_of(rs, oos[i], &m);
		assert_int_not_equal(m.decision, MATCH_ANSWER);
		match_result_free(&m);
	}
}

/* Someone else's service named ("foreign"), with nothing of the customer's own line:
 * the same words that answer about ours only ask which topic is meant. Said of our
 * own line ("own_context") or by an intent whose examples name such a service, the
 * answer stands. */
static void test_foreign_services_and_small_talk(void **state)
{
	struct replyset *rs = *state;
	static const char *const cases[][3] = {
		{"как пополнить баланс", "topup", "answer"},
		{"как пополнить баланс в фортнайте", "", "not"},
		{"как пополнить баланс с карты сбербанка", "topup", "answer"},
		{"переадресация звонков", "call_forwarding", "answer"},
		{"настроить переадресацию в gmail", "", "not"},
		{"подтвердить паспортные данные через госуслуги", "passport_update", "answer"},
		{"не приходят смс с кодом от госуслуг", "sms_not_delivered", "any"},
		/* A goodbye's word in a question is no goodbye. */
		{"кто мне звонил пока был без связи", "missed_calls_notification", "answer"},
		{"пока", "goodbye", "answer"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct match_result m;
		const char *top = top_of(rs, cases[i][0], &m);
		if (*cases[i][1])
			assert_string_equal(top, cases[i][1]);
		if (strcmp(cases[i][2], "answer") == 0)
			assert_int_equal(m.decision, MATCH_ANSWER);
		else if (strcmp(cases[i][2], "not") == 0)
			assert_int_not_equal(m.decision, MATCH_ANSWER);
		match_result_free(&m);
	}
}

static void test_decide(void **state)
{
	struct replyset *rs = *state;
	const struct replyset_settings *s = replyset_settings(rs);
	assert_int_equal(match_decide(rs, s->answer, s->answer - s->margin - 0.01), MATCH_ANSWER);
	assert_int_equal(match_decide(rs, s->answer, s->answer - s->margin / 2), MATCH_CLARIFY);
	assert_int_equal(match_decide(rs, s->clarify, 0), MATCH_CLARIFY);
	assert_int_equal(match_decide(rs, s->clarify - 0.01, 0), MATCH_FALLBACK);
}

static void test_flags_and_plans(void **state)
{
	struct replyset *rs = *state;
	struct match_result m;
	top_of(rs, "ВЫ ОПЯТЬ СПИСАЛИ ДЕНЬГИ, ПОДАМ В СУД, СДЕЛАЙТЕ РЕПОСТ", &m);
	assert_true(m.flags.legal_threat);
	assert_true(m.flags.shouting);
	assert_true(m.flags.spread_call);
	assert_false(m.flags.obscene);
	match_result_free(&m);
	/* A court named for a purpose is no threat (legal_neutral), unless anger comes
	 * with it. */
	top_of(rs, "мне нужна детализация звонков для суда, как получить заверенную", &m);
	assert_false(m.flags.legal_threat);
	match_result_free(&m);
	top_of(rs, "адвокат просит выписку звонков за май, где её взять", &m);
	assert_false(m.flags.legal_threat);
	match_result_free(&m);
	top_of(rs, "детализация нужна для суда, вы опять списали деньги, это безобразие", &m);
	assert_true(m.flags.legal_threat);
	match_result_free(&m);
	top_of(rs, "пришлите детализацию, иначе подам в суд", &m);
	assert_true(m.flags.legal_threat);
	match_result_free(&m);
	top_of(rs, "чем смартт отличается от макси", &m); /* misspelt alias */
	assert_int_equal(m.n_plans, 2);
	assert_string_equal(replyset_tariff_at(rs, (size_t)m.plans[0])->id, "smart");
	assert_string_equal(replyset_tariff_at(rs, (size_t)m.plans[1])->id, "maxi");
	match_result_free(&m);
	/* "мин" (minutes) is no plan "Мини". */
	top_of(rs, "500 мин и 20 гб", &m);
	assert_int_equal(m.n_plans, 0);
	match_result_free(&m);
	top_of(rs, "позовите живого человека", &m);
	assert_true(m.flags.operator_request);
	match_result_free(&m);
}

static void test_json(void **state)
{
	struct replyset *rs = *state;
	struct match_result m;
	top_of(rs, "мой номер 8 912 345-67-89, нужно 20 гб", &m);
	cJSON *o = cJSON_CreateObject();
	match_result_to_json(rs, &m, o);
	const cJSON *e = cJSON_GetObjectItem(o, "entities");
	assert_string_equal(cJSON_GetObjectItem(e, "phone")->valuestring, "+79123456789");
	assert_true(cJSON_GetObjectItem(e, "gb")->valuedouble == 20);
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(o, "top")));
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(o, "flags")));
	cJSON_Delete(o);
	match_result_free(&m);
}

/* A synonym group makes a word the examples never use mean what its group means. */
static void test_synonyms(void **state)
{
	(void)state;
	char *dir = th_copy_default();
	th_write(dir, "synonyms.json", "{\"synonyms\": [[\"гугушка\", \"голосовая почта\"]]}\n");
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	assert_int_equal(replyset_load(dir, &rs, &errs), 0);
	struct match_result m;
	assert_string_equal(top_of(rs, "как отключить гугушку", &m), "voicemail");
	match_result_free(&m);
	replyset_free(rs);
	/* Without the group the word means nothing. */
	th_write(dir, "synonyms.json", "{\"synonyms\": []}\n");
	assert_int_equal(replyset_load(dir, &rs, &errs), 0);
	top_of(rs, "гугушка", &m);
	assert_int_not_equal(m.decision, MATCH_ANSWER);
	match_result_free(&m);
	replyset_free(rs);
	replyset_errors_free(&errs);
	th_rmtree(dir);
	free(dir);
}

/* An out-of-scope intent: a message closest to its examples falls back, and the
 * intent itself never reaches the top list (nothing may answer or offer it); what the
 * bot handles is answered as before. A menu or a button may not name one. */
static void test_out_of_scope_intent(void **state)
{
	(void)state;
	const char *photo = "как настроить баланс белого на фотоаппарате";
	struct match_result m;
	char *dir = th_copy_default();
	/* Without the set's own out-of-scope examples it reads as a question of ours
	 * (the balance, or settings). */
	char *oos = xasprintf("%s/intents/out_of_scope.json", dir);
	assert_int_equal(unlink(oos), 0);
	free(oos);
	struct replyset *with = NULL;
	struct replyset_errors errs = {0};
	assert_int_equal(replyset_load(dir, &with, &errs), 0);
	top_of(with, photo, &m);
	assert_int_not_equal(m.decision, MATCH_FALLBACK);
	match_result_free(&m);
	replyset_free(with);

	th_write(dir, "intents/zz_other.json",
		 "{\"intents\": [{\"id\": \"other\", \"category\": \"other\", \"kind\": \"out_of_scope\",\n"
		 "  \"title\": {\"ru\": \"Не по теме\", \"en\": \"Off topic\"},\n"
		 "  \"examples\": {\"ru\": [\"баланс белого в камере\", \"настройка баланса белого для съемки\",\n"
		 "    \"какой баланс белого на фотоаппарате\"]}}]}\n");
	with = NULL;
	assert_int_equal(replyset_load(dir, &with, &errs), 0);
	top_of(with, photo, &m);
	assert_int_equal(m.decision, MATCH_FALLBACK);
	for (size_t i = 0; i < m.n_top; i++)
		assert_int_not_equal(replyset_intent_at(with, (size_t)m.top[i].intent)->kind, RS_OUT_OF_SCOPE);
	match_result_free(&m);
	assert_string_equal(top_of(with, "как проверить баланс", &m), "balance");
	assert_int_equal(m.decision, MATCH_ANSWER);
	match_result_free(&m);
	replyset_free(with);

	/* Offered from the menu: the set does not load. */
	char *path = xasprintf("%s/settings.json", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char settings[16384];
	size_t n = fread(settings, 1, sizeof settings - 1, f);
	fclose(f);
	free(path);
	settings[n] = '\0';
	char *menu = strstr(settings, "\"menu\": [");
	assert_non_null(menu);
	char *patched = xasprintf("%.*s\"menu\": [\"other\", %s", (int)(menu - settings), settings,
				  menu + strlen("\"menu\": ["));
	th_write(dir, "settings.json", patched);
	with = NULL;
	assert_int_equal(replyset_load(dir, &with, &errs), -1);
	assert_null(with);
	free(patched);
	replyset_errors_free(&errs);
	th_rmtree(dir);
	free(dir);
}

/* Complaint routing: a complaint on top, or close behind an intent not answered
 * outright; never one trailing a sure FAQ answer. */
static void test_complaint_candidate(void **state)
{
	struct replyset *rs = *state;
	int faq = replyset_intent_index(rs, "sms_not_delivered"), comp = replyset_intent_index(rs, "complaint_sms_calls");
	assert_true(faq >= 0 && comp >= 0);
	struct match_result r;
	memset(&r, 0, sizeof r);
	r.n_top = 2;
	r.top[0] = (struct match_hit){faq, 0.9};
	r.top[1] = (struct match_hit){comp, 0.85};
	r.decision = MATCH_ANSWER;
	assert_int_equal(match_complaint(rs, &r, 0.85), -1);
	r.decision = MATCH_CLARIFY;
	assert_int_equal(match_complaint(rs, &r, 0.85), comp);
	r.top[1].score = 0.5;
	assert_int_equal(match_complaint(rs, &r, 0.85), -1);
	r.top[0] = (struct match_hit){comp, 0.6};
	r.top[1] = (struct match_hit){faq, 0.5};
	assert_int_equal(match_complaint(rs, &r, 0.85), comp);
	r.decision = MATCH_FALLBACK;
	assert_int_equal(match_complaint(rs, &r, 0.85), -1);
	r.n_top = 0;
	assert_int_equal(match_complaint(rs, &r, 0.85), -1);
}

/* Issue 12: swearing masked with asterisks is obscene; a shouted greeting is not
 * shouting; a reload shares the previous set's spelling dictionary. */
static void test_masked_swearing_and_shared_dictionary(void **state)
{
	struct replyset *rs = *state;
	struct match_result m;
	top_of(rs, "инет х*ровый вообще, видео не грузится", &m);
	assert_true(m.flags.obscene);
	match_result_free(&m);
	top_of(rs, "б**ть, не могу позвонить", &m);
	assert_true(m.flags.obscene);
	match_result_free(&m);
	top_of(rs, "наберите *100# и нажмите вызов", &m);
	assert_false(m.flags.obscene);
	match_result_free(&m);
	top_of(rs, "ПРИВЕТ", &m);
	assert_false(m.flags.shouting);
	match_result_free(&m);
	top_of(rs, "НЕТ СВЯЗИ С УТРА", &m);
	assert_true(m.flags.shouting);
	match_result_free(&m);
	/* "!!!" in lower case is anger, not shouting; capitals with a lower-case tail
	 * still are. */
	top_of(rs, "опять списали деньги!!!", &m);
	assert_false(m.flags.shouting);
	match_result_free(&m);
	top_of(rs, "ДА ЧТО ЗА СВЯЗЬ ТАКАЯ, КАЖДЫЙ ЗВОНОК ОБРЫВАЕТСЯ!!! в роспотребнадзор пишу", &m);
	assert_true(m.flags.shouting);
	match_result_free(&m);
	/* Glued words split into the words the set uses often: "как узнать", not "каку
	 * знать" after one example that says "каку". */
	top_of(rs, "какузнатьсвойномер", &m);
	assert_true(m.text.n_tokens >= 2);
	assert_string_equal(m.text.tokens[0].text, "как");
	assert_string_equal(m.text.tokens[1].text, "узнать");
	match_result_free(&m);
	/* A swear word is never split as glued words ("зае бали"), so it is flagged. */
	top_of(rs, "Заебали со своими подписками", &m);
	assert_true(m.flags.obscene);
	match_result_free(&m);
	struct text_dict *d = text_ctx_dict(replyset_text_ctx(rs));
	if (d) {
		char *dir = xasprintf("%s/replies", th_source_dir());
		struct replyset *next = NULL;
		assert_int_equal(replyset_load_sharing(dir, rs, &next, NULL), 0);
		assert_ptr_equal(text_ctx_dict(replyset_text_ctx(next)), d);
		replyset_free(next);
		free(dir);
		/* The first set still works with it. */
		assert_string_equal(top_of(rs, "какузнатьбаланс", &m), "balance");
		match_result_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_repaired),
		cmocka_unit_test(test_out_of_scope),
		cmocka_unit_test(test_foreign_services_and_small_talk),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_flags_and_plans),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_synonyms),
		cmocka_unit_test(test_out_of_scope_intent),
		cmocka_unit_test(test_complaint_candidate),
		cmocka_unit_test(test_masked_swearing_and_shared_dictionary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
