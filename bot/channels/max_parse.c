/* MAX wire formats (see max_parse.h). Shapes follow ../shared/specs/max.md. */
#include "max_parse.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_batch.h"
#include "json_util.h"
#include "log.h"
#include "names.h"
#include "xalloc.h"

/* Keyboard limits (spec section 4). */
#define MAX_ROWS 30
#define MAX_PER_ROW 7
#define MAX_PER_ROW_SPECIAL 3 /* request_contact, link, ... */
#define MAX_BUTTONS 210
#define MAX_LABEL_CHARS 128
#define MAX_PAYLOAD_BYTES 1024

static void add_msg(struct max_updates *u, struct chan_msg *m)
{
	u->msgs = xrealloc(u->msgs, (u->n_msgs + 1) * sizeof *u->msgs);
	u->msgs[u->n_msgs++] = *m;
}

static void add_block(struct max_updates *u, int64_t peer, int blocked)
{
	u->blocks = xrealloc(u->blocks, (u->n_blocks + 1) * sizeof *u->blocks);
	u->blocks[u->n_blocks++] = (struct max_block){.peer = peer, .blocked = blocked};
}

static char *display_name(const cJSON *user)
{
	const char *first = json_str(user, "first_name"), *last = json_str(user, "last_name");
	if (!first && !last)
		return json_strdup(user, "name");
	return xasprintf("%s%s%s", first ? first : "", first && last ? " " : "", last ? last : "");
}

/* Who wrote, from a User object; 0 when it has no usable user_id. */
static int64_t fill_user(struct chan_msg *m, const cJSON *user, const cJSON *up)
{
	m->user_id = json_int(user, "user_id", 0);
	m->display_name = display_name(user);
	m->username = json_strdup(user, "username");
	const char *lang = json_str(up, "user_locale");
	if (lang && strlen(lang) >= 2)
		m->lang = xstrndup(lang, 2);
	return m->user_id;
}

static struct chan_msg new_msg(const char *kind, const char *id)
{
	struct chan_msg m = {0};
	m.channel = xstrdup(CHANNEL_MAX);
	m.dedup_key = xasprintf("%s:%s", kind, id);
	return m;
}

/* The TEL line of a vCard: the digits and a leading '+', or NULL. */
static char *vcard_phone(const char *vcf)
{
	for (const char *p = vcf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "TEL", 3) != 0)
			continue;
		const char *colon = strchr(p, ':');
		const char *eol = strchr(p, '\n');
		if (!colon || (eol && colon > eol))
			continue;
		struct buf b = {0};
		for (const char *c = colon + 1; *c && *c != '\n' && *c != '\r'; c++)
			if ((*c >= '0' && *c <= '9') || (*c == '+' && b.len == 0))
				buf_append(&b, c, 1);
		if (b.len >= 5)
			return buf_steal(&b);
		buf_free(&b);
	}
	return NULL;
}

/* A file the console can show, by the download URL in its payload. */
static void read_file(const cJSON *a, const char *type, struct chan_msg *m)
{
	static const struct {
		const char *type, *kind;
	} kinds[] = {{"image", "photo"}, {"file", "document"}, {"audio", "voice"},
		     {"sticker", "sticker"}};
	const cJSON *payload = json_obj(a, "payload");
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(type, kinds[i].type) == 0)
			chan_msg_add_file(m, kinds[i].kind, json_str(payload, "url"),
					  json_str(a, "filename"));
}

