/* Text normalisation, repair and entity recognition (see text.h).
 *
 * The pipeline of text_analyze():
 *   1. repair broken UTF-8 (U+FFFD), NFKC + case folding (utf8proc), ё -> е, stray
 *      combining marks and control characters removed, whitespace collapsed;
 *   2. per whitespace-separated chunk written in Latin letters, choose between the
 *      chunk as written, the chunk re-read on the Russian keyboard layout and its
 *      transliteration, by asking a scorer which form the reply set knows (two passes:
 *      confident decisions first, then the undecided chunks follow the majority);
 *   3. find phone numbers (before tokenising, because they span separators);
 *   4. tokenise into words, digit runs and single punctuation/emoji tokens;
 *   5. correct typos of unknown words against the vocabulary, stem every word;
 *   6. read entities (numbers with units, unlimited, phone, account).
 * All strings of one analysis live in a chained arena freed at once. */
#include "text.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "xalloc.h"

/* Words longer than this (in code points) are never corrected: no real word is. */
#define MAX_WORD_CP 40
/* The code point ranges we call Cyrillic / Latin letters. */
#define IS_CYR(c) ((c) >= 0x400 && (c) <= 0x4FF)
#define IS_LAT(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 0xC0 && (c) <= 0x24F))

struct text_ctx {
	struct sb_stemmer *ru; /* Russian Snowball stemmer */
	struct sb_stemmer *en; /* English (Porter2) Snowball stemmer */
};

/* One block of the per-analysis arena. */
struct text_arena {
	struct text_arena *next;
	size_t used, cap;
	char data[];
};

/* ------------------------------------------------------------------ utilities */

static char *arena_alloc(struct text_arena **head, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct text_arena *a = *head;
	if (!a || a->cap - a->used < n) {
		size_t cap = n > 8192 ? n : 8192;
		struct text_arena *b = xmalloc(sizeof *b + cap);
		b->next = a;
		b->used = 0;
		b->cap = cap;
		*head = b;
		a = b;
	}
	char *p = a->data + a->used;
	a->used += n;
	return p;
}

static char *arena_strndup(struct text_arena **head, const char *s, size_t n)
{
	char *p = arena_alloc(head, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void arena_free(struct text_arena *a)
{
	while (a) {
		struct text_arena *next = a->next;
		free(a);
		a = next;
	}
}

/* Decodes the code point at s (valid UTF-8 assumed, as produced by normalize). */
static int32_t decode(const char *s, size_t len, size_t *adv)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
	if (n <= 0) {
		*adv = 1;
		return 0xFFFD;
	}
	*adv = (size_t)n;
	return cp;
}

static void put_cp(struct buf *b, int32_t cp)
{
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, tmp);
	buf_append(b, tmp, (size_t)n);
}

/* Decodes s into code points; returns how many (at most max, -1 if longer). */
static int to_cps(const char *s, size_t len, int32_t *cps, int max)
{
	int n = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = decode(s + i, len - i, &adv);
		if (n == max)
			return -1;
		cps[n++] = cp;
		i += adv;
	}
	return n;
}

static int is_letter_cat(int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);
	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME;
}

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* ------------------------------------------------------------------ normalisation */

/* Counts from the original text, before case folding loses them. */
struct raw_counts {
	int letters, upper, exclaim;
};

/* Step 1 of the pipeline. Returns a malloc'd NUL-terminated string. */
static char *normalize(const char *in, size_t len, struct raw_counts *rc)
{
	if (len > TEXT_MAX_INPUT)
		len = TEXT_MAX_INPUT;
	struct buf fixed = {0};
	buf_append(&fixed, "", 0);
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)in + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			cp = 0xFFFD;
			n = 1;
		} else if (cp == 0) {
			cp = ' ';
		}
		if (rc) {
			utf8proc_category_t c = utf8proc_category(cp);
			if (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO)
				rc->letters++;
			if (c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT)
				rc->upper++;
			if (cp == '!')
				rc->exclaim++;
		}
		put_cp(&fixed, cp);
		i += (size_t)n;
	}
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t mlen = utf8proc_map((const utf8proc_uint8_t *)fixed.data, (utf8proc_ssize_t)fixed.len,
					     &mapped,
					     UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
						     UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
	const char *src = fixed.data;
	size_t slen = fixed.len;
	if (mlen >= 0) {
		src = (const char *)mapped;
		slen = (size_t)mlen;
	}
	/* Second pass: ё, stray marks, controls and separators. */
	struct buf out = {0};
	buf_append(&out, "", 0);
	int space = 1; /* suppresses leading and repeated spaces */
	for (size_t i = 0; i < slen;) {
		size_t adv;
		int32_t cp = decode(src + i, slen - i, &adv);
		i += adv;
		utf8proc_category_t c = utf8proc_category(cp);
		if (cp == 0x451)
			cp = 0x435;
		if ((cp >= 0x300 && cp <= 0x36F))
			continue; /* a stress mark left over after composition */
		if (c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL ||
		    c == UTF8PROC_CATEGORY_ZP || c == UTF8PROC_CATEGORY_CF || cp == ' ') {
			if (!space)
				buf_append(&out, " ", 1);
			space = 1;
			continue;
		}
		put_cp(&out, cp);
		space = 0;
	}
	if (out.len && out.data[out.len - 1] == ' ')
		out.data[--out.len] = '\0';
	free(mapped);
	buf_free(&fixed);
	return buf_steal(&out);
}

char *text_normalize(const char *in, size_t len)
{
	return normalize(in ? in : "", in ? len : 0, NULL);
}

/* ------------------------------------------------------------------ layout and transliteration */

/* US QWERTY key -> Russian ЙЦУКЕН key, for the keys that differ (after case folding). */
static const struct {
	char lat;
	const char *cyr;
} layout_map[] = {
	{'q', "й"}, {'w', "ц"}, {'e', "у"}, {'r', "к"}, {'t', "е"}, {'y', "н"}, {'u', "г"},
	{'i', "ш"}, {'o', "щ"}, {'p', "з"}, {'[', "х"}, {']', "ъ"}, {'a', "ф"}, {'s', "ы"},
	{'d', "в"}, {'f', "а"}, {'g', "п"}, {'h', "р"}, {'j', "о"}, {'k', "л"}, {'l', "д"},
	{';', "ж"}, {'\'', "э"}, {'z', "я"}, {'x', "ч"}, {'c', "с"}, {'v', "м"}, {'b', "и"},
	{'n', "т"}, {'m', "ь"}, {',', "б"}, {'.', "ю"}, {'`', "е"}, {'{', "х"}, {'}', "ъ"},
	{':', "ж"}, {'"', "э"}, {'<', "б"}, {'>', "ю"}, {'~', "е"}, {'/', "."}, {'?', ","},
	{'&', "?"},
};

static const char *lat_to_cyr_key(int32_t cp)
{
	for (size_t i = 0; i < sizeof layout_map / sizeof layout_map[0]; i++)
		if (layout_map[i].lat == cp)
			return layout_map[i].cyr;
	return NULL;
}

