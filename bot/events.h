/* In-process notices about cases and conversations, for the console's live updates (and
 * optional webhooks). The pipeline and the console API emit after their transaction has
 * committed; subscribers (the console's WebSocket hub) push them on. Delivery is
 * synchronous on the loop: a subscriber must not block. */
#ifndef DESKBOT_EVENTS_H
#define DESKBOT_EVENTS_H
#include <cjson/cJSON.h>
#include <stdint.h>

struct app;

/* type: "case_created", "case_updated", "customer_message", "bot_message",
 * "operator_message", "alert". data (borrowed) carries the details, at least
 * {"case_id": N} when a case is concerned. */
typedef void (*events_fn)(void *arg, const char *type, const cJSON *data);

struct events;

struct events *events_new(void);
void events_free(struct events *ev);
/* Adds a subscriber; returns a handle for events_unsubscribe. */
int events_subscribe(struct events *ev, events_fn fn, void *arg);
void events_unsubscribe(struct events *ev, int handle);
/* Tells every subscriber. */
void events_emit(struct events *ev, const char *type, const cJSON *data);

#endif