/* The attachment kinds as a short summary, and the customer's own contact's phone. */
static void read_attachments(const cJSON *body, struct chan_msg *m)
{
	const cJSON *list = json_arr(body, "attachments");
	struct buf b = {0};
	const cJSON *a;
	cJSON_ArrayForEach(a, list)
	{
		const char *type = json_str(a, "type");
		if (!type || strcmp(type, "inline_keyboard") == 0 || strlen(type) > 32)
			continue;
		if (!strstr(b.data ? b.data : "", type))
			buf_printf(&b, "%s%s", b.len ? "," : "", type);
		read_file(a, type, m);
		if (strcmp(type, "contact") != 0 || m->contact_phone)
			continue;
		const cJSON *payload = json_obj(a, "payload");
		/* Only the customer's own card counts as their contact (max_info names its
		 * account); a forwarded card of someone else does not. */
		int64_t owner = json_int(json_obj(payload, "max_info"), "user_id", 0);
		if (owner == m->user_id)
			m->contact_phone = vcard_phone(json_str(payload, "vcf_info"));
	}
	m->attachments = b.len ? buf_steal(&b) : (buf_free(&b), NULL);
}

/* Where replies to a message or button go: the user in a dialog, the chat (negative
 * id) in a group chat; 0 for anything else (channels), which is not answered. */
static int64_t reply_peer(const cJSON *recipient, int64_t user_id)
{
	const char *type = json_str(recipient, "chat_type");
	if (!type || strcmp(type, "dialog") == 0)
		return user_id;
	int64_t chat = json_int(recipient, "chat_id", 0);
	return strcmp(type, "chat") == 0 && chat < 0 ? chat : 0;
}

/* Returns 0 when m is a customer's message to answer, 1 when it is to be ignored, -1
 * when fields the API promises are missing. */
static int read_message(const cJSON *up, struct chan_msg *m)
{
	const cJSON *msg = json_obj(up, "message");
	const cJSON *sender = json_obj(msg, "sender");
	const cJSON *body = json_obj(msg, "body");
	if (!msg || !body)
		return -1;
	if (!sender || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sender, "is_bot")))
		return 1; /* a channel post or a bot's message, ours included */
	const char *mid = json_str(body, "mid");
	int64_t user = json_int(sender, "user_id", 0);
	if (!mid || !*mid || user <= 0)
		return -1;
	int64_t peer = reply_peer(json_obj(msg, "recipient"), user);
	if (!peer)
		return 1;
	*m = new_msg("m", mid);
	fill_user(m, sender, up);
	m->peer_id = peer;
	m->message_id = json_int(body, "seq", 0);
	m->date = json_int(msg, "timestamp", json_int(up, "timestamp", 0)) / 1000;
	const char *text = json_str(body, "text");
	m->text = xstrdup(text ? text : "");
	read_attachments(body, m);
	return 0;
}

static int read_callback(const cJSON *up, struct chan_msg *m)
{
	const cJSON *cb = json_obj(up, "callback");
	const char *id = json_str(cb, "callback_id");
	const cJSON *user = json_obj(cb, "user");
	int64_t uid = json_int(user, "user_id", 0);
	if (!id || !*id || uid <= 0)
		return -1;
	/* The message that carried the keyboard may be gone: then it was a dialog. */
	int64_t peer = reply_peer(json_obj(json_obj(up, "message"), "recipient"), uid);
	if (!peer)
		return 1;
	*m = new_msg("c", id);
	fill_user(m, user, up);
	m->peer_id = peer;
	m->date = json_int(cb, "timestamp", json_int(up, "timestamp", 0)) / 1000;
	m->text = xstrdup("");
	m->callback_id = xstrdup(id);
	m->payload = json_strdup(cb, "payload");
	return 0;
}

/* Pressing Start (again) is the dialog's first message, as Telegram's /start is. */
static int read_started(const cJSON *up, struct max_updates *u, struct chan_msg *m)
{
	const cJSON *user = json_obj(up, "user");
	int64_t uid = json_int(user, "user_id", 0);
	int64_t at = json_int(up, "timestamp", 0);
	if (uid <= 0 || at <= 0)
		return -1;
	char id[64];
	snprintf(id, sizeof id, "%lld:%lld", (long long)uid, (long long)at);
	add_block(u, uid, 0);
	*m = new_msg("s", id);
	fill_user(m, user, up);
	m->peer_id = uid;
	m->date = at / 1000;
	m->text = xstrdup("/start");
	return 0;
}

