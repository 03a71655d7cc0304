/* The console's live updates: a WebSocket endpoint at /ws for logged-in operators,
 * subscribed to the events (events.h). Every notice about a case goes to every operator socket as
 * one JSON text frame:
 *
 *   {"type":"hello","login":S,"role":S}                       on connect (after "hello")
 *   {"type":"case_created"|"case_updated","case_id":N,"case":SUMMARY}
 *   {"type":"customer_message"|"bot_message"|"operator_message","case_id":N,
 *    "case":SUMMARY?,"entry":{"at","from","text","operator"?}}
 *   {"type":"alert","case_id":N,"kind":S,"text":S,"case":SUMMARY?}
 *   {"type":"session_expired"}                                 then nothing more
 *   {"type":"pong"}                                            answers {"type":"ping"}
 *
 * SUMMARY is cases_summary's object. The socket is accepted only with a valid
 * session cookie and a same-origin Origin header. */
#ifndef DESKBOT_CONSOLE_HUB_H
#define DESKBOT_CONSOLE_HUB_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct auth;
struct console_hub;
struct events;
struct server;
struct store;

/* Subscribes to events and registers /ws on server (when there is one); the summaries
 * it sends are read from store. All are borrowed and must outlive the hub. */
struct console_hub *console_hub_new(struct server *server, struct events *events,
				    struct store *store, struct auth *auth);
/* Unsubscribes and frees; the server must have stopped (no socket left). Accepts NULL. */
void console_hub_free(struct console_hub *h);
/* Sends one frame (copied) to every authenticated operator socket. Returns how many
 * sockets it was queued to. */
size_t console_hub_broadcast(struct console_hub *h, const char *json);
/* Hands every frame this hub builds to tap as well, whether or not a socket is open here
 * (several instances on one store: console_relay.h); NULL to stop. */
void console_hub_set_tap(struct console_hub *h, void (*tap)(void *arg, const char *frame),
			 void *arg);
/* Operator sockets open now. */
size_t console_hub_count(const struct console_hub *h);
/* Stops pushing to the sockets of session id (logout). */
void console_hub_forget_session(struct console_hub *h, uint64_t session_id);
/* Builds the frame the hub would send for an event (caller frees), or NULL if the event
 * is not for the console. Exposed for tests. */
char *console_hub__frame(struct console_hub *h, const char *type, const cJSON *data);

#endif
