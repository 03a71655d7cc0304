/* Subscriber list for in-process notices (see events.h). */
#include "events.h"

#include <stdlib.h>

#include "xalloc.h"

#define EVENTS_MAX 16

struct events {
	struct {
		events_fn fn;
		void *arg;
	} subs[EVENTS_MAX];
};

struct events *events_new(void)
{
	return xcalloc(1, sizeof(struct events));
}

void events_free(struct events *ev)
{
	free(ev);
}

int events_subscribe(struct events *ev, events_fn fn, void *arg)
{
	for (int i = 0; i < EVENTS_MAX; i++)
		if (!ev->subs[i].fn) {
			ev->subs[i].fn = fn;
			ev->subs[i].arg = arg;
			return i;
		}
	return -1;
}

void events_unsubscribe(struct events *ev, int handle)
{
	if (handle >= 0 && handle < EVENTS_MAX)
		ev->subs[handle].fn = NULL;
}

void events_emit(struct events *ev, const char *type, const cJSON *data)
{
	for (int i = 0; i < EVENTS_MAX; i++)
		if (ev->subs[i].fn)
			ev->subs[i].fn(ev->subs[i].arg, type, data);
}