static void read_update(const cJSON *up, struct max_updates *u)
{
	const char *type = json_str(up, "update_type");
	if (!type) {
		u->n_bad++;
		log_warn("max: update without update_type skipped");
		return;
	}
	struct chan_msg m;
	int r = 1;
	if (strcmp(type, "message_created") == 0)
		r = read_message(up, &m);
	else if (strcmp(type, "message_callback") == 0)
		r = read_callback(up, &m);
	else if (strcmp(type, "bot_started") == 0)
		r = read_started(up, u, &m);
	else if (strcmp(type, "bot_stopped") == 0 || strcmp(type, "dialog_removed") == 0) {
		int64_t uid = json_int(json_obj(up, "user"), "user_id", 0);
		if (uid > 0)
			add_block(u, uid, 1);
	}
	/* message_edited, message_removed, membership and anything unknown: not answered. */
	if (r == 0)
		add_msg(u, &m);
	else if (r > 0)
		u->n_ignored++;
	else {
		u->n_bad++;
		log_warn("max: %.40s update with missing fields skipped", type);
	}
}

static int looks_like_update(const cJSON *item)
{
	return cJSON_GetObjectItemCaseSensitive(item, "update_type") != NULL;
}

static void skip_bad(const char *text, const struct json_element *e, size_t index, size_t n,
		     struct max_updates *u)
{
	char excerpt[96];
	u->n_bad++;
	log_warn("max: update %zu of %zu in the answer is unreadable (%zu bytes at offset %zu: "
		 "%s); skipping it, the others are kept",
		 index + 1, n, e->len, e->offset,
		 json_excerpt(text + e->offset, e->len, 80, excerpt, sizeof excerpt));
}

void max_parse_updates(const char *body, size_t len, struct max_updates *out)
{
	*out = (struct max_updates){0};
	struct json_batch b;
	if (json_batch_read(body, len, "updates", looks_like_update, "max", "a /updates answer", &b) < 0)
		return;
	const char *text = b.text;
	const cJSON *root = b.envelope;
	if (b.has_array) {
		out->ok = 1;
		int64_t marker = json_int(root, "marker", 0);
		out->marker = marker > 0 ? marker : 0;
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
		const char *code = json_str(root, "code");
		snprintf(out->error_code, sizeof out->error_code, "%s", code ? code : "");
	}
	json_batch_free(&b);
}

int max_parse_update(const char *body, size_t len, struct max_updates *out)
{
	*out = (struct max_updates){0};
	cJSON *up = hook_read_json(body, len, "max");
	if (!up)
		return -1;
	out->ok = 1;
	read_update(up, out);
	cJSON_Delete(up);
	return 0;
}

void max_updates_free(struct max_updates *u)
{
	for (size_t i = 0; i < u->n_msgs; i++)
		chan_msg_free(&u->msgs[i]);
	free(u->msgs);
	free(u->blocks);
	*u = (struct max_updates){0};
}

int64_t max_scan_marker(const char *body, size_t len)
{
	static const char key[] = "\"marker\"";
	int64_t found = -1;
	for (size_t i = 0; i + sizeof key - 1 < len; i++) {
		if (memcmp(body + i, key, sizeof key - 1) != 0)
			continue;
		size_t p = i + sizeof key - 1;
		while (p < len && (body[p] == ' ' || body[p] == ':'))
			p++;
		int64_t v = 0;
		size_t digits = 0;
		while (p < len && body[p] >= '0' && body[p] <= '9' && digits < 18)
			v = v * 10 + (body[p++] - '0'), digits++;
		if (digits && v > 0)
			found = v;
	}
	return found;
}

