/* Per-element decoding of long-poll answers (see json_batch.h). The scanner knows only
 * strings (with their escapes) and brackets: enough to find where a value ends, and
 * blind to everything cJSON judges, so a syntax error inside an element cannot move the
 * element's boundaries. */
#include "json_batch.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_repair.h"
#include "log.h"
#include "xalloc.h"

#define NOT_FOUND ((size_t)-1)
#define NESTING_MAX 1000 /* cJSON's own limit: deeper elements are unreadable anyway */

/* Whitespace as cJSON reads it: any byte up to the space. The scanner must agree with
 * the parser it splits for, or an element cJSON reads as one value ("\x03{...}") would
 * be cut apart and take its neighbours with it. */
static int is_ws(char c)
{
	return (unsigned char)c <= ' ';
}

static size_t skip_ws(const char *t, size_t len, size_t i)
{
	while (i < len && is_ws(t[i]))
		i++;
	return i;
}

/* Past the closing quote of the string whose opening quote is t[i], or NOT_FOUND. */
static size_t skip_string(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return NOT_FOUND;
}

/* Past the value starting at t[i]: a string, a container with matching brackets, or a
 * scalar up to the next delimiter. NOT_FOUND when the brackets do not match or the
 * text ends first (an array element is always followed by "," or "]"). */
static size_t skip_value(const char *t, size_t len, size_t i)
{
	if (i >= len)
		return NOT_FOUND;
	if (t[i] == '"')
		return skip_string(t, len, i);
	if (t[i] != '{' && t[i] != '[') {
		size_t start = i;
		while (i < len && !is_ws(t[i]) && t[i] != ',' && t[i] != ']' && t[i] != '}')
			i++;
		return i > start && i < len ? i : NOT_FOUND;
	}
	char closers[NESTING_MAX];
	size_t depth = 0;
	for (; i < len; i++) {
		char c = t[i];
		if (c == '"') {
			i = skip_string(t, len, i);
			if (i == NOT_FOUND)
				return NOT_FOUND;
			i--;
		} else if (c == '{' || c == '[') {
			if (depth == NESTING_MAX)
				return NOT_FOUND;
			closers[depth++] = c == '{' ? '}' : ']';
		} else if (c == '}' || c == ']') {
			if (!depth || closers[depth - 1] != c)
				return NOT_FOUND;
			if (--depth == 0)
				return i + 1;
		}
	}
	return NOT_FOUND;
}

static cJSON *parse_exact(const char *t, size_t len)
{
	const char *end = NULL;
	cJSON *item = cJSON_ParseWithLengthOpts(t, len, &end, 0);
	if (item && end && (size_t)(skip_ws(t, len, (size_t)(end - t))) != len) {
		cJSON_Delete(item); /* something after the value: not one element */
		item = NULL;
	}
	return item;
}

static size_t trimmed(const char *text, size_t start, size_t len)
{
	while (len && (is_ws(text[start + len - 1]) || text[start + len - 1] == ','))
		len--;
	return len;
}

static void trim_last(struct json_batch *b, const char *text)
{
	struct json_element *e = &b->elements[b->n - 1];
	e->len = trimmed(text, e->offset, e->len);
}

static void add_element(struct json_batch *b, const char *text, size_t start, size_t len, int parse)
{
	len = trimmed(text, start, len);
	b->elements = xrealloc(b->elements, (b->n + 1) * sizeof *b->elements);
	struct json_element *e = &b->elements[b->n++];
	e->offset = start;
	e->len = len;
	e->item = parse ? parse_exact(text + start, len) : NULL;
	if (!e->item)
		b->n_bad++;
}

/* The start of the next element after a broken one that began at from - 1, before
 * limit: an object after a delimiter, complete, followed by "," or "]", readable, and
 * an element by looks_like_element. NOT_FOUND if there is none. */
static size_t resync(const char *t, size_t len, size_t from, size_t limit,
		     json_element_test looks_like_element)
{
	for (size_t x = from; x < limit; x++) {
		if (t[x] != '{')
			continue;
		/* the delimiter before it may be the broken element's first byte ("[,{...}]") */
		size_t b = x;
		while (b > from && is_ws(t[b - 1]))
			b--;
		if (t[b - 1] != ',' && t[b - 1] != '}' && t[b - 1] != ']')
			continue;
		size_t e = skip_value(t, len, x);
		size_t q = e == NOT_FOUND ? NOT_FOUND : skip_ws(t, len, e);
		if (q == NOT_FOUND || q >= len || (t[q] != ',' && t[q] != ']'))
			continue;
		cJSON *item = parse_exact(t + x, e - x);
		int ok = item && (!looks_like_element || looks_like_element(item));
		cJSON_Delete(item);
		if (ok)
			return x;
	}
	return NOT_FOUND;
}

/* The "]" that closes an array which is the last member of the answer ("...]}"), when
 * it is at or after from; else NOT_FOUND. */
static size_t final_bracket(const char *t, size_t len, size_t from)
{
	size_t j = len;
	while (j > from && is_ws(t[j - 1]))
		j--;
	if (j <= from || t[j - 1] != '}')
		return NOT_FOUND;
	j--;
	while (j > from && is_ws(t[j - 1]))
		j--;
	return j > from && t[j - 1] == ']' ? j - 1 : NOT_FOUND;
}

