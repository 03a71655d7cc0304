/* Joining the parts of one answer (see reply_merge.h). */
#include "reply_merge.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Moves b into a (a has no buttons); b is left empty. */
static void join(struct reply *a, struct reply *b)
{
	char *text = xasprintf("%s\n\n%s", a->text, b->text);
	free(a->text);
	a->text = text;
	/* The source names both parts ("template:ack+template:q_phone"), first part first,
	 * so the console and the figures still see where the message came from. */
	if (b->source && *b->source) {
		char *src = a->source && *a->source ? xasprintf("%s+%s", a->source, b->source)
						    : xstrdup(b->source);
		free(a->source);
		a->source = src;
	}
	free(a->buttons);
	free(a->row_of);
	a->buttons = b->buttons;
	a->row_of = b->row_of;
	a->n_buttons = b->n_buttons;
	a->inline_keyboard = b->inline_keyboard;
	free(b->text);
	free(b->source);
	*b = (struct reply){0};
}

size_t replies_merge(struct reply_list *l, size_t max_text)
{
	if (l->n < 2)
		return l->n;
	size_t out = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct reply *r = &l->items[i];
		if (out > 0) {
			struct reply *prev = &l->items[out - 1];
			size_t len = strlen(prev->text) + 2 + strlen(r->text);
			if (!prev->n_buttons && !r->n_buttons && *prev->text && *r->text &&
			    (!max_text || len <= max_text)) {
				join(prev, r);
				continue;
			}
		}
		if (out != i) {
			l->items[out] = *r;
			*r = (struct reply){0};
		}
		out++;
	}
	l->n = out;
	return out;
}
