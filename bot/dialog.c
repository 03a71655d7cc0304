/* The conversation step (see dialog.h): chooses the reply language, reads button
 * payloads, matches the text, then lets the handlers of the table below answer, the
 * first one that accepts wins and fallback is last.
 *
 * State kept in the caller's JSON object:
 *   "lang":   "ru" | "en", the language of the last message with letters;
 *   "seen":   true once the bot has answered in this conversation;
 *   "tariff": the half-finished tariff question (owned by handlers/tariff.c). */
#include "dialog.h"

#include <stdlib.h>
#include <string.h>

#include "handlers/handler.h"
#include "matcher.h"
#include "replyset.h"
#include "text.h"
#include "xalloc.h"

/* Tried in this order; fallback always handles. */
static const struct handler *const handler_table[] = {
	&handler_complaint, &handler_operator, &handler_tariff, &handler_smalltalk, &handler_faq,
	&handler_fallback,
};

/* ------------------------------------------------------------------ shared helpers */

const struct replyset_intent *dialog__chosen(const struct handler_ctx *ctx)
{
	if (ctx->forced >= 0)
		return replyset_intent_at(ctx->rs, (size_t)ctx->forced);
	const struct match_result *m = ctx->match;
	if (m && m->n_top && m->decision == MATCH_ANSWER)
		return replyset_intent_at(ctx->rs, (size_t)m->top[0].intent);
	return NULL;
}

struct reply *dialog__text(struct handler_ctx *ctx, const char *text, const char *source,
			   const struct tpl_vars *vars)
{
	char *filled = replyset_fill(text, vars);
	struct reply *r = reply_list_add(&ctx->out->replies, filled, source);
	free(filled);
	return r;
}

struct reply *dialog__template(struct handler_ctx *ctx, const char *id, const struct tpl_vars *vars)
{
	const struct replyset_template *t = replyset_template(ctx->rs, id);
	if (!t)
		return NULL;
	char *source = xasprintf("template:%s", id);
	struct reply *r = dialog__text(ctx, t->text[ctx->lang], source, vars);
	free(source);
	return r;
}

void dialog__intent_button(struct handler_ctx *ctx, struct reply *r, const char *id, int row)
{
	const struct replyset_intent *it = replyset_intent(ctx->rs, id);
	if (!it || !r)
		return;
	char *payload = xasprintf("intent:%s", it->id);
	reply_add_button(r, row, it->title[ctx->lang], payload, "callback");
	r->inline_keyboard = 1;
	free(payload);
}

void dialog__menu_buttons(struct handler_ctx *ctx, struct reply *r)
{
	const struct replyset_settings *s = replyset_settings(ctx->rs);
	int has_person = 0;
	for (size_t i = 0; i < s->n_menu; i++) {
		const struct replyset_intent *it = replyset_intent(ctx->rs, s->menu[i]);
		if (it && it->kind == RS_OPERATOR)
			has_person = 1;
		dialog__intent_button(ctx, r, s->menu[i], (int)i / 2);
	}
	if (has_person)
		return;
	for (size_t i = 0; i < replyset_n_intents(ctx->rs); i++) {
		const struct replyset_intent *it = replyset_intent_at(ctx->rs, i);
		if (it->kind == RS_OPERATOR) {
			dialog__intent_button(ctx, r, it->id, (int)(s->n_menu + 1) / 2);
			return;
		}
	}
}

void dialog__set_route(struct handler_ctx *ctx, const char *handler, const char *intent)
{
	free(ctx->out->handler);
	free(ctx->out->intent);
	ctx->out->handler = xstrdup(handler);
	ctx->out->intent = intent ? xstrdup(intent) : NULL;
}

/* ------------------------------------------------------------------ language */

static int choose_lang(const struct chan_msg *msg, const struct text_analysis *a, cJSON *state)
{
	const char *code = NULL;
	if (a && a->lang)
		code = a->lang;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(state, "lang");
	if (!code && cJSON_IsString(st))
		code = st->valuestring;
	if (!code && msg->lang)
		code = strncmp(msg->lang, "en", 2) == 0 ? "en" : "ru";
	int lang = replyset_lang(code);
	cJSON_DeleteItemFromObjectCaseSensitive(state, "lang");
	cJSON_AddStringToObject(state, "lang", replyset_lang_code(lang));
	return lang;
}

/* An ordinary question asked angrily is answered, and when the anger is about the
 * service the customer is also offered a case (a button under the answer). */
static void offer_case(struct handler_ctx *ctx)
{
	const struct match_flags *f = &ctx->match->flags;
	const struct dialog_result *o = ctx->out;
	if (!o->handler || strcmp(o->handler, "faq") != 0 || !o->replies.n)
		return;
	if (!(f->negative || f->obscene || f->shouting || f->legal_threat))
		return;
	const struct replyset_template *b = replyset_template(ctx->rs, "button_open_case");
	if (!b)
		return;
	struct reply *r = &ctx->out->replies.items[ctx->out->replies.n - 1];
	int row = r->n_buttons ? r->row_of[r->n_buttons - 1] + 1 : 0;
	reply_add_button(r, row, b->text[ctx->lang], "complaint:open", "callback");
	r->inline_keyboard = 1;
}

/* ------------------------------------------------------------------ dialog_handle */

