/* Cases around the dialog (see casework.h). */
#include "casework.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "convstate.h"
#include "events.h"
#include "handoff.h"
#include "json_util.h"
#include "log.h"
#include "peerset.h"
#include "ratings.h"
#include "channels/caps.h"
#include "channels/names.h"
#include "pipeline_batch.h"
#include "replyset.h"
#include "severity.h"
#include "store.h"
#include "worktime.h"
#include "xalloc.h"

/* Operator templates worth suggesting first, by complaint intent (ids only; the texts
 * are the reply set's). Unknown ids are skipped. */
static const struct {
	const char *intent;
	const char *templates[4];
} suggestions[] = {
	{"complaint_no_service", {"escalated_to_tech", "network_works", "checking"}},
	{"complaint_slow_internet", {"escalated_to_tech", "network_works", "checking"}},
	{"complaint_coverage", {"network_works", "escalated_to_tech", "checking"}},
	{"complaint_sms_calls", {"escalated_to_tech", "checking", "no_fault_found"}},
	{"complaint_home_internet", {"escalated_to_tech", "checking", "network_works"}},
	{"complaint_wrong_charge", {"refund_done", "compensation", "checking"}},
	{"complaint_roaming_bill", {"refund_done", "compensation", "checking"}},
	{"complaint_subscriptions", {"subscriptions_disabled", "refund_done", "checking"}},
	{"complaint_staff", {"thanks_for_patience", "checking"}},
};

struct casework {
	struct casework_deps d;
	struct peerset case_peers; /* chats that may have an open case */
	int sub;                   /* events subscription */
};

static struct replyset *live_replies(const struct casework *cw)
{
	return cw->d.replies(cw->d.replies_arg);
}

int64_t casework_due(const struct casework *cw, int severity, int64_t now, char eta[32],
		     char work_start[32], int *after_hours)
{
	const struct replyset_settings *s = replyset_settings(live_replies(cw));
	int sla = severity >= 0 && severity < 4 ? s->sla_minutes[severity] : s->sla_minutes[2];
	int64_t start = worktime_next_open(s, now);
	/* The SLA runs in working time: a case opened at 20:59 is not due at midnight. */
	int64_t due = worktime_add(s, now, sla);
	worktime_format(s, due, now, eta, 32);
	worktime_format(s, start, now, work_start, 32);
	*after_hours = !worktime_is_open(s, now);
	return due;
}

/* Transcript line. */
static cJSON *line(int64_t at, const char *from, const char *text)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddNumberToObject(l, "at", (double)at);
	cJSON_AddStringToObject(l, "from", from);
	cJSON_AddStringToObject(l, "text", text ? text : "");
	return l;
}

/* Appends the customer's message and the bot's replies to a case and saves it. */
static int append_to_case(struct pipeline_batch *b, int64_t case_id, const struct chan_msg *m,
			  const struct reply_list *replies, int64_t now)
{
	/* Lines appended and two times set in place, the record never read: a long case
	 * costs no more than a short one. The message and the replies are one append (one
	 * update of the case), unless files come with the message: they belong to the
	 * customer's line, so it is appended first. */
	const char *text = m->text && *m->text ? m->text : (m->contact_phone ? m->contact_phone : "");
	size_t n_replies = replies ? replies->n : 0, n = 0;
	struct case_line_in *lines = xcalloc(n_replies + 1, sizeof *lines);
	lines[n++] = (struct case_line_in){"customer", text, NULL};
	int result = 0;
	if (m->n_files) {
		result = cases_add_lines(b->tx, case_id, now, lines, n);
		if (result == 0)
			result = cases_add_files(b->tx, case_id, m, now);
		n = 0;
	}
	for (size_t i = 0; i < n_replies; i++)
		lines[n++] = (struct case_line_in){"bot", replies->items[i].text, NULL};
	if (result == 0)
		result = cases_add_lines(b->tx, case_id, now, lines, n);
	free(lines);
	if (result == 0) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "case_id", (double)case_id);
		cJSON_AddStringToObject(ev, "channel", m->channel);
		cJSON_AddNumberToObject(ev, "peer_id", (double)m->peer_id);
		cJSON_AddStringToObject(ev, "text", text);
		if (m->n_files)
			cJSON_AddNumberToObject(ev, "files", (double)m->n_files);
		pipeline_batch_event(b, "customer_message", ev);
	}
	return result;
}

