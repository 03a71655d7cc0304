/* Tests of bot/text_cache.c: what is stored is what comes back, the bound holds, and
 * in a text context (one per reply set) a cached answer gives the same analysis as a
 * fresh one; a reloaded set starts with its own cache and frees it with itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "matcher.h"
#include "replyset.h"
#include "test_helpers.h"
#include "text.h"
#include "text_cache.h"

static void test_get_put(void **state)
{
	(void)state;
	struct text_cache *c = text_cache_new(64, 4096);
	const char *v;
	size_t vl;
	assert_int_equal(text_cache_get(c, TEXT_CACHE_STEM, "баланс", strlen("баланс"), &v, &vl), 0);
	const char *kept = text_cache_put(c, TEXT_CACHE_STEM, "балансы", strlen("балансы"), "баланс", strlen("баланс"));
	assert_non_null(kept);
	assert_int_equal(text_cache_get(c, TEXT_CACHE_STEM, "балансы", strlen("балансы"), &v, &vl), 1);
	assert_ptr_equal(v, kept);
	assert_int_equal(vl, strlen("баланс"));
	assert_memory_equal(v, "баланс", vl);
	/* The kind is part of the key; so is the length (a prefix is another word). */
	assert_int_equal(text_cache_get(c, TEXT_CACHE_SPELL, "балансы", strlen("балансы"), &v, &vl), 0);
	assert_int_equal(text_cache_get(c, TEXT_CACHE_STEM, "баланс", strlen("баланс"), &v, &vl), 0);
	/* Empty values and values with NULs inside (dictionary forms) come back whole. */
	assert_non_null(text_cache_put(c, TEXT_CACHE_LEMMAS, "xyz", 3, "", 0));
	assert_int_equal(text_cache_get(c, TEXT_CACHE_LEMMAS, "xyz", 3, &v, &vl), 1);
	assert_int_equal(vl, 0);
	assert_non_null(text_cache_put(c, TEXT_CACHE_LEMMAS, "симку", strlen("симку"), "симка\0сим\0", 15));
	assert_int_equal(text_cache_get(c, TEXT_CACHE_LEMMAS, "симку", strlen("симку"), &v, &vl), 1);
	assert_int_equal(vl, 15);
	assert_memory_equal(v, "симка\0сим\0", 15);
	/* Keys longer than the limit are not cached; NULL caches nothing. */
	char big[TEXT_CACHE_KEY_MAX + 1];
	memset(big, 'a', sizeof big);
	assert_null(text_cache_put(c, TEXT_CACHE_STEM, big, sizeof big, "a", 1));
	assert_int_equal(text_cache_get(c, TEXT_CACHE_STEM, big, sizeof big, &v, &vl), 0);
	assert_null(text_cache_put(NULL, TEXT_CACHE_STEM, "a", 1, "a", 1));
	assert_int_equal(text_cache_get(NULL, TEXT_CACHE_STEM, "a", 1, &v, &vl), 0);
	struct text_cache_stats st;
	text_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.hits, 3);
	text_cache_free(c);
	text_cache_free(NULL);
}

/* However many words go in, the cache holds at most 3/4 of its slots and its block;
 * when full it drops inserts, and the next begin empties it. */
static void test_bound(void **state)
{
	(void)state;
	struct text_cache *c = text_cache_new(256, 2048);
	size_t bound = text_cache_memory(c);
	struct text_cache_stats st;
	char w[32];
	int stored = 0;
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(w, sizeof w, "слово%d", i);
		if (text_cache_put(c, TEXT_CACHE_STEM, w, (size_t)n, w, (size_t)n - 2))
			stored++;
		text_cache_get_stats(c, &st);
		assert_true(st.entries <= 256 / 4 * 3);
		assert_true(st.bytes <= 2048);
		assert_int_equal(text_cache_memory(c), bound);
	}
	text_cache_get_stats(c, &st);
	assert_int_equal(st.entries, (size_t)stored);
	assert_int_equal(st.dropped, (uint64_t)(10000 - stored));
	assert_true(stored > 10);
	/* Everything stored is still there, unchanged, until begin. */
	for (int i = 0; i < stored; i++) {
		int n = snprintf(w, sizeof w, "слово%d", i);
		const char *v;
		size_t vl;
		assert_int_equal(text_cache_get(c, TEXT_CACHE_STEM, w, (size_t)n, &v, &vl), 1);
		assert_int_equal(vl, (size_t)n - 2);
		assert_memory_equal(v, w, vl);
	}
	text_cache_begin(c);
	text_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.flushes, 1);
	const char *v;
	size_t vl;
	assert_int_equal(text_cache_get(c, TEXT_CACHE_STEM, "слово0", strlen("слово0"), &v, &vl), 0);
	assert_non_null(text_cache_put(c, TEXT_CACHE_STEM, "слово0", strlen("слово0"), "сло", 3));
	/* A begin with room to spare keeps everything. */
	text_cache_begin(c);
	assert_int_equal(text_cache_get(c, TEXT_CACHE_STEM, "слово0", strlen("слово0"), &v, &vl), 1);
	text_cache_free(c);
}

