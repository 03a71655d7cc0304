/* Tariffs: describe a named plan (even misspelt: the matcher finds aliases after typo
 * repair), compare two plans, and pick the cheapest plan for stated needs counting
 * overage (replyset_tariff_pick), saying why.
 *
 * When only part of the needs is given ("хочу тариф на 500 минут"), it asks for the
 * rest and keeps what it has in the conversation state, so that the next message
 * ("20 гб", or a bare "20") completes the question, across a restart too (kept as
 * struct convstate_tariff: what is awaited, "minutes" or "gb", and the needs known).
 *
 * The sentences that explain a pick or a comparison are assembled from the plans'
 * numbers with the fixed phrases below (one per language). */
#include "handler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"
#include "xalloc.h"

/* How far behind the top a tariff intent may be and still take a message that states
 * two facts about a plan. */
#define TARIFF_CLOSE 0.05

/* The age "для пенсионера" stands for (the usual pension age). */
#define PENSION_AGE 60

/* A half-finished question older than this is forgotten. */
#define PENDING_TTL_S (24 * 3600)

/* Appends the reply-set text id (a fragment such as tariff_same_price) rendered with
 * vars: every word the bot says comes from the reply set. */
static void append_text(const struct handler_ctx *ctx, struct buf *b, const char *id,
			const struct tpl_vars *vars)
{
	char *t = replyset_render(ctx->rs, id, ctx->lang, vars);
	if (!t)
		return;
	if (b->len && b->data[b->len - 1] != ' ' && *t)
		buf_puts(b, " ");
	buf_puts(b, t);
	free(t);
}

/* Writes a quantity the way a customer reads it: "500", "2,5" (ru) / "2.5" (en), or
 * the reply set's word for "unlimited". */
static void fmt_qty_rs(const struct replyset *rs, char *out, size_t n, double v, int lang)
{
	if (v >= TEXT_UNLIMITED) {
		char *w = replyset_render(rs, "word_unlimited", lang, NULL);
		snprintf(out, n, "%s", w ? w : "∞");
		free(w);
		return;
	}
	if (v < 0)
		v = 0;
	if (fabs(v - round(v)) < 1e-9) {
		snprintf(out, n, "%.0f", v);
		return;
	}
	snprintf(out, n, "%.2f", v);
	char *dot = strchr(out, '.');
	size_t l = strlen(out);
	while (l > 0 && out[l - 1] == '0')
		out[--l] = '\0';
	if (dot && lang != RS_EN)
		*dot = ',';
}

#define fmt_qty(out, n, v, lang) fmt_qty_rs(ctx->rs, out, n, v, lang)

/* The package part of a plan: "500" or the word for unlimited. */
#define fmt_pkg(out, n, v, unlimited, lang) fmt_qty(out, n, (unlimited) ? TEXT_UNLIMITED : (v), lang)

static const char *plan_name(struct handler_ctx *ctx, const struct replyset_tariff *t)
{
	return t->name[ctx->lang];
}

static void set_plan(struct handler_ctx *ctx, const struct replyset_tariff *t)
{
	free(ctx->out->plan);
	ctx->out->plan = xstrdup(t->id);
}

/* One-line summary of a plan: "«Смарт» — 550 ₽ в месяц: 500 мин, 100 SMS, 20 ГБ". */
static void describe_short(struct handler_ctx *ctx, struct buf *b, const struct replyset_tariff *t)
{
	char fee[32], mi[32], sm[32], gb[32];
	fmt_qty(fee, sizeof fee, t->monthly_fee, ctx->lang);
	fmt_pkg(mi, sizeof mi, t->minutes, t->unl_minutes, ctx->lang);
	fmt_pkg(sm, sizeof sm, t->sms, t->unl_sms, ctx->lang);
	fmt_pkg(gb, sizeof gb, t->gb, t->unl_gb, ctx->lang);
	struct tpl_vars v = {.plan = plan_name(ctx, t), .fee = fee, .minutes = mi, .sms = sm, .gb = gb};
	append_text(ctx, b, "tariff_plan_line", &v);
}

/* ------------------------------------------------------------------ describe, compare */

