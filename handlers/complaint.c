/* Complaints: recognises one, acknowledges it with an approved text, and runs the short
 * interview that collects what the case still lacks, one thing at a time (phone,
 * account, location, description). When nothing is missing, or the customer would not
 * answer after settings.interview_max_tries tries, it asks the pipeline to create the
 * case (dialog_result.case_op) and says case_created with {case_id} and {eta} left for
 * the pipeline to fill. A customer who writes about something else mid-interview gets
 * that answered by the other handlers and the question asked again.
 *
 * It keeps in the conversation (bot/convstate.h) the interview (the question asked, its
 * tries, what is collected) and the problem answered first; it reads the open case
 * the pipeline sets there while the chat has one. */
#include "handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channels/caps.h"
#include "xalloc.h"

/* With a problem stated but an FAQ answer the matcher is sure of, a complaint candidate
 * must score at least this share of the top score to win. */
#define COMPLAINT_NEAR 0.8
/* A threat or a call to spread the word is a flag, not a topic: when it pulls the
 * match to the general complaint, a specific complaint scoring at least this share of
 * it is the category (the one the message would have without the threat). */
#define SPECIFIC_NEAR 0.85

/* How close behind the lead small talk may be for a rude message to be a remark about
 * the bot rather than a complaint. */
#define BOT_REMARK_NEAR 0.9
/* Payload of the "Не помогло — передать сотруднику" button: this prefix and the
 * complaint intent's id. */
#define OPEN_PREFIX "complaint:open:"

/* The question for each need, in enum convstate_field order. */
static const char *const ask_templates[CONVSTATE_N_NEEDS] = {"ask_phone", "ask_account",
							     "ask_location", "ask_description"};

static size_t words_in(const struct text_analysis *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_tokens; i++)
		n += a->tokens[i].kind == TEXT_WORD;
	return n;
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

/* Takes from this message whatever the interview can use, whether asked or not (asked:
 * the need asked for, or -1). */
static void absorb(struct handler_ctx *ctx, int asked)
{
	struct convstate *cs = ctx->state;
	const struct dialog_result *o = ctx->out;
	if (o->phone[0] && !convstate_interview_get(cs, CONVSTATE_PHONE))
		convstate_interview_set(cs, CONVSTATE_PHONE, o->phone);
	if (o->account[0] && !convstate_interview_get(cs, CONVSTATE_ACCOUNT))
		convstate_interview_set(cs, CONVSTATE_ACCOUNT, o->account);
	if (asked < 0)
		return;
	const struct text_analysis *a = &ctx->match->text;
	const char *text = ctx->msg->text ? ctx->msg->text : "";
	char *v = NULL;
	if (asked == CONVSTATE_ACCOUNT && !convstate_interview_get(cs, CONVSTATE_ACCOUNT)) {
		/* A bare number is the answer to "your account number?". */
		size_t digits = 0;
		for (const char *p = text; *p; p++)
			digits += *p >= '0' && *p <= '9';
		if (digits >= 5 && words_in(a) <= 3)
			v = clip(text, 31);
	} else if (asked == CONVSTATE_LOCATION && words_in(a) >= 1) {
		v = clip(text, 200);
	} else if (asked == CONVSTATE_DESCRIPTION && words_in(a) >= 3) {
		v = clip(text, 1000);
	}
	if (v && !convstate_interview_get(cs, (enum convstate_field)asked))
		convstate_interview_set(cs, (enum convstate_field)asked, v);
	free(v);
}

/* The next need the case lacks, or -1 when it has all (or the rest was skipped). */
static int next_missing(const struct handler_ctx *ctx)
{
	const struct convstate *cs = ctx->state;
	const struct replyset_intent *it =
		replyset_intent(ctx->rs, convstate_interview_get(cs, CONVSTATE_INTENT));
	unsigned needs = it ? it->needs : RS_NEED_PHONE | RS_NEED_DESCRIPTION;
	for (int k = 0; k < CONVSTATE_N_NEEDS; k++) {
		enum convstate_field f = (enum convstate_field)k;
		if ((needs & (1u << k)) && !convstate_interview_get(cs, f) &&
		    !convstate_interview_skipped(cs, f))
			return k;
	}
	return -1;
}

