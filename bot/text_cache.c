/* The word cache of a text context (see text_cache.h): open addressing over a fixed
 * slot table, keys and values packed in one fixed block. */
#include "text_cache.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Values longer than this are not cached (an entry stores its length in 16 bits). */
#define VALUE_MAX 65535
/* Bytes of an entry's header in the block: kind, key length, value length (2). */
#define HEAD 4

struct slot {
	uint64_t hash;
	uint32_t at; /* offset of the entry in the block + 1; 0: empty */
};

struct text_cache {
	struct slot *slots; /* n_slots, NULL until the first insert */
	size_t n_slots;     /* a power of two */
	char *block;        /* block_cap bytes, NULL until the first insert */
	size_t block_cap;
	size_t block_used;
	size_t entries;
	int full;           /* an insert was dropped since the last begin */
	struct text_cache_stats st;
};

static uint64_t key_hash(int kind, const char *key, size_t klen)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;
	for (size_t i = 0; i < klen; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

struct text_cache *text_cache_new(size_t n_slots, size_t block_bytes)
{
	struct text_cache *c = xcalloc(1, sizeof *c);
	size_t n = 16;
	while (n < n_slots)
		n *= 2;
	c->n_slots = n;
	c->block_cap = block_bytes;
	return c;
}

void text_cache_free(struct text_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->block);
	free(c);
}

void text_cache_begin(struct text_cache *c)
{
	if (!c || !c->full)
		return;
	if (c->slots)
		memset(c->slots, 0, c->n_slots * sizeof *c->slots);
	c->block_used = 0;
	c->entries = 0;
	c->full = 0;
	c->st.flushes++;
}

/* The slot holding (kind, key), or the empty slot where it would go. */
static struct slot *find(const struct text_cache *c, uint64_t h, int kind, const char *key, size_t klen)
{
	size_t mask = c->n_slots - 1;
	for (size_t i = (size_t)(h ^ h >> 29) & mask;; i = (i + 1) & mask) {
		struct slot *s = &c->slots[i];
		if (!s->at)
			return s;
		if (s->hash != h)
			continue;
		const unsigned char *e = (const unsigned char *)c->block + s->at - 1;
		if (e[0] == kind && e[1] == klen && memcmp(e + HEAD, key, klen) == 0)
			return s;
	}
}

int text_cache_get(struct text_cache *c, int kind, const char *key, size_t klen, const char **val, size_t *vlen)
{
	if (!c || klen > TEXT_CACHE_KEY_MAX)
		return 0;
	struct slot *s = c->slots ? find(c, key_hash(kind, key, klen), kind, key, klen) : NULL;
	if (!s || !s->at) {
		c->st.misses++;
		return 0;
	}
	const unsigned char *e = (const unsigned char *)c->block + s->at - 1;
	*vlen = (size_t)e[2] | (size_t)e[3] << 8;
	*val = (const char *)e + HEAD + e[1];
	c->st.hits++;
	return 1;
}

const char *text_cache_put(struct text_cache *c, int kind, const char *key, size_t klen, const char *val, size_t vlen)
{
	if (!c || klen > TEXT_CACHE_KEY_MAX || vlen > VALUE_MAX)
		return NULL;
	size_t need = HEAD + klen + vlen;
	/* The table stays at most three quarters full, so probes stay short and end. */
	if (c->entries + 1 > c->n_slots / 4 * 3 || c->block_used + need > c->block_cap) {
		c->full = 1;
		c->st.dropped++;
		return NULL;
	}
	if (!c->slots) {
		c->slots = xcalloc(c->n_slots, sizeof *c->slots);
		c->block = xmalloc(c->block_cap ? c->block_cap : 1);
	}
	uint64_t h = key_hash(kind, key, klen);
	struct slot *s = find(c, h, kind, key, klen);
	if (s->at)
		return NULL; /* already there: the caller broke the contract; keep the old one */
	unsigned char *e = (unsigned char *)c->block + c->block_used;
	e[0] = (unsigned char)kind;
	e[1] = (unsigned char)klen;
	e[2] = (unsigned char)(vlen & 0xFF);
	e[3] = (unsigned char)(vlen >> 8);
	memcpy(e + HEAD, key, klen);
	if (vlen)
		memcpy(e + HEAD + klen, val, vlen);
	s->hash = h;
	s->at = (uint32_t)(c->block_used + 1);
	c->block_used += need;
	c->entries++;
	return (const char *)e + HEAD + klen;
}

size_t text_cache_memory(const struct text_cache *c)
{
	return c ? sizeof *c + c->n_slots * sizeof(struct slot) + c->block_cap : 0;
}

void text_cache_get_stats(const struct text_cache *c, struct text_cache_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!c)
		return;
	*out = c->st;
	out->entries = c->entries;
	out->bytes = c->block_used;
}