/* Only letters map back; Russian punctuation keys are rarely mistyped that way. */
static int cyr_to_lat_key(int32_t cp)
{
	char tmp[5];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, (utf8proc_uint8_t *)tmp);
	tmp[n] = '\0';
	for (size_t i = 0; i < sizeof layout_map / sizeof layout_map[0]; i++)
		if (strcmp(layout_map[i].cyr, tmp) == 0 && ((layout_map[i].lat >= 'a' && layout_map[i].lat <= 'z') ||
							    layout_map[i].lat == '[' || layout_map[i].lat == ']' ||
							    layout_map[i].lat == ';' || layout_map[i].lat == '\'' ||
							    layout_map[i].lat == ',' || layout_map[i].lat == '.'))
			return layout_map[i].lat;
	return -1;
}

char *text_layout_to_ru(const char *in, size_t len)
{
	struct buf b = {0};
	buf_append(&b, "", 0);
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = decode(in + i, len - i, &adv);
		const char *k = cp < 128 ? lat_to_cyr_key(cp) : NULL;
		if (k)
			buf_puts(&b, k);
		else
			buf_append(&b, in + i, adv);
		i += adv;
	}
	return buf_steal(&b);
}

char *text_layout_to_en(const char *in, size_t len)
{
	struct buf b = {0};
	buf_append(&b, "", 0);
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = decode(in + i, len - i, &adv);
		int k = IS_CYR(cp) ? cyr_to_lat_key(cp) : -1;
		if (k >= 0) {
			char c = (char)k;
			buf_append(&b, &c, 1);
		} else {
			buf_append(&b, in + i, adv);
		}
		i += adv;
	}
	return buf_steal(&b);
}

static int lat_vowel(int c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* Transliteration with two switches for the ambiguous spellings: alt_sch reads "sch"
 * as "сч" instead of "щ", alt_e reads a word-initial "e" as "э". */
static char *translit(const char *in, size_t len, int alt_sch, int alt_e)
{
	static const struct {
		const char *lat;
		const char *cyr;
	} multi[] = {
		{"shch", "щ"}, {"sch", "щ"}, {"sh", "ш"}, {"ch", "ч"}, {"zh", "ж"}, {"kh", "х"},
		{"ts", "ц"}, {"ya", "я"}, {"ja", "я"}, {"yu", "ю"}, {"ju", "ю"}, {"yo", "е"},
		{"jo", "е"}, {"ye", "е"}, {"je", "е"}, {"ck", "к"}, {"ph", "ф"}, {"x", "кс"},
	};
	static const char *single[26] = {
		"а", "б", "ц", "д", "е", "ф", "г", "х", "и", "й", "к", "л", "м",
		"н", "о", "п", "к", "р", "с", "т", "у", "в", "в", "кс", "ы", "з",
	};
	struct buf b = {0};
	buf_append(&b, "", 0);
	int prev_letter = 0, prev_vowel = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 'a' && c <= 'z') {
			int done = 0;
			if (alt_sch && strncmp(in + i, "sch", 3) == 0 && len - i >= 3) {
				buf_puts(&b, "сч");
				i += 3, done = 1, prev_vowel = 0;
			}
			if (!done && alt_e && !prev_letter && c == 'e') {
				buf_puts(&b, "э");
				i += 1, done = 1, prev_vowel = 1;
			}
			for (size_t k = 0; !done && k < sizeof multi / sizeof multi[0]; k++) {
				size_t ml = strlen(multi[k].lat);
				if (len - i >= ml && strncmp(in + i, multi[k].lat, ml) == 0) {
					/* "ya", "yu"... after a consonant inside a word keep their
					 * vowel reading; "ts" only as a pair inside words. */
					buf_puts(&b, multi[k].cyr);
					/* я ю е are vowels: a following "y" is й. */
					prev_vowel = multi[k].lat[0] == 'y' || multi[k].lat[0] == 'j';
					i += ml, done = 1;
				}
			}
			if (!done) {
				if (c == 'y') {
					/* After a vowel "y" is й ("moy"); else ы, itself a
					 * vowel, so "novyy" gives новый. */
					buf_puts(&b, prev_vowel ? "й" : "ы");
					prev_vowel = !prev_vowel;
				} else {
					buf_puts(&b, single[c - 'a']);
					prev_vowel = lat_vowel(c);
				}
				i++;
			}
			prev_letter = 1;
		} else if (c == '\'' && prev_letter && i + 1 < len && in[i + 1] >= 'a' && in[i + 1] <= 'z') {
			buf_puts(&b, "ь");
			i++;
		} else {
			size_t adv;
			decode(in + i, len - i, &adv);
			buf_append(&b, in + i, adv);
			i += adv;
			prev_letter = prev_vowel = 0;
		}
	}
	return buf_steal(&b);
}

char *text_translit_to_ru(const char *in, size_t len)
{
	return translit(in, len, 0, 0);
}

/* ------------------------------------------------------------------ stemming */

struct text_ctx *text_ctx_new(void)
{
	struct text_ctx *ctx = xcalloc(1, sizeof *ctx);
	ctx->ru = sb_stemmer_new("russian", NULL);
	ctx->en = sb_stemmer_new("english", NULL);
	if (!ctx->ru || !ctx->en) {
		text_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

void text_ctx_free(struct text_ctx *ctx)
{
	if (!ctx)
		return;
	sb_stemmer_delete(ctx->ru);
	sb_stemmer_delete(ctx->en);
	free(ctx);
}

static int word_script(const char *w, size_t len)
{
	int cyr = 0, lat = 0, other = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = decode(w + i, len - i, &adv);
		i += adv;
		if (IS_CYR(cp))
			cyr++;
		else if (IS_LAT(cp))
			lat++;
		else
			other++;
	}
	if (cyr && !lat)
		return TEXT_SCRIPT_CYR;
	if (lat && !cyr)
		return TEXT_SCRIPT_LAT;
	return TEXT_SCRIPT_OTHER;
}

/* Returns the stem in a stemmer-owned buffer (valid until the next call) or w itself. */
static const char *stem_raw(struct text_ctx *ctx, const char *w, size_t len, size_t *out_len)
{
	int script = word_script(w, len);
	struct sb_stemmer *st = script == TEXT_SCRIPT_CYR ? ctx->ru : script == TEXT_SCRIPT_LAT ? ctx->en : NULL;
	if (st && len < 256) {
		const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)w, (int)len);
		if (s) {
			*out_len = (size_t)sb_stemmer_length(st);
			return (const char *)s;
		}
	}
	*out_len = len;
	return w;
}

char *text_stem(struct text_ctx *ctx, const char *word, size_t len)
{
	size_t n;
	const char *s = stem_raw(ctx, word, len, &n);
	return xstrndup(s, n);
}

/* ------------------------------------------------------------------ vocabulary and typo index */

struct vocab_word {
	uint32_t off;   /* into pool */
	uint32_t len;   /* bytes */
	uint32_t count; /* occurrences added */
	uint16_t ncp;   /* code points */
};

