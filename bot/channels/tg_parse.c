/* Telegram wire formats (see tg_parse.h). Shapes follow ../shared/specs/telegram.md. */
#include "tg_parse.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channel.h"
#include "http_client.h"
#include "json_batch.h"
#include "json_util.h"
#include "log.h"
#include "xalloc.h"

static void add_msg(struct tg_updates *u, struct chan_msg *m)
{
	u->msgs = xrealloc(u->msgs, (u->n_msgs + 1) * sizeof *u->msgs);
	u->msgs[u->n_msgs++] = *m;
}

static char *display_name(const cJSON *from)
{
	const char *first = json_str(from, "first_name"), *last = json_str(from, "last_name");
	if (!first && !last)
		return NULL;
	return xasprintf("%s%s%s", first ? first : "", first && last ? " " : "", last ? last : "");
}

static void fill_user(struct chan_msg *m, const cJSON *from)
{
	m->user_id = json_int(from, "id", 0);
	m->display_name = display_name(from);
	m->username = json_strdup(from, "username");
	const char *lang = json_str(from, "language_code");
	if (lang)
		m->lang = xstrndup(lang, 2);
}

static char *attachments(const cJSON *msg)
{
	static const char *const kinds[] = {"photo",	 "document",   "video", "voice", "audio",
					    "sticker",	 "location",   "animation", "video_note",
					    "venue",	 "poll",       "dice",	    "game",
					    "story",	 "invoice"};
	struct buf b = {0};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (cJSON_GetObjectItemCaseSensitive(msg, kinds[i]))
			buf_printf(&b, "%s%s", b.len ? "," : "", kinds[i]);
	return b.len ? buf_steal(&b) : (buf_free(&b), NULL);
}

/* The files the console can show: the largest photo size (the last, per the spec), a
 * document, a voice message, a sticker, each by its file_id. */
static void read_files(const cJSON *msg, struct chan_msg *m)
{
	const cJSON *sizes = json_arr(msg, "photo");
	int n = sizes ? cJSON_GetArraySize(sizes) : 0;
	if (n > 0)
		chan_msg_add_file(m, "photo", json_str(cJSON_GetArrayItem(sizes, n - 1), "file_id"),
				  NULL);
	const cJSON *doc = json_obj(msg, "document");
	if (doc)
		chan_msg_add_file(m, "document", json_str(doc, "file_id"), json_str(doc, "file_name"));
	const cJSON *voice = json_obj(msg, "voice");
	if (voice)
		chan_msg_add_file(m, "voice", json_str(voice, "file_id"), NULL);
	const cJSON *sticker = json_obj(msg, "sticker");
	if (sticker)
		chan_msg_add_file(m, "sticker", json_str(sticker, "file_id"), NULL);
}

/* A customer's message in any chat. Returns 0 when it is one to answer. */
static int read_message(const cJSON *msg, int64_t update_id, struct chan_msg *m)
{
	const cJSON *chat = json_obj(msg, "chat");
	const cJSON *from = json_obj(msg, "from");
	if (!chat || !json_int(chat, "id", 0))
		return -1;
	if (!from || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(from, "is_bot")))
		return 1;
	*m = (struct chan_msg){0};
	m->channel = xstrdup("telegram");
	m->dedup_key = xasprintf("u:%lld", (long long)update_id);
	m->peer_id = json_int(chat, "id", 0);
	m->message_id = json_int(msg, "message_id", 0);
	m->date = json_int(msg, "date", 0);
	fill_user(m, from);
	const char *text = json_str(msg, "text");
	if (!text)
		text = json_str(msg, "caption");
	m->text = xstrdup(text ? text : "");
	const cJSON *contact = json_obj(msg, "contact");
	const char *phone = json_str(contact, "phone_number");
	/* Only the customer's own number counts as their contact (spec: check user_id). */
	if (phone && json_int(contact, "user_id", m->user_id) == m->user_id)
		m->contact_phone = xstrdup(phone);
	m->attachments = attachments(msg);
	read_files(msg, m);
	return 0;
}

