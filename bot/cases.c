/* The cases service (see cases.h): every change to a case record that is not the
 * pipeline's, each in one transaction begun and committed here. */
#include "cases.h"

#include "clock.h"
#include "worktime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_text.h"
#include "events.h"
#include "convstate.h"
#include "handoff.h"
#include "json_util.h"
#include "log.h"
#include "outbox.h"
#include "ratings.h"
#include "replyset.h"
#include "message.h"
#include "store.h"
#include "store_files.h"
#include "store_wall.h"
#include "wall_row.h"
#include "xalloc.h"

/* When a case's customer was last told that a person is writing. A few slots are
 * enough: a handful of secretaries type into a case each. */
#define TYPING_SLOTS 32
struct typing_mark {
	int64_t case_id;
	int64_t at_ms;
};

struct cases {
	struct cases_deps d;
	struct typing_mark typing[TYPING_SLOTS];
	cases_watch_fn watch;
	void *watch_arg;
};

struct cases *cases_new(const struct cases_deps *d)
{
	struct cases *cs = xcalloc(1, sizeof *cs);
	cs->d = *d;
	return cs;
}

void cases_free(struct cases *cs)
{
	free(cs);
}

void cases_watch(struct cases *cs, cases_watch_fn fn, void *arg)
{
	cs->watch = fn;
	cs->watch_arg = arg;
}

static void tell_watcher(struct cases *cs, struct store_tx *tx, int64_t id,
			 enum cases_change what, int64_t now)
{
	if (cs->watch)
		cs->watch(cs->watch_arg, tx, id, what, now);
}

static struct replyset *live_replies(struct cases *cs)
{
	return cs->d.replies ? cs->d.replies(cs->d.replies_arg) : NULL;
}

/* ---- the record in memory ---- */

static void set_str(cJSON *o, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (value)
		cJSON_AddStringToObject(o, key, value);
	else
		cJSON_AddNullToObject(o, key);
}

/* The array at o[key], created (or replaced when not an array) on demand. */
static cJSON *array_at(cJSON *o, const char *key)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsArray(a))
		return a;
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	return cJSON_AddArrayToObject(o, key);
}

static void add_history(cJSON *record, const char *status, const char *by, int64_t now)
{
	cJSON *h = cJSON_CreateObject();
	cJSON_AddNumberToObject(h, "at", (double)now);
	cJSON_AddStringToObject(h, "status", status);
	cJSON_AddStringToObject(h, "by", by);
	cJSON_AddItemToArray(array_at(record, "history"), h);
}

static void add_note(cJSON *record, const char *author, const char *text, int64_t now)
{
	cJSON *n = cJSON_CreateObject();
	cJSON_AddNumberToObject(n, "at", (double)now);
	cJSON_AddStringToObject(n, "author", author);
	cJSON_AddStringToObject(n, "text", text);
	cJSON_AddItemToArray(array_at(record, "notes"), n);
}

static void add_transcript(cJSON *record, const char *from, const char *text, const char *op,
			   int64_t now)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddNumberToObject(t, "at", (double)now);
	cJSON_AddStringToObject(t, "from", from);
	cJSON_AddStringToObject(t, "text", text);
	if (op)
		cJSON_AddStringToObject(t, "operator", op);
	cJSON_AddItemToArray(array_at(record, "transcript"), t);
}

static int str_is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int cases_is_open_status(const char *s)
{
	return str_is(s, "new") || str_is(s, "claimed") || str_is(s, "waiting");
}

static void emit_case(struct cases *cs, const char *type, int64_t id)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	events_emit(cs->d.events, type, d);
	cJSON_Delete(d);
}

/* A message to the case's customer ("operator_message" or "bot_message"). */
static void emit_message(struct cases *cs, const char *type, int64_t id, const char *channel,
			 int64_t peer, const char *text, const char *operator_login, int64_t now)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	cJSON_AddStringToObject(d, "channel", channel);
	cJSON_AddNumberToObject(d, "peer_id", (double)peer);
	cJSON_AddStringToObject(d, "text", text);
	if (operator_login)
		cJSON_AddStringToObject(d, "operator", operator_login);
	cJSON_AddNumberToObject(d, "at", (double)now);
	events_emit(cs->d.events, type, d);
	cJSON_Delete(d);
}

