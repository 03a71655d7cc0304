/* Layout-keeping edits of reply-set files (see json_edit.h). */
#include "json_edit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"
#include "xalloc.h"

static void buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

/* ---- a scanner that knows where every value starts and ends ---- */

struct scan {
	const char *s;
	size_t n;
};

static size_t skip_ws(const struct scan *sc, size_t i)
{
	while (i < sc->n && (sc->s[i] == ' ' || sc->s[i] == '\t' || sc->s[i] == '\r' ||
			     sc->s[i] == '\n'))
		i++;
	return i;
}

/* The position after the value starting at i, or 0 on a syntax error. */
static size_t skip_value(const struct scan *sc, size_t i, int depth)
{
	if (i >= sc->n || depth > 64)
		return 0;
	char c = sc->s[i];
	if (c == '"') {
		for (i++; i < sc->n; i++) {
			if (sc->s[i] == '\\')
				i++;
			else if (sc->s[i] == '"')
				return i + 1;
		}
		return 0;
	}
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		i = skip_ws(sc, i + 1);
		if (i < sc->n && sc->s[i] == close)
			return i + 1;
		for (;;) {
			if (c == '{') {
				if (i >= sc->n || sc->s[i] != '"')
					return 0;
				i = skip_value(sc, i, depth + 1);
				if (!i)
					return 0;
				i = skip_ws(sc, i);
				if (i >= sc->n || sc->s[i] != ':')
					return 0;
				i = skip_ws(sc, i + 1);
			}
			i = skip_value(sc, i, depth + 1);
			if (!i)
				return 0;
			i = skip_ws(sc, i);
			if (i < sc->n && sc->s[i] == ',') {
				i = skip_ws(sc, i + 1);
				continue;
			}
			if (i < sc->n && sc->s[i] == close)
				return i + 1;
			return 0;
		}
	}
	/* A number, true, false, null: up to a delimiter. */
	size_t start = i;
	while (i < sc->n && !strchr(" \t\r\n,]}:", sc->s[i]))
		i++;
	return i > start ? i : 0;
}

/* The decoded string of the literal at [at, end), or NULL when it is not a string. */
static char *decode_string(const struct scan *sc, size_t at, size_t end)
{
	if (at >= sc->n || sc->s[at] != '"')
		return NULL;
	cJSON *v = cJSON_ParseWithLength(sc->s + at, end - at);
	char *out = cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
	cJSON_Delete(v);
	return out;
}

/* The members or elements of the object or array at `at`. */
struct item {
	size_t pre;        /* after the '{', '[' or ',' before it */
	size_t key, value; /* where its key (objects) and its value start */
	size_t end;        /* after its value */
};
struct items {
	struct item *v;
	size_t n;
	size_t close; /* the '}' or ']' */
};

static int list_items(const struct scan *sc, size_t at, struct items *out)
{
	memset(out, 0, sizeof *out);
	if (at >= sc->n || (sc->s[at] != '{' && sc->s[at] != '['))
		return -1;
	int obj = sc->s[at] == '{';
	char close = obj ? '}' : ']';
	size_t pre = at + 1, i = skip_ws(sc, at + 1);
	if (i < sc->n && sc->s[i] == close) {
		out->close = i;
		return 0;
	}
	size_t cap = 0;
	for (;;) {
		struct item it = {.pre = pre, .key = i};
		if (obj) {
			if (i >= sc->n || sc->s[i] != '"' || !(i = skip_value(sc, i, 1)))
				goto bad;
			i = skip_ws(sc, i);
			if (i >= sc->n || sc->s[i] != ':')
				goto bad;
			i = skip_ws(sc, i + 1);
		}
		it.value = i;
		if (!(i = skip_value(sc, i, 1)))
			goto bad;
		it.end = i;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			out->v = xrealloc(out->v, cap * sizeof *out->v);
		}
		out->v[out->n++] = it;
		i = skip_ws(sc, i);
		if (i < sc->n && sc->s[i] == ',') {
			pre = i + 1;
			i = skip_ws(sc, i + 1);
			continue;
		}
		if (i < sc->n && sc->s[i] == close) {
			out->close = i;
			return 0;
		}
		goto bad;
	}