/* Who the plan is for, when it is not for everyone ("Только для абонентов от 60 лет"). */
static void restriction_text(const struct handler_ctx *ctx, const struct replyset_tariff *t, struct buf *b)
{
	const char *r = t->restricted[ctx->lang] ? t->restricted[ctx->lang] : t->restricted[RS_RU];
	if (!r)
		return;
	if (b->len && b->data[b->len - 1] != ' ')
		buf_puts(b, " ");
	buf_puts(b, r);
}

static void describe(struct handler_ctx *ctx, const struct replyset_tariff *t)
{
	char fee[32], mi[32], sm[32], gb[32];
	fmt_qty(fee, sizeof fee, t->monthly_fee, ctx->lang);
	fmt_pkg(mi, sizeof mi, t->minutes, t->unl_minutes, ctx->lang);
	fmt_pkg(sm, sizeof sm, t->sms, t->unl_sms, ctx->lang);
	fmt_pkg(gb, sizeof gb, t->gb, t->unl_gb, ctx->lang);
	struct buf reason = {0};
	buf_append(&reason, "", 0);
	if (t->notes[ctx->lang])
		buf_puts(&reason, t->notes[ctx->lang]);
	restriction_text(ctx, t, &reason);
	struct tpl_vars v = {.plan = plan_name(ctx, t), .fee = fee, .minutes = mi, .sms = sm, .gb = gb,
			     .reason = reason.data};
	handler_template(ctx, "tariff_info", &v);
	buf_free(&reason);
	set_plan(ctx, t);
}

static int has_needs(const struct tariff_need *n)
{
	return n->minutes >= 0 || n->gb >= 0 || n->sms >= 0;
}

static void compare(struct handler_ctx *ctx, const struct replyset_tariff *a, const struct replyset_tariff *b,
		    const struct tariff_need *need)
{
	struct buf r = {0};
	buf_append(&r, "", 0);
	describe_short(ctx, &r, a);
	buf_puts(&r, "; ");
	describe_short(ctx, &r, b);
	buf_puts(&r, ". ");
	const struct replyset_tariff *cheap = a->monthly_fee <= b->monthly_fee ? a : b;
	const struct replyset_tariff *dear = cheap == a ? b : a;
	char diff[32];
	fmt_qty(diff, sizeof diff, dear->monthly_fee - cheap->monthly_fee, ctx->lang);
	if (dear->monthly_fee - cheap->monthly_fee < 1e-9)
		append_text(ctx, &r, "tariff_same_price", NULL);
	else
		append_text(ctx, &r, "tariff_cheaper_by",
			    &(struct tpl_vars){.plan = plan_name(ctx, cheap), .total = diff});
	const struct replyset_tariff *for_you = NULL;
	if (has_needs(need)) {
		double ca = replyset_tariff_cost(a, need), cb = replyset_tariff_cost(b, need);
		for_you = ca >= 0 && (cb < 0 || ca <= cb) ? a : cb >= 0 ? b : NULL;
		if (for_you) {
			char tot[32];
			fmt_qty(tot, sizeof tot, for_you == a ? ca : cb, ctx->lang);
			append_text(ctx, &r, "tariff_better_for_you",
				    &(struct tpl_vars){.plan = plan_name(ctx, for_you), .total = tot});
		}
	}
	struct tpl_vars v = {.plan_a = plan_name(ctx, a), .plan_b = plan_name(ctx, b), .reason = r.data};
	handler_template(ctx, "tariff_compare", &v);
	if (for_you)
		set_plan(ctx, for_you);
	buf_free(&r);
}

/* Offers every plan as a button ("plan:ID" payloads describe it). */
static void plan_buttons(struct handler_ctx *ctx, struct reply *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < replyset_n_tariffs(ctx->rs); i++) {
		const struct replyset_tariff *t = replyset_tariff_at(ctx->rs, i);
		char payload[160];
		snprintf(payload, sizeof payload, "plan:%s", t->id);
		reply_add_button(r, (int)i / 2, plan_name(ctx, t), payload, "callback");
		r->inline_keyboard = 1;
	}
}

/* ------------------------------------------------------------------ pick */