/* Ends an operation's unit of work: committed when result is 0, else rolled back. */
static int tx_end(struct store_tx *tx, int result)
{
	if (!tx)
		return -1;
	if (result == 0)
		return store_commit(tx);
	store_rollback(tx);
	return -1;
}

/* Stores a message to (channel, peer) as an outbox row, inside the caller's transaction;
 * row is filled and must go to queue_row after the commit (or be freed). */
static int store_message(struct cases *cs, struct store_tx *tx, const char *channel, int64_t peer, const char *text,
			 const char *source, struct outbox_row *row)
{
	struct replyset *rs = live_replies(cs);
	*row = (struct outbox_row){0};
	row->channel = xstrdup(channel);
	row->kind = xstrdup("message");
	row->peer_id = peer;
	row->text = xstrdup(text);
	row->replyset_version = rs ? xstrdup(replyset_version(rs)) : NULL;
	row->source = xstrdup(source);
	row->created_ms = clock_now_ms();
	return store_outbox_add(tx, row);
}

/* An approved file's row (kind "file"): extra names the snapshot (store_files.h) the
 * outbox loads the bytes from at send time, and how the channel should send it. */
static int store_file_message(struct cases *cs, struct store_tx *tx, const char *channel,
			      int64_t peer, const char *text, const char *source, int64_t file_row,
			      const char *kind, const char *name, const char *mime,
			      struct outbox_row *row)
{
	cJSON *x = cJSON_CreateObject();
	cJSON_AddNumberToObject(x, "file_id", (double)file_row);
	cJSON_AddStringToObject(x, "kind", kind);
	cJSON_AddStringToObject(x, "name", name);
	cJSON_AddStringToObject(x, "mime", mime);
	char *extra = cJSON_PrintUnformatted(x);
	cJSON_Delete(x);
	struct replyset *rs = live_replies(cs);
	*row = (struct outbox_row){0};
	row->channel = xstrdup(channel);
	row->kind = xstrdup("file");
	row->peer_id = peer;
	row->text = xstrdup(text);
	row->extra = extra;
	row->replyset_version = rs ? xstrdup(replyset_version(rs)) : NULL;
	row->source = xstrdup(source);
	row->created_ms = clock_now_ms();
	return store_outbox_add(tx, row);
}

/* Hands a committed row to the outbox for delivery (taking its strings). */
static void queue_row(struct cases *cs, struct outbox_row *row)
{
	if (cs->d.outbox)
		outbox_enqueue(cs->d.outbox, row->channel, row);
	else
		outbox_row_free(row);
}

/* ---- reads ---- */

int cases_get(struct cases *cs, int64_t id, cJSON **record)
{
	return store_case_get(cs->d.store, id, record);
}

int cases_lang(struct cases *cs, const cJSON *record)
{
	const char *l = json_str(record, "lang");
	if (l)
		return replyset_lang(l);
	struct convstate *state = NULL;
	int lang = RS_RU;
	const char *channel = json_str(record, "channel");
	if (channel && convstate_load(cs->d.store, channel, json_int(record, "peer_id", 0), &state) == 0)
		lang = replyset_lang(convstate_lang(state) ? convstate_lang(state) : "ru");
	convstate_free(state);
	return lang;
}

cJSON *cases_summary(int64_t id, const cJSON *record)
{
	static const char *const strs[] = {"number", "channel", "category", "intent", "severity",
					   "status", "assignee", "display_name", "summary",
					   "profile_link"};
	static const char *const nums[] = {"created_at", "updated_at", "sla_due_at", "peer_id",
					   "followers"};
	cJSON *s = cJSON_CreateObject();
	cJSON_AddNumberToObject(s, "id", (double)id);
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		const char *v = json_str(record, strs[i]);
		if (v)
			cJSON_AddStringToObject(s, strs[i], v);
		else
			cJSON_AddNullToObject(s, strs[i]);
	}
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
		cJSON_AddNumberToObject(s, nums[i], (double)json_int(record, nums[i], 0));
	const cJSON *flags = json_obj(record, "flags");
	cJSON_AddItemToObject(s, "flags", flags ? cJSON_Duplicate(flags, 1) : cJSON_CreateObject());
	/* The last line of the transcript: when and who, for "new message" marks (the store
	 * keeps them with the record, so a summary never reads the transcript). */
	cJSON_AddNumberToObject(s, "last_at", (double)json_int(record, "last_at", 0));
	const char *from = json_str(record, "last_from");
	if (from)
		cJSON_AddStringToObject(s, "last_from", from);
	cJSON_AddNumberToObject(s, "messages", (double)json_int(record, "messages", 0));
	const char *last = json_str(record, "last_text");
	if (last)
		cJSON_AddStringToObject(s, "last_text", last);
	return s;
}

