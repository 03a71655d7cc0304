/* VK wire formats (see vk_parse.h). Shapes follow ../shared/specs/vk.md. */
#include "vk_parse.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_batch.h"
#include "json_repair.h"
#include "json_util.h"
#include "log.h"
#include "xalloc.h"

#define VK_PEER_CHAT_BASE 2000000000LL

/* Our buttons carry {"p":"TOKEN"}; hand the dialog the token itself. Other payloads
 * (VK's own Start button sends {"command":"start"}) pass through as they are. */
static char *unwrap_payload(const char *payload)
{
	/* The payload is JSON inside a string: its own escapes get the same repair. */
	size_t n;
	char *fixed = json_repair(payload, strlen(payload), &n, NULL);
	cJSON *o = cJSON_Parse(fixed ? fixed : payload);
	free(fixed);
	const char *p = json_str(o, "p");
	char *result = xstrdup(p ? p : payload);
	cJSON_Delete(o);
	return result;
}

static void add_msg(struct vk_poll *p, struct chan_msg *m)
{
	p->msgs = xrealloc(p->msgs, (p->n_msgs + 1) * sizeof *p->msgs);
	p->msgs[p->n_msgs++] = *m;
}

static char *attachments_summary(const cJSON *message)
{
	const cJSON *atts = json_arr(message, "attachments");
	if (!atts || !cJSON_GetArraySize(atts))
		return NULL;
	struct buf b = {0};
	const cJSON *a;
	cJSON_ArrayForEach(a, atts)
	{
		const char *type = json_str(a, "type");
		if (!type)
			continue;
		if (b.len)
			buf_puts(&b, ",");
		buf_puts(&b, type);
	}
	return b.len ? buf_steal(&b) : (buf_free(&b), NULL);
}

/* The URL of the largest of an array of {"url","width","height"} (photo sizes, sticker
 * images), or NULL. */
static const char *largest_url(const cJSON *sizes)
{
	const char *url = NULL;
	double best = -1;
	const cJSON *s;
	cJSON_ArrayForEach(s, sizes)
	{
		double area = (double)json_int(s, "width", 0) * (double)json_int(s, "height", 0);
		const char *u = json_str(s, "url");
		if (u && area > best) {
			best = area;
			url = u;
		}
	}
	return url;
}

/* The files the console can show, each by the download URL VK puts in the message. */
static void read_files(const cJSON *message, struct chan_msg *m)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, json_arr(message, "attachments"))
	{
		const char *type = json_str(a, "type");
		const cJSON *o = type ? json_obj(a, type) : NULL;
		if (!o)
			continue;
		if (strcmp(type, "photo") == 0)
			chan_msg_add_file(m, "photo", largest_url(json_arr(o, "sizes")), NULL);
		else if (strcmp(type, "doc") == 0)
			chan_msg_add_file(m, "document", json_str(o, "url"), json_str(o, "title"));
		else if (strcmp(type, "audio_message") == 0)
			chan_msg_add_file(m, "voice", json_str(o, "link_ogg"), NULL);
		else if (strcmp(type, "sticker") == 0)
			chan_msg_add_file(m, "sticker", largest_url(json_arr(o, "images")), NULL);
	}
}

/* message_new: a customer's message. Returns 0 when it is one to answer. */
static int read_message_new(const cJSON *obj, const char *event_id, struct chan_msg *m)
{
	const cJSON *msg = json_obj(obj, "message");
	if (!msg)
		return -1; /* below API 5.103 the object was the bare message: unsupported */
	int64_t peer = json_int(msg, "peer_id", 0), from = json_int(msg, "from_id", 0);
	if (!peer || from <= 0 || json_int(msg, "out", 0) == 1)
		return 1; /* a community's or the bot's own message */
	int64_t id = json_int(msg, "id", 0), cmid = json_int(msg, "conversation_message_id", 0);
	char key[96];
	if (id > 0)
		snprintf(key, sizeof key, "m:%lld", (long long)id);
	else if (cmid > 0)
		snprintf(key, sizeof key, "c:%lld:%lld", (long long)peer, (long long)cmid);
	else if (event_id)
		snprintf(key, sizeof key, "e:%.80s", event_id);
	else
		return -1;
	*m = (struct chan_msg){0};
	m->channel = xstrdup("vk");
	m->dedup_key = xstrdup(key);
	m->peer_id = peer;
	m->user_id = from;
	m->message_id = id > 0 ? id : 0; /* never reply_to an id VK could not have given */
	m->date = json_int(msg, "date", 0);
	const char *text = json_str(msg, "text");
	m->text = xstrdup(text ? text : "");
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(msg, "payload");
	if (cJSON_IsString(payload))
		m->payload = unwrap_payload(payload->valuestring);
	m->attachments = attachments_summary(msg);
	read_files(msg, m);
	const cJSON *ci = json_obj(obj, "client_info");
	int64_t lang = json_int(ci, "lang_id", -1);
	if (lang == 0)
		m->lang = xstrdup("ru");
	else if (lang == 3)
		m->lang = xstrdup("en");
	return 0;
}

