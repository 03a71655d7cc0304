/* The idea board's side of the conversation: "у меня есть предложение" starts a short
 * collection (what, then why), each question an admin-editable template; the second
 * answer hands the idea to the ideas service (bot/ideas.c) with a thanks. A vote button
 * ("idea:vote:N") and "покажи идеи" are handed over the same way: this handler decides
 * what to say, the service stores and fills in {idea} and {ideas}. */
#include "handler.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Bytes kept of one answer (cut on a character boundary): an idea is a few lines. */
#define IDEA_TEXT_MAX 1000
/* A collection left this long is forgotten: the next message is a new conversation. */
#define IDEA_STALE_S (24 * 3600)

int handler_idea_payload(const char *payload, int64_t *idea)
{
	if (!payload || strncmp(payload, "idea:vote:", 10) != 0)
		return 0;
	const char *p = payload + 10;
	if (*p < '1' || *p > '9' || strlen(p) > 15)
		return 0;
	char *end;
	long long v = strtoll(p, &end, 10);
	if (*end)
		return 0;
	if (idea)
		*idea = v;
	return 1;
}

/* The customer's answer, trimmed and cut to IDEA_TEXT_MAX bytes; caller frees. */
static char *answer_text(const char *text)
{
	while (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r')
		text++;
	size_t n = strlen(text);
	if (n > IDEA_TEXT_MAX) {
		n = IDEA_TEXT_MAX;
		while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	while (n && strchr(" \n\t\r", text[n - 1]))
		n--;
	return xstrndup(text, n);
}

/* The placeholders the service fills after the store has answered. */
static const struct tpl_vars keep = {.idea = "{idea}", .ideas = "{ideas}"};

static int collect(struct handler_ctx *ctx, int step)
{
	char *text = answer_text(ctx->msg->text);
	if (step == CONVSTATE_IDEA_WHAT) {
		convstate_idea_set_what(ctx->state, text);
		handler_template(ctx, "idea_ask_why", NULL);
		free(text);
	} else {
		ctx->out->idea_op = DIALOG_IDEA_SUBMIT;
		ctx->out->idea_what = xstrdup(convstate_idea_what(ctx->state));
		ctx->out->idea_why = text;
		convstate_idea_drop(ctx->state);
		struct reply *r = handler_template(ctx, "idea_thanks", &keep);
		handler_intent_button(ctx, r, "ideas_top", 0);
	}
	handler_set_route(ctx, "idea", "idea_propose");
	return HANDLER_HANDLED;
}

static int idea_handle(struct handler_ctx *ctx)
{
	int64_t id;
	if (handler_idea_payload(ctx->msg->payload, &id)) {
		ctx->out->idea_op = DIALOG_IDEA_VOTE;
		ctx->out->idea_id = id;
		/* Whether idea id exists only the store knows: the answer for a button that
		 * names none is made here too, and the ideas service picks. */
		struct reply_list said = ctx->out->replies;
		ctx->out->replies = (struct reply_list){0};
		handler_stale_button(ctx);
		ctx->out->idea_stale = ctx->out->replies;
		ctx->out->replies = said;
		handler_template(ctx, "idea_voted", &keep);
		handler_set_route(ctx, "idea", "idea_vote");
		return HANDLER_HANDLED;
	}
	const struct replyset_intent *it = handler_chosen(ctx);
	int step = convstate_idea_step(ctx->state);
	if (step != CONVSTATE_IDEA_NONE) {
		int stale = ctx->now - convstate_idea_started(ctx->state) > IDEA_STALE_S;
		/* A complaint or a request for a person is not an answer to "what is
		 * your idea": it goes to its own handler and the idea is dropped. */
		int elsewhere = it && (it->kind == RS_COMPLAINT || it->kind == RS_OPERATOR);
		int pressed = ctx->msg->payload != NULL; /* a button is not an answer */
		if (!stale && !elsewhere && !pressed && ctx->match->text.n_tokens > 0)
			return collect(ctx, step);
		convstate_idea_drop(ctx->state);
	}
	if (!it || it->kind != RS_IDEA)
		return HANDLER_DECLINED;
	if (strcmp(it->id, "ideas_top") == 0) {
		ctx->out->idea_op = DIALOG_IDEA_TOP;
		handler_template(ctx, "idea_top", &keep);
	} else {
		convstate_idea_start(ctx->state, ctx->now);
		handler_template(ctx, "idea_ask_what", NULL);
	}
	handler_set_route(ctx, "idea", it->id);
	return HANDLER_HANDLED;
}

const struct handler handler_idea = {
	.name = "idea",
	.handle = idea_handle,
};
