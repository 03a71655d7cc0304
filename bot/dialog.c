/* The conversation step (see dialog.h): chooses the reply language, reads button
 * payloads, matches the text, then lets the handlers of the table below answer, the
 * first one that accepts wins and fallback is last.
 *
 * The conversation it keeps (bot/convstate.h): the language of the last message with
 * letters and whether the bot has answered yet; the handlers keep their own parts
 * (the interview, the tariff question). */
#include "dialog.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "convstate.h"
#include "handlers/handler.h"
#include "matcher.h"
#include "replyset.h"
#include "text.h"
#include "xalloc.h"

/* Tried in this order; fallback always handles. The idea handler is first: the answer
 * to its question ("what do you suggest?") may read as anything. */
static const struct handler *const handler_table[] = {
	&handler_idea,  &handler_complaint, &handler_operator, &handler_tariff,
	&handler_smalltalk, &handler_faq,   &handler_fallback,
};

/* ------------------------------------------------------------------ language */

static int choose_lang(const struct chan_msg *msg, const struct text_analysis *a,
		       struct convstate *state)
{
	const char *code = NULL;
	if (a && a->lang)
		code = a->lang;
	if (!code)
		code = convstate_lang(state);
	if (!code && msg->lang)
		code = strncmp(msg->lang, "en", 2) == 0 ? "en" : "ru";
	int lang = replyset_lang(code);
	convstate_set_lang(state, replyset_lang_code(lang));
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
	/* A problem an FAQ answers ("не приходят смс"): answered first, and the complaint
	 * behind it one press away ("Не помогло — передать сотруднику"). */
	const struct match_result *m = ctx->match;
	if (match_lexicon(ctx->rs, m, "problem")) {
		const struct replyset_template *nh = replyset_template(ctx->rs, "button_not_helped");
		for (size_t i = 0; nh && i < m->n_top; i++) {
			const struct replyset_intent *it = replyset_intent_at(ctx->rs, (size_t)m->top[i].intent);
			if (it->kind != RS_COMPLAINT)
				continue;
			struct reply *r = &ctx->out->replies.items[ctx->out->replies.n - 1];
			int row = r->n_buttons ? r->row_of[r->n_buttons - 1] + 1 : 0;
			char *payload = xasprintf("complaint:open:%s", it->id);
			reply_add_button(r, row, nh->text[ctx->lang], payload, "callback");
			r->inline_keyboard = 1;
			free(payload);
			return;
		}
	}
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

/* ------------------------------------------------------------------ several requests */

/* A message may ask several things ("какой у меня тариф и сколько бонусов?", "Потерял
 * телефон. Как заблокировать номер и восстановить симку?"). It is cut into parts at
 * sentence ends and at "и", "а", "and" or a comma that start a new request; every
 * part that reads as a request (a question mark, or a question or request word) is
 * matched on its own, and each FAQ or small-talk intent a part is answered with
 * confidently joins the replies, in the customer's order. The message as a whole
 * still decides the first handler (a complaint, a tariff, a person), so a request
 * only splits the answer when nothing else must come last. */
#define MAX_PARTS 8
/* A part's top this far below the answer threshold, leading by PART_LEAD, counts. */
#define PART_BELOW 0.15
#define PART_LEAD 0.05

struct part {
	size_t from, to; /* token range */
};

static int tok_in(const struct text_token *t, const char *const *words)
{
	for (const char *const *w = words; *w; w++)
		if (strcmp(t->text, *w) == 0)
			return 1;
	return 0;
}

/* Words that start or mark a request. */
static const char *const request_words[] = {
	"можно", "как", "где", "сколько", "какой", "какая", "какие", "каком", "какую", "что", "если", "еще",
	"потом", "заодно", "скажите", "подскажите", "скажи", "подскажи", "пришлите", "верните", "вернут",
	"будет", "есть", "ли", "когда", "почему", "куда", "кто", "хочу", "нужно", "нужна", "нужен",
	"подключите", "отключите", "помогите", "посоветуйте", "подберите", "проверьте", "объясните",
	"расскажите", "заблокируйте", "разблокируйте", "переведите", "how", "what", "where", "can",
	"could", "which", "why", "when", "do", "is", "will", "also", "please", "tell", "help", NULL};

/* Words a clause needs on each side of "и" to be a request of its own. */
#define CLAUSE_WORDS 3
/* ... in a message shorter than this (a long one is answered on its request). */
#define CLAUSE_SPLIT_MAX_WORDS 20

static size_t words_between(const struct text_analysis *a, size_t from, size_t to)
{
	size_t n = 0;
	for (size_t i = from; i < to && i < a->n_tokens; i++)
		n += a->tokens[i].kind == TEXT_WORD;
	return n;
}

/* Where the clause starting at from ends: the next sentence end, join or the end. */
static size_t clause_end(const struct text_analysis *a, size_t from)
{
	static const char *const stops[] = {"?", "!", ".", ";", "…", ",", "и", "а", "and", NULL};
	size_t i = from;
	while (i < a->n_tokens && !tok_in(&a->tokens[i], stops))
		i++;
	return i;
}

static size_t split_parts(const struct text_analysis *a, struct part *parts, size_t max)
{
	static const char *const joins[] = {"и", "а", "and", ",", "плюс", "также", NULL};
	static const char *const ends[] = {"?", "!", ".", ";", "…", NULL};
	static const char *const prepositions[] = {"в", "на", "с", "со", "до", "за", "у", "по", "из", "от",
						   "in", "on", "at", "to", "for", "from", NULL};
	size_t n = 0, start = 0;
	/* A long message's clauses are mostly its story: only its questions split it. */
	int short_text = words_between(a, 0, a->n_tokens) < CLAUSE_SPLIT_MAX_WORDS;
	for (size_t i = 0; i < a->n_tokens && n + 1 < max; i++) {
		const struct text_token *t = &a->tokens[i];
		size_t cut = SIZE_MAX; /* the next part starts here */
		if (t->kind == TEXT_PUNCT && tok_in(t, ends)) {
			/* "0.5 мбит" is one number, not two sentences. */
			int inner = i + 1 < a->n_tokens && !a->tokens[i + 1].space_before &&
				    a->tokens[i + 1].kind == TEXT_NUMBER;
			if (!inner)
				cut = i + 1;
		} else if (i > start && i + 1 < a->n_tokens && tok_in(t, joins) &&
			   (tok_in(&a->tokens[i + 1], request_words) ||
			    (i + 2 < a->n_tokens && tok_in(&a->tokens[i + 1], prepositions) &&
			     tok_in(&a->tokens[i + 2], request_words)) ||
			    (short_text && words_between(a, start, i) >= CLAUSE_WORDS &&
			     words_between(a, i + 1, clause_end(a, i + 1)) >= CLAUSE_WORDS))) {
			/* "... и как ...", "... и в каком офисе ...", and two clauses of
			 * their own ("нужен счёт за май и детализация за этот же период") */
			cut = i;
		}
		if (cut == SIZE_MAX)
			continue;
		if (cut > start) {
			parts[n].from = start;
			parts[n].to = cut;
			n++;
		}
		start = cut;
	}
	if (start < a->n_tokens)
		parts[n++] = (struct part){start, a->n_tokens};
	return n;
}

/* Does the part read as a request (not a preamble: "я работаю курьером")? */
static int part_is_request(const struct text_analysis *a, const struct part *p)
{
	size_t words = 0;
	int request = 0;
	for (size_t i = p->from; i < p->to; i++) {
		const struct text_token *t = &a->tokens[i];
		words += t->kind == TEXT_WORD;
		request |= tok_in(t, request_words) || (t->kind == TEXT_PUNCT && strcmp(t->text, "?") == 0);
	}
	return request && words >= 2;
}

/* Does the part name something of its own? "что делать", "как это сделать", "сколько
 * стоит", "how to get it" follow the request before them: matched alone they read as
 * small talk ("как дела") or the price of the plan, answers nobody asked for. */
static int part_has_topic(const struct text_analysis *a, const struct part *p)
{
	static const char *const generic[] = {
		"дела", "сдела", "быть", "будет", "буду", "стоит", "стоить", "стоимост", "цена", "цену", "комисс",
		"нуж", "надо", "мож", "это", "этого", "этим", "для", "теперь", "тогда", "вообще", "там", "тут",
		"так", "его", "ее", "её", "их", "они", "мне", "меня", "вам", "вас", "нам", "сейчас", "еще", "ещё",
		"и", "а", "ли", "же", "то", "или", "пожалуйста", "плиз", "get", "do", "cost", "price", "it",
		"this", "that", "need", "there", "the", "a", "to", "much", "many", "much", "and", "or", "please",
		"i", "you", "me", "be", NULL};
	for (size_t i = p->from; i < p->to; i++) {
		const struct text_token *t = &a->tokens[i];
		if (t->kind != TEXT_WORD || tok_in(t, request_words))
			continue;
		int g = 0;
		for (const char *const *w = generic; *w && !g; w++)
			g = strncmp(t->text, *w, strlen(*w)) == 0 && (strlen(*w) >= 3 || t->len == strlen(*w));
		if (!g)
			return 1;
	}
	return 0;
}

/* The part's words (as repaired) joined by spaces; caller frees. */
static char *part_text(const struct text_analysis *a, const struct part *p)
{
	struct buf b = {0};
	for (size_t i = p->from; i < p->to; i++) {
		if (i > p->from)
			buf_append(&b, " ", 1);
		buf_append(&b, a->tokens[i].text, a->tokens[i].len);
	}
	buf_append(&b, "", 0);
	return buf_steal(&b);
}

/* Adds the answer of an FAQ or small-talk intent (its text and follow-up buttons). */
static void add_answer(struct handler_ctx *ctx, const struct replyset_intent *it)
{
	char source[160];
	snprintf(source, sizeof source, "%s:%s", it->kind == RS_FAQ ? "faq" : "smalltalk", it->id);
	struct reply *r = handler_text(ctx, it->answer[ctx->lang], source, NULL);
	for (size_t i = 0; i < it->n_buttons; i++)
		handler_intent_button(ctx, r, it->buttons[i], (int)i);
}

/* Moves the last k replies of l to its front (their order kept). */
static void rotate_to_front(struct reply_list *l, size_t k)
{
	if (!k || k >= l->n + 1)
		return;
	struct reply *tail = xmalloc(k * sizeof *tail);
	memcpy(tail, l->items + l->n - k, k * sizeof *tail);
	memmove(l->items + k, l->items, (l->n - k) * sizeof *tail);
	memcpy(l->items, tail, k * sizeof *tail);
	free(tail);
}

/* The intents the parts of a message ask for confidently, in order, each once. */
static size_t part_intents(const struct replyset *rs, const struct text_analysis *a,
			   const struct replyset_intent *primary, size_t *primary_at,
			   const struct replyset_intent **found, size_t max)
{
	*primary_at = 0;
	int placed = 0;
	struct part parts[MAX_PARTS];
	size_t np = split_parts(a, parts, MAX_PARTS), n = 0;
	if (np < 2)
		return 0;
	for (size_t i = 0; i < np && n < max; i++) {
		if (!part_is_request(a, &parts[i]) || !part_has_topic(a, &parts[i]))
			continue;
		char *text = part_text(a, &parts[i]);
		struct match_result m;
		match_repaired(rs, text, strlen(text), &m);
		free(text);
		/* A part is short and often holds words of its own ("в субботу"): a clear
		 * lead a little below the answer threshold is confident enough there. */
		double lead = m.n_top ? m.top[0].score - (m.n_top > 1 ? m.top[1].score : 0) : 0;
		int clear = m.n_top && m.top[0].score >= replyset_settings(rs)->answer - PART_BELOW &&
			    lead >= PART_LEAD;
		/* The part the whole message's answer most likely comes from: the first
		 * with it among its candidates. */
		for (size_t k = 0; k < m.n_top && k < 3 && !placed && primary; k++)
			if (replyset_intent_at(rs, (size_t)m.top[k].intent) == primary) {
				*primary_at = n;
				placed = 1;
			}
		if (m.n_top && (m.decision == MATCH_ANSWER || clear)) {
			const struct replyset_intent *it = replyset_intent_at(rs, (size_t)m.top[0].intent);
			int dup = 0;
			for (size_t k = 0; k < n; k++)
				dup |= found[k] == it;
			if (!dup && (it->kind == RS_FAQ || it->kind == RS_SMALLTALK || it->kind == RS_TARIFF) &&
			    (it->kind == RS_TARIFF || it->answer[RS_RU]))
				found[n++] = it;
		}
		match_result_free(&m);
	}
	return n;
}

/* A long message (a story, then the request) is answered on its request: its parts
 * are matched even when only one of them is confident. */
#define LONG_WORDS 20

static int long_message(const struct text_analysis *a)
{
	size_t words = 0;
	for (size_t i = 0; i < a->n_tokens; i++)
		words += a->tokens[i].kind == TEXT_WORD;
	return words >= LONG_WORDS;
}

/* A tariff request often carries a second question in the same clause ("тариф, чтобы
 * звонить в Узбекистан, 10 гб до 500"): the calculator reads the needs, and what is
 * left once the tariff words and numbers are gone is matched on its own. */
static int tariff_word(const struct text_token *t)
{
	static const char *const prefixes[] = {
		"тариф", "минут", "мин", "гб", "гиг", "интернет", "инет", "трафик", "смс", "sms", "рубл", "руб",
		"месяц", "мес", "бюджет", "дешев", "дорог", "выгодн", "подбер", "подобр", "посовет", "подойд",
		"подход", "хватит", "хватал", "нуж", "безлим", "лимит", "пакет", "plan", "tariff", "minut", "gb",
		"gig", "data", "internet", "rub", "budget", "month", "cheap", "unlimit", "need",
		NULL};
	static const char *const words[] = {"р", "м", "г", "до", "какой", "какая", "какие", "какую", "мне",
					    "тоже", "еще", "очень", "много", "мало", "лучше", "который", "where",
					    "which", "what", "good", "best", "for", "me", "my", "is", "a", "the",
					    NULL};
	if (t->kind == TEXT_NUMBER || t->kind == TEXT_PUNCT)
		return 1;
	if (t->kind != TEXT_WORD)
		return 0;
	for (const char *const *w = words; *w; w++)
		if (strcmp(t->text, *w) == 0)
			return 1;
	for (const char *const *pf = prefixes; *pf; pf++)
		if (strncmp(t->text, *pf, strlen(*pf)) == 0)
			return 1;
	return 0;
}

/* The FAQ intent the rest of a tariff request asks for confidently, or NULL. */
static const struct replyset_intent *tariff_residual(const struct replyset *rs, const struct text_analysis *a)
{
	struct buf b = {0};
	size_t words = 0;
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		if (tariff_word(t))
			continue;
		if (b.len)
			buf_append(&b, " ", 1);
		buf_append(&b, t->text, t->len);
		words++;
	}
	buf_append(&b, "", 0);
	const struct replyset_intent *it = NULL;
	if (words >= 2) {
		struct match_result m;
		match_repaired(rs, b.data, strlen(b.data), &m);
		if (m.n_top && m.decision == MATCH_ANSWER) {
			it = replyset_intent_at(rs, (size_t)m.top[0].intent);
			if (it->kind != RS_FAQ || !it->answer[RS_RU])
				it = NULL;
		}
		match_result_free(&m);
	}
	buf_free(&b);
	return it;
}

