/* Text normalisation, repair and entity recognition (see text.h).
 *
 * The pipeline of text_analyze():
 *   1. repair broken UTF-8 (U+FFFD), NFKC + case folding, ё -> е, stray combining
 *      marks and control characters removed, whitespace collapsed;
 *   2. per whitespace-separated chunk written in Latin letters, choose between the
 *      chunk as written, the chunk re-read on the Russian keyboard layout and its
 *      transliteration, by asking a scorer which form the reply set knows (two passes:
 *      confident decisions first, then the undecided chunks follow the majority);
 *   3. find phone numbers (before tokenising, because they span separators);
 *   4. tokenise into words, digit runs and single punctuation/emoji tokens;
 *   5. correct typos of unknown words against the vocabulary, stem every word;
 *   6. read entities (numbers with units, unlimited, phone, account).
 *
 * Speed (bench/matcher.c): a message costs a few microseconds, so the common path
 * avoids the general machinery. Text made only of ASCII, basic Cyrillic and a few
 * context-free symbols is folded by a table; anything else goes through utf8proc
 * (NFKC and case folding need context there). Every word is looked up once per
 * message (a memo in the context remembers its vocabulary id, stem and typo
 * correction), known words take their stem from the vocabulary instead of the
 * stemmer, and typo correction is a symmetric-delete lookup whose deletion hashes cost
 * O(1) each. All working memory lives in the context and is reused; an analysis
 * makes one allocation for everything it returns. */
#include "text.h"

#include <hunspell.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "text_cache.h"
#include "xalloc.h"

/* Words longer than this (in code points) are never corrected: no real word is. */
#define MAX_WORD_CP 40
/* The code point ranges we call Cyrillic / Latin letters. */
#define IS_CYR(c) ((c) >= 0x400 && (c) <= 0x4FF)
#define IS_LAT(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 0xC0 && (c) <= 0x24F))
/* Slots of the per-message word memo (a power of two); when more than three quarters
 * are used, further words are simply not remembered. */
#define MEMO_SLOTS 512
/* The word cache of a context (text_cache.h): at most 12288 entries and 1 MiB of
 * words, stems and dictionary forms, 1.25 MiB in all. A message adds a few hundred
 * bytes, the reply set's own words (cached while its index is built) a few hundred
 * kilobytes. */
#define CACHE_SLOTS 16384
#define CACHE_BYTES (1024 * 1024)
/* Multiplier of the code point hash (odd). */
#define POLY_B 0x100000001B3ULL

/* What the text module remembers about one word during one analysis. */
struct memo {
	uint64_t hash;     /* fnv of the bytes; 0 with gen != ctx gen: empty */
	uint32_t gen;      /* analysis it belongs to */
	uint32_t word;     /* offset of the word's bytes in the memo pool */
	uint32_t len;      /* bytes */
	int32_t vocab;     /* id in opts->vocab, or -1 */
	int32_t typo;      /* corrected id, or -1 (when typo_done) */
	uint32_t stem;     /* offset of the stem in the memo pool (when stem_done) */
	uint32_t stem_len;
	int8_t typo_dist;
	uint8_t stem_done, typo_done;
	int8_t stem_known; /* -1 not yet asked */
	int8_t spelled;    /* the dictionary knows the word: -1 not yet asked */
};

/* A token under construction, pointing into the context's scratch buffers. */
struct ptok {
	uint32_t off, len;      /* orig: in the repaired text */
	uint32_t text, tlen;    /* final form: offset in the memo pool, or UINT32_MAX = orig */
	uint32_t stem, slen;    /* stem: offset in the memo pool, or UINT32_MAX = text */
	uint8_t kind, script, how, space;
	char phone[13];
};

struct chunk;

struct text_ctx {
	struct sb_stemmer *ru; /* Russian Snowball stemmer */
	struct sb_stemmer *en; /* English (Porter2) Snowball stemmer */
	/* Scratch, reused by every analysis (one thread, see text.h). */
	struct buf norm;       /* normalised text */
	struct buf fixed;      /* repaired text */
	struct buf hows;       /* repair kind of every byte of fixed */
	struct buf cand;       /* candidate spellings of chunks */
	struct buf pool;       /* memo words, stems and corrections */
	struct chunk *chunks;
	size_t cap_chunks;
	struct ptok *toks;
	size_t cap_toks;
	unsigned char *used;
	size_t cap_used;
	struct buf glue;       /* the repaired text with glued words split */
	struct buf glue_hows;
	struct text_dict *dict; /* Russian spelling dictionary (a reference), or NULL */
	struct memo *memo;     /* MEMO_SLOTS entries, allocated on first use */
	struct text_cache *cache; /* dictionary and stemmer answers, kept across messages */
	uint32_t gen;
	uint32_t memo_used;
};

/* Everything an analysis returns lives in one block (see text_analysis_free). */
struct text_arena {
	size_t used, cap;
	char data[];
};

/* ------------------------------------------------------------------ utilities */

/* Appends n bytes to a scratch buffer; the fast path is a plain copy. */
static inline void bput(struct buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 <= b->cap) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	buf_append(b, s, n);
}

/* Decodes the code point at s (len >= 1 bytes available). Invalid, overlong,
 * surrogate or truncated sequences give U+FFFD and advance one byte, as utf8proc's
 * validation would. */
static inline int32_t u8dec(const char *s, size_t len, size_t *adv)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[0];
	if (c < 0x80) {
		*adv = 1;
		return (int32_t)c;
	}
	if (c >= 0xC2 && c <= 0xDF && len >= 2 && (p[1] & 0xC0) == 0x80) {
		*adv = 2;
		return (int32_t)(((c & 0x1F) << 6) | (p[1] & 0x3F));
	}
	if (c >= 0xE0 && c <= 0xEF && len >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
		int32_t cp = (int32_t)(((c & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu));
		if (cp >= 0x800 && !(cp >= 0xD800 && cp <= 0xDFFF)) {
			*adv = 3;
			return cp;
		}
	} else if (c >= 0xF0 && c <= 0xF4 && len >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
		   (p[3] & 0xC0) == 0x80) {
		int32_t cp = (int32_t)(((c & 0x07) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
				       (p[3] & 0x3Fu));
		if (cp >= 0x10000 && cp <= 0x10FFFF) {
			*adv = 4;
			return cp;
		}
	}
	*adv = 1;
	return 0xFFFD;
}

/* Encodes cp (a valid code point) into out; returns the bytes written. */
static inline size_t u8enc(int32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static inline void put_cp(struct buf *b, int32_t cp)
{
	char tmp[4];
	bput(b, tmp, u8enc(cp, tmp));
}

/* Decodes s into code points; returns how many (at most max, -1 if longer). */
static int to_cps(const char *s, size_t len, int32_t *cps, int max)
{
	int n = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(s + i, len - i, &adv);
		if (n == max)
			return -1;
		cps[n++] = cp;
		i += adv;
	}
	return n;
}

/* Letters and marks (Unicode categories L* and M*): the characters words are made of. */
static inline int is_letter_cat(int32_t cp)
{
	if (cp < 0x80)
		return ((cp | 32) >= 'a' && (cp | 32) <= 'z');
	if (cp >= 0x400 && cp <= 0x481)
		return 1;
	utf8proc_category_t c = utf8proc_category(cp);
	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME;
}

static inline uint64_t fnv(const void *p, size_t n)
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

/* How normalisation maps code points that need no context: NFKC and case folding
 * leave them alone or map them on their own. Returns the folded code point, -1 to
 * drop it (default-ignorable), -2 for whitespace, or -3 when only the general path
 * (utf8proc) knows. */
static inline int32_t fold_simple(int32_t cp)
{
	if (cp < 0x80) {
		if (cp >= 'A' && cp <= 'Z')
			return cp + 32;
		if (cp <= 0x20 || cp == 0x7F)
			return -2;
		return cp;
	}
	if (cp >= 0x430 && cp <= 0x44F)
		return cp;
	if (cp >= 0x410 && cp <= 0x42F)
		return cp + 0x20;
	if (cp == 0x401 || cp == 0x451)
		return 0x435; /* ё is е */
	switch (cp) {
	case 0xA0: /* no-break space */
		return -2;
	case 0xAB: case 0xBB: case 0x2013: case 0x2014: case 0x2018: case 0x2019: case 0x201C:
	case 0x201D: case 0x201E: case 0x20BD: case 0xFFFD:
		return cp;
	case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFE0E: case 0xFE0F: case 0xFEFF:
		return -1;
	default:
		break;
	}
	/* Pictographs, emoticons, transport and supplemental symbols: emoji. */
	if ((cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F680 && cp <= 0x1F6FF) || (cp >= 0x1F900 && cp <= 0x1F9FF))
		return cp;
	return -3;
}

/* Counts a raw code point (letters, capitals, '!'). */
static inline void count_cp(struct raw_counts *rc, int32_t cp)
{
	if (cp < 0x80) {
		rc->letters += (cp | 32) >= 'a' && (cp | 32) <= 'z';
		rc->upper += cp >= 'A' && cp <= 'Z';
		rc->exclaim += cp == '!';
		return;
	}
	if (cp >= 0x410 && cp <= 0x44F) {
		rc->letters++;
		rc->upper += cp < 0x430;
		return;
	}
	utf8proc_category_t c = utf8proc_category(cp);
	if (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO)
		rc->letters++;
	if (c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT)
		rc->upper++;
}

/* The common case: every code point is one fold_simple() knows. Returns 0, or -1
 * (out left partly written) when the general path is needed. */
static int normalize_fast(const char *in, size_t len, struct buf *out, struct raw_counts *rc)
{
	int space = 1; /* suppresses leading and repeated spaces */
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(in + i, len - i, &adv);
		i += adv;
		int32_t f = fold_simple(cp);
		if (f == -3)
			return -1;
		if (rc)
			count_cp(rc, cp);
		if (f == -1)
			continue;
		if (f == -2) {
			if (!space)
				bput(out, " ", 1);
			space = 1;
			continue;
		}
		if (f < 0x80) {
			char c = (char)f;
			bput(out, &c, 1);
		} else {
			put_cp(out, f);
		}
		space = 0;
	}
	return 0;
}

/* The general case: utf8proc's NFKC with case folding, then ё, stray marks, controls
 * and separators. */
static void normalize_slow(const char *in, size_t len, struct buf *out, struct raw_counts *rc)
{
	struct buf fixed = {0};
	bput(&fixed, "", 0);
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(in + i, len - i, &adv);
		if (cp == 0)
			cp = ' ';
		if (rc)
			count_cp(rc, cp);
		put_cp(&fixed, cp);
		i += adv;
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
	int space = 1;
	for (size_t i = 0; i < slen;) {
		size_t adv;
		int32_t cp = u8dec(src + i, slen - i, &adv);
		i += adv;
		if (cp == 0x451)
			cp = 0x435;
		if (cp >= 0x300 && cp <= 0x36F)
			continue; /* a stress mark left over after composition */
		utf8proc_category_t c = cp < 0x80 ? (cp <= 0x20 || cp == 0x7F ? UTF8PROC_CATEGORY_CC
									   : UTF8PROC_CATEGORY_PO)
						  : utf8proc_category(cp);
		if (c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL ||
		    c == UTF8PROC_CATEGORY_ZP || c == UTF8PROC_CATEGORY_CF || cp == ' ') {
			if (!space)
				bput(out, " ", 1);
			space = 1;
			continue;
		}
		put_cp(out, cp);
		space = 0;
	}
	free(mapped);
	buf_free(&fixed);
}