struct del_entry {
	uint64_t hash; /* hash of the word with some code points deleted */
	uint32_t id;
};

struct text_vocab {
	struct buf pool;          /* word bytes, each NUL-terminated */
	struct vocab_word *words;
	size_t n, cap;
	int32_t *slots;           /* open-addressing table of word ids, -1 empty */
	size_t n_slots;
	struct del_entry *dels;   /* sorted by hash */
	size_t n_dels;
	int built;
};

int text_typo_bound(size_t n)
{
	return n <= 4 ? 0 : n <= 7 ? 1 : 2;
}

struct text_vocab *text_vocab_new(void)
{
	struct text_vocab *v = xcalloc(1, sizeof *v);
	v->n_slots = 1024;
	v->slots = xmalloc(v->n_slots * sizeof *v->slots);
	memset(v->slots, 0xff, v->n_slots * sizeof *v->slots);
	return v;
}

void text_vocab_free(struct text_vocab *v)
{
	if (!v)
		return;
	buf_free(&v->pool);
	free(v->words);
	free(v->slots);
	free(v->dels);
	free(v);
}

static size_t slot_of(const struct text_vocab *v, const char *w, size_t len)
{
	size_t mask = v->n_slots - 1;
	size_t i = (size_t)fnv(w, len) & mask;
	for (;;) {
		int32_t id = v->slots[i];
		if (id < 0)
			return i;
		const struct vocab_word *e = &v->words[id];
		if (e->len == len && memcmp(v->pool.data + e->off, w, len) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

static void grow_slots(struct text_vocab *v)
{
	free(v->slots);
	v->n_slots *= 2;
	v->slots = xmalloc(v->n_slots * sizeof *v->slots);
	memset(v->slots, 0xff, v->n_slots * sizeof *v->slots);
	for (size_t id = 0; id < v->n; id++) {
		const struct vocab_word *e = &v->words[id];
		v->slots[slot_of(v, v->pool.data + e->off, e->len)] = (int32_t)id;
	}
}

int text_vocab_add(struct text_vocab *v, const char *word, size_t len)
{
	size_t s = slot_of(v, word, len);
	if (v->slots[s] >= 0) {
		v->words[v->slots[s]].count++;
		return v->slots[s];
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->words = xrealloc(v->words, v->cap * sizeof *v->words);
	}
	struct vocab_word *e = &v->words[v->n];
	e->off = (uint32_t)v->pool.len;
	e->len = (uint32_t)len;
	e->count = 1;
	int32_t cps[MAX_WORD_CP];
	int ncp = to_cps(word, len, cps, MAX_WORD_CP);
	e->ncp = (uint16_t)(ncp < 0 ? MAX_WORD_CP + 1 : ncp);
	buf_append(&v->pool, word, len);
	buf_append(&v->pool, "", 1);
	v->slots[s] = (int32_t)v->n;
	int id = (int)v->n++;
	if (v->n * 2 > v->n_slots)
		grow_slots(v);
	return id;
}

int text_vocab_find(const struct text_vocab *v, const char *word, size_t len)
{
	if (!v)
		return -1;
	return v->slots[slot_of(v, word, len)];
}

size_t text_vocab_size(const struct text_vocab *v)
{
	return v ? v->n : 0;
}

const char *text_vocab_word(const struct text_vocab *v, int id)
{
	return v->pool.data + v->words[id].off;
}

size_t text_vocab_memory(const struct text_vocab *v)
{
	return sizeof *v + v->pool.cap + v->cap * sizeof *v->words + v->n_slots * sizeof *v->slots +
	       v->n_dels * sizeof *v->dels;
}

/* Hash of cps with positions skip1 and skip2 left out (-1: none). */
static uint64_t del_hash(const int32_t *cps, int n, int skip1, int skip2)
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < n; i++) {
		if (i == skip1 || i == skip2)
			continue;
		h ^= (uint64_t)(uint32_t)cps[i];
		h *= 1099511628211ULL;
		h ^= h >> 29;
	}
	return h;
}

/* Calls fn for the hash of every string made by deleting up to d code points. */
static void for_each_delete(const int32_t *cps, int n, int d, void (*fn)(void *, uint64_t), void *ud)
{
	fn(ud, del_hash(cps, n, -1, -1));
	if (d >= 1)
		for (int i = 0; i < n; i++)
			fn(ud, del_hash(cps, n, i, -1));
	if (d >= 2)
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				fn(ud, del_hash(cps, n, i, j));
}

struct del_add {
	struct text_vocab *v;
	size_t cap;
	uint32_t id;
};

static void add_del_cb(void *ud, uint64_t h)
{
	struct del_add *a = ud;
	if (a->v->n_dels == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4096;
		a->v->dels = xrealloc(a->v->dels, a->cap * sizeof *a->v->dels);
	}
	a->v->dels[a->v->n_dels++] = (struct del_entry){h, a->id};
}

static int del_cmp(const void *a, const void *b)
{
	const struct del_entry *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

void text_vocab_build(struct text_vocab *v)
{
	struct del_add a = {v, 0, 0};
	for (size_t id = 0; id < v->n; id++) {
		const struct vocab_word *e = &v->words[id];
		int bound = text_typo_bound(e->ncp);
		if (bound == 0 || e->ncp > MAX_WORD_CP)
			continue;
		int32_t cps[MAX_WORD_CP];
		int n = to_cps(v->pool.data + e->off, e->len, cps, MAX_WORD_CP);
		a.id = (uint32_t)id;
		for_each_delete(cps, n, bound, add_del_cb, &a);
	}
	qsort(v->dels, v->n_dels, sizeof *v->dels, del_cmp);
	/* Deleting either of a doubled letter gives the same string: keep one entry. */
	size_t w = 0;
	for (size_t i = 0; i < v->n_dels; i++)
		if (w == 0 || v->dels[w - 1].hash != v->dels[i].hash || v->dels[w - 1].id != v->dels[i].id)
			v->dels[w++] = v->dels[i];
	v->n_dels = w;
	if (w)
		v->dels = xrealloc(v->dels, w * sizeof *v->dels);
	v->built = 1;
}

static int osa_cps(const int32_t *a, int n, const int32_t *b, int m, int max)
{
	if (abs(n - m) > max)
		return max + 1;
	int rows[3][MAX_WORD_CP + 2];
	int *pp = rows[0], *p = rows[1], *c = rows[2];
	for (int j = 0; j <= m; j++)
		p[j] = j;
	for (int i = 1; i <= n; i++) {
		c[0] = i;
		int row_min = c[0];
		for (int j = 1; j <= m; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (p[j - 1] + cost < v)
				v = p[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
			if (v < row_min)
				row_min = v;
		}
		if (row_min > max)
			return max + 1;
		int *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[m] > max ? max + 1 : p[m];
}

int text_distance(const char *a, size_t alen, const char *b, size_t blen, int max)
{
	int32_t ca[MAX_WORD_CP], cb[MAX_WORD_CP];
	int n = to_cps(a, alen, ca, MAX_WORD_CP), m = to_cps(b, blen, cb, MAX_WORD_CP);
	if (n < 0 || m < 0)
		return max + 1;
	return osa_cps(ca, n, cb, m, max);
}

struct correct_state {
	const struct text_vocab *v;
	const int32_t *cps;
	int n;
	int best, best_dist;
	uint32_t best_count;
	uint32_t tried[64];
	int n_tried;
};

static void correct_cb(void *ud, uint64_t h)
{
	struct correct_state *s = ud;
	const struct text_vocab *v = s->v;
	size_t lo = 0, hi = v->n_dels;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v->dels[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < v->n_dels && v->dels[i].hash == h; i++) {
		uint32_t id = v->dels[i].id;
		int seen = 0;
		for (int k = 0; k < s->n_tried && !seen; k++)
			seen = s->tried[k] == id;
		if (seen)
			continue;
		if (s->n_tried < 64)
			s->tried[s->n_tried++] = id;
		const struct vocab_word *e = &v->words[id];
		int shorter = e->ncp < s->n ? e->ncp : s->n;
		int bound = text_typo_bound((size_t)shorter);
		if (bound == 0)
			continue;
		int32_t cb[MAX_WORD_CP];
		int m = to_cps(v->pool.data + e->off, e->len, cb, MAX_WORD_CP);
		if (m < 0)
			continue;
		int d = osa_cps(s->cps, s->n, cb, m, bound);
		if (d > bound || d == 0)
			continue;
		if (s->best < 0 || d < s->best_dist || (d == s->best_dist && e->count > s->best_count)) {
			s->best = (int)id;
			s->best_dist = d;
			s->best_count = e->count;
		}
	}
}

int text_vocab_correct(const struct text_vocab *v, const char *word, size_t len, int *dist)
{
	if (!v || !v->built || v->n_dels == 0)
		return -1;
	int32_t cps[MAX_WORD_CP];
	int n = to_cps(word, len, cps, MAX_WORD_CP);
	int bound = n < 0 ? 0 : text_typo_bound((size_t)n);
	if (bound == 0)
		return -1;
	struct correct_state s = {.v = v, .cps = cps, .n = n, .best = -1};
	for_each_delete(cps, n, bound, correct_cb, &s);
	if (s.best >= 0 && dist)
		*dist = s.best_dist;
	return s.best;
}

/* ------------------------------------------------------------------ word scoring */

static int cyr_vowel(int32_t c)
{
	return c == 0x430 || c == 0x435 || c == 0x438 || c == 0x43E || c == 0x443 || c == 0x44B ||
	       c == 0x44D || c == 0x44E || c == 0x44F;
}

/* Does a word (one letter run) look like a word of its script? A crude test of vowels,
 * consonant clusters and letters that cannot start a word or follow a vowel. It only
 * has to tell "привет" from "ghbdtn" and "руддщ" from "hello". */
static int plausible(const char *w, size_t len)
{
	int32_t cps[MAX_WORD_CP];
	int n = to_cps(w, len, cps, MAX_WORD_CP);
	if (n <= 0)
		return 0;
	int cyr = IS_CYR(cps[0]);
	int vowels = 0, run = 0, maxrun = 0;
	for (int i = 0; i < n; i++) {
		int32_t c = cps[i];
		int v = cyr ? cyr_vowel(c) : (c < 128 && lat_vowel(c));
		if (cyr) {
			int soft = c == 0x44C || c == 0x44A; /* ь ъ */
			if ((soft || c == 0x44B) && i == 0)
				return 0;
			if (soft && i > 0 && (cyr_vowel(cps[i - 1]) || cps[i - 1] == 0x44C || cps[i - 1] == 0x44A))
				return 0;
			if (c == 0x439 && i > 0 && !cyr_vowel(cps[i - 1]))
				return 0; /* й after a consonant */
			if (soft)
				continue;
		}
		if (v) {
			vowels++;
			run = 0;
		} else if (++run > maxrun) {
			maxrun = run;
		}
	}
	if (n == 1) {
		/* One-letter words: Russian в к с у я и а о, English a i. */
		static const int32_t ru1[] = {0x432, 0x43A, 0x441, 0x443, 0x44F, 0x438, 0x430, 0x43E};
		if (!cyr)
			return cps[0] == 'a' || cps[0] == 'i';
		for (size_t i = 0; i < sizeof ru1 / sizeof ru1[0]; i++)
			if (cps[0] == ru1[i])
				return 1;
		return 0;
	}
	return vowels > 0 && maxrun <= 4;
}

enum {
	SCORE_EXACT = 100,
	SCORE_STEM = 80,
	SCORE_TYPO = 60, /* minus 10 per edit */
	SCORE_PLAUSIBLE = 20,
	SCORE_CONFIDENT = 40,
};

struct scorer {
	struct text_ctx *ctx;
	const struct text_opts *opts;
};

/* Default scorer: the reply set's vocabulary first, then "looks like a word". */
static int score_word(const struct scorer *sc, const char *w, size_t len)
{
	const struct text_opts *o = sc->opts;
	if (o && o->score)
		return o->score(o->score_ud, w, len);
	if (o && o->vocab) {
		if (text_vocab_find(o->vocab, w, len) >= 0)
			return SCORE_EXACT;
		if (o->stems) {
			size_t sl;
			const char *s = stem_raw(sc->ctx, w, len, &sl);
			if (text_vocab_find(o->stems, s, sl) >= 0)
				return SCORE_STEM;
		}
		int d;
		if (text_vocab_correct(o->vocab, w, len, &d) >= 0)
			return SCORE_TYPO - 10 * d;
	}
	return plausible(w, len) ? SCORE_PLAUSIBLE : 0;
}

/* Scores a chunk: the mean score of its letter runs (0 if it has none). */
static int score_chunk(const struct scorer *sc, const char *s, size_t len)
{
	int total = 0, words = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = decode(s + i, len - i, &adv);
		if (!is_letter_cat(cp)) {
			i += adv;
			continue;
		}
		size_t start = i;
		while (i < len) {
			cp = decode(s + i, len - i, &adv);
			if (!is_letter_cat(cp))
				break;
			i += adv;
		}
		total += score_word(sc, s + start, i - start);
		words++;
	}
	return words ? total / words : 0;
}

/* ------------------------------------------------------------------ chunk repair */

struct chunk {
	const char *src; /* the chunk as normalised */
	size_t len;
	char *best;      /* chosen form (malloc'd) or NULL for "as written" */
	int how;         /* enum text_how of best */
	int score;       /* score of the chosen form */
	int confident;
	char *alt[2];    /* layout and translit forms for the second pass */
	int alt_score[2];
	int written_score;
};

/* Latin tokens that customers write in Latin even in Russian text and that must not
 * be re-read on the other layout or transliterated. */
static int is_latin_term(const char *s, size_t len)
{
	static const char *const terms[] = {"gb", "mb", "sms", "sim", "esim", "wifi", "wi", "fi", "lte",
					    "4g", "5g", "3g", "ok", "id", "pin", "puk", "mms", "usb", "vk",
					    "tv", "iphone", "android", "ios", "app", "internet", NULL};
	size_t core = len;
	while (core > 0 && strchr(".,!?;:", s[core - 1]))
		core--;
	for (const char *const *t = terms; *t; t++)
		if (strlen(*t) == core && memcmp(*t, s, core) == 0)
			return 1;
	return 0;
}

/* Replaces Latin letters that look like Cyrillic ones in a mostly Cyrillic word
 * ("тapиф" with Latin a and p). Returns a malloc'd string or NULL if nothing changed. */
static char *fix_homoglyphs(const char *s, size_t len)
{
	static const char from[] = "aeopcxykmtbh";
	static const char *to[] = {"а", "е", "о", "р", "с", "х", "у", "к", "м", "т", "в", "н"};
	int cyr = 0, lat = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = decode(s + i, len - i, &adv);
		i += adv;
		cyr += IS_CYR(cp);
		lat += cp < 128 && cp >= 'a' && cp <= 'z';
	}
	if (!cyr || !lat || lat > cyr)
		return NULL;
	struct buf b = {0};
	buf_append(&b, "", 0);
	for (size_t i = 0; i < len; i++) {
		const char *f = (unsigned char)s[i] < 128 && s[i] ? strchr(from, s[i]) : NULL;
		if (f)
			buf_puts(&b, to[f - from]);
		else
			buf_append(&b, s + i, 1);
	}
	return buf_steal(&b);
}

static void consider(struct chunk *ch, char *cand, int how, int score)
{
	if (score > ch->score) {
		free(ch->best);
		ch->best = cand;
		ch->how = how;
		ch->score = score;
	} else {
		free(cand);
	}
}

/* First pass over one chunk. Fills the candidates and, when one clearly wins, the
 * choice. */
static void repair_chunk(const struct scorer *sc, struct chunk *ch)
{
	int has_lat = 0, has_cyr = 0;
	for (size_t i = 0; i < ch->len;) {
		size_t adv;
		int32_t cp = decode(ch->src + i, ch->len - i, &adv);
		i += adv;
		has_lat |= cp >= 'a' && cp <= 'z';
		has_cyr |= IS_CYR(cp);
	}
	if (has_lat && has_cyr) {
		ch->best = fix_homoglyphs(ch->src, ch->len);
		ch->how = TEXT_AS_WRITTEN;
		ch->confident = 1;
		return;
	}
	if (has_cyr) {
		/* English typed on the Russian layout ("ифдфтсу"): only when the
		 * reply set knows the Latin form and not the Cyrillic one. */
		const struct text_opts *o = sc->opts;
		if (!o || !o->vocab || o->no_repair)
			return;
		int w = score_chunk(sc, ch->src, ch->len);
		if (w >= SCORE_CONFIDENT)
			return;
		char *en = text_layout_to_en(ch->src, ch->len);
		if (score_chunk(sc, en, strlen(en)) >= SCORE_STEM) {
			ch->best = en;
			ch->how = TEXT_LAYOUT;
			ch->confident = 1;
		} else {
			free(en);
		}
		return;
	}
	if (!has_lat)
		return;
	ch->written_score = ch->score = score_chunk(sc, ch->src, ch->len);
	/* Units and acronyms glued to numbers ("10gb", "4g") are written as meant. */
	for (size_t i = 0; i < ch->len; i++)
		if (ch->src[i] >= '0' && ch->src[i] <= '9')
			ch->written_score = ch->score = SCORE_EXACT;
	if (is_latin_term(ch->src, ch->len))
		ch->written_score = ch->score = SCORE_EXACT;
	ch->how = TEXT_AS_WRITTEN;

	/* Layout: the whole chunk, and the chunk with its trailing punctuation kept as
	 * punctuation ("ghbdtn," is "привет," rather than "приветб"). */
	char *lay = text_layout_to_ru(ch->src, ch->len);
	int ls = score_chunk(sc, lay, strlen(lay));
	size_t core = ch->len;
	while (core > 0 && strchr(".,!?;:", ch->src[core - 1]))
		core--;
	if (core > 0 && core < ch->len) {
		char *l2 = text_layout_to_ru(ch->src, core);
		struct buf b = {0};
		buf_puts(&b, l2);
		buf_append(&b, ch->src + core, ch->len - core);
		free(l2);
		int s2 = score_chunk(sc, b.data, b.len);
		if (s2 >= ls) {
			free(lay);
			lay = buf_steal(&b);
			ls = s2;
		} else {
			buf_free(&b);
		}
	}
	/* Transliteration: a word only wins this way if the reply set knows it. */
	char *tr = NULL;
	int ts = -1;
	int has_sch = 0, has_e = ch->src[0] == 'e';
	for (size_t i = 0; i + 3 <= ch->len && !has_sch; i++)
		has_sch = memcmp(ch->src + i, "sch", 3) == 0;
	for (int alt_sch = 0; alt_sch <= has_sch; alt_sch++)
		for (int alt_e = 0; alt_e <= has_e; alt_e++) {
			char *t = translit(ch->src, ch->len, alt_sch, alt_e);
			int s = score_chunk(sc, t, strlen(t));
			if (s > ts) {
				free(tr);
				tr = t;
				ts = s;
			} else {
				free(t);
			}
		}
	if (ts < SCORE_CONFIDENT && ts <= ch->written_score)
		ts = ts > SCORE_PLAUSIBLE ? SCORE_PLAUSIBLE : ts;
	ch->alt[0] = xstrdup(lay);
	ch->alt_score[0] = ls;
	ch->alt[1] = xstrdup(tr);
	ch->alt_score[1] = ts;
	consider(ch, lay, TEXT_LAYOUT, ls);
	consider(ch, tr, TEXT_TRANSLIT, ts);
	int others = 0;
	if (ch->how != TEXT_AS_WRITTEN && ch->written_score >= ch->score)
		others = 1;
	ch->confident = ch->score >= SCORE_CONFIDENT && !others;
	/* A gibberish-as-written chunk that becomes a plausible word on the other
	 * layout is a confident layout decision even for words the set does not know. */
	if (ch->how == TEXT_LAYOUT && ch->written_score == 0 && ls >= SCORE_PLAUSIBLE)
		ch->confident = 1;
}

/* Second pass: undecided chunks follow the majority of the confident ones. */
static void settle_chunks(struct chunk *chs, size_t n)
{
	int votes[4] = {0};
	for (size_t i = 0; i < n; i++)
		if (chs[i].confident && chs[i].alt[0])
			votes[chs[i].how]++;
	int mode = TEXT_AS_WRITTEN;
	if (votes[TEXT_LAYOUT] > votes[mode])
		mode = TEXT_LAYOUT;
	if (votes[TEXT_TRANSLIT] > votes[mode])
		mode = TEXT_TRANSLIT;
	for (size_t i = 0; i < n; i++) {
		struct chunk *ch = &chs[i];
		if (ch->confident || !ch->alt[0] || mode == TEXT_AS_WRITTEN)
			continue;
		int k = mode == TEXT_LAYOUT ? 0 : 1;
		int s = ch->alt_score[k];
		/* Follow the majority unless the chunk's own best form is known. */
		if (ch->score >= SCORE_CONFIDENT && ch->how != mode)
			continue;
		if (s >= SCORE_PLAUSIBLE || ch->score < SCORE_PLAUSIBLE) {
			free(ch->best);
			ch->best = xstrdup(ch->alt[k]);
			ch->how = mode;
			ch->score = s;
		}
	}
}

/* ------------------------------------------------------------------ phones */

int text_phone_normalize(const char *s, char out[16])
{
	char d[16];
	int n = 0, plus = 0;
	const char *p = s;
	while (*p == ' ')
		p++;
	if (*p == '+') {
		plus = 1;
		p++;
	}
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 15)
				return -1;
			d[n++] = *p;
		} else if (!strchr(" -().", *p)) {
			return -1;
		}
	}
	const char *ten;
	if (n == 11 && (d[0] == '7' || (d[0] == '8' && !plus)))
		ten = d + 1;
	else if (n == 10 && !plus && d[0] == '9')
		ten = d;
	else
		return -1;
	memcpy(out, "+7", 2);
	memcpy(out + 2, ten, 10);
	out[12] = '\0';
	return 0;
}

