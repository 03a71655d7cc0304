/* The ideas service (see ideas.h). */
#include "ideas.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "replyset.h"
#include "store.h"
#include "store_cases.h"
#include "store_ideas.h"
#include "xalloc.h"

/* Bytes of an idea's text quoted in a list line or a notice (cut on a character). */
#define IDEA_QUOTE_MAX 120

/* The first IDEA_QUOTE_MAX bytes of s, with "…" when cut; caller frees. */
static char *quote(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n <= IDEA_QUOTE_MAX)
		return xstrdup(s ? s : "");
	n = IDEA_QUOTE_MAX;
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return xasprintf("%.*s…", (int)n, s);
}

/* Fills vars into reply r when it holds placeholder (e.g. "{idea}"); 1 when it did. */
static int fill_reply(struct reply *r, const char *placeholder, const struct tpl_vars *vars)
{
	if (!strstr(r->text, placeholder))
		return 0;
	char *filled = replyset_fill(r->text, vars);
	free(r->text);
	r->text = filled;
	return 1;
}

static void fill_replies(struct dialog_result *res, const char *placeholder,
			 const struct tpl_vars *vars)
{
	for (size_t i = 0; i < res->replies.n; i++)
		fill_reply(&res->replies.items[i], placeholder, vars);
}

static int submit(struct store_tx *tx, const struct chan_msg *m, struct dialog_result *res,
		  int64_t now)
{
	struct idea_new in = {.channel = m->channel, .peer_id = m->peer_id, .user_id = m->user_id,
			      .author = m->display_name, .lang = res->lang,
			      .what = res->idea_what, .why = res->idea_why};
	int64_t id;
	if (store_idea_add(tx, &in, now, &id) < 0)
		return -1;
	char number[24];
	snprintf(number, sizeof number, "%" PRId64, id);
	fill_replies(res, "{idea}", &(struct tpl_vars){.idea = number});
	log_info("ideas: idea %" PRId64 " from %s %" PRId64, id, m->channel, m->user_id);
	return 0;
}

static int vote(struct store_tx *tx, const struct chan_msg *m, struct dialog_result *res,
		int64_t now)
{
	int vote = store_idea_vote(tx, res->idea_id, m->channel, m->user_id, now);
	if (vote < 0)
		return -1;
	if (vote == IDEA_VOTE_NO_IDEA) {
		log_warn("ideas: %s %" PRId64 " pressed a vote for idea %" PRId64
			 ", which does not exist; answered as a stale button",
			 m->channel, m->user_id, res->idea_id);
		reply_list_free(&res->replies);
		res->replies = res->idea_stale;
		res->idea_stale = (struct reply_list){0};
		return 0;
	}
	if (vote == IDEA_VOTE_AGAIN)
		log_info("ideas: %s %" PRId64 " voted for idea %" PRId64 " before; counted once",
			 m->channel, m->user_id, res->idea_id);
	char number[24];
	snprintf(number, sizeof number, "%" PRId64, res->idea_id);
	fill_replies(res, "{idea}", &(struct tpl_vars){.idea = number});
	return 0;
}

/* The top list being rendered: its lines and its vote buttons' ids. */
struct top_list {
	const struct replyset *rs;
	int lang;
	struct buf text;
	int64_t ids[IDEAS_TOP];
	size_t n;
};

static void top_line(void *arg, const struct idea *i)
{
	struct top_list *t = arg;
	if (t->n >= IDEAS_TOP)
		return;
	char number[24], votes[24];
	snprintf(number, sizeof number, "%" PRId64, i->id);
	snprintf(votes, sizeof votes, "%" PRId64, i->votes);
	char *what = quote(i->what);
	struct tpl_vars v = {.idea = number, .idea_text = what, .votes = votes};
	char *line = replyset_render(t->rs, "idea_top_line", t->lang, &v);
	if (line)
		buf_printf(&t->text, "%s%s", t->text.len ? "\n" : "", line);
	free(line);
	free(what);
	t->ids[t->n++] = i->id;
}

static int top(struct store *st, const struct replyset *rs, struct dialog_result *res)
{
	struct top_list t = {.rs = rs, .lang = replyset_lang(res->lang)};
	if (store_ideas_each(st, 1, IDEAS_TOP, top_line, &t) < 0) {
		buf_free(&t.text);
		return -1;
	}
	char *none = t.n ? NULL : replyset_render(rs, "idea_top_none", t.lang, NULL);
	struct tpl_vars list = {.ideas = none ? none : t.text.data};
	for (size_t r = 0; r < res->replies.n; r++) {
		struct reply *rep = &res->replies.items[r];
		if (!fill_reply(rep, "{ideas}", &list))
			continue;
		for (size_t k = 0; k < t.n; k++) {
			char number[24], payload[40];
			snprintf(number, sizeof number, "%" PRId64, t.ids[k]);
			snprintf(payload, sizeof payload, "idea:vote:%" PRId64, t.ids[k]);
			char *label = replyset_render(rs, "button_idea_vote", t.lang,
						      &(struct tpl_vars){.idea = number});
			reply_add_button(rep, (int)k, label ? label : number, payload, "callback");
			free(label);
		}
		rep->inline_keyboard = rep->inline_keyboard || t.n > 0;
	}
	free(none);
	buf_free(&t.text);
	return 0;
}