/* Replaces the text of every reply made from template id by template other. */
static void swap_template(struct casework *cw, struct reply_list *l, const char *id,
			  const char *other, int lang)
{
	char source[96];
	snprintf(source, sizeof source, "template:%s", id);
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].source, source) != 0)
			continue;
		/* Keep the placeholders: fill_replies puts the number and times in. */
		struct tpl_vars keep = {.case_id = "{case_id}", .eta = "{eta}",
					.work_start = "{work_start}"};
		char *text = replyset_render(live_replies(cw), other, lang, &keep);
		if (!text)
			continue;
		free(l->items[i].text);
		l->items[i].text = text;
		free(l->items[i].source);
		l->items[i].source = xasprintf("template:%s", other);
	}
}

static void fill_replies(struct reply_list *l, const char *number, const char *eta,
			 const char *work_start)
{
	struct tpl_vars v = {.case_id = number, .eta = eta, .work_start = work_start};
	for (size_t i = 0; i < l->n; i++) {
		char *t = replyset_fill(l->items[i].text, &v);
		free(l->items[i].text);
		l->items[i].text = t;
	}
}

static void add_peer(void *arg, const char *channel, int64_t peer)
{
	struct casework *cw = arg;
	peerset_add(&cw->case_peers, channel, peer);
}

/* A case changed elsewhere (the console, timers) may have been reopened. */
static void case_changed_cb(void *arg, const char *type, const cJSON *data)
{
	struct casework *cw = arg;
	cJSON *rec = NULL;
	if (strcmp(type, "case_updated") != 0 ||
	    store_case_get_head(cw->d.store, json_int(data, "case_id", 0), &rec) < 0 || !rec)
		return;
	const char *channel = json_str(rec, "channel");
	if (channel)
		peerset_add(&cw->case_peers, channel, json_int(rec, "peer_id", 0));
	cJSON_Delete(rec);
}

struct casework *casework_new(const struct casework_deps *d)
{
	struct casework *cw = xcalloc(1, sizeof *cw);
	cw->d = *d;
	cw->sub = events_subscribe(d->events, case_changed_cb, cw);
	if (store_cases_open_peers(d->store, add_peer, cw) < 0) {
		casework_free(cw);
		return NULL;
	}
	return cw;
}

void casework_free(struct casework *cw)
{
	if (!cw)
		return;
	if (cw->sub >= 0)
		events_unsubscribe(cw->d.events, cw->sub);
	peerset_free(&cw->case_peers);
	free(cw);
}

int casework_before(struct casework *cw, struct pipeline_batch *b, const struct chan_msg *m,
		    struct convstate *state, int64_t now, struct reply_list *out)
{
	convstate_set_open_case(state, NULL);
	const char *lang = convstate_lang(state);
	int rated = ratings_press(b->tx, live_replies(cw), m, replyset_lang(lang ? lang : "ru"),
				  now, out);
	if (rated)
		return rated; /* a rating press is answered by its thanks alone */
	/* Most chats never had a case: no query for them. */
	int64_t open = 0;
	if (peerset_has(&cw->case_peers, m->channel, m->peer_id)) {
		open = store_case_open_for(cw->d.store, m->channel, m->peer_id);
		if (open < 0)
			return -1;
		if (!open)
			peerset_remove(&cw->case_peers, m->channel, m->peer_id);
	}
	if (!open) {
		/* The case was closed elsewhere: the bot answers again. On the state the
		 * pipeline saves after this, not in the store beneath it, where the saved
		 * state would undo it. */
		if (handoff_is_human(state))
			convstate_hand_to_bot(state);
		return 0;
	}
	char number[24];
	snprintf(number, sizeof number, "%06lld", (long long)open);
	if (!handoff_is_human(state)) {
		convstate_set_open_case(state, number);
		return 0;
	}
	/* A person holds this conversation: the bot stays quiet, but for one notice per
	 * interval that the operator will answer. */
	int64_t last = convstate_last_auto_reply(state);
	int interval = replyset_settings(live_replies(cw))->operator_auto_reply_interval_s;
	if (now - last >= interval) {
		struct tpl_vars v = {.case_id = number};
		char *text = replyset_render(live_replies(cw), "operator_will_answer",
					     replyset_lang(lang ? lang : "ru"), &v);
		if (text) {
			reply_list_add(out, text, "template:operator_will_answer");
			free(text);
		}
		convstate_set_last_auto_reply(state, now);
	}
	if (append_to_case(b, open, m, out, now) < 0)
		return -1;
	return 1;
}