struct phone_span {
	size_t start, end;
	char phone[16];
};

/* Finds phone numbers in the normalised text. A number starts at '+' or at a digit
 * that follows no letter or digit, takes digits and single separators, and must end
 * at a word boundary. */
static size_t find_phones(const char *s, size_t len, struct phone_span *spans, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < max; i++) {
		char c = s[i];
		if (!(c == '+' || (c >= '0' && c <= '9')))
			continue;
		if (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || (unsigned char)s[i - 1] >= 0x80 ||
			      (s[i - 1] >= 'a' && s[i - 1] <= 'z') || s[i - 1] == '+'))
			continue;
		size_t j = i + (c == '+');
		int digits = 0, seps = 0;
		size_t last = j;
		char tmp[40];
		size_t tl = 0;
		if (c == '+')
			tmp[tl++] = '+';
		while (j < len && digits < 11 && tl < sizeof tmp - 1) {
			char x = s[j];
			if (x >= '0' && x <= '9') {
				digits++;
				seps = 0;
				tmp[tl++] = x;
				last = j + 1;
			} else if (strchr(" -().", x) && x && ++seps <= 2) {
				tmp[tl++] = x;
			} else {
				break;
			}
			j++;
		}
		/* Cut tmp back to the last digit. */
		size_t keep = 0;
		for (size_t k = 0; k < tl; k++)
			if (tmp[k] >= '0' && tmp[k] <= '9')
				keep = k + 1;
		tmp[keep] = '\0';
		if (last < len && ((s[last] >= '0' && s[last] <= '9') || (s[last] >= 'a' && s[last] <= 'z')))
			continue;
		if (digits >= 10 && text_phone_normalize(tmp, spans[n].phone) == 0) {
			spans[n].start = i;
			spans[n].end = last;
			n++;
			i = last - 1;
		}
	}
	return n;
}

