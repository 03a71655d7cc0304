/* VK execute batching (see vk_execute.h). */
#include "vk_execute.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_util.h"
#include "vk_parse.h"
#include "xalloc.h"

char *vk_execute_code(int64_t salt, const struct outbox_row *const *rows, size_t n)
{
	struct buf b = {0};
	buf_puts(&b, "return [");
	for (size_t i = 0; i < n; i++) {
		const struct outbox_row *row = rows[i];
		cJSON *a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "peer_id", (double)row->peer_id);
		cJSON_AddNumberToObject(a, "random_id", (double)vk_random_id(salt, row->id));
		if (row->reply_to > 0)
			cJSON_AddNumberToObject(a, "reply_to", (double)row->reply_to);
		cJSON_AddStringToObject(a, "message", row->text ? row->text : "");
		char *kb = vk_keyboard(row->keyboard);
		if (kb) {
			cJSON_AddStringToObject(a, "keyboard", kb); /* a JSON string, as on a single send */
			free(kb);
		}
		char *args = cJSON_PrintUnformatted(a);
		cJSON_Delete(a);
		buf_printf(&b, "%sAPI.messages.send(%s)", i ? "," : "", args);
		free(args);
	}
	buf_puts(&b, "];");
	return b.data;
}

static void part(struct buf *b, const char *boundary, const char *name, const char *value)
{
	buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n", boundary,
		   name);
	buf_puts(b, value);
	buf_puts(b, "\r\n");
}

char *vk_execute_body(const char *token, const char *api_version, const char *code,
		      char *ctype, size_t ctype_len, size_t *len)
{
	/* A boundary that none of the values contains (texts are ours, but may quote a
	 * customer): a counter mixed into a fixed prefix, tried until it is absent. */
	char boundary[64];
	for (unsigned k = 0;; k++) {
		snprintf(boundary, sizeof boundary, "deskbot-execute-%08x%04x",
			 (unsigned)(strlen(code) * 2654435761u), k);
		if (!strstr(code, boundary) && !strstr(token, boundary))
			break;
	}
	struct buf b = {0};
	part(&b, boundary, "access_token", token);
	part(&b, boundary, "v", api_version);
	part(&b, boundary, "code", code);
	buf_printf(&b, "--%s--\r\n", boundary);
	snprintf(ctype, ctype_len, "multipart/form-data; boundary=%s", boundary);
	*len = b.len;
	return b.data;
}

/* Classifies one failed call exactly as the same error on a single send. */
static void classify_error(const cJSON *e, struct send_result *out)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *err = cJSON_AddObjectToObject(body, "error");
	cJSON_AddNumberToObject(err, "error_code", (double)json_int(e, "error_code", 10));
	const char *msg = json_str(e, "error_msg");
	cJSON_AddStringToObject(err, "error_msg", msg ? msg : "failed inside execute");
	char *text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	vk_classify_send(200, 0, text, out);
	free(text);
}

static void all_same(struct send_result *out, size_t n, const struct send_result *r)
{
	for (size_t i = 0; i < n; i++)
		out[i] = *r;
}

void vk_execute_parse(long status, int transport_error, const char *body, size_t n,
		      struct send_result *out, int *refused)
{
	*refused = 0;
	struct send_result top;
	cJSON *root = status == 200 && !transport_error && body ? cJSON_Parse(body) : NULL;
	const cJSON *resp = root ? cJSON_GetObjectItemCaseSensitive(root, "response") : NULL;
	if (!cJSON_IsArray(resp)) {
		/* Nothing ran (or we cannot tell): every call gets what the request got. */
		vk_classify_send(status, transport_error, body ? body : "", &top);
		if (top.outcome == SEND_OK) {
			top.outcome = SEND_RETRY; /* {"response": not an array}: not an answer */
			snprintf(top.reason, sizeof top.reason, "execute answer without a results array");
		}
		if (top.code == 12 || top.code == 13) {
			*refused = 1;
			top.outcome = SEND_RETRY; /* at once, singly */
			top.retry_after_ms = 1;
		}
		all_same(out, n, &top);
		cJSON_Delete(root);
		return;
	}
	const cJSON *errors = json_arr(root, "execute_errors");
	const cJSON *next_err = errors ? errors->child : NULL;
	const cJSON *slot = resp->child;
	for (size_t i = 0; i < n; i++) {
		struct send_result *r = &out[i];
		*r = (struct send_result){.outcome = SEND_RETRY};
		if (!slot) {
			snprintf(r->reason, sizeof r->reason, "execute answered %d of %zu calls",
				 cJSON_GetArraySize(resp), n);
			continue;
		}
		if (cJSON_IsFalse(slot)) {
			if (next_err) {
				classify_error(next_err, r);
				next_err = next_err->next;
			} else {
				snprintf(r->reason, sizeof r->reason, "call failed inside execute "
					 "without an error entry");
			}
		} else if (cJSON_IsNumber(slot)) {
			r->outcome = SEND_OK;
			r->channel_msg_id = (int64_t)slot->valuedouble;
			snprintf(r->reason, sizeof r->reason, "ok");
		} else {
			/* messages.send with peer_ids answers objects; we never send that. */
			r->outcome = SEND_OK;
			snprintf(r->reason, sizeof r->reason, "ok");
		}
		slot = slot->next;
	}
	cJSON_Delete(root);
}