/* After the handlers: answers the other requests of a message that has several. */
static void answer_parts(struct handler_ctx *ctx)
{
	struct dialog_result *o = ctx->out;
	const char *h = o->handler ? o->handler : "";
	if (ctx->forced >= 0 || ctx->forced_plan || o->case_op || o->wants_human || o->interview_after ||
	    !(strcmp(h, "faq") == 0 || strcmp(h, "smalltalk") == 0 || strcmp(h, "clarify") == 0 ||
	      strcmp(h, "fallback") == 0 || strcmp(h, "tariff") == 0))
		return;
	const struct replyset_intent *found[MAX_PARTS];
	const struct replyset_intent *primary = o->intent ? replyset_intent(ctx->rs, o->intent) : NULL;
	size_t primary_at;
	size_t n = part_intents(ctx->rs, &ctx->match->text, primary, &primary_at, found, MAX_PARTS);
	if (strcmp(h, "tariff") == 0 && n < MAX_PARTS) {
		int faq = 0;
		for (size_t i = 0; i < n; i++)
			faq |= found[i]->kind == RS_FAQ;
		const struct replyset_intent *rest = faq ? NULL : tariff_residual(ctx->rs, &ctx->match->text);
		if (rest)
			found[n++] = rest;
	}
	if (n == 0)
		return;
	size_t at = n; /* where the primary answer stands among the parts */
	for (size_t i = 0; i < n; i++)
		if (found[i] == primary)
			at = i;
	int answered = strcmp(h, "faq") == 0 || strcmp(h, "smalltalk") == 0 || strcmp(h, "tariff") == 0;
	if (!answered || (at == n && n >= 2 && strcmp(h, "tariff") != 0)) {
		/* The whole was unclear (or read as something no part asks): the parts'
		 * answers replace it. */
		/* One confident part is the answer only in a long message (the request
		 * after a preamble); in a short one the whole is the better judge. */
		if (n < 2 && !answered && !long_message(&ctx->match->text))
			return;
		for (size_t i = 0; i < n; i++)
			if (found[i]->kind == RS_TARIFF)
				return; /* a tariff needs its handler: keep the whole */
		reply_list_free(&o->replies);
		memset(&o->replies, 0, sizeof o->replies);
		handler_set_route(ctx, found[0]->kind == RS_FAQ ? "faq" : "smalltalk", found[0]->id);
		for (size_t i = 0; i < n; i++) {
			add_answer(ctx, found[i]);
			answered_add(o, found[i]->id);
		}
		return;
	}
	/* The primary answer stays; the parts before it go first, the rest after. When
	 * no part is answered with it, it stands where its part is. */
	size_t split = at == n ? primary_at : at, after = at == n ? primary_at : at + 1;
	size_t before = 0;
	for (size_t i = 0; i < split; i++)
		if (found[i]->kind != RS_TARIFF) {
			add_answer(ctx, found[i]);
			answered_add(o, found[i]->id);
			before++;
		}
	rotate_to_front(&o->replies, before);
	answered_add(o, o->intent);
	if (before && strcmp(h, "tariff") != 0) {
		/* The first answer is the first request's: that is what the message is
		 * routed as (its other answers are in o->answered). */
		const struct replyset_intent *first = found[0];
		handler_set_route(ctx, first->kind == RS_FAQ ? "faq" : "smalltalk", first->id);
	}
	for (size_t i = after; i < n; i++)
		if (found[i]->kind != RS_TARIFF) {
			add_answer(ctx, found[i]);
			answered_add(o, found[i]->id);
		}
}

