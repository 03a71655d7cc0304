/* Intent matching (see matcher.h for the method).
 *
 * Terms are Snowball stems of words, bigrams of adjacent stems (weighted lower), and
 * a few pseudo-terms for what the text module recognised: "#qty" (a number with a
 * unit), "#phone", "#account", "#plan" (a tariff named). IDF is counted over intents,
 * not examples, so a word that every phrasing of one intent repeats stays strong.
 *
 * The index keeps a posting list per term for the examples and for the intent
 * centroids. Scoring a message touches only the postings of its own terms; the
 * per-example accumulators live in a scratch area owned by the index (one thread, like
 * the reply set's stemmers). */
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
/* Weight of a function word relative to a content word. */
#define STOP_WEIGHT 0.25
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
/* Weight of an intent's answer text as a document of the intent. */
#define ANSWER_WEIGHT 0.35

struct posting {
	uint32_t doc;  /* example or intent index */
	float weight;  /* normalised tf-idf of the term in that document */
};

struct plist {
	struct posting *items;
	uint32_t n, cap;
};

struct alias {
	int tariff;
	char **words; /* words of the alias, normalised */
	char **stems; /* the same, stemmed */
	size_t n;
};

struct match_index {
	struct text_vocab *words;     /* surface words (typo repair) */
	struct text_vocab *stems;     /* their stems (layout decision) */
	struct text_vocab *terms;     /* term -> id */
	struct text_vocab *stop;      /* function words */
	struct text_vocab *alias_words; /* every word and stem of a plan alias */
	float *idf;                   /* by term id */
	float idf_unknown;            /* weight of a term the set never saw */
	struct plist *ex_post;        /* by term id: examples */
	struct plist *in_post;        /* by term id: intent centroids */
	struct plist *cov_post;       /* by term id: share of an intent's examples with it */
	uint32_t *ex_intent;          /* example -> intent */
	size_t n_examples, n_intents, n_terms;
	struct alias *aliases;
	size_t n_aliases;
	struct text_opts opts;
	int lex[5];                   /* obscene, legal_threat, spread_call, negative, operator_request */
	/* Scratch for one query at a time. */
	float *acc_ex;                /* by example */
	uint32_t *touched;            /* examples with a non-zero accumulator */
	float *best_ex, *cent, *cover; /* by intent */
	float *ex_weight;             /* by document: 1 for examples, less for answers */
	uint32_t *touched_in;
	unsigned char *in_seen;
};

/* Function words: they still count, four times less than content words. The list is
 * loaded into a hash set of the index (stop_set) once. */
static const char *const *stop_words(void);

static int is_stop(const struct match_index *idx, const char *w)
{
	return text_vocab_find(idx->stop, w, strlen(w)) >= 0;
}

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
		"также", "вообще", "могу", "можете", "может", "мочь", "же", "ещё",
		"the", "a", "an", "to", "of", "in", "on", "for", "is", "it", "i", "my", "me", "do", "does",
		"can", "could", "would", "be", "and", "or", "with", "please", "what", "how", "you", "your",
		"at", "this", "that", "there", "are", "am", "want", "need", "hi", "hello", "tell", "get", "from",
		"have", "has", "if", "so", "just", "will", "where", "when", "why", "which", "who", NULL};
	return stop;
}

/* A term of a text and its raw weight (before IDF). */
struct qterm {
	int id;         /* term id, or -1 if unknown to the index */
	float w;        /* tf times the word/bigram/stop factor */
};

/* Collects the terms of an analysed text into keys (a buffer of NUL-separated
 * strings) with their factors. */
struct term_list {
	struct buf keys;
	float factor[MAX_QUERY_TERMS];
	size_t n;
};

static void term_add(struct term_list *tl, const char *key, size_t len, float factor)
{
	if (tl->n >= MAX_QUERY_TERMS)
		return;
	buf_append(&tl->keys, key, len);
	buf_append(&tl->keys, "", 1);
	tl->factor[tl->n++] = factor;
}

static size_t n_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Character 4-grams of a word framed as "^word$", so that words sharing a root
 * ("приветик" and "привет", "спасибки" and "спасибо") meet even where the stemmer
 * cuts them differently. The word's n-grams share the weight w. */