static void save_pending(struct handler_ctx *ctx, const struct tariff_need *n, const char *awaiting)
{
	/* The conditions are kept with the amounts: "мне 65, нужен безлимит на
	 * мессенджеры" and then "300 минут" is one request. */
	struct convstate_tariff t = {.minutes = n->minutes, .gb = n->gb, .sms = n->sms,
				     .budget = n->budget, .age = n->age, .apps = n->unl_apps,
				     .in_network = n->in_network, .at = ctx->now};
	snprintf(t.awaiting, sizeof t.awaiting, "%s", awaiting);
	convstate_set_tariff(ctx->state, &t);
}

/* over_budget: the budget no plan met (the pick ignored it), or -1. */
static void reason_text(struct handler_ctx *ctx, const struct tariff_pick *p, const struct tariff_need *need,
			double over_budget, struct buf *b)
{
	char x[32];
	if (p->reason == RS_PICK_COVERS) {
		append_text(ctx, b, "tariff_reason_covered", NULL);
	} else {
		fmt_qty(x, sizeof x, p->extra, ctx->lang);
		append_text(ctx, b, "tariff_reason_overage", &(struct tpl_vars){.total = x});
	}
	if (p->runner_up >= 0) {
		const struct replyset_tariff *r = replyset_tariff_at(ctx->rs, (size_t)p->runner_up);
		fmt_qty(x, sizeof x, p->runner_up_total, ctx->lang);
		append_text(ctx, b, "tariff_next_option",
			    &(struct tpl_vars){.plan = plan_name(ctx, r), .total = x});
	}
	if (need->budget >= 0) {
		fmt_qty(x, sizeof x, need->budget, ctx->lang);
		append_text(ctx, b, "tariff_fits_budget", &(struct tpl_vars){.total = x});
	} else if (over_budget >= 0) {
		fmt_qty(x, sizeof x, over_budget, ctx->lang);
		append_text(ctx, b, "tariff_over_budget", &(struct tpl_vars){.total = x});
	}
}

/* What the customer asked for, and only that: "500 мин, 20 ГБ", "безлимитный
 * интернет" (tariff_need_* fragments, joined by ", "). A need not stated, or stated as
 * none, is not named: nobody asked for "0 SMS". */
static void needs_text(struct handler_ctx *ctx, const struct tariff_need *need, struct buf *b)
{
	const struct {
		double v;
		const char *amount_id, *unlimited_id;
	} parts[] = {{need->minutes, "tariff_need_minutes", "tariff_need_unl_minutes"},
		     {need->gb, "tariff_need_gb", "tariff_need_unl_gb"},
		     {need->sms, "tariff_need_sms", "tariff_need_unl_sms"}};
	buf_append(b, "", 0);
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (parts[i].v <= 0)
			continue;
		char q[32];
		fmt_qty(q, sizeof q, parts[i].v, ctx->lang);
		struct tpl_vars v = {.minutes = q, .gb = q, .sms = q};
		int unl = parts[i].v >= TEXT_UNLIMITED;
		char *t = replyset_render(ctx->rs, unl ? parts[i].unlimited_id : parts[i].amount_id, ctx->lang, &v);
		if (!t)
			continue;
		if (b->len)
			buf_puts(b, ", ");
		buf_puts(b, t);
		free(t);
	}
	const struct {
		int on;
		const char *id;
	} conditions[] = {{need->unl_apps & RS_APP_MESSENGERS, "tariff_need_unl_messengers"},
			  {need->unl_apps & RS_APP_SOCIAL, "tariff_need_unl_social"},
			  {need->in_network, "tariff_need_in_network"}};
	for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++) {
		char *t = conditions[i].on ? replyset_render(ctx->rs, conditions[i].id, ctx->lang, NULL) : NULL;
		if (!t)
			continue;
		if (b->len)
			buf_puts(b, ", ");
		buf_puts(b, t);
		free(t);
	}
	if (!b->len)
		append_text(ctx, b, "tariff_need_minimal", NULL);
}