/* ---- inside an inbound batch (casework): the batch's tx, which its owner ends ---- */

int cases_create(struct store_tx *tx, cJSON *record, int64_t now, int64_t *id, char *number,
		 size_t number_len)
{
	return store_case_create(tx, record, now, id, number, number_len);
}

int cases_add_line(struct store_tx *tx, int64_t id, int64_t at, const char *from,
		   const char *text)
{
	return store_case_line_add(tx, id, at, from, text, NULL);
}

int cases_add_lines(struct store_tx *tx, int64_t id, int64_t at,
		    const struct case_line_in *lines, size_t n)
{
	return store_case_lines_add(tx, id, at, lines, n);
}

int cases_add_files(struct store_tx *tx, int64_t id, const struct chan_msg *m, int64_t at)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (store_file_add(tx, id, m->channel, &m->files[i], at) < 0)
			return -1;
	return 0;
}

/* ---- operations ---- */

/* A case a person now holds (claimed or assigned): the record, the chat handed to that
 * person, the audit entry and the timers' news, in the caller's transaction. */
static int put_claimed(struct cases *cs, struct store_tx *tx, int64_t id, const cJSON *record,
		       const char *by, const char *action, const char *note, int64_t now)
{
	int result = store_case_put(tx, id, record, now);
	const char *channel = json_str(record, "channel");
	if (result == 0 && channel)
		result = handoff_set(tx, channel, json_int(record, "peer_id", 0), 1, id, now);
	if (result == 0)
		result = store_audit(tx, by, action, id, note, now);
	if (result == 0)
		tell_watcher(cs, tx, id, CASES_CLAIMED, now);
	return result;
}

int cases_claim(struct cases *cs, int64_t id, const char *login, int64_t now, char *holder,
		size_t holder_len, cJSON **record)
{
	struct store *st = cs->d.store;
	*record = NULL;
	cJSON *before = NULL;
	if (store_case_get_head(st, id, &before) < 0 || !before)
		return -1;
	int already = str_is(json_str(before, "assignee"), login);
	cJSON_Delete(before);
	struct store_tx *tx = store_begin(st);
	int result = tx ? 0 : -1;
	int won = result == 0 ? store_case_claim(tx, id, login, now, holder, holder_len) : -1;
	if (won <= 0) {
		tx_end(tx, -1);
		return won;
	}
	result = store_case_get(st, id, record);
	if (result == 0 && *record && !already) {
		add_history(*record, "claimed", login, now);
		result = put_claimed(cs, tx, id, *record, login, "claim", NULL, now);
	}
	if (!*record || tx_end(tx, result) < 0) {
		cJSON_Delete(*record);
		*record = NULL;
		return -1;
	}
	emit_case(cs, "case_updated", id);
	return 1;
}

int cases_assign(struct cases *cs, int64_t id, const char *by, const char *to, int64_t now)
{
	struct store *st = cs->d.store;
	cJSON *record = NULL;
	struct store_tx *tx = store_begin(st);
	if (!tx)
		return -1;
	int result = store_case_get(st, id, &record);
	if (result == 0 && !record)
		result = -1;
	if (result == 0) {
		const char *holder = json_str(record, "assignee");
		char prev[64];
		snprintf(prev, sizeof prev, "%s", holder && *holder ? holder : "");
		set_str(record, "assignee", to);
		set_str(record, "status", "claimed");
		add_history(record, "claimed", by, now);
		char note[192];
		if (*prev)
			snprintf(note, sizeof note, console_text(cs->d.language, CT_AUDIT_HANDED),
				 prev, to);
		else
			snprintf(note, sizeof note, console_text(cs->d.language, CT_AUDIT_ASSIGNED),
				 to);
		add_note(record, by, note, now);
		result = put_claimed(cs, tx, id, record, by, "assign", note, now);
	}
	cJSON_Delete(record);
	if (tx_end(tx, result) < 0)
		return -1;
	emit_case(cs, "case_updated", id);
	return 0;
}

