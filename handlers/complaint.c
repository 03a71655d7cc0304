/* Complaints: recognises one, acknowledges it with an approved text, and runs the short
 * interview that collects what the case still lacks, one thing at a time (phone,
 * account, location, description). When nothing is missing, or the customer would not
 * answer after settings.interview_max_tries tries, it asks the pipeline to create the
 * case (dialog_result.case_op) and says case_created with {case_id} and {eta} left for
 * the pipeline to fill. A customer who writes about something else mid-interview gets
 * that answered by the other handlers and the question asked again.
 *
 * State, under "interview" in the conversation:
 *   {"intent","asked","tries","phone","account","location","description","summary",
 *    "started","skipped":[..]}
 * and "open_case" (set by the pipeline) while the chat has an open case. */
#include "handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/caps.h"
#include "json_util.h"
#include "xalloc.h"

/* With a problem stated but an FAQ answer the matcher is sure of, a complaint candidate
 * must score at least this share of the top score to win. */
#define COMPLAINT_NEAR 0.8
/* A threat or a call to spread the word is a flag, not a topic: when it pulls the
 * match to the general complaint, a specific complaint scoring at least this share of
 * it is the category (the one the message would have without the threat). */
#define SPECIFIC_NEAR 0.85
/* Payload of the "Не помогло — передать сотруднику" button: this prefix and the
 * complaint intent's id. */
#define OPEN_PREFIX "complaint:open:"

static const char *const need_names[] = {"phone", "account", "location", "description"};
static const char *const ask_templates[] = {"ask_phone", "ask_account", "ask_location",
					    "ask_description"};

static size_t words_in(const struct text_analysis *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_tokens; i++)
		n += a->tokens[i].kind == TEXT_WORD;
	return n;
}

static void set_str(cJSON *o, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (value)
		cJSON_AddStringToObject(o, key, value);
}

/* Cuts customer text kept in the case to a sane size at a character boundary. */
static char *clip(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return xstrdup(s);
	while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return xstrndup(s, max);
}

/* Takes from this message whatever the interview can use, whether asked or not. */
static void absorb(struct handler_ctx *ctx, cJSON *iv, const char *asked)
{
	const struct dialog_result *o = ctx->out;
	if (o->phone[0] && !json_str(iv, "phone"))
		set_str(iv, "phone", o->phone);
	if (o->account[0] && !json_str(iv, "account"))
		set_str(iv, "account", o->account);
	if (!asked)
		return;
	const struct text_analysis *a = &ctx->match->text;
	const char *text = ctx->msg->text ? ctx->msg->text : "";
	char *v = NULL;
	if (strcmp(asked, "account") == 0 && !json_str(iv, "account")) {
		/* A bare number is the answer to "your account number?". */
		size_t digits = 0;
		for (const char *p = text; *p; p++)
			digits += *p >= '0' && *p <= '9';
		if (digits >= 5 && words_in(a) <= 3)
			v = clip(text, 31);
	} else if (strcmp(asked, "location") == 0 && words_in(a) >= 1) {
		v = clip(text, 200);
	} else if (strcmp(asked, "description") == 0 && words_in(a) >= 3) {
		v = clip(text, 1000);
	}
	if (v && !json_str(iv, asked))
		set_str(iv, asked, v);
	free(v);
}

/* The next thing the case lacks, or NULL when it has all (or the rest was skipped). */
static const char *next_missing(const struct handler_ctx *ctx, const cJSON *iv)
{
	const struct replyset_intent *it = replyset_intent(ctx->rs, json_str(iv, "intent"));
	unsigned needs = it ? it->needs : RS_NEED_PHONE | RS_NEED_DESCRIPTION;
	const cJSON *skipped = json_arr(iv, "skipped");
	for (int k = 0; k < 4; k++) {
		if (!(needs & (1u << k)) || json_str(iv, need_names[k]))
			continue;
		int skip = 0;
		const cJSON *s;
		cJSON_ArrayForEach(s, skipped) skip |= cJSON_IsString(s) &&
						      strcmp(s->valuestring, need_names[k]) == 0;
		if (!skip)
			return need_names[k];
	}
	return NULL;
}

static int need_index(const char *name)
{
	for (int k = 0; k < 4; k++)
		if (strcmp(name, need_names[k]) == 0)
			return k;
	return 3;
}

