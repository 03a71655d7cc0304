/* What the whole-answer fuzz targets (fuzz_vk, fuzz_tg, fuzz_max) share: each wraps the
 * input as one update between good ones and checks the good ones survive. */
#ifndef DESKBOT_FUZZ_ANSWER_H
#define DESKBOT_FUZZ_ANSWER_H
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_repair.h"

/* 1 when s is exactly one JSON value (after the decoders' own repairs): then a good
 * update after it must survive, since the array can be split there. */
static inline int fuzz_is_one_value(const char *s, size_t size)
{
	size_t n = size;
	char *fixed = json_repair(s, size, &n, NULL);
	const char *end = NULL;
	const char *t = fixed ? fixed : s;
	cJSON *v = cJSON_ParseWithLengthOpts(t, n, &end, 0);
	int one = v && end && (size_t)(end - t) == n;
	cJSON_Delete(v);
	free(fixed);
	return one;
}

/* 1 when s cannot close the array or object it is put in, and opens no array of its
 * own: then the update after it must survive whatever s is. (An input that opens an
 * array, '["x",', has the update after it as an element of that array by JSON's
 * grammar: fuzz_max found it; an object cannot hold a bare update, and a bracket inside
 * a string, '"a[b"', opens nothing.) */
static inline int fuzz_cannot_close(const char *s, size_t size)
{
	if (memchr(s, ']', size) || memchr(s, '}', size))
		return 0;
	int in_string = 0;
	for (size_t i = 0; i < size; i++) {
		if (in_string && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			in_string = !in_string;
		else if (!in_string && s[i] == '[')
			return 0;
	}
	return 1;
}

/* Fills out with head, the input, tail (out is reset first). */
static inline void fuzz_wrap(struct buf *out, const char *head, const char *s, size_t size,
			     const char *tail)
{
	out->len = 0;
	buf_puts(out, head);
	buf_append(out, s, size);
	buf_puts(out, tail);
}
#endif