/* Step 1 of the pipeline, into out (reset first). slow forces the general path. */
static void normalize_into(const char *in, size_t len, struct buf *out, struct raw_counts *rc, int slow)
{
	if (len > TEXT_MAX_INPUT)
		len = TEXT_MAX_INPUT;
	out->len = 0;
	bput(out, "", 0);
	struct raw_counts fast_rc = {0};
	if (slow || normalize_fast(in, len, out, rc ? &fast_rc : NULL) < 0) {
		out->len = 0;
		out->data[0] = '\0';
		normalize_slow(in, len, out, rc);
	} else if (rc) {
		*rc = fast_rc;
	}
	if (out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
}

char *text_normalize(const char *in, size_t len)
{
	struct buf b = {0};
	normalize_into(in ? in : "", in ? len : 0, &b, NULL, 0);
	return buf_steal(&b);
}

char *text__normalize_slow(const char *in, size_t len)
{
	struct buf b = {0};
	normalize_into(in ? in : "", in ? len : 0, &b, NULL, 1);
	return buf_steal(&b);
}

/* ------------------------------------------------------------------ layout and transliteration */

/* US QWERTY key -> Russian ЙЦУКЕН key, for the keys that differ (after case folding),
 * indexed by the ASCII character. */
static const char *const lat_to_cyr[128] = {
	['q'] = "й", ['w'] = "ц", ['e'] = "у", ['r'] = "к", ['t'] = "е", ['y'] = "н", ['u'] = "г",
	['i'] = "ш", ['o'] = "щ", ['p'] = "з", ['['] = "х", [']'] = "ъ", ['a'] = "ф", ['s'] = "ы",
	['d'] = "в", ['f'] = "а", ['g'] = "п", ['h'] = "р", ['j'] = "о", ['k'] = "л", ['l'] = "д",
	[';'] = "ж", ['\''] = "э", ['z'] = "я", ['x'] = "ч", ['c'] = "с", ['v'] = "м", ['b'] = "и",
	['n'] = "т", ['m'] = "ь", [','] = "б", ['.'] = "ю", ['`'] = "е", ['{'] = "х", ['}'] = "ъ",
	[':'] = "ж", ['"'] = "э", ['<'] = "б", ['>'] = "ю", ['~'] = "е", ['/'] = ".", ['?'] = ",",
	['&'] = "?",
};

/* Russian letter а..я (index cp - 0x430) -> the Latin key it sits on. Only letters map
 * back; Russian punctuation keys are rarely mistyped that way. */
static const char cyr_to_lat[32] = {
	'f', ',', 'd', 'u', 'l', 't', ';', 'p', 'b', 'q', 'r', 'k', 'v', 'y', 'j', 'g',
	'h', 'c', 'n', 'e', 'a', '[', 'w', 'x', 'i', 'o', ']', 's', 'm', '\'', '.', 'z',
};

static void layout_ru_into(struct buf *b, const char *in, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)in[i];
		const char *k = c < 128 ? lat_to_cyr[c] : NULL;
		if (k) {
			bput(b, k, strlen(k));
			i++;
			continue;
		}
		size_t adv;
		u8dec(in + i, len - i, &adv);
		bput(b, in + i, adv);
		i += adv;
	}
}

static void layout_en_into(struct buf *b, const char *in, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(in + i, len - i, &adv);
		if (cp >= 0x430 && cp <= 0x44F) {
			bput(b, &cyr_to_lat[cp - 0x430], 1);
		} else {
			bput(b, in + i, adv);
		}
		i += adv;
	}
}

char *text_layout_to_ru(const char *in, size_t len)
{
	struct buf b = {0};
	bput(&b, "", 0);
	layout_ru_into(&b, in, len);
	return buf_steal(&b);
}

char *text_layout_to_en(const char *in, size_t len)
{
	struct buf b = {0};
	bput(&b, "", 0);
	layout_en_into(&b, in, len);
	return buf_steal(&b);
}

static int lat_vowel(int c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* Transliteration with two switches for the ambiguous spellings: alt_sch reads "sch"
 * as "сч" instead of "щ", alt_e reads a word-initial "e" as "э". */
static void translit_into(struct buf *b, const char *in, size_t len, int alt_sch, int alt_e)
{
	static const struct {
		const char *lat;
		const char *cyr;
		uint8_t ll, cl;
	} multi[] = {
		{"shch", "щ", 4, 2}, {"sch", "щ", 3, 2}, {"sh", "ш", 2, 2}, {"ch", "ч", 2, 2}, {"zh", "ж", 2, 2},
		{"kh", "х", 2, 2},   {"ts", "ц", 2, 2},  {"ya", "я", 2, 2}, {"ja", "я", 2, 2}, {"yu", "ю", 2, 2},
		{"ju", "ю", 2, 2},   {"yo", "е", 2, 2},  {"jo", "е", 2, 2}, {"ye", "е", 2, 2}, {"je", "е", 2, 2},
		{"ck", "к", 2, 2},   {"ph", "ф", 2, 2},  {"x", "кс", 1, 4},
	};
	static const char *single[26] = {
		"а", "б", "ц", "д", "е", "ф", "г", "х", "и", "й", "к", "л", "м",
		"н", "о", "п", "к", "р", "с", "т", "у", "в", "в", "кс", "ы", "з",
	};
	int prev_letter = 0, prev_vowel = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 'a' && c <= 'z') {
			int done = 0;
			if (alt_sch && len - i >= 3 && memcmp(in + i, "sch", 3) == 0) {
				bput(b, "сч", 4);
				i += 3, done = 1, prev_vowel = 0;
			}
			if (!done && alt_e && !prev_letter && c == 'e') {
				bput(b, "э", 2);
				i += 1, done = 1, prev_vowel = 1;
			}
			for (size_t k = 0; !done && k < sizeof multi / sizeof multi[0]; k++) {
				size_t ml = multi[k].ll;
				if (multi[k].lat[0] == c && len - i >= ml && memcmp(in + i, multi[k].lat, ml) == 0) {
					bput(b, multi[k].cyr, multi[k].cl);
					/* я ю е are vowels: a following "y" is й. */
					prev_vowel = multi[k].lat[0] == 'y' || multi[k].lat[0] == 'j';
					i += ml, done = 1;
				}
			}
			if (!done) {
				if (c == 'y') {
					/* After a vowel "y" is й ("moy"); else ы, itself a
					 * vowel, so "novyy" gives новый. */
					bput(b, prev_vowel ? "й" : "ы", 2);
					prev_vowel = !prev_vowel;
				} else {
					bput(b, single[c - 'a'], strlen(single[c - 'a']));
					prev_vowel = lat_vowel(c);
				}
				i++;
			}
			prev_letter = 1;
		} else if (c == '\'' && prev_letter && i + 1 < len && in[i + 1] >= 'a' && in[i + 1] <= 'z') {
			bput(b, "ь", 2);
			i++;
		} else {
			size_t adv;
			u8dec(in + i, len - i, &adv);
			bput(b, in + i, adv);
			i += adv;
			prev_letter = prev_vowel = 0;
		}
	}
}

char *text_translit_to_ru(const char *in, size_t len)
{
	struct buf b = {0};
	bput(&b, "", 0);
	translit_into(&b, in, len, 0, 0);
	return buf_steal(&b);
}

/* ------------------------------------------------------------------ stemming */

struct text_ctx *text_ctx_new(void)
{
	struct text_ctx *ctx = xcalloc(1, sizeof *ctx);
	ctx->ru = sb_stemmer_new("russian", NULL);
	ctx->en = sb_stemmer_new("english", NULL);
	ctx->cache = text_cache_new(CACHE_SLOTS, CACHE_BYTES);
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
	text_dict_unref(ctx->dict);
	buf_free(&ctx->glue);
	buf_free(&ctx->glue_hows);
	buf_free(&ctx->norm);
	buf_free(&ctx->fixed);
	buf_free(&ctx->hows);
	buf_free(&ctx->cand);
	buf_free(&ctx->pool);
	free(ctx->chunks);
	free(ctx->toks);
	free(ctx->used);
	free(ctx->memo);
	text_cache_free(ctx->cache);
	free(ctx);
}

size_t text_ctx_memory(const struct text_ctx *ctx)
{
	if (!ctx)
		return 0;
	return sizeof *ctx + ctx->norm.cap + ctx->fixed.cap + ctx->hows.cap + ctx->cand.cap + ctx->pool.cap +
	       ctx->cap_toks * sizeof *ctx->toks + ctx->cap_used + (ctx->memo ? MEMO_SLOTS * sizeof *ctx->memo : 0) +
	       text_cache_memory(ctx->cache);
}

void text_ctx_cache_stats(const struct text_ctx *ctx, struct text_cache_stats *out)
{
	text_cache_get_stats(ctx ? ctx->cache : NULL, out);
}

static int word_script(const char *w, size_t len)
{
	int cyr = 0, lat = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(w + i, len - i, &adv);
		i += adv;
		if (IS_CYR(cp))
			cyr = 1;
		else if (IS_LAT(cp))
			lat = 1;
	}
	if (cyr && !lat)
		return TEXT_SCRIPT_CYR;
	if (lat && !cyr)
		return TEXT_SCRIPT_LAT;
	return TEXT_SCRIPT_OTHER;
}

/* Returns the stem in the word cache or a stemmer-owned buffer (valid until the next
 * call), or w itself. */