/* Asks for one need; the phone question offers Telegram's share-contact button. */
static void ask(struct handler_ctx *ctx, enum convstate_field what, int tries)
{
	int k = what < CONVSTATE_N_NEEDS ? (int)what : CONVSTATE_DESCRIPTION;
	struct reply *r = handler_template(ctx, ask_templates[k], NULL);
	/* Only Telegram has a button that shares the customer's number. */
	if (r && what == CONVSTATE_PHONE && ctx->msg->caps && ctx->msg->caps->contact_button) {
		const struct replyset_template *b = replyset_template(ctx->rs, "button_share_phone");
		if (b)
			reply_add_button(r, 0, b->text[ctx->lang], "contact", "contact");
	}
	convstate_interview_ask(ctx->state, what, tries);
}

/* Hands the collected interview to the pipeline and says case_created. */
static void finish(struct handler_ctx *ctx)
{
	ctx->out->case_op = DIALOG_CASE_CREATE;
	ctx->out->case_data = convstate_interview_take(ctx->state);
	struct tpl_vars v = {.case_id = "{case_id}", .eta = "{eta}", .work_start = "{work_start}"};
	handler_template(ctx, "case_created", &v);
}

/* Asks for the next missing thing (keeping the count of tries when it is the same
 * question again), or finishes. */
static void advance(struct handler_ctx *ctx)
{
	int next = next_missing(ctx);
	if (next < 0) {
		finish(ctx);
		return;
	}
	const struct convstate *cs = ctx->state;
	int tries = convstate_interview_asked(cs) == next ? convstate_interview_tries(cs) : 0;
	ask(ctx, (enum convstate_field)next, tries);
}

static void merge_flags(struct convstate *cs, const struct match_flags *f)
{
	unsigned bits = (f->obscene ? CONVSTATE_OBSCENE : 0) |
			(f->legal_threat ? CONVSTATE_LEGAL_THREAT : 0) |
			(f->spread_call ? CONVSTATE_SPREAD_CALL : 0) | (f->shouting ? CONVSTATE_SHOUTING : 0);
	convstate_interview_add_flags(cs, bits);
}

static int grievance(const struct handler_ctx *ctx);

/* The text of the message without its clauses (cut at punctuation) that carry a legal
 * threat or a call to spread the word, or NULL when every clause does or none does.
 * Caller frees. */
static char *without_threat(const struct handler_ctx *ctx)
{
	const struct text_analysis *a = &ctx->match->text;
	struct buf kept = {0};
	int dropped = 0;
	size_t from = 0;
	for (size_t i = 0; i <= a->n_tokens; i++) {
		if (i < a->n_tokens && a->tokens[i].kind != TEXT_PUNCT)
			continue;
		if (i > from) {
			struct buf clause = {0};
			for (size_t k = from; k < i; k++) {
				if (k > from)
					buf_puts(&clause, " ");
				buf_append(&clause, a->tokens[k].text, a->tokens[k].len);
			}
			struct match_result cm;
			match_repaired(ctx->rs, clause.data, clause.len, &cm);
			if (cm.flags.legal_threat || cm.flags.spread_call) {
				dropped = 1;
			} else {
				if (kept.len)
					buf_puts(&kept, " ");
				buf_append(&kept, clause.data, clause.len);
			}
			match_result_free(&cm);
			buf_free(&clause);
		}
		from = i + 1;
	}
	if (!dropped || !kept.len) {
		buf_free(&kept);
		return NULL;
	}
	return buf_steal(&kept);
}

/* A threat or a call to spread the word is a flag, never the category: the category is
 * the one the message has without them (the clauses that carry them left out), and,
 * when the rest names no complaint, the general complaint gives way to a specific one
 * close behind it (see SPECIFIC_NEAR). */
