/* The helpers every handler uses to answer (handler.h): the intent to consider, replies
 * from templates and texts, intent and menu buttons, the routing facts. */
#include "handler.h"

#include <stdlib.h>

#include "xalloc.h"

const struct replyset_intent *handler_chosen(const struct handler_ctx *ctx)
{
	if (ctx->forced >= 0)
		return replyset_intent_at(ctx->rs, (size_t)ctx->forced);
	const struct match_result *m = ctx->match;
	if (m && m->n_top && m->decision == MATCH_ANSWER)
		return replyset_intent_at(ctx->rs, (size_t)m->top[0].intent);
	return NULL;
}

struct reply *handler_text(struct handler_ctx *ctx, const char *text, const char *source,
			   const struct tpl_vars *vars)
{
	char *filled = replyset_fill(text, vars);
	struct reply *r = reply_list_add(&ctx->out->replies, filled, source);
	free(filled);
	return r;
}

struct reply *handler_template(struct handler_ctx *ctx, const char *id, const struct tpl_vars *vars)
{
	const struct replyset_template *t = replyset_template(ctx->rs, id);
	if (!t)
		return NULL;
	char *source = xasprintf("template:%s", id);
	struct reply *r = handler_text(ctx, t->text[ctx->lang], source, vars);
	free(source);
	return r;
}

void handler_intent_button(struct handler_ctx *ctx, struct reply *r, const char *id, int row)
{
	const struct replyset_intent *it = replyset_intent(ctx->rs, id);
	if (!it || !r)
		return;
	char *payload = xasprintf("intent:%s", it->id);
	reply_add_button(r, row, it->title[ctx->lang], payload, "callback");
	r->inline_keyboard = 1;
	free(payload);
}

void handler_menu_buttons(struct handler_ctx *ctx, struct reply *r)
{
	const struct replyset_settings *s = replyset_settings(ctx->rs);
	int has_person = 0;
	for (size_t i = 0; i < s->n_menu; i++) {
		const struct replyset_intent *it = replyset_intent(ctx->rs, s->menu[i]);
		if (it && it->kind == RS_OPERATOR)
			has_person = 1;
		handler_intent_button(ctx, r, s->menu[i], (int)i / 2);
	}
	if (has_person)
		return;
	for (size_t i = 0; i < replyset_n_intents(ctx->rs); i++) {
		const struct replyset_intent *it = replyset_intent_at(ctx->rs, i);
		if (it->kind == RS_OPERATOR) {
			handler_intent_button(ctx, r, it->id, (int)(s->n_menu + 1) / 2);
			return;
		}
	}
}

void handler_set_route(struct handler_ctx *ctx, const char *handler, const char *intent)
{
	free(ctx->out->handler);
	free(ctx->out->intent);
	ctx->out->handler = xstrdup(handler);
	ctx->out->intent = intent ? xstrdup(intent) : NULL;
}

/* A press of a button the bot does not know (or one without any data), with no text
 * to go by: saying "your
 * message is empty" would be wrong and useless, so say the button is out of date and
 * offer the menu (the fallback text when the set has no button_stale template). */
void handler_stale_button(struct handler_ctx *ctx)
{
	struct reply *r = handler_template(ctx, "button_stale", NULL);
	if (!r)
		r = handler_template(ctx, "fallback", NULL);
	handler_menu_buttons(ctx, r);
	handler_set_route(ctx, "fallback", NULL);
}
