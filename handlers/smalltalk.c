/* Small talk (greeting, thanks, goodbye...): the intent's own answer. The first
 * greeting of a conversation gets greeting_first instead, which introduces the bot,
 * with the menu topics as buttons. */
#include "handler.h"

#include <stdio.h>

#include <string.h>

static int smalltalk_handle(struct handler_ctx *ctx)
{
	const struct replyset_intent *it = handler_chosen(ctx);
	if (!it || it->kind != RS_SMALLTALK)
		return HANDLER_DECLINED;
	int first = !convstate_seen(ctx->state);
	struct reply *r;
	if (first && strcmp(it->id, "greeting") == 0 && replyset_template(ctx->rs, "greeting_first")) {
		r = handler_template(ctx, "greeting_first", NULL);
		handler_menu_buttons(ctx, r);
	} else {
		char source[160];
		snprintf(source, sizeof source, "smalltalk:%s", it->id);
		r = handler_text(ctx, it->answer[ctx->lang] ? it->answer[ctx->lang] : "", source, NULL);
		for (size_t i = 0; i < it->n_buttons; i++)
			handler_intent_button(ctx, r, it->buttons[i], (int)i);
	}
	handler_set_route(ctx, "smalltalk", it->id);
	return HANDLER_HANDLED;
}

const struct handler handler_smalltalk = {
	.name = "smalltalk",
	.handle = smalltalk_handle,
};