static void add_ngrams(struct term_list *tl, const char *w, float weight)
{
	size_t off[MAX_NGRAM_CP + 3];
	size_t n = 0, len = strlen(w);
	for (size_t i = 0; i < len && n < MAX_NGRAM_CP; i++)
		if (((unsigned char)w[i] & 0xC0) != 0x80)
			off[n++] = i;
	if (n < 4 || n >= MAX_NGRAM_CP)
		return;
	off[n] = len;
	/* Positions -1 and n stand for the frame characters. */
	size_t count = n - 1;
	for (size_t k = 0; k + 3 <= n + 1; k++) {
		char g[64];
		size_t gl = 0;
		g[gl++] = '\x02';
		for (size_t j = k; j < k + 4; j++) {
			if (j == 0) {
				g[gl++] = '^';
			} else if (j == n + 1) {
				g[gl++] = '$';
			} else {
				size_t a = off[j - 1], b = off[j];
				memcpy(g + gl, w + a, b - a);
				gl += b - a;
			}
		}
		term_add(tl, g, gl, weight / (float)count);
	}
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

static void collect_range(const struct match_index *idx, const struct text_analysis *a, size_t from, size_t to,
			  struct term_list *tl, int *plans, size_t *n_plans);

static void collect_terms(const struct match_index *idx, const struct text_analysis *a, struct term_list *tl,
			  int *plans, size_t *n_plans)
{
	collect_range(idx, a, 0, a->n_tokens, tl, plans, n_plans);
}

/* Collects the terms of tokens [from, to); the entity pseudo-terms only for the
 * whole text. */
static void collect_range(const struct match_index *idx, const struct text_analysis *a, size_t from, size_t to,
			  struct term_list *tl, int *plans, size_t *n_plans)
{
	const char *prev = NULL;
	size_t prev_len = 0;
	int has_plan = 0;
	for (size_t i = from; i < to; i++) {
		const struct text_token *t = &a->tokens[i];
		size_t alen;
		int al = idx && idx->n_aliases && (t->kind == TEXT_WORD || t->kind == TEXT_NUMBER)
				 ? alias_at(idx, a, i, &alen)
				 : -1;
		if (al >= 0) {
			if (plans) {
				int tariff = idx->aliases[al].tariff, dup = 0;
				for (size_t k = 0; k < *n_plans; k++)
					dup |= plans[k] == tariff;
				if (!dup && *n_plans < MATCH_MAX_PLANS)
					plans[(*n_plans)++] = tariff;
			}
			has_plan = 1;
			i += alen - 1;
			prev = NULL;
			continue;
		}
		if (t->kind != TEXT_WORD) {
			if (t->kind != TEXT_NUMBER)
				prev = NULL;
			continue;
		}
		size_t sl = strlen(t->stem);
		float f = is_stop(idx, t->text) ? STOP_WEIGHT : 1.0f;
		term_add(tl, t->stem, sl, f);
		if (f == 1.0f && idx)
			add_ngrams(tl, t->text, (float)NGRAM_WEIGHT);
		if (prev) {
			char tmp[512];
			if (prev_len + sl + 2 < sizeof tmp) {
				memcpy(tmp, prev, prev_len);
				tmp[prev_len] = ' ';
				memcpy(tmp + prev_len + 1, t->stem, sl);
				term_add(tl, tmp, prev_len + 1 + sl, (float)BIGRAM_WEIGHT * f);
			}
		}
		prev = t->stem;
		prev_len = sl;
	}
	if (has_plan)
		term_add(tl, "#plan", 5, 1.0f);
	if (from != 0 || to != a->n_tokens)
		return;
	const struct text_entities *e = &a->ent;
	if (e->minutes >= 0 || e->gb >= 0 || e->sms >= 0 || e->budget >= 0)
		term_add(tl, "#qty", 4, 1.0f);
	if (e->phone[0])
		term_add(tl, "#phone", 6, 0.5f);
	if (e->account[0])
		term_add(tl, "#account", 8, 0.5f);
}

static void plist_add(struct plist *p, uint32_t doc, float w)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->items = xrealloc(p->items, p->cap * sizeof *p->items);
	}
	p->items[p->n++] = (struct posting){doc, w};
}

/* Sparse vector under construction. */
struct svec {
	int *ids;
	float *w;
	size_t n, cap;
};

static void svec_add(struct svec *v, int id, float w)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->ids[i] == id) {
			v->w[i] += w;
			return;
		}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->ids = xrealloc(v->ids, v->cap * sizeof *v->ids);
		v->w = xrealloc(v->w, v->cap * sizeof *v->w);
	}
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