static int read_callback(const cJSON *cq, int64_t update_id, struct chan_msg *m)
{
	const char *id = json_str(cq, "id");
	const cJSON *from = json_obj(cq, "from");
	if (!id || !from)
		return -1;
	*m = (struct chan_msg){0};
	m->channel = xstrdup("telegram");
	m->dedup_key = xasprintf("u:%lld", (long long)update_id);
	fill_user(m, from);
	const cJSON *chat = json_obj(json_obj(cq, "message"), "chat");
	m->peer_id = json_int(chat, "id", m->user_id);
	m->text = xstrdup("");
	m->callback_id = xstrdup(id);
	m->payload = json_strdup(cq, "data");
	return 0;
}

static void read_update(const cJSON *up, struct tg_updates *u)
{
	int64_t id = json_int(up, "update_id", -1);
	if (id < 0) {
		u->n_bad++;
		log_warn("telegram: update without update_id skipped");
		return;
	}
	if (id + 1 > u->next_offset)
		u->next_offset = id + 1;
	struct chan_msg m;
	int r = 1;
	const cJSON *v;
	if ((v = json_obj(up, "message")))
		r = read_message(v, id, &m);
	else if ((v = json_obj(up, "callback_query")))
		r = read_callback(v, id, &m);
	else if ((v = json_obj(up, "my_chat_member"))) {
		const char *status = json_str(json_obj(v, "new_chat_member"), "status");
		const char *type = json_str(json_obj(v, "chat"), "type");
		if (status && type && strcmp(type, "private") == 0) {
			u->blocks = xrealloc(u->blocks, (u->n_blocks + 1) * sizeof *u->blocks);
			u->blocks[u->n_blocks].chat_id = json_int(json_obj(v, "chat"), "id", 0);
			u->blocks[u->n_blocks++].blocked = strcmp(status, "kicked") == 0;
		}
	}
	/* edited_message, channel_post and anything unknown: not answered. */
	if (r == 0)
		add_msg(u, &m);
	else if (r > 0)
		u->n_ignored++;
	else {
		u->n_bad++;
		log_warn("telegram: update %lld with missing fields skipped", (long long)id);
	}
}

static int looks_like_update(const cJSON *item)
{
	return cJSON_GetObjectItemCaseSensitive(item, "update_id") != NULL;
}

/* The first "update_id" in text[0..len), or -1: an update that cannot be read still
 * names its id first, and counting it moves the offset past it for good. */
static int64_t scan_update_id(const char *text, size_t len)
{
	static const char key[] = "\"update_id\"";
	for (size_t i = 0; i + sizeof key - 1 < len; i++) {
		if (memcmp(text + i, key, sizeof key - 1) != 0)
			continue;
		size_t p = i + sizeof key - 1;
		while (p < len && (text[p] == ' ' || text[p] == ':'))
			p++;
		int64_t id = 0;
		size_t digits = 0;
		while (p < len && text[p] >= '0' && text[p] <= '9' && digits < 18)
			id = id * 10 + (text[p++] - '0'), digits++;
		return digits ? id : -1;
	}
	return -1;
}

static void skip_bad(const char *text, const struct json_element *e, size_t index, size_t n,
		     struct tg_updates *u)
{
	char excerpt[96];
	int64_t id = scan_update_id(text + e->offset, e->len);
	if (id >= 0 && id + 1 > u->next_offset)
		u->next_offset = id + 1;
	u->n_bad++;
	log_warn("telegram: update %zu of %zu in the answer (update_id %lld) is unreadable "
		 "(%zu bytes at offset %zu: %s); skipping it, the others are kept",
		 index + 1, n, (long long)id, e->len, e->offset,
		 json_excerpt(text + e->offset, e->len, 80, excerpt, sizeof excerpt));
}