static void pick(struct handler_ctx *ctx, const struct tariff_need *need)
{
	struct tariff_pick p;
	convstate_drop_tariff(ctx->state);
	/* Nothing within the budget: the plan nearest to it that covers the need is a
	 * better answer than none (said without "fits your budget"). */
	/* An app wanted unlimited gives way with the budget: the nearest plan that covers
	 * the amounts. */
	struct tariff_need unbounded = *need;
	unbounded.budget = -1;
	unbounded.unl_apps = 0;
	int found = replyset_tariff_pick(ctx->rs, need, &p) == 0;
	double over_budget = -1;
	if (!found && (need->budget >= 0 || need->unl_apps) && replyset_tariff_pick(ctx->rs, &unbounded, &p) == 0) {
		found = 1;
		over_budget = need->budget;
		need = &unbounded;
	}
	if (!found) {
		struct reply *r = handler_template(ctx, "tariff_none", NULL);
		handler_menu_buttons(ctx, r);
		return;
	}
	const struct replyset_tariff *t = replyset_tariff_at(ctx->rs, (size_t)p.tariff);
	char mi[32], gb[32], sm[32], fee[32], tot[32];
	fmt_qty(mi, sizeof mi, need->minutes, ctx->lang);
	fmt_qty(gb, sizeof gb, need->gb, ctx->lang);
	fmt_qty(sm, sizeof sm, need->sms, ctx->lang);
	fmt_qty(fee, sizeof fee, t->monthly_fee, ctx->lang);
	fmt_qty(tot, sizeof tot, p.total, ctx->lang);
	struct buf reason = {0}, needs = {0};
	buf_append(&reason, "", 0);
	reason_text(ctx, &p, need, over_budget, &reason);
	restriction_text(ctx, t, &reason);
	needs_text(ctx, need, &needs);
	struct tpl_vars v = {.plan = plan_name(ctx, t), .fee = fee, .minutes = mi, .gb = gb, .sms = sm,
			     .total = tot, .reason = reason.data, .needs = needs.data};
	struct reply *r = handler_template(ctx, "tariff_pick", &v);
	buf_free(&needs);
	if (r) {
		char payload[160];
		snprintf(payload, sizeof payload, "plan:%s", t->id);
		reply_add_button(r, 0, plan_name(ctx, t), payload, "callback");
		r->inline_keyboard = 1;
	}
	buf_free(&reason);
	set_plan(ctx, t);
}

/* Asks for what is missing, or picks when minutes and data are both known. Two
 * needs stated at once ("300 sms and 10 GB") are taken as the whole request: what is
 * not mentioned counts as none. */
static void pick_or_ask(struct handler_ctx *ctx, struct tariff_need *need)
{
	/* A budget with a need ("100 гб до 1000 руб") is a whole request too, and so is a
	 * condition with one ("50 гб и безлимит на соцсети", "мне 70 лет, 300 минут"). */
	int services = (need->minutes >= 0) + (need->gb >= 0) + (need->sms >= 0);
	int conditions = (need->budget >= 0) + (need->unl_apps != 0) + (need->age > 0) + need->in_network;
	/* So is an unlimited service alone ("безлимитный интернет подешевле"): the
	 * cheapest plan that has it answers the question. And "the cheapest plan" asks
	 * for the cheapest plan, whatever else was said. */
	int unlimited = need->minutes >= TEXT_UNLIMITED || need->gb >= TEXT_UNLIMITED;
	int cheapest = match_lexicon(ctx->rs, ctx->match, "cheapest");
	if ((services >= 1 && (services + conditions >= 2 || unlimited)) || cheapest) {
		if (need->minutes < 0)
			need->minutes = 0;
		if (need->gb < 0)
			need->gb = 0;
	}
	if (need->minutes < 0) {
		save_pending(ctx, need, "minutes");
		handler_template(ctx, "tariff_ask_minutes", NULL);
		return;
	}
	if (need->gb < 0) {
		save_pending(ctx, need, "gb");
		handler_template(ctx, "tariff_ask_gb", NULL);
		return;
	}
	pick(ctx, need);
}

/* ------------------------------------------------------------------ routing */

static int has_qty(const struct text_entities *e)
{
	return e->minutes >= 0 || e->gb >= 0 || e->sms >= 0 || e->budget >= 0;
}

/* Does the message talk about data (so an "unlimited" in it is about data)? */
static int mentions_data(const struct text_analysis *a)
{
	static const char *const p[] = {"интернет", "гиг", "гб", "трафик", "data", "internet", "gb", "gig", NULL};
	for (size_t i = 0; i < a->n_tokens; i++)
		for (const char *const *q = p; *q; q++)
			if (strncmp(a->tokens[i].text, *q, strlen(*q)) == 0)
				return 1;
	return 0;
}