static const char *stem_raw(struct text_ctx *ctx, const char *w, size_t len, size_t *out_len)
{
	int script = word_script(w, len);
	struct sb_stemmer *st = script == TEXT_SCRIPT_CYR ? ctx->ru : script == TEXT_SCRIPT_LAT ? ctx->en : NULL;
	if (st && len < 256) {
		const char *hit;
		if (text_cache_get(ctx->cache, TEXT_CACHE_STEM, w, len, &hit, out_len))
			return hit;
		const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)w, (int)len);
		if (s) {
			*out_len = (size_t)sb_stemmer_length(st);
			const char *kept = text_cache_put(ctx->cache, TEXT_CACHE_STEM, w, len, (const char *)s, *out_len);
			return kept ? kept : (const char *)s;
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

/* ------------------------------------------------------------------ spelling dictionary */

struct text_dict {
	Hunhandle *h;
	int refs;
};

struct text_dict *text_dict_open(const char *aff_path, const char *dic_path)
{
	/* Hunspell_create does not report a missing file (it gives an empty dictionary),
	 * so look first. */
	FILE *a = fopen(aff_path, "r"), *d = fopen(dic_path, "r");
	int ok = a && d;
	if (a)
		fclose(a);
	if (d)
		fclose(d);
	if (!ok)
		return NULL;
	Hunhandle *h = Hunspell_create(aff_path, dic_path);
	if (!h)
		return NULL;
	const char *enc = Hunspell_get_dic_encoding(h);
	if (!enc || strcmp(enc, "UTF-8") != 0) {
		/* The words we ask about are UTF-8; another encoding would answer nonsense. */
		Hunspell_destroy(h);
		return NULL;
	}
	struct text_dict *dict = xcalloc(1, sizeof *dict);
	dict->h = h;
	dict->refs = 1;
	return dict;
}

struct text_dict *text_dict_open_default(const char **where)
{
	const char *base = getenv("DESKBOT_HUNSPELL");
	if (!base || !*base)
		base = "/usr/share/hunspell/ru_RU";
	if (where)
		*where = base;
	char *aff = xasprintf("%s.aff", base), *dic = xasprintf("%s.dic", base);
	struct text_dict *d = text_dict_open(aff, dic);
	free(aff);
	free(dic);
	return d;
}

struct text_dict *text_dict_ref(struct text_dict *d)
{
	if (d)
		d->refs++;
	return d;
}

void text_dict_unref(struct text_dict *d)
{
	if (!d || --d->refs > 0)
		return;
	Hunspell_destroy(d->h);
	free(d);
}

/* Hunspell wants NUL-terminated words; words past the buffer are not words. */
#define DICT_WORD_MAX 128

int text_dict_spell(struct text_dict *d, const char *word, size_t len)
{
	char w[DICT_WORD_MAX];
	if (!d || len == 0 || len >= sizeof w)
		return 0;
	memcpy(w, word, len);
	w[len] = '\0';
	if (Hunspell_spell(d->h, w))
		return 1;
	/* Text is folded to lower case, but the dictionary keeps names capitalised: a
	 * city, a country or a bank ("в серпухове", "со сбербанка") is a word too. */
	size_t adv;
	int32_t first = u8dec(word, len, &adv);
	int32_t upper = utf8proc_toupper(first);
	char cap[DICT_WORD_MAX + 4];
	if (upper == first || !IS_CYR(first))
		return 0;
	size_t ul = u8enc(upper, cap);
	if (ul + len - adv >= sizeof cap)
		return 0;
	memcpy(cap + ul, word + adv, len - adv);
	cap[ul + len - adv] = '\0';
	return Hunspell_spell(d->h, cap) != 0;
}

void text_ctx_set_dict(struct text_ctx *ctx, struct text_dict *d)
{
	if (!ctx)
		return;
	text_dict_ref(d);
	text_dict_unref(ctx->dict);
	ctx->dict = d;
	/* The cached answers were the old dictionary's. */
	text_cache_free(ctx->cache);
	ctx->cache = text_cache_new(CACHE_SLOTS, CACHE_BYTES);
}

/* text_dict_spell for the context's dictionary, through the word cache. */
static int ctx_spell(struct text_ctx *ctx, const char *w, size_t len)
{
	if (!ctx->dict)
		return 0;
	const char *hit;
	size_t hl;
	if (text_cache_get(ctx->cache, TEXT_CACHE_SPELL, w, len, &hit, &hl))
		return hit[0] != 0;
	char v = (char)text_dict_spell(ctx->dict, w, len);
	text_cache_put(ctx->cache, TEXT_CACHE_SPELL, w, len, &v, 1);
	return v;
}

struct text_dict *text_ctx_dict(const struct text_ctx *ctx)
{
	return ctx ? ctx->dict : NULL;
}

/* ------------------------------------------------------------------ vocabulary and typo index */

/* Words are hashed as polynomials over their code points (mod 2^64):
 *   H(c_0..c_n-1) = sum (c_k + 1) * B^(n-1-k).
 * With the prefix hashes P[i] = H(c_0..c_i-1), the hash of the word with one or two
 * code points deleted is a few multiplications (see del1/del2), which makes the
 * symmetric-delete typo index cheap to build and to query. The word table is keyed by
 * the same hash, so a query's deletions are looked up among whole words directly. */

struct vocab_word {
	uint64_t hash;   /* polynomial hash of the code points */
	uint32_t off;    /* into pool */
	uint32_t len;    /* bytes */
	uint32_t count;  /* occurrences added */
	int32_t link;    /* caller's link (text_vocab_set_link), -1 by default */
	uint8_t ncp;     /* code points, MAX_WORD_CP + 1 if longer */
	uint8_t no_typo; /* not a target of typo correction */
};

/* The deletion index: every dictionary word with one or two code points deleted, as
 * a 32-bit key. Keys are bucketed by their top dir_bits bits (dir[b] is the first
 * entry of bucket b); an entry packs the key's next bits and the word id into 32
 * bits, so an entry costs 4 bytes plus about one byte of directory. A key that
 * matches only on the bits kept is a false candidate, which the edit distance check
 * then rejects. */
struct text_vocab {
	struct buf pool;          /* word bytes, each NUL-terminated */
	struct vocab_word *words;
	size_t n, cap;
	int32_t *slots;           /* open-addressing table of word ids by hash, -1 empty */
	size_t n_slots;
	uint32_t *dels;           /* packed entries, by bucket */
	size_t n_dels;
	uint32_t *dir;            /* (1 << dir_bits) + 1 offsets into dels */
	unsigned dir_bits;
	unsigned id_bits;         /* low bits of an entry: the word id */
	int built;
	uint64_t pow[MAX_WORD_CP + 1]; /* POLY_B^k */
};


/* Prefix hashes of cps[0..n) into P[0..n]. */
static void poly_prefix(const int32_t *cps, int n, uint64_t *P)
{
	P[0] = 0;
	for (int i = 0; i < n; i++)
		P[i + 1] = P[i] * POLY_B + (uint64_t)(uint32_t)cps[i] + 1;
}

/* Hash of the word without code point i. */
static inline uint64_t del1(const uint64_t *pw, const uint64_t *P, int n, int i)
{
	return P[i] * pw[n - 1 - i] + (P[n] - P[i + 1] * pw[n - 1 - i]);
}

/* Hash of the word without code points i < j. */
static inline uint64_t del2(const uint64_t *pw, const uint64_t *P, int n, int i, int j)
{
	uint64_t mid = P[j] - P[i + 1] * pw[j - 1 - i];
	return P[i] * pw[n - 2 - i] + mid * pw[n - 1 - j] + (P[n] - P[j + 1] * pw[n - 1 - j]);
}

/* Hash of a word of any length (code points past MAX_WORD_CP included). */
static uint64_t word_hash(const char *w, size_t len, int *ncp)
{
	uint64_t h = 0;
	int n = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)w[i];
		int32_t cp;
		if (c < 0x80) {
			cp = c;
			i++;
		} else {
			size_t adv;
			cp = u8dec(w + i, len - i, &adv);
			i += adv;
		}
		h = h * POLY_B + (uint64_t)(uint32_t)cp + 1;
		n++;
	}
	if (ncp)
		*ncp = n;
	return h;
}

static inline size_t slot_index(uint64_t h, size_t n_slots)
{
	return (size_t)((h * 0x9E3779B97F4A7C15ULL) >> 32) & (n_slots - 1);
}

static inline uint32_t del_key(uint64_t h)
{
	return (uint32_t)((h ^ (h >> 31)) * 0xD6E8FEB86659FD93ULL >> 32);
}

int text_typo_bound(size_t n)
{
	return n <= 4 ? 0 : n <= 7 ? 1 : 2;
}

struct text_vocab *text_vocab_new(void)
{
	struct text_vocab *v = xcalloc(1, sizeof *v);
	uint64_t p = 1;
	for (size_t i = 0; i <= MAX_WORD_CP; i++, p *= POLY_B)
		v->pow[i] = p;
	v->n_slots = 64;
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
	free(v->dir);
	free(v);
}

/* The slot of a word (by hash and bytes): its id's slot, or the empty slot where it
 * would go. */
static size_t slot_of(const struct text_vocab *v, uint64_t h, const char *w, size_t len)
{
	size_t mask = v->n_slots - 1;
	size_t i = slot_index(h, v->n_slots);
	for (;;) {
		int32_t id = v->slots[i];
		if (id < 0)
			return i;
		const struct vocab_word *e = &v->words[id];
		if (e->hash == h && e->len == len && memcmp(v->pool.data + e->off, w, len) == 0)
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
	size_t mask = v->n_slots - 1;
	for (size_t id = 0; id < v->n; id++) {
		size_t i = slot_index(v->words[id].hash, v->n_slots);
		while (v->slots[i] >= 0)
			i = (i + 1) & mask;
		v->slots[i] = (int32_t)id;
	}
}

int text_vocab_add(struct text_vocab *v, const char *word, size_t len)
{
	int ncp;
	uint64_t h = word_hash(word, len, &ncp);
	size_t s = slot_of(v, h, word, len);
	if (v->slots[s] >= 0) {
		v->words[v->slots[s]].count++;
		return v->slots[s];
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->words = xrealloc(v->words, v->cap * sizeof *v->words);
	}
	struct vocab_word *e = &v->words[v->n];
	e->hash = h;
	e->off = (uint32_t)v->pool.len;
	e->len = (uint32_t)len;
	e->count = 1;
	e->link = -1;
	e->ncp = (uint8_t)(ncp > MAX_WORD_CP ? MAX_WORD_CP + 1 : ncp);
	e->no_typo = 0;
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
	return v->slots[slot_of(v, word_hash(word, len, NULL), word, len)];
}

void text_vocab_set_link(struct text_vocab *v, int id, int32_t link)
{
	if (id >= 0 && (size_t)id < v->n)
		v->words[id].link = link;
}

uint32_t text_vocab_count(const struct text_vocab *v, int id)
{
	return v && id >= 0 && (size_t)id < v->n ? v->words[id].count : 0;
}

int32_t text_vocab_link(const struct text_vocab *v, int id)
{
	return v && id >= 0 && (size_t)id < v->n ? v->words[id].link : -1;
}

void text_vocab_set_no_typo(struct text_vocab *v, int id, int no_typo)
{
	if (id >= 0 && (size_t)id < v->n)
		v->words[id].no_typo = (uint8_t)(no_typo != 0);
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
	       v->n_dels * sizeof *v->dels + (v->dir ? ((size_t)1 << v->dir_bits) + 1 : 0) * sizeof *v->dir;
}

void text_vocab_shrink(struct text_vocab *v)
{
	if (v->n && v->cap > v->n) {
		v->words = xrealloc(v->words, v->n * sizeof *v->words);
		v->cap = v->n;
	}
	if (v->pool.len + 1 < v->pool.cap) {
		v->pool.data = xrealloc(v->pool.data, v->pool.len + 1);
		v->pool.cap = v->pool.len + 1;
	}
}

/* The packed entry of key for word id, and its bucket. */
static inline uint32_t del_pack(const struct text_vocab *v, uint32_t key, uint32_t id)
{
	return ((uint32_t)(key << v->dir_bits) >> v->id_bits << v->id_bits) | id;
}

static inline size_t del_bucket(const struct text_vocab *v, uint32_t key)
{
	return v->dir_bits ? key >> (32 - v->dir_bits) : 0;
}

/* Calls fn for the key of every deletion (one or two code points) of word id. */
static size_t for_each_del(const struct text_vocab *v, uint32_t id, void (*fn)(struct text_vocab *, uint32_t, uint32_t),
			   struct text_vocab *out)
{
	const struct vocab_word *e = &v->words[id];
	int bound = text_typo_bound(e->ncp);
	if (bound == 0 || e->ncp > MAX_WORD_CP || e->no_typo)
		return 0;
	int32_t cps[MAX_WORD_CP];
	uint64_t P[MAX_WORD_CP + 1];
	int n = to_cps(v->pool.data + e->off, e->len, cps, MAX_WORD_CP);
	poly_prefix(cps, n, P);
	size_t count = 0;
	for (int i = 0; i < n; i++) {
		/* Deleting either of a doubled letter gives the same word. */
		if (i > 0 && cps[i] == cps[i - 1])
			continue;
		if (fn)
			fn(out, del_key(del1(v->pow, P, n, i)), id);
		count++;
	}
	if (bound >= 2)
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++) {
				if (fn)
					fn(out, del_key(del2(v->pow, P, n, i, j)), id);
				count++;
			}
	return count;
}

