/* Intent matching (see matcher.h for the method).
 *
 * Terms are Snowball stems of words, bigrams of adjacent stems (weighted lower),
 * character 4-grams of words, and a few pseudo-terms for what the text module
 * recognised: a number with a unit, a phone, an account, a tariff named. A term is a
 * 64-bit hash (of the stem's bytes, of two stem hashes, of four code points, or a
 * constant); the index keeps no term strings. IDF is counted over intents, not
 * examples, so a word that every phrasing of one intent repeats stays strong.
 *
 * Postings are kept per term in three compressed arrays (CSR: an offset per term into
 * one array of postings): the documents (examples, titles, answers), the intent
 * centroids, and the share of an intent's documents that have the term. Scoring a
 * message touches only the postings of its own terms; the per-document accumulators
 * live in a scratch area owned by the index (one thread, like the reply set's
 * stemmers). */
#include "matcher.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "replyset.h"
#include "xalloc.h"

/* Weight of a bigram term relative to a word. */
#define BIGRAM_WEIGHT 0.5
/* Code points of a stem that key a negated word ("не отправляются" and "не
 * отправить" meet although their stems differ). */
#define NEG_PREFIX 5
/* Factor of a complaint intent's score in a message without a sign of a problem. */
#define CALM_COMPLAINT 0.95
/* Factor of an intent's score in a message about someone else's service (the "foreign"
 * lexicon: a game shop, a bank's bonus, a state service) that says nothing of the
 * customer's own line ("own_context"): enough to turn an answer into a question, so a
 * message that really is ours still gets its topic offered. */
#define FOREIGN_FACTOR 0.5
/* Factor of a small-talk intent's score in a message of SMALLTALK_MAX_WORDS words or
 * more: small talk is short, and a longer message that shares a word with it is
 * asking something ("кто мне звонил пока был без связи" is no goodbye). */
#define SMALLTALK_LONG_FACTOR 0.85
#define SMALLTALK_MAX_WORDS 5
/* Weight of a word the text module corrected as a typo: a guess, weaker evidence. */
#define TYPO_WEIGHT 0.7
/* Weight of a function word relative to a content word, in a text that has no
 * content word (elsewhere function words are left out). */
#define STOP_WEIGHT 0.25
/* Factor of every score per content word the set has never seen, in a message of
 * fewer than UNKNOWN_MAX_WORDS words (a long message has many such words and is
 * answered on its request instead). */
#define UNKNOWN_FACTOR 0.9
#define UNKNOWN_FACTOR_EN 0.95
#define UNKNOWN_MAX_WORDS 12
/* Share of the best single example in an intent's score; the rest is the centroid. */
#define EXAMPLE_SHARE 0.7
#define MAX_QUERY_TERMS 1024
/* Words longer than this get no character n-grams. */
#define MAX_NGRAM_CP 24
/* Share of the coverage in the final score; the rest is the cosine blend. */
#define COVER_SHARE 0.5
/* A term found in only a few of an intent's documents still covers this much. */
#define COVER_FLOOR 0.6
/* Total weight of a word's character 4-grams, relative to its stem. */
#define NGRAM_WEIGHT 1.0
/* The raw score at which the labelled set (tests/data/utterances.tsv) separates
 * in-scope from out-of-scope messages best; calibrate() maps it to 0.55, the default
 * "answer" threshold of settings.json, so that the thresholds read as confidences. */
#define RAW_ANSWER 0.19

/* Seeds of the term hashes, one per kind of term. */
#define H_STEM 0x243F6A8885A308D3ULL
#define H_BIGRAM 0x13198A2E03707344ULL
#define H_NGRAM 0xA4093822299F31D0ULL
#define T_PLAN 0x082EFA98EC4E6C89ULL
#define T_QTY 0x452821E638D01377ULL
#define T_PHONE 0xBE5466CF34E90C6CULL
#define T_ACCOUNT 0xC0AC29B7C97C50DDULL
#define H_SYN 0x3F84D5B5B5470917ULL
#define T_PLAN2 0x9216D5D98979FB1BULL
#define H_NEG 0x636920D871574E69ULL

/* Weights are stored as 16-bit fixed point in [0, 1] (an error below 1e-5). */
#define QW 65535.0f

static inline uint16_t qw(double w)
{
	/* A positive weight stays positive: scoring tells touched documents by it. */
	return (uint16_t)(w <= 0 ? 0 : w >= 1 ? 65535 : w * QW < 1 ? 1 : (int)(w * QW + 0.5));
}

/* Postings of every term over the documents: doc[off[t] .. off[t + 1]) with the
 * weight of the term in each (normalised tf-idf). */
struct doc_postings {
	uint32_t *off;
	uint32_t *doc;
	uint16_t *w;
};

/* The same over the intent centroids (one per intent and language): the term's
 * weight in the centroid, and its coverage factor (how many of the group's
 * documents have it). */
struct intent_posting {
	uint32_t intent;
	uint16_t cent, cov;
};

struct intent_postings {
	uint32_t *off;
	struct intent_posting *items;
};

struct alias {
	int tariff;
	char **words; /* words of the alias, normalised */
	char **stems; /* the same, stemmed */
	size_t n;
};

/* One entry of a synonym group: the stem hashes of its words. Entries with the same
 * first stem are chained, longest first. */
struct syn_entry {
	uint64_t term;  /* the group's concept term */
	uint32_t stems; /* first stem hash in syn_stems */
	uint16_t n;     /* words */
	int32_t next;   /* next entry with the same first stem, or -1 */
};

struct syn_slot {
	uint64_t hash;  /* first stem */
	int32_t entry;  /* head of the chain, -1 empty */
};

/* One slot of the term table. */
struct term_slot {
	uint64_t hash;
	uint32_t id;   /* term id + 1; 0 empty */
};

struct match_index {
	struct text_vocab *words;     /* surface words (typo repair), linked to their stems */
	struct text_vocab *stems;     /* their stems (layout decision) */
	struct text_vocab *stop;      /* function words */
	struct text_vocab *alias_words; /* every word and stem of a plan alias */
	uint64_t *keys;               /* term hashes, sorted: a term's id is its position */
	uint32_t *key_dir;            /* first key with top key_bits bits = b, for b <= 2^key_bits */
	unsigned key_bits;
	struct term_slot *terms;      /* while building: term hash -> id */
	size_t n_term_slots;
	float *idf;                   /* by term id */
	float idf_unknown;            /* weight of a term the set never saw */
	struct doc_postings ex;       /* by term: documents */
	struct intent_postings in;    /* by term: intent centroids and coverage */
	uint32_t *ex_intent;          /* document -> intent */
	size_t n_examples, n_intents, n_terms;
	struct alias *aliases;
	size_t n_aliases;
	struct syn_entry *syn;        /* synonyms.json */
	uint64_t *syn_stems;
	struct syn_slot *syn_slots;
	size_t n_syn, n_syn_slots;
	struct text_opts opts;
	int lex[5];                   /* obscene, legal_threat, spread_call, negative, operator_request */
	int lex_problem;              /* "problem" lexicon, or -1 */
	int lex_foreign, lex_own;     /* "foreign" and "own_context", or -1 */
	int lex_legal_neutral;        /* "legal_neutral", or -1 */
	int lex_grievance;            /* "grievance", or -1 */
	unsigned char *in_foreign;    /* by intent: an example names a foreign thing */
	unsigned char *in_oos;        /* by intent: kind out_of_scope */
	/* Scratch for one query at a time. */
	float *acc_ex;                /* by document */
	uint32_t *touched;            /* documents with a non-zero accumulator */
	float *best_ex, *cent, *cover; /* by intent */
	uint32_t *touched_in;
	unsigned char *in_seen;
};

/* Function words: they still count, four times less than content words. The list is
 * loaded into a hash set of the index once. */