static const struct replyset_intent *threat_free_category(const struct handler_ctx *ctx,
							   const struct replyset_intent *it)
{
	const struct match_result *m = ctx->match;
	if (!it || !(m->flags.legal_threat || m->flags.spread_call))
		return it;
	char *rest = without_threat(ctx);
	if (rest) {
		struct match_result rm;
		match_repaired(ctx->rs, rest, strlen(rest), &rm);
		free(rest);
		const struct replyset_intent *found = NULL;
		double floor = replyset_settings(ctx->rs)->clarify;
		for (size_t i = 0; i < rm.n_top && i < 3 && !found; i++) {
			const struct replyset_intent *o = replyset_intent_at(ctx->rs, (size_t)rm.top[i].intent);
			if (o->kind == RS_COMPLAINT && rm.top[i].score >= floor)
				found = o;
		}
		match_result_free(&rm);
		if (found)
			return found;
	}
	if (strcmp(it->id, "complaint_general") != 0)
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
		   (f->shouting && match_lexicon(ctx->rs, m, "problem"));
	double floor = replyset_settings(ctx->rs)->clarify;
	/* A remark about the bot itself ("бот тупой, бля"): it names the bot (lexicon
	 * about_bot) or small talk is at or near the lead, and no problem or grievance is
	 * stated ("бот бесполезный, верните деньги" is one), so it is no complaint however
	 * rude it is. */
	if (!f->legal_threat && !f->spread_call && !match_lexicon(ctx->rs, m, "problem") &&
	    !match_lexicon(ctx->rs, m, "grievance")) {
		if (match_lexicon(ctx->rs, m, "about_bot"))
			return NULL;
		for (size_t i = 0; i < m->n_top && i < 2; i++)
			if (replyset_intent_at(ctx->rs, (size_t)m->top[i].intent)->kind == RS_SMALLTALK &&
			    m->top[i].score >= BOT_REMARK_NEAR * m->top[0].score)
				return NULL;
	}
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
			return threat_free_category(ctx, it);
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
	int problem = match_lexicon(ctx->rs, m, "problem");
	if (problem || f->legal_threat || f->spread_call) {
		/* A threat makes any complaint candidate count; a problem alone keeps an FAQ
		 * answer the matcher is sure of ("почему не приходят смс") unless a complaint
		 * comes close to it. */
		int sure_faq = handler_chosen(ctx) != NULL && !f->legal_threat && !f->spread_call;
		/* Answer first: a problem stated plainly that an FAQ answers for sure gets
		 * that answer (with the button that opens a case, see dialog.c), not a case. */
		if (sure_faq && handler_chosen(ctx)->kind == RS_FAQ && !grievance(ctx))
			return NULL;
		for (size_t i = 0; i < m->n_top && i < (sure_faq ? 3u : MATCH_TOP); i++) {
			const struct replyset_intent *it =
				replyset_intent_at(ctx->rs, (size_t)m->top[i].intent);
			if (it->kind == RS_COMPLAINT &&
			    (!sure_faq || m->top[i].score >= COMPLAINT_NEAR * m->top[0].score))
				return threat_free_category(ctx, it);
		}
		if (f->legal_threat || f->spread_call || sign || m->decision == MATCH_FALLBACK ||
		    !handler_chosen(ctx))
			return threat_free_category(ctx, replyset_intent(ctx->rs, "complaint_general"));
	}
	/* Anger with no question the matcher is sure of ("каждый месяц дорожает, а
	 * качество хуже, надоело", "сколько можно издеваться"): a grievance, so a case,
	 * filed under the complaint the matcher leans to, or the general one. */
	if (m->decision != MATCH_ANSWER && match_lexicon(ctx->rs, m, "grievance") &&
	    (f->obscene || m->decision == MATCH_FALLBACK)) {
		for (size_t i = 0; i < m->n_top && i < 3; i++) {
			const struct replyset_intent *it = replyset_intent_at(ctx->rs, (size_t)m->top[i].intent);
			if (it->kind == RS_COMPLAINT)
				return threat_free_category(ctx, it);
		}
		return threat_free_category(ctx, replyset_intent(ctx->rs, "complaint_general"));
	}
	return NULL;
}

