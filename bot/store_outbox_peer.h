/* One chat's pending outbox rows, for the outbox's per-chat overflow (outbox.c): a chat
 * that has more rows than the outbox keeps in memory reads the rest back from here, in
 * id order, so that a flooding chat never pushes other chats' rows out of memory. */
#ifndef DESKBOT_STORE_OUTBOX_PEER_H
#define DESKBOT_STORE_OUTBOX_PEER_H
#include <stdint.h>

#include "store.h"

/* Calls fn for up to limit pending rows of (channel, peer) with after_id < id <= upto_id,
 * in id order. The row is borrowed for the call; fn may move its strings out (then zero
 * them). Returns the number of rows, or negative on error. */
int store_outbox_each_pending_peer(struct store *st, const char *channel, int64_t peer,
				   int64_t after_id, int64_t upto_id, int limit,
				   void (*fn)(void *arg, struct outbox_row *row), void *arg);

#endif
