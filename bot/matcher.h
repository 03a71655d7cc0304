/* The matcher: from a customer's message to the intents of the reply set it most
 * likely means, with scores in [0, 1] and a decision (answer, clarify, fall back)
 * taken with the set's thresholds. Also the complaint signs (flags) and the plans
 * named in the message.
 *
 * Method (measured with tests/unit/bot/test_labelled.c and bench/matcher.c): every
 * example phrasing and each intent's titles become TF-IDF vectors over Snowball
 * stems, stem bigrams and character 4-grams of words; IDF is counted over intents.
 * Function words ("как", "мне", "the") are left out of a text that has a content
 * word, and count (four times less) only in one that has none ("как ты"); a negation
 * ("не", "нет", "без", "not") instead marks the content word it governs with a term
 * of its own, so "не работает" differs from "работает". A complaint intent scores a
 * little lower (x0.95) in a message with no sign of a problem (no negation, no word
 * of the "problem" or "negative" lexicons, no threat, no shouting).
 * The words of a synonym group of the reply set (synonyms.json: "симка", "сим карта",
 * "sim") become one concept term. Answers are not indexed: the operator's prose only
 * attracted wrong typo corrections and matches. A message is scored through an
 * inverted index against the documents sharing a term with it: half cosine (best
 * example blended with the centroid of the intent's examples in the message's
 * language), half coverage (the IDF-weighted share of the message's terms the intent
 * knows). Words the set has never seen keep their weight in the message, so a
 * message about something else scores low; a word repaired as a typo counts less.
 * The raw score is mapped piecewise linearly so that the best in/out-of-scope
 * separation lands on 0.55 (clamped to 1 only after the decision, so two intents past
 * 1 keep their margin). In a short message each content word the set has never seen
 * scales the scores by 0.9, an English one by 0.95: such words suggest someone else's
 * service. Typos, the wrong keyboard layout,
 * transliteration and glued words are repaired word by word against the set's
 * vocabulary and the Russian Hunspell dictionary before scoring (text.h). A swear word
 * masked with asterisks sets the obscene flag. */
#ifndef DESKBOT_MATCHER_H
#define DESKBOT_MATCHER_H
#include <stddef.h>
#include <stdint.h>

#include "text.h"

struct replyset;
struct match_index;

/* Builds the index of rs using ctx for stemming. Never fails for a valid set. */
struct match_index *match_index_build(const struct replyset *rs, struct text_ctx *ctx);
void match_index_free(struct match_index *idx);
/* Bytes held by the index (for the benchmark). */
size_t match_index_memory(const struct match_index *idx);
/* How to analyse messages for this index (vocabulary for repairs). Borrowed. */
const struct text_opts *match_text_opts(const struct match_index *idx);

enum match_decision { MATCH_ANSWER, MATCH_CLARIFY, MATCH_FALLBACK };

#define MATCH_TOP 5
#define MATCH_MAX_PLANS 4

struct match_hit {
	int intent;   /* index in the reply set (replyset_intent_at) */
	double score; /* 0..1 */
};

/* Complaint signs and routing hints found in the message. */
struct match_flags {
	int obscene;
	int legal_threat;
	int spread_call;
	int shouting;          /* mostly capitals */
	int negative;
	int operator_request;  /* the customer asks for a person */
};

struct match_result {
	struct match_hit top[MATCH_TOP]; /* best first, distinct intents, score > 0 */
	size_t n_top;
	int decision;                    /* enum match_decision */
	struct match_flags flags;
	int plans[MATCH_MAX_PLANS];      /* tariffs named in the message (replyset_tariff_at) */
	size_t n_plans;
	struct text_analysis text;       /* the analysed message (owned) */
	uint64_t lexicon_hits;           /* bit i: the set's lexicon i (< 64) occurs in it */
};

/* Analyses and matches text (at most TEXT_MAX_INPUT bytes are used) against rs.
 * Fills out (free with match_result_free). Returns 0, or -1 if rs is NULL. */
int match_message(const struct replyset *rs, const char *text, size_t len, struct match_result *out);
/* The same for a text made of words already repaired (a part of an analysed message,
 * its words as match_result.text has them): not repaired a second time, which would
 * only cost the time (the dictionary, glued words) and repeat the repairs. */
int match_repaired(const struct replyset *rs, const char *text, size_t len, struct match_result *out);
void match_result_free(struct match_result *r);

/* 1 if the reply set's lexicon name occurs in the matched message: read from
 * r->lexicon_hits, so a handler asking about five lexicons costs no pass over the
 * text (replyset_lexicon_hit does one per question). */
int match_lexicon(const struct replyset *rs, const struct match_result *r, const char *name);

/* Decision for given scores with the set's thresholds: answer if top >= answer and
 * top - second >= margin, clarify if top >= clarify, else fall back. */
int match_decide(const struct replyset *rs, double top, double second);

/* For the dialog's complaint routing: the index (replyset_intent_at) of the complaint
 * intent the message most plausibly raises, or -1. A complaint on top counts unless
 * the decision is to fall back; a complaint further down counts only when the top
 * intent is not answered outright (decision answer) and the complaint scores at least
 * near times the top score (e.g. 0.85). So a sure FAQ answer ("почему не приходят
 * смс" -> sms_not_delivered at 0.97) is not turned into a complaint by a complaint
 * candidate at 0.75. */
int match_complaint(const struct replyset *rs, const struct match_result *r, double near);

/* Writes the result as the JSON fields of `deskbot match` (intent, score, top, flags,
 * entities) into a cJSON object. */
struct cJSON;
void match_result_to_json(const struct replyset *rs, const struct match_result *r, struct cJSON *obj);

#endif