/* ------------------------------------------------------------------ tokens and entities */

static int tok_is(const struct text_token *t, const char *w)
{
	return t->kind == TEXT_WORD && strcmp(t->text, w) == 0;
}

static int tok_prefix(const struct text_token *t, const char *p)
{
	return t->kind == TEXT_WORD && strncmp(t->text, p, strlen(p)) == 0;
}

static int tok_any_prefix(const struct text_token *t, const char *const *ps)
{
	for (; *ps; ps++)
		if (tok_prefix(t, *ps))
			return 1;
	return 0;
}

static int tok_any_is(const struct text_token *t, const char *const *ws)
{
	for (; *ws; ws++)
		if (tok_is(t, *ws))
			return 1;
	return 0;
}

enum unit { U_NONE, U_MIN, U_GB, U_MB, U_SMS, U_RUB };

static enum unit unit_of(const struct text_token *t)
{
	static const char *const min_w[] = {"мин", "min", "mins", "м", NULL};
	static const char *const min_p[] = {"минут", "minut", NULL};
	static const char *const gb_w[] = {"гб", "gb", "g", "г", "gbs", NULL};
	static const char *const gb_p[] = {"гиг", "gig", "гигабайт", NULL};
	static const char *const mb_w[] = {"мб", "mb", NULL};
	static const char *const mb_p[] = {"мегабайт", "megabyte", "мегов", NULL};
	static const char *const sms_w[] = {"смс", "sms", "смски", "смсок", "эсэмэс", NULL};
	static const char *const sms_p[] = {"сообщен", "messag", "texts", NULL};
	static const char *const rub_w[] = {"р", "руб", "rub", "rur", "rubles", "roubles", "₽", NULL};
	static const char *const rub_p[] = {"рубл", "rubl", "roubl", NULL};
	if (t->kind == TEXT_PUNCT)
		return strcmp(t->text, "₽") == 0 ? U_RUB : U_NONE;
	if (t->kind != TEXT_WORD)
		return U_NONE;
	if (tok_any_is(t, min_w) || tok_any_prefix(t, min_p))
		return U_MIN;
	if (tok_any_is(t, gb_w) || tok_any_prefix(t, gb_p))
		return U_GB;
	if (tok_any_is(t, mb_w) || tok_any_prefix(t, mb_p))
		return U_MB;
	if (tok_any_is(t, sms_w) || tok_any_prefix(t, sms_p))
		return U_SMS;
	if (tok_any_is(t, rub_w) || tok_any_prefix(t, rub_p))
		return U_RUB;
	return U_NONE;
}

