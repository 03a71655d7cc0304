/* Last in the table, always handles. When the matcher hesitates between a few intents
 * (decision "clarify") it offers the top two or three as buttons with the clarify
 * template; otherwise it says fallback and offers the menu topics and a person. */
#include "handler.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Up to three intents worth offering: above the clarify threshold, and not more than
 * a third below the best. */
static size_t clarify_choices(const struct handler_ctx *ctx, int *out)
{
	const struct match_result *m = ctx->match;
	double floor = replyset_settings(ctx->rs)->clarify;
	size_t n = 0;
	for (size_t i = 0; i < m->n_top && n < 3; i++) {
		if (i > 1 && (m->top[i].score < floor || m->top[i].score < m->top[0].score * 0.67))
			break;
		out[n++] = m->top[i].intent;
	}
	return n;
}

static int fallback_handle(struct handler_ctx *ctx)
{
	const struct match_result *m = ctx->match;
	if (m->decision == MATCH_CLARIFY && m->n_top && ctx->forced < 0) {
		int choice[3];
		size_t n = clarify_choices(ctx, choice);
		struct buf topics = {0};
		buf_append(&topics, "", 0);
		char *or_word = replyset_render(ctx->rs, "word_or", ctx->lang, NULL);
		for (size_t i = 0; i < n; i++) {
			const struct replyset_intent *it = replyset_intent_at(ctx->rs, (size_t)choice[i]);
			if (i && i + 1 == n && or_word)
				buf_printf(&topics, " %s ", or_word);
			else if (i)
				buf_puts(&topics, ", ");
			buf_puts(&topics, "«");
			buf_puts(&topics, it->title[ctx->lang]);
			buf_puts(&topics, "»");
		}
		free(or_word);
		struct tpl_vars v = {.topics = topics.data};
		struct reply *r = handler_template(ctx, "clarify", &v);
		for (size_t i = 0; i < n; i++)
			handler_intent_button(ctx, r, replyset_intent_at(ctx->rs, (size_t)choice[i])->id, (int)i);
		buf_free(&topics);
		handler_set_route(ctx, "clarify", NULL);
		return HANDLER_HANDLED;
	}
	struct reply *r = handler_template(ctx, "fallback", NULL);
	handler_menu_buttons(ctx, r);
	handler_set_route(ctx, "fallback", NULL);
	return HANDLER_HANDLED;
}

const struct handler handler_fallback = {
	.name = "fallback",
	.handle = fallback_handle,
};