void tg_parse_updates(const char *body, size_t len, struct tg_updates *out)
{
	*out = (struct tg_updates){0};
	struct json_batch b;
	if (json_batch_read(body, len, "result", looks_like_update, "telegram", "a getUpdates answer", &b) < 0)
		return;
	const char *text = b.text;
	const cJSON *root = b.envelope;
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
	if (cJSON_IsTrue(ok) && b.has_array) {
		out->ok = 1;
		for (size_t i = 0; i < b.n; i++) {
			const cJSON *up = b.elements[i].item;
			if (cJSON_IsObject(up))
				read_update(up, out);
			else if (!up)
				skip_bad(text, &b.elements[i], i, b.n, out);
			else
				out->n_bad++;
		}
	} else {
		out->error_code = (int)json_int(root, "error_code", 0);
		out->retry_after = json_int(json_obj(root, "parameters"), "retry_after", 0);
	}
	json_batch_free(&b);
}

int tg_parse_update(const char *body, size_t len, struct tg_updates *out)
{
	*out = (struct tg_updates){0};
	cJSON *up = hook_read_json(body, len, "telegram");
	if (!up)
		return -1;
	out->ok = 1;
	read_update(up, out);
	cJSON_Delete(up);
	return 0;
}

void tg_updates_free(struct tg_updates *u)
{
	for (size_t i = 0; i < u->n_msgs; i++)
		chan_msg_free(&u->msgs[i]);
	free(u->msgs);
	free(u->blocks);
	*u = (struct tg_updates){0};
}

void tg_classify_send(long status, int transport_error, const char *body,
		      struct send_result *out)
{
	*out = (struct send_result){.outcome = SEND_RETRY, .code = (int)status};
	if (transport_error || status == 0) {
		snprintf(out->reason, sizeof out->reason, "transport error %d", transport_error);
		return;
	}
	/* The usual answer echoes the whole message back; only its id matters, so a
	 * success is read without building the tree (a measurable share of a busy bot's
	 * time). Anything unusual takes the full parse below. */
	if (status == 200 && strncmp(body, "{\"ok\":true,\"result\":{\"message_id\":", 34) == 0) {
		char *end;
		long long id = strtoll(body + 34, &end, 10);
		if (end != body + 34 && (*end == ',' || *end == '}')) {
			out->outcome = SEND_OK;
			out->code = 0;
			out->channel_msg_id = id;
			snprintf(out->reason, sizeof out->reason, "ok");
			return;
		}
	}
	cJSON *root = cJSON_Parse(body);
	const cJSON *ok = root ? cJSON_GetObjectItemCaseSensitive(root, "ok") : NULL;
	const char *desc = json_str(root, "description");
	if (status == 200 && cJSON_IsTrue(ok)) {
		out->outcome = SEND_OK;
		out->code = 0;
		out->channel_msg_id = json_int(json_obj(root, "result"), "message_id", 0);
		snprintf(out->reason, sizeof out->reason, "ok");
		cJSON_Delete(root);
		return;
	}
	snprintf(out->reason, sizeof out->reason, "HTTP %ld: %.120s", status,
		 desc ? desc : (root ? "no description" : "not JSON"));
	if (status == 429) {
		int64_t after = json_int(json_obj(root, "parameters"), "retry_after", 5);
		/* retry_after holds this chat only (the outbox keeps its later rows back too);
		 * the bot's global pace is the outbox's channel budget, so other chats go on. */
		out->retry_after_ms = (after > 0 ? after : 1) * 1000;
	} else if (status == 403) {
		out->outcome = SEND_BLOCKED;
	} else if (status == 400 || status == 401 || status == 404) {
		out->outcome = SEND_FAILED;
	}
	/* 409, 5xx and anything else: transient. */
	cJSON_Delete(root);
}

/* At most max bytes of s, never half a character (Telegram refuses invalid UTF-8). */
static char *utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

