/* Inbound pipeline (see pipeline.h). */
#include "pipeline.h"

#include "clock.h"

#include <stdlib.h>
#include <string.h>

#include "casework.h"
#include "convstate.h"
#include "events.h"
#include "ideas.h"
#include "dialog.h"
#include "log.h"
#include "misses.h"
#include "outbox.h"
#include "pipeline_batch.h"
#include "reply_merge.h"
#include "replyset.h"
#include "store.h"
#include "store_console.h"
#include "store_files.h"
#include "wall.h"
#include "xalloc.h"

struct pipeline {
	struct pipeline_deps d;
};

struct pipeline *pipeline_new(const struct pipeline_deps *deps)
{
	struct pipeline *p = xcalloc(1, sizeof *p);
	p->d = *deps;
	return p;
}

void pipeline_free(struct pipeline *p)
{
	free(p);
}

/* UTF-16 length of the UTF-8 sequence starting with byte c. */
static size_t utf16_units(unsigned char c)
{
	return c >= 0xF0 ? 2 : 1;
}

static size_t seq_len(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

size_t pipeline_split_text(const char *text, size_t max_chars, char ***parts)
{
	size_t n = 0, cap = 0;
	*parts = NULL;
	const char *p = text;
	while (*p) {
		/* Find the byte offset where max_chars units end. */
		size_t left = strlen(p), units = 0, i = 0;
		while (i < left) {
			size_t l = seq_len((unsigned char)p[i]);
			size_t u = utf16_units((unsigned char)p[i]);
			if (units + u > max_chars)
				break;
			units += u;
			i += l < left - i ? l : left - i;
		}
		if (i == 0) /* max_chars below one character: take one anyway */
			i = seq_len((unsigned char)p[0]) < left ? seq_len((unsigned char)p[0]) : left;
		size_t cut = i;
		if (p[i]) {
			/* Prefer the last paragraph, line, sentence, then word boundary. */
			static const char *const seps[] = {"\n\n", "\n", ". ", "! ", "? ", " "};
			for (size_t s = 0; s < sizeof seps / sizeof seps[0]; s++) {
				size_t sl = strlen(seps[s]);
				size_t best = 0;
				for (size_t k = i / 3; k + sl <= i; k++)
					if (memcmp(p + k, seps[s], sl) == 0)
						best = k + sl;
				if (best) {
					cut = best;
					break;
				}
			}
		}
		size_t len = cut;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\n'))
			len--;
		if (len) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				*parts = xrealloc(*parts, cap * sizeof **parts);
			}
			(*parts)[n++] = xstrndup(p, len);
		}
		p += cut;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	return n;
}

static int add_reply_rows(struct channel *ch, const struct chan_msg *m, int64_t inbound_id,
			  const struct reply *rep, int reply_to, const char *version,
			  struct pipeline_batch *batch, int64_t now_ms)
{
	char **parts;
	size_t n = pipeline_split_text(rep->text, ch->ops->max_text, &parts);
	char *kb = reply_keyboard_json(rep);
	int result = 0;
	for (size_t i = 0; i < n; i++) {
		struct outbox_row *r = pipeline_batch_row(batch);
		r->channel = xstrdup(ch->name);
		r->kind = xstrdup("message");
		r->peer_id = m->peer_id;
		r->inbound_id = inbound_id;
		/* Only the first piece names the message it answers. */
		r->reply_to = reply_to && i == 0 ? m->message_id : 0;
		r->text = parts[i];
		/* Buttons go with the last piece, where the customer's eyes end up. */
		r->keyboard = i + 1 == n && kb ? xstrdup(kb) : NULL;
		r->replyset_version = xstrdup(version);
		r->source = xstrdup(rep->source ? rep->source : "");
		r->created_ms = now_ms;
		if (store_outbox_add(batch->tx, r) < 0)
			result = -1;
	}
	free(parts);
	free(kb);
	return result;
}

