/* The console's live updates across instances (issue #14 item 4): each instance on a
 * shared store writes the frames its console sends to its own sockets, and reads the
 * other instances' frames back for its sockets (console_relay.c). */
#ifndef DESKBOT_STORE_NEWS_H
#define DESKBOT_STORE_NEWS_H
#include <stdint.h>

struct store;

/* Adds one frame from origin (a unit of work of its own). 0 or -1. */
int store_news_add(struct store *st, const char *origin, const char *frame, int64_t at_ms);
/* Calls fn for at most limit frames with id above after_id not from origin, oldest first.
 * The count, or -1. */
int store_news_since(struct store *st, int64_t after_id, const char *origin, int limit,
		     void (*fn)(void *arg, int64_t id, const char *frame), void *arg);
/* The highest id now (where a new reader starts), 0 when none, -1 on error. */
int64_t store_news_last(struct store *st);
/* Removes frames older than before_ms. 0 or -1. */
int store_news_prune(struct store *st, int64_t before_ms);
#endif