static cJSON *markup(const char *neutral)
{
	cJSON *kb = neutral ? cJSON_Parse(neutral) : NULL;
	const cJSON *rows = json_arr(kb, "rows");
	if (!rows) {
		cJSON_Delete(kb);
		return NULL;
	}
	int is_inline = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(kb, "inline"));
	cJSON *out = cJSON_CreateObject();
	cJSON *tg_rows = cJSON_AddArrayToObject(out, is_inline ? "inline_keyboard" : "keyboard");
	const cJSON *row;
	cJSON_ArrayForEach(row, rows)
	{
		cJSON *r = cJSON_CreateArray();
		const cJSON *b;
		cJSON_ArrayForEach(b, row)
		{
			const char *label = json_str(b, "label");
			const char *payload = json_str(b, "payload");
			const char *kind = json_str(b, "kind");
			if (!label)
				continue;
			cJSON *btn = cJSON_CreateObject();
			cJSON_AddStringToObject(btn, "text", label);
			if (is_inline) {
				/* callback_data is 1-64 bytes; a longer token falls back to the label
				 * text, which the customer would otherwise have typed. */
				const char *data = payload && strlen(payload) <= 64 ? payload : NULL;
				char *cut = data ? NULL : utf8_prefix(label, 60);
				cJSON_AddStringToObject(btn, "callback_data", data ? data : cut);
				free(cut);
			} else if (kind && strcmp(kind, "contact") == 0) {
				cJSON_AddBoolToObject(btn, "request_contact", 1);
			}
			cJSON_AddItemToArray(r, btn);
		}
		cJSON_AddItemToArray(tg_rows, r);
	}
	if (!is_inline) {
		cJSON_AddBoolToObject(out, "resize_keyboard", 1);
		cJSON_AddBoolToObject(out, "one_time_keyboard", 1);
	}
	cJSON_Delete(kb);
	return out;
}

char *tg_send_body(const struct outbox_row *row)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "chat_id", (double)row->peer_id);
	cJSON_AddStringToObject(o, "text", row->text ? row->text : "");
	if (row->reply_to > 0) {
		cJSON *rp = cJSON_AddObjectToObject(o, "reply_parameters");
		cJSON_AddNumberToObject(rp, "message_id", (double)row->reply_to);
		/* If the customer deleted their message, still answer. */
		cJSON_AddBoolToObject(rp, "allow_sending_without_reply", 1);
	}
	cJSON *m = markup(row->keyboard);
	if (m)
		cJSON_AddItemToObject(o, "reply_markup", m);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

int tg_file_parts(const struct outbox_row *row, const struct chan_outfile *f, char chat[32],
		  const char **method, struct http_part *parts)
{
	if (!f->data)
		return -1;
	snprintf(chat, 32, "%lld", (long long)row->peer_id);
	int n = 0;
	parts[n++] = (struct http_part){.name = "chat_id", .data = chat, .len = strlen(chat)};
	if (row->text && *row->text)
		parts[n++] = (struct http_part){.name = "caption", .data = row->text,
						.len = strlen(row->text)};
	*method = f->photo ? "sendPhoto" : "sendDocument";
	parts[n++] = (struct http_part){.name = f->photo ? "photo" : "document", .data = f->data,
					.len = f->len, .filename = f->name, .type = f->mime};
	return n;
}

char *tg_callback_body(const struct outbox_row *row)
{
	cJSON *extra = row->extra ? cJSON_Parse(row->extra) : NULL;
	const char *id = json_str(extra, "callback_id");
	char *s = NULL;
	if (id) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "callback_query_id", id);
		s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
	}
	cJSON_Delete(extra);
	return s;
}

int64_t tg_scan_update_id(const char *body)
{
	const char *p = strstr(body, "\"update_id\"");
	if (!p)
		return -1;
	p += 11;
	while (*p == ' ' || *p == ':')
		p++;
	char *end;
	long long id = strtoll(p, &end, 10);
	return end != p && id >= 0 ? id : -1;
}

char *tg_parse_file_path(const char *body, size_t len, int64_t *size)
{
	*size = -1;
	cJSON *root = body ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *result = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok"))
				      ? json_obj(root, "result")
				      : NULL;
	const char *path = json_str(result, "file_path");
	char *out = NULL;
	if (path && *path && path[0] != '/' && !strstr(path, "..") && !strpbrk(path, "?#\\%") &&
	    !strstr(path, "://") && strlen(path) < 512) {
		out = xstrdup(path);
		*size = json_int(result, "file_size", -1);
	}
	cJSON_Delete(root);
	return out;
}