/* Asks for one thing; the phone question offers Telegram's share-contact button. */
static void ask(struct handler_ctx *ctx, cJSON *iv, const char *what, int tries)
{
	struct reply *r = dialog__template(ctx, ask_templates[need_index(what)], NULL);
	/* Only Telegram has a button that shares the customer's number. */
	if (r && strcmp(what, "phone") == 0 && ctx->msg->caps && ctx->msg->caps->contact_button) {
		const struct replyset_template *b = replyset_template(ctx->rs, "button_share_phone");
		if (b)
			reply_add_button(r, 0, b->text[ctx->lang], "contact", "contact");
	}
	set_str(iv, "asked", what);
	cJSON_DeleteItemFromObjectCaseSensitive(iv, "tries");
	cJSON_AddNumberToObject(iv, "tries", tries);
}

/* Hands the collected interview to the pipeline and says case_created. */
static void finish(struct handler_ctx *ctx, cJSON *iv)
{
	cJSON_DetachItemViaPointer(ctx->state, iv);
	set_str(iv, "asked", NULL);
	cJSON_DeleteItemFromObjectCaseSensitive(iv, "tries");
	ctx->out->case_op = DIALOG_CASE_CREATE;
	ctx->out->case_data = iv;
	struct tpl_vars v = {.case_id = "{case_id}", .eta = "{eta}", .work_start = "{work_start}"};
	dialog__template(ctx, "case_created", &v);
}

/* Asks for the next missing thing (keeping the count of tries when it is the same
 * question again), or finishes. */
static void advance(struct handler_ctx *ctx, cJSON *iv)
{
	const char *next = next_missing(ctx, iv);
	if (!next) {
		finish(ctx, iv);
		return;
	}
	const char *asked = json_str(iv, "asked");
	int tries = asked && strcmp(asked, next) == 0 ? (int)json_int(iv, "tries", 0) : 0;
	ask(ctx, iv, next, tries);
}

static void merge_flags(cJSON *iv, const struct match_flags *f)
{
	cJSON *flags = cJSON_GetObjectItemCaseSensitive(iv, "flags");
	if (!flags)
		flags = cJSON_AddObjectToObject(iv, "flags");
	const struct {
		const char *name;
		int on;
	} list[] = {{"obscene", f->obscene}, {"legal_threat", f->legal_threat},
		    {"spread_call", f->spread_call}, {"shouting", f->shouting}};
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		if (list[i].on && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flags, list[i].name))) {
			cJSON_DeleteItemFromObjectCaseSensitive(flags, list[i].name);
			cJSON_AddTrueToObject(flags, list[i].name);
		}
}

static int grievance(const struct handler_ctx *ctx);

/* With a threat or a call to spread in the message, the general complaint gives way to
 * a specific one close behind it (see SPECIFIC_NEAR); otherwise it is kept. */
static const struct replyset_intent *threat_free_category(const struct handler_ctx *ctx,
							   const struct replyset_intent *it)
{
	const struct match_result *m = ctx->match;
	if (!(m->flags.legal_threat || m->flags.spread_call) || strcmp(it->id, "complaint_general") != 0)
		return it;
	double general = 0;
	for (size_t i = 0; i < m->n_top; i++)
		if (replyset_intent_at(ctx->rs, (size_t)m->top[i].intent) == it)
			general = m->top[i].score;
	for (size_t i = 0; i < m->n_top; i++) {
		const struct replyset_intent *o = replyset_intent_at(ctx->rs, (size_t)m->top[i].intent);
		if (o != it && o->kind == RS_COMPLAINT && m->top[i].score >= SPECIFIC_NEAR * general)
			return o;
	}
	return it;
}

/* The complaint intent this message raises, or NULL. A complaint intent counts when the
 * matcher is sure of it, or when it leads a hesitant match and the message carries a
 * complaint sign; a legal threat or a call to spread the word about us is a complaint
 * even when the problem itself is unclear (complaint_general). */