static const char *const *stop_words(void)
{
	static const char *const stop[] = {
		"а", "в", "во", "и", "к", "ко", "на", "не", "ни", "но", "о", "об", "от", "по", "с", "со", "у",
		"я", "мне", "меня", "мой", "моя", "мое", "мои", "моего", "моей", "мы", "нам", "нас", "вы", "вам",
		"вас", "ваш", "ваша", "ваше", "ваши", "вашем", "ты", "тебя", "тебе", "он", "она", "оно", "они",
		"его", "ее", "их", "ему", "ей", "им", "это", "этот", "эта", "эти", "этом", "то", "та", "тот",
		"же", "ли", "бы", "да", "нет", "что", "чтобы", "чтоб", "как", "так", "для", "из", "за", "до",
		"при", "про", "без", "или", "если", "уже", "еще", "вот", "ну", "все", "всё", "весь", "там",
		"тут", "здесь", "где", "когда", "почему", "зачем", "какой", "какая", "какие", "каком", "кто",
		"пожалуйста", "пж", "плиз", "можно", "нужно", "надо", "хочу", "хотел", "хотела", "хотелось",
		"скажите", "подскажите", "подскажи", "скажи", "расскажите", "расскажи", "помогите",
		"помоги", "есть", "был",
		"была", "было", "были", "быть", "будет", "очень", "просто", "сейчас", "теперь", "тоже",
		"также", "вообще", "могу", "можете", "может", "мочь", "же", "ещё", "делать", "сделать", "нибудь",
		"какой-то", "какие-то", "что-то", "свой", "свою", "свои", "своего", "моем", "моему", "мою",
		"моих", "мои", "вашу", "вашего", "вашей", "ваших", "вашим", "твой", "твоя", "твое", "твои", "твою",
		"всех", "всем", "вся", "всю", "всеми",
		"какому", "какую", "каким", "какое", "какого", "какой-нибудь", "который", "которая", "которое",
		"которые", "которую", "тебе", "мной", "нему", "ней", "него", "них", "нам", "вами",
		"the", "a", "an", "to", "of", "in", "on", "for", "is", "it", "i", "my", "me", "do", "does",
		"can", "could", "would", "be", "and", "or", "with", "please", "what", "how", "you", "your",
		"at", "this", "that", "there", "are", "am", "want", "need", "hi", "hello", "tell", "get", "from",
		"have", "has", "if", "so", "just", "will", "where", "when", "why", "which", "who", NULL};
	return stop;
}

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = seed ^ 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return mix64(h);
}

/* The terms of a text and their raw weights (before IDF). */
struct term_list {
	uint64_t hash[MAX_QUERY_TERMS];
	float factor[MAX_QUERY_TERMS];
	size_t n;
};

static inline void term_add(struct term_list *tl, uint64_t h, float factor)
{
	if (tl->n >= MAX_QUERY_TERMS)
		return;
	tl->hash[tl->n] = h;
	tl->factor[tl->n++] = factor;
}

/* Character 4-grams of a word framed as "^word$", so that words sharing a root
 * ("приветик" and "привет", "спасибки" and "спасибо") meet even where the stemmer
 * cuts them differently. The word's n-grams share the weight w. */
static void add_ngrams(struct term_list *tl, const char *w, size_t len, float weight)
{
	uint32_t cp[MAX_NGRAM_CP + 2];
	size_t n = 0;
	for (size_t i = 0; i < len && n < MAX_NGRAM_CP;) {
		unsigned char c = (unsigned char)w[i];
		uint32_t v;
		if (c < 0x80) {
			v = c;
			i++;
		} else if ((c & 0xE0) == 0xC0 && i + 1 < len) {
			v = ((c & 0x1Fu) << 6) | ((unsigned char)w[i + 1] & 0x3Fu);
			i += 2;
		} else {
			/* Longer sequences only need to be told apart, not decoded. */
			size_t k = 1;
			v = c;
			while (i + k < len && ((unsigned char)w[i + k] & 0xC0) == 0x80)
				v = v * 64 + ((unsigned char)w[i + k++] & 0x3Fu);
			i += k;
		}
		cp[++n] = v;
	}
	if (n < 4 || n >= MAX_NGRAM_CP)
		return;
	cp[0] = '^';
	cp[n + 1] = '$';
	float each = weight / (float)(n - 1);
	for (size_t k = 0; k + 3 <= n + 1; k++) {
		uint64_t h = H_NGRAM;
		for (size_t j = k; j < k + 4; j++)
			h = (h ^ cp[j]) * 0x100000001B3ULL;
		term_add(tl, mix64(h), each);
	}
}

static size_t n_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Index of a plan alias starting at token i, or -1; *len gets its length in tokens. */
static int alias_at(const struct match_index *idx, const struct text_analysis *a, size_t i, size_t *len)
{
	const struct text_token *t0 = &a->tokens[i];
	/* Most words are no plan's: one lookup instead of a pass over the aliases. */
	if (text_vocab_find(idx->alias_words, t0->text, t0->len) < 0 &&
	    text_vocab_find(idx->alias_words, t0->stem, strlen(t0->stem)) < 0)
		return -1;
	for (size_t k = 0; k < idx->n_aliases; k++) {
		const struct alias *al = &idx->aliases[k];
		if (i + al->n > a->n_tokens)
			continue;
		size_t j = 0;
		for (; j < al->n; j++) {
			const struct text_token *t = &a->tokens[i + j];
			if (t->kind != TEXT_WORD && t->kind != TEXT_NUMBER)
				break;
			/* Inflected forms match by stem, but only for words of 4+
			 * letters: "мин" (minutes) must not name the plan "Мини". */
			if (strcmp(t->text, al->words[j]) != 0 &&
			    (strcmp(t->stem, al->stems[j]) != 0 || n_chars(t->text) < 4))
				break;
		}
		if (j == al->n) {
			*len = al->n;
			return (int)k;
		}
	}
	return -1;
}

/* The concept term of the longest synonym starting at word token i (whose stem hash
 * is h), or 0; *len gets the tokens it spans. */
static uint64_t synonym_at(const struct match_index *idx, const struct text_analysis *a, size_t i, uint64_t h,
			   size_t *len)
{
	if (!idx->n_syn)
		return 0;
	size_t mask = idx->n_syn_slots - 1;
	size_t s = (size_t)(h >> 11) & mask;
	while (idx->syn_slots[s].entry >= 0 && idx->syn_slots[s].hash != h)
		s = (s + 1) & mask;
	for (int32_t e = idx->syn_slots[s].entry; e >= 0; e = idx->syn[e].next) {
		const struct syn_entry *se = &idx->syn[e];
		/* The next words, hyphens between them skipped ("сим-карта", "wi-fi"). */
		size_t j = i + 1, k = 1;
		for (; k < se->n; k++, j++) {
			while (j < a->n_tokens && a->tokens[j].kind == TEXT_PUNCT && strcmp(a->tokens[j].text, "-") == 0)
				j++;
			if (j >= a->n_tokens)
				break;
			const struct text_token *t = &a->tokens[j];
			if (t->kind != TEXT_WORD ||
			    hash_bytes(H_STEM, t->stem, strlen(t->stem)) != idx->syn_stems[se->stems + k])
				break;
		}
		if (k == se->n) {
			*len = j - i;
			return se->term;
		}
	}
	return 0;
}

/* A key of the first n code points of a stem: forms of one verb the stemmer cuts
 * differently ("отправ", "отправля") share it. */
static uint64_t prefix_key(const char *stem, size_t n)
{
	size_t i = 0, cps = 0;
	while (stem[i] && cps < n) {
		i++;
		while (((unsigned char)stem[i] & 0xC0) == 0x80)
			i++;
		cps++;
	}
	return hash_bytes(H_STEM, stem, i);
}

/* Negation: 1 for a word that negates the next content word ("не", "без", "not",
 * the "t" of "n't"), 2 for one that negates its neighbour on either side ("нет":
 * "нет связи", "связи нет"), else 0. */
