/* The conversation step: one normalised message in, replies (and later case actions) out.
 * Pure: it never touches the network or the store. The caller loads the conversation
 * state, calls dialog_handle, stores the state and the replies in one transaction. */
#ifndef DESKBOT_DIALOG_H
#define DESKBOT_DIALOG_H
#include <cjson/cJSON.h>
#include <stdint.h>

#include "message.h"

struct replyset;

struct dialog_result {
	struct reply_list replies; /* what to send, in order */
	char *handler;             /* "faq", "tariff", "smalltalk", "fallback", ... */
	char *intent;              /* matched intent id, or NULL */
	char *lang;                /* "ru" or "en" */
};

/* Handles msg against the reply set rs. state is the conversation's JSON object (owned
 * by the caller, never NULL): the dialog reads and updates it in place. now is unix
 * seconds. Fills out (caller frees with dialog_result_free). Returns 0, or a negative
 * value on a broken invariant; bad input is never an error (it gets a reply). */
int dialog_handle(const struct replyset *rs, cJSON *state, const struct chan_msg *msg,
		  int64_t now, struct dialog_result *out);
void dialog_result_free(struct dialog_result *r);

#endif
