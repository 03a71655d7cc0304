/* The console's live updates across instances on one store (issue #14 item 4): the
 * frames this instance's hub sends go to the store too (store_news.h), and the frames
 * the other instances wrote are read back every cluster.scan_ms and sent to this
 * instance's sockets. A secretary therefore sees a case another instance opened, claimed
 * or answered as she sees her own instance's, a scan period later at most. */
#ifndef DESKBOT_CONSOLE_RELAY_H
#define DESKBOT_CONSOLE_RELAY_H
#include <stdint.h>
#include <uv.h>

struct console_hub;
struct console_relay;
struct store;

/* Starts relaying for hub from now on (frames written before are not replayed). All
 * borrowed; origin is copied. */
struct console_relay *console_relay_new(uv_loop_t *loop, struct store *st,
					struct console_hub *hub, const char *origin,
					int64_t scan_ms);
/* Writes a frame this instance sent for the other instances (arg: the relay; the hub's
 * tap, console_hub_set_tap). */
void console_relay_publish(void *relay, const char *frame);
/* Stops; the memory goes once the timer has closed. Accepts NULL. */
void console_relay_free(struct console_relay *r);
#endif