static int negation(const struct text_analysis *a, size_t i)
{
	static const char *const next[] = {"не", "ни", "без", "not", "no", "never", "nothing", NULL};
	const struct text_token *t = &a->tokens[i];
	/* Every word above is 7 bytes at most: longer words need no comparing. */
	if (t->kind != TEXT_WORD || t->len > 7)
		return 0;
	for (const char *const *w = next; *w; w++)
		if (strcmp(t->text, *w) == 0)
			return 1;
	if (strcmp(t->text, "t") == 0 && i > 0 && a->tokens[i - 1].kind == TEXT_PUNCT &&
	    (strcmp(a->tokens[i - 1].text, "'") == 0 || strcmp(a->tokens[i - 1].text, "’") == 0))
		return 1;
	if (strcmp(t->text, "нет") == 0)
		return 2;
	return 0;
}

/* Collects the terms of an analysed text, and the plans it names (plans may be NULL). */
static void collect_terms(const struct match_index *idx, const struct text_analysis *a, struct term_list *tl,
			  int *plans, size_t *n_plans)
{
	uint64_t prev = 0;
	int has_prev = 0, has_plan = 0;
	int named[MATCH_MAX_PLANS];
	size_t n_named = 0;
	/* Negation pending for the next content word (tokens left), and the last
	 * content word's stem hash for a "нет" that follows it. */
	int neg_left = 0;
	uint64_t last_content = 0;
	/* Function words only count in a text made of nothing else ("как ты"). */
	int content = 0;
	for (size_t i = 0; i < a->n_tokens && !content; i++)
		content = a->tokens[i].kind == TEXT_WORD && text_vocab_find(idx->stop, a->tokens[i].text, a->tokens[i].len) < 0;
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		size_t alen;
		int al = idx->n_aliases && (t->kind == TEXT_WORD || t->kind == TEXT_NUMBER) ? alias_at(idx, a, i, &alen)
											       : -1;
		if (al >= 0) {
			int tariff = idx->aliases[al].tariff, seen = 0;
			for (size_t k = 0; k < n_named; k++)
				seen |= named[k] == tariff;
			if (!seen && n_named < MATCH_MAX_PLANS)
				named[n_named++] = tariff;
			if (plans) {
				int dup = 0;
				for (size_t k = 0; k < *n_plans; k++)
					dup |= plans[k] == tariff;
				if (!dup && *n_plans < MATCH_MAX_PLANS)
					plans[(*n_plans)++] = tariff;
			}
			has_plan = 1;
			i += alen - 1;
			has_prev = 0;
			continue;
		}
		if (t->kind != TEXT_WORD) {
			if (t->kind != TEXT_NUMBER)
				has_prev = 0;
			/* A negation does not reach past a clause. */
			if (t->kind == TEXT_PUNCT && strchr(".,;:!?", t->text[0]))
				neg_left = 0, last_content = 0;
			continue;
		}
		uint64_t h = hash_bytes(H_STEM, t->stem, strlen(t->stem));
		size_t slen;
		uint64_t syn = synonym_at(idx, a, i, h, &slen);
		if (syn) {
			/* The words of a synonym are one concept term; their character
			 * n-grams stay, for the forms the group does not list. */
			term_add(tl, syn, 1.0f);
			if (neg_left > 0)
				term_add(tl, mix64(syn ^ H_NEG), 1.0f);
			neg_left = 0;
			last_content = syn;
			for (size_t k = i; k < i + slen; k++)
				if (a->tokens[k].kind == TEXT_WORD) {
					if (text_vocab_find(idx->stop, a->tokens[k].text, a->tokens[k].len) < 0)
						add_ngrams(tl, a->tokens[k].text, a->tokens[k].len, (float)NGRAM_WEIGHT);
				}
			if (has_prev)
				term_add(tl, mix64(prev * 0x9E3779B97F4A7C15ULL ^ syn ^ H_BIGRAM), (float)BIGRAM_WEIGHT);
			prev = syn;
			has_prev = 1;
			i += slen - 1;
			continue;
		}
		float f = text_vocab_find(idx->stop, t->text, t->len) >= 0 ? (float)STOP_WEIGHT : 1.0f;
		int ng = negation(a, i);
		if (ng) {
			neg_left = 1;
			if (ng == 2 && last_content)
				term_add(tl, mix64(last_content ^ H_NEG), 1.0f);
		}
		if (f != 1.0f && content) {
			/* Beside content words function words are left out: as a faint hint
			 * (tried: 0.2) they won 2 of 906 blind lines and cost a fifth of the
			 * matcher's time, their postings being the longest. */
			has_prev = 0;
			continue;
		}
		float tf = t->how == TEXT_TYPO ? (float)TYPO_WEIGHT : 1.0f;
		term_add(tl, h, f * tf);
		if (f == 1.0f) {
			/* Negated forms meet by a prefix of the stem. */
			uint64_t nh = prefix_key(t->stem, NEG_PREFIX);
			if (neg_left > 0 && !ng)
				term_add(tl, mix64(nh ^ H_NEG), 1.0f);
			neg_left = 0;
			last_content = nh;
		}
		if (f == 1.0f)
			add_ngrams(tl, t->text, t->len, (float)NGRAM_WEIGHT * tf);
		if (has_prev)
			term_add(tl, mix64(prev * 0x9E3779B97F4A7C15ULL ^ h ^ H_BIGRAM), (float)BIGRAM_WEIGHT * f);
		prev = h;
		has_prev = 1;
	}
	if (has_plan)
		term_add(tl, T_PLAN, 1.0f);
	/* Two plans named: a comparison, most likely. */
	if (n_named >= 2)
		term_add(tl, T_PLAN2, 1.0f);
	const struct text_entities *e = &a->ent;
	if (e->minutes >= 0 || e->gb >= 0 || e->sms >= 0 || e->budget >= 0)
		term_add(tl, T_QTY, 1.0f);
	if (e->phone[0])
		term_add(tl, T_PHONE, 0.5f);
	if (e->account[0])
		term_add(tl, T_ACCOUNT, 0.5f);
}

/* ------------------------------------------------------------------ the term table */

/* Id of a term of the finished index, or UINT32_MAX. */
static uint32_t term_find(const struct match_index *idx, uint64_t h)
{
	size_t b = (size_t)(h >> (64 - idx->key_bits));
	for (uint32_t k = idx->key_dir[b]; k < idx->key_dir[b + 1]; k++)
		if (idx->keys[k] == h)
			return k;
	return UINT32_MAX;
}

/* Id of a term while building (the hash table). */
static uint32_t term_build_find(const struct match_index *idx, uint64_t h)
{
	size_t mask = idx->n_term_slots - 1;
	for (size_t i = (size_t)(h >> 7) & mask; idx->terms[i].id; i = (i + 1) & mask)
		if (idx->terms[i].hash == h)
			return idx->terms[i].id - 1;
	return UINT32_MAX;
}

static uint32_t term_add_id(struct match_index *idx, uint64_t h)
{
	uint32_t id = term_build_find(idx, h);
	if (id != UINT32_MAX)
		return id;
	if ((idx->n_terms + 1) * 2 > idx->n_term_slots) {
		size_t ns = idx->n_term_slots * 2;
		struct term_slot *s = xcalloc(ns, sizeof *s);
		for (size_t i = 0; i < idx->n_term_slots; i++) {
			if (!idx->terms[i].id)
				continue;
			size_t k = (size_t)(idx->terms[i].hash >> 7) & (ns - 1);
			while (s[k].id)
				k = (k + 1) & (ns - 1);
			s[k] = idx->terms[i];
		}
		free(idx->terms);
		idx->terms = s;
		idx->n_term_slots = ns;
	}
	size_t mask = idx->n_term_slots - 1;
	size_t i = (size_t)(h >> 7) & mask;
	while (idx->terms[i].id)
		i = (i + 1) & mask;
	idx->terms[i].hash = h;
	idx->terms[i].id = (uint32_t)++idx->n_terms;
	return (uint32_t)(idx->n_terms - 1);
}

/* ------------------------------------------------------------------ building */

/* A sparse vector under construction, merged through a per-term marker. */
struct svec {
	uint32_t *ids;
	float *w;
	size_t n, cap;
};

/* Per-term scratch of the build: where a term sits in the vector being built. */
struct marks {
	uint32_t *stamp; /* vector number + 1 that last used the term */
	uint32_t *pos;   /* its position in that vector */
	size_t cap;
};