/* Splits the array whose "[" is t[i]; returns the offset past its "]" or NOT_FOUND. */
static size_t split_array(const char *t, size_t len, size_t i, json_element_test test,
			  struct json_batch *b)
{
	size_t p = skip_ws(t, len, i + 1);
	if (p < len && t[p] == ']')
		return p + 1;
	for (;;) {
		size_t start = p;
		size_t e = skip_value(t, len, p);
		size_t q = e == NOT_FOUND ? NOT_FOUND : skip_ws(t, len, e);
		if (q != NOT_FOUND && q < len && (t[q] == ',' || t[q] == ']')) {
			add_element(b, t, start, e - start, 1);
			/* An unterminated string can make brackets seem to balance with the
			 * quotes flipped, swallowing the next elements into this one: if it does
			 * not parse, look for the next element inside what it swallowed. */
			size_t next = b->elements[b->n - 1].item ? NOT_FOUND
								: resync(t, len, start + 1, e, test);
			if (next != NOT_FOUND) {
				b->elements[b->n - 1].len = next - start;
				trim_last(b, t);
				p = next;
				continue;
			}
			if (t[q] == ']')
				return q + 1;
			p = skip_ws(t, len, q + 1);
			continue;
		}
		size_t next = resync(t, len, start + 1, len, test);
		if (next != NOT_FOUND) {
			add_element(b, t, start, next - start, 0);
			p = next;
			continue;
		}
		size_t z = final_bracket(t, len, start);
		if (z == NOT_FOUND)
			return NOT_FOUND;
		add_element(b, t, start, z - start, 0);
		return z + 1;
	}
}

int json_batch_parse(const char *text, size_t len, const char *key, json_element_test looks_like_element,
		     struct json_batch *out)
{
	*out = (struct json_batch){0};
	size_t klen = strlen(key), arr_start = NOT_FOUND, arr_end = NOT_FOUND;
	size_t i = skip_ws(text, len, 0);
	if (i >= len || text[i] != '{')
		return -1;
	i = skip_ws(text, len, i + 1);
	while (i < len && text[i] != '}') {
		size_t kend = text[i] == '"' ? skip_string(text, len, i) : NOT_FOUND;
		if (kend == NOT_FOUND)
			goto fail;
		int is_key = kend - i - 2 == klen && memcmp(text + i + 1, key, klen) == 0;
		i = skip_ws(text, len, kend);
		if (i >= len || text[i] != ':')
			goto fail;
		i = skip_ws(text, len, i + 1);
		size_t vend;
		if (is_key && arr_start == NOT_FOUND && i < len && text[i] == '[') {
			vend = split_array(text, len, i, looks_like_element, out);
			arr_start = i;
			arr_end = vend;
		} else {
			vend = skip_value(text, len, i);
		}
		if (vend == NOT_FOUND)
			goto fail;
		i = skip_ws(text, len, vend);
		if (i < len && text[i] == ',')
			i = skip_ws(text, len, i + 1);
		else if (i >= len || text[i] != '}')
			goto fail;
	}
	if (i >= len || skip_ws(text, len, i + 1) != len)
		goto fail;
	if (arr_start == NOT_FOUND) {
		out->envelope = parse_exact(text, len);
	} else {
		/* The envelope without the elements: a few bytes ("ts", "ok"...). */
		struct buf env = {0};
		buf_append(&env, text, arr_start);
		buf_puts(&env, "[]");
		buf_append(&env, text + arr_end, len - arr_end);
		out->envelope = parse_exact(env.data, env.len);
		buf_free(&env);
		out->has_array = 1;
	}
	if (!cJSON_IsObject(out->envelope))
		goto fail;
	return 0;
fail:
	json_batch_free(out);
	return -1;
}

int json_batch_read(const char *body, size_t len, const char *key,
		    json_element_test looks_like_element, const char *channel, const char *what,
		    struct json_batch *out)
{
	struct json_repair_stats fixed;
	size_t fixed_len = len;
	char *repaired = json_repair(body, len, &fixed_len, &fixed);
	if (repaired)
		log_info("%s: repaired %s before reading it (%zu surrogate escapes, %zu NULs, %zu "
			 "invalid UTF-8 sequences replaced by U+FFFD)",
			 channel, what, fixed.escapes, fixed.nuls, fixed.bytes);
	const char *text = repaired ? repaired : body;
	if (json_batch_parse(text, fixed_len, key, looks_like_element, out) < 0) {
		free(repaired);
		return -1;
	}
	out->text = text;
	out->repaired = repaired;
	return 0;
}

void json_batch_free(struct json_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		cJSON_Delete(b->elements[i].item);
	free(b->elements);
	cJSON_Delete(b->envelope);
	free(b->repaired);
	*b = (struct json_batch){0};
}

const char *json_excerpt(const char *text, size_t len, size_t max, char *out, size_t cap)
{
	if (max > cap - 4)
		max = cap - 4;
	size_t n = len < max ? len : max;
	while (n < len && n && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--; /* do not split a character */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		out[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	strcpy(out + n, n < len ? "..." : "");
	return out;
}