/* The customer is answering (or not) the interview's question. */
static int continue_interview(struct handler_ctx *ctx)
{
	struct convstate *cs = ctx->state;
	const struct match_result *m = ctx->match;
	/* Asking for a person ends the interview: the operator handler takes it and the
	 * pipeline creates the case with what there is. */
	if (m->flags.operator_request || (handler_chosen(ctx) &&
					  handler_chosen(ctx)->kind == RS_OPERATOR))
		return HANDLER_DECLINED;
	int was = convstate_interview_asked(cs);
	absorb(ctx, was);
	merge_flags(cs, &m->flags);
	int answered = was < 0 || convstate_interview_get(cs, (enum convstate_field)was) != NULL;
	if (!answered && match_lexicon(ctx->rs, m, "refusal")) {
		/* "Отстаньте", "не скажу": no more questions. Everything still missing is
		 * skipped, and saying the case goes "as is" is then true. */
		for (int next; (next = next_missing(ctx)) >= 0;)
			convstate_interview_skip(cs, (enum convstate_field)next);
		handler_set_route(ctx, "complaint", convstate_interview_get(cs, CONVSTATE_INTENT));
		handler_template(ctx, "interview_skip", NULL);
		finish(ctx);
		return HANDLER_HANDLED;
	}
	if (!answered && match_lexicon(ctx->rs, m, "dont_know")) {
		/* "Не знаю", "нет договора": this question cannot be answered; the next. */
		convstate_interview_skip(cs, (enum convstate_field)was);
		handler_set_route(ctx, "complaint", convstate_interview_get(cs, CONVSTATE_INTENT));
		if (next_missing(ctx) < 0)
			handler_template(ctx, "interview_skip", NULL);
		advance(ctx);
		return HANDLER_HANDLED;
	}
	if (answered) {
		handler_set_route(ctx, "complaint", convstate_interview_get(cs, CONVSTATE_INTENT));
		advance(ctx);
		return HANDLER_HANDLED;
	}
	int tries = convstate_interview_tries(cs) + 1;
	int max_tries = replyset_settings(ctx->rs)->interview_max_tries;
	const struct replyset_intent *other = handler_chosen(ctx);
	if (tries >= (max_tries > 0 ? max_tries : 2)) {
		/* Not trapped: skip this question and carry on with what there is. */
		convstate_interview_skip(cs, (enum convstate_field)was);
		if (other && other->kind != RS_COMPLAINT) {
			/* Answer the other question first; the interview goes on after it. */
			ctx->out->interview_after = 1;
			return HANDLER_DECLINED;
		}
		/* "As is" only when nothing more will be asked: saying it and then asking the
		 * next question would contradict ourselves. */
		if (next_missing(ctx) < 0)
			handler_template(ctx, "interview_skip", NULL);
		handler_set_route(ctx, "complaint", convstate_interview_get(cs, CONVSTATE_INTENT));
		advance(ctx);
		return HANDLER_HANDLED;
	}
	convstate_interview_ask(cs, (enum convstate_field)was, tries);
	if (other && other->kind != RS_COMPLAINT) {
		/* Something else entirely: the other handlers answer, then we ask again. */
		ctx->out->interview_after = 1;
		return HANDLER_DECLINED;
	}
	handler_set_route(ctx, "complaint", convstate_interview_get(cs, CONVSTATE_INTENT));
	if (was == CONVSTATE_PHONE && ctx->match->text.ent.phone[0] == '\0' &&
	    strpbrk(ctx->msg->text ? ctx->msg->text : "", "0123456789"))
		handler_template(ctx, "phone_invalid", NULL);
	else
		ask(ctx, (enum convstate_field)was, tries);
	return HANDLER_HANDLED;
}