static int tok_is_word(const struct text_token *t, const char *w)
{
	return strcmp(t->text, w) == 0;
}

static int tok_prefix_in(const struct text_token *t, const char *const *ps)
{
	for (const char *const *p = ps; *p; p++)
		if (strncmp(t->text, *p, strlen(*p)) == 0)
			return 1;
	return 0;
}

/* Which app the word names (RS_APP_*), or 0. */
static int app_of(const struct text_token *t)
{
	static const char *const messengers[] = {"мессенджер", "месенджер", "ватсап", "вотсап", "whatsapp",
						 "телеграм", "телеграмм", "telegram", "вайбер", "viber",
						 "messenger", NULL};
	static const char *const social[] = {"соцсет", "соц сет", "вк", "вконтакт", "vk", "инстаграм", "instagram",
					     "тикток", "tiktok", "ютуб", "youtube", "одноклассник", "social", NULL};
	if (tok_prefix_in(t, messengers))
		return RS_APP_MESSENGERS;
	/* "вк" and "vk" only as whole words: many words start with them. */
	if ((strcmp(t->text, "вк") == 0 || strcmp(t->text, "vk") == 0) ||
	    (strlen(t->text) > 2 && tok_prefix_in(t, social)))
		return RS_APP_SOCIAL;
	return 0;
}

/* The conditions a plan must meet besides the amounts: the customer's age ("мне 65
 * лет", "для пенсионера"), apps wanted unlimited ("безлимит на мессенджеры") and calls
 * within the network ("звонки внутри сети"). */
static void read_conditions(const struct text_analysis *a, struct tariff_need *need)
{
	static const char *const years[] = {"лет", "год", "years", "year", NULL};
	static const char *const pensioner[] = {"пенсионер", "пенсии", "пенсию", "pensioner", "senior", NULL};
	static const char *const unlimited[] = {"безлим", "unlimit", "анлим", NULL};
	static const char *const in_network[] = {"внутри сет", "в пределах сет", "по сети", "в сети оператора",
						 "своим абонент", "на номера телеком", "within the network",
						 "in network", "same network", NULL};
	for (size_t i = 0; i < a->n_tokens; i++) {
		const struct text_token *t = &a->tokens[i];
		if (t->kind == TEXT_NUMBER && i + 1 < a->n_tokens && tok_prefix_in(&a->tokens[i + 1], years)) {
			long v = strtol(t->text, NULL, 10);
			if (v > 0 && v < 120)
				need->age = (int)v;
		}
		if (!need->age && t->kind == TEXT_WORD && tok_prefix_in(t, pensioner))
			need->age = PENSION_AGE;
		/* "безлимит на мессенджеры", "мессенджеры безлимитные": an app named within
		 * two words of "unlimited", either side. */
		int unl = t->kind == TEXT_WORD && tok_prefix_in(t, unlimited);
		if (!unl && tok_is_word(t, "без") && i + 1 < a->n_tokens && tok_prefix_in(&a->tokens[i + 1], (const char *const[]){"огранич", "лимит", NULL}))
			unl = 1;
		for (size_t k = i > 2 ? i - 2 : 0; unl && k < a->n_tokens && k <= i + 3; k++)
			need->unl_apps |= app_of(&a->tokens[k]);
	}
	for (const char *const *p = in_network; *p; p++)
		if (text_has_phrase(a, *p))
			need->in_network = 1;
}

/* Merges the message's quantities into need; a bare number or a bare "unlimited"
 * answers the question that was asked. */