int ideas_after(struct store_tx *tx, struct store *st, const struct replyset *rs,
		const struct chan_msg *m, struct dialog_result *res, int64_t now)
{
	switch (res->idea_op) {
	case DIALOG_IDEA_SUBMIT:
		return submit(tx, m, res, now);
	case DIALOG_IDEA_VOTE:
		return vote(tx, m, res, now);
	case DIALOG_IDEA_TOP:
		return top(st, rs, res);
	default:
		return 0;
	}
}

/* ---- the console's changes ---- */

/* detail starts "idea N: " (store_idea_audit finds an idea's entries by it). */
static int audit(struct store_tx *tx, const char *actor, const char *action, const char *detail,
		 int64_t now)
{
	return store_audit(tx, actor, action, 0, detail, now) < 0 ? -1 : 1;
}

/* Stores the author's notice of i's new status in tx into *row; 0 without a template. */
static int notice_row(struct store_tx *tx, const struct replyset *rs, const struct idea *i,
		      const char *status, struct outbox_row *row)
{
	char id[48], number[24];
	snprintf(id, sizeof id, "idea_status_%s", status);
	snprintf(number, sizeof number, "%" PRId64, i->id);
	char *what = quote(i->what);
	char *text = replyset_render(rs, id, replyset_lang(i->lang),
				     &(struct tpl_vars){.idea = number, .idea_text = what});
	free(what);
	if (!text) {
		log_warn("ideas: the reply set has no %s template; idea %" PRId64
			 "'s author is not told",
			 id, i->id);
		return 0;
	}
	*row = (struct outbox_row){
		.channel = xstrdup(i->channel), .kind = xstrdup("message"), .peer_id = i->peer_id,
		.text = text, .replyset_version = xstrdup(replyset_version(rs)),
		.source = xasprintf("template:%s", id), .created_ms = clock_now_ms()};
	return store_outbox_add(tx, row) < 0 ? -1 : 0;
}

int ideas_set_status(struct store_tx *tx, struct store *st, const struct replyset *rs,
		     int64_t id, const char *status, const char *actor, int64_t now,
		     struct outbox_row *notice)
{
	*notice = (struct outbox_row){0};
	struct idea i;
	int found = store_idea_get(st, id, &i);
	if (found <= 0)
		return found;
	int result = i.merged_into ? 0 : store_idea_set_status(tx, id, status, now);
	if (result == 1) {
		char *detail = xasprintf("idea %" PRId64 ": %s -> %s", id, i.status, status);
		result = audit(tx, actor, "idea_status", detail, now);
		free(detail);
	}
	if (result == 1 && rs && notice_row(tx, rs, &i, status, notice) < 0)
		result = -1;
	idea_free(&i);
	return result;
}

static int unit_known(const struct replyset *rs, const char *unit)
{
	const struct replyset_settings *s = replyset_settings(rs);
	for (size_t k = 0; k < s->n_idea_units; k++)
		if (strcmp(s->idea_units[k], unit) == 0)
			return 1;
	return 0;
}

int ideas_route(struct store_tx *tx, const struct replyset *rs, int64_t id, const char *unit,
		const char *actor, int64_t now)
{
	if (unit && !*unit)
		unit = NULL;
	if (unit && (!rs || !unit_known(rs, unit)))
		return 0;
	int result = store_idea_route(tx, id, unit, now);
	if (result == 1) {
		char *detail = xasprintf("idea %" PRId64 ": -> %s", id, unit ? unit : "(none)");
		result = audit(tx, actor, "idea_route", detail, now);
		free(detail);
	}
	return result;
}

int ideas_merge(struct store_tx *tx, int64_t from, int64_t into, const char *actor, int64_t now)
{
	int result = store_idea_merge(tx, from, into, now);
	if (result == 1) {
		char *detail = xasprintf("idea %" PRId64 ": merged into %" PRId64, from, into);
		result = audit(tx, actor, "idea_merge", detail, now);
		free(detail);
	}
	return result;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *idea_json(const struct idea *i)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)i->id);
	add_str(o, "channel", i->channel);
	cJSON_AddNumberToObject(o, "peer_id", (double)i->peer_id);
	cJSON_AddNumberToObject(o, "user_id", (double)i->user_id);
	add_str(o, "author", i->author);
	add_str(o, "lang", i->lang);
	add_str(o, "what", i->what);
	add_str(o, "why", i->why);
	add_str(o, "status", i->status);
	add_str(o, "unit", i->unit);
	cJSON_AddNumberToObject(o, "merged_into", (double)i->merged_into);
	cJSON_AddNumberToObject(o, "votes", (double)i->votes);
	cJSON_AddNumberToObject(o, "created_at", (double)i->created_at);
	cJSON_AddNumberToObject(o, "updated_at", (double)i->updated_at);
	return o;
}