static void del_count_cb(struct text_vocab *v, uint32_t key, uint32_t id)
{
	(void)id;
	v->dir[del_bucket(v, key) + 1]++;
}

static void del_place_cb(struct text_vocab *v, uint32_t key, uint32_t id)
{
	v->dels[v->dir[del_bucket(v, key)]++] = del_pack(v, key, id);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void text_vocab_build(struct text_vocab *v)
{
	free(v->dels);
	free(v->dir);
	v->dels = NULL;
	v->dir = NULL;
	size_t total = 0;
	for (size_t id = 0; id < v->n; id++)
		total += for_each_del(v, (uint32_t)id, NULL, NULL);
	v->id_bits = 1;
	while (v->id_bits < 31 && ((size_t)1 << v->id_bits) < v->n)
		v->id_bits++;
	/* About four entries a bucket. */
	v->dir_bits = 0;
	while (v->dir_bits < 24 && ((size_t)1 << (v->dir_bits + 2)) < total)
		v->dir_bits++;
	size_t nd = (size_t)1 << v->dir_bits;
	v->dir = xcalloc(nd + 2, sizeof *v->dir);
	v->dels = xmalloc((total ? total : 1) * sizeof *v->dels);
	/* Counting sort by bucket: count, offsets, place. */
	for (size_t id = 0; id < v->n; id++)
		for_each_del(v, (uint32_t)id, del_count_cb, v);
	for (size_t b = 1; b <= nd; b++)
		v->dir[b] += v->dir[b - 1];
	for (size_t id = 0; id < v->n; id++)
		for_each_del(v, (uint32_t)id, del_place_cb, v);
	/* Placing moved each start to the next bucket's: shift back. */
	memmove(v->dir + 1, v->dir, nd * sizeof *v->dir);
	v->dir[0] = 0;
	/* Drop repeated entries inside each bucket. */
	size_t w = 0;
	for (size_t b = 0; b < nd; b++) {
		uint32_t from = v->dir[b], to = v->dir[b + 1];
		v->dir[b] = (uint32_t)w;
		qsort(v->dels + from, to - from, sizeof *v->dels, cmp_u32);
		for (uint32_t k = from; k < to; k++)
			if (k == from || v->dels[k] != v->dels[k - 1])
				v->dels[w++] = v->dels[k];
	}
	v->dir[nd] = (uint32_t)w;
	v->n_dels = w;
	if (w)
		v->dels = xrealloc(v->dels, w * sizeof *v->dels);
	text_vocab_shrink(v);
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
	int floor; /* the least typo bound allowed (1 for short words, see correct_short) */
};

/* Verifies one candidate word id. */
static void correct_try(struct correct_state *s, uint32_t id)
{
	for (int k = 0; k < s->n_tried; k++)
		if (s->tried[k] == id)
			return;
	if (s->n_tried < 64)
		s->tried[s->n_tried++] = id;
	const struct vocab_word *e = &s->v->words[id];
	if (e->no_typo)
		return;
	int shorter = e->ncp < s->n ? e->ncp : s->n;
	int bound = text_typo_bound((size_t)shorter);
	if (bound < s->floor)
		bound = s->floor;
	if (bound == 0 || abs((int)e->ncp - s->n) > bound)
		return;
	int32_t cb[MAX_WORD_CP];
	int m = to_cps(s->v->pool.data + e->off, e->len, cb, MAX_WORD_CP);
	if (m < 0)
		return;
	int d = osa_cps(s->cps, s->n, cb, m, bound);
	if (d > bound || d == 0)
		return;
	if (s->best < 0 || d < s->best_dist || (d == s->best_dist && e->count > s->best_count)) {
		s->best = (int)id;
		s->best_dist = d;
		s->best_count = e->count;
	}
}

/* Tries the dictionary words one of whose shortened forms has this key. */
static void correct_dels(struct correct_state *s, uint32_t key)
{
	const struct text_vocab *v = s->v;
	size_t b = del_bucket(v, key);
	uint32_t want = del_pack(v, key, 0) >> v->id_bits, mask = ((uint32_t)1 << v->id_bits) - 1;
	for (uint32_t k = v->dir[b]; k < v->dir[b + 1]; k++)
		if (v->dels[k] >> v->id_bits == want)
			correct_try(s, v->dels[k] & mask);
}

/* Looks up one shortened form of the query (by hash): among whole words and among
 * the dictionary's own shortened forms. */
static void correct_probe(struct correct_state *s, uint64_t h)
{
	const struct text_vocab *v = s->v;
	size_t mask = v->n_slots - 1;
	for (size_t i = slot_index(h, v->n_slots); v->slots[i] >= 0; i = (i + 1) & mask)
		if (v->words[v->slots[i]].hash == h)
			correct_try(s, (uint32_t)v->slots[i]);
	correct_dels(s, del_key(h));
}

int text_vocab_correct(const struct text_vocab *v, const char *word, size_t len, int *dist)
{
	if (!v || !v->built || v->n == 0)
		return -1;
	int32_t cps[MAX_WORD_CP];
	int n = to_cps(word, len, cps, MAX_WORD_CP);
	int bound = n < 0 ? 0 : text_typo_bound((size_t)n);
	if (bound == 0)
		return -1;
	struct correct_state s = {.v = v, .cps = cps, .n = n, .best = -1};
	uint64_t P[MAX_WORD_CP + 1];
	poly_prefix(cps, n, P);
	/* The query itself may be a dictionary word shortened (letters missing). */
	correct_dels(&s, del_key(P[n]));
	for (int i = 0; i < n; i++)
		if (i == 0 || cps[i] != cps[i - 1])
			correct_probe(&s, del1(v->pow, P, n, i));
	if (bound >= 2)
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				correct_probe(&s, del2(v->pow, P, n, i, j));
	if (s.best >= 0 && dist)
		*dist = s.best_dist;
	return s.best;
}

/* One edit for a four-letter word ("тарф" -> "тариф", "номр" -> "номер"), which
 * text_vocab_correct never corrects: only with the dictionary's word that the query is
 * no word of its own (see text_analyze). Finds the words it is a shortened form of,
 * and the three-letter words it shortens to. */
static int correct_short(const struct text_vocab *v, const char *word, size_t len)
{
	if (!v || !v->built || v->n == 0)
		return -1;
	int32_t cps[MAX_WORD_CP];
	int n = to_cps(word, len, cps, MAX_WORD_CP);
	if (n != 4)
		return -1;
	struct correct_state s = {.v = v, .cps = cps, .n = n, .best = -1, .floor = 1};
	uint64_t P[MAX_WORD_CP + 1];
	poly_prefix(cps, n, P);
	correct_dels(&s, del_key(P[n]));
	for (int i = 0; i < n; i++)
		if (i == 0 || cps[i] != cps[i - 1])
			correct_probe(&s, del1(v->pow, P, n, i));
	return s.best;
}

/* ------------------------------------------------------------------ word lookups (memo) */

struct scorer {
	struct text_ctx *ctx;
	const struct text_opts *opts;
};

/* Fills a fresh entry for w (copied to the pool) with its vocabulary id. */
static void memo_init(struct text_ctx *ctx, const struct text_opts *o, struct memo *m, uint64_t h, const char *w,
		      size_t len)
{
	m->gen = ctx->gen;
	m->hash = h;
	m->word = (uint32_t)ctx->pool.len;
	m->len = (uint32_t)len;
	bput(&ctx->pool, w, len);
	bput(&ctx->pool, "", 1);
	m->vocab = o && o->vocab ? text_vocab_find(o->vocab, w, len) : -1;
	m->typo = -1;
	m->typo_dist = 0;
	m->stem_done = m->typo_done = 0;
	m->stem_known = -1;
	m->spelled = -1;
}

/* What is known about word w in this analysis: its memo entry, or tmp filled afresh
 * when the memo is full. w must not point into ctx->pool. */
static struct memo *word_info(const struct scorer *sc, const char *w, size_t len, struct memo *tmp)
{
	struct text_ctx *ctx = sc->ctx;
	uint64_t h = fnv(w, len);
	if (!ctx->memo)
		ctx->memo = xcalloc(MEMO_SLOTS, sizeof *ctx->memo);
	size_t mask = MEMO_SLOTS - 1;
	for (size_t i = slot_index(h, MEMO_SLOTS);; i = (i + 1) & mask) {
		struct memo *m = &ctx->memo[i];
		if (m->gen != ctx->gen) {
			if (ctx->memo_used >= MEMO_SLOTS * 3 / 4)
				break;
			ctx->memo_used++;
			memo_init(ctx, sc->opts, m, h, w, len);
			return m;
		}
		if (m->hash == h && m->len == len && memcmp(ctx->pool.data + m->word, w, len) == 0)
			return m;
	}
	memo_init(ctx, sc->opts, tmp, h, w, len);
	return tmp;
}

/* The stem of a memo'd word: from the vocabulary's link when the word is known, else
 * from the Snowball stemmer. Returns it (in the pool, valid until the pool grows). */
static const char *memo_stem(const struct scorer *sc, struct memo *m, size_t *len)
{
	struct text_ctx *ctx = sc->ctx;
	if (!m->stem_done) {
		const struct text_opts *o = sc->opts;
		int32_t link = m->vocab >= 0 && o && o->stems ? text_vocab_link(o->vocab, m->vocab) : -1;
		const char *s;
		size_t sl;
		if (link >= 0) {
			s = text_vocab_word(o->stems, link);
			sl = strlen(s);
		} else {
			s = stem_raw(ctx, ctx->pool.data + m->word, m->len, &sl);
		}
		if (s == ctx->pool.data + m->word) {
			m->stem = m->word;
		} else {
			m->stem = (uint32_t)ctx->pool.len;
			bput(&ctx->pool, s, sl);
			bput(&ctx->pool, "", 1);
		}
		m->stem_len = (uint32_t)sl;
		m->stem_done = 1;
		if (link >= 0)
			m->stem_known = 1;
	}
	*len = m->stem_len;
	return ctx->pool.data + m->stem;
}

static int memo_stem_known(const struct scorer *sc, struct memo *m)
{
	if (m->stem_known < 0) {
		size_t sl;
		const char *s = memo_stem(sc, m, &sl);
		if (m->stem_known < 0)
			m->stem_known = text_vocab_find(sc->opts->stems, s, sl) >= 0;
	}
	return m->stem_known;
}

static int memo_typo(const struct scorer *sc, struct memo *m, int *dist)
{
	if (!m->typo_done) {
		int d = 0;
		m->typo = text_vocab_correct(sc->opts->vocab, sc->ctx->pool.data + m->word, m->len, &d);
		m->typo_dist = (int8_t)d;
		m->typo_done = 1;
	}
	*dist = m->typo_dist;
	return m->typo;
}

/* Does the context's dictionary know the memo'd word? (0 without a dictionary.) */
static int memo_spelled(const struct scorer *sc, struct memo *m)
{
	if (m->spelled < 0)
		m->spelled = (int8_t)ctx_spell(sc->ctx, sc->ctx->pool.data + m->word, m->len);
	return m->spelled;
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

/* Default scorer: the reply set's vocabulary first, then "looks like a word". A
 * candidate spelling (layout or transliteration) that does not even look like a word
 * is not looked up further: it cannot win, and the lookups are most of the cost. */
static int score_word(const struct scorer *sc, const char *w, size_t len, int cand)
{
	const struct text_opts *o = sc->opts;
	if (o && o->score)
		return o->score(o->score_ud, w, len);
	if (o && o->vocab) {
		struct memo tmp, *m = word_info(sc, w, len, &tmp);
		if (m->vocab >= 0)
			return SCORE_EXACT;
		if (cand && !plausible(w, len))
			return 0;
		if (o->stems && memo_stem_known(sc, m))
			return SCORE_STEM;
		int d;
		if (memo_typo(sc, m, &d) >= 0)
			return SCORE_TYPO - 10 * d;
	}
	return plausible(w, len) ? SCORE_PLAUSIBLE : 0;
}

/* Scores a chunk: the mean score of its letter runs (0 if it has none). cand: the
 * chunk is a candidate spelling, not the text as written. */
static int score_chunk(const struct scorer *sc, const char *s, size_t len, int cand)
{
	int total = 0, words = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(s + i, len - i, &adv);
		if (!is_letter_cat(cp)) {
			i += adv;
			continue;
		}
		size_t start = i;
		while (i < len) {
			cp = u8dec(s + i, len - i, &adv);
			if (!is_letter_cat(cp))
				break;
			i += adv;
		}
		total += score_word(sc, s + start, i - start, cand);
		words++;
	}
	return words ? total / words : 0;
}

/* ------------------------------------------------------------------ chunk repair */

/* A whitespace-separated piece of the normalised text and its repair. Forms are
 * offsets into ctx->cand. */
struct chunk {
	uint32_t src, len; /* in ctx->norm */
	int32_t best;      /* chosen form, or -1 for "as written" */
	uint32_t best_len;
	int how;           /* enum text_how of best */
	int score;         /* score of the chosen form */
	int confident;
	int has_alt;       /* the other forms were weighed (Latin chunks) */
	int32_t alt[2];    /* layout and translit forms for the second pass, or -1 */
	uint32_t alt_len[2];
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
 * ("тapиф" with Latin a and p) into cand. Returns the offset, or -1 if nothing
 * changed. */
static int32_t fix_homoglyphs(struct buf *cand, const char *s, size_t len, uint32_t *out_len)
{
	static const char from[] = "aeopcxykmtbh";
	static const char *to[] = {"а", "е", "о", "р", "с", "х", "у", "к", "м", "т", "в", "н"};
	int cyr = 0, lat = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(s + i, len - i, &adv);
		i += adv;
		cyr += IS_CYR(cp);
		lat += cp >= 'a' && cp <= 'z';
	}
	if (!cyr || !lat || lat > cyr)
		return -1;
	uint32_t off = (uint32_t)cand->len;
	for (size_t i = 0; i < len; i++) {
		const char *f = (unsigned char)s[i] < 128 && s[i] ? strchr(from, s[i]) : NULL;
		if (f)
			bput(cand, to[f - from], 2);
		else
			bput(cand, s + i, 1);
	}
	*out_len = (uint32_t)cand->len - off;
	return (int32_t)off;
}

static void consider(struct chunk *ch, int32_t cand, uint32_t len, int how, int score)
{
	if (score > ch->score) {
		ch->best = cand;
		ch->best_len = len;
		ch->how = how;
		ch->score = score;
	}
}

/* First pass over one chunk. Fills the candidates and, when one clearly wins, the
 * choice. */
static void repair_chunk(const struct scorer *sc, struct chunk *ch)
{
	struct text_ctx *ctx = sc->ctx;
	struct buf *cand = &ctx->cand;
	const char *src = ctx->norm.data + ch->src;
	size_t len = ch->len;
	int has_lat = 0, has_cyr = 0;
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(src + i, len - i, &adv);
		i += adv;
		has_lat |= cp >= 'a' && cp <= 'z';
		has_cyr |= IS_CYR(cp);
	}
	if (has_lat && has_cyr) {
		ch->best = fix_homoglyphs(cand, src, len, &ch->best_len);
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
		int w = score_chunk(sc, src, len, 0);
		if (w >= SCORE_CONFIDENT)
			return;
		uint32_t off = (uint32_t)cand->len;
		layout_en_into(cand, src, len);
		uint32_t el = (uint32_t)cand->len - off;
		if (score_chunk(sc, cand->data + off, el, 1) >= SCORE_STEM) {
			ch->best = (int32_t)off;
			ch->best_len = el;
			ch->how = TEXT_LAYOUT;
			ch->confident = 1;
		}
		return;
	}
	if (!has_lat)
		return;
	ch->has_alt = 1;
	ch->written_score = ch->score = score_chunk(sc, src, len, 0);
	/* Units and acronyms glued to numbers ("10gb", "4g") are written as meant. */
	for (size_t i = 0; i < len; i++)
		if (src[i] >= '0' && src[i] <= '9')
			ch->written_score = ch->score = SCORE_EXACT;
	if (is_latin_term(src, len))
		ch->written_score = ch->score = SCORE_EXACT;
	ch->how = TEXT_AS_WRITTEN;
	if (ch->score >= SCORE_EXACT) {
		/* Nothing can beat a form the reply set knows as written. */
		ch->confident = 1;
		return;
	}

	/* Layout: the whole chunk, and the chunk with its trailing punctuation kept as
	 * punctuation ("ghbdtn," is "привет," rather than "приветб"). */
	uint32_t lay = (uint32_t)cand->len;
	layout_ru_into(cand, src, len);
	uint32_t lay_len = (uint32_t)cand->len - lay;
	int ls = score_chunk(sc, cand->data + lay, lay_len, 1);
	size_t core = len;
	while (core > 0 && strchr(".,!?;:", src[core - 1]))
		core--;
	if (core > 0 && core < len) {
		uint32_t l2 = (uint32_t)cand->len;
		layout_ru_into(cand, src, core);
		bput(cand, src + core, len - core);
		uint32_t l2_len = (uint32_t)cand->len - l2;
		int s2 = score_chunk(sc, cand->data + l2, l2_len, 1);
		if (s2 >= ls) {
			lay = l2;
			lay_len = l2_len;
			ls = s2;
		}
	}
	/* Transliteration: a word only wins this way if the reply set knows it. */
	int32_t tr = -1;
	uint32_t tr_len = 0;
	int ts = -1;
	int has_sch = 0, has_e = src[0] == 'e';
	for (size_t i = 0; i + 3 <= len && !has_sch; i++)
		has_sch = memcmp(src + i, "sch", 3) == 0;
	for (int alt_sch = 0; alt_sch <= has_sch; alt_sch++)
		for (int alt_e = 0; alt_e <= has_e; alt_e++) {
			uint32_t t = (uint32_t)cand->len;
			translit_into(cand, src, len, alt_sch, alt_e);
			uint32_t tl = (uint32_t)cand->len - t;
			int s = score_chunk(sc, cand->data + t, tl, 1);
			if (s > ts) {
				tr = (int32_t)t;
				tr_len = tl;
				ts = s;
			}
		}
	if (ts < SCORE_CONFIDENT && ts <= ch->written_score)
		ts = ts > SCORE_PLAUSIBLE ? SCORE_PLAUSIBLE : ts;
	ch->alt[0] = (int32_t)lay;
	ch->alt_len[0] = lay_len;
	ch->alt_score[0] = ls;
	ch->alt[1] = tr;
	ch->alt_len[1] = tr_len;
	ch->alt_score[1] = ts;
	consider(ch, (int32_t)lay, lay_len, TEXT_LAYOUT, ls);
	consider(ch, tr, tr_len, TEXT_TRANSLIT, ts);
	int others = 0;
	if (ch->how != TEXT_AS_WRITTEN && ch->written_score >= ch->score)
		others = 1;
	/* Layout and transliteration equally good (short chunks: "u" is "г" or "у"):
	 * the rest of the message decides. */
	if (ls == ts && ls >= ch->written_score)
		others = 1;
	ch->confident = ch->score >= SCORE_CONFIDENT && !others;
	/* A gibberish-as-written chunk that becomes a plausible word on the other
	 * layout is a confident layout decision even for words the set does not know. */
	if (ch->how == TEXT_LAYOUT && ch->written_score == 0 && ls >= SCORE_PLAUSIBLE && ls > ts)
		ch->confident = 1;
}