int cases_release(struct cases *cs, int64_t id, const char *by, const char *note, int64_t now)
{
	struct store *st = cs->d.store;
	cJSON *record = NULL;
	struct store_tx *tx = store_begin(st);
	if (!tx)
		return -1;
	int result = store_case_get(st, id, &record);
	if (result == 0 && !record)
		result = -1;
	if (result == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(record, "assignee");
		cJSON_AddNullToObject(record, "assignee");
		set_str(record, "status", "new");
		add_history(record, "new", by, now);
		if (note)
			add_note(record, by, note, now);
		result = store_case_put(tx, id, record, now);
	}
	const char *channel = record ? json_str(record, "channel") : NULL;
	if (result == 0 && channel)
		result = handoff_set(tx, channel, json_int(record, "peer_id", 0), 0, 0, now);
	if (result == 0)
		result = store_audit(tx, by, "release", id, note, now);
	if (result == 0)
		tell_watcher(cs, tx, id, CASES_RELEASED, now);
	cJSON_Delete(record);
	if (tx_end(tx, result) < 0)
		return -1;
	emit_case(cs, "case_updated", id);
	return 0;
}

int cases_reply(struct cases *cs, int64_t id, const char *login, const char *text,
		const char *template_id, int64_t now, cJSON **record)
{
	return cases_reply_file(cs, id, login, text, template_id, NULL, now, record);
}

int cases_reply_file(struct cases *cs, int64_t id, const char *login, const char *text,
		     const char *template_id, const struct replyset_file *file, int64_t now,
		     cJSON **record)
{
	struct store *st = cs->d.store;
	*record = NULL;
	struct outbox_row row = {0};
	char channel[32] = "";
	int64_t peer = 0;
	struct store_tx *tx = store_begin(st);
	int result = tx ? 0 : -1;
	if (result == 0)
		result = store_case_get(st, id, record);
	if (result == 0 && !*record)
		result = -1;
	if (result == 0) {
		const char *ch = json_str(*record, "channel");
		snprintf(channel, sizeof channel, "%s", ch ? ch : "");
		peer = json_int(*record, "peer_id", 0);
		if (!*channel)
			result = -1;
	}
	if (result == 0) {
		char source[96];
		snprintf(source, sizeof source, "operator:%s", login);
		if (!file)
			result = store_message(cs, tx, channel, peer, text, source, &row);
	}
	if (result == 0) {
		add_transcript(*record, "operator", text, login, now);
		result = store_case_put(tx, id, *record, now);
	}
	if (result == 0 && file) {
		/* The snapshot first (on the line just added), then the row naming it. */
		const char *kind = file->kind == RS_FILE_PHOTO ? "photo" : "document";
		int64_t file_row = 0;
		result = store_file_add_out(tx, id, channel, kind, file->id, file->name, file->mime,
					    file->data, file->len, now, &file_row);
		if (result == 0) {
			char source[96];
			snprintf(source, sizeof source, "operator:%s", login);
			result = store_file_message(cs, tx, channel, peer, text, source, file_row,
						    kind, file->name, file->mime, &row);
		}
	}
	struct convstate *state = NULL;
	if (result == 0 && convstate_load(st, channel, peer, &state) == 0 &&
	    !handoff_is_human(state))
		result = handoff_set(tx, channel, peer, 1, id, now);
	convstate_free(state);
	if (result == 0) {
		char detail[96];
		if (file)
			snprintf(detail, sizeof detail,
				 console_text(cs->d.language, CT_AUDIT_REPLY_FILE), file->id, file->len,
				 strlen(text));
		else if (template_id)
			snprintf(detail, sizeof detail,
				 console_text(cs->d.language, CT_AUDIT_REPLY_TEMPLATE), template_id,
				 strlen(text));
		else
			snprintf(detail, sizeof detail,
				 console_text(cs->d.language, CT_AUDIT_REPLY_OWN), strlen(text));
		result = store_audit(tx, login, "reply", id, detail, now);
	}
	if (result == 0)
		tell_watcher(cs, tx, id, CASES_OPERATOR_SPOKE, now);
	if (tx_end(tx, result) < 0) {
		log_error("cases: case %lld: operator reply not stored: %s", (long long)id,
			  store_state(st));
		outbox_row_free(&row);
		cJSON_Delete(*record);
		*record = NULL;
		return -1;
	}
	/* Committed: from here on the customer gets it whatever happens. */
	queue_row(cs, &row);
	emit_message(cs, "operator_message", id, channel, peer, text, login, now);
	emit_case(cs, "case_updated", id);
	return 0;
}