void max_classify_send(long status, int transport_error, const char *body, int answer,
		       struct send_result *out)
{
	*out = (struct send_result){.outcome = SEND_RETRY, .code = (int)status};
	if (transport_error || status == 0) {
		snprintf(out->reason, sizeof out->reason, "transport error %d", transport_error);
		return;
	}
	cJSON *root = cJSON_Parse(body);
	const char *code = json_str(root, "code");
	const char *msg = json_str(root, "message");
	if (status == 200) {
		const cJSON *sent = json_obj(root, "message");
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "success");
		if ((!answer && sent) || (answer && cJSON_IsTrue(ok))) {
			out->outcome = SEND_OK;
			out->code = 0;
			out->channel_msg_id = json_int(json_obj(sent, "body"), "seq", 0);
			snprintf(out->reason, sizeof out->reason, "ok");
		} else if (answer && cJSON_IsFalse(ok)) {
			/* A stale callback id and the like: nothing to retry. */
			out->outcome = SEND_FAILED;
			snprintf(out->reason, sizeof out->reason, "HTTP 200: success false: %.100s",
				 msg ? msg : "no message");
		} else {
			snprintf(out->reason, sizeof out->reason, "HTTP 200: %s",
				 root ? "no message in the answer" : "not JSON");
		}
		cJSON_Delete(root);
		return;
	}
	snprintf(out->reason, sizeof out->reason, "HTTP %ld: %.40s: %.100s", status,
		 code ? code : "-", msg ? msg : (root ? "no message" : "not JSON"));
	if (status == 429) {
		/* The limit is the bot's (30 requests a second), not one chat's: the whole
		 * channel waits a moment and then goes on at the outbox's pace. */
		out->retry_after_ms = 1000;
		out->pause_channel_ms = 1000;
	} else if (status == 400 && code && strcmp(code, "attachment.not.ready") == 0) {
		out->retry_after_ms = 2000; /* uploads are processed asynchronously */
	} else if (status == 403) {
		out->outcome = answer ? SEND_FAILED : SEND_BLOCKED;
	} else if (status == 400 || status == 401 || status == 404 || status == 405) {
		out->outcome = SEND_FAILED;
	}
	/* 5xx and anything else: transient. */
	cJSON_Delete(root);
}

const char *max_send_query(int64_t peer, char *out, size_t cap)
{
	snprintf(out, cap, "%s=%lld", peer < 0 ? "chat_id" : "user_id", (long long)peer);
	return out;
}

/* At most max_chars characters and max_bytes bytes of s, never half a character. */
static char *utf8_prefix(const char *s, size_t max_chars, size_t max_bytes)
{
	size_t n = 0, chars = 0;
	while (s[n] && chars < max_chars) {
		size_t next = n + 1;
		while (s[next] && ((unsigned char)s[next] & 0xC0) == 0x80)
			next++;
		if (next > max_bytes)
			break;
		n = next;
		chars++;
	}
	return xstrndup(s, n);
}

static cJSON *button(const cJSON *b, int is_inline, int *special)
{
	const char *label = json_str(b, "label");
	const char *payload = json_str(b, "payload");
	const char *kind = json_str(b, "kind");
	if (!label || !*label)
		return NULL;
	cJSON *btn = cJSON_CreateObject();
	char *text = utf8_prefix(label, MAX_LABEL_CHARS, 4 * MAX_LABEL_CHARS);
	*special = kind && strcmp(kind, "contact") == 0;
	if (*special) {
		cJSON_AddStringToObject(btn, "type", "request_contact");
	} else if (is_inline) {
		/* A payload past the limit falls back to the label, which the customer
		 * would otherwise have typed. */
		int fits = payload && *payload && strlen(payload) <= MAX_PAYLOAD_BYTES;
		cJSON_AddStringToObject(btn, "type", "callback");
		cJSON_AddStringToObject(btn, "payload", fits ? payload : text);
	} else {
		/* A reply-keyboard button: MAX's "message" button sends its text as the
		 * customer, as Telegram's keyboard buttons do. */
		cJSON_AddStringToObject(btn, "type", "message");
	}
	cJSON_AddStringToObject(btn, "text", text);
	free(text);
	return btn;
}