/* Second pass: undecided chunks follow the majority of the confident ones. */
static void settle_chunks(struct chunk *chs, size_t n)
{
	int votes[4] = {0};
	for (size_t i = 0; i < n; i++)
		if (chs[i].confident && chs[i].has_alt)
			votes[chs[i].how]++;
	int mode = TEXT_AS_WRITTEN;
	if (votes[TEXT_LAYOUT] > votes[mode])
		mode = TEXT_LAYOUT;
	if (votes[TEXT_TRANSLIT] > votes[mode])
		mode = TEXT_TRANSLIT;
	for (size_t i = 0; i < n; i++) {
		struct chunk *ch = &chs[i];
		if (ch->confident || !ch->has_alt || mode == TEXT_AS_WRITTEN)
			continue;
		int k = mode == TEXT_LAYOUT ? 0 : 1;
		int s = ch->alt_score[k];
		/* Follow the majority unless the chunk's own best form is known better. */
		if (ch->score >= SCORE_CONFIDENT && ch->how != mode && s < ch->score)
			continue;
		if (s >= SCORE_PLAUSIBLE || ch->score < SCORE_PLAUSIBLE) {
			ch->best = ch->alt[k];
			ch->best_len = ch->alt_len[k];
			ch->how = mode;
			ch->score = s;
		}
	}
}
/* The stem the reply set knows for a real word through its dictionary forms
 * ("звонков" -> "звонок", "симку" -> "симка"): copied to the pool, or NULL. */