bad:
	free(out->v);
	memset(out, 0, sizeof *out);
	return -1;
}

/* The member of items (an object's) whose key is key, or NULL. */
static const struct item *member(const struct scan *sc, const struct items *it, const char *key)
{
	for (size_t k = 0; k < it->n; k++) {
		char *name = decode_string(sc, it->v[k].key, it->v[k].value);
		int same = name && strcmp(name, key) == 0;
		free(name);
		if (same)
			return &it->v[k];
	}
	return NULL;
}

char *json_edit_quote(const char *s)
{
	struct buf b = {0};
	buf_putc(&b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(&b, '\\');
			buf_putc(&b, (char)*p);
		} else if (*p == '\n') {
			buf_puts(&b, "\\n");
		} else if (*p == '\t') {
			buf_puts(&b, "\\t");
		} else if (*p == '\r') {
			buf_puts(&b, "\\r");
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(&b, "\\u%04x", *p);
		} else {
			buf_putc(&b, (char)*p);
		}
	}
	buf_putc(&b, '"');
	return buf_steal(&b);
}

/* An example as it goes in: line breaks and tabs as spaces, trimmed. */
static char *clean_text(const char *t)
{
	char *c = xstrdup(t ? t : "");
	for (char *p = c; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	char *start = c;
	while (*start == ' ')
		start++;
	size_t len = strlen(start);
	while (len && start[len - 1] == ' ')
		len--;
	char *out = xstrndup(start, len);
	free(c);
	return out;
}

static char *norm(const char *t)
{
	return text_normalize(t, strlen(t));
}

/* 1 when t (normalised) is among the strings of every array in examples, or in seen. */
static int known_example(const struct scan *sc, const struct items *langs, const char *t,
			 char **seen, size_t n_seen)
{
	for (size_t k = 0; k < n_seen; k++)
		if (strcmp(seen[k], t) == 0)
			return 1;
	for (size_t l = 0; l < langs->n; l++) {
		struct items arr;
		if (sc->s[langs->v[l].value] != '[' || list_items(sc, langs->v[l].value, &arr) < 0)
			continue;
		int found = 0;
		for (size_t k = 0; k < arr.n && !found; k++) {
			char *e = decode_string(sc, arr.v[k].value, arr.v[k].end);
			char *ne = e ? norm(e) : NULL;
			found = ne && strcmp(ne, t) == 0;
			free(e);
			free(ne);
		}
		free(arr.v);
		if (found)
			return 1;
	}
	return 0;
}

#define FAIL(...)                                                                             \
	do {                                                                                  \
		snprintf(err, errlen, __VA_ARGS__);                                           \
		goto done;                                                                    \
	} while (0)

int json_edit_add_examples(const char *file, const char *intent, const char *lang,
			   const char *const *texts, size_t n, char **out, char *err,
			   size_t errlen)
{
	struct scan sc = {file, strlen(file)};
	struct items top = {0}, list = {0}, obj = {0}, langs = {0}, arr = {0};
	char **fresh = xcalloc(n + 1, sizeof *fresh), **seen = xcalloc(n + 1, sizeof *seen);
	size_t n_fresh = 0;
	int result = -1;
	struct buf b = {0};
	*out = NULL;
	size_t at = skip_ws(&sc, 0);
	/* The whole file must be one value, or the positions mean nothing. */
	size_t end = skip_value(&sc, at, 0);
	if (!end || skip_ws(&sc, end) != sc.n)
		FAIL("the file is not valid JSON");
	if (list_items(&sc, at, &top) < 0 || sc.s[at] != '{')
		FAIL("the file is not a JSON object");
	const struct item *intents = member(&sc, &top, "intents");
	if (!intents || sc.s[intents->value] != '[' || list_items(&sc, intents->value, &list) < 0)
		FAIL("the file has no \"intents\" array");
	const struct item *found = NULL;
	for (size_t k = 0; k < list.n && !found; k++) {
		free(obj.v);
		if (sc.s[list.v[k].value] != '{' || list_items(&sc, list.v[k].value, &obj) < 0) {
			memset(&obj, 0, sizeof obj);
			continue;
		}
		const struct item *id = member(&sc, &obj, "id");
		char *v = id ? decode_string(&sc, id->value, id->end) : NULL;
		if (v && strcmp(v, intent) == 0)
			found = &list.v[k];
		free(v);
	}
	if (!found)
		FAIL("no intent \"%s\" in the file", intent);
	const struct item *ex = member(&sc, &obj, "examples");
	if (!ex || sc.s[ex->value] != '{' || list_items(&sc, ex->value, &langs) < 0)
		FAIL("intent \"%s\" has no \"examples\" object", intent);
	for (size_t k = 0; k < n; k++) {
		char *t = clean_text(texts[k]);
		char *nt = norm(t);
		if (!*nt || known_example(&sc, &langs, nt, seen, n_fresh)) {
			free(t);
			free(nt);
			continue;
		}
		fresh[n_fresh] = t;
		seen[n_fresh++] = nt;
	}
	const struct item *arr_member = member(&sc, &langs, lang);
	if (n_fresh == 0) {
		buf_puts(&b, file);
	} else if (arr_member) {
		if (sc.s[arr_member->value] != '[' || list_items(&sc, arr_member->value, &arr) < 0)
			FAIL("\"examples\".\"%s\" of \"%s\" is not an array", lang, intent);
		size_t cut;
		if (arr.n == 0) {
			/* [] or [ ]: side by side, after the bracket. */
			cut = arr_member->value + 1;
			buf_append(&b, file, cut);
			for (size_t k = 0; k < n_fresh; k++) {
				char *q = json_edit_quote(fresh[k]);
				if (k)
					buf_puts(&b, ", ");
				buf_puts(&b, q);
				free(q);
			}
		} else {
			/* After the last element, each new one led by what led the last. */
			const struct item *last = &arr.v[arr.n - 1];
			cut = last->end;
			const char *sep = file + last->pre;
			size_t sep_len = last->value - last->pre;
			if (sep_len == 0 && arr.n == 1) {
				sep = " ";
				sep_len = 1;
			}
			buf_append(&b, file, cut);
			for (size_t k = 0; k < n_fresh; k++) {
				char *q = json_edit_quote(fresh[k]);
				buf_putc(&b, ',');
				buf_append(&b, sep, sep_len);
				buf_puts(&b, q);
				free(q);
			}
		}
		buf_puts(&b, file + cut);
	} else {
		/* A language the intent has no examples in yet: a member after the last. */
		size_t cut;
		if (langs.n == 0) {
			cut = ex->value + 1;
			buf_append(&b, file, cut);
		} else {
			const struct item *last = &langs.v[langs.n - 1];
			cut = last->end;
			buf_append(&b, file, cut);
			buf_putc(&b, ',');
			size_t sl = last->key - last->pre;
			if (sl)
				buf_append(&b, file + last->pre, sl);
			else
				buf_putc(&b, ' ');
		}
		char *k = json_edit_quote(lang);
		buf_printf(&b, "%s: [", k);
		free(k);
		for (size_t j = 0; j < n_fresh; j++) {
			char *q = json_edit_quote(fresh[j]);
			buf_printf(&b, "%s%s", j ? ", " : "", q);
			free(q);
		}
		buf_putc(&b, ']');
		buf_puts(&b, file + cut);
	}
	*out = buf_steal(&b);
	result = (int)n_fresh;
done:
	buf_free(&b);
	free(top.v);
	free(list.v);
	free(obj.v);
	free(langs.v);
	free(arr.v);
	for (size_t k = 0; k < n_fresh; k++) {
		free(fresh[k]);
		free(seen[k]);
	}
	free(fresh);
	free(seen);
	return result;
}

char *json_edit_new_intent_file(const char *id, const char *title, const char *answer,
				const char *lang, const char *const *texts, size_t n,
				size_t *added_out)
{
	char **seen = xcalloc(n + 1, sizeof *seen);
	struct buf b = {0};
	char *qid = json_edit_quote(id), *qt = json_edit_quote(title), *qa = json_edit_quote(answer),
	     *ql = json_edit_quote(lang);
	buf_printf(&b,
		   "{\n  \"intents\": [\n    {\n      \"id\": %s,\n      \"category\": \"learned\",\n"
		   "      \"kind\": \"faq\",\n      \"title\": {\n        \"ru\": %s\n      },\n"
		   "      \"examples\": {\n        %s: [",
		   qid, qt, ql);
	size_t added = 0;
	for (size_t k = 0; k < n; k++) {
		char *t = clean_text(texts[k]);
		char *nt = norm(t);
		int dup = !*nt;
		for (size_t j = 0; j < added && !dup; j++)
			dup = strcmp(seen[j], nt) == 0;
		if (!dup) {
			char *q = json_edit_quote(t);
			buf_printf(&b, "%s\n          %s", added ? "," : "", q);
			free(q);
			seen[added++] = nt;
		} else {
			free(nt);
		}
		free(t);
	}
	for (size_t j = 0; j < added; j++)
		free(seen[j]);
	free(seen);
	if (added_out)
		*added_out = added;
	buf_printf(&b, "%s]\n      },\n      \"answer\": {\n        \"ru\": %s\n      }\n    }\n"
		       "  ]\n}\n",
		   added ? "\n        " : "", qa);
	free(qid);
	free(qt);
	free(qa);
	free(ql);
	return buf_steal(&b);
}

/* ---- the diff ---- */

struct lines {
	const char **at;
	size_t *len;
	size_t n;
};

static void split_lines(const char *s, struct lines *l)
{
	memset(l, 0, sizeof *l);
	if (!s)
		return;
	size_t cap = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			l->at = xrealloc(l->at, cap * sizeof *l->at);
			l->len = xrealloc(l->len, cap * sizeof *l->len);
		}
		l->at[l->n] = s;
		l->len[l->n++] = len;
		s += len;
	}
}