/* message_event: a callback button was pressed. */
static int read_message_event(const cJSON *obj, struct chan_msg *m)
{
	const char *cb_id = json_str(obj, "event_id");
	int64_t peer = json_int(obj, "peer_id", 0), user = json_int(obj, "user_id", 0);
	if (!cb_id || !peer || user <= 0)
		return -1;
	*m = (struct chan_msg){0};
	char key[96];
	snprintf(key, sizeof key, "e:%.80s", cb_id);
	m->channel = xstrdup("vk");
	m->dedup_key = xstrdup(key);
	m->peer_id = peer;
	m->user_id = user;
	m->text = xstrdup("");
	m->callback_id = xstrdup(cb_id);
	/* Documented as a string, delivered as an object when it was JSON: accept both. */
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(obj, "payload");
	if (cJSON_IsString(payload))
		m->payload = unwrap_payload(payload->valuestring);
	else if (payload && !cJSON_IsNull(payload)) {
		char *raw = cJSON_PrintUnformatted(payload);
		m->payload = unwrap_payload(raw);
		free(raw);
	}
	return 0;
}

/* wall_reply_new / _edit / _delete: a comment under one of the community's posts.
 * Returns 1 for the community's own comments (our public replies come back this way). */
static int read_wall_reply(const cJSON *obj, int event, const char *event_id,
			   struct chan_msg *m)
{
	int64_t id = json_int(obj, "id", 0), post = json_int(obj, "post_id", 0);
	int64_t owner = json_int(obj, "owner_id", json_int(obj, "post_owner_id", 0));
	/* A delete names who deleted it, not who wrote it. */
	int64_t from = event == WALL_DELETE ? json_int(obj, "deleter_id", 0)
					    : json_int(obj, "from_id", 0);
	if (id <= 0 || post <= 0 || !owner)
		return -1;
	if (from <= 0 && event != WALL_DELETE)
		return 1;
	char key[96];
	if (event == WALL_NEW)
		snprintf(key, sizeof key, "w:%lld:%lld", (long long)owner, (long long)id);
	else if (event == WALL_DELETE)
		snprintf(key, sizeof key, "wd:%lld:%lld", (long long)owner, (long long)id);
	else if (event_id) /* each edit is news; a replay of one edit is not */
		snprintf(key, sizeof key, "we:%.80s", event_id);
	else
		return -1;
	*m = (struct chan_msg){0};
	m->channel = xstrdup("vk");
	m->dedup_key = xstrdup(key);
	m->peer_id = from > 0 ? from : 0;
	m->user_id = from > 0 ? from : 0;
	m->date = json_int(obj, "date", 0);
	const char *text = json_str(obj, "text");
	m->text = xstrdup(text ? text : "");
	m->attachments = attachments_summary(obj);
	m->wall = (struct chan_wall){.event = event, .owner_id = owner, .post_id = post,
				     .comment_id = id,
				     .reply_to_comment = json_int(obj, "reply_to_comment", 0)};
	return 0;
}

static int wall_event_of(const char *type)
{
	if (strcmp(type, "wall_reply_new") == 0)
		return WALL_NEW;
	if (strcmp(type, "wall_reply_edit") == 0)
		return WALL_EDIT;
	if (strcmp(type, "wall_reply_delete") == 0)
		return WALL_DELETE;
	return WALL_NONE;
}