/* Reads numbers with units and "unlimited" words into a->ent. used[] marks tokens
 * already taken by the account number. */
static void read_quantities(struct text_analysis *a, const unsigned char *used)
{
	static const char *const budget_cue[] = {"до", "дешевле", "дороже", "бюджет", "максимум", "макс",
						 "under", "budget", "within", "max", "below", "than", NULL};
	static const char *const unl_p[] = {"безлимит", "безлим", "unlimit", "анлим", NULL};
	static const char *const call_p[] = {"минут", "звонк", "разговор", "call", "minut", "мин", NULL};
	static const char *const sms_p[] = {"смс", "sms", "сообщен", "messag", NULL};
	struct text_entities *e = &a->ent;
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		if (t->kind == TEXT_WORD && tok_any_prefix(t, unl_p)) {
			double *what = &e->gb;
			/* "безлимит на всё": every service. */
			for (size_t k = i + 1; k < a->n_tokens && k <= i + 2; k++)
				if (tok_is(&a->tokens[k], "все") || tok_is(&a->tokens[k], "всё") ||
				    tok_is(&a->tokens[k], "everything"))
					e->minutes = e->sms = TEXT_UNLIMITED;
			for (size_t k = i > 2 ? i - 2 : 0; k < a->n_tokens && k <= i + 2; k++) {
				if (k == i)
					continue;
				if (tok_any_prefix(&a->tokens[k], call_p))
					what = &e->minutes;
				else if (tok_any_prefix(&a->tokens[k], sms_p))
					what = &e->sms;
			}
			*what = TEXT_UNLIMITED;
			continue;
		}
		if (t->kind != TEXT_NUMBER || used[i])
			continue;
		double v = strtod(t->text, NULL);
		size_t j = i + 1;
		/* A decimal fraction: "1.5" or "1,5" with nothing between. */
		if (j + 1 < a->n_tokens && a->tokens[j].kind == TEXT_PUNCT && !a->tokens[j].space_before &&
		    (strcmp(a->tokens[j].text, ".") == 0 || strcmp(a->tokens[j].text, ",") == 0) &&
		    a->tokens[j + 1].kind == TEXT_NUMBER && !a->tokens[j + 1].space_before) {
			char tmp[64];
			snprintf(tmp, sizeof tmp, "%s.%s", t->text, a->tokens[j + 1].text);
			v = strtod(tmp, NULL);
			j += 2;
			i += 2; /* the fraction is not a number of its own */
		}
		/* Thousands: "1 тыс руб", "2k". */
		if (j < a->n_tokens && (tok_prefix(&a->tokens[j], "тыс") || tok_is(&a->tokens[j], "k") ||
					tok_is(&a->tokens[j], "к"))) {
			v *= 1000;
			j++;
		}
		enum unit u = j < a->n_tokens ? unit_of(&a->tokens[j]) : U_NONE;
		/* The unit may come first: "минут 1500". */
		if (u == U_NONE && i > 0 && a->tokens[i - 1].kind == TEXT_WORD)
			u = unit_of(&a->tokens[i - 1]);
		/* "до 600" with a budget cue before and no unit after is money. */
		if (u == U_NONE && i > 0 && tok_any_is(&a->tokens[i - 1], budget_cue) && v >= 50)
			u = U_RUB;
		if (u == U_NONE && i > 1 && tok_is(&a->tokens[i - 1], "за") && v >= 50)
			u = U_RUB;
		switch (u) {
		case U_MIN: e->minutes = v; break;
		case U_GB: e->gb = v; break;
		case U_MB: e->gb = v / 1024.0; break;
		case U_SMS: e->sms = v; break;
		case U_RUB: e->budget = v; break;
		case U_NONE: break;
		}
	}
}