/* The comment a public reply goes under: the case's own or another of its thread. */
static int public_target(struct store *st, const cJSON *record, int64_t comment_id,
			 struct chan_wall *w, int64_t *peer)
{
	const cJSON *wall = json_obj(record, "wall");
	const char *case_channel = json_str(record, "channel");
	if (!wall || !case_channel)
		return -3;
	*w = (struct chan_wall){.owner_id = json_int(wall, "owner_id", 0),
				.post_id = json_int(wall, "post_id", 0),
				.comment_id = comment_id ? comment_id : json_int(wall, "comment_id", 0)};
	char channel[48];
	int64_t owner = 0, post = 0;
	int found = store_wall_comment(st, w->comment_id, channel, sizeof channel, &owner, &post,
				       peer);
	if (found < 0)
		return -1;
	if (!found || strcmp(channel, case_channel) != 0 || owner != w->owner_id ||
	    post != w->post_id)
		return -3;
	int deleted = store_wall_deleted(st, channel, owner, w->comment_id);
	return deleted < 0 ? -1 : deleted ? -4 : 0;
}

int cases_public_reply(struct cases *cs, int64_t id, const char *login, const char *template_id,
		       int64_t comment_id, int64_t now)
{
	struct store *st = cs->d.store;
	struct replyset *rs = live_replies(cs);
	if (!rs || strncmp(template_id, "public_", 7) != 0 || !replyset_template(rs, template_id))
		return -2;
	cJSON *record = NULL;
	if (store_case_get(st, id, &record) < 0)
		return -1;
	if (!record)
		return -3;
	struct chan_wall w;
	int64_t peer = 0;
	int result = public_target(st, record, comment_id, &w, &peer);
	if (result < 0) {
		cJSON_Delete(record);
		return result;
	}
	char *text = replyset_render(rs, template_id, RS_RU, &(struct tpl_vars){0});
	char source[96];
	snprintf(source, sizeof source, "operator:%s", login);
	struct outbox_row row = {0};
	wall_row_fill(&row, json_str(record, "channel"), peer, &w, text, source,
		      replyset_version(rs), clock_now_ms());
	struct store_tx *tx = store_begin(st);
	result = tx ? store_outbox_add(tx, &row) : -1;
	if (result == 0) {
		char *line = xasprintf("Публичный ответ под комментарием %lld: %s",
				       (long long)w.comment_id, text);
		add_transcript(record, "operator", line, login, now);
		free(line);
		result = store_case_put(tx, id, record, now);
	}
	if (result == 0) {
		char detail[128];
		snprintf(detail, sizeof detail, "шаблон %s, комментарий %lld, пост %lld_%lld",
			 template_id, (long long)w.comment_id, (long long)w.owner_id,
			 (long long)w.post_id);
		result = store_audit(tx, login, "public_reply", id, detail, now);
	}
	free(text);
	cJSON_Delete(record);
	if (tx_end(tx, result) < 0) {
		log_error("cases: case %lld: public reply not stored: %s", (long long)id,
			  store_state(st));
		outbox_row_free(&row);
		return -1;
	}
	queue_row(cs, &row);
	emit_case(cs, "case_updated", id);
	return 0;
}