static int same_line(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

static void put_line(struct buf *out, char mark, const char *s, size_t len)
{
	buf_putc(out, mark);
	buf_append(out, s, len);
	if (!len || s[len - 1] != '\n')
		buf_puts(out, "\n\\ No newline at end of file\n");
}

char *json_edit_diff(const char *name, const char *a, const char *b)
{
	struct lines la, lb;
	split_lines(a, &la);
	split_lines(b, &lb);
	size_t pre = 0;
	while (pre < la.n && pre < lb.n && same_line(&la, pre, &lb, pre))
		pre++;
	size_t suf = 0;
	while (suf < la.n - pre && suf < lb.n - pre &&
	       same_line(&la, la.n - 1 - suf, &lb, lb.n - 1 - suf))
		suf++;
	struct buf out = {0};
	if (pre == la.n && pre == lb.n) {
		free(la.at);
		free(la.len);
		free(lb.at);
		free(lb.len);
		return xstrdup("");
	}
	size_t ctx_before = pre < 3 ? pre : 3, ctx_after = suf < 3 ? suf : 3;
	size_t start = pre - ctx_before;
	size_t na = la.n - pre - suf + ctx_before + ctx_after;
	size_t nb = lb.n - pre - suf + ctx_before + ctx_after;
	buf_printf(&out, "--- %s%s\n+++ b/%s\n", a ? "a/" : "/dev/null", a ? name : "", name);
	buf_printf(&out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? start + 1 : start, na,
		   nb ? start + 1 : start, nb);
	for (size_t i = start; i < pre; i++)
		put_line(&out, ' ', la.at[i], la.len[i]);
	for (size_t i = pre; i < la.n - suf; i++)
		put_line(&out, '-', la.at[i], la.len[i]);
	for (size_t j = pre; j < lb.n - suf; j++)
		put_line(&out, '+', lb.at[j], lb.len[j]);
	for (size_t i = la.n - suf; i < la.n - suf + ctx_after; i++)
		put_line(&out, ' ', la.at[i], la.len[i]);
	free(la.at);
	free(la.len);
	free(lb.at);
	free(lb.len);
	return buf_steal(&out);
}