static int handle_one(struct pipeline *p, struct channel *ch, const struct chan_msg *msg,
		      struct pipeline_batch *batch, int64_t now_ms)
{
	struct store *st = p->d.store;
	struct replyset *rs = p->d.replies(p->d.replies_arg);
	/* The message travels with what its channel can do (handlers ask, not compare). */
	struct chan_msg with_caps = *msg;
	with_caps.caps = &ch->caps;
	/* ... and names the page it came to: a customer on two pages is two chats. */
	with_caps.channel = (char *)ch->name;
	const struct chan_msg *m = &with_caps;
	int64_t inbound_id = 0;
	int fresh = store_inbound_add(batch->tx, m, now_ms / 1000, &inbound_id);
	if (fresh < 0)
		return -1;
	if (fresh == 0) {
		log_debug("pipeline: %s %s already handled; skipped", m->channel, m->dedup_key);
		return 0;
	}
	*ch->m_updates += 1;
	if (m->wall.event != WALL_NONE) {
		/* A public comment: the public side's rules, no conversation state. */
		struct wall_env env = {.store = st, .cases = p->d.cases, .replies = rs,
				       .channel = ch->name};
		return wall_handle(&env, batch, m, inbound_id, now_ms);
	}
	if (m->callback_id) {
		/* A pressed callback button shows a spinner until it is answered. */
		struct outbox_row *r = pipeline_batch_row(batch);
		r->channel = xstrdup(ch->name);
		r->kind = xstrdup("callback_answer");
		r->peer_id = m->peer_id;
		r->inbound_id = inbound_id;
		r->text = xstrdup("");
		cJSON *extra = cJSON_CreateObject();
		cJSON_AddStringToObject(extra, "callback_id", m->callback_id);
		cJSON_AddNumberToObject(extra, "user_id", (double)m->user_id);
		r->extra = cJSON_PrintUnformatted(extra);
		cJSON_Delete(extra);
		r->replyset_version = xstrdup(replyset_version(rs));
		r->source = xstrdup("callback");
		r->created_ms = now_ms;
		if (store_outbox_add(batch->tx, r) < 0)
			return -1;
	}
	struct convstate *state = NULL;
	if (convstate_load(st, m->channel, m->peer_id, &state) < 0)
		return -1;
	struct dialog_result res = {0};
	int64_t now = now_ms / 1000;
	int result = casework_before(p->d.cases, batch, m, state, now, &res.replies);
	if (result == 0) {
		if (dialog_handle(rs, state, m, now, &res) < 0)
			log_error("pipeline: dialog failed on %s %s; the message is stored "
				  "unanswered",
				  m->channel, m->dedup_key);
		else
			result = casework_after(p->d.cases, batch, m, state, &res, now);
		if (result >= 0 && ideas_after(batch->tx, st, rs, m, &res, now) < 0)
			result = -1;
		/* What the bot did not understand, for the console's learning page: one row
		 * with the message, in its unit of work. */
		if (result >= 0 && misses_after(batch->tx, rs, m, &res, now) < 0)
			result = -1;
	}
	if (result >= 0) {
		result = 0;
		replies_merge(&res.replies, ch->ops->max_text);
		const char *version = replyset_version(rs);
		for (size_t i = 0; i < res.replies.n && result == 0; i++)
			result = add_reply_rows(ch, m, inbound_id, &res.replies.items[i],
						ch->caps.reply_to && m->message_id, version, batch,
						now_ms);
	}
	if (result == 0)
		result = convstate_save(batch->tx, m->channel, m->peer_id, state, now_ms / 1000);
	dialog_result_free(&res);
	convstate_free(state);
	return result;
}

int pipeline_ingest(struct pipeline *p, struct channel *ch, const struct channel_batch *b)
{
	struct store *st = p->d.store;
	int64_t now_ms = clock_now_ms();
	/* One batch is one unit of work: its rows, the replies, the conversation states and
	 * the cursor commit together or not at all. */
	struct pipeline_batch batch = {.tx = store_begin(st)};
	if (!batch.tx)
		return -1;
	/* A failed block mark does not hold the batch back (it never did). */
	for (size_t i = 0; i < b->n_blocks; i++)
		store_peer_set_blocked(batch.tx, ch->name, b->blocks[i].peer_id, b->blocks[i].blocked,
				       b->blocks[i].reason);
	int result = 0;
	for (size_t i = 0; i < b->n && result == 0; i++)
		result = handle_one(p, ch, &b->msgs[i], &batch, now_ms);
	if (result == 0 && b->cursor)
		result = store_cursor_set(batch.tx, ch->name, b->cursor);
	if (result == 0)
		result = store_commit(batch.tx);
	else
		store_rollback(batch.tx);
	batch.tx = NULL;
	for (size_t i = 0; i < batch.n; i++) {
		if (result == 0)
			outbox_enqueue(p->d.outbox, batch.rows[i].channel, &batch.rows[i]);
		else
			outbox_row_free(&batch.rows[i]);
	}
	free(batch.rows);
	const cJSON *e;
	cJSON_ArrayForEach(e, batch.events)
	{
		if (result == 0)
			events_emit(p->d.events, cJSON_GetObjectItem(e, "type")->valuestring,
				    cJSON_GetObjectItem(e, "data"));
	}
	cJSON_Delete(batch.events);
	if (result < 0)
		log_error("pipeline: batch of %zu %s update(s) not stored (%s); it will be "
			  "fetched again",
			  b->n, ch->name, store_state(st));
	return result;
}

