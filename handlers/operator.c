/* The customer asks for a person: say so with operator_handoff and tell the pipeline
 * (dialog_result.wants_human) to escalate. The reply keeps {case_id}, {eta} and
 * {work_start} as placeholders: only the pipeline knows the case number once it has
 * created the case, and fills them with replyset_fill. */
#include "handler.h"

static int operator_handle(struct handler_ctx *ctx)
{
	const struct replyset_intent *it = handler_chosen(ctx);
	int asked = it ? it->kind == RS_OPERATOR : ctx->forced < 0 && ctx->match->flags.operator_request;
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