/* "интернет почти не нужен", "звонков почти нет", "no internet": a service the
 * customer does not want counts as zero, when nothing else was said about it. Only
 * read when the message states some other quantity, so that "не работает интернет"
 * alone is no tariff need. */
static void read_zero_needs(struct text_analysis *a)
{
	static const char *const neg[] = {"не", "нет", "без", "no", "without", "ни", NULL};
	static const char *const gb_p[] = {"интернет", "трафик", "internet", "data", NULL};
	static const char *const min_p[] = {"звонк", "звоню", "calls", "разговор", NULL};
	static const char *const sms_p[] = {"смс", "sms", "сообщен", NULL};
	struct text_entities *e = &a->ent;
	if (e->minutes < 0 && e->gb < 0 && e->sms < 0)
		return;
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		double *what = tok_any_prefix(t, gb_p) ? &e->gb : tok_any_prefix(t, min_p) ? &e->minutes
							: tok_any_prefix(t, sms_p)       ? &e->sms
											 : NULL;
		if (!what || *what >= 0)
			continue;
		size_t lo = i > 2 ? i - 2 : 0;
		for (size_t k = lo; k < a->n_tokens && k <= i + 3; k++)
			if (k != i && tok_any_is(&a->tokens[k], neg)) {
				*what = 0;
				break;
			}
	}
}

/* Finds a personal account / contract number: a run of digits (>= 4) within a few
 * tokens after "лицевой счет", "л/с", "договор", "account", "contract". */
static void read_account(struct text_analysis *a, unsigned char *used)
{
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		size_t after = 0;
		if (tok_prefix(t, "лицев") && i + 1 < a->n_tokens && tok_prefix(&a->tokens[i + 1], "сч"))
			after = i + 2;
		else if (tok_is(t, "л") && i + 2 < a->n_tokens && strcmp(a->tokens[i + 1].text, "/") == 0 &&
			 tok_is(&a->tokens[i + 2], "с"))
			after = i + 3;
		else if (tok_is(t, "лс") || tok_prefix(t, "договор") || tok_prefix(t, "account") ||
			 tok_prefix(t, "contract") || tok_is(t, "ls"))
			after = i + 1;
		if (!after)
			continue;
		for (size_t k = after; k < a->n_tokens && k < after + 5; k++) {
			const struct text_token *n = &a->tokens[k];
			if (n->kind == TEXT_NUMBER && n->len >= 4 && n->len < sizeof a->ent.account) {
				memcpy(a->ent.account, n->text, n->len + 1);
				used[k] = 1;
				return;
			}
			if (n->kind == TEXT_PHONE)
				break;
		}
	}
}

/* ------------------------------------------------------------------ text_analyze */

struct token_builder {
	struct text_analysis *a;
	size_t cap;
};

static struct text_token *push_token(struct token_builder *tb)
{
	struct text_analysis *a = tb->a;
	if (a->n_tokens == tb->cap) {
		tb->cap = tb->cap ? tb->cap * 2 : 32;
		a->tokens = xrealloc(a->tokens, tb->cap * sizeof *a->tokens);
	}
	struct text_token *t = &a->tokens[a->n_tokens++];
	memset(t, 0, sizeof *t);
	return t;
}

/* Splits the repaired text into tokens; hows[] gives the repair of each byte's chunk. */
static void tokenize(struct token_builder *tb, const char *s, size_t len, const unsigned char *hows,
		     const struct phone_span *ph, size_t n_ph)
{
	struct text_analysis *a = tb->a;
	int space = 1;
	size_t next_ph = 0;
	for (size_t i = 0; i < len;) {
		if (next_ph < n_ph && i == ph[next_ph].start) {
			struct text_token *t = push_token(tb);
			t->text = t->orig = t->stem = arena_strndup(&a->arena, ph[next_ph].phone, 12);
			t->len = 12;
			t->kind = TEXT_PHONE;
			t->space_before = (uint8_t)space;
			space = 0;
			i = ph[next_ph].end;
			next_ph++;
			continue;
		}
		size_t adv;
		int32_t cp = decode(s + i, len - i, &adv);
		if (cp == ' ') {
			space = 1;
			i += adv;
			continue;
		}
		size_t start = i;
		int kind;
		if (is_letter_cat(cp)) {
			kind = TEXT_WORD;
			while (i < len) {
				cp = decode(s + i, len - i, &adv);
				if (!is_letter_cat(cp))
					break;
				i += adv;
			}
		} else if (cp >= '0' && cp <= '9') {
			kind = TEXT_NUMBER;
			while (i < len && s[i] >= '0' && s[i] <= '9' && !(next_ph < n_ph && i == ph[next_ph].start))
				i++;
		} else {
			kind = TEXT_PUNCT;
			i += adv;
		}
		size_t n = i - start;
		if (n > 0xFFFF)
			n = 0xFFFF;
		struct text_token *t = push_token(tb);
		t->text = t->orig = t->stem = arena_strndup(&a->arena, s + start, n);
		t->len = (uint16_t)n;
		t->kind = (uint8_t)kind;
		t->how = hows[start];
		t->space_before = (uint8_t)space;
		t->script = kind == TEXT_WORD ? (uint8_t)word_script(s + start, n) : TEXT_SCRIPT_OTHER;
		space = 0;
	}
}