static const struct replyset_intent *detect(const struct handler_ctx *ctx)
{
	const struct match_result *m = ctx->match;
	const struct match_flags *f = &m->flags;
	if (ctx->forced >= 0) {
		const struct replyset_intent *it = replyset_intent_at(ctx->rs, (size_t)ctx->forced);
		return it->kind == RS_COMPLAINT ? it : NULL;
	}
	if (ctx->msg->payload && strcmp(ctx->msg->payload, "complaint:open") == 0)
		return replyset_intent(ctx->rs, "complaint_general");
	if (ctx->msg->payload && strncmp(ctx->msg->payload, OPEN_PREFIX, strlen(OPEN_PREFIX)) == 0) {
		/* "Не помогло": the problem answered before, now a case. */
		const struct replyset_intent *it = replyset_intent(ctx->rs, ctx->msg->payload + strlen(OPEN_PREFIX));
		return it && it->kind == RS_COMPLAINT ? it : replyset_intent(ctx->rs, "complaint_general");
	}
	/* Capitals are a sign only with a problem stated (a question in capitals is a
	 * question); "!!!" is one on its own. */
	int sign = f->negative || f->obscene || f->legal_threat || f->spread_call || m->text.n_exclaim >= 3 ||
		   (f->shouting && replyset_lexicon_hit(ctx->rs, "problem", &m->text));
	double floor = replyset_settings(ctx->rs)->clarify;
	for (size_t i = 0; i < m->n_top && i < 3; i++) {
		const struct replyset_intent *it = replyset_intent_at(ctx->rs, (size_t)m->top[i].intent);
		if (it->kind != RS_COMPLAINT || m->top[i].score < floor)
			continue;
		/* The leading intent is a complaint (the complaint intents often resemble each
		 * other too much for a sure answer, which does not matter here: the case
		 * category can be corrected by a person), or a complaint follows close behind
		 * in a message that carries a complaint sign. */
		if (i == 0 && m->decision != MATCH_FALLBACK)
			return threat_free_category(ctx, it);
		if (sign && m->top[i].score >= m->top[0].score * 0.85)
			return it;
	}
	/* Swearing about a service (not about the bot): the best guess among the
	 * candidates, or a general complaint. */
	if (f->obscene && m->n_top && m->top[0].score >= floor) {
		const struct replyset_intent *top = replyset_intent_at(ctx->rs, (size_t)m->top[0].intent);
		if (top->kind == RS_FAQ)
			return replyset_intent(ctx->rs, "complaint_general");
	}
	/* A problem stated in so many words ("не работает", "списали") with a complaint
	 * among the candidates, or a threat or a call to spread the word, is a complaint
	 * even when the matcher is unsure which one. */
	int problem = replyset_lexicon_hit(ctx->rs, "problem", &m->text);
	if (problem || f->legal_threat || f->spread_call) {
		/* A threat makes any complaint candidate count; a problem alone keeps an FAQ
		 * answer the matcher is sure of ("почему не приходят смс") unless a complaint
		 * comes close to it. */
		int sure_faq = dialog__chosen(ctx) != NULL && !f->legal_threat && !f->spread_call;
		/* Answer first: a problem stated plainly that an FAQ answers for sure gets
		 * that answer (with the button that opens a case, see dialog.c), not a case. */
		if (sure_faq && dialog__chosen(ctx)->kind == RS_FAQ && !grievance(ctx))
			return NULL;
		for (size_t i = 0; i < m->n_top && i < (sure_faq ? 3u : MATCH_TOP); i++) {
			const struct replyset_intent *it =
				replyset_intent_at(ctx->rs, (size_t)m->top[i].intent);
			if (it->kind == RS_COMPLAINT &&
			    (!sure_faq || m->top[i].score >= COMPLAINT_NEAR * m->top[0].score))
				return threat_free_category(ctx, it);
		}
		if (f->legal_threat || f->spread_call || sign || m->decision == MATCH_FALLBACK ||
		    !dialog__chosen(ctx))
			return replyset_intent(ctx->rs, "complaint_general");
	}
	return NULL;
}

