/* The conversation step: one normalised message in, replies (and later case actions) out.
 * Pure: it never touches the network or the store. The caller loads the conversation
 * state, calls dialog_handle, stores the state and the replies in one transaction. */
#ifndef DESKBOT_DIALOG_H
#define DESKBOT_DIALOG_H
#include <cjson/cJSON.h>
#include <stdint.h>

#include "message.h"

struct replyset;
struct convstate;

#include "matcher.h"

#include "dialog_result.h"

/* Handles msg against the reply set rs. state is the conversation (bot/convstate.h;
 * owned by the caller, never NULL): the dialog reads and updates it in place (language,
 * a half-finished tariff question, the interview), so storing it keeps the
 * conversation across a restart. Text beyond TEXT_MAX_INPUT bytes is ignored. now is unix
 * seconds. Fills out (caller frees with dialog_result_free). Returns 0, or a negative
 * value on a broken invariant; bad input is never an error (it gets a reply). */
int dialog_handle(const struct replyset *rs, struct convstate *state, const struct chan_msg *msg,
		  int64_t now, struct dialog_result *out);
/* The two halves of dialog_handle, for a caller that also wants the match itself
 * (deskbot match): the message analysed once. m is freed by the caller
 * (match_result_free); dialog_handle_matched only borrows it. */
struct match_result;
int dialog_match(const struct replyset *rs, const struct chan_msg *msg, struct match_result *m);
int dialog_handle_matched(const struct replyset *rs, struct convstate *state,
			  const struct chan_msg *msg, int64_t now, const struct match_result *m,
			  struct dialog_result *out);
void dialog_result_free(struct dialog_result *r);

#endif