/* The inline_keyboard attachment for a neutral keyboard, or NULL. Rows longer than
 * MAX allows wrap; buttons past the keyboard's limits are left out. */
static cJSON *keyboard(const char *neutral)
{
	cJSON *kb = neutral ? cJSON_Parse(neutral) : NULL;
	const cJSON *rows = json_arr(kb, "rows");
	if (!rows) {
		cJSON_Delete(kb);
		return NULL;
	}
	int is_inline = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(kb, "inline"));
	cJSON *att = cJSON_CreateObject();
	cJSON_AddStringToObject(att, "type", "inline_keyboard");
	cJSON *out_rows = cJSON_AddArrayToObject(cJSON_AddObjectToObject(att, "payload"),
						 "buttons");
	int n_rows = 0, n_buttons = 0;
	const cJSON *row;
	cJSON_ArrayForEach(row, rows)
	{
		cJSON *r = NULL;
		int in_row = 0, special_in_row = 0;
		const cJSON *b;
		cJSON_ArrayForEach(b, row)
		{
			int special = 0;
			if (n_buttons >= MAX_BUTTONS)
				break;
			cJSON *btn = button(b, is_inline, &special);
			if (!btn)
				continue;
			int limit = special_in_row || special ? MAX_PER_ROW_SPECIAL : MAX_PER_ROW;
			if (r && in_row >= limit) {
				cJSON_AddItemToArray(out_rows, r);
				r = NULL;
			}
			if (!r) {
				if (n_rows >= MAX_ROWS) {
					cJSON_Delete(btn);
					break;
				}
				r = cJSON_CreateArray();
				n_rows++;
				in_row = special_in_row = 0;
			}
			cJSON_AddItemToArray(r, btn);
			in_row++;
			special_in_row += special;
			n_buttons++;
		}
		if (r)
			cJSON_AddItemToArray(out_rows, r);
	}
	cJSON_Delete(kb);
	if (!n_buttons) {
		cJSON_Delete(att);
		return NULL;
	}
	return att;
}

char *max_send_body(const struct outbox_row *row)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "text", row->text ? row->text : "");
	cJSON *kb = keyboard(row->keyboard);
	if (kb)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "attachments"), kb);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

char *max_answer_body(const struct outbox_row *row, char **callback_id)
{
	*callback_id = NULL;
	cJSON *extra = row->extra ? cJSON_Parse(row->extra) : NULL;
	const char *id = json_str(extra, "callback_id");
	char *s = NULL;
	if (id && *id) {
		cJSON *o = cJSON_CreateObject();
		/* An answer needs a notification or a message (spec section 5); the
		 * acknowledgement itself has no words, so it is a check mark. */
		cJSON_AddStringToObject(o, "notification",
					row->text && *row->text ? row->text : "\u2713");
		s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		*callback_id = xstrdup(id);
	}
	cJSON_Delete(extra);
	return s;
}

const char *max_upload_type(int photo)
{
	return photo ? "image" : "file";
}

const char *max_upload_field(void)
{
	return "data";
}

char *max_parse_upload_url(const char *body)
{
	cJSON *root = body ? cJSON_Parse(body) : NULL;
	const char *url = json_str(root, "url");
	char *out = url && *url ? xstrdup(url) : NULL;
	cJSON_Delete(root);
	return out;
}

char *max_parse_upload_token(const char *body)
{
	cJSON *root = body ? cJSON_Parse(body) : NULL;
	const char *token = json_str(root, "token");
	const cJSON *photos = json_obj(root, "photos");
	if (!token && photos && photos->child)
		token = json_str(photos->child, "token");
	char *out = token && *token ? xstrdup(token) : NULL;
	cJSON_Delete(root);
	return out;
}

char *max_file_body(const struct outbox_row *row, int photo, const char *token)
{
	cJSON *o = cJSON_CreateObject();
	if (row->text && *row->text)
		cJSON_AddStringToObject(o, "text", row->text);
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", max_upload_type(photo));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "payload"), "token", token);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "attachments"), a);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}
