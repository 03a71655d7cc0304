/* What one conversation step produced: the replies and the routing facts. Apart from
 * dialog.h because the handlers fill it (handlers/handler.h) and the dialog runs the
 * handlers: both see this type, neither sees the other through it. */
#ifndef DESKBOT_DIALOG_RESULT_H
#define DESKBOT_DIALOG_RESULT_H
#include <cjson/cJSON.h>
#include <stddef.h>

#include "matcher.h"
#include "message.h"

enum dialog_case_op {
	DIALOG_CASE_NONE,
	DIALOG_CASE_CREATE, /* create a case from case_data (replies hold {case_id}, {eta}) */
};

enum dialog_idea_op {
	DIALOG_IDEA_NONE,
	DIALOG_IDEA_SUBMIT, /* store idea_what / idea_why (replies hold {idea}) */
	DIALOG_IDEA_VOTE,   /* count the customer's vote for idea_id */
	DIALOG_IDEA_TOP,    /* list the top ideas where the replies hold {ideas} */
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
	const char *top_intent;    /* the top intent's id whatever was answered (borrowed
				    * from the reply set), NULL for buttons and empties */
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
	int idea_op;               /* enum dialog_idea_op: what the ideas service must do */
	char *idea_what, *idea_why; /* owned: the collected idea for DIALOG_IDEA_SUBMIT */
	int64_t idea_id;           /* the idea voted for (DIALOG_IDEA_VOTE) */
	struct reply_list idea_stale; /* DIALOG_IDEA_VOTE: the replies instead when there is
				       * no such idea (a forged or foreign button) */
};

#endif
