/* The JSON text repair pass (see json_repair.h). One forward scan; the output is only
 * built from the first repair on, by copying the untouched stretches in bulk, so a
 * clean answer (nearly all of them) costs one read and no allocation. */
#include "json_repair.h"

#include <string.h>

#include "buf.h"
#include "xalloc.h"

static const char FFFD_UTF8[] = "\xEF\xBF\xBD";
static const char FFFD_ESCAPE[] = "\\ufffd";

struct repair {
	const char *text;
	size_t len;
	size_t flushed; /* text[0..flushed) is already in out (when out is in use) */
	struct buf out;
	int used;
	struct json_repair_stats *stats;
};

/* Replaces text[at..at+n) with with. */
static void edit(struct repair *r, size_t at, size_t n, const char *with)
{
	r->used = 1;
	buf_append(&r->out, r->text + r->flushed, at - r->flushed);
	buf_puts(&r->out, with);
	r->flushed = at + n;
}

/* The length (1..4) of the valid UTF-8 sequence at p, or 0 with *skip set to the
 * length of its maximal invalid subpart (1..3), per the Unicode Standard table 3-7. */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *skip)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t need;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c == 0xE0)
		need = 2, lo = 0xA0; /* no overlong 3-byte forms */
	else if (c <= 0xEC && c >= 0xE1)
		need = 2;
	else if (c == 0xED)
		need = 2, hi = 0x9F; /* no UTF-8-encoded surrogates */
	else if (c == 0xEE || c == 0xEF)
		need = 2;
	else if (c == 0xF0)
		need = 3, lo = 0x90; /* no overlong 4-byte forms */
	else if (c >= 0xF1 && c <= 0xF3)
		need = 3;
	else if (c == 0xF4)
		need = 3, hi = 0x8F; /* nothing past U+10FFFF */
	else {
		*skip = 1; /* 80..C1, F5..FF never start a sequence */
		return 0;
	}
	size_t i = 1;
	for (; i <= need && i < n; i++) {
		unsigned b = p[i];
		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
			break;
	}
	if (i > need)
		return need + 1;
	*skip = i;
	return 0;
}

static int hex4(const char *p, size_t avail)
{
	if (avail < 4)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Handles the escape at text[i] (a backslash); returns its length. */
static size_t escape(struct repair *r, size_t i)
{
	const char *t = r->text;
	size_t left = r->len - i;
	if (left < 2 || (unsigned char)t[i + 1] >= 0x80)
		return 1; /* a byte past the backslash is checked as UTF-8 on its own */
	if (t[i + 1] != 'u')
		return 2;
	int cp = hex4(t + i + 2, left - 2);
	if (cp < 0)
		return 2; /* not an escape cJSON reads either way: the element will say so */
	if (cp == 0) {
		edit(r, i, 6, FFFD_ESCAPE);
		r->stats->nuls++;
		return 6;
	}
	if (cp >= 0xD800 && cp <= 0xDBFF && left >= 12 && t[i + 6] == '\\' && t[i + 7] == 'u') {
		int low = hex4(t + i + 8, left - 8);
		if (low >= 0xDC00 && low <= 0xDFFF)
			return 12; /* a proper pair */
	}
	if (cp >= 0xD800 && cp <= 0xDFFF) {
		/* Only this escape goes: a following one is judged on its own, so in
		 * "\udc80\ud83d\ude00" the pair after the stray low half survives. */
		edit(r, i, 6, FFFD_ESCAPE);
		r->stats->escapes++;
	}
	return 6;
}

static char *run(const char *text, size_t len, int json, size_t *out_len,
		 struct json_repair_stats *stats)
{
	struct json_repair_stats local;
	struct repair r = {.text = text, .len = len, .stats = stats ? stats : &local};
	*r.stats = (struct json_repair_stats){0};
	/* No string state is kept: a backslash or a NUL outside a string is not JSON
	 * anyway, and one broken element (an unterminated string) must not flip what the
	 * rest of the answer is taken to be, or its neighbours would go unrepaired. */
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x80) {
			size_t skip = 0, n = utf8_seq((const unsigned char *)text + i, len - i, &skip);
			if (n) {
				i += n;
				continue;
			}
			edit(&r, i, skip, FFFD_UTF8);
			r.stats->bytes++;
			i += skip;
		} else if (json && c == '\\') {
			i += escape(&r, i);
		} else if (json && c == 0) {
			edit(&r, i, 1, " ");
			r.stats->nuls++;
			i++;
		} else {
			i++;
		}
	}
	if (!r.used)
		return NULL;
	buf_append(&r.out, text + r.flushed, len - r.flushed);
	if (out_len)
		*out_len = r.out.len;
	return buf_steal(&r.out);
}

char *json_repair(const char *text, size_t len, size_t *out_len, struct json_repair_stats *stats)
{
	return run(text, len, 1, out_len, stats);
}

char *utf8_repair(const char *s)
{
	char *fixed = run(s, strlen(s), 0, NULL, NULL);
	return fixed ? fixed : xstrdup(s);
}