static cJSON *flags_object(const struct dialog_result *res, const cJSON *iv, int repeat,
			   int high_reach)
{
	const cJSON *f = json_obj(iv, "flags");
	cJSON *o = cJSON_CreateObject();
	const struct {
		const char *name;
		int on;
	} list[] = {
		{"obscene", res->flags.obscene}, {"legal_threat", res->flags.legal_threat},
		{"spread_call", res->flags.spread_call}, {"shouting", res->flags.shouting},
	};
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		cJSON_AddBoolToObject(o, list[i].name,
				      list[i].on || cJSON_IsTrue(cJSON_GetObjectItem(f, list[i].name)));
	cJSON_AddBoolToObject(o, "repeat_contact", repeat);
	cJSON_AddBoolToObject(o, "high_reach", high_reach);
	return o;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* Builds and stores the case record. */
static int create_case(struct casework *cw, struct pipeline_batch *b, const struct chan_msg *m,
		       struct dialog_result *res, const cJSON *iv, const cJSON *wall, int64_t now,
		       int64_t *id, char *number, int64_t *due, char *eta, char *work_start,
		       int *after_hours)
{
	const struct replyset *rs = live_replies(cw);
	const char *intent_id = json_str(iv, "intent");
	if (!intent_id)
		intent_id = res->wants_human ? "operator_request" : "complaint_general";
	const struct replyset_intent *it = replyset_intent(rs, intent_id);
	int severity = it && it->severity >= 0 ? it->severity : RS_SEV_NORMAL;
	*due = casework_due(cw, severity, now, eta, work_start, after_hours);

	struct customer cust = {.followers = -1};
	int known = store_customer_get(cw->d.store, m->channel, m->user_id, &cust);
	int64_t total = 0, recent = 0;
	store_case_count_for(cw->d.store, m->channel, m->user_id, now - 86400, &total, &recent);
	long threshold = replyset_settings(rs)->high_reach_followers;
	int high_reach = known == 1 && cust.followers >= 0 && threshold > 0 &&
			 cust.followers >= threshold;

	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "created_at", (double)now);
	cJSON_AddNumberToObject(r, "updated_at", (double)now);
	cJSON_AddNumberToObject(r, "sla_due_at", (double)*due);
	cJSON_AddStringToObject(r, "channel", m->channel);
	cJSON_AddNumberToObject(r, "peer_id", (double)m->peer_id);
	cJSON_AddNumberToObject(r, "user_id", (double)m->user_id);
	const char *name = m->display_name ? m->display_name : (known == 1 ? cust.display_name : NULL);
	add_str(r, "display_name", name);
	char link[160] = "";
	const char *screen = m->username ? m->username : (known == 1 ? cust.screen_name : NULL);
	const struct channel_caps *caps = m->caps;
	if (caps && caps->profile_by_name && screen)
		snprintf(link, sizeof link, "%s%s", caps->profile_by_name, screen);
	else if (caps && caps->profile_by_id)
		snprintf(link, sizeof link, "%s%lld", caps->profile_by_id, (long long)m->user_id);
	add_str(r, "profile_link", link);
	if (caps && (caps->page_label || caps->page_title)) { /* one of several pages */
		cJSON *page = cJSON_AddObjectToObject(r, "page");
		add_str(page, "label", caps->page_label);
		add_str(page, "title", caps->page_title);
	}
	cJSON_AddNumberToObject(r, "followers", (double)(known == 1 ? cust.followers : -1));
	const char *phone = json_str(iv, "phone");
	add_str(r, "phone", phone ? phone : res->phone);
	const char *account = json_str(iv, "account");
	add_str(r, "account", account ? account : res->account);
	add_str(r, "location", json_str(iv, "location"));
	add_str(r, "intent", intent_id);
	add_str(r, "category", it && it->category ? it->category : "other");
	cJSON_AddStringToObject(r, "severity", severity_name(severity));
	cJSON_AddItemToObject(r, "flags", flags_object(res, iv, total > 0 || recent > 0, high_reach));
	const char *summary = json_str(iv, "summary");
	add_str(r, "summary", summary ? summary : m->text);
	add_str(r, "description", json_str(iv, "description"));
	/* The transcript from the start of the conversation about this problem. */
	cJSON *tr = cJSON_AddArrayToObject(r, "transcript");
	int64_t since = json_int(iv, "started", now) - 1;
	store_transcript(cw->d.store, m->channel, m->peer_id, since, tr);
	cJSON *sug = cJSON_AddArrayToObject(r, "suggested_templates");
	const cJSON *flags = cJSON_GetObjectItem(r, "flags");
	if (cJSON_IsTrue(cJSON_GetObjectItem(flags, "legal_threat")) &&
	    replyset_template(rs, "legal_neutral"))
		cJSON_AddItemToArray(sug, cJSON_CreateString("legal_neutral"));
	if (replyset_template(rs, "apology"))
		cJSON_AddItemToArray(sug, cJSON_CreateString("apology"));
	for (size_t i = 0; i < sizeof suggestions / sizeof suggestions[0]; i++)
		if (strcmp(suggestions[i].intent, intent_id) == 0)
			for (int k = 0; k < 4 && suggestions[i].templates[k]; k++)
				if (replyset_template(rs, suggestions[i].templates[k]))
					cJSON_AddItemToArray(sug, cJSON_CreateString(
									  suggestions[i].templates[k]));
	cJSON_AddStringToObject(r, "status", "new");
	cJSON_AddNullToObject(r, "assignee");
	cJSON_AddArrayToObject(r, "notes");
	cJSON_AddNullToObject(r, "resolution");
	cJSON *hist = cJSON_AddArrayToObject(r, "history");
	cJSON *h = cJSON_CreateObject();
	cJSON_AddNumberToObject(h, "at", (double)now);
	cJSON_AddStringToObject(h, "status", "new");
	cJSON_AddStringToObject(h, "by", "bot");
	cJSON_AddItemToArray(hist, h);
	const cJSON *skipped = json_arr(iv, "skipped");
	if (skipped)
		cJSON_AddItemToObject(r, "not_given", cJSON_Duplicate(skipped, 1));
	cJSON_AddStringToObject(r, "replyset_version", replyset_version(rs));
	if (wall)
		cJSON_AddItemToObject(r, "wall", cJSON_Duplicate(wall, 1));
	customer_free(&cust);

	int result = cases_create(b->tx, r, now, id, number, 24);
	if (result == 0)
		peerset_add(&cw->case_peers, m->channel, m->peer_id);
	if (result == 0) {
		/* The bot's answers to this message join the transcript as the customer
		 * will see them: with the case number and time filled in. */
		if (*after_hours) {
			swap_template(cw, &res->replies, "operator_handoff",
				      "operator_handoff_after_hours", replyset_lang(res->lang));
			swap_template(cw, &res->replies, "case_created", "case_created_after_hours",
				      replyset_lang(res->lang));
		}
		fill_replies(&res->replies, number, eta, work_start);
		for (size_t i = 0; i < res->replies.n && result == 0; i++) {
			const char *text = res->replies.items[i].text;
			cJSON_AddItemToArray(tr, line(now, "bot", text)); /* for the export */
			result = cases_add_line(b->tx, *id, now, "bot", text);
		}
	}
	if (result == 0) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "case_id", (double)*id);
		cJSON_AddStringToObject(ev, "number", number);
		pipeline_batch_event(b, "case_created", ev);
		result = casework_export(cw, b, *id, r, now * 1000);
		log_info("cases: %s created for %s chat %lld (%s, %s)", number, m->channel,
			 (long long)m->peer_id, intent_id, severity_name(severity));
	}
	cJSON_Delete(r);
	return result;
}