int cases_note(struct cases *cs, int64_t id, const char *author, const char *text,
	       int64_t now, cJSON **record)
{
	struct store *st = cs->d.store;
	*record = NULL;
	struct store_tx *tx = store_begin(st);
	int result = tx ? 0 : -1;
	if (result == 0)
		result = store_case_get(st, id, record);
	if (result == 0 && !*record)
		result = -1;
	if (result == 0) {
		add_note(*record, author, text, now);
		result = store_case_put(tx, id, *record, now);
	}
	if (result == 0)
		result = store_audit(tx, author, "note", id, NULL, now);
	if (tx_end(tx, result) < 0) {
		cJSON_Delete(*record);
		*record = NULL;
		return -1;
	}
	emit_case(cs, "case_updated", id);
	return 0;
}

int cases_handback(struct cases *cs, int64_t id, const char *by, const char *note, int notify,
		   int64_t now)
{
	struct store *st = cs->d.store;
	cJSON *record = NULL;
	struct store_tx *tx = store_begin(st);
	if (!tx)
		return -1;
	int result = store_case_get(st, id, &record);
	if (result == 0 && !record)
		result = -1;
	const char *channel = record ? json_str(record, "channel") : NULL;
	if (result == 0 && channel)
		result = handoff_set(tx, channel, json_int(record, "peer_id", 0), 0, 0, now);
	if (result == 0 && note) {
		add_note(record, by, note, now);
		result = store_case_put(tx, id, record, now);
	}
	if (result == 0)
		result = store_audit(tx, by, "handback", id, note, now);
	if (result == 0)
		tell_watcher(cs, tx, id, CASES_HANDED_BACK, now);
	cJSON_Delete(record);
	if (tx_end(tx, result) < 0)
		return -1;
	if (notify) {
		static const char *const ids[] = {"handed_back", NULL};
		cases_send_template(cs, id, ids, now);
	}
	emit_case(cs, "case_updated", id);
	return 0;
}

int cases_set_status(struct cases *cs, int64_t id, const char *by, const char *status,
		     const char *resolution, int64_t now, cJSON **record)
{
	struct store *st = cs->d.store;
	*record = NULL;
	int finished = str_is(status, "resolved") || str_is(status, "closed");
	struct outbox_row question = {0};
	int asked = 0;
	struct store_tx *tx = store_begin(st);
	int result = tx ? 0 : -1;
	if (result == 0)
		result = store_case_get(st, id, record);
	if (result == 0 && !*record)
		result = -1;
	if (result == 0) {
		set_str(*record, "status", status);
		add_history(*record, status, by, now);
		if (resolution)
			set_str(*record, "resolution", resolution);
		/* A resolved case asks its customer to rate the answer, once (ratings.h). */
		if (str_is(status, "resolved"))
			asked = ratings_ask(tx, live_replies(cs), id, *record,
					    cases_lang(cs, *record), now, &question);
		if (asked < 0)
			result = -1;
		else if (asked)
			add_transcript(*record, "bot", question.text, NULL, now);
	}
	if (result == 0)
		result = store_case_put(tx, id, *record, now);
	const char *channel = *record ? json_str(*record, "channel") : NULL;
	if (result == 0 && finished && channel) {
		/* A finished case no longer holds the conversation: the bot answers again. */
		struct convstate *state = NULL;
		int64_t peer = json_int(*record, "peer_id", 0);
		if (convstate_load(st, channel, peer, &state) == 0 && handoff_is_human(state) &&
		    convstate_holder_case(state) == id)
			result = handoff_set(tx, channel, peer, 0, 0, now);
		convstate_free(state);
	}
	if (result == 0)
		result = store_audit(tx, by, "status", id, status, now);
	if (result == 0 && finished)
		tell_watcher(cs, tx, id, CASES_FINISHED, now);
	else if (result == 0 && str_is(status, "waiting"))
		tell_watcher(cs, tx, id, CASES_WAITING, now);
	if (tx_end(tx, result) < 0) {
		outbox_row_free(&question);
		cJSON_Delete(*record);
		*record = NULL;
		return -1;
	}
	if (asked == 1) {
		emit_message(cs, "bot_message", id, question.channel, question.peer_id,
			     question.text, NULL, now);
		queue_row(cs, &question);
	}
	emit_case(cs, "case_updated", id);
	return 0;
}

/* The text of the first of ids the reply set has, filled from the case (a new string,
 * or NULL); the id used in *used. */