static void marks_reserve(struct marks *m, size_t n)
{
	if (n <= m->cap)
		return;
	size_t cap = m->cap ? m->cap : 1024;
	while (cap < n)
		cap *= 2;
	m->stamp = xrealloc(m->stamp, cap * sizeof *m->stamp);
	m->pos = xrealloc(m->pos, cap * sizeof *m->pos);
	memset(m->stamp + m->cap, 0, (cap - m->cap) * sizeof *m->stamp);
	m->cap = cap;
}

static void svec_add(struct svec *v, struct marks *m, uint32_t stamp, uint32_t id, float w)
{
	if (m->stamp[id] == stamp) {
		v->w[m->pos[id]] += w;
		return;
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->ids = xrealloc(v->ids, v->cap * sizeof *v->ids);
		v->w = xrealloc(v->w, v->cap * sizeof *v->w);
	}
	m->stamp[id] = stamp;
	m->pos[id] = (uint32_t)v->n;
	v->ids[v->n] = id;
	v->w[v->n++] = w;
}

static void svec_normalise(struct svec *v)
{
	double s = 0;
	for (size_t i = 0; i < v->n; i++)
		s += (double)v->w[i] * v->w[i];
	s = sqrt(s);
	if (s > 0)
		for (size_t i = 0; i < v->n; i++)
			v->w[i] = (float)(v->w[i] / s);
}

/* Postings gathered unordered before they are laid out by term. */
struct triple {
	uint32_t term, doc;
	float w, w2;
};

struct triples {
	struct triple *items;
	size_t n, cap;
};

static void triples_add(struct triples *t, uint32_t term, uint32_t doc, float w, float w2)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->items = xrealloc(t->items, t->cap * sizeof *t->items);
	}
	t->items[t->n++] = (struct triple){term, doc, w, w2};
}

/* Offsets by term (counting sort, stable: documents stay in order); fills where[i]
 * with the position of triple i. */
static uint32_t *layout_by_term(const struct triples *t, size_t n_terms, uint32_t *where)
{
	uint32_t *off = xcalloc(n_terms + 2, sizeof *off);
	for (size_t i = 0; i < t->n; i++)
		off[t->items[i].term + 2]++;
	for (size_t k = 2; k < n_terms + 2; k++)
		off[k] += off[k - 1];
	for (size_t i = 0; i < t->n; i++)
		where[i] = off[t->items[i].term + 1]++;
	return off;
}

static void doc_postings_build(struct doc_postings *p, struct triples *t, size_t n_terms)
{
	uint32_t *where = xmalloc((t->n ? t->n : 1) * sizeof *where);
	p->off = layout_by_term(t, n_terms, where);
	p->doc = xmalloc((t->n ? t->n : 1) * sizeof *p->doc);
	p->w = xmalloc((t->n ? t->n : 1) * sizeof *p->w);
	for (size_t i = 0; i < t->n; i++) {
		p->doc[where[i]] = t->items[i].doc;
		p->w[where[i]] = qw(t->items[i].w);
	}
	free(where);
	free(t->items);
	memset(t, 0, sizeof *t);
}

static void intent_postings_build(struct intent_postings *p, struct triples *t, size_t n_terms)
{
	uint32_t *where = xmalloc((t->n ? t->n : 1) * sizeof *where);
	p->off = layout_by_term(t, n_terms, where);
	p->items = xmalloc((t->n ? t->n : 1) * sizeof *p->items);
	for (size_t i = 0; i < t->n; i++)
		p->items[where[i]] = (struct intent_posting){t->items[i].doc, qw(t->items[i].w), qw(t->items[i].w2)};
	free(where);
	free(t->items);
	memset(t, 0, sizeof *t);
}

/* Replaces the build-time term table by the sorted key array; renumbers the terms
 * in order of their keys (old id -> new id into remap). */
static void terms_finish(struct match_index *idx, uint32_t *remap)
{
	size_t n = idx->n_terms;
	idx->keys = xmalloc((n ? n : 1) * sizeof *idx->keys);
	struct {
		uint64_t key;
		uint32_t id;
	} *tmp = xmalloc((n ? n : 1) * sizeof *tmp);
	size_t k = 0;
	for (size_t i = 0; i < idx->n_term_slots; i++)
		if (idx->terms[i].id) {
			tmp[k].key = idx->terms[i].hash;
			tmp[k++].id = idx->terms[i].id - 1;
		}
	/* Keys are uniform: bucket them by their top bits, then sort each bucket. */
	idx->key_bits = 1;
	while (idx->key_bits < 24 && ((size_t)1 << (idx->key_bits + 1)) < n)
		idx->key_bits++;
	size_t nb = (size_t)1 << idx->key_bits;
	idx->key_dir = xcalloc(nb + 2, sizeof *idx->key_dir);
	for (size_t i = 0; i < n; i++)
		idx->key_dir[(tmp[i].key >> (64 - idx->key_bits)) + 1]++;
	for (size_t b = 1; b <= nb; b++)
		idx->key_dir[b] += idx->key_dir[b - 1];
	uint32_t *fill = xmalloc((nb + 1) * sizeof *fill);
	memcpy(fill, idx->key_dir, (nb + 1) * sizeof *fill);
	for (size_t i = 0; i < n; i++) {
		size_t b = (size_t)(tmp[i].key >> (64 - idx->key_bits));
		uint32_t at = fill[b]++;
		/* Insertion into the bucket keeps it sorted (buckets hold two or so). */
		while (at > idx->key_dir[b] && idx->keys[at - 1] > tmp[i].key) {
			idx->keys[at] = idx->keys[at - 1];
			at--;
		}
		idx->keys[at] = tmp[i].key;
	}
	for (size_t i = 0; i < n; i++)
		remap[tmp[i].id] = term_find(idx, tmp[i].key);
	free(fill);
	free(tmp);
	free(idx->terms);
	idx->terms = NULL;
	idx->n_term_slots = 0;
}

/* Analyses a reply-set text for the index; stems come from the vocabulary where the
 * word is known, and new words join it (linked to their stems). */
static void analyse_doc(struct match_index *idx, struct text_ctx *ctx, const char *src, struct text_analysis *a)
{
	text_analyze(ctx, src, strlen(src), &idx->opts, a);
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		if (t->kind != TEXT_WORD)
			continue;
		int known = text_vocab_find(idx->words, t->text, t->len) >= 0;
		int id = text_vocab_add(idx->words, t->text, t->len);
		int sid = text_vocab_add(idx->stems, t->stem, strlen(t->stem));
		if (!known)
			text_vocab_set_link(idx->words, id, sid);
	}
}

/* The flag of lexicon i (-1: none) from the bits of replyset_lexicon_hits. */
static int lex_flag(uint64_t hits, int i)
{
	return i >= 0 && i < 64 && (hits >> i & 1);
}

struct match_index *match_index_build(const struct replyset *rs, struct text_ctx *ctx)
{
	struct match_index *idx = xcalloc(1, sizeof *idx);
	idx->words = text_vocab_new();
	idx->stems = text_vocab_new();
	idx->stop = text_vocab_new();
	idx->alias_words = text_vocab_new();
	idx->n_term_slots = 1024;
	idx->terms = xcalloc(idx->n_term_slots, sizeof *idx->terms);
	for (const char *const *w = stop_words(); *w; w++)
		text_vocab_add(idx->stop, *w, strlen(*w));
	static const char *const flag_lex[5] = {"obscene", "legal_threat", "spread_call", "negative",
						"operator_request"};
	for (int k = 0; k < 5; k++)
		idx->lex[k] = replyset_lexicon_index(rs, flag_lex[k]);
	idx->lex_problem = replyset_lexicon_index(rs, "problem");
	idx->lex_foreign = replyset_lexicon_index(rs, "foreign");
	idx->lex_own = replyset_lexicon_index(rs, "own_context");
	idx->lex_legal_neutral = replyset_lexicon_index(rs, "legal_neutral");
	idx->lex_grievance = replyset_lexicon_index(rs, "grievance");
	idx->n_intents = replyset_n_intents(rs);
	idx->in_foreign = xcalloc(idx->n_intents + 1, 1);
	idx->in_oos = xcalloc(idx->n_intents + 1, 1);
	for (size_t in = 0; in < idx->n_intents; in++)
		idx->in_oos[in] = replyset_intent_at(rs, in)->kind == RS_OUT_OF_SCOPE;
	/* While building, texts are analysed without repairs, with the vocabulary as a
	 * stem cache. */
	idx->opts = (struct text_opts){.vocab = idx->words, .stems = idx->stems, .no_repair = 1};

