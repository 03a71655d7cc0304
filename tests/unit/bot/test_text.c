/* Tests of bot/text.c: normalisation, repairs, entities, typo index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text.h"

struct fixture {
	struct text_ctx *ctx;
	struct text_vocab *words, *stems;
	struct text_opts opts;
};

static int setup(void **state)
{
	static const char *const vocab[] = {"как", "проверить", "баланс", "подключить", "роуминг", "привет",
					    "тариф", "интернет", "сколько", "денег", "на", "счету", "я",
					    "хочу", "balance", "check", "how", "my", "это", "счет", NULL};
	struct fixture *f = calloc(1, sizeof *f);
	f->ctx = text_ctx_new();
	assert_non_null(f->ctx);
	f->words = text_vocab_new();
	f->stems = text_vocab_new();
	for (const char *const *w = vocab; *w; w++) {
		text_vocab_add(f->words, *w, strlen(*w));
		char *s = text_stem(f->ctx, *w, strlen(*w));
		text_vocab_add(f->stems, s, strlen(s));
		free(s);
	}
	text_vocab_build(f->words);
	text_vocab_build(f->stems);
	f->opts.vocab = f->words;
	f->opts.stems = f->stems;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	text_vocab_free(f->words);
	text_vocab_free(f->stems);
	text_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* Analyses s with the fixture's vocabulary and returns the normalised text (copy). */
static char *norm_of(struct fixture *f, const char *s, struct text_analysis *a)
{
	assert_int_equal(text_analyze(f->ctx, s, strlen(s), &f->opts, a), 0);
	return a->norm;
}

static void test_normalize(void **state)
{
	(void)state;
	char *s = text_normalize("  ЁЛКИ\tПалки  ", strlen("  ЁЛКИ\tПалки  "));
	assert_string_equal(s, "елки палки");
	free(s);
	/* NFKC: full-width letters and digits become ASCII. */
	s = text_normalize("ＡＢＣ１２", strlen("ＡＢＣ１２"));
	assert_string_equal(s, "abc12");
	free(s);
	/* Broken UTF-8 becomes U+FFFD; NUL becomes a space. */
	s = text_normalize("a\xff" "b\0c", 5);
	assert_string_equal(s, "a\xEF\xBF\xBD" "b c");
	free(s);
}

static void test_tokens_and_emoji(void **state)
{
	struct fixture *f = *state;
	struct text_analysis a;
	assert_string_equal(norm_of(f, "Привет!😀Как дела?", &a), "привет ! 😀 как дела ?");
	assert_int_equal(a.n_tokens, 6);
	assert_int_equal(a.tokens[2].kind, TEXT_PUNCT);
	assert_string_equal(a.lang, "ru");
	text_analysis_free(&a);
	assert_int_equal(text_analyze(f->ctx, "", 0, &f->opts, &a), 0);
	assert_int_equal(a.n_tokens, 0);
	assert_null(a.lang);
	text_analysis_free(&a);
}

static void test_layout(void **state)
{
	struct fixture *f = *state;
	struct text_analysis a;
	assert_string_equal(norm_of(f, "Ghbdtn, rfr ghjdthbnm ,fkfyc?", &a), "привет , как проверить баланс ?");
	assert_int_equal(a.tokens[0].how, TEXT_LAYOUT);
	assert_string_equal(a.lang, "ru");
	text_analysis_free(&a);
	/* English stays English. */
	assert_string_equal(norm_of(f, "how to check my balance", &a), "how to check my balance");
	assert_string_equal(a.lang, "en");
	text_analysis_free(&a);
	char *s = text_layout_to_ru("ghbdtn", 6);
	assert_string_equal(s, "привет");
	free(s);
	s = text_layout_to_en("руддщ", strlen("руддщ"));
	assert_string_equal(s, "hello");
	free(s);
}