/* ------------------------------------------------------------------ dialog_handle */

/* Reads a button payload: "intent:ID" (an intent, answered directly), "plan:ID" (a
 * tariff described), "complaint:open" or "complaint:open:ID" (read by the complaint
 * handler). Returns 1 when
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
	if (strncmp(payload, "complaint:open:", 15) == 0) {
		/* "Не помогло" under a troubleshooting answer: read by the complaint
		 * handler; known while the set still has that complaint. */
		const struct replyset_intent *it = replyset_intent(rs, payload + 15);
		return it && it->kind == RS_COMPLAINT;
	}
	/* "idea:vote:N": read by the idea handler (the store knows whether N exists). */
	return *forced >= 0 || *plan || strcmp(payload, "complaint:open") == 0 ||
	       handler_idea_payload(payload, NULL);
}

int dialog_match(const struct replyset *rs, const struct chan_msg *msg, struct match_result *m)
{
	const char *text = msg && msg->text ? msg->text : "";
	size_t len = strlen(text);
	if (len > TEXT_MAX_INPUT)
		len = TEXT_MAX_INPUT;
	return match_message(rs, text, len, m);
}

int dialog_handle(const struct replyset *rs, struct convstate *state, const struct chan_msg *msg,
		  int64_t now, struct dialog_result *out)
{
	memset(out, 0, sizeof *out);
	if (!rs || !state || !msg)
		return -1;
	struct match_result m;
	if (dialog_match(rs, msg, &m) < 0)
		return -1;
	int result = dialog_handle_matched(rs, state, msg, now, &m, out);
	match_result_free(&m);
	return result;
}