int text_analyze(struct text_ctx *ctx, const char *in, size_t len, const struct text_opts *opts,
		 struct text_analysis *out)
{
	memset(out, 0, sizeof *out);
	out->ent.minutes = out->ent.gb = out->ent.sms = out->ent.budget = -1;
	if (!ctx)
		return -1;
	if (!in)
		in = "", len = 0;
	struct raw_counts rc = {0};
	char *norm = normalize(in, len, &rc);
	out->n_letters = rc.letters;
	out->n_upper = rc.upper;
	out->n_exclaim = rc.exclaim;
	struct scorer sc = {ctx, opts};
	int repair = !(opts && opts->no_repair);

	/* Chunks (whitespace-separated) and their repair. */
	size_t nlen = strlen(norm);
	size_t n_ch = 0, cap_ch = 16;
	struct chunk *chs = xcalloc(cap_ch, sizeof *chs);
	for (size_t i = 0; i < nlen;) {
		size_t end = i;
		while (end < nlen && norm[end] != ' ')
			end++;
		if (n_ch == cap_ch) {
			cap_ch *= 2;
			chs = xrealloc(chs, cap_ch * sizeof *chs);
		}
		chs[n_ch] = (struct chunk){.src = norm + i, .len = end - i};
		if (repair)
			repair_chunk(&sc, &chs[n_ch]);
		n_ch++;
		i = end + 1;
	}
	if (repair)
		settle_chunks(chs, n_ch);

	/* The repaired text, with the repair kind of every byte alongside. */
	struct buf fixed = {0};
	struct buf hows = {0};
	buf_append(&fixed, "", 0);
	for (size_t k = 0; k < n_ch; k++) {
		struct chunk *ch = &chs[k];
		if (k)
			buf_append(&fixed, " ", 1);
		const char *s = ch->best ? ch->best : ch->src;
		size_t l = ch->best ? strlen(ch->best) : ch->len;
		buf_append(&fixed, s, l);
		unsigned char h = (unsigned char)(ch->best ? ch->how : TEXT_AS_WRITTEN);
		if (h == TEXT_LAYOUT)
			out->n_layout++;
		else if (h == TEXT_TRANSLIT)
			out->n_translit++;
		while (hows.len < fixed.len)
			buf_append(&hows, &h, 1);
		free(ch->best);
		free(ch->alt[0]);
		free(ch->alt[1]);
	}
	buf_append(&hows, "", 1);
	free(chs);

	struct phone_span ph[8];
	size_t n_ph = find_phones(fixed.data, fixed.len, ph, 8);
	if (n_ph)
		memcpy(out->ent.phone, ph[0].phone, 13);

	struct token_builder tb = {out, 0};
	tokenize(&tb, fixed.data, fixed.len, (const unsigned char *)hows.data, ph, n_ph);
	buf_free(&hows);

	/* Typos and stems, word by word. */
	int cyr = 0, lat = 0;
	for (size_t i = 0; i < out->n_tokens; i++) {
		struct text_token *t = &out->tokens[i];
		if (t->kind != TEXT_WORD)
			continue;
		if (repair && opts && opts->vocab && text_vocab_find(opts->vocab, t->text, t->len) < 0) {
			int known_stem = 0;
			if (opts->stems) {
				size_t sl;
				const char *s = stem_raw(ctx, t->text, t->len, &sl);
				known_stem = text_vocab_find(opts->stems, s, sl) >= 0;
			}
			int d, id = known_stem ? -1 : text_vocab_correct(opts->vocab, t->text, t->len, &d);
			if (id >= 0) {
				const char *w = text_vocab_word(opts->vocab, id);
				t->text = arena_strndup(&out->arena, w, strlen(w));
				t->len = (uint16_t)strlen(w);
				t->how = TEXT_TYPO;
				t->script = (uint8_t)word_script(t->text, t->len);
				out->n_typo++;
			}
		}
		size_t sl;
		const char *s = stem_raw(ctx, t->text, t->len, &sl);
		t->stem = arena_strndup(&out->arena, s, sl);
		if (t->script == TEXT_SCRIPT_CYR)
			cyr += t->len / 2;
		else if (t->script == TEXT_SCRIPT_LAT)
			lat += t->len;
	}
	out->lang = cyr || lat ? (cyr >= lat ? "ru" : "en") : NULL;

	/* The final normalised text. */
	struct buf nb = {0};
	buf_append(&nb, "", 0);
	for (size_t i = 0; i < out->n_tokens; i++) {
		if (i)
			buf_append(&nb, " ", 1);
		buf_append(&nb, out->tokens[i].text, out->tokens[i].len);
	}
	out->norm = buf_steal(&nb);

	unsigned char *used = xcalloc(out->n_tokens + 1, 1);
	read_account(out, used);
	read_quantities(out, used);
	read_zero_needs(out);
	free(used);
	buf_free(&fixed);
	free(norm);
	return 0;
}

void text_analysis_free(struct text_analysis *a)
{
	if (!a)
		return;
	free(a->norm);
	free(a->tokens);
	arena_free(a->arena);
	memset(a, 0, sizeof *a);
}

int text_has_phrase(const struct text_analysis *a, const char *phrase)
{
	/* Split the phrase the way messages are split: letters, digit runs, single
	 * symbols. A phrase has at most 16 parts. */
	const char *part[16];
	size_t plen[16];
	size_t np = 0;
	size_t len = strlen(phrase);
	for (size_t i = 0; i < len && np < 16;) {
		size_t adv;
		int32_t cp = decode(phrase + i, len - i, &adv);
		if (cp == ' ') {
			i += adv;
			continue;
		}
		size_t start = i;
		if (is_letter_cat(cp)) {
			while (i < len && is_letter_cat(decode(phrase + i, len - i, &adv)))
				i += adv;
		} else if (cp >= '0' && cp <= '9') {
			while (i < len && phrase[i] >= '0' && phrase[i] <= '9')
				i++;
		} else {
			i += adv;
		}
		part[np] = phrase + start;
		plen[np++] = i - start;
	}
	if (np == 0)
		return 0;
	for (size_t i = 0; i + np <= a->n_tokens; i++) {
		/* The first byte rules out almost every position cheaply. */
		if (a->tokens[i].text[0] != part[0][0] && a->tokens[i].orig[0] != part[0][0])
			continue;
		size_t k = 0;
		for (; k < np; k++) {
			const struct text_token *t = &a->tokens[i + k];
			if (strncmp(t->text, part[k], plen[k]) != 0 && strncmp(t->orig, part[k], plen[k]) != 0)
				break;
		}
		if (k == np)
			return 1;
	}
	return 0;
}
