/* Inbound message and reply helpers (see message.h). */
#include "message.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "xalloc.h"

void chan_msg_free(struct chan_msg *m)
{
	if (!m)
		return;
	free(m->channel);
	free(m->dedup_key);
	free(m->text);
	free(m->payload);
	free(m->callback_id);
	free(m->contact_phone);
	free(m->attachments);
	for (size_t i = 0; i < m->n_files; i++) {
		free(m->files[i].kind);
		free(m->files[i].ref);
		free(m->files[i].name);
	}
	free(m->files);
	free(m->display_name);
	free(m->username);
	free(m->lang);
}

void chan_msg_add_file(struct chan_msg *m, const char *kind, const char *ref, const char *name)
{
	if (!ref || !*ref || !kind)
		return;
	m->files = xrealloc(m->files, (m->n_files + 1) * sizeof *m->files);
	m->files[m->n_files++] = (struct chan_file){
		.kind = xstrdup(kind), .ref = xstrdup(ref), .name = name ? xstrdup(name) : NULL};
}

struct reply *reply_list_add(struct reply_list *l, const char *text, const char *source)
{
	l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
	struct reply *r = &l->items[l->n++];
	*r = (struct reply){0};
	r->text = xstrdup(text ? text : "");
	r->source = xstrdup(source ? source : "");
	return r;
}

void reply_add_button(struct reply *r, int row, const char *label, const char *payload,
		      const char *kind)
{
	r->buttons = xrealloc(r->buttons, (r->n_buttons + 1) * sizeof *r->buttons);
	r->row_of = xrealloc(r->row_of, (r->n_buttons + 1) * sizeof *r->row_of);
	struct reply_button *b = &r->buttons[r->n_buttons];
	b->label = xstrdup(label);
	b->payload = payload ? xstrdup(payload) : NULL;
	b->kind = xstrdup(kind ? kind : "text");
	r->row_of[r->n_buttons] = row;
	r->n_buttons++;
}

void reply_list_free(struct reply_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct reply *r = &l->items[i];
		for (size_t j = 0; j < r->n_buttons; j++) {
			free(r->buttons[j].label);
			free(r->buttons[j].payload);
			free(r->buttons[j].kind);
		}
		free(r->buttons);
		free(r->row_of);
		free(r->text);
		free(r->source);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

char *reply_keyboard_json(const struct reply *r)
{
	if (!r->n_buttons)
		return NULL;
	cJSON *kb = cJSON_CreateObject();
	cJSON_AddBoolToObject(kb, "inline", r->inline_keyboard);
	cJSON *rows = cJSON_AddArrayToObject(kb, "rows");
	cJSON *row = NULL;
	int cur = -1;
	for (size_t i = 0; i < r->n_buttons; i++) {
		if (!row || r->row_of[i] != cur) {
			row = cJSON_CreateArray();
			cJSON_AddItemToArray(rows, row);
			cur = r->row_of[i];
		}
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "label", r->buttons[i].label);
		if (r->buttons[i].payload)
			cJSON_AddStringToObject(b, "payload", r->buttons[i].payload);
		cJSON_AddStringToObject(b, "kind", r->buttons[i].kind);
		cJSON_AddItemToArray(row, b);
	}
	char *s = cJSON_PrintUnformatted(kb);
	cJSON_Delete(kb);
	return s;
}
