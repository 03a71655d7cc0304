/* Chat set with false positives allowed (see peerset.h). */
#include "peerset.h"

#include <stdlib.h>

#include "xalloc.h"

/* Deleted slots keep probing chains intact; they are reused on insert. */
#define TOMBSTONE UINT64_MAX

static uint64_t key_of(const char *channel, int64_t peer)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a over the channel name */
	for (const unsigned char *p = (const unsigned char *)channel; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	uint64_t k = h ^ ((uint64_t)peer * 0x9E3779B97F4A7C15ull);
	return k == 0 || k == TOMBSTONE ? 1 : k;
}

static size_t slot(const struct peerset *s, uint64_t k)
{
	return (size_t)(k >> 7) & (s->cap - 1);
}

static void grow(struct peerset *s)
{
	struct peerset n = {.cap = s->cap ? s->cap * 2 : 64};
	n.keys = xcalloc(n.cap, sizeof *n.keys);
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t k = s->keys[i];
		if (k && k != TOMBSTONE) {
			size_t j = slot(&n, k);
			while (n.keys[j])
				j = (j + 1) & (n.cap - 1);
			n.keys[j] = k;
			n.used++;
		}
	}
	free(s->keys);
	*s = n;
}

void peerset_add(struct peerset *s, const char *channel, int64_t peer)
{
	if (peerset_has(s, channel, peer))
		return;
	if ((s->used + 1) * 2 > s->cap)
		grow(s);
	uint64_t k = key_of(channel, peer);
	size_t j = slot(s, k);
	while (s->keys[j] && s->keys[j] != TOMBSTONE)
		j = (j + 1) & (s->cap - 1);
	s->keys[j] = k;
	s->used++;
}

int peerset_has(const struct peerset *s, const char *channel, int64_t peer)
{
	if (!s->cap)
		return 0;
	uint64_t k = key_of(channel, peer);
	for (size_t j = slot(s, k); s->keys[j]; j = (j + 1) & (s->cap - 1))
		if (s->keys[j] == k)
			return 1;
	return 0;
}

void peerset_remove(struct peerset *s, const char *channel, int64_t peer)
{
	if (!s->cap)
		return;
	uint64_t k = key_of(channel, peer);
	for (size_t j = slot(s, k); s->keys[j]; j = (j + 1) & (s->cap - 1))
		if (s->keys[j] == k) {
			s->keys[j] = TOMBSTONE;
			return;
		}
}

void peerset_free(struct peerset *s)
{
	free(s->keys);
	*s = (struct peerset){0};
}
