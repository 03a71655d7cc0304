/* The outbox sender. Rows are durable in the store; this module schedules their delivery:
 * in order per chat (a chat's next row waits for the previous one), at most
 * max_in_flight sends per channel, rate-limited per channel (token bucket) and per chat
 * (minimum interval), retried with exponential backoff and jitter on transient failures,
 * honouring retry_after / flood control, and marked sent, failed or blocked in the store.
 * The pending rows are also kept in memory so scheduling costs no query per send. */
#ifndef DESKBOT_OUTBOX_H
#define DESKBOT_OUTBOX_H
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "store.h"

struct channel;
struct outbox;

#define OUTBOX_MAX_CHANNELS 24 /* as many as the app has (APP_MAX_CHANNELS) */

/* A sender on loop for the rows of store (both borrowed). */
struct outbox *outbox_new(uv_loop_t *loop, struct store *store);
/* Registers a channel and queues its pending rows from the store (after a restart). */
int outbox_add_channel(struct outbox *ob, struct channel *ch);
/* Registers a channel whose rows another instance may be sending (several instances on
 * one store): it sends nothing until outbox_set_active. */
int outbox_add_channel_idle(struct outbox *ob, struct channel *ch);
/* This instance took (active) or lost the channel's lease: an active channel reads its
 * pending rows from the store and sends them; an inactive one starts no request (those
 * in flight end as usual) and leaves new rows to the store. */
void outbox_set_active(struct outbox *ob, const char *channel, int active);
/* Queues the pending rows of an active channel that are in the store but not in memory
 * (rows other instances committed). The count queued, or -1. */
int outbox_rescan(struct outbox *ob, const char *channel);
/* Queues a row that is already committed to the store. Takes ownership of row's strings
 * (row itself is copied; the caller's struct is zeroed). */
void outbox_enqueue(struct outbox *ob, const char *channel, struct outbox_row *row);
/* Stores one row that no inbound batch produced (an operator's reply, a webhook notice)
 * in a transaction of its own and queues it. Takes the row's strings (zeroed either
 * way). Returns 0, or -1 when the store failed (nothing is queued). */
int outbox_queue_row(struct outbox *ob, struct outbox_row *row);
/* Counts one API request a channel made on its own (VK users.get) against the channel's
 * request budget, so that the outbox's sends leave room for it. */
void outbox_charge(struct outbox *ob, const char *channel);
/* The same, only when the budget has room now: 1 when counted (make the request), 0 when
 * the request should wait. Without an outbox or such a channel: 1. */
int outbox_try_charge(struct outbox *ob, const char *channel);
/* Sends in flight across all channels. */
size_t outbox_in_flight(const struct outbox *ob);
/* Stops starting new sends (shutdown); sends in flight still complete. */
void outbox_drain(struct outbox *ob);
/* Closes the timers; free runs when they have closed. */
void outbox_close(struct outbox *ob);

#endif