/* The sink's other questions: each is one store or outbox call. */

static int sink_batch(void *arg, struct channel *ch, const struct channel_batch *b)
{
	return pipeline_ingest(arg, ch, b);
}

static int sink_cursor(void *arg, struct channel *ch, char **cursor)
{
	struct pipeline *p = arg;
	return store_cursor_get(p->d.store, ch->name, cursor);
}

static int64_t sink_salt(void *arg)
{
	struct pipeline *p = arg;
	return store_salt(p->d.store);
}

static int sink_charge(void *arg, struct channel *ch, int only_if_room)
{
	struct pipeline *p = arg;
	if (only_if_room)
		return outbox_try_charge(p->d.outbox, ch->name);
	outbox_charge(p->d.outbox, ch->name);
	return 1;
}

static int sink_profile_fresh(void *arg, struct channel *ch, int64_t user, int64_t max_age_s)
{
	struct pipeline *p = arg;
	struct customer c = {0};
	int found = store_customer_get(p->d.store, ch->name, user, &c);
	int fresh = found == 1 && clock_now_ms() / 1000 - c.fetched_at < max_age_s;
	customer_free(&c);
	return fresh;
}

static void sink_profile_put(void *arg, struct channel *ch, int64_t user,
			     const struct channel_profile *prof)
{
	struct pipeline *p = arg;
	struct customer c = {.display_name = (char *)prof->display_name,
			     .screen_name = (char *)prof->screen_name,
			     .followers = prof->followers};
	/* A unit of its own, unsynced: a profile lost to a power cut is fetched again. */
	struct store *st = p->d.store;
	struct store_tx *tx = store_begin_unsynced(st);
	int result = tx ? store_customer_put(tx, ch->name, user, &c, clock_now_ms() / 1000) : -1;
	if (result < 0)
		store_rollback(tx);
	else
		result = store_commit(tx);
	if (result < 0) {
		log_warn("pipeline: %s profile of user %lld not kept: %s", ch->name,
			 (long long)user, store_state(st));
	}
}

static int sink_chat_peer(void *arg, const char *token, int create, int64_t now_s, int64_t *peer)
{
	struct pipeline *p = arg;
	if (!create)
		return store_console_web_peer(p->d.store, token, peer);
	/* Creating the web chat's customer is a unit of its own. */
	struct store_tx *tx = store_begin(p->d.store);
	int result = tx ? store_console_web_peer_create(tx, token, now_s, peer) : -1;
	if (result < 0)
		store_rollback(tx);
	else if (store_commit(tx) < 0)
		result = -1;
	return result;
}

struct history_adapter {
	channel_line_cb fn;
	void *arg;
};

static void history_line(void *arg, const struct console_line *line)
{
	struct history_adapter *h = arg;
	struct channel_line l = {.at_ms = line->at_ms, .from = line->from, .text = line->text,
				 .keyboard = line->keyboard, .id = line->id, .file = line->file};
	h->fn(h->arg, &l);
}

static int sink_chat_history(void *arg, int64_t peer, int limit, channel_line_cb fn, void *fn_arg)
{
	struct pipeline *p = arg;
	struct history_adapter h = {fn, fn_arg};
	return store_console_web_history(p->d.store, peer, limit, history_line, &h);
}

static int sink_chat_file(void *arg, int64_t peer, int64_t row_id, channel_chat_file_cb fn,
			  void *fn_arg)
{
	struct pipeline *p = arg;
	int64_t file_id = 0;
	int found = store_console_web_file(p->d.store, peer, row_id, &file_id);
	if (found <= 0)
		return found;
	struct store_file f;
	found = store_file_get(p->d.store, file_id, &f);
	if (found == 1 && f.data) {
		struct channel_chat_file out = {f.mime, f.name ? f.name : "file", f.data, f.len};
		fn(fn_arg, &out);
	} else if (found == 1) {
		found = 0; /* a snapshot without its bytes: nothing to show */
	}
	if (found >= 0)
		store_file_clear(&f);
	return found;
}

static const struct channel_sink_ops sink_ops = {
	.batch = sink_batch,
	.cursor = sink_cursor,
	.salt = sink_salt,
	.charge = sink_charge,
	.profile_fresh = sink_profile_fresh,
	.profile_put = sink_profile_put,
	.chat_peer = sink_chat_peer,
	.chat_history = sink_chat_history,
	.chat_file = sink_chat_file,
};

struct channel_sink pipeline_sink(struct pipeline *p)
{
	return (struct channel_sink){.ops = &sink_ops, .arg = p};
}