/* The customer is answering (or not) the interview's question. */
static int continue_interview(struct handler_ctx *ctx, cJSON *iv)
{
	const struct match_result *m = ctx->match;
	/* Asking for a person ends the interview: the operator handler takes it and the
	 * pipeline creates the case with what there is. */
	if (m->flags.operator_request || (dialog__chosen(ctx) &&
					  dialog__chosen(ctx)->kind == RS_OPERATOR))
		return HANDLER_DECLINED;
	const char *asked = json_str(iv, "asked");
	char *was = asked ? xstrdup(asked) : NULL;
	absorb(ctx, iv, was);
	merge_flags(iv, &m->flags);
	int answered = !was || json_str(iv, was) != NULL;
	if (answered) {
		free(was);
		dialog__set_route(ctx, "complaint", json_str(iv, "intent"));
		advance(ctx, iv);
		return HANDLER_HANDLED;
	}
	int tries = (int)json_int(iv, "tries", 0) + 1;
	int max_tries = replyset_settings(ctx->rs)->interview_max_tries;
	const struct replyset_intent *other = dialog__chosen(ctx);
	if (tries >= (max_tries > 0 ? max_tries : 2)) {
		/* Not trapped: skip this question and carry on with what there is. */
		cJSON *skipped = cJSON_GetObjectItemCaseSensitive(iv, "skipped");
		if (!skipped)
			skipped = cJSON_AddArrayToObject(iv, "skipped");
		cJSON_AddItemToArray(skipped, cJSON_CreateString(was));
		free(was);
		if (other && other->kind != RS_COMPLAINT) {
			/* Answer the other question first; the interview goes on after it. */
			ctx->out->interview_after = 1;
			return HANDLER_DECLINED;
		}
		dialog__template(ctx, "interview_skip", NULL);
		dialog__set_route(ctx, "complaint", json_str(iv, "intent"));
		advance(ctx, iv);
		return HANDLER_HANDLED;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(iv, "tries");
	cJSON_AddNumberToObject(iv, "tries", tries);
	if (other && other->kind != RS_COMPLAINT) {
		/* Something else entirely: the other handlers answer, then we ask again. */
		free(was);
		ctx->out->interview_after = 1;
		return HANDLER_DECLINED;
	}
	dialog__set_route(ctx, "complaint", json_str(iv, "intent"));
	if (strcmp(was, "phone") == 0 && ctx->match->text.ent.phone[0] == '\0' &&
	    strpbrk(ctx->msg->text ? ctx->msg->text : "", "0123456789"))
		dialog__template(ctx, "phone_invalid", NULL);
	else
		ask(ctx, iv, was, tries);
	free(was);
	return HANDLER_HANDLED;
}

/* How long an answered problem makes the next complaint a repeat contact. */
#define REPEAT_WINDOW_S (24 * 3600)

/* The problem answered first in this conversation within REPEAT_WINDOW_S, or NULL. */
static const cJSON *recent_problem(const struct handler_ctx *ctx)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(ctx->state, "problem");
	if (!cJSON_IsObject(p) || ctx->now - json_int(p, "at", 0) > REPEAT_WINDOW_S)
		return NULL;
	return p;
}

/* "Не помогло", "всё равно не работает": the answer did not solve the problem. */
static int not_helped(const struct handler_ctx *ctx)
{
	static const char *const phrases[] = {"не помогло", "не помогает", "не помогли", "все равно",
					      "так и не", "не получилось", "не получается", "didn't help",
					      "did not help", "still not", NULL};
	for (const char *const *p = phrases; *p; p++)
		if (text_has_phrase(&ctx->match->text, *p))
			return 1;
	return 0;
}

/* Is the message a grievance, to be handed to a person at once: anger about money or
 * the service (swearing, shouting, the "grievance" lexicon: "верните", "за что я
 * плачу", "сколько можно"), a legal threat, a call to spread the word, a request for a
 * person, or a repeat contact (the problem was answered before in this conversation,
 * or the customer says it happens again)? A problem stated plainly is not: it gets
 * the troubleshooting answer first. */
static int grievance(const struct handler_ctx *ctx)
{
	const struct match_flags *f = &ctx->match->flags;
	if (f->obscene || f->shouting || f->legal_threat || f->spread_call || f->operator_request)
		return 1;
	if (replyset_lexicon_hit(ctx->rs, "grievance", &ctx->match->text))
		return 1;
	return recent_problem(ctx) != NULL;
}

/* Answer first: the complaint intent's troubleshooting answer, with a button that
 * opens the case ("Не помогло — передать сотруднику"). The message is kept under
 * "problem" in the state, so the case, if the customer asks for it, starts from it. */