static const char *lemma_stem(const struct scorer *sc, const char *w, size_t len, size_t *out_len)
{
	struct text_ctx *ctx = sc->ctx;
	const struct text_opts *o = sc->opts;
	char word[DICT_WORD_MAX];
	if (!o->stems || len >= sizeof word)
		return NULL;
	memcpy(word, w, len);
	word[len] = '\0';
	/* The dictionary forms, NUL-separated: from the word cache, else from Hunspell
	 * (and then cached). The cache keeps them where they are for this analysis. */
	const char *forms;
	size_t flen;
	struct buf fresh = {0};
	if (!text_cache_get(ctx->cache, TEXT_CACHE_LEMMAS, w, len, &forms, &flen)) {
		char **list = NULL;
		int n = Hunspell_stem(ctx->dict->h, &list, word);
		bput(&fresh, "", 0);
		for (int i = 0; i < n; i++)
			bput(&fresh, list[i], strlen(list[i]) + 1);
		if (list)
			Hunspell_free_list(ctx->dict->h, &list, n);
		flen = fresh.len;
		forms = text_cache_put(ctx->cache, TEXT_CACHE_LEMMAS, w, len, fresh.data, flen);
		if (!forms)
			forms = fresh.data;
	}
	const char *found = NULL;
	for (size_t at = 0; at < flen && !found;) {
		const char *form = forms + at;
		size_t ll = strlen(form), sl;
		at += ll + 1;
		if (ll == len && memcmp(form, w, len) == 0)
			continue; /* the word itself: its stem is already unknown */
		const char *st = stem_raw(ctx, form, ll, &sl);
		if (text_vocab_find(o->stems, st, sl) >= 0) {
			*out_len = sl;
			size_t p = ctx->pool.len;
			bput(&ctx->pool, st, sl);
			bput(&ctx->pool, "", 1);
			found = ctx->pool.data + p;
		}
	}
	buf_free(&fresh);
	return found;
}

/* ------------------------------------------------------------------ glued words */

/* Customers drop spaces ("какузнатьбаланс", "вроуминге"). A long letter run that is no
 * word the reply set or the dictionary knows, and no near typo of one, is split into
 * the fewest, best-known pieces: words of the reply set first, then words whose stem
 * it knows, then any word of the dictionary. Pieces of one or two letters must be
 * known to the set as words (prepositions, "не"), and dictionary-only pieces must have
 * three letters at least, or every glued word would split into "ка" and "ку". */
static void bfill(struct buf *b, unsigned char c, size_t n);

#define GLUE_MIN_CP 6
#define GLUE_PIECE_MAX 16
#define GLUE_NO 1000
#define GLUE_COMMON 8 /* occurrences in the set's examples that make a word common */

/* Short words a glued message may hide ("вроуминге", "немогу", "howtopay"): only these
 * may be pieces of one or two letters, or "ре" + "пост" would split "репост". */
static int short_piece(const char *w, size_t len)
{
	static const char *const words[] = {
		"в", "с", "к", "у", "и", "а", "о", "я", "не", "на", "по", "за", "до", "от", "из", "ли",
		"со", "во", "ко", "об",
		"же", "бы", "мы", "вы", "он", "то", "мне", "как", "что", "где", "мой", "моя", "нет",
		"to", "my", "on", "in", "is", "do", "of", "me", "it", "at", "no", "i", "a", "how", "can",
		NULL};
	for (const char *const *p = words; *p; p++)
		if (strlen(*p) == len && memcmp(*p, w, len) == 0)
			return 1;
	return 0;
}

/* Cost of w (ncp code points) as one piece (lower is better), or GLUE_NO. *set gets 1
 * when the reply set knows the piece (as a word or by its stem). */
static int piece_cost(const struct scorer *sc, const char *w, size_t len, int ncp, int *set)
{
	const struct text_opts *o = sc->opts;
	*set = 0;
	/* A word the set uses often is the likelier piece: "как узнать", not "каку
	 * знать" because one example says "каку". */
	int id = text_vocab_find(o->vocab, w, len);
	int common = id >= 0 && text_vocab_count(o->vocab, id) >= GLUE_COMMON;
	if (short_piece(w, len))
		return common ? 1 : 3;
	if (ncp < 3)
		return GLUE_NO;
	if (id >= 0) {
		*set = 1;
		return common ? 1 : 2;
	}
	if (o->stems) {
		size_t sl;
		const char *st = stem_raw(sc->ctx, w, len, &sl);
		if (text_vocab_find(o->stems, st, sl) >= 0) {
			*set = 1;
			return 3;
		}
	}
	return GLUE_NO;
}

/* A word only the dictionary knows must be long enough not to be a fragment. Asked
 * last, and only when it could change the split (see glue_segment): the dictionary
 * is by far the dearest question. */
#define GLUE_DICT_COST 5

static int dict_piece(const struct scorer *sc, const char *w, size_t len, int ncp)
{
	return ncp >= 4 && ctx_spell(sc->ctx, w, len);
}

/* Is the run w (ncp letters, one script) a candidate for splitting? */
static int glued_candidate(const struct scorer *sc, const char *w, size_t len, int ncp, int script)
{
	const struct text_opts *o = sc->opts;
	if (ncp < GLUE_MIN_CP || ncp > MAX_WORD_CP || script == TEXT_SCRIPT_OTHER)
		return 0;
	for (const char *const *p = o->no_split; p && *p; p++)
		if (strlen(*p) <= len && memcmp(*p, w, strlen(*p)) == 0)
			return 0;
	/* Through the word memo: the token loop asks the same questions next. */
	struct memo tmp, *m = word_info(sc, w, len, &tmp);
	if (m->vocab >= 0 || (o->stems && memo_stem_known(sc, m)))
		return 0;
	if (script == TEXT_SCRIPT_CYR && memo_spelled(sc, m))
		return 0;
	int d = 0;
	if (memo_typo(sc, m, &d) >= 0 && d <= 1)
		return 0; /* a typo of a known word, not two words */
	return 1;
}

/* Splits w (ncp code points at byte offsets off[0..ncp]) into pieces; writes the cut
 * points (code point indexes, ascending, without 0 and ncp) to cuts and returns their
 * number, or 0 when no split covers the whole run. */
static int glue_segment(const struct scorer *sc, const char *w, const size_t *off, int ncp, int *cuts)
{
	int best[MAX_WORD_CP + 1], back[MAX_WORD_CP + 1], pieces[MAX_WORD_CP + 1], known[MAX_WORD_CP + 1];
	best[0] = pieces[0] = known[0] = 0;
	for (int j = 1; j <= ncp; j++) {
		best[j] = GLUE_NO;
		back[j] = -1;
		pieces[j] = known[j] = 0;
		for (int i = j - 1; i >= 0 && j - i <= GLUE_PIECE_MAX; i--) {
			if (best[i] >= GLUE_NO)
				continue;
			int set;
			int c = piece_cost(sc, w + off[i], off[j] - off[i], j - i, &set);
			/* A dictionary piece wins only if it makes j cheaper, or as cheap in
			 * fewer pieces; otherwise its answer changes nothing. */
			if (c >= GLUE_NO &&
			    (best[i] + GLUE_DICT_COST < best[j] ||
			     (best[i] + GLUE_DICT_COST == best[j] && pieces[i] + 1 < pieces[j])) &&
			    dict_piece(sc, w + off[i], off[j] - off[i], j - i))
				c = GLUE_DICT_COST;
			if (c >= GLUE_NO)
				continue;
			int total = best[i] + c;
			if (total < best[j] || (total == best[j] && pieces[i] + 1 < pieces[j])) {
				best[j] = total;
				back[j] = i;
				pieces[j] = pieces[i] + 1;
				known[j] = known[i] + set;
			}
		}
	}
	/* Two pieces at least, and one the reply set knows: a split that only the
	 * dictionary supports would not help the match and may well be wrong. */
	if (best[ncp] >= GLUE_NO || pieces[ncp] < 2 || known[ncp] == 0)
		return 0;
	int n = 0;
	for (int j = back[ncp]; j > 0; j = back[j])
		cuts[n++] = j;
	for (int a = 0, b = n - 1; a < b; a++, b--) {
		int t = cuts[a];
		cuts[a] = cuts[b];
		cuts[b] = t;
	}
	return n;
}

/* Rewrites ctx->fixed (and ctx->hows alongside) with the glued words split by spaces.
 * Returns the number of words split. Nothing is copied when nothing splits. */
