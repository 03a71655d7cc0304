/* FAQ answers: the reply set's answer to the intent the matcher is sure of (or that a
 * button named), with the intent's follow-up topics as buttons. */
#include "handler.h"

#include <stdio.h>

static int faq_handle(struct handler_ctx *ctx)
{
	const struct replyset_intent *it = handler_chosen(ctx);
	if (!it || it->kind != RS_FAQ || !it->answer[ctx->lang])
		return HANDLER_DECLINED;
	char source[160];
	snprintf(source, sizeof source, "faq:%s", it->id);
	struct reply *r = handler_text(ctx, it->answer[ctx->lang], source, NULL);
	for (size_t i = 0; i < it->n_buttons; i++)
		handler_intent_button(ctx, r, it->buttons[i], (int)i);
	handler_set_route(ctx, "faq", it->id);
	return HANDLER_HANDLED;
}

const struct handler handler_faq = {
	.name = "faq",
	.handle = faq_handle,
};
