/* A set of chats, keyed by channel name and peer id, that may contain false positives
 * but never misses a member: used to skip a store query when a chat surely has no
 * open case. Open addressing over 64-bit keys; grows as needed. */
#ifndef DESKBOT_PEERSET_H
#define DESKBOT_PEERSET_H
#include <stddef.h>
#include <stdint.h>

struct peerset {
	uint64_t *keys; /* 0 = empty slot */
	size_t cap, used;
};

void peerset_add(struct peerset *s, const char *channel, int64_t peer);
int peerset_has(const struct peerset *s, const char *channel, int64_t peer);
void peerset_remove(struct peerset *s, const char *channel, int64_t peer);
void peerset_free(struct peerset *s);

#endif
