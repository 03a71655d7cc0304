/* Inbound pipeline (see pipeline.h). */
#include "pipeline.h"

#include "clock.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "casework.h"
#include "channel.h"
#include "events.h"
#include "dialog.h"
#include "log.h"
#include "outbox.h"
#include "reply_merge.h"
#include "replyset.h"
#include "store.h"
#include "xalloc.h"

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

struct outbox_row *pipeline_batch_row(struct pipeline_batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->rows = xrealloc(b->rows, b->cap * sizeof *b->rows);
	}
	struct outbox_row *r = &b->rows[b->n++];
	*r = (struct outbox_row){0};
	return r;
}

void pipeline_batch_event(struct pipeline_batch *b, const char *type, cJSON *data)
{
	if (!b->events)
		b->events = cJSON_CreateArray();
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "type", type);
	cJSON_AddItemToObject(e, "data", data);
	cJSON_AddItemToArray(b->events, e);
}

static int add_reply_rows(struct app *app, struct channel *ch, const struct chan_msg *m,
			  int64_t inbound_id, const struct reply *rep, int reply_to,
			  struct pipeline_batch *batch, int64_t now_ms)
{
	char **parts;
	size_t n = pipeline_split_text(rep->text, ch->ops->max_text, &parts);
	char *kb = reply_keyboard_json(rep);
	int result = 0;
	for (size_t i = 0; i < n; i++) {
		struct outbox_row *r = pipeline_batch_row(batch);
		r->channel = xstrdup(ch->ops->name);
		r->kind = xstrdup("message");
		r->peer_id = m->peer_id;
		r->inbound_id = inbound_id;
		/* Only the first piece names the message it answers. */
		r->reply_to = reply_to && i == 0 ? m->message_id : 0;
		r->text = parts[i];
		/* Buttons go with the last piece, where the customer's eyes end up. */
		r->keyboard = i + 1 == n && kb ? xstrdup(kb) : NULL;
		r->replyset_version = xstrdup(replyset_version(app->replies));
		r->source = xstrdup(rep->source ? rep->source : "");
		r->created_ms = now_ms;
		if (store_outbox_add(app->store, r) < 0)
			result = -1;
	}
	free(parts);
	free(kb);
	return result;
}

static int handle_one(struct app *app, struct channel *ch, const struct chan_msg *m,
		      struct pipeline_batch *batch, int64_t now_ms)
{
	int64_t inbound_id = 0;
	int fresh = store_inbound_add(app->store, m, now_ms / 1000, &inbound_id);
	if (fresh < 0)
		return -1;
	if (fresh == 0) {
		log_debug("pipeline: %s %s already handled; skipped", m->channel, m->dedup_key);
		return 0;
	}
	*ch->m_updates += 1;
	if (m->callback_id) {
		/* A pressed callback button shows a spinner until it is answered. */
		struct outbox_row *r = pipeline_batch_row(batch);
		r->channel = xstrdup(ch->ops->name);
		r->kind = xstrdup("callback_answer");
		r->peer_id = m->peer_id;
		r->inbound_id = inbound_id;
		r->text = xstrdup("");
		cJSON *extra = cJSON_CreateObject();
		cJSON_AddStringToObject(extra, "callback_id", m->callback_id);
		cJSON_AddNumberToObject(extra, "user_id", (double)m->user_id);
		r->extra = cJSON_PrintUnformatted(extra);
		cJSON_Delete(extra);
		r->replyset_version = xstrdup(replyset_version(app->replies));
		r->source = xstrdup("callback");
		r->created_ms = now_ms;
		if (store_outbox_add(app->store, r) < 0)
			return -1;
	}
	cJSON *state = NULL;
	if (store_conv_load(app->store, m->channel, m->peer_id, &state) < 0)
		return -1;
	struct dialog_result res = {0};
	int64_t now = now_ms / 1000;
	int result = casework_before(app, batch, m, state, now, &res.replies);
	if (result == 0) {
		if (dialog_handle(app->replies, state, m, now, &res) < 0)
			log_error("pipeline: dialog failed on %s %s; the message is stored "
				  "unanswered",
				  m->channel, m->dedup_key);
		else
			result = casework_after(app, batch, m, state, &res, now);
	}
	if (result >= 0) {
		int reply_to = strcmp(ch->ops->name, "vk") == 0 ? app->cfg.vk.reply_to
				: strcmp(ch->ops->name, "telegram") == 0 ? app->cfg.telegram.reply_to
									 : 1;
		result = 0;
		replies_merge(&res.replies, ch->ops->max_text);
		for (size_t i = 0; i < res.replies.n && result == 0; i++)
			result = add_reply_rows(app, ch, m, inbound_id, &res.replies.items[i],
						reply_to && m->message_id, batch, now_ms);
	}
	if (result == 0)
		result = store_conv_save(app->store, m->channel, m->peer_id, state, now_ms / 1000);
	dialog_result_free(&res);
	cJSON_Delete(state);
	return result;
}

int pipeline_queue_row(struct app *app, struct outbox_row *row)
{
	if ((store_in_tx(app->store) && store_commit(app->store) < 0) ||
	    store_begin(app->store) < 0 || store_outbox_add(app->store, row) < 0 ||
	    store_commit(app->store) < 0) {
		store_rollback(app->store);
		outbox_row_free(row);
		return -1;
	}
	outbox_enqueue(app->outbox, row->channel, row);
	return 0;
}

int pipeline_ingest(struct app *app, struct channel *ch, const struct chan_msg *msgs, size_t n,
		    const char *cursor)
{
	int64_t now_ms = clock_now_ms();
	struct pipeline_batch batch = {0};
	/* Delivery marks made earlier in this loop iteration commit first, so a failed
	 * batch cannot roll them back. */
	if (store_in_tx(app->store) && store_commit(app->store) < 0)
		return -1;
	if (store_begin(app->store) < 0)
		return -1;
	int result = 0;
	for (size_t i = 0; i < n && result == 0; i++)
		result = handle_one(app, ch, &msgs[i], &batch, now_ms);
	if (result == 0 && cursor)
		result = store_cursor_set(app->store, ch->ops->name, cursor);
	if (result == 0)
		result = store_commit(app->store);
	else
		store_rollback(app->store);
	for (size_t i = 0; i < batch.n; i++) {
		if (result == 0)
			outbox_enqueue(app->outbox, batch.rows[i].channel, &batch.rows[i]);
		else
			outbox_row_free(&batch.rows[i]);
	}
	free(batch.rows);
	const cJSON *e;
	cJSON_ArrayForEach(e, batch.events)
	{
		if (result == 0)
			events_emit(app->events, cJSON_GetObjectItem(e, "type")->valuestring,
				    cJSON_GetObjectItem(e, "data"));
	}
	cJSON_Delete(batch.events);
	if (result < 0)
		log_error("pipeline: batch of %zu %s update(s) not stored (%s); it will be "
			  "fetched again",
			  n, ch->ops->name, store_state(app->store));
	return result;
}