	/* Plan aliases first: their words join the vocabulary and are matched as
	 * "#plan", not as ordinary words. */
	for (size_t t = 0; t < replyset_n_tariffs(rs); t++) {
		const struct replyset_tariff *tf = replyset_tariff_at(rs, t);
		size_t n_names = tf->n_aliases + RS_NLANG;
		for (size_t k = 0; k < n_names; k++) {
			const char *src = k < tf->n_aliases ? tf->aliases[k] : tf->name[k - tf->n_aliases];
			struct text_analysis a;
			analyse_doc(idx, ctx, src, &a);
			struct alias al = {(int)t, NULL, NULL, 0};
			for (size_t i = 0; i < a.n_tokens; i++) {
				const struct text_token *tok = &a.tokens[i];
				if (tok->kind != TEXT_WORD && tok->kind != TEXT_NUMBER)
					continue;
				al.words = xrealloc(al.words, (al.n + 1) * sizeof *al.words);
				al.stems = xrealloc(al.stems, (al.n + 1) * sizeof *al.stems);
				al.words[al.n] = xstrdup(tok->text);
				text_vocab_add(idx->alias_words, tok->text, tok->len);
				text_vocab_add(idx->alias_words, tok->stem, strlen(tok->stem));
				al.stems[al.n++] = xstrdup(tok->stem);
			}
			text_analysis_free(&a);
			if (al.n == 0) {
				free(al.words);
				free(al.stems);
				continue;
			}
			idx->aliases = xrealloc(idx->aliases, (idx->n_aliases + 1) * sizeof *idx->aliases);
			idx->aliases[idx->n_aliases++] = al;
		}
	}
	/* Longer aliases first, so "smart plus" wins over "smart". */
	for (size_t i = 1; i < idx->n_aliases; i++)
		for (size_t j = i; j > 0 && idx->aliases[j].n > idx->aliases[j - 1].n; j--) {
			struct alias tmp = idx->aliases[j];
			idx->aliases[j] = idx->aliases[j - 1];
			idx->aliases[j - 1] = tmp;
		}

	/* Synonym groups: each entry's words (which join the vocabulary) as stems. */
	size_t syn_cap = 0, stems_cap = 0, n_stems = 0;
	for (size_t g = 0; g < replyset_n_synonym_groups(rs); g++) {
		const char *const *grp = replyset_synonym_group(rs, g);
		for (; *grp; grp++) {
			struct text_analysis a;
			analyse_doc(idx, ctx, *grp, &a);
			size_t first = n_stems;
			for (size_t i = 0; i < a.n_tokens && n_stems - first < 16; i++) {
				if (a.tokens[i].kind != TEXT_WORD)
					continue;
				if (n_stems == stems_cap) {
					stems_cap = stems_cap ? stems_cap * 2 : 256;
					idx->syn_stems = xrealloc(idx->syn_stems, stems_cap * sizeof *idx->syn_stems);
				}
				idx->syn_stems[n_stems++] =
					hash_bytes(H_STEM, a.tokens[i].stem, strlen(a.tokens[i].stem));
			}
			text_analysis_free(&a);
			if (n_stems == first)
				continue;
			if (idx->n_syn == syn_cap) {
				syn_cap = syn_cap ? syn_cap * 2 : 64;
				idx->syn = xrealloc(idx->syn, syn_cap * sizeof *idx->syn);
			}
			idx->syn[idx->n_syn++] = (struct syn_entry){mix64(H_SYN + g), (uint32_t)first,
								    (uint16_t)(n_stems - first), -1};
		}
	}
	idx->n_syn_slots = 16;
	while (idx->n_syn_slots < idx->n_syn * 2)
		idx->n_syn_slots *= 2;
	idx->syn_slots = xmalloc(idx->n_syn_slots * sizeof *idx->syn_slots);
	for (size_t k = 0; k < idx->n_syn_slots; k++)
		idx->syn_slots[k] = (struct syn_slot){0, -1};
	for (size_t e = 0; e < idx->n_syn; e++) {
		uint64_t h = idx->syn_stems[idx->syn[e].stems];
		size_t mask = idx->n_syn_slots - 1, k = (size_t)(h >> 11) & mask;
		while (idx->syn_slots[k].entry >= 0 && idx->syn_slots[k].hash != h)
			k = (k + 1) & mask;
		idx->syn_slots[k].hash = h;
		/* Keep the chain longest first. */
		int32_t *link = &idx->syn_slots[k].entry;
		while (*link >= 0 && idx->syn[*link].n >= idx->syn[e].n)
			link = &idx->syn[*link].next;
		idx->syn[e].next = *link;
		*link = (int32_t)e;
	}

	/* Documents: every example and each intent's titles. The answers are not
	 * documents: written by the operator, not the customer, their words only
	 * attracted wrong typo corrections and matches (measured with the labelled set). */
	size_t n_ex = replyset_n_examples(rs) + idx->n_intents * RS_NLANG;
	struct svec *ex_vec = xcalloc(n_ex + 1, sizeof *ex_vec);
	idx->ex_intent = xcalloc(n_ex + 1, sizeof *idx->ex_intent);
	uint32_t *ex_group = xcalloc(n_ex + 1, sizeof *ex_group); /* intent * RS_NLANG + language */
	struct marks mk = {0};
	uint32_t *df = NULL, *df_last = NULL; /* intents with the term; last intent + 1 counted */
	size_t df_cap = 0;
	struct term_list *tl = xmalloc(sizeof *tl);
	size_t e = 0;
	for (size_t in = 0; in < idx->n_intents; in++) {
		const struct replyset_intent *it = replyset_intent_at(rs, in);
		for (int l = 0; l < RS_NLANG; l++)
			for (size_t k = 0; k <= it->n_examples[l]; k++, e++) {
				const char *src = k < it->n_examples[l] ? it->examples[l][k] : it->title[l];
				idx->ex_intent[e] = (uint32_t)in;
				ex_group[e] = (uint32_t)(in * RS_NLANG + (size_t)l);
				/* An out-of-scope intent's title is a label, not a phrasing. */
				if (!src || (k == it->n_examples[l] && idx->in_oos[in]))
					continue;
				struct text_analysis a;
				analyse_doc(idx, ctx, src, &a);
				if (idx->lex_foreign >= 0 && idx->lex_foreign < 64 &&
				    lex_flag(replyset_lexicon_hits(rs, &a, (uint64_t)1 << idx->lex_foreign),
					     idx->lex_foreign))
					idx->in_foreign[in] = 1;
				tl->n = 0;
				collect_terms(idx, &a, tl, NULL, NULL);
				for (size_t i = 0; i < tl->n; i++) {
					uint32_t id = term_add_id(idx, tl->hash[i]);
					if (id >= df_cap) {
						size_t cap = df_cap ? df_cap * 2 : 4096;
						df = xrealloc(df, cap * sizeof *df);
						df_last = xrealloc(df_last, cap * sizeof *df_last);
						memset(df + df_cap, 0, (cap - df_cap) * sizeof *df);
						memset(df_last + df_cap, 0, (cap - df_cap) * sizeof *df_last);
						df_cap = cap;
					}
					if (df_last[id] != in + 1) {
						df[id]++;
						df_last[id] = (uint32_t)in + 1;
					}
					marks_reserve(&mk, idx->n_terms);
					svec_add(&ex_vec[e], &mk, (uint32_t)e + 1, id, tl->factor[i]);
				}
				text_analysis_free(&a);
			}
	}
	free(tl);
	idx->n_examples = e;
	idx->idf = xcalloc(idx->n_terms + 1, sizeof *idx->idf);
	double n_in = (double)(idx->n_intents ? idx->n_intents : 1);
	for (size_t t = 0; t < idx->n_terms; t++)
		idx->idf[t] = (float)log(1.0 + n_in / df[t]);
	idx->idf_unknown = (float)log(1.0 + n_in);
	free(df);
	free(df_last);