int dialog_handle_matched(const struct replyset *rs, struct convstate *state,
			  const struct chan_msg *msg, int64_t now, const struct match_result *match,
			  struct dialog_result *out)
{
	memset(out, 0, sizeof *out);
	if (!rs || !state || !msg || !match)
		return -1;
	struct handler_ctx ctx = {
		.rs = rs, .msg = msg, .match = match, .state = state, .now = now, .out = out,
	};
	int known_button = read_payload(rs, msg->payload, &ctx.forced, &ctx.forced_plan);
	ctx.lang = choose_lang(msg, &match->text, state);
	out->lang = xstrdup(replyset_lang_code(ctx.lang));
	out->flags = match->flags;
	out->score = match->n_top && ctx.forced < 0 ? match->top[0].score : 0;
	out->top_intent = match->n_top && ctx.forced < 0
				  ? replyset_intent_at(rs, (size_t)match->top[0].intent)->id
				  : NULL;
	memcpy(out->phone, match->text.ent.phone, sizeof out->phone);
	memcpy(out->account, match->text.ent.account, sizeof out->account);
	if (!out->phone[0] && msg->contact_phone)
		text_phone_normalize(msg->contact_phone, out->phone);

	int result = 0;
	if ((msg->payload || msg->callback_id) && !known_button && match->text.n_tokens == 0) {
		handler_stale_button(&ctx);
		goto done;
	}
	int empty = match->text.n_tokens == 0 && !known_button;
	if (empty) {
		int attachment = msg->attachments && *msg->attachments;
		if (!(msg->contact_phone && out->phone[0])) {
			handler_set_route(&ctx, "empty", NULL);
			handler_template(&ctx, attachment ? "unsupported_attachment" : "empty_message", NULL);
			goto done;
		}
	}
	for (size_t i = 0; i < sizeof handler_table / sizeof handler_table[0]; i++) {
		result = handler_table[i]->handle(&ctx);
		if (result < 0)
			goto done;
		if (result == HANDLER_HANDLED) {
			if (!out->handler)
				handler_set_route(&ctx, handler_table[i]->name, NULL);
			result = 0;
			break;
		}
	}
	for (size_t i = 0; i < sizeof handler_table / sizeof handler_table[0]; i++)
		if (handler_table[i]->after)
			handler_table[i]->after(&ctx);
	offer_case(&ctx);
	answer_parts(&ctx);
	answered_add(out, out->complaint_intent ? out->complaint_intent : out->intent);
	/* A request for a person in a message that reaches one (a case, an interview, a
	 * handoff) is answered by that, whatever else the message asked. */
	if (out->case_op == DIALOG_CASE_CREATE || out->wants_human || convstate_in_interview(state)) {
		const struct replyset_intent *person = NULL;
		for (size_t i = 0; i < match->n_top && !person; i++) {
			const struct replyset_intent *it = replyset_intent_at(rs, (size_t)match->top[i].intent);
			if (it->kind == RS_OPERATOR && match->top[i].score >= replyset_settings(rs)->answer)
				person = it;
		}
		for (size_t i = 0; i < replyset_n_intents(rs) && !person && match->flags.operator_request; i++)
			if (replyset_intent_at(rs, i)->kind == RS_OPERATOR)
				person = replyset_intent_at(rs, i);
		if (person)
			answered_add(out, person->id);
	}
done:
	convstate_set_seen(state);
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
	free(r->idea_what);
	free(r->idea_why);
	reply_list_free(&r->idea_stale);
	memset(r, 0, sizeof *r);
}