static void answer_first(struct handler_ctx *ctx, const struct replyset_intent *it)
{
	char source[160];
	snprintf(source, sizeof source, "complaint_answer:%s", it->id);
	struct reply *r = dialog__text(ctx, it->answer[ctx->lang], source, NULL);
	const struct replyset_template *b = replyset_template(ctx->rs, "button_not_helped");
	if (!b)
		b = replyset_template(ctx->rs, "button_open_case");
	if (r && b) {
		char *payload = xasprintf(OPEN_PREFIX "%s", it->id);
		reply_add_button(r, 0, b->text[ctx->lang], payload, "callback");
		r->inline_keyboard = 1;
		free(payload);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(ctx->state, "problem");
	cJSON *p = cJSON_AddObjectToObject(ctx->state, "problem");
	set_str(p, "intent", it->id);
	char *text = clip(ctx->msg->text ? ctx->msg->text : "", 1000);
	set_str(p, "text", text);
	free(text);
	cJSON_AddNumberToObject(p, "at", (double)ctx->now);
	absorb(ctx, p, NULL); /* a phone or account given now is kept for the case */
}

static int complaint_handle(struct handler_ctx *ctx)
{
	cJSON *iv = cJSON_GetObjectItemCaseSensitive(ctx->state, "interview");
	if (cJSON_IsObject(iv))
		return continue_interview(ctx, iv);
	const struct replyset_intent *it = detect(ctx);
	const cJSON *prev = recent_problem(ctx);
	/* The same problem again, or a phone or account number given right after the
	 * answer (what a case needs: the customer wants one). */
	if (!it && prev &&
	    (not_helped(ctx) || replyset_lexicon_hit(ctx->rs, "problem", &ctx->match->text) ||
	     ((ctx->out->phone[0] || ctx->out->account[0]) && !dialog__chosen(ctx))))
		it = replyset_intent(ctx->rs, json_str(prev, "intent"));
	if (!it)
		return HANDLER_DECLINED;
	dialog__set_route(ctx, "complaint", it->id);
	free(ctx->out->complaint_intent);
	ctx->out->complaint_intent = xstrdup(it->id);
	const char *open_case = json_str(ctx->state, "open_case");
	if (open_case) {
		/* Same problem again while a case is open: it joins that case. */
		struct tpl_vars v = {.case_id = open_case};
		dialog__template(ctx, "case_appended", &v);
		return HANDLER_HANDLED;
	}
	int pressed = ctx->msg->payload && strncmp(ctx->msg->payload, "complaint:open", 14) == 0;
	if (!pressed && !grievance(ctx) && it->answer[ctx->lang]) {
		answer_first(ctx, it);
		return HANDLER_HANDLED;
	}
	/* The problem answered before ("Не помогло", or the customer writes again): the
	 * case starts from what was said then. */
	cJSON *before = cJSON_DetachItemFromObjectCaseSensitive(ctx->state, "problem");
	const char *first = json_str(before, "text");
	iv = cJSON_AddObjectToObject(ctx->state, "interview");
	set_str(iv, "intent", it->id);
	char *summary = clip(first ? first : ctx->msg->text ? ctx->msg->text : "", 1000);
	set_str(iv, "summary", summary);
	if (first && !pressed && ctx->msg->text && *ctx->msg->text) {
		/* Both messages tell the story. */
		char *both = xasprintf("%s\n%s", first, ctx->msg->text);
		char *d = clip(both, 1000);
		set_str(iv, "description", d);
		free(d);
		free(both);
	} else if (words_in(&ctx->match->text) >= 6 || (first && pressed)) {
		set_str(iv, "description", summary); /* the first message said what happened */
	}
	free(summary);
	cJSON_AddNumberToObject(iv, "started", (double)ctx->now);
	merge_flags(iv, &ctx->match->flags);
	if (before) {
		/* A phone or account given with the first message. */
		const char *ph = json_str(before, "phone"), *acc = json_str(before, "account");
		if (ph)
			set_str(iv, "phone", ph);
		if (acc)
			set_str(iv, "account", acc);
	}
	cJSON_Delete(before);
	absorb(ctx, iv, NULL);
	dialog__template(ctx, "complaint_ack", NULL);
	advance(ctx, iv);
	return HANDLER_HANDLED;
}

/* After another handler answered a question asked mid-interview: carry on with it. */
static void complaint_after(struct handler_ctx *ctx)
{
	cJSON *iv = cJSON_GetObjectItemCaseSensitive(ctx->state, "interview");
	if (ctx->out->interview_after && cJSON_IsObject(iv) && !ctx->out->wants_human)
		advance(ctx, iv);
}

const struct handler handler_complaint = {
	.name = "complaint",
	.handle = complaint_handle,
	.after = complaint_after,
};
