/* Transcript search (see case_search.h). */
#include "case_search.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "store.h"
#include "store_cases.h"
#include "text.h"
#include "xalloc.h"

#define SEARCH_SYNC_BATCH 2000 /* transcript lines stemmed per index step */
#define SEARCH_SYNC_ROUNDS 25  /* index steps per search (50,000 lines, ~0.5 s) */
#define SEARCH_IDS 50000       /* cases one search word may match */

struct case_search {
	struct store *store;
	struct text_ctx *text; /* stems for the index and queries (loop thread only) */
};

struct case_search *case_search_new(struct store *st)
{
	struct case_search *cs = xcalloc(1, sizeof *cs);
	cs->store = st;
	cs->text = text_ctx_new();
	if (!cs->text)
		log_error("console: no stemmer: search will answer 500");
	return cs;
}

void case_search_free(struct case_search *cs)
{
	if (!cs)
		return;
	text_ctx_free(cs->text);
	free(cs);
}

/* The words of text as the index keeps them: Snowball stems (Russian for Cyrillic,
 * English for Latin) of its words and numbers, separated by spaces. No layout or typo
 * repair: the index holds what was written, and a query is stemmed the same way. */
static char *stem_words(void *ud, const char *text)
{
	struct case_search *cs = ud;
	struct text_analysis a;
	struct text_opts opts = {.no_repair = 1};
	struct buf b = {0};
	if (text_analyze(cs->text, text, strlen(text), &opts, &a) < 0)
		return xstrdup("");
	for (size_t i = 0; i < a.n_tokens; i++) {
		const struct text_token *t = &a.tokens[i];
		if (t->kind == TEXT_PUNCT)
			continue;
		const char *w = t->kind == TEXT_WORD ? t->stem : t->text;
		if (*w == '+')
			w++;
		if (b.len)
			buf_append(&b, " ", 1);
		buf_append(&b, w, strlen(w));
	}
	text_analysis_free(&a);
	return b.len ? buf_steal(&b) : xstrdup("");
}

/* Indexes the transcript lines written since the last search (case_words). A store
 * with a long history not indexed yet (the first search after the upgrade) is indexed
 * over several searches, SEARCH_SYNC_ROUNDS batches each, so that no request holds the
 * loop for long: returns 1 while lines remain, 0 when the index is complete. */
int case_search_sync(struct case_search *cs)
{
	struct store *st = cs->store;
	/* A unit of work of its own: a console request, never inside a batch. */
	struct store_tx *tx = cs->text ? store_begin(st) : NULL;
	if (!tx)
		return -1;
	int n = 0, rounds = 0;
	while (rounds++ < SEARCH_SYNC_ROUNDS &&
	       (n = store_case_words_sync(tx, stem_words, cs, SEARCH_SYNC_BATCH)) ==
		       SEARCH_SYNC_BATCH)
		;
	if (n < 0) {
		store_rollback(tx);
		return -1;
	}
	if (store_commit(tx) < 0)
		return -1;
	return n == SEARCH_SYNC_BATCH;
}

/* Keeps in a (ascending, *na of them) only the ids also in b (ascending, nb). */
static void intersect(int64_t *a, size_t *na, const int64_t *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;
	while (i < *na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else
			a[n++] = a[i++], j++;
	}
	*na = n;
}

/* The cases whose transcripts hold every word of q (in any form: each word is stemmed
 * and matched as a prefix), as a JSON array of ids into ids_json; the digits of q (for
 * case numbers and phones) into digits. The words may be on different lines of the
 * transcript: each is looked up alone and the sets are intersected. */
int case_search_terms(struct case_search *cs, const char *q, struct buf *ids_json,
		      char *digits, size_t dlen)
{
	char *stems = stem_words(cs, q);
	int64_t *found = NULL, *next = xcalloc(SEARCH_IDS, sizeof *next);
	size_t n_found = 0;
	int terms = 0, result = 0;
	for (char *tok = strtok(stems, " "); tok && result == 0; tok = strtok(NULL, " ")) {
		int n = store_case_words_match(cs->store, tok, next, SEARCH_IDS);
		if (n < 0) {
			result = -1;
		} else if (terms++ == 0) {
			found = next;
			n_found = (size_t)n;
			next = xcalloc(SEARCH_IDS, sizeof *next);
		} else {
			intersect(found, &n_found, next, (size_t)n);
		}
	}
	free(stems);
	buf_puts(ids_json, "[");
	for (size_t i = 0; i < n_found; i++)
		buf_printf(ids_json, "%s%lld", i ? "," : "", (long long)found[i]);
	buf_puts(ids_json, "]");
	free(found);
	free(next);
	size_t n = 0;
	for (const char *p = q; *p && n + 1 < dlen; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	digits[n] = '\0';
	/* Fewer than 3 digits would match almost every number. */
	if (n < 3)
		digits[0] = '\0';
	return result;
}