static void merge_needs(const struct handler_ctx *ctx, struct tariff_need *need, const char *awaiting)
{
	const struct text_analysis *a = &ctx->match->text;
	struct text_entities e = a->ent;
	if (awaiting && strcmp(awaiting, "minutes") == 0 && e.minutes < 0 && e.gb >= TEXT_UNLIMITED &&
	    !mentions_data(a)) {
		e.minutes = e.gb;
		e.gb = -1;
	}
	if (awaiting && !has_qty(&e)) {
		for (size_t i = 0; i < a->n_tokens; i++)
			if (a->tokens[i].kind == TEXT_NUMBER) {
				double v = strtod(a->tokens[i].text, NULL);
				if (strcmp(awaiting, "minutes") == 0)
					e.minutes = v;
				else
					e.gb = v;
				break;
			}
	}
	/* In a tariff request a service not wanted is a need even with no amount said
	 * ("только звонки, до 300 р"), and a modem or a tablet takes no calls. */
	text_zero_needs(a, &e);
	if (e.minutes < 0 && need->minutes < 0 && match_lexicon(ctx->rs, ctx->match, "data_device"))
		e.minutes = 0;
	if (e.minutes >= 0)
		need->minutes = e.minutes;
	if (e.gb >= 0)
		need->gb = e.gb;
	if (e.sms >= 0)
		need->sms = e.sms;
	if (e.budget >= 0)
		need->budget = e.budget;
	read_conditions(a, need);
}

/* A customer answers "how many minutes?" in words as often as in numbers: "не
 * важно", "любое", "мало", "почти не звоню", "много". The words are the reply set's
 * lexicons; what they stand for is here, on the scale of the plans a light or heavy
 * user would need. */
#define FEW_MINUTES 100
#define FEW_GB 3
#define MANY_MINUTES 1000
#define MANY_GB 40

/* Fills *v with the amount a worded answer to the awaited question means; returns 1
 * when the message is one ("not important" and "none" are both 0: nothing to pay for). */
static int worded_amount(const struct handler_ctx *ctx, const char *awaiting, double *v)
{
	int minutes = strcmp(awaiting, "minutes") == 0;
	/* "почти не звоню" is few, not none: the more particular lexicon first. */
	if (match_lexicon(ctx->rs, ctx->match, "amount_few"))
		*v = minutes ? FEW_MINUTES : FEW_GB;
	else if (match_lexicon(ctx->rs, ctx->match, "amount_none") || match_lexicon(ctx->rs, ctx->match, "amount_any"))
		*v = 0;
	else if (match_lexicon(ctx->rs, ctx->match, "amount_many"))
		*v = minutes ? MANY_MINUTES : MANY_GB;
	else
		return 0;
	return 1;
}

#define WORDED_MAX_WORDS 4

/* Does the message ask something ("а роуминг много стоит?")? */
static int asks(const struct text_analysis *a)
{
	for (size_t i = 0; i < a->n_tokens; i++)
		if (a->tokens[i].kind == TEXT_PUNCT && strcmp(a->tokens[i].text, "?") == 0)
			return 1;
	return 0;
}

static size_t words_in(const struct text_analysis *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_tokens; i++)
		n += a->tokens[i].kind == TEXT_WORD;
	return n;
}

static int has_number(const struct text_analysis *a)
{
	for (size_t i = 0; i < a->n_tokens; i++)
		if (a->tokens[i].kind == TEXT_NUMBER)
			return 1;
	return 0;
}