static void read_event(const cJSON *ev, struct vk_poll *p)
{
	const char *type = json_str(ev, "type");
	const cJSON *obj = json_obj(ev, "object");
	if (!type || !obj) {
		p->n_bad++;
		log_warn("vk: event without type or object skipped");
		return;
	}
	struct chan_msg m;
	int r;
	if (strcmp(type, "message_new") == 0)
		r = read_message_new(obj, json_str(ev, "event_id"), &m);
	else if (strcmp(type, "message_event") == 0)
		r = read_message_event(obj, &m);
	else if (wall_event_of(type) != WALL_NONE)
		r = read_wall_reply(obj, wall_event_of(type), json_str(ev, "event_id"), &m);
	else if (strcmp(type, "message_allow") == 0 || strcmp(type, "message_deny") == 0) {
		p->perms = xrealloc(p->perms, (p->n_perms + 1) * sizeof *p->perms);
		p->perms[p->n_perms].user_id = json_int(obj, "user_id", 0);
		p->perms[p->n_perms++].allowed = strcmp(type, "message_allow") == 0;
		r = 1;
	} else
		r = 1; /* message_reply (our own echo), edits, typing, joins...: not answered */
	if (r == 0)
		add_msg(p, &m);
	else if (r > 0)
		p->n_ignored++;
	else {
		p->n_bad++;
		log_warn("vk: %s event with missing fields skipped", type);
	}
}

/* An element found while resynchronising past a broken one is an event when it has
 * the envelope's fields (an attachment nested in the broken event has a "type" too). */
static int looks_like_event(const cJSON *item)
{
	return json_str(item, "type") && cJSON_GetObjectItemCaseSensitive(item, "object");
}

static void log_bad_event(const char *text, const struct json_element *e, size_t index,
			  size_t n, const char *ts)
{
	char excerpt[96];
	log_warn("vk: event %zu of %zu in the answer for ts %s is unreadable (%zu bytes at "
		 "offset %zu: %s); skipping its events: this one only, the others are kept",
		 index + 1, n, ts ? ts : "?", e->len, e->offset,
		 json_excerpt(text + e->offset, e->len, 80, excerpt, sizeof excerpt));
}

void vk_parse_poll(const char *body, size_t len, struct vk_poll *out)
{
	*out = (struct vk_poll){.kind = VK_POLL_MALFORMED};
	struct json_batch b;
	if (json_batch_read(body, len, "updates", looks_like_event, "vk", "a long-poll answer", &b) < 0)
		return;
	const char *text = b.text;
	const cJSON *root = b.envelope;
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "ts");
	if (cJSON_IsString(ts))
		out->ts = xstrdup(ts->valuestring);
	else if (cJSON_IsNumber(ts) && json_int(root, "ts", -1) >= 0)
		out->ts = xasprintf("%lld", (long long)json_int(root, "ts", 0));
	const cJSON *failed = cJSON_GetObjectItemCaseSensitive(root, "failed");
	if (failed) {
		out->kind = VK_POLL_FAILED;
		out->failed = (int)json_int(root, "failed", 0);
	} else if (b.has_array && out->ts) {
		out->kind = VK_POLL_UPDATES;
		for (size_t i = 0; i < b.n; i++) {
			const cJSON *ev = b.elements[i].item;
			if (cJSON_IsObject(ev)) {
				read_event(ev, out);
				continue;
			}
			out->n_bad++;
			if (!ev)
				log_bad_event(text, &b.elements[i], i, b.n, out->ts);
			else
				log_warn("vk: event %zu of %zu is not an object; skipped", i + 1, b.n);
		}
	}
	json_batch_free(&b);
}

enum vk_hook_kind vk_parse_hook(const char *body, size_t len, int64_t group_id,
				const char *secret, struct vk_poll *out)
{
	*out = (struct vk_poll){.kind = VK_POLL_MALFORMED};
	cJSON *ev = hook_read_json(body, len, "vk");
	if (!ev)
		return VK_HOOK_MALFORMED;
	enum vk_hook_kind kind = VK_HOOK_EVENT;
	const char *type = json_str(ev, "type");
	if (json_int(ev, "group_id", 0) != group_id)
		kind = VK_HOOK_OTHER_GROUP;
	else if (!hook_secret_equal(json_str(ev, "secret"), secret))
		kind = VK_HOOK_FORBIDDEN;
	else if (type && strcmp(type, "confirmation") == 0)
		kind = VK_HOOK_CONFIRMATION;
	else {
		out->kind = VK_POLL_UPDATES;
		read_event(ev, out);
	}
	cJSON_Delete(ev);
	return kind;
}

