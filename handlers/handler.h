/* The one interface every capability implements. The dialog tries the handlers of
 * its static table in order; each answers HANDLER_HANDLED (it wrote the replies) or
 * HANDLER_DECLINED (not its message), and fallback is last and always handles.
 * Handlers see the analysed message, the reply set and the conversation state, never
 * the network or the store. Each handler file exports only its descriptor. */
#ifndef DESKBOT_HANDLER_H
#define DESKBOT_HANDLER_H
#include <cjson/cJSON.h>
#include <stdint.h>

#include "convstate.h"
#include "dialog_result.h"
#include "matcher.h"
#include "message.h"
#include "replyset.h"

enum handler_status {
	HANDLER_DECLINED = 0,
	HANDLER_HANDLED = 1,
};

/* Everything a handler may look at and the result it fills. Borrowed for one call. */
struct handler_ctx {
	const struct replyset *rs;
	const struct chan_msg *msg;
	const struct match_result *match; /* the analysed message, its intents, flags */
	struct convstate *state;          /* conversation state, read and updated in place */
	int lang;                         /* enum replyset_lang of the reply */
	int64_t now;                      /* unix seconds */
	int forced;                       /* intent index named by a pressed button, or -1 */
	const char *forced_plan;          /* tariff id named by a pressed button, or NULL */
	struct dialog_result *out;        /* replies and routing facts */
};

struct handler {
	const char *name;                 /* "faq", "tariff", ...: dialog_result.handler */
	/* Optional: called once per reply set before use; non-zero refuses the set. */
	int (*init)(const struct replyset *rs);
	/* Optional: called when the set is dropped. */
	void (*dispose)(const struct replyset *rs);
	/* HANDLER_HANDLED, HANDLER_DECLINED, or < 0 on a broken invariant. */
	int (*handle)(struct handler_ctx *ctx);
	/* Optional: runs after the handler that answered, to add what must follow. */
	void (*after)(struct handler_ctx *ctx);
};

extern const struct handler handler_idea;
extern const struct handler handler_complaint;
extern const struct handler handler_operator;
extern const struct handler handler_tariff;
extern const struct handler handler_smalltalk;
extern const struct handler handler_faq;
extern const struct handler handler_fallback;

/* 1 when payload is a vote button's ("idea:vote:N"), with N in *idea (may be NULL). */
int handler_idea_payload(const char *payload, int64_t *idea);

/* Helpers the handlers share (handlers/handler.c). */

/* The intent the handler should consider: the button's, or the top match when the
 * matcher decided to answer; NULL otherwise. */
const struct replyset_intent *handler_chosen(const struct handler_ctx *ctx);
/* Adds a reply rendered from template id (NULL if the set lacks it: nothing added). */
struct reply *handler_template(struct handler_ctx *ctx, const char *id, const struct tpl_vars *vars);
/* Adds a reply with a reply-set text (placeholders filled with vars, may be NULL). */
struct reply *handler_text(struct handler_ctx *ctx, const char *text, const char *source,
			   const struct tpl_vars *vars);
/* Adds a button offering intent id (its title in the reply language). */
void handler_intent_button(struct handler_ctx *ctx, struct reply *r, const char *id, int row);
/* Adds the menu topics and, if none of them is one, a button for a person. */
void handler_menu_buttons(struct handler_ctx *ctx, struct reply *r);
/* Says a button is out of date (button_stale, else fallback) with the menu (bot/dialog.c). */
void handler_stale_button(struct handler_ctx *ctx);
/* Records the routing facts in ctx->out (handler name, intent id). */
void handler_set_route(struct handler_ctx *ctx, const char *handler, const char *intent);

#endif
