/* Per-element decoding of a long-poll answer: {"...": ..., "updates": [e1, e2, ...]}.
 *
 * A VK long-poll answer cannot be re-fetched one event at a time, so one element that
 * cJSON cannot read must not make the whole answer unreadable. json_batch_parse finds
 * each element's bytes with a small scanner (strings and brackets only, no value is
 * built), parses the elements one by one, and parses the rest of the answer (the
 * envelope) without the array. An element that is not JSON costs only itself:
 *   - well-formed brackets but bad syntax inside: that element, found exactly;
 *   - broken brackets or quotes: the scanner resynchronises at the next "," followed by
 *     a value that parses and that looks_like_element accepts (an event, not a piece of
 *     the broken one); with none left, the broken element runs to the array's end.
 * What cannot be split that way (a truncated body, garbage around the array) fails as
 * a whole, so the caller retries it instead of stepping past events it never saw. */
#ifndef DESKBOT_JSON_BATCH_H
#define DESKBOT_JSON_BATCH_H
#include <cjson/cJSON.h>
#include <stddef.h>

struct json_element {
	cJSON *item;   /* the parsed element, or NULL when it could not be read */
	size_t offset; /* where its text starts in the answer */
	size_t len;    /* and how long it is */
};

struct json_batch {
	cJSON *envelope;              /* the answer with the array emptied: "ts", "ok"... */
	int has_array;                /* the array member was there (and was an array) */
	struct json_element *elements;
	size_t n;
	size_t n_bad;                 /* elements with item == NULL */
	const char *text;             /* json_batch_read: the text the offsets point into */
	char *repaired;               /* json_batch_read: owned repaired copy, or NULL */
};

/* Decides whether a value found while resynchronising is an element of the array
 * (e.g. has "update_id") rather than an object nested in a broken element. */
typedef int (*json_element_test)(const cJSON *item);

/* Parses text[0..len) (expected to be a JSON object) with the array member key split
 * per element. Returns 0 (out filled, see json_batch_free), or -1 when the answer is
 * not an object that can be read apart from its elements. */
int json_batch_parse(const char *text, size_t len, const char *key, json_element_test looks_like_element,
		     struct json_batch *out);
/* What every long-poll decoder does with an answer: repairs what cJSON would refuse
 * (json_repair: lone surrogate escapes, NULs, invalid UTF-8; logged as "<channel>:
 * repaired <what> ..."), then json_batch_parse. out->text is the text the elements'
 * offsets point into (borrowed body, or the repaired copy freed by json_batch_free). */
int json_batch_read(const char *body, size_t len, const char *key,
		    json_element_test looks_like_element, const char *channel, const char *what,
		    struct json_batch *out);
void json_batch_free(struct json_batch *b);

/* A short printable excerpt of text[0..len) for a log line: at most max bytes (cut on a
 * character boundary), control characters as '?', "..." when cut. Writes into out
 * (cap bytes, cap > 4) and returns it. */
const char *json_excerpt(const char *text, size_t len, size_t max, char *out, size_t cap);

#endif