static void test_translit(void **state)
{
	struct fixture *f = *state;
	struct text_analysis a;
	assert_string_equal(norm_of(f, "kak podkluchit rouming", &a), "как подключить роуминг");
	assert_int_equal(a.tokens[1].how, TEXT_TYPO);
	assert_string_equal(a.tokens[1].orig, "подклучит");
	text_analysis_free(&a);
	assert_string_equal(norm_of(f, "ya hochu balans", &a), "я хочу баланс");
	text_analysis_free(&a);
	char *s = text_translit_to_ru("shchuka zhuk kholod novyy moy", strlen("shchuka zhuk kholod novyy moy"));
	assert_string_equal(s, "щука жук холод новый мой");
	free(s);
}

static void test_typos(void **state)
{
	struct fixture *f = *state;
	struct text_analysis a;
	/* 6 letters: one edit; a transposition counts as one. */
	assert_string_equal(norm_of(f, "проверить балнас", &a), "проверить баланс");
	text_analysis_free(&a);
	/* 4 letters: no correction. */
	assert_string_equal(norm_of(f, "тарф", &a), "тарф");
	text_analysis_free(&a);
	assert_int_equal(text_typo_bound(4), 0);
	assert_int_equal(text_typo_bound(5), 1);
	assert_int_equal(text_typo_bound(7), 1);
	assert_int_equal(text_typo_bound(8), 2);
	assert_int_equal(text_distance("баланс", strlen("баланс"), "абланс", strlen("абланс"), 2), 1);
	assert_int_equal(text_distance("abcdef", 6, "ghijkl", 6, 2), 3);
	int d = 0;
	int id = text_vocab_correct(f->words, "подклюить", strlen("подклюить"), &d);
	assert_true(id >= 0);
	assert_string_equal(text_vocab_word(f->words, id), "подключить");
	assert_int_equal(d, 1);
	/* Two edits on a 7-letter word are too many. */
	assert_int_equal(text_vocab_correct(f->words, "бааланц", strlen("бааланц"), NULL), -1);
}

static void test_quantities(void **state)
{
	struct fixture *f = *state;
	struct text_analysis a;
	norm_of(f, "Хочу 500 мин, 20 гигов и 100 смс до 600 р", &a);
	assert_true(a.ent.minutes == 500);
	assert_true(a.ent.gb == 20);
	assert_true(a.ent.sms == 100);
	assert_true(a.ent.budget == 600);
	text_analysis_free(&a);
	norm_of(f, "10gb за 600₽", &a);
	assert_true(a.ent.gb == 10);
	assert_true(a.ent.budget == 600);
	assert_true(a.ent.minutes == -1);
	text_analysis_free(&a);
	norm_of(f, "безлимитный интернет и 1,5 гб", &a);
	assert_true(a.ent.gb == 1.5);
	text_analysis_free(&a);
	norm_of(f, "безлимит на звонки", &a);
	assert_true(a.ent.minutes >= TEXT_UNLIMITED);
	assert_true(a.ent.gb == -1);
	text_analysis_free(&a);
	norm_of(f, "500 МБ", &a);
	assert_true(a.ent.gb > 0.48 && a.ent.gb < 0.49);
	text_analysis_free(&a);
	/* "без лимита" and "без ограничений" are "безлимит". */
	norm_of(f, "интернет без ограничений и 300 минут", &a);
	assert_true(a.ent.gb >= TEXT_UNLIMITED);
	assert_true(a.ent.minutes == 300);
	text_analysis_free(&a);
	/* A service not wanted is zero when some amount is stated; text_zero_needs reads
	 * it without one (the tariff handler's case). */
	norm_of(f, "только звонки, до 300 р", &a);
	assert_true(a.ent.gb == -1);
	struct text_entities e = a.ent;
	text_zero_needs(&a, &e);
	assert_true(e.gb == 0);
	assert_true(e.minutes == -1);
	text_analysis_free(&a);
	norm_of(f, "need 40 gb, calls not needed", &a);
	assert_true(a.ent.gb == 40);
	assert_true(a.ent.minutes == 0);
	text_analysis_free(&a);
}