static char *render_template(struct cases *cs, const cJSON *record, const char *const *ids,
			     int64_t now, const char **used)
{
	struct replyset *rs = replyset_ref(live_replies(cs));
	int lang = cases_lang(cs, record);
	char eta[32] = "";
	struct tpl_vars v = {0};
	const char *s;
	v.case_id = json_str(record, "number");
	v.name = json_str(record, "display_name");
	v.phone = (s = json_str(record, "phone")) ? s : NULL;
	v.account = json_str(record, "account");
	/* The bot's own templates never name the secretary: only the console knows display
	 * names, and a login must not reach a customer. */
	v.operator_name = NULL;
	const struct replyset_settings *set = replyset_settings(rs);
	int64_t due = json_int(record, "sla_due_at", 0);
	if (due > 0) {
		/* {eta} as every template reads it: the bare local time (worktime.h). */
		worktime_format(set, due, clock_now_s(), eta, sizeof eta);
		v.eta = eta;
	}
	char work_start[32];
	worktime_format(set, worktime_next_open(set, now), now, work_start, sizeof work_start);
	v.work_start = work_start;
	char *text = NULL;
	for (const char *const *p = ids; *p && !text; p++)
		if ((text = replyset_render(rs, *p, lang, &v)))
			*used = *p;
	replyset_unref(rs);
	return text;
}

int cases_send_template(struct cases *cs, int64_t id, const char *const *ids, int64_t now)
{
	struct store *st = cs->d.store;
	cJSON *record = NULL;
	if (store_case_get(st, id, &record) < 0 || !record)
		return -1;
	const char *used = NULL;
	char *text = render_template(cs, record, ids, now, &used);
	char channel[32] = "";
	if (json_str(record, "channel"))
		snprintf(channel, sizeof channel, "%s", json_str(record, "channel"));
	int64_t peer = json_int(record, "peer_id", 0);
	if (!text) {
		log_error("cases: case %lld: no template %s to send", (long long)id, ids[0]);
		cJSON_Delete(record);
		return -1;
	}
	struct outbox_row row = {0};
	struct store_tx *tx = *channel ? store_begin(st) : NULL;
	int result = tx ? 0 : -1;
	if (result == 0) {
		char source[64];
		snprintf(source, sizeof source, "template:%s", used);
		result = store_message(cs, tx, channel, peer, text, source, &row);
	}
	if (result == 0) {
		add_transcript(record, "bot", text, NULL, now);
		result = store_case_put(tx, id, record, now);
	}
	if (tx && tx_end(tx, result) < 0)
		result = -1;
	if (result == 0) {
		queue_row(cs, &row);
		emit_message(cs, "bot_message", id, channel, peer, text, NULL, now);
	} else {
		log_error("cases: case %lld: template %s not stored: %s", (long long)id, used,
			  *channel ? store_state(st) : "the case has no channel");
		outbox_row_free(&row);
	}
	free(text);
	cJSON_Delete(record);
	return result;
}

/* The slot of case id, or the one marked longest ago. */
static struct typing_mark *typing_slot(struct cases *cs, int64_t id)
{
	struct typing_mark *oldest = &cs->typing[0];
	for (int i = 0; i < TYPING_SLOTS; i++) {
		if (cs->typing[i].case_id == id)
			return &cs->typing[i];
		if (cs->typing[i].at_ms < oldest->at_ms)
			oldest = &cs->typing[i];
	}
	return oldest;
}

int cases_typing(struct cases *cs, int64_t id, int64_t now_ms)
{
	struct typing_mark *m = typing_slot(cs, id);
	if (m->case_id == id && now_ms - m->at_ms < CASES_TYPING_EVERY_MS)
		return 0;
	cJSON *record = NULL;
	if (store_case_get_head(cs->d.store, id, &record) < 0 || !record)
		return -1;
	const char *channel = json_str(record, "channel");
	int64_t peer = json_int(record, "peer_id", 0);
	int r = channel && peer && cs->d.typing ? cs->d.typing(cs->d.typing_arg, channel, peer) : 0;
	if (r < 0)
		log_warn("cases: case %lld: typing notice to %s not sent", (long long)id,
			 channel ? channel : "?");
	if (r == 1)
		*m = (struct typing_mark){.case_id = id, .at_ms = now_ms};
	cJSON_Delete(record);
	return r;
}