	/* Document vectors (tf-idf, normalised) and intent centroids, one per intent
	 * and language: a message in one language meets the centroid of its own. */
	struct triples t_ex = {0}, t_in = {0};
	struct svec cent = {0}, cnt = {0};
	struct marks mc = {0}, mn = {0};
	marks_reserve(&mc, idx->n_terms + 1);
	marks_reserve(&mn, idx->n_terms + 1);
	uint32_t group = 1;
	size_t first = 0;
	float group_weight = 0;
	for (size_t x = 0; x <= idx->n_examples; x++) {
		if (x == idx->n_examples || (x > first && ex_group[x] != ex_group[first])) {
			if (x > first) {
				/* cent and cnt hold the same terms in the same order. */
				svec_normalise(&cent);
				for (size_t i = 0; i < cent.n; i++) {
					double share = cnt.w[i] / group_weight;
					triples_add(&t_in, cent.ids[i], idx->ex_intent[first], cent.w[i],
						    (float)(COVER_FLOOR + (1 - COVER_FLOOR) * sqrt(share)));
				}
			}
			cent.n = 0;
			cnt.n = 0;
			group++;
			group_weight = 0;
			first = x;
			if (x == idx->n_examples)
				break;
		}
		struct svec *v = &ex_vec[x];
		for (size_t i = 0; i < v->n; i++)
			v->w[i] *= idx->idf[v->ids[i]];
		svec_normalise(v);
		group_weight += v->n ? 1.0f : 0.0f;
		for (size_t i = 0; i < v->n; i++) {
			triples_add(&t_ex, v->ids[i], (uint32_t)x, v->w[i], 0);
			svec_add(&cent, &mc, group, v->ids[i], v->w[i]);
			svec_add(&cnt, &mn, group, v->ids[i], 1.0f);
		}
	}
	free(cent.ids);
	free(cent.w);
	free(cnt.ids);
	free(cnt.w);
	free(mk.stamp);
	free(mk.pos);
	free(mc.stamp);
	free(mc.pos);
	free(mn.stamp);
	free(mn.pos);
	for (size_t x = 0; x < n_ex; x++) {
		free(ex_vec[x].ids);
		free(ex_vec[x].w);
	}
	free(ex_vec);
	free(ex_group);
	/* The term table becomes a sorted key array; ids follow. */
	uint32_t *remap = xmalloc((idx->n_terms + 1) * sizeof *remap);
	terms_finish(idx, remap);
	float *idf = xmalloc((idx->n_terms + 1) * sizeof *idf);
	for (size_t t = 0; t < idx->n_terms; t++)
		idf[remap[t]] = idx->idf[t];
	free(idx->idf);
	idx->idf = idf;
	for (size_t i = 0; i < t_ex.n; i++)
		t_ex.items[i].term = remap[t_ex.items[i].term];
	for (size_t i = 0; i < t_in.n; i++)
		t_in.items[i].term = remap[t_in.items[i].term];
	free(remap);
	doc_postings_build(&idx->ex, &t_ex, idx->n_terms);
	intent_postings_build(&idx->in, &t_in, idx->n_terms);

	text_vocab_build(idx->words);
	text_vocab_shrink(idx->stems);
	text_vocab_shrink(idx->stop);
	text_vocab_shrink(idx->alias_words);
	idx->opts = (struct text_opts){.vocab = idx->words, .stems = idx->stems,
				       .no_split = replyset_lexicon(rs, "obscene")};

	idx->acc_ex = xcalloc(idx->n_examples + 1, sizeof *idx->acc_ex);
	idx->touched = xcalloc(idx->n_examples + 1, sizeof *idx->touched);
	idx->best_ex = xcalloc(idx->n_intents + 1, sizeof *idx->best_ex);
	idx->cent = xcalloc(idx->n_intents + 1, sizeof *idx->cent);
	idx->cover = xcalloc(idx->n_intents + 1, sizeof *idx->cover);
	idx->touched_in = xcalloc(idx->n_intents + 1, sizeof *idx->touched_in);
	idx->in_seen = xcalloc(idx->n_intents + 1, 1);
	return idx;
}

void match_index_free(struct match_index *idx)
{
	if (!idx)
		return;
	text_vocab_free(idx->words);
	text_vocab_free(idx->stems);
	text_vocab_free(idx->stop);
	text_vocab_free(idx->alias_words);
	free(idx->terms);
	free(idx->keys);
	free(idx->key_dir);
	free(idx->ex.off);
	free(idx->ex.doc);
	free(idx->ex.w);
	free(idx->in.off);
	free(idx->in.items);
	free(idx->cover);
	free(idx->idf);
	free(idx->ex_intent);
	for (size_t k = 0; k < idx->n_aliases; k++) {
		for (size_t j = 0; j < idx->aliases[k].n; j++) {
			free(idx->aliases[k].words[j]);
			free(idx->aliases[k].stems[j]);
		}
		free(idx->aliases[k].words);
		free(idx->aliases[k].stems);
	}
	free(idx->aliases);
	free(idx->syn);
	free(idx->syn_stems);
	free(idx->syn_slots);
	free(idx->acc_ex);
	free(idx->touched);
	free(idx->best_ex);
	free(idx->cent);
	free(idx->touched_in);
	free(idx->in_seen);
	free(idx->in_foreign);
	free(idx->in_oos);
	free(idx);
}

size_t match_index_memory(const struct match_index *idx)
{
	size_t m = sizeof *idx + text_vocab_memory(idx->words) + text_vocab_memory(idx->stems) +
		   text_vocab_memory(idx->stop) + text_vocab_memory(idx->alias_words);
	m += idx->n_terms * (sizeof *idx->keys + sizeof *idx->idf) + (((size_t)1 << idx->key_bits) + 2) * sizeof *idx->key_dir;
	m += 2 * (idx->n_terms + 2) * sizeof(uint32_t);
	m += idx->ex.off[idx->n_terms] * (sizeof *idx->ex.doc + sizeof *idx->ex.w);
	m += idx->in.off[idx->n_terms] * sizeof *idx->in.items;
	m += idx->n_examples * (sizeof *idx->ex_intent + sizeof *idx->acc_ex + sizeof *idx->touched);
	m += idx->n_intents * (3 * sizeof(float) + sizeof(uint32_t) + 1);
	m += idx->n_syn * (sizeof *idx->syn + 2 * sizeof *idx->syn_stems) + idx->n_syn_slots * sizeof *idx->syn_slots;
	return m;
}

const struct text_opts *match_text_opts(const struct match_index *idx)
{
	return &idx->opts;
}

int match_decide(const struct replyset *rs, double top, double second)
{
	const struct replyset_settings *s = replyset_settings(rs);
	if (top >= s->answer && top - second >= s->margin)
		return MATCH_ANSWER;
	if (top >= s->clarify)
		return MATCH_CLARIFY;
	return MATCH_FALLBACK;
}

/* Maps a raw score (0..1) to a confidence (0..1) so that RAW_ANSWER becomes 0.55;
 * piecewise linear, hence monotonic: ranks never change. */
static double calibrate(double raw)
{
	if (raw <= RAW_ANSWER)
		return raw * (0.55 / RAW_ANSWER);
	return 0.55 + (raw - RAW_ANSWER) * (0.45 / (1 - RAW_ANSWER));
}

/* A query term: its id (UINT32_MAX if the index never saw it) and weight. */
struct qterm {
	uint32_t id;
	float w;
};

/* Scores the query terms against every document and centroid sharing a term and
 * fills the top list. The index's scratch arrays are left zeroed for the next call. */