void vk_poll_free(struct vk_poll *p)
{
	for (size_t i = 0; i < p->n_msgs; i++)
		chan_msg_free(&p->msgs[i]);
	free(p->msgs);
	free(p->perms);
	free(p->ts);
	*p = (struct vk_poll){0};
}

int vk_parse_lp_server(const char *body, char **server, char **key, char **ts, int *error)
{
	*server = *key = *ts = NULL;
	*error = -1;
	cJSON *root = cJSON_Parse(body);
	const cJSON *resp = json_obj(root, "response");
	const cJSON *err = json_obj(root, "error");
	int result = -1;
	if (resp && json_str(resp, "server") && json_str(resp, "key")) {
		*server = json_strdup(resp, "server");
		*key = json_strdup(resp, "key");
		int64_t t = json_int(resp, "ts", -1);
		*ts = t >= 0 ? xasprintf("%lld", (long long)t) : NULL;
		*error = 0;
		result = 0;
	} else if (err) {
		*error = (int)json_int(err, "error_code", -1);
	}
	cJSON_Delete(root);
	return result;
}

void vk_classify_send(long status, int transport_error, const char *body,
		      struct send_result *out)
{
	*out = (struct send_result){.outcome = SEND_RETRY, .code = (int)status};
	if (transport_error || status == 0) {
		snprintf(out->reason, sizeof out->reason, "transport error %d", transport_error);
		return;
	}
	if (status != 200) {
		snprintf(out->reason, sizeof out->reason, "HTTP %ld", status);
		return;
	}
	cJSON *root = cJSON_Parse(body);
	const cJSON *resp = root ? cJSON_GetObjectItemCaseSensitive(root, "response") : NULL;
	const cJSON *err = json_obj(root, "error");
	if (resp) {
		out->outcome = SEND_OK;
		out->code = 0;
		out->channel_msg_id = cJSON_IsNumber(resp) ? (int64_t)resp->valuedouble : 0;
		snprintf(out->reason, sizeof out->reason, "ok");
	} else if (err) {
		int code = (int)json_int(err, "error_code", -1);
		out->code = code;
		const char *msg = json_str(err, "error_msg");
		snprintf(out->reason, sizeof out->reason, "VK error %d: %.120s", code,
			 msg ? msg : "");
		switch (code) {
		case 6: /* too many requests per second: the whole channel waits */
			out->retry_after_ms = 1100;
			out->pause_channel_ms = 1100;
			break;
		case 9: /* flood control: not soon */
			out->retry_after_ms = 120000;
			break;
		case 29: /* method quota */
			out->retry_after_ms = 600000;
			out->pause_channel_ms = 60000;
			break;
		case 14: /* captcha */
			out->retry_after_ms = 60000;
			break;
		case 1:
		case 10:
			break; /* transient: backoff */
		case 18:
		case 900:
		case 901:
		case 902:
			out->outcome = SEND_BLOCKED;
			break;
		default:
			out->outcome = SEND_FAILED;
		}
	} else {
		snprintf(out->reason, sizeof out->reason, "malformed answer");
	}
	cJSON_Delete(root);
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static char *utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return xstrdup(s);
	while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return xstrndup(s, max);
}

char *vk_keyboard(const char *neutral)
{
	if (!neutral)
		return NULL;
	cJSON *kb = cJSON_Parse(neutral);
	const cJSON *rows = json_arr(kb, "rows");
	if (!rows) {
		cJSON_Delete(kb);
		return NULL;
	}
	int is_inline = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(kb, "inline"));
	cJSON *out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "one_time", 0);
	cJSON_AddBoolToObject(out, "inline", is_inline);
	cJSON *buttons = cJSON_AddArrayToObject(out, "buttons");
	const cJSON *row;
	int n_rows = 0;
	int max_rows = is_inline ? 6 : 10;
	cJSON_ArrayForEach(row, rows)
	{
		if (n_rows++ >= max_rows)
			break;
		cJSON *vrow = cJSON_CreateArray();
		const cJSON *b;
		int n_in_row = 0;
		cJSON_ArrayForEach(b, row)
		{
			if (n_in_row++ >= 5)
				break;
			const char *label = json_str(b, "label");
			const char *payload = json_str(b, "payload");
			const char *kind = json_str(b, "kind");
			if (!label)
				continue;
			cJSON *btn = cJSON_CreateObject();
			cJSON *action = cJSON_AddObjectToObject(btn, "action");
			int callback = kind && strcmp(kind, "callback") == 0 && is_inline;
			cJSON_AddStringToObject(action, "type", callback ? "callback" : "text");
			char *l = utf8_cut(label, 40);
			cJSON_AddStringToObject(action, "label", l);
			/* VK payloads are JSON strings of at most 255 bytes. */
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "p", payload ? payload : l);
			free(l);
			char *ps = cJSON_PrintUnformatted(p);
			if (strlen(ps) <= 255)
				cJSON_AddStringToObject(action, "payload", ps);
			free(ps);
			cJSON_Delete(p);
			cJSON_AddStringToObject(btn, "color", "secondary");
			cJSON_AddItemToArray(vrow, btn);
		}
		cJSON_AddItemToArray(buttons, vrow);
	}
	char *s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	cJSON_Delete(kb);
	return s;
}