static int split_glued(const struct scorer *sc)
{
	struct text_ctx *ctx = sc->ctx;
	const struct text_opts *o = sc->opts;
	if (!o || !o->vocab || o->no_repair)
		return 0;
	const char *s = ctx->fixed.data;
	size_t len = ctx->fixed.len;
	struct buf *g = &ctx->glue, *gh = &ctx->glue_hows;
	int n_split = 0;
	size_t copied = 0; /* bytes of fixed already in g */
	for (size_t i = 0; i < len;) {
		size_t adv;
		int32_t cp = u8dec(s + i, len - i, &adv);
		if (!is_letter_cat(cp)) {
			i += adv;
			continue;
		}
		size_t off[MAX_WORD_CP + 2];
		int ncp = 0, cyr = 0, lat = 0;
		size_t start = i;
		while (i < len) {
			cp = u8dec(s + i, len - i, &adv);
			if (!is_letter_cat(cp))
				break;
			if (ncp <= MAX_WORD_CP)
				off[ncp] = i - start;
			ncp++;
			cyr |= IS_CYR(cp);
			lat |= !IS_CYR(cp);
			i += adv;
		}
		if (ncp > MAX_WORD_CP)
			continue;
		off[ncp] = i - start;
		int script = cyr && !lat ? TEXT_SCRIPT_CYR : lat && !cyr ? TEXT_SCRIPT_LAT : TEXT_SCRIPT_OTHER;
		if (!glued_candidate(sc, s + start, i - start, ncp, script))
			continue;
		int cuts[MAX_WORD_CP];
		int nc = glue_segment(sc, s + start, off, ncp, cuts);
		if (!nc)
			continue;
		if (!n_split++) {
			g->len = 0;
			gh->len = 0;
		}
		bput(g, s + copied, start - copied);
		bput(gh, ctx->hows.data + copied, start - copied);
		unsigned char how = (unsigned char)ctx->hows.data[start];
		size_t from = 0;
		for (int k = 0; k <= nc; k++) {
			size_t to = k < nc ? off[cuts[k]] : i - start;
			if (k) {
				bput(g, " ", 1);
				bput(gh, &how, 1);
			}
			bput(g, s + start + from, to - from);
			bfill(gh, how, to - from);
			from = to;
		}
		copied = i;
	}
	if (!n_split)
		return 0;
	bput(g, s + copied, len - copied);
	bput(gh, ctx->hows.data + copied, len - copied);
	/* Swap the buffers: fixed holds the split text from now on. */
	struct buf t = ctx->fixed;
	ctx->fixed = *g;
	*g = t;
	t = ctx->hows;
	ctx->hows = *gh;
	*gh = t;
	return n_split;
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
	static const char *const min_w[] = {"мин", "min", "mins", "м", "минт", "мнут", NULL};
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
	static const char *const limit_p[] = {"лимит", "огранич", NULL};
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		/* "без лимита", "без ограничений", and "безлимитом" when it reaches here
		 * split in two: read from the second word, as "безлимит". */
		int unl = t->kind == TEXT_WORD && tok_any_prefix(t, unl_p);
		if (!unl && t->kind == TEXT_WORD && tok_is(t, "без") && i + 1 < a->n_tokens &&
		    tok_any_prefix(&a->tokens[i + 1], limit_p)) {
			i++;
			unl = 1;
		}
		if (unl) {
			/* "безлимит на мессенджеры / соцсети / ютуб": one app's traffic is free,
			 * which says nothing about the data the customer needs. */
			static const char *const core_p[] = {"интернет", "инет", "трафик", "звонк", "минут",
							     "смс", "sms", "все", "всё", "internet", "data",
							     "call", "minut", "everything", NULL};
			if (i + 2 < a->n_tokens &&
			    (tok_is(&a->tokens[i + 1], "на") || tok_is(&a->tokens[i + 1], "on") ||
			     tok_is(&a->tokens[i + 1], "for")) &&
			    a->tokens[i + 2].kind == TEXT_WORD && !tok_any_prefix(&a->tokens[i + 2], core_p))
				continue;
			double *what = &e->gb;
			/* "безлимит на всё": every service. */
			for (size_t k = i + 1; k < a->n_tokens && k <= i + 2; k++)
				if (tok_is(&a->tokens[k], "все") || tok_is(&a->tokens[k], "всё") ||
				    tok_is(&a->tokens[k], "everything"))
					e->minutes = e->sms = TEXT_UNLIMITED;
			/* The service named nearest to it ("интернет безлимит, минуты не
			 * нужны" is unlimited data): one token away first, then two. */
			static const char *const data_p[] = {"интернет", "инет", "трафик", "гб", "гиг",
							     "internet", "data", "gb", NULL};
			int found = 0;
			for (size_t dist = 1; dist <= 2 && !found; dist++)
				for (int side = -1; side <= 1 && !found; side += 2) {
					if (side < 0 && i < dist)
						continue;
					size_t k = side < 0 ? i - dist : i + dist;
					if (k >= a->n_tokens)
						continue;
					const struct text_token *n = &a->tokens[k];
					if (tok_any_prefix(n, call_p))
						what = &e->minutes, found = 1;
					else if (tok_any_prefix(n, sms_p))
						what = &e->sms, found = 1;
					else if (tok_any_prefix(n, data_p))
						what = &e->gb, found = 1;
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
 * customer does not want counts as zero, when nothing else was said about it. */
void text_zero_needs(const struct text_analysis *a, struct text_entities *e)
{
	static const char *const neg[] = {"не", "нет", "без", "no", "not", "without", "ни", NULL};
	static const char *const gb_p[] = {"интернет", "трафик", "internet", "data", NULL};
	static const char *const min_p[] = {"звонк", "звоню", "calls", "разговор", "минут", "minut", NULL};
	static const char *const sms_p[] = {"смс", "sms", "сообщен", NULL};
	static const char *const only[] = {"только", "лишь", "only", "just", NULL};
	/* "только интернет", "только звонки": the other service is not wanted. */
	for (size_t i = 0; i + 1 < a->n_tokens; i++) {
		if (!tok_any_is(&a->tokens[i], only))
			continue;
		const struct text_token *n = &a->tokens[i + 1];
		if (tok_any_prefix(n, gb_p) && e->minutes < 0)
			e->minutes = 0;
		else if (tok_any_prefix(n, min_p) && e->gb < 0)
			e->gb = 0;
	}
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

/* Appends n bytes c to a scratch buffer. */
static void bfill(struct buf *b, unsigned char c, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memset(b->data + b->len, c, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static struct ptok *push_tok(struct text_ctx *ctx, size_t *n)
{
	if (*n == ctx->cap_toks) {
		ctx->cap_toks = ctx->cap_toks ? ctx->cap_toks * 2 : 64;
		ctx->toks = xrealloc(ctx->toks, ctx->cap_toks * sizeof *ctx->toks);
	}
	struct ptok *t = &ctx->toks[(*n)++];
	memset(t, 0, sizeof *t);
	t->text = t->stem = UINT32_MAX;
	return t;
}

/* Splits the repaired text (ctx->fixed) into ctx->toks; hows[] gives the repair of
 * each byte's chunk. Returns the number of tokens. */
static size_t tokenize(struct text_ctx *ctx, const struct phone_span *ph, size_t n_ph)
{
	const char *s = ctx->fixed.data;
	size_t len = ctx->fixed.len;
	const unsigned char *hows = (const unsigned char *)ctx->hows.data;
	size_t n = 0;
	int space = 1;
	size_t next_ph = 0;
	for (size_t i = 0; i < len;) {
		if (next_ph < n_ph && i == ph[next_ph].start) {
			struct ptok *t = push_tok(ctx, &n);
			memcpy(t->phone, ph[next_ph].phone, 13);
			t->len = 12;
			t->kind = TEXT_PHONE;
			t->space = (uint8_t)space;
			space = 0;
			i = ph[next_ph].end;
			next_ph++;
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		if (c == ' ') {
			space = 1;
			i++;
			continue;
		}
		size_t start = i, adv = 1;
		int32_t cp = c < 0x80 ? (int32_t)c : u8dec(s + i, len - i, &adv);
		int kind;
		if (is_letter_cat(cp)) {
			kind = TEXT_WORD;
			while (i < len) {
				c = (unsigned char)s[i];
				if (c < 0x80) {
					if (!((c | 32) >= 'a' && (c | 32) <= 'z'))
						break;
					i++;
					continue;
				}
				cp = u8dec(s + i, len - i, &adv);
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
			if (c >= 0x80)
				i += adv;
			else
				i++;
		}
		size_t tl = i - start;
		if (tl > 0xFFFF)
			tl = 0xFFFF;
		struct ptok *t = push_tok(ctx, &n);
		t->off = (uint32_t)start;
		t->len = (uint32_t)tl;
		t->kind = (uint8_t)kind;
		t->how = hows[start];
		t->space = (uint8_t)space;
		t->script = kind == TEXT_WORD ? (uint8_t)word_script(s + start, tl) : TEXT_SCRIPT_OTHER;
		space = 0;
	}
	return n;
}

/* Copies n bytes and a NUL into the output block at *p. */
static char *put_str(char **p, const char *s, size_t n)
{
	char *r = *p;
	memcpy(r, s, n);
	r[n] = '\0';
	*p += n + 1;
	return r;
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
	if (++ctx->gen == 0) {
		if (ctx->memo)
			memset(ctx->memo, 0, MEMO_SLOTS * sizeof *ctx->memo);
		ctx->gen = 1;
	}
	ctx->memo_used = 0;
	text_cache_begin(ctx->cache);
	ctx->pool.len = 0;
	bput(&ctx->pool, "", 0);
	ctx->cand.len = 0;
	bput(&ctx->cand, "", 0);
	struct raw_counts rc = {0};
	normalize_into(in, len, &ctx->norm, &rc, 0);
	out->n_letters = rc.letters;
	out->n_upper = rc.upper;
	out->n_exclaim = rc.exclaim;
	struct scorer sc = {ctx, opts};
	int repair = !(opts && opts->no_repair);

	/* Chunks (whitespace-separated) and their repair. */
	size_t nlen = ctx->norm.len;
	size_t n_ch = 0;
	for (size_t i = 0; i < nlen;) {
		size_t end = i;
		while (end < nlen && ctx->norm.data[end] != ' ')
			end++;
		if (n_ch == ctx->cap_chunks) {
			ctx->cap_chunks = ctx->cap_chunks ? ctx->cap_chunks * 2 : 32;
			ctx->chunks = xrealloc(ctx->chunks, ctx->cap_chunks * sizeof *ctx->chunks);
		}
		struct chunk *ch = &ctx->chunks[n_ch++];
		*ch = (struct chunk){.src = (uint32_t)i, .len = (uint32_t)(end - i), .best = -1, .alt = {-1, -1}};
		if (repair)
			repair_chunk(&sc, ch);
		i = end + 1;
	}
	if (repair)
		settle_chunks(ctx->chunks, n_ch);

	/* The repaired text, with the repair kind of every byte alongside. */
	struct buf *fixed = &ctx->fixed, *hows = &ctx->hows;
	fixed->len = 0;
	bput(fixed, "", 0);
	hows->len = 0;
	bput(hows, "", 0);
	for (size_t k = 0; k < n_ch; k++) {
		const struct chunk *ch = &ctx->chunks[k];
		if (k)
			bput(fixed, " ", 1);
		if (ch->best >= 0)
			bput(fixed, ctx->cand.data + ch->best, ch->best_len);
		else
			bput(fixed, ctx->norm.data + ch->src, ch->len);
		unsigned char h = (unsigned char)(ch->best >= 0 ? ch->how : TEXT_AS_WRITTEN);
		if (h == TEXT_LAYOUT)
			out->n_layout++;
		else if (h == TEXT_TRANSLIT)
			out->n_translit++;
		bfill(hows, h, fixed->len - hows->len);
	}

	if (repair)
		out->n_split = split_glued(&sc);

	struct phone_span ph[8];
	size_t n_ph = find_phones(fixed->data, fixed->len, ph, 8);
	if (n_ph)
		memcpy(out->ent.phone, ph[0].phone, 13);

	size_t n_tok = tokenize(ctx, ph, n_ph);

	/* Typos and stems, word by word; sizes of the output block alongside. */
	int cyr = 0, lat = 0;
	size_t bytes = 0;
	for (size_t i = 0; i < n_tok; i++) {
		struct ptok *t = &ctx->toks[i];
		bytes += 2 * ((size_t)t->len + 1);
		if (t->kind != TEXT_WORD)
			continue;
		const char *w = fixed->data + t->off;
		struct memo tmp, *m = word_info(&sc, w, t->len, &tmp);
		size_t sl;
		const char *s = NULL;
		uint32_t tlen = t->len;
		if (repair && opts && opts->vocab && m->vocab < 0) {
			int known_stem = opts->stems ? memo_stem_known(&sc, m) : 0;
			int real = 0;
			if (!known_stem && t->script == TEXT_SCRIPT_CYR && memo_spelled(&sc, m)) {
				/* A real word the examples lack: never "corrected" into one they
				 * have; read through its dictionary form when the set knows that. */
				real = 1;
				s = lemma_stem(&sc, w, t->len, &sl);
				out->n_lemma += s != NULL;
			}
			int d, id = known_stem || real ? -1 : memo_typo(&sc, m, &d);
			/* A four-letter non-word (the dictionary says so): one edit. */
			if (id < 0 && !known_stem && !real && ctx->dict && t->script == TEXT_SCRIPT_CYR &&
			    !memo_spelled(&sc, m))
				id = correct_short(opts->vocab, w, t->len);
			if (id >= 0) {
				const char *cw = text_vocab_word(opts->vocab, id);
				size_t cl = strlen(cw);
				struct memo tmp2, *m2 = word_info(&sc, cw, cl, &tmp2);
				t->text = m2->word;
				t->tlen = tlen = (uint32_t)cl;
				t->how = TEXT_TYPO;
				t->script = (uint8_t)word_script(cw, cl);
				out->n_typo++;
				s = memo_stem(&sc, m2, &sl);
				bytes += cl + 1;
			}
		}
		if (!s)
			s = memo_stem(&sc, m, &sl);
		t->stem = (uint32_t)(s - ctx->pool.data);
		t->slen = (uint32_t)sl;
		bytes += sl + 1 + tlen + 1;
		if (t->script == TEXT_SCRIPT_CYR)
			cyr += (int)tlen / 2;
		else if (t->script == TEXT_SCRIPT_LAT)
			lat += (int)tlen;
	}
	out->lang = cyr || lat ? (cyr >= lat ? "ru" : "en") : NULL;

	/* One block: the tokens, the normalised text, the token strings. */
	size_t tok_bytes = n_tok * sizeof(struct text_token);
	struct text_arena *ar = xmalloc(sizeof *ar + tok_bytes + bytes + 1);
	ar->cap = tok_bytes + bytes + 1;
	ar->used = ar->cap;
	out->arena = ar;
	out->tokens = (struct text_token *)(void *)ar->data;
	out->n_tokens = n_tok;
	char *p = ar->data + tok_bytes;
	out->norm = p;
	for (size_t i = 0; i < n_tok; i++) {
		const struct ptok *t = &ctx->toks[i];
		const char *txt = t->kind == TEXT_PHONE	     ? t->phone
				  : t->text != UINT32_MAX ? ctx->pool.data + t->text
							  : fixed->data + t->off;
		size_t tl = t->text != UINT32_MAX ? t->tlen : t->len;
		if (i)
			*p++ = ' ';
		memcpy(p, txt, tl);
		p += tl;
	}
	*p++ = '\0';
	for (size_t i = 0; i < n_tok; i++) {
		const struct ptok *t = &ctx->toks[i];
		struct text_token *o = &out->tokens[i];
		memset(o, 0, sizeof *o);
		o->kind = t->kind;
		o->script = t->script;
		o->how = t->how;
		o->space_before = t->space;
		if (t->kind == TEXT_PHONE) {
			o->text = o->orig = o->stem = put_str(&p, t->phone, 12);
			o->len = 12;
			continue;
		}
		o->orig = put_str(&p, fixed->data + t->off, t->len);
		o->text = o->orig;
		o->len = (uint16_t)t->len;
		if (t->text != UINT32_MAX) {
			o->text = put_str(&p, ctx->pool.data + t->text, t->tlen);
			o->len = (uint16_t)t->tlen;
		}
		o->stem = o->text;
		if (t->stem != UINT32_MAX &&
		    (t->slen != o->len || memcmp(ctx->pool.data + t->stem, o->text, t->slen) != 0))
			o->stem = put_str(&p, ctx->pool.data + t->stem, t->slen);
	}

	if (ctx->cap_used < n_tok + 1) {
		ctx->cap_used = n_tok + 1;
		ctx->used = xrealloc(ctx->used, ctx->cap_used);
	}
	memset(ctx->used, 0, n_tok + 1);
	read_account(out, ctx->used);
	read_quantities(out, ctx->used);
	/* Only when the message states some other quantity, so that "не работает
	 * интернет" alone is no tariff need. */
	if (out->ent.minutes >= 0 || out->ent.gb >= 0 || out->ent.sms >= 0)
		text_zero_needs(out, &out->ent);
	return 0;
}

void text_analysis_free(struct text_analysis *a)
{
	if (!a)
		return;
	free(a->arena);
	memset(a, 0, sizeof *a);
}

/* A part made of digits, or of one letter, is a whole word: "1с" is no "100 с
 * карты", "т банк" no "телефон банка". */
static int whole_part(const char *s, size_t len)
{
	size_t adv;
	return (s[0] >= '0' && s[0] <= '9') || (u8dec(s, len, &adv) && adv == len);
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
		int32_t cp = u8dec(phrase + i, len - i, &adv);
		if (cp == ' ') {
			i += adv;
			continue;
		}
		size_t start = i;
		if (is_letter_cat(cp)) {
			while (i < len && is_letter_cat(u8dec(phrase + i, len - i, &adv)))
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
			int whole = whole_part(part[k], plen[k]);
			if ((strncmp(t->text, part[k], plen[k]) != 0 || (whole && t->text[plen[k]])) &&
			    (strncmp(t->orig, part[k], plen[k]) != 0 || (whole && t->orig[plen[k]])))
				break;
		}
		if (k == np)
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ phrase sets */

/* Phrases are split into parts as text_has_phrase splits them. The first part of
 * every phrase is hashed (fnv of its bytes); matching walks each token's text and
 * original form byte by byte, and at every character boundary looks the prefix up:
 * a hit is then checked part by part. */
struct phrase {
	uint32_t part;  /* index of the first part in parts */
	uint8_t n;      /* parts */
	uint8_t tag;
};

struct phrase_part {
	uint32_t off;   /* in pool */
	uint32_t len;
};

struct phrase_slot {
	uint64_t hash;  /* of the first part */
	uint32_t phrase; /* index + 1; 0 empty */
};

struct text_phrases {
	struct buf pool;
	struct phrase_part *parts;
	size_t n_parts, cap_parts;
	struct phrase *phrases;
	size_t n, cap;
	struct phrase_slot *slots;
	size_t n_slots;
	size_t max_first;  /* longest first part, bytes */
};

struct text_phrases *text_phrases_new(void)
{
	struct text_phrases *p = xcalloc(1, sizeof *p);
	p->n_slots = 16;
	p->slots = xcalloc(p->n_slots, sizeof *p->slots);
	return p;
}

void text_phrases_free(struct text_phrases *p)
{
	if (!p)
		return;
	buf_free(&p->pool);
	free(p->parts);
	free(p->phrases);
	free(p->slots);
	free(p);
}

size_t text_phrases_memory(const struct text_phrases *p)
{
	return p ? sizeof *p + p->pool.cap + p->cap_parts * sizeof *p->parts + p->cap * sizeof *p->phrases +
			   p->n_slots * sizeof *p->slots
		 : 0;
}

static void phrase_slot_put(struct phrase_slot *slots, size_t n_slots, uint64_t h, uint32_t phrase)
{
	size_t mask = n_slots - 1;
	size_t i = slot_index(h, n_slots);
	while (slots[i].phrase)
		i = (i + 1) & mask;
	slots[i].hash = h;
	slots[i].phrase = phrase;
}

int text_phrases_add(struct text_phrases *p, const char *phrase, unsigned tag)
{
	size_t len = strlen(phrase);
	struct phrase ph = {(uint32_t)p->n_parts, 0, (uint8_t)(tag & 63)};
	for (size_t i = 0; i < len && ph.n < 16;) {
		size_t adv;
		int32_t cp = u8dec(phrase + i, len - i, &adv);
		if (cp == ' ') {
			i += adv;
			continue;
		}
		size_t start = i;
		if (is_letter_cat(cp)) {
			while (i < len && is_letter_cat(u8dec(phrase + i, len - i, &adv)))
				i += adv;
		} else if (cp >= '0' && cp <= '9') {
			while (i < len && phrase[i] >= '0' && phrase[i] <= '9')
				i++;
		} else {
			i += adv;
		}
		if (p->n_parts == p->cap_parts) {
			p->cap_parts = p->cap_parts ? p->cap_parts * 2 : 32;
			p->parts = xrealloc(p->parts, p->cap_parts * sizeof *p->parts);
		}
		p->parts[p->n_parts++] = (struct phrase_part){(uint32_t)p->pool.len, (uint32_t)(i - start)};
		buf_append(&p->pool, phrase + start, i - start);
		ph.n++;
	}
	if (ph.n == 0)
		return -1;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->phrases = xrealloc(p->phrases, p->cap * sizeof *p->phrases);
	}
	p->phrases[p->n++] = ph;
	const struct phrase_part *first = &p->parts[ph.part];
	if (first->len > p->max_first)
		p->max_first = first->len;
	if (p->n * 2 > p->n_slots) {
		size_t ns = p->n_slots * 2;
		struct phrase_slot *slots = xcalloc(ns, sizeof *slots);
		for (size_t i = 0; i < p->n_slots; i++)
			if (p->slots[i].phrase)
				phrase_slot_put(slots, ns, p->slots[i].hash, p->slots[i].phrase);
		free(p->slots);
		p->slots = slots;
		p->n_slots = ns;
	}
	phrase_slot_put(p->slots, p->n_slots, fnv(p->pool.data + first->off, first->len), (uint32_t)p->n);
	return 0;
}

/* Does phrase ph match at token i, its first part being a prefix of form (of token i)? */
static int phrase_at(const struct text_phrases *p, const struct phrase *ph, const struct text_analysis *a, size_t i,
		     const char *form, size_t plen)
{
	if (i + ph->n > a->n_tokens)
		return 0;
	const struct phrase_part *pt = &p->parts[ph->part];
	if (pt->len != plen || memcmp(form, p->pool.data + pt->off, plen) != 0)
		return 0;
	if (whole_part(form, plen) && form[plen] != '\0')
		return 0;
	for (size_t k = 1; k < ph->n; k++) {
		const struct text_token *t = &a->tokens[i + k];
		const char *s = p->pool.data + pt[k].off;
		size_t n = pt[k].len;
		int whole = whole_part(s, n);
		if ((strncmp(t->text, s, n) != 0 || (whole && t->text[n])) &&
		    (strncmp(t->orig, s, n) != 0 || (whole && t->orig[n])))
			return 0;
	}
	return 1;
}

uint64_t text_phrases_match(const struct text_phrases *p, const struct text_analysis *a, uint64_t want)
{
	uint64_t found = 0;
	if (!p || !p->n)
		return 0;
	size_t mask = p->n_slots - 1;
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		for (int f = 0; f < 2; f++) {
			const char *form = f ? t->orig : t->text;
			if (f && strcmp(t->orig, t->text) == 0)
				break;
			uint64_t h = 1469598103934665603ULL;
			for (size_t b = 0; form[b] && b < p->max_first; b++) {
				h ^= (unsigned char)form[b];
				h *= 1099511628211ULL;
				/* Only whole characters end a part. */
				if (((unsigned char)form[b + 1] & 0xC0) == 0x80)
					continue;
				for (size_t s = slot_index(h, p->n_slots); p->slots[s].phrase; s = (s + 1) & mask) {
					if (p->slots[s].hash != h)
						continue;
					const struct phrase *ph = &p->phrases[p->slots[s].phrase - 1];
					if ((found >> ph->tag & 1) || !phrase_at(p, ph, a, i, form, b + 1))
						continue;
					found |= (uint64_t)1 << ph->tag;
					if (want && (found & want) == want)
						return found;
				}
			}
		}
	}
	return found;
}