static void score(struct match_index *idx, const struct term_list *tl, struct match_result *out)
{
	struct qterm q[MAX_QUERY_TERMS];
	/* Repeated terms add up (tf): a small table from term id to its place in q. */
	uint16_t seen[2 * MAX_QUERY_TERMS];
	memset(seen, 0, sizeof seen);
	size_t nq = 0;
	for (size_t i = 0; i < tl->n; i++) {
		uint32_t id = term_find(idx, tl->hash[i]);
		float w = tl->factor[i] * (id != UINT32_MAX ? idx->idf[id] : idx->idf_unknown);
		if (id != UINT32_MAX) {
			size_t s = (id * 2654435761u) & (2 * MAX_QUERY_TERMS - 1);
			while (seen[s] && q[seen[s] - 1].id != id)
				s = (s + 1) & (2 * MAX_QUERY_TERMS - 1);
			if (seen[s]) {
				q[seen[s] - 1].w += w;
				continue;
			}
			seen[s] = (uint16_t)(nq + 1);
		}
		q[nq].id = id;
		q[nq++].w = w;
	}
	double qnorm = 0, qsum = 0;
	for (size_t i = 0; i < nq; i++) {
		qnorm += (double)q[i].w * q[i].w;
		qsum += q[i].w;
	}
	qnorm = sqrt(qnorm);
	if (qnorm == 0)
		return;
	size_t n_touched = 0, n_in = 0;
	for (size_t i = 0; i < nq; i++) {
		uint32_t t = q[i].id;
		if (t == UINT32_MAX)
			continue;
		float w = q[i].w;
		float wq = w * (1.0f / QW);
		for (uint32_t k = idx->ex.off[t]; k < idx->ex.off[t + 1]; k++) {
			uint32_t d = idx->ex.doc[k];
			if (idx->acc_ex[d] == 0 && n_touched <= idx->n_examples)
				idx->touched[n_touched++] = d;
			idx->acc_ex[d] += wq * idx->ex.w[k];
		}
		for (uint32_t k = idx->in.off[t]; k < idx->in.off[t + 1]; k++) {
			const struct intent_posting *p = &idx->in.items[k];
			uint32_t d = p->intent;
			if (!idx->in_seen[d]) {
				idx->in_seen[d] = 1;
				idx->touched_in[n_in++] = d;
			}
			idx->cent[d] += wq * p->cent;
			idx->cover[d] += wq * p->cov;
		}
	}
	for (size_t k = 0; k < n_touched; k++) {
		uint32_t d = idx->touched[k];
		uint32_t in = idx->ex_intent[d];
		if (idx->acc_ex[d] > idx->best_ex[in])
			idx->best_ex[in] = idx->acc_ex[d];
		idx->acc_ex[d] = 0;
	}
	out->n_top = 0;
	for (size_t k = 0; k < n_in; k++) {
		uint32_t in = idx->touched_in[k];
		double cos = (EXAMPLE_SHARE * idx->best_ex[in] + (1 - EXAMPLE_SHARE) * idx->cent[in]) / qnorm;
		double s = calibrate(COVER_SHARE * idx->cover[in] / qsum + (1 - COVER_SHARE) * cos);
		/* What the bot does not handle is no topic: its examples have nothing in
		 * common but that, so neither their centroid nor the words they cover say
		 * anything. It wins only on an example close to the message. */
		if (idx->in_oos[in])
			s = calibrate(idx->best_ex[in] / qnorm);
		idx->cover[in] = 0;
		idx->best_ex[in] = 0;
		idx->cent[in] = 0;
		idx->in_seen[in] = 0;
		if (s <= 1e-6)
			continue;
		/* Not clamped here: two intents past 1 keep their order and their margin
		 * for the decision; match_message clamps once it has decided. */
		/* Insert into the top list (kept sorted, best first). */
		size_t pos = out->n_top;
		while (pos > 0 && out->top[pos - 1].score < s)
			pos--;
		if (pos >= MATCH_TOP)
			continue;
		size_t last = out->n_top < MATCH_TOP ? out->n_top : MATCH_TOP - 1;
		memmove(&out->top[pos + 1], &out->top[pos], (last - pos) * sizeof out->top[0]);
		out->top[pos] = (struct match_hit){(int)in, s};
		if (out->n_top < MATCH_TOP)
			out->n_top++;
	}
}

int match_complaint(const struct replyset *rs, const struct match_result *r, double near)
{
	if (!r->n_top)
		return -1;
	if (replyset_intent_at(rs, (size_t)r->top[0].intent)->kind == RS_COMPLAINT)
		return r->decision != MATCH_FALLBACK ? r->top[0].intent : -1;
	if (r->decision == MATCH_ANSWER)
		return -1;
	for (size_t i = 1; i < r->n_top; i++)
		if (replyset_intent_at(rs, (size_t)r->top[i].intent)->kind == RS_COMPLAINT &&
		    r->top[i].score >= near * r->top[0].score)
			return r->top[i].intent;
	return -1;
}

/* Content words of a short message that the reply set has never seen, not even by
 * stem or as a typo of a word it knows ("баланс в стиме", "бонусы в пятёрочке"): each
 * one (up to three) makes it likelier that the message is about someone else's
 * service. Returns the factor for the scores (1 for a long message). */
static double unknown_factor(const struct match_index *idx, const struct text_analysis *a)
{
	double f = 1;
	int n = 0, words = 0;
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		if (t->kind != TEXT_WORD)
			continue;
		words++;
		if (t->how == TEXT_TYPO || t->script == TEXT_SCRIPT_OTHER || n_chars(t->text) < 3 ||
		    text_vocab_find(idx->stop, t->text, t->len) >= 0 ||
		    text_vocab_find(idx->stems, t->stem, strlen(t->stem)) >= 0 || n >= 3)
			continue;
		/* English words count less: the English examples are too few to call an
		 * English word foreign ("current", "Georgia"). */
		f *= t->script == TEXT_SCRIPT_CYR ? UNKNOWN_FACTOR : UNKNOWN_FACTOR_EN;
		n++;
	}
	return words >= UNKNOWN_MAX_WORDS ? 1 : f;
}

/* A swear word masked with asterisks ("х*р", "б**ть", "зае*ало"): letters and '*'
 * written together. Nobody masks an ordinary word, and the masked forms are too many
 * for a lexicon of prefixes. */
static int masked_swear(const struct text_analysis *a)
{
	for (size_t i = 1; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i], *prev = &a->tokens[i - 1];
		if (t->kind == TEXT_PUNCT && t->len == 1 && t->text[0] == '*' && !t->space_before &&
		    prev->kind == TEXT_WORD && prev->script == TEXT_SCRIPT_CYR)
			return 1;
	}
	return 0;
}

static int match_with(const struct replyset *rs, const char *text, size_t len, int repaired,
		      struct match_result *out)
{
	memset(out, 0, sizeof *out);
	if (!rs)
		return -1;
	/* The index is shared read-only except for its scratch area; see the file
	 * comment. */
	struct match_index *idx = (struct match_index *)replyset_index(rs);
	struct text_opts opts = idx->opts;
	opts.no_repair |= repaired;
	text_analyze(replyset_text_ctx(rs), text, len > TEXT_MAX_INPUT ? TEXT_MAX_INPUT : len, &opts,
		     &out->text);
	struct term_list tl;
	tl.n = 0;
	collect_terms(idx, &out->text, &tl, out->plans, &out->n_plans);
	score(idx, &tl, out);
	double unknown = unknown_factor(idx, &out->text);
	for (size_t i = 0; i < out->n_top; i++)
		out->top[i].score *= unknown;
	double top = out->n_top ? out->top[0].score : 0, second = out->n_top > 1 ? out->top[1].score : 0;
	out->decision = match_decide(rs, top, second);