int casework_after(struct casework *cw, struct pipeline_batch *b, const struct chan_msg *m,
		   struct convstate *state, struct dialog_result *res, int64_t now)
{
	const char *open_number = convstate_open_case(state);
	int64_t open = open_number ? strtoll(open_number, NULL, 10) : 0;
	convstate_set_open_case(state, NULL);
	int lang = replyset_lang(res->lang);
	char eta[32] = "", work_start[32] = "", number[24] = "";
	int after_hours = 0;
	if (open) {
		/* The case is open: everything the customer writes joins it. */
		snprintf(number, sizeof number, "%06lld", (long long)open);
		int sev = RS_SEV_NORMAL;
		char status[16], assignee[64];
		if (store_case_state(cw->d.store, open, &sev, status, assignee) < 0)
			return -1;
		casework_due(cw, sev, now, eta, work_start, &after_hours);
		if (res->wants_human && after_hours)
			swap_template(cw, &res->replies, "operator_handoff",
				      "operator_handoff_after_hours", lang);
		fill_replies(&res->replies, number, eta, work_start);
		/* An interview cannot run next to an open case. */
		convstate_interview_drop(state);
		return append_to_case(b, open, m, &res->replies, now);
	}
	const cJSON *iv = res->case_data;
	cJSON *pending = NULL;
	if (res->wants_human && !iv) {
		/* Asked for a person mid-interview: the case takes what was collected. */
		pending = convstate_interview_take(state);
		iv = pending;
	}
	if (res->case_op != DIALOG_CASE_CREATE && !res->wants_human) {
		cJSON_Delete(pending);
		return 0;
	}
	cJSON *empty = iv ? NULL : cJSON_CreateObject();
	int64_t id = 0, due = 0;
	int result = create_case(cw, b, m, res, iv ? iv : empty, NULL, now, &id, number, &due,
				 eta, work_start, &after_hours);
	cJSON_Delete(empty);
	cJSON_Delete(pending);
	return result < 0 ? -1 : 0;
}

