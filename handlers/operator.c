/* The customer asks for a person: say so with operator_handoff and tell the pipeline
 * (dialog_result.wants_human) to escalate. The reply keeps {case_id}, {eta} and
 * {work_start} as placeholders: only the pipeline knows the case number once it has
 * created the case, and fills them with replyset_fill. */
#include "handler.h"

#include <string.h>

static int asks_how(const struct text_analysis *a)
{
	static const char *const words[] = {"как", "куда", "какой", "какая", "какие", "каком", "где", "что",
					    "номер", "телефон", "позвонить", "звонить", "what", "where", "how",
					    "which", "number", "call", "phone", "бот", "робот", "bot", NULL};
	for (size_t i = 0; i < a->n_tokens; i++) {
		if (strcmp(a->tokens[i].text, "?") == 0)
			return 1;
		for (const char *const *w = words; *w; w++)
			if (strcmp(a->tokens[i].text, *w) == 0)
				return 1;
	}
	return 0;
}

static int operator_handle(struct handler_ctx *ctx)
{
	const struct replyset_intent *it = handler_chosen(ctx);
	int asked = it ? it->kind == RS_OPERATOR : ctx->forced < 0 && ctx->match->flags.operator_request;
	if (!asked && it && ctx->forced < 0 && ctx->match->flags.operator_request && it->kind == RS_FAQ &&
	    !asks_how(&ctx->match->text)) {
		/* "operator please" reads close to switching operators: asked for a person in
		 * so many words, with the set's operator intent a close candidate too, the
		 * customer wants a person, not the article. A question ("куда позвонить, чтобы
		 * ответил живой человек?") asks for the contacts article. */
		const struct match_result *m = ctx->match;
		for (size_t i = 1; i < m->n_top && i < 3 && !asked; i++) {
			const struct replyset_intent *c = replyset_intent_at(ctx->rs, (size_t)m->top[i].intent);
			asked = c->kind == RS_OPERATOR && m->top[i].score >= replyset_settings(ctx->rs)->answer;
			if (asked)
				it = c;
		}
	}
	if (!asked)
		return HANDLER_DECLINED;
	struct tpl_vars v = {.case_id = "{case_id}", .eta = "{eta}", .work_start = "{work_start}"};
	handler_template(ctx, "operator_handoff", &v);
	ctx->out->wants_human = 1;
	if (!it) {
		/* Asked in so many words (the operator_request lexicon) while the match was
		 * unsure: the request is still the set's operator intent. */
		for (size_t i = 0; i < replyset_n_intents(ctx->rs) && !it; i++)
			if (replyset_intent_at(ctx->rs, i)->kind == RS_OPERATOR)
				it = replyset_intent_at(ctx->rs, i);
	}
	handler_set_route(ctx, "operator", it ? it->id : NULL);
	return HANDLER_HANDLED;
}

const struct handler handler_operator = {
	.name = "operator",
	.handle = operator_handle,
};