int64_t vk_random_id(int64_t salt, int64_t row_id)
{
	const int64_t range = 2147483646; /* values 1..2^31-1 */
	int64_t v = ((salt % range) + (row_id % range)) % range;
	return v + 1;
}

char *vk_scan_ts(const char *body)
{
	/* VK writes "ts" first: {"ts":"1344","updates":[...]}. Only look there, before
	 * any event could contain a field of the same name. */
	const char *p = strstr(body, "\"ts\"");
	if (!p || p - body > 16)
		return NULL;
	p += 4;
	while (*p == ' ' || *p == ':' || *p == '"')
		p++;
	size_t n = strspn(p, "0123456789");
	return n && n < 20 ? xstrndup(p, n) : NULL;
}

const char *vk_upload_server_call(int photo, int64_t peer_id, struct buf *form)
{
	if (photo) {
		buf_printf(form, "&peer_id=%lld", (long long)peer_id);
		return "photos.getMessagesUploadServer";
	}
	buf_printf(form, "&type=doc&peer_id=%lld", (long long)peer_id);
	return "docs.getMessagesUploadServer";
}

const char *vk_upload_field(int photo)
{
	return photo ? "photo" : "file";
}

char *vk_parse_upload_url(const char *body)
{
	cJSON *root = body ? cJSON_Parse(body) : NULL;
	const char *url = json_str(json_obj(root, "response"), "upload_url");
	char *out = url && *url ? xstrdup(url) : NULL;
	cJSON_Delete(root);
	return out;
}

const char *vk_save_call(int photo, const char *upload_answer, const char *title,
			 struct buf *form)
{
	cJSON *root = upload_answer ? cJSON_Parse(upload_answer) : NULL;
	const char *method = NULL;
	if (photo) {
		const cJSON *server = cJSON_GetObjectItemCaseSensitive(root, "server");
		const char *ph = json_str(root, "photo"), *hash = json_str(root, "hash");
		if (cJSON_IsNumber(server) && ph && *ph && strcmp(ph, "[]") != 0 && hash) {
			buf_printf(form, "&server=%lld&photo=", (long long)server->valuedouble);
			buf_url_encode(form, ph);
			buf_puts(form, "&hash=");
			buf_url_encode(form, hash);
			method = "photos.saveMessagesPhoto";
		}
	} else {
		const char *file = json_str(root, "file");
		if (file && *file) {
			buf_puts(form, "&file=");
			buf_url_encode(form, file);
			buf_puts(form, "&title=");
			buf_url_encode(form, title ? title : "");
			method = "docs.save";
		}
	}
	cJSON_Delete(root);
	return method;
}

int vk_parse_saved(int photo, const char *body, char *out, size_t outlen)
{
	cJSON *root = body ? cJSON_Parse(body) : NULL;
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(root, "response");
	const cJSON *obj = NULL;
	if (photo)
		obj = cJSON_IsArray(resp) ? cJSON_GetArrayItem(resp, 0) : NULL;
	else
		obj = json_obj(resp, "doc");
	int64_t id = json_int(obj, "id", 0), owner = json_int(obj, "owner_id", 0);
	int r = -1;
	if (id && owner) {
		snprintf(out, outlen, "%s%lld_%lld", photo ? "photo" : "doc", (long long)owner,
			 (long long)id);
		r = 0;
	}
	cJSON_Delete(root);
	return r;
}