/* Records that the replies answer intent id (once; NULL ignored). */
static void answered_add(struct dialog_result *out, const char *id)
{
	if (!id)
		return;
	for (size_t i = 0; i < out->n_answered; i++)
		if (strcmp(out->answered[i], id) == 0)
			return;
	out->answered = xrealloc(out->answered, (out->n_answered + 1) * sizeof *out->answered);
	out->answered[out->n_answered++] = xstrdup(id);
}

/* Reads a button payload: "intent:ID" (an intent, answered directly), "plan:ID" (a
 * tariff described) or "complaint:open" (read by the complaint handler). Returns 1 when
 * the payload is one of those and still names something in this reply set, 0 for
 * anything else: a stale button from an older set, a forged press, another bot's. */
static int read_payload(const struct replyset *rs, const char *payload, int *forced, const char **plan)
{
	*forced = -1;
	*plan = NULL;
	if (!payload)
		return 0;
	if (strncmp(payload, "intent:", 7) == 0)
		*forced = replyset_intent_index(rs, payload + 7);
	else if (strncmp(payload, "plan:", 5) == 0 && replyset_tariff(rs, payload + 5))
		*plan = replyset_tariff(rs, payload + 5)->id;
	return *forced >= 0 || *plan || strcmp(payload, "complaint:open") == 0;
}

/* A press of a button the bot does not know (or one without any data), with no text
 * to go by: saying "your
 * message is empty" would be wrong and useless, so say the button is out of date and
 * offer the menu (the fallback text when the set has no button_stale template). */
static void stale_button(struct handler_ctx *ctx)
{
	struct reply *r = dialog__template(ctx, "button_stale", NULL);
	if (!r)
		r = dialog__template(ctx, "fallback", NULL);
	dialog__menu_buttons(ctx, r);
	dialog__set_route(ctx, "fallback", NULL);
}

int dialog_match(const struct replyset *rs, const struct chan_msg *msg, struct match_result *m)
{
	const char *text = msg && msg->text ? msg->text : "";
	size_t len = strlen(text);
	if (len > TEXT_MAX_INPUT)
		len = TEXT_MAX_INPUT;
	return match_message(rs, text, len, m);
}

int dialog_handle(const struct replyset *rs, cJSON *state, const struct chan_msg *msg, int64_t now,
		  struct dialog_result *out)
{
	memset(out, 0, sizeof *out);
	if (!rs || !state || !msg || !cJSON_IsObject(state))
		return -1;
	struct match_result m;
	if (dialog_match(rs, msg, &m) < 0)
		return -1;
	int result = dialog_handle_matched(rs, state, msg, now, &m, out);
	match_result_free(&m);
	return result;
}

int dialog_handle_matched(const struct replyset *rs, cJSON *state, const struct chan_msg *msg,
			  int64_t now, const struct match_result *match, struct dialog_result *out)
{
	memset(out, 0, sizeof *out);
	if (!rs || !state || !msg || !match || !cJSON_IsObject(state))
		return -1;
	struct handler_ctx ctx = {
		.rs = rs, .msg = msg, .match = match, .state = state, .now = now, .out = out,
	};
	int known_button = read_payload(rs, msg->payload, &ctx.forced, &ctx.forced_plan);
	ctx.lang = choose_lang(msg, &match->text, state);
	out->lang = xstrdup(replyset_lang_code(ctx.lang));
	out->flags = match->flags;
	out->score = match->n_top && ctx.forced < 0 ? match->top[0].score : 0;
	memcpy(out->phone, match->text.ent.phone, sizeof out->phone);
	memcpy(out->account, match->text.ent.account, sizeof out->account);
	if (!out->phone[0] && msg->contact_phone)
		text_phone_normalize(msg->contact_phone, out->phone);

	int result = 0;
	if ((msg->payload || msg->callback_id) && !known_button && match->text.n_tokens == 0) {
		stale_button(&ctx);
		goto done;
	}
	int empty = match->text.n_tokens == 0 && !known_button;
	if (empty) {
		int attachment = msg->attachments && *msg->attachments;
		if (!(msg->contact_phone && out->phone[0])) {
			dialog__set_route(&ctx, "empty", NULL);
			dialog__template(&ctx, attachment ? "unsupported_attachment" : "empty_message", NULL);
			goto done;
		}
	}
	for (size_t i = 0; i < sizeof handler_table / sizeof handler_table[0]; i++) {
		result = handler_table[i]->handle(&ctx);
		if (result < 0)
			goto done;
		if (result == HANDLER_HANDLED) {
			if (!out->handler)
				dialog__set_route(&ctx, handler_table[i]->name, NULL);
			result = 0;
			break;
		}
	}
	for (size_t i = 0; i < sizeof handler_table / sizeof handler_table[0]; i++)
		if (handler_table[i]->after)
			handler_table[i]->after(&ctx);
	offer_case(&ctx);
	answered_add(out, out->complaint_intent ? out->complaint_intent : out->intent);
done:
	cJSON_DeleteItemFromObjectCaseSensitive(state, "seen");
	cJSON_AddTrueToObject(state, "seen");
	return result < 0 ? result : 0;
}

void dialog_result_free(struct dialog_result *r)
{
	if (!r)
		return;
	reply_list_free(&r->replies);
	free(r->handler);
	free(r->intent);
	for (size_t i = 0; i < r->n_answered; i++)
		free(r->answered[i]);
	free(r->answered);
	free(r->lang);
	free(r->complaint_intent);
	free(r->plan);
	cJSON_Delete(r->case_data);
	memset(r, 0, sizeof *r);
}