static int tariff_handle(struct handler_ctx *ctx)
{
	const struct match_result *m = ctx->match;
	const struct text_analysis *a = &m->text;
	const struct replyset_intent *it = handler_chosen(ctx);
	const struct replyset_intent *top = m->n_top ? replyset_intent_at(ctx->rs, (size_t)m->top[0].intent) : NULL;
	struct tariff_need need = {-1, -1, -1, -1, 0, 0, 0};

	if (ctx->forced_plan) {
		describe(ctx, replyset_tariff(ctx->rs, ctx->forced_plan));
		handler_set_route(ctx, "tariff", NULL);
		return HANDLER_HANDLED;
	}

	/* A question asked earlier and answered now. */
	struct convstate_tariff pending;
	int has_pending = convstate_tariff(ctx->state, &pending);
	int awaiting = has_pending && pending.awaiting[0];
	if (awaiting && ctx->now - pending.at > PENDING_TTL_S)
		awaiting = 0;
	int other_intent = it && it->kind != RS_TARIFF;
	double worded = -1;
	/* A short worded answer is the answer even when its word alone resembles some
	 * other question ("много"). */
	int worded_answer = awaiting && !has_qty(&a->ent) && !has_number(a) &&
			    (!other_intent || (words_in(a) <= WORDED_MAX_WORDS && !asks(a))) &&
			    worded_amount(ctx, pending.awaiting, &worded);
	if (awaiting && (worded_answer || ((has_qty(&a->ent) || has_number(a)) &&
					   !(other_intent && !has_qty(&a->ent))))) {
		need.minutes = pending.minutes;
		need.gb = pending.gb;
		need.sms = pending.sms;
		need.budget = pending.budget;
		need.age = pending.age;
		need.unl_apps = pending.apps;
		need.in_network = pending.in_network;
		merge_needs(ctx, &need, pending.awaiting);
		double *asked = strcmp(pending.awaiting, "minutes") == 0 ? &need.minutes : &need.gb;
		if (worded_answer)
			*asked = worded;
		else if (*asked < 0)
			/* Answered with something else ("мне нужно 100 гб интернета" to the
			 * minutes question): what was asked does not matter to them, and
			 * asking it again would go round in circles. */
			*asked = 0;
		pick_or_ask(ctx, &need);
		handler_set_route(ctx, "tariff", top && top->kind == RS_TARIFF ? top->id : NULL);
		return HANDLER_HANDLED;
	}
	if (has_pending && (other_intent || !awaiting))
		convstate_drop_tariff(ctx->state);

	/* Is this message about tariffs at all? */
	int tariff_talk = it && it->kind == RS_TARIFF;
	int cheapest = match_lexicon(ctx->rs, m, "cheapest");
	if (!it && top && top->kind == RS_TARIFF && m->decision == MATCH_CLARIFY &&
	    (has_qty(&a->ent) || m->n_plans || cheapest))
		tariff_talk = 1;
	if (!it && m->n_plans && m->decision != MATCH_ANSWER)
		tariff_talk = 1;
	/* Two facts about a plan (minutes and data, or either with a price: "40 гб и не
	 * дороже 600р") are a tariff request whatever else the words resemble. */
	/* ... and so they are when an answer was chosen but a tariff intent ran it close
	 * ("50 смс и 3 гб, звонков почти нет" reads a little more like call history). */
	int tariff_close = 0;
	for (size_t k = 1; k < m->n_top && k < 3; k++)
		tariff_close |= replyset_intent_at(ctx->rs, (size_t)m->top[k].intent)->kind == RS_TARIFF &&
				m->top[k].score >= m->top[0].score - TARIFF_CLOSE;
	if ((!it || tariff_close) && (a->ent.minutes >= 0 || a->ent.gb >= 0) &&
	    (a->ent.gb >= 0 || a->ent.budget >= 0) && (a->ent.minutes >= 0 || a->ent.budget >= 0))
		tariff_talk = 1;
	if (!tariff_talk)
		return HANDLER_DECLINED;
	const struct replyset_intent *route = it ? it : top && top->kind == RS_TARIFF ? top : NULL;
	handler_set_route(ctx, "tariff", route ? route->id : NULL);
	merge_needs(ctx, &need, NULL);

	if (m->n_plans >= 2) {
		compare(ctx, replyset_tariff_at(ctx->rs, (size_t)m->plans[0]),
			replyset_tariff_at(ctx->rs, (size_t)m->plans[1]), &need);
		return HANDLER_HANDLED;
	}
	if (m->n_plans == 1 && !has_needs(&need)) {
		describe(ctx, replyset_tariff_at(ctx->rs, (size_t)m->plans[0]));
		return HANDLER_HANDLED;
	}
	/* The intent says what is wanted when no plan is named: a description or a
	 * comparison needs plans, so offer them; anything else is a pick. */
	int wants_plan = route && !has_needs(&need) && !cheapest &&
			 (strstr(route->id, "info") || strstr(route->id, "compare"));
	if (wants_plan) {
		char *topic = replyset_render(ctx->rs, "topic_which_plan", ctx->lang, NULL);
		struct reply *r = handler_template(ctx, "clarify", &(struct tpl_vars){.topics = topic});
		free(topic);
		plan_buttons(ctx, r);
		return HANDLER_HANDLED;
	}
	pick_or_ask(ctx, &need);
	return HANDLER_HANDLED;
}

const struct handler handler_tariff = {
	.name = "tariff",
	.handle = tariff_handle,
};