/* How long an answered problem makes the next complaint a repeat contact. */
#define REPEAT_WINDOW_S (24 * 3600)

/* 1 and *p filled when a problem was answered first in this conversation within
 * REPEAT_WINDOW_S. */
static int recent_problem(const struct handler_ctx *ctx, struct convstate_problem *p)
{
	return convstate_problem(ctx->state, p) && ctx->now - p->at <= REPEAT_WINDOW_S;
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
 * the service (swearing, shouting or "!!!", the "grievance" lexicon: "верните", "за что я
 * плачу", "сколько можно"), a legal threat, a call to spread the word, a request for a
 * person, or a repeat contact (the problem was answered before in this conversation,
 * or the customer says it happens again)? A problem stated plainly is not: it gets
 * the troubleshooting answer first. */
static int grievance(const struct handler_ctx *ctx)
{
	const struct match_flags *f = &ctx->match->flags;
	if (f->obscene || f->shouting || ctx->match->text.n_exclaim >= 3 || f->legal_threat || f->spread_call ||
	    f->operator_request)
		return 1;
	if (match_lexicon(ctx->rs, ctx->match, "grievance"))
		return 1;
	struct convstate_problem p;
	return recent_problem(ctx, &p);
}

/* Answer first: the complaint intent's troubleshooting answer, with a button that
 * opens the case ("Не помогло — передать сотруднику"). The message is kept under
 * "problem" in the state, so the case, if the customer asks for it, starts from it. */
static void answer_first(struct handler_ctx *ctx, const struct replyset_intent *it)
{
	char source[160];
	snprintf(source, sizeof source, "complaint_answer:%s", it->id);
	struct reply *r = handler_text(ctx, it->answer[ctx->lang], source, NULL);
	const struct replyset_template *b = replyset_template(ctx->rs, "button_not_helped");
	if (!b)
		b = replyset_template(ctx->rs, "button_open_case");
	if (r && b) {
		char *payload = xasprintf(OPEN_PREFIX "%s", it->id);
		reply_add_button(r, 0, b->text[ctx->lang], payload, "callback");
		r->inline_keyboard = 1;
		free(payload);
	}
	char *text = clip(ctx->msg->text ? ctx->msg->text : "", 1000);
	/* A phone or account given now is kept for the case. */
	struct convstate_problem p = {
		.intent = it->id,
		.text = text,
		.phone = ctx->out->phone[0] ? ctx->out->phone : NULL,
		.account = ctx->out->account[0] ? ctx->out->account : NULL,
		.at = ctx->now,
	};
	convstate_set_problem(ctx->state, &p);
	free(text);
}

/* With a case open, is this message more of it (an address, a number, "могу прислать
 * скриншот спидтеста") rather than a question of its own? It is when nothing else
 * answers it for sure, or when it offers a detail and asks nothing. The pipeline adds
 * every message to the open case; this decides only that the reply says so. */
static int joins_open_case(const struct handler_ctx *ctx)
{
	const struct match_result *m = ctx->match;
	if (ctx->msg->payload || m->flags.operator_request || m->text.n_tokens == 0)
		return 0;
	const struct replyset_intent *it = handler_chosen(ctx);
	int question = 0;
	for (size_t i = 0; i < m->text.n_tokens; i++)
		question |= m->text.tokens[i].kind == TEXT_PUNCT && strcmp(m->text.tokens[i].text, "?") == 0;
	int detail = match_lexicon(ctx->rs, m, "case_detail") || ctx->out->phone[0] ||
		     ctx->out->account[0];
	/* Unsure between topics, a question still gets its clarify buttons. */
	if (!it)
		return m->decision == MATCH_FALLBACK || (detail && !question);
	if (it->kind == RS_COMPLAINT)
		return 0; /* the complaint path below says "added" too, with its category */
	if (it->kind == RS_SMALLTALK || it->kind == RS_OPERATOR)
		return 0;
	return detail && !question;
}

static int complaint_handle(struct handler_ctx *ctx)
{
	struct convstate *cs = ctx->state;
	if (convstate_in_interview(cs))
		return continue_interview(ctx);
	const char *open_number = convstate_open_case(cs);
	if (open_number && joins_open_case(ctx)) {
		struct tpl_vars v = {.case_id = open_number};
		if (handler_template(ctx, "case_appended", &v)) {
			handler_set_route(ctx, "complaint", NULL);
			return HANDLER_HANDLED;
		}
	}
	const struct replyset_intent *it = detect(ctx);
	struct convstate_problem prev;
	/* The same problem again, or a phone or account number given right after the
	 * answer (what a case needs: the customer wants one). */
	if (!it && recent_problem(ctx, &prev) &&
	    (not_helped(ctx) || match_lexicon(ctx->rs, ctx->match, "problem") ||
	     ((ctx->out->phone[0] || ctx->out->account[0]) && !handler_chosen(ctx))))
		it = replyset_intent(ctx->rs, prev.intent);
	if (!it)
		return HANDLER_DECLINED;
	handler_set_route(ctx, "complaint", it->id);
	free(ctx->out->complaint_intent);
	ctx->out->complaint_intent = xstrdup(it->id);
	const char *open_case = convstate_open_case(cs);
	if (open_case) {
		/* Same problem again while a case is open: it joins that case. */
		struct tpl_vars v = {.case_id = open_case};
		handler_template(ctx, "case_appended", &v);
		return HANDLER_HANDLED;
	}
	int pressed = ctx->msg->payload && strncmp(ctx->msg->payload, "complaint:open", 14) == 0;
	if (!pressed && !grievance(ctx) && it->answer[ctx->lang]) {
		answer_first(ctx, it);
		return HANDLER_HANDLED;
	}
	/* The problem answered before ("Не помогло", or the customer writes again): the
	 * case starts from what was said then. */
	struct convstate_problem before;
	int had_problem = convstate_problem(cs, &before);
	const char *first = before.text;
	convstate_interview_start(cs, it->id, ctx->now);
	char *summary = clip(first ? first : ctx->msg->text ? ctx->msg->text : "", 1000);
	convstate_interview_set(cs, CONVSTATE_SUMMARY, summary);
	if (first && !pressed && ctx->msg->text && *ctx->msg->text) {
		/* Both messages tell the story. */
		char *both = xasprintf("%s\n%s", first, ctx->msg->text);
		char *d = clip(both, 1000);
		convstate_interview_set(cs, CONVSTATE_DESCRIPTION, d);
		free(d);
		free(both);
	} else if (words_in(&ctx->match->text) >= 6 || (first && pressed)) {
		/* The first message said what happened. */
		convstate_interview_set(cs, CONVSTATE_DESCRIPTION, summary);
	}
	free(summary);
	merge_flags(cs, &ctx->match->flags);
	if (had_problem) {
		/* A phone or account given with the first message. */
		if (before.phone)
			convstate_interview_set(cs, CONVSTATE_PHONE, before.phone);
		if (before.account)
			convstate_interview_set(cs, CONVSTATE_ACCOUNT, before.account);
	}
	/* Its strings were borrowed until here. */
	convstate_drop_problem(cs);
	absorb(ctx, -1);
	handler_template(ctx, "complaint_ack", NULL);
	advance(ctx);
	return HANDLER_HANDLED;
}

/* After another handler answered a question asked mid-interview: carry on with it. */
static void complaint_after(struct handler_ctx *ctx)
{
	if (ctx->out->interview_after && convstate_in_interview(ctx->state) && !ctx->out->wants_human)
		advance(ctx);
}

const struct handler handler_complaint = {
	.name = "complaint",
	.handle = complaint_handle,
	.after = complaint_after,
};
