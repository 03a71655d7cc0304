/* Learning from misses (issue #12 item 6): which messages the bot did not understand
 * and how they group. The pipeline records a miss for every customer message whose
 * outcome was a fallback, a clarification or an answer with a low score (below
 * thresholds.answer + thresholds.margin of the reply set: the matcher's own confidence
 * settings), in the message's unit of work; the console's «Непонятые вопросы» page
 * groups them by similarity (console_misses.c). */
#ifndef DESKBOT_MISSES_H
#define DESKBOT_MISSES_H
#include <stddef.h>
#include <stdint.h>

struct chan_msg;
struct dialog_result;
struct replyset;
struct store_tx;

/* "fallback", "clarify", "low" (an answer below the confidence line) or NULL (not a
 * miss) for the dialog's result res under rs's thresholds. */
const char *misses_outcome(const struct replyset *rs, const struct dialog_result *res);

/* Records m as a miss in tx when res makes it one (a typed message only: a pressed
 * button is not a question the bot failed to read). 0, or -1 on a store error. */
int misses_after(struct store_tx *tx, const struct replyset *rs, const struct chan_msg *m,
		 const struct dialog_result *res, int64_t now);

/* The similarity two texts need to share a group: Jaccard over their stemmed words. */
#define MISSES_JACCARD 0.5

/* Groups texts[0..n) greedily (each joins the first group whose first text is similar
 * enough to it, else starts one), by the Jaccard index of their stemmed word sets (the
 * matcher's normalisation and stems, rs's text context). group_of[i] gets text i's
 * group, numbered from 0 in the order they start. Returns the number of groups. */
size_t misses_group(const struct replyset *rs, const char *const *texts, size_t n,
		    double min_jaccard, size_t *group_of);

/* The Jaccard index of the stemmed word sets of a and b (1 for two texts without
 * words). */
double misses_similarity(const struct replyset *rs, const char *a, const char *b);

#endif
