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

enum dialog_case_op {
	DIALOG_CASE_NONE,
	DIALOG_CASE_CREATE, /* create a case from case_data (replies hold {case_id}, {eta}) */
};

struct dialog_result {
	struct reply_list replies; /* what to send, in order */
	char *handler;             /* "faq", "tariff", "smalltalk", "operator", "complaint",
				    * "clarify", "fallback", "empty" */
	char *intent;              /* matched intent id, or NULL */
	char **answered;           /* ids of the intents the replies answer, in the
				    * customer's order (more than one for a message with
				    * several questions); n_answered of them */
	size_t n_answered;
	char *lang;                /* "ru" or "en" */
	double score;              /* the top intent's score (0 for buttons and empties) */
	int wants_human;           /* 1: the customer asked for a person; the pipeline
				    * escalates and fills {case_id} and {eta} left in the
				    * operator_handoff reply (replyset_fill) */
	char *complaint_intent;    /* id of the complaint intent matched, or NULL; the
				    * reply is complaint_ack (issue 5 builds the case) */
	char *plan;                /* tariff id picked or described, or NULL */
	struct match_flags flags;  /* complaint signs found in the text */
	int case_op;               /* enum dialog_case_op: what the pipeline must do */
	cJSON *case_data;          /* owned: the finished interview for DIALOG_CASE_CREATE
				    * {"intent","summary","description","phone","account",
				    * "location","flags":{..},"started","skipped":[..]} */
	int interview_after;       /* another handler answered mid-interview */
	char phone[16];            /* +7XXXXXXXXXX from the text or the contact, or "" */
	char account[32];          /* account / contract number from the text, or "" */
};

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