/* Everything of an analysis that the cached answers feed. */
static void describe(const struct text_analysis *a, struct buf *out)
{
	buf_printf(out, "%s|%d %d %d %d|", a->norm, a->n_split, a->n_lemma, a->n_typo, a->n_layout);
	for (size_t i = 0; i < a->n_tokens; i++)
		buf_printf(out, "%s/%s/%s/%d/%d ", a->tokens[i].orig, a->tokens[i].text, a->tokens[i].stem,
			   a->tokens[i].how, a->tokens[i].script);
}

static const char *const messages[] = {
	"какузнатьбалансмамы", "не могу дозвониться, нет звонков", "симку заблокировали на балконе",
	"проверить балнас", "ghbdtn rfr gjgjkybnm ,fkfyc", "вроуминге не работает интернет",
	"хочу сменить тарифчик на подешевле", "the internet is not working", NULL};

static void analyse_all(struct replyset *rs, struct buf *out)
{
	const struct text_opts *o = match_text_opts(replyset_index(rs));
	for (const char *const *m = messages; *m; m++) {
		struct text_analysis a;
		assert_int_equal(text_analyze(replyset_text_ctx(rs), *m, strlen(*m), o, &a), 0);
		describe(&a, out);
		buf_puts(out, "\n");
		text_analysis_free(&a);
	}
}

/* The same messages, first through misses and then through hits, read the same; so
 * do they in a set loaded afresh from the previous one (its cache is its own). */
static void test_hits_same_analysis(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	if (!text_ctx_dict(replyset_text_ctx(rs))) {
		fprintf(stderr, "no Russian Hunspell dictionary: the dictionary answers are not cached\n");
	}
	struct text_cache_stats s0, s1, s2;
	text_ctx_cache_stats(replyset_text_ctx(rs), &s0);
	struct buf first = {0}, second = {0}, other = {0};
	analyse_all(rs, &first);
	text_ctx_cache_stats(replyset_text_ctx(rs), &s1);
	assert_true(s1.misses > s0.misses); /* new words were asked about */
	analyse_all(rs, &second);
	text_ctx_cache_stats(replyset_text_ctx(rs), &s2);
	assert_int_equal(s2.misses, s1.misses); /* and the second time they were all hits */
	assert_true(s2.hits > s1.hits);
	assert_string_equal(first.data, second.data);

	/* A reload: the new set has a cache of its own (what its build put in), and the
	 * old one is freed with its set (ASan reports a leak otherwise). */
	struct replyset *next = NULL;
	struct replyset_errors errs = {0};
	assert_int_equal(replyset_load_sharing(replyset_dir(rs), rs, &next, &errs), 0);
	replyset_errors_free(&errs);
	struct text_cache_stats n0;
	text_ctx_cache_stats(replyset_text_ctx(next), &n0);
	assert_int_equal(n0.hits + n0.misses, s0.hits + s0.misses);
	replyset_free(rs);
	analyse_all(next, &other);
	assert_string_equal(first.data, other.data);
	replyset_free(next);
	buf_free(&first);
	buf_free(&second);
	buf_free(&other);
}

/* A new dictionary in a context empties its cache: the answers were the old one's. */
static void test_new_dict_empties(void **state)
{
	(void)state;
	struct text_ctx *ctx = text_ctx_new();
	char *s = text_stem(ctx, "балансы", strlen("балансы"));
	free(s);
	struct text_cache_stats st;
	text_ctx_cache_stats(ctx, &st);
	assert_int_equal(st.entries, 1);
	text_ctx_set_dict(ctx, NULL);
	text_ctx_cache_stats(ctx, &st);
	assert_int_equal(st.entries, 0);
	text_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_hits_same_analysis),
		cmocka_unit_test(test_new_dict_empties),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
