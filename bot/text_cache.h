/* A bounded cache of answers about single words that depend only on the word: what
 * the spelling dictionary says of it (spelled or not, its dictionary forms) and its
 * Snowball stem. One text context owns one cache (so one loaded reply set does, and
 * it is freed with the set); the answers are the same for every message, so they are
 * kept across messages, which is where most of the cost of Hunspell went.
 *
 * Memory is fixed when the cache is made: a slot table and one byte block, allocated
 * on the first insert and never grown. An insert that does not fit is dropped; the
 * next text_cache_begin() then empties the cache, so a long-running daemon never
 * holds more than the bound (text_cache_memory) and keeps the words of the recent
 * messages. Values stay where they are until text_cache_begin() or text_cache_free(),
 * so pointers from text_cache_get/put are valid for the rest of one analysis. */
#ifndef DESKBOT_TEXT_CACHE_H
#define DESKBOT_TEXT_CACHE_H
#include <stddef.h>
#include <stdint.h>

/* What a cached value is about (part of the key). */
enum text_cache_kind {
	TEXT_CACHE_SPELL = 1, /* one byte: 1 if the dictionary knows the word, else 0 */
	TEXT_CACHE_LEMMAS,    /* the dictionary forms, each NUL-terminated, one after another */
	TEXT_CACHE_STEM,      /* the Snowball stem (not NUL-terminated) */
};

/* Keys are at most this many bytes; longer words are never cached. */
#define TEXT_CACHE_KEY_MAX 255

struct text_cache;

/* Counters, for tests and text_cache_memory's callers. */
struct text_cache_stats {
	uint64_t hits, misses; /* text_cache_get answers */
	uint64_t dropped;      /* inserts that did not fit */
	uint64_t flushes;      /* times text_cache_begin emptied a full cache */
	size_t entries;        /* entries held now */
	size_t bytes;          /* bytes of the block in use now */
};

/* A cache of at most n_slots * 3 / 4 entries (n_slots is rounded up to a power of two,
 * at least 16) and block_bytes of keys and values. Nothing is allocated until the first
 * insert. Caller frees with text_cache_free. */
struct text_cache *text_cache_new(size_t n_slots, size_t block_bytes);
/* Frees the cache and everything in it; accepts NULL. */
void text_cache_free(struct text_cache *c);

/* Called between analyses: empties the cache if an insert was dropped since the last
 * call (it is full). Invalidates every pointer the cache handed out. */
void text_cache_begin(struct text_cache *c);

/* Looks up (kind, key). Returns 1 and points *val / *vlen at the stored value (borrowed
 * until the next text_cache_begin), or 0. c may be NULL (always 0). */
int text_cache_get(struct text_cache *c, int kind, const char *key, size_t klen, const char **val, size_t *vlen);

/* Stores a value for (kind, key), which must not be cached yet. Returns the stored
 * copy (borrowed until the next text_cache_begin), or NULL when it was not stored (c is
 * NULL, the key is too long, or the cache is full). */
const char *text_cache_put(struct text_cache *c, int kind, const char *key, size_t klen, const char *val, size_t vlen);

/* Bytes the cache may ever hold (its bound), whether allocated yet or not. */
size_t text_cache_memory(const struct text_cache *c);
void text_cache_get_stats(const struct text_cache *c, struct text_cache_stats *out);

#endif
