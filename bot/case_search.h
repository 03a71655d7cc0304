/* Full-text search over the cases' transcripts for the console's queue: any Russian (or
 * English) word form, through Snowball stems kept in the store's index (case_words,
 * store_cases.h), brought up to date a bounded step at a time. */
#ifndef DESKBOT_CASE_SEARCH_H
#define DESKBOT_CASE_SEARCH_H
#include <stddef.h>

struct buf;
struct case_search;
struct store;

/* store is borrowed and must outlive the search. Without a stemmer (logged) every call
 * fails. */
struct case_search *case_search_new(struct store *st);
/* Accepts NULL. */
void case_search_free(struct case_search *cs);

/* Indexes the transcript lines written since the last search, in a transaction of its
 * own. Returns 1 while older lines remain unindexed, 0 when the index is complete,
 * negative on error. */
int case_search_sync(struct case_search *cs);

/* The cases whose transcripts hold every word of q as a JSON array of ids appended to
 * ids_json; the digits of q (3 or more, for case numbers and phones; else "") into
 * digits. Returns 0 or negative. */
int case_search_terms(struct case_search *cs, const char *q, struct buf *ids_json,
		      char *digits, size_t dlen);

#endif