static void test_phone_account(void **state)
{
	struct fixture *f = *state;
	static const char *const forms[] = {"+7 (912) 345-67-89", "8 912 345 67 89", "89123456789",
					    "+79123456789", "мой номер 8-912-345-67-89.", "9123456789", NULL};
	for (const char *const *s = forms; *s; s++) {
		struct text_analysis a;
		norm_of(f, *s, &a);
		assert_string_equal(a.ent.phone, "+79123456789");
		text_analysis_free(&a);
	}
	char out[16];
	assert_int_equal(text_phone_normalize("+1 212 555 0100", out), -1);
	assert_int_equal(text_phone_normalize("12345", out), -1);
	struct text_analysis a;
	norm_of(f, "лицевой счёт № 1234567, телефон 8 912 345 67 89", &a);
	assert_string_equal(a.ent.account, "1234567");
	assert_string_equal(a.ent.phone, "+79123456789");
	/* Digits of a phone are never minutes or gigabytes. */
	assert_true(a.ent.minutes == -1);
	text_analysis_free(&a);
	norm_of(f, "договор 555123 от мая", &a);
	assert_string_equal(a.ent.account, "555123");
	text_analysis_free(&a);
	norm_of(f, "на счету 500 рублей", &a);
	assert_string_equal(a.ent.account, "");
	text_analysis_free(&a);
}

static void test_phrases_and_stems(void **state)
{
	struct fixture *f = *state;
	struct text_analysis a;
	norm_of(f, "Подам в СУД и в прокуратуру!", &a);
	assert_true(text_has_phrase(&a, "прокуратур"));
	assert_true(text_has_phrase(&a, "подам в суд"));
	assert_false(text_has_phrase(&a, "суд в"));
	text_analysis_free(&a);
	char *s = text_stem(f->ctx, "тарифы", strlen("тарифы"));
	assert_string_equal(s, "тариф");
	free(s);
	s = text_stem(f->ctx, "connections", strlen("connections"));
	assert_string_equal(s, "connect");
	free(s);
}

static void test_homoglyphs_and_cap(void **state)
{
	struct fixture *f = *state;
	struct text_analysis a;
	/* Latin a and p inside a Cyrillic word. */
	assert_string_equal(norm_of(f, "тapиф", &a), "тариф");
	text_analysis_free(&a);
	size_t n = TEXT_MAX_INPUT * 3;
	char *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 2 ? ' ' : 'a';
	assert_int_equal(text_analyze(f->ctx, big, n, &f->opts, &a), 0);
	assert_true(a.n_tokens <= TEXT_MAX_INPUT / 2);
	text_analysis_free(&a);
	free(big);
}

/* The table-driven normalisation agrees with utf8proc's NFKC + case folding on every
 * code point it handles itself, alone and between letters. */