int casework_open_public(struct casework *cw, struct pipeline_batch *b, const struct chan_msg *m,
			 const char *intent, const struct match_flags *flags, const cJSON *wall,
			 int64_t now, int64_t *id)
{
	struct dialog_result res = {.flags = *flags};
	cJSON *iv = cJSON_CreateObject();
	cJSON_AddStringToObject(iv, "intent", intent);
	cJSON_AddStringToObject(iv, "summary", m->text);
	cJSON_AddNumberToObject(iv, "started", (double)now);
	char number[24], eta[32], work_start[32];
	int64_t due = 0;
	int after_hours = 0;
	int result = create_case(cw, b, m, &res, iv, wall, now, id, number, &due, eta, work_start,
				 &after_hours);
	cJSON_Delete(iv);
	dialog_result_free(&res);
	return result < 0 ? -1 : 0;
}

int casework_export(struct casework *cw, struct pipeline_batch *b, int64_t case_id,
		    const cJSON *record, int64_t now_ms)
{
	if (!cw->d.crm_webhook_url)
		return 0;
	struct outbox_row *r = pipeline_batch_row(b);
	r->channel = xstrdup(CHANNEL_CRM);
	r->kind = xstrdup("webhook");
	/* Per-case order: updates of one case reach the CRM in the order they happened. */
	r->peer_id = case_id;
	r->text = cJSON_PrintUnformatted(record);
	r->source = xstrdup("case");
	r->created_ms = now_ms;
	return store_outbox_add(b->tx, r);
}
