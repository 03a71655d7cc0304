/* The local web chat: a customer channel like VK and Telegram, served by our own HTTP
 * listener. A customer's browser holds a token in a cookie (deskbot_chat) that names its
 * chat (peer id, kept in the store); the server issues it (GET /chat) and it expires after
 * http.chat_token_days. Messages arrive over a WebSocket at
 * /chat/ws and go to the channel's sink as channel "web"; replies come back through
 * the outbox, and send pushes them to every chat socket the customer has open. A
 * customer who reconnects gets the chat's history (through the sink, from the store).
 *
 * Wire format (JSON text frames). From the browser:
 *   {"type":"hello","name":S?}                      first frame: history follows
 *   {"type":"message","text":S,"id":S?}             id: client's key, makes resends safe
 *   {"type":"button","label":S,"payload":S,"id":S?} a pressed reply button
 *   {"type":"contact","phone":S,"id":S?}            a shared phone number
 * To the browser:
 *   {"type":"hello","peer_id":N}
 *   {"type":"history","lines":[{"from","text","at","keyboard"?}]}
 *   {"type":"message","from":"bot"|"operator"|"customer","text":S,"at":MS,"id":N,
 *    "keyboard":{"inline":B,"rows":[[{"label","payload","kind"}]]}?}
 *   {"type":"ack","id":S}  the message is stored (and answered, if the bot answers)
 *   {"type":"error","error":S,"code":"rate_limited"?,"id":S?}  rate_limited: not stored,
 *                           send it again a little later
 * Limits (config "http"): chat sockets per customer, messages per second per customer and
 * per address. Frames with invalid UTF-8 are repaired to U+FFFD before they are read. */
#ifndef DESKBOT_WEB_H
#define DESKBOT_WEB_H
#include <stddef.h>

struct channel;
struct channel_env;
struct config_http_limits;
struct server;

/* Creates the web chat channel and registers its routes (/chat, /chat/<asset>,
 * /chat/ws) on server (NULL: none). env and limits are borrowed. The app frees it
 * through ops->free. */
struct channel *web_channel_new(const struct channel_env *env, struct server *server,
				const struct config_http_limits *limits);

/* Ties another object's life to the channel's: stop runs when the channel stops, free
 * when it is freed (after the server has stopped). Used by the console. */
void web_channel_set_companion(struct channel *ch, void (*stop)(void *), void (*free_fn)(void *),
			       void *arg);
/* The companion's arg, or NULL. */
void *web_channel_companion(struct channel *ch);
/* Open chat sockets (all customers). */
size_t web_channel_sockets(const struct channel *ch);

#endif