static void test_fast_normalize_agrees(void **state)
{
	(void)state;
	static const int32_t ranges[][2] = {
		{0x01, 0x7F},       {0x401, 0x401},     {0x410, 0x451},     {0xA0, 0xA0},       {0xAB, 0xAB},
		{0xBB, 0xBB},       {0x2013, 0x2014},   {0x2018, 0x2019},   {0x201C, 0x201E},   {0x20BD, 0x20BD},
		{0xFFFD, 0xFFFD},   {0x200B, 0x200D},   {0x2060, 0x2060},   {0xFE0E, 0xFE0F},   {0xFEFF, 0xFEFF},
		{0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF},
	};
	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
		for (int32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
			char enc[5] = {0};
			if (cp < 0x80) {
				enc[0] = (char)cp;
			} else if (cp < 0x800) {
				enc[0] = (char)(0xC0 | (cp >> 6)), enc[1] = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				enc[0] = (char)(0xE0 | (cp >> 12)), enc[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
				enc[2] = (char)(0x80 | (cp & 0x3F));
			} else {
				enc[0] = (char)(0xF0 | (cp >> 18)), enc[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
				enc[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), enc[3] = (char)(0x80 | (cp & 0x3F));
			}
			char in[32];
			snprintf(in, sizeof in, "Я%sZ %s", enc, enc);
			char *fast = text_normalize(in, strlen(in));
			char *slow = text__normalize_slow(in, strlen(in));
			if (strcmp(fast, slow) != 0)
				fprintf(stderr, "U+%04X: fast \"%s\" slow \"%s\"\n", (unsigned)cp, fast, slow);
			assert_string_equal(fast, slow);
			free(fast);
			free(slow);
		}
	/* Text the table does not know takes the general path: "№" is "no" after NFKC. */
	char *s = text_normalize("Ёж № 5…", strlen("Ёж № 5…"));
	assert_string_equal(s, "еж no 5...");
	free(s);
}

static void test_phrase_sets(void **state)
{
	struct fixture *f = *state;
	struct text_phrases *p = text_phrases_new();
	assert_int_equal(text_phrases_add(p, "прокуратур", 0), 0);
	assert_int_equal(text_phrases_add(p, "подам в суд", 1), 0);
	assert_int_equal(text_phrases_add(p, "суд в", 2), 0);
	assert_int_equal(text_phrases_add(p, "ст. 159", 3), 0);
	assert_int_equal(text_phrases_add(p, "   ", 4), -1);
	struct text_analysis a;
	norm_of(f, "Подам в СУД и в прокуратуру по ст. 159!", &a);
	assert_int_equal(text_phrases_match(p, &a, 0), 0x1 | 0x2 | 0x8);
	/* Stops at the first bit wanted. */
	assert_int_equal(text_phrases_match(p, &a, 0x1) & 0x1, 0x1);
	for (int k = 0; k < 4; k++) {
		static const char *const ph[] = {"прокуратур", "подам в суд", "суд в", "ст. 159"};
		assert_int_equal(text_has_phrase(&a, ph[k]), (text_phrases_match(p, &a, 0) >> k) & 1);
	}
	text_analysis_free(&a);
	/* The form before typo correction counts too: "балнас" became "баланс". */
	struct text_phrases *q = text_phrases_new();
	text_phrases_add(q, "балн", 5);
	norm_of(f, "проверить балнас", &a);
	assert_string_equal(a.tokens[1].text, "баланс");
	assert_int_equal(text_phrases_match(q, &a, 0), (uint64_t)1 << 5);
	text_analysis_free(&a);
	text_phrases_free(q);
	text_phrases_free(p);
	/* A part of digits or of one letter is a whole word: "1с" is no "100 с карты",
	 * "т банк" no "телефон банка"; "в стим" still is "в стиме". */
	struct text_phrases *w = text_phrases_new();
	text_phrases_add(w, "1с", 0);
	text_phrases_add(w, "т банк", 1);
	text_phrases_add(w, "в стим", 2);
	norm_of(f, "пополнить на 100 с карты через телефон банка", &a);
	assert_int_equal(text_phrases_match(w, &a, 0), 0);
	assert_false(text_has_phrase(&a, "т банк"));
	assert_false(text_has_phrase(&a, "1с"));
	text_analysis_free(&a);
	norm_of(f, "карта т банк, бухгалтерия 1с, баланс в стиме", &a);
	assert_int_equal(text_phrases_match(w, &a, 0), 0x7);
	assert_true(text_has_phrase(&a, "т банк"));
	text_analysis_free(&a);
	text_phrases_free(w);
}

/* A link from a word to its stem replaces the stemmer; typo targets can be excluded. */
static void test_links_and_no_typo(void **state)
{
	struct fixture *f = *state;
	struct text_ctx *ctx = f->ctx;
	struct text_vocab *w = text_vocab_new(), *st = text_vocab_new();
	int id = text_vocab_add(w, "симка", strlen("симка"));
	text_vocab_set_link(w, id, text_vocab_add(st, "сим", strlen("сим")));
	int other = text_vocab_add(w, "роуминг", strlen("роуминг"));
	text_vocab_set_no_typo(w, other, 1);
	text_vocab_build(w);
	assert_int_equal(text_vocab_link(w, id), 0);
	assert_int_equal(text_vocab_link(w, other), -1);
	struct text_opts o = {.vocab = w, .stems = st};
	struct text_analysis a;
	assert_int_equal(text_analyze(ctx, "симка роумнг", strlen("симка роумнг"), &o, &a), 0);
	assert_string_equal(a.tokens[0].stem, "сим");
	assert_string_equal(a.tokens[1].text, "роумнг");
	text_analysis_free(&a);
	assert_true(text_ctx_memory(ctx) > 0);
	text_vocab_free(w);
	text_vocab_free(st);
}

/* The Russian Hunspell dictionary (issue 12): glued words split into words the set or
 * the dictionary knows, real words never "corrected" into the set's words and read
 * through their dictionary form, and without a dictionary today's behaviour. */
static void test_dictionary(void **state)
{
	struct fixture *f = *state;
	struct text_dict *d = text_dict_open_default(NULL);
	if (!d) {
		/* hunspell-ru is in tests/deps.sh; a machine without it says so. */
		fprintf(stderr, "no Russian Hunspell dictionary: test_dictionary skipped\n");
		skip();
		return;
	}
	struct text_analysis a;
	/* Without the dictionary in the context, glued words split against the reply
	 * set's words only: a piece only the dictionary knows ("мамы") keeps it whole. */
	assert_string_equal(norm_of(f, "какпроверитьбаланс", &a), "как проверить баланс");
	text_analysis_free(&a);
	assert_string_equal(norm_of(f, "проверитьбалансмамы", &a), "проверитьбалансмамы");
	assert_int_equal(a.n_split, 0);
	text_analysis_free(&a);
	text_ctx_set_dict(f->ctx, d);
	assert_ptr_equal(text_ctx_dict(f->ctx), d);
	assert_true(text_dict_spell(d, "проверить", strlen("проверить")));
	assert_false(text_dict_spell(d, "праверить", strlen("праверить")));
	/* Glued: the reply set's words, and dictionary words of 4+ letters between them. */
	assert_string_equal(norm_of(f, "проверитьбалансмамы", &a), "проверить баланс мамы");
	assert_int_equal(a.n_split, 1);
	text_analysis_free(&a);
	assert_string_equal(norm_of(f, "хочуподключитьроуминг?", &a), "хочу подключить роуминг ?");
	text_analysis_free(&a);
	/* Names are words: the dictionary keeps them capitalised, the text is folded. */
	assert_true(text_dict_spell(d, "серпухове", strlen("серпухове")));
	assert_false(text_dict_spell(d, "серпухавэ", strlen("серпухавэ")));
	assert_string_equal(norm_of(f, "проверитьбалансвсерпухове", &a), "проверить баланс в серпухове");
	text_analysis_free(&a);
	/* A word the set knows, a typo of one, and a real word stay whole. */
	assert_string_equal(norm_of(f, "подключить роуминг", &a), "подключить роуминг");
	assert_int_equal(a.n_split, 0);
	text_analysis_free(&a);
	assert_string_equal(norm_of(f, "проверить балнас", &a), "проверить баланс");
	text_analysis_free(&a);
	/* A real word the set lacks ("балкон") is not corrected into one it has. */
	assert_string_equal(norm_of(f, "балкон", &a), "балкон");
	assert_int_equal(a.n_typo, 0);
	text_analysis_free(&a);
	/* A word form the stemmer does not bring to the set's stem is read through its
	 * dictionary form: "тарифы" and "тариф" share the stem anyway, so the lemma is
	 * only counted when it was needed. */
	assert_string_equal(norm_of(f, "тарифы", &a), "тарифы");
	text_analysis_free(&a);
	text_ctx_set_dict(f->ctx, NULL);
	assert_null(text_ctx_dict(f->ctx));
	text_dict_unref(d);
	/* A dictionary that is not there: NULL, and the path tried is reported. */
	setenv("DESKBOT_HUNSPELL", "/nonexistent/ru_RU", 1);
	const char *where = NULL;
	assert_null(text_dict_open_default(&where));
	assert_string_equal(where, "/nonexistent/ru_RU");
	unsetenv("DESKBOT_HUNSPELL");
	assert_null(text_dict_open("/nonexistent.aff", "/nonexistent.dic"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_tokens_and_emoji),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_translit),
		cmocka_unit_test(test_typos),
		cmocka_unit_test(test_quantities),
		cmocka_unit_test(test_phone_account),
		cmocka_unit_test(test_phrases_and_stems),
		cmocka_unit_test(test_homoglyphs_and_cap),
		cmocka_unit_test(test_fast_normalize_agrees),
		cmocka_unit_test(test_phrase_sets),
		cmocka_unit_test(test_links_and_no_typo),
		cmocka_unit_test(test_dictionary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