struct match_index *match_index_build(const struct replyset *rs, struct text_ctx *ctx)
{
	struct match_index *idx = xcalloc(1, sizeof *idx);
	idx->words = text_vocab_new();
	idx->stems = text_vocab_new();
	idx->terms = text_vocab_new();
	idx->stop = text_vocab_new();
	idx->alias_words = text_vocab_new();
	for (const char *const *w = stop_words(); *w; w++)
		text_vocab_add(idx->stop, *w, strlen(*w));
	static const char *const flag_lex[5] = {"obscene", "legal_threat", "spread_call", "negative",
						"operator_request"};
	for (int k = 0; k < 5; k++)
		idx->lex[k] = replyset_lexicon_index(rs, flag_lex[k]);
	idx->n_intents = replyset_n_intents(rs);
	struct text_opts plain = {.no_repair = 1};

	/* Plan aliases first: their words join the vocabulary and are matched as
	 * "#plan", not as ordinary words. */
	for (size_t t = 0; t < replyset_n_tariffs(rs); t++) {
		const struct replyset_tariff *tf = replyset_tariff_at(rs, t);
		size_t n_names = tf->n_aliases + RS_NLANG;
		for (size_t k = 0; k < n_names; k++) {
			const char *src = k < tf->n_aliases ? tf->aliases[k] : tf->name[k - tf->n_aliases];
			struct text_analysis a;
			text_analyze(ctx, src, strlen(src), &plain, &a);
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
				text_vocab_add(idx->words, tok->text, tok->len);
				text_vocab_add(idx->stems, tok->stem, strlen(tok->stem));
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

	/* Analyse every example once; keep its terms. */
	/* Documents: every example, plus each intent's titles and (weighted lower,
	 * being long and written by the operator, not the customer) its answers, which
	 * bring the topic's vocabulary beyond the examples. */
	size_t n_ex = replyset_n_examples(rs) + idx->n_intents * 2 * RS_NLANG;
	idx->ex_weight = xcalloc(n_ex + 1, sizeof *idx->ex_weight);
	struct svec *ex_vec = xcalloc(n_ex + 1, sizeof *ex_vec);
	idx->ex_intent = xcalloc(n_ex + 1, sizeof *idx->ex_intent);
	size_t df_cap = 1024;
	uint32_t *df = xcalloc(df_cap, sizeof *df);
	uint32_t *df_last = xcalloc(df_cap, sizeof *df_last); /* last intent + 1 counted */
	size_t e = 0;
	for (size_t in = 0; in < idx->n_intents; in++) {
		const struct replyset_intent *it = replyset_intent_at(rs, in);
		for (int l = 0; l < RS_NLANG; l++)
			for (size_t k = 0; k < it->n_examples[l] + 2; k++, e++) {
				const char *src = k < it->n_examples[l] ? it->examples[l][k]
						  : k == it->n_examples[l] ? it->title[l] : it->answer[l];
				float dw = k <= it->n_examples[l] ? 1.0f : (float)ANSWER_WEIGHT;
				idx->ex_weight[e] = src ? dw : 0;
				if (!src)
					continue;
				struct text_analysis a;
				text_analyze(ctx, src, strlen(src), &plain, &a);
				for (size_t i = 0; i < a.n_tokens; i++)
					if (a.tokens[i].kind == TEXT_WORD) {
						text_vocab_add(idx->words, a.tokens[i].text, a.tokens[i].len);
						text_vocab_add(idx->stems, a.tokens[i].stem, strlen(a.tokens[i].stem));
					}
				struct term_list tl = {0};
				collect_terms(idx, &a, &tl, NULL, NULL);
				const char *key = tl.keys.data;
				for (size_t i = 0; i < tl.n; i++) {
					size_t kl = strlen(key);
					int id = text_vocab_add(idx->terms, key, kl);
					if ((size_t)id >= df_cap) {
						df = xrealloc(df, df_cap * 2 * sizeof *df);
						df_last = xrealloc(df_last, df_cap * 2 * sizeof *df_last);
						memset(df + df_cap, 0, df_cap * sizeof *df);
						memset(df_last + df_cap, 0, df_cap * sizeof *df_last);
						df_cap *= 2;
					}
					if (df_last[id] != in + 1) {
						df[id]++;
						df_last[id] = (uint32_t)in + 1;
					}
					svec_add(&ex_vec[e], id, tl.factor[i]);
					key += kl + 1;
				}
				buf_free(&tl.keys);
				text_analysis_free(&a);
				idx->ex_intent[e] = (uint32_t)in;
			}
	}
	idx->n_examples = e;
	idx->n_terms = text_vocab_size(idx->terms);
	idx->idf = xcalloc(idx->n_terms + 1, sizeof *idx->idf);
	double n_in = (double)(idx->n_intents ? idx->n_intents : 1);
	for (size_t t = 0; t < idx->n_terms; t++)
		idx->idf[t] = (float)log(1.0 + n_in / df[t]);
	idx->idf_unknown = (float)log(1.0 + n_in);
	free(df);
	free(df_last);

	/* Example vectors (tf-idf, normalised) and intent centroids. */
	idx->ex_post = xcalloc(idx->n_terms + 1, sizeof *idx->ex_post);
	idx->in_post = xcalloc(idx->n_terms + 1, sizeof *idx->in_post);
	idx->cov_post = xcalloc(idx->n_terms + 1, sizeof *idx->cov_post);
	struct svec cent = {0}, cnt = {0};
	size_t first = 0;
	float group_weight = 0;
	for (size_t x = 0; x <= idx->n_examples; x++) {
		if (x == idx->n_examples || (x > first && idx->ex_intent[x] != idx->ex_intent[first])) {
			if (x > first) {
				svec_normalise(&cent);
				for (size_t i = 0; i < cent.n; i++)
					plist_add(&idx->in_post[cent.ids[i]], idx->ex_intent[first], cent.w[i]);
				for (size_t i = 0; i < cnt.n; i++)
					plist_add(&idx->cov_post[cnt.ids[i]], idx->ex_intent[first],
						  cnt.w[i] / group_weight);
			}
			cent.n = 0;
			cnt.n = 0;
			group_weight = 0;
			first = x;
			if (x == idx->n_examples)
				break;
		}
		struct svec *v = &ex_vec[x];
		for (size_t i = 0; i < v->n; i++)
			v->w[i] *= idx->idf[v->ids[i]];
		svec_normalise(v);
		group_weight += idx->ex_weight[x];
		for (size_t i = 0; i < v->n; i++) {
			v->w[i] *= idx->ex_weight[x];
			plist_add(&idx->ex_post[v->ids[i]], (uint32_t)x, v->w[i]);
			svec_add(&cent, v->ids[i], v->w[i]);
			svec_add(&cnt, v->ids[i], idx->ex_weight[x]);
		}
	}
	free(cent.ids);
	free(cent.w);
	free(cnt.ids);
	free(cnt.w);
	for (size_t x = 0; x < n_ex; x++) {
		free(ex_vec[x].ids);
		free(ex_vec[x].w);
	}
	free(ex_vec);
	/* Trim posting lists to size. */
	for (size_t t = 0; t < idx->n_terms; t++) {
		if (idx->ex_post[t].n)
			idx->ex_post[t].items =
				xrealloc(idx->ex_post[t].items, idx->ex_post[t].n * sizeof(struct posting));
		if (idx->in_post[t].n)
			idx->in_post[t].items =
				xrealloc(idx->in_post[t].items, idx->in_post[t].n * sizeof(struct posting));
		idx->ex_post[t].cap = idx->ex_post[t].n;
		idx->in_post[t].cap = idx->in_post[t].n;
		if (idx->cov_post[t].n)
			idx->cov_post[t].items =
				xrealloc(idx->cov_post[t].items, idx->cov_post[t].n * sizeof(struct posting));
		idx->cov_post[t].cap = idx->cov_post[t].n;
	}


	text_vocab_build(idx->words);
	text_vocab_build(idx->stems);
	idx->opts.vocab = idx->words;
	idx->opts.stems = idx->stems;

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
	text_vocab_free(idx->terms);
	text_vocab_free(idx->stop);
	text_vocab_free(idx->alias_words);
	for (size_t t = 0; t < idx->n_terms; t++) {
		free(idx->ex_post[t].items);
		free(idx->in_post[t].items);
		free(idx->cov_post[t].items);
	}
	free(idx->ex_post);
	free(idx->in_post);
	free(idx->cov_post);
	free(idx->cover);
	free(idx->ex_weight);
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
	free(idx->acc_ex);
	free(idx->touched);
	free(idx->best_ex);
	free(idx->cent);
	free(idx->touched_in);
	free(idx->in_seen);
	free(idx);
}

size_t match_index_memory(const struct match_index *idx)
{
	size_t m = sizeof *idx + text_vocab_memory(idx->words) + text_vocab_memory(idx->stems) +
		   text_vocab_memory(idx->terms);
	m += idx->n_terms * (sizeof *idx->idf + 2 * sizeof(struct plist));
	for (size_t t = 0; t < idx->n_terms; t++)
		m += (idx->ex_post[t].cap + idx->in_post[t].cap + idx->cov_post[t].cap) * sizeof(struct posting);
	m += idx->n_examples * (sizeof *idx->ex_intent + sizeof *idx->acc_ex + sizeof *idx->touched);
	m += idx->n_intents * (2 * sizeof(float) + sizeof(uint32_t) + 1);
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

/* Scores the query terms against every example and centroid sharing a term and fills
 * the top list. The index's scratch arrays are left zeroed for the next call. */
static void score(struct match_index *idx, const struct term_list *tl, struct match_result *out)
{
	struct qterm q[MAX_QUERY_TERMS];
	size_t nq = 0;
	double qnorm = 0;
	const char *key = tl->keys.data;
	for (size_t i = 0; i < tl->n; i++) {
		size_t kl = strlen(key);
		int id = text_vocab_find(idx->terms, key, kl);
		float w = tl->factor[i] * (id >= 0 ? idx->idf[id] : idx->idf_unknown);
		key += kl + 1;
		/* Repeated terms add up (tf). */
		size_t k = 0;
		for (; k < nq; k++)
			if (q[k].id == id && id >= 0)
				break;
		if (k < nq) {
			q[k].w += w;
		} else {
			q[nq].id = id;
			q[nq++].w = w;
		}
	}
	double qsum = 0;
	for (size_t i = 0; i < nq; i++) {
		qnorm += (double)q[i].w * q[i].w;
		qsum += q[i].w;
	}
	qnorm = sqrt(qnorm);
	if (qnorm == 0)
		return;
	size_t n_touched = 0, n_in = 0;
	for (size_t i = 0; i < nq; i++) {
		if (q[i].id < 0)
			continue;
		const struct plist *p = &idx->ex_post[q[i].id];
		for (uint32_t k = 0; k < p->n; k++) {
			uint32_t d = p->items[k].doc;
			if (idx->acc_ex[d] == 0)
				idx->touched[n_touched++] = d;
			idx->acc_ex[d] += q[i].w * p->items[k].weight;
		}
		p = &idx->in_post[q[i].id];
		for (uint32_t k = 0; k < p->n; k++) {
			uint32_t d = p->items[k].doc;
			if (!idx->in_seen[d]) {
				idx->in_seen[d] = 1;
				idx->touched_in[n_in++] = d;
			}
			idx->cent[d] += q[i].w * p->items[k].weight;
		}
		p = &idx->cov_post[q[i].id];
		for (uint32_t k = 0; k < p->n; k++) {
			uint32_t d = p->items[k].doc;
			idx->cover[d] += q[i].w * (float)(COVER_FLOOR + (1 - COVER_FLOOR) * sqrt(p->items[k].weight));
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
		idx->cover[in] = 0;
		idx->best_ex[in] = 0;
		idx->cent[in] = 0;
		idx->in_seen[in] = 0;
		if (s <= 1e-6)
			continue;
		if (s > 1)
			s = 1;
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

/* The flag of lexicon i (-1: none) from the bits of replyset_lexicon_hits. */
static int lex_flag(uint64_t hits, int i)
{
	return i >= 0 && i < 64 && (hits >> i & 1);
}

int match_message(const struct replyset *rs, const char *text, size_t len, struct match_result *out)
{
	memset(out, 0, sizeof *out);
	if (!rs)
		return -1;
	/* The index is shared read-only except for its scratch area; see the file
	 * comment. */
	struct match_index *idx = (struct match_index *)replyset_index(rs);
	text_analyze(replyset_text_ctx(rs), text, len > TEXT_MAX_INPUT ? TEXT_MAX_INPUT : len, &idx->opts,
		     &out->text);
	struct term_list tl = {0};
	collect_terms(idx, &out->text, &tl, out->plans, &out->n_plans);
	score(idx, &tl, out);
	buf_free(&tl.keys);
	double top = out->n_top ? out->top[0].score : 0, second = out->n_top > 1 ? out->top[1].score : 0;
	out->decision = match_decide(rs, top, second);

	const struct text_analysis *a = &out->text;
	uint64_t hits = replyset_lexicon_hits(rs, a, 0);
	out->flags.obscene = lex_flag(hits, idx->lex[0]);
	out->flags.legal_threat = lex_flag(hits, idx->lex[1]);
	out->flags.spread_call = lex_flag(hits, idx->lex[2]);
	out->flags.negative = lex_flag(hits, idx->lex[3]);
	out->flags.operator_request = lex_flag(hits, idx->lex[4]);
	out->flags.shouting = (a->n_letters >= 6 && a->n_upper * 10 >= a->n_letters * 7) || a->n_exclaim >= 3;
	return 0;
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