	const struct text_analysis *a = &out->text;
	uint64_t hits = replyset_lexicon_hits(rs, a, 0);
	out->lexicon_hits = hits;
	out->flags.obscene = lex_flag(hits, idx->lex[0]) || masked_swear(a);
	out->flags.legal_threat = lex_flag(hits, idx->lex[1]);
	out->flags.spread_call = lex_flag(hits, idx->lex[2]);
	out->flags.negative = lex_flag(hits, idx->lex[3]);
	out->flags.operator_request = lex_flag(hits, idx->lex[4]);
	/* Shouting: mostly capitals (six letters in ten) over two words at least (one
	 * word in capitals, "ПРИВЕТ", is a greeting). "!!!" in lower case is anger but no
	 * shouting: the complaint handler reads it (a sign, a grievance). */
	size_t words = 0;
	for (size_t i = 0; i < a->n_tokens && words < 2; i++)
		words += a->tokens[i].kind == TEXT_WORD;
	out->flags.shouting = words >= 2 && a->n_letters >= 6 && a->n_upper * 10 >= a->n_letters * 6;
	/* A court or a lawyer named for a purpose ("выписка для суда", "адвокат по
	 * разводу") is no threat; with anger in the same message it still is. */
	if (out->flags.legal_threat && lex_flag(hits, idx->lex_legal_neutral) &&
	    !(out->flags.negative || out->flags.obscene || out->flags.spread_call || out->flags.shouting ||
	      lex_flag(hits, idx->lex_grievance) || a->n_exclaim >= 3))
		out->flags.legal_threat = 0;
	/* A complaint reports a problem: in a message with no sign of one (a negation,
	 * the "problem" or "negative" lexicons, a threat, shouting) a complaint reading is
	 * a little less likely than a question. */
	int problem = idx->lex_problem >= 0 && (hits >> idx->lex_problem & 1);
	int negated = 0;
	for (size_t i = 0; i < a->n_tokens && !negated; i++)
		negated = negation(a, i) != 0;
	/* Capitals alone are no sign of a problem ("СКОЛЬКО СТОИТ ДОМАШНИЙ ИНТЕРНЕТ" is a
	 * question); "!!!" is. */
	int calm = !(problem || negated || out->flags.negative || out->flags.obscene ||
		     out->flags.legal_threat || out->flags.spread_call || a->n_exclaim >= 3);
	/* Someone else's service, with no word of the customer's own line; an intent
	 * whose own examples name such things (a state service to confirm one's
	 * passport) is exempt. */
	int foreign = lex_flag(hits, idx->lex_foreign) && !lex_flag(hits, idx->lex_own);
	size_t n_words = 0;
	for (size_t i = 0; i < a->n_tokens; i++)
		n_words += a->tokens[i].kind == TEXT_WORD;
	int wordy = n_words >= SMALLTALK_MAX_WORDS;
	if (calm || foreign || wordy) {
		for (size_t i = 0; i < out->n_top; i++) {
			size_t in = (size_t)out->top[i].intent;
			enum replyset_kind kind = replyset_intent_at(rs, in)->kind;
			if (calm && kind == RS_COMPLAINT)
				out->top[i].score *= CALM_COMPLAINT;
			if (foreign && !idx->in_foreign[in])
				out->top[i].score *= FOREIGN_FACTOR;
			if (wordy && kind == RS_SMALLTALK)
				out->top[i].score *= SMALLTALK_LONG_FACTOR;
		}
		for (size_t i = 1; i < out->n_top; i++)
			for (size_t j = i; j > 0 && out->top[j].score > out->top[j - 1].score; j--) {
				struct match_hit t = out->top[j];
				out->top[j] = out->top[j - 1];
				out->top[j - 1] = t;
			}
		top = out->n_top ? out->top[0].score : 0, second = out->n_top > 1 ? out->top[1].score : 0;
		out->decision = match_decide(rs, top, second);
		/* However close the words ("как пополнить баланс в фортнайте"), someone
		 * else's service is asked about, never answered outright. */
		if (foreign && out->decision == MATCH_ANSWER && !idx->in_foreign[out->top[0].intent])
			out->decision = MATCH_CLARIFY;
	}
	/* An out-of-scope intent on top: the message reads like what the bot does not
	 * handle, so it falls back. Such intents leave the list either way: nothing may
	 * answer or offer them. */
	size_t kept = 0;
	int oos_on_top = 0;
	for (size_t i = 0; i < out->n_top; i++) {
		if (idx->in_oos[out->top[i].intent]) {
			oos_on_top |= i == 0;
			continue;
		}
		out->top[kept++] = out->top[i];
	}
	if (kept != out->n_top) {
		out->n_top = kept;
		top = kept ? out->top[0].score : 0, second = kept > 1 ? out->top[1].score : 0;
		out->decision = oos_on_top ? MATCH_FALLBACK : match_decide(rs, top, second);
	}
	for (size_t i = 0; i < out->n_top; i++)
		if (out->top[i].score > 1)
			out->top[i].score = 1;
	return 0;
}

int match_message(const struct replyset *rs, const char *text, size_t len, struct match_result *out)
{
	return match_with(rs, text, len, 0, out);
}

int match_repaired(const struct replyset *rs, const char *text, size_t len, struct match_result *out)
{
	return match_with(rs, text, len, 1, out);
}

int match_lexicon(const struct replyset *rs, const struct match_result *r, const char *name)
{
	int i = replyset_lexicon_index(rs, name);
	if (i < 0)
		return 0;
	if (i < 64)
		return (int)(r->lexicon_hits >> i & 1);
	return replyset_lexicon_hit(rs, name, &r->text);
}

void match_result_free(struct match_result *r)
{
	if (!r)
		return;
	text_analysis_free(&r->text);
	memset(r, 0, sizeof *r);
}

static void add_qty(cJSON *ent, const char *key, double v)
{
	if (v < 0)
		return;
	if (v >= TEXT_UNLIMITED)
		cJSON_AddStringToObject(ent, key, "unlimited");
	else
		cJSON_AddNumberToObject(ent, key, v);
}

void match_result_to_json(const struct replyset *rs, const struct match_result *r, cJSON *obj)
{
	int answered = r->n_top && r->decision == MATCH_ANSWER;
	if (answered)
		cJSON_AddStringToObject(obj, "intent", replyset_intent_at(rs, (size_t)r->top[0].intent)->id);
	else
		cJSON_AddNullToObject(obj, "intent");
	cJSON_AddNumberToObject(obj, "score", r->n_top ? round(r->top[0].score * 1000) / 1000 : 0);
	cJSON *top = cJSON_AddArrayToObject(obj, "top");
	for (size_t i = 0; i < r->n_top && i < 3; i++) {
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "intent", replyset_intent_at(rs, (size_t)r->top[i].intent)->id);
		cJSON_AddNumberToObject(h, "score", round(r->top[i].score * 1000) / 1000);
		cJSON_AddItemToArray(top, h);
	}
	cJSON *fl = cJSON_AddObjectToObject(obj, "flags");
	cJSON_AddBoolToObject(fl, "obscene", r->flags.obscene);
	cJSON_AddBoolToObject(fl, "legal_threat", r->flags.legal_threat);
	cJSON_AddBoolToObject(fl, "spread_call", r->flags.spread_call);
	cJSON_AddBoolToObject(fl, "shouting", r->flags.shouting);
	cJSON *ent = cJSON_AddObjectToObject(obj, "entities");
	const struct text_entities *e = &r->text.ent;
	add_qty(ent, "minutes", e->minutes);
	add_qty(ent, "gb", e->gb);
	add_qty(ent, "sms", e->sms);
	add_qty(ent, "budget", e->budget);
	if (e->phone[0])
		cJSON_AddStringToObject(ent, "phone", e->phone);
	if (e->account[0])
		cJSON_AddStringToObject(ent, "account", e->account);
	if (r->n_plans) {
		cJSON *pl = cJSON_AddArrayToObject(ent, "plans");
		for (size_t i = 0; i < r->n_plans; i++)
			cJSON_AddItemToArray(pl, cJSON_CreateString(replyset_tariff_at(rs, (size_t)r->plans[i])->id));
	}
	if (r->text.lang)
		cJSON_AddStringToObject(obj, "lang", r->text.lang);
}
