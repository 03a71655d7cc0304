/* Keyed counters and token buckets (see ratelimit.h): a chained hash table. */
#include "ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct rl_entry {
	char key[RL_KEY_MAX];
	size_t count;
	double tokens;
	int64_t last_ms;
	int64_t full_at_ms; /* when the bucket is full again; 0 for a pure counter */
	struct rl_entry *next;
};

struct rl_table {
	struct rl_entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t n, max;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct rl_table *rl_new(size_t max_keys)
{
	struct rl_table *t = xcalloc(1, sizeof *t);
	t->max = max_keys ? max_keys : 1;
	t->n_buckets = 64;
	while (t->n_buckets < t->max / 2)
		t->n_buckets <<= 1;
	t->buckets = xcalloc(t->n_buckets, sizeof *t->buckets);
	return t;
}

void rl_free(struct rl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_buckets; i++)
		while (t->buckets[i]) {
			struct rl_entry *e = t->buckets[i];
			t->buckets[i] = e->next;
			free(e);
		}
	free(t->buckets);
	free(t);
}

static int idle(const struct rl_entry *e, int64_t now_ms)
{
	return e->count == 0 && now_ms >= e->full_at_ms;
}

/* Forgets every idle entry; called only when the table is full. */
static void sweep(struct rl_table *t, int64_t now_ms)
{
	for (size_t i = 0; i < t->n_buckets; i++)
		for (struct rl_entry **pp = &t->buckets[i]; *pp;) {
			struct rl_entry *e = *pp;
			if (idle(e, now_ms)) {
				*pp = e->next;
				free(e);
				t->n--;
			} else {
				pp = &e->next;
			}
		}
}

static struct rl_entry **find(const struct rl_table *t, const char *key)
{
	struct rl_entry **pp = &t->buckets[hash(key) & (t->n_buckets - 1)];
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* The entry for key, created when missing (NULL when the table is full of busy keys). */
static struct rl_entry *get(struct rl_table *t, const char *key, int64_t now_ms)
{
	char k[RL_KEY_MAX];
	snprintf(k, sizeof k, "%s", key);
	struct rl_entry **pp = find(t, k);
	if (*pp)
		return *pp;
	if (t->n >= t->max) {
		sweep(t, now_ms);
		if (t->n >= t->max)
			return NULL;
		pp = find(t, k);
	}
	struct rl_entry *e = xcalloc(1, sizeof *e);
	memcpy(e->key, k, sizeof k);
	e->tokens = -1; /* a new bucket starts full (set on first take) */
	*pp = e;
	t->n++;
	return e;
}

int rl_take(struct rl_table *t, const char *key, double rate, double burst, int64_t now_ms)
{
	struct rl_entry *e = get(t, key, now_ms);
	if (!e)
		return 0;
	if (e->tokens < 0) {
		e->tokens = burst;
	} else {
		double dt = (double)(now_ms - e->last_ms) / 1000.0;
		e->tokens += dt > 0 ? dt * rate : 0;
		if (e->tokens > burst)
			e->tokens = burst;
	}
	e->last_ms = now_ms;
	int ok = e->tokens >= 1.0;
	if (ok)
		e->tokens -= 1.0;
	e->full_at_ms = now_ms + (int64_t)((burst - e->tokens) / rate * 1000.0) + 1;
	return ok;
}

int rl_acquire(struct rl_table *t, const char *key, size_t max)
{
	struct rl_entry *e = get(t, key, 0);
	if (!e || e->count >= max)
		return 0;
	e->count++;
	return 1;
}

void rl_release(struct rl_table *t, const char *key)
{
	char k[RL_KEY_MAX];
	snprintf(k, sizeof k, "%s", key);
	struct rl_entry **pp = find(t, k);
	struct rl_entry *e = *pp;
	if (!e || !e->count)
		return;
	if (--e->count == 0 && e->full_at_ms == 0) {
		*pp = e->next;
		free(e);
		t->n--;
	}
}

size_t rl_count(const struct rl_table *t, const char *key)
{
	char k[RL_KEY_MAX];
	snprintf(k, sizeof k, "%s", key);
	struct rl_entry *e = *find(t, k);
	return e ? e->count : 0;
}
