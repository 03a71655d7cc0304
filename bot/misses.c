/* Misses: the outcome, the record, the grouping (see misses.h). */
#include "misses.h"

#include <stdlib.h>
#include <string.h>

#include "dialog_result.h"
#include "matcher.h"
#include "message.h"
#include "replyset.h"
#include "replyset_settings.h"
#include "store_misses.h"
#include "text.h"
#include "xalloc.h"

const char *misses_outcome(const struct replyset *rs, const struct dialog_result *res)
{
	if (!res->handler)
		return NULL;
	if (strcmp(res->handler, "fallback") == 0)
		return "fallback";
	if (strcmp(res->handler, "clarify") == 0)
		return "clarify";
	/* An answer the matcher was not sure of: below the answer line plus its margin
	 * (a message of several questions is answered a little below the line). A
	 * button (score 0) or a forced route is not a guess. */
	const struct replyset_settings *set = replyset_settings(rs);
	if ((strcmp(res->handler, "faq") == 0 || strcmp(res->handler, "smalltalk") == 0) &&
	    res->intent && res->score > 0 && res->score < set->answer + set->margin)
		return "low";
	return NULL;
}

int misses_after(struct store_tx *tx, const struct replyset *rs, const struct chan_msg *m,
		 const struct dialog_result *res, int64_t now)
{
	if (!m->text || !*m->text || m->payload || m->callback_id)
		return 0;
	const char *outcome = misses_outcome(rs, res);
	if (!outcome)
		return 0;
	struct miss row = {.at = now, .channel = m->channel, .text = m->text, .outcome = outcome,
			   .intent = res->intent ? res->intent : res->top_intent, .score = res->score,
			   .replyset_version = replyset_version(rs)};
	return store_miss_add(tx, &row);
}

/* A text's stemmed words, sorted and unique. */
struct stems {
	char **v;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void stems_of(const struct replyset *rs, const char *t, struct stems *out)
{
	memset(out, 0, sizeof *out);
	struct text_analysis a;
	const struct match_index *idx = replyset_index(rs);
	if (text_analyze(replyset_text_ctx(rs), t, strlen(t), idx ? match_text_opts(idx) : NULL,
			 &a) < 0)
		return;
	out->v = xcalloc(a.n_tokens + 1, sizeof *out->v);
	for (size_t k = 0; k < a.n_tokens; k++) {
		const struct text_token *tok = &a.tokens[k];
		/* Words of two letters or more: "у", "в" say nothing of the topic. */
		if (tok->kind != TEXT_WORD || utf8_chars(tok->stem) < 2)
			continue;
		out->v[out->n++] = xstrdup(tok->stem);
	}
	text_analysis_free(&a);
	qsort(out->v, out->n, sizeof *out->v, cmp_str);
	size_t w = 0;
	for (size_t k = 0; k < out->n; k++) {
		if (w && strcmp(out->v[w - 1], out->v[k]) == 0)
			free(out->v[k]);
		else
			out->v[w++] = out->v[k];
	}
	out->n = w;
}

static void stems_free(struct stems *s)
{
	for (size_t k = 0; k < s->n; k++)
		free(s->v[k]);
	free(s->v);
}

static double jaccard(const struct stems *a, const struct stems *b)
{
	if (a->n == 0 && b->n == 0)
		return 1;
	size_t i = 0, j = 0, both = 0;
	while (i < a->n && j < b->n) {
		int c = strcmp(a->v[i], b->v[j]);
		if (c == 0) {
			both++;
			i++;
			j++;
		} else if (c < 0) {
			i++;
		} else {
			j++;
		}
	}
	return (double)both / (double)(a->n + b->n - both);
}

double misses_similarity(const struct replyset *rs, const char *a, const char *b)
{
	struct stems sa, sb;
	stems_of(rs, a, &sa);
	stems_of(rs, b, &sb);
	double j = jaccard(&sa, &sb);
	stems_free(&sa);
	stems_free(&sb);
	return j;
}

size_t misses_group(const struct replyset *rs, const char *const *texts, size_t n,
		    double min_jaccard, size_t *group_of)
{
	struct stems *all = xcalloc(n + 1, sizeof *all);
	size_t *first = xcalloc(n + 1, sizeof *first); /* each group's first text */
	size_t groups = 0;
	for (size_t i = 0; i < n; i++) {
		stems_of(rs, texts[i], &all[i]);
		size_t g = 0;
		while (g < groups && jaccard(&all[first[g]], &all[i]) < min_jaccard)
			g++;
		if (g == groups)
			first[groups++] = i;
		group_of[i] = g;
	}
	for (size_t i = 0; i < n; i++)
		stems_free(&all[i]);
	free(all);
	free(first);
	return groups;
}
