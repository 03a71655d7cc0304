/* Loading, validation and lookups of a reply set (see replyset.h and
 * replies/README.md).
 *
 * Every file is parsed with cJSON. cJSON keeps no positions, so for every parsed file
 * a small scanner walks the raw text in step with the parsed tree and records where
 * each value (and its key) starts; semantic errors are then reported at the exact
 * line and column of the offending value. Loading goes on after an error so that one
 * run lists every problem; the set is only built when there are none. */
#include "replyset.h"

#include "clock.h"
#include "worktime.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "matcher.h"
#include "severity.h"
#include "text.h"
#include "xalloc.h"

/* A reply-set file larger than this is refused: it is data an admin types. */
#define MAX_FILE_BYTES (16u << 20)

struct lexicon {
	char *name;
	char **entries; /* normalised, NULL-terminated */
};

struct replyset {
	int refs;
	char *dir;
	char *version;
	struct replyset_intent *intents;
	size_t n_intents;
	int32_t *intent_slots;     /* intent index by id hash (-1 empty), built once loaded */
	size_t n_intent_slots;     /* a power of two, at least twice n_intents */
	struct replyset_tariff *tariffs;
	size_t n_tariffs;
	struct replyset_template *templates;
	size_t n_templates;
	struct lexicon *lexicons;
	size_t n_lexicons;
	struct text_phrases *lex_phrases; /* the first 64 lexicons, tagged by index */
	char ***synonyms;          /* groups of normalised entries, each NULL-terminated */
	size_t n_synonyms;
	struct replyset_settings settings;
	struct replyset_file *files;
	size_t n_files;
	size_t n_examples;
	struct text_ctx *text;     /* stemmers; one thread only */
	struct match_index *index; /* built last */
};

static const char *const lang_codes[RS_NLANG] = {"ru", "en"};

static const char *const placeholders[] = {"case_id", "name",  "eta",   "phone",   "account",  "plan",
					   "fee",     "minutes", "sms", "gb",      "total",    "reason",
					   "plan_a",  "plan_b",  "missing", "topics", "operator", "work_start",
					   "needs",   "idea",   "idea_text", "votes",   "ideas"};
#define N_PLACEHOLDERS (sizeof placeholders / sizeof placeholders[0])

static const char *const required_templates[] = {
	"fallback",       "clarify",        "greeting_first", "operator_handoff", "tariff_pick",
	"tariff_info",    "tariff_compare", "tariff_ask_minutes", "tariff_ask_gb", "tariff_ask_budget",
	"tariff_none",    "complaint_ack",  "ask_phone",      "ask_account",      "ask_location",
	"ask_description", "case_created",  "case_created_after_hours", "case_appended",
	"operator_will_answer", "unsupported_attachment", "empty_message",
	"public_complaint", "public_invite_private",
};

/* Public replies (wall comments, bot/wall.h) stay short: one comment, read by everyone. */
#define PUBLIC_TEXT_MAX 300

static const char *const required_lexicons[] = {"obscene", "legal_threat", "spread_call", "negative",
						"operator_request"};

/* ------------------------------------------------------------------ errors */

void replyset_errors_free(struct replyset_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->items[i].file);
		free(errs->items[i].msg);
	}
	free(errs->items);
	errs->items = NULL;
	errs->n = 0;
}

void replyset_errors_print(const struct replyset_errors *errs, void *f)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf((FILE *)f, "%s:%d:%d: %s\n", errs->items[i].file, errs->items[i].line, errs->items[i].col,
			errs->items[i].msg);
}

/* ------------------------------------------------------------------ position map */

/* Where a parsed value and its key start in the raw text. */
struct pos_entry {
	const cJSON *node;
	uint32_t val_off;
	uint32_t key_off;
};

/* One file being loaded: its raw text, parse tree, positions and the error sink. */
struct file {
	char *path;     /* DIR/rel, as reported */
	char *rel;      /* relative to DIR */
	char *text;
	size_t len;
	cJSON *root;
	struct pos_entry *pos; /* open addressing by node pointer */
	size_t n_pos_slots;
	struct replyset_errors *errs;
	int *n_errors;
};

static void pos_put(struct file *f, const cJSON *node, size_t val_off, size_t key_off)
{
	size_t mask = f->n_pos_slots - 1;
	size_t i = ((uintptr_t)node >> 4) * 2654435761u & mask;
	while (f->pos[i].node && f->pos[i].node != node)
		i = (i + 1) & mask;
	f->pos[i].node = node;
	f->pos[i].val_off = (uint32_t)val_off;
	f->pos[i].key_off = (uint32_t)key_off;
}

static const struct pos_entry *pos_get(const struct file *f, const cJSON *node)
{
	if (!f->pos || !node)
		return NULL;
	size_t mask = f->n_pos_slots - 1;
	size_t i = ((uintptr_t)node >> 4) * 2654435761u & mask;
	while (f->pos[i].node) {
		if (f->pos[i].node == node)
			return &f->pos[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

static size_t count_nodes(const cJSON *n)
{
	size_t c = 1;
	for (const cJSON *k = n->child; k; k = k->next)
		c += count_nodes(k);
	return c;
}

static void skip_ws(const struct file *f, size_t *p)
{
	while (*p < f->len && strchr(" \t\r\n", f->text[*p]) && f->text[*p])
		(*p)++;
}

static void skip_string(const struct file *f, size_t *p)
{
	(*p)++; /* opening quote */
	while (*p < f->len && f->text[*p] != '"') {
		if (f->text[*p] == '\\')
			(*p)++;
		(*p)++;
	}
	(*p)++;
}

/* Walks the raw text of a value in step with its parsed node (the text is known to be
 * valid JSON, since cJSON parsed it). */
static void walk(struct file *f, size_t *p, const cJSON *node, size_t key_off)
{
	skip_ws(f, p);
	pos_put(f, node, *p, key_off);
	if (*p >= f->len)
		return;
	char c = f->text[*p];
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		(*p)++;
		for (const cJSON *k = node->child; k; k = k->next) {
			skip_ws(f, p);
			size_t ko = *p;
			if (c == '{') {
				skip_string(f, p);
				skip_ws(f, p);
				(*p)++; /* ':' */
			}
			walk(f, p, k, ko);
			skip_ws(f, p);
			if (*p < f->len && f->text[*p] == ',')
				(*p)++;
		}
		skip_ws(f, p);
		if (*p < f->len && f->text[*p] == close)
			(*p)++;
	} else if (c == '"') {
		skip_string(f, p);
	} else {
		while (*p < f->len && !strchr(",]} \t\r\n", f->text[*p]))
			(*p)++;
	}
}

/* Line and column (1-based, columns in characters) of a byte offset. */
static void line_col(const struct file *f, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	if (off > f->len)
		off = f->len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)f->text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void add_error(struct replyset_errors *errs, const char *path, int line, int col, const char *msg)
{
	if (!errs)
		return;
	errs->items = xrealloc(errs->items, (errs->n + 1) * sizeof *errs->items);
	struct replyset_error *e = &errs->items[errs->n++];
	e->file = xstrdup(path);
	e->line = line;
	e->col = col;
	e->msg = xstrdup(msg);
}

/* Reports a problem at a byte offset of file f. */
static void __attribute__((format(printf, 3, 4))) err_at(struct file *f, size_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int line, col;
	line_col(f, off, &line, &col);
	add_error(f->errs, f->path, line, col, msg);
	(*f->n_errors)++;
}

static size_t off_of(const struct file *f, const cJSON *node)
{
	const struct pos_entry *e = pos_get(f, node);
	return e ? e->val_off : 0;
}

#define ERR_NODE(f, node, ...) err_at((f), off_of((f), (node)), __VA_ARGS__)

/* ------------------------------------------------------------------ files */

static int read_file(const char *path, char **text, size_t *len, char *why, size_t whylen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct buf b = {0};
	b.limit = MAX_FILE_BYTES;
	char chunk[65536];
	size_t n;
	int result = 0;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (buf_append(&b, chunk, n) < 0) {
			snprintf(why, whylen, "file larger than %u bytes", MAX_FILE_BYTES);
			result = -1;
			break;
		}
	if (result == 0 && ferror(fp)) {
		snprintf(why, whylen, "cannot read: %s", strerror(errno));
		result = -1;
	}
	fclose(fp);
	if (result < 0) {
		buf_free(&b);
		return -1;
	}
	*len = b.len;
	*text = buf_steal(&b);
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 when it is not
 * one: overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		     : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
		return 0;
	return len;
}

/* Texts of a reply set go to customers as they are: every byte must be UTF-8 (VK and
 * Telegram refuse the rest, a browser shows garbage) and no string may hold U+0000
 * (written \u0000: C strings would end there and cut the text short). Reports the
 * first problem of the file at its line and column; returns 0 when there is none. */
static int check_text(struct file *f)
{
	const unsigned char *t = (const unsigned char *)f->text;
	int in_string = 0;
	for (size_t i = 0; i < f->len;) {
		size_t n = utf8_seq(t + i, f->len - i);
		if (!n) {
			err_at(f, i, "invalid UTF-8 (byte 0x%02X); save the file as UTF-8", t[i]);
			return -1;
		}
		if (t[i] == '"')
			in_string = !in_string;
		else if (in_string && t[i] == '\\' && i + 1 < f->len) {
			if (i + 5 < f->len && memcmp(t + i + 1, "u0000", 5) == 0) {
				err_at(f, i, "\\u0000 (a NUL character) is not allowed in a text");
				return -1;
			}
			n = 2; /* the escaped character: \" does not end the string */
		}
		i += n;
	}
	return 0;
}

/* Reads and parses one file; returns 0 with f->root set, or -1 after reporting. */
static int file_open(struct file *f, const char *dir, const char *rel, struct replyset_errors *errs,
		     int *n_errors, uint64_t *hash)
{
	memset(f, 0, sizeof *f);
	f->rel = xstrdup(rel);
	f->path = xasprintf("%s/%s", dir, rel);
	f->errs = errs;
	f->n_errors = n_errors;
	char why[128];
	if (read_file(f->path, &f->text, &f->len, why, sizeof why) < 0) {
		add_error(errs, f->path, 1, 1, why);
		(*n_errors)++;
		return -1;
	}
	/* The version hash covers names and bytes, in load order. */
	for (const char *s = rel; *s; s++)
		*hash = (*hash ^ (unsigned char)*s) * 1099511628211ULL;
	for (size_t i = 0; i < f->len; i++)
		*hash = (*hash ^ (unsigned char)f->text[i]) * 1099511628211ULL;
	const char *end = NULL;
	if (strlen(f->text) != f->len) {
		err_at(f, strlen(f->text), "JSON syntax error: NUL byte in file");
		return -1;
	}
	if (check_text(f) < 0)
		return -1;
	f->root = cJSON_ParseWithOpts(f->text, &end, 1);
	if (!f->root) {
		size_t off = end && end >= f->text ? (size_t)(end - f->text) : 0;
		err_at(f, off, "JSON syntax error");
		return -1;
	}
	f->n_pos_slots = 64;
	size_t nodes = count_nodes(f->root);
	while (f->n_pos_slots < nodes * 2)
		f->n_pos_slots *= 2;
	f->pos = xcalloc(f->n_pos_slots, sizeof *f->pos);
	size_t p = 0;
	if (f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0)
		p = 3; /* cJSON skips a byte-order mark too */
	walk(f, &p, f->root, 0);
	return 0;
}

static void file_close(struct file *f)
{
	cJSON_Delete(f->root);
	free(f->pos);
	free(f->text);
	free(f->path);
	free(f->rel);
}

/* ------------------------------------------------------------------ field helpers */

/* Gets a required member of obj of the given cJSON type mask; reports when missing or
 * of the wrong type. */
static const cJSON *need(struct file *f, const cJSON *obj, const char *key, int type, const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v) {
		ERR_NODE(f, obj, "missing field \"%s\"", key);
		return NULL;
	}
	if (!(v->type & type)) {
		ERR_NODE(f, v, "field \"%s\" must be %s", key, what);
		return NULL;
	}
	return v;
}

/* Optional member: NULL when absent; reports a wrong type. */
static const cJSON *maybe(struct file *f, const cJSON *obj, const char *key, int type, const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return NULL;
	if (!(v->type & type)) {
		ERR_NODE(f, v, "field \"%s\" must be %s", key, what);
		return NULL;
	}
	return v;
}

/* Offset of "{name}" inside the raw string value starting at off (its position in the
 * file), or off itself. */
static size_t placeholder_off(const struct file *f, size_t off, const char *name)
{
	char pat[80];
	snprintf(pat, sizeof pat, "{%s}", name);
	size_t pl = strlen(pat);
	for (size_t i = off + 1; i + pl <= f->len && f->text[i] != '\n'; i++) {
		if (memcmp(f->text + i, pat, pl) == 0)
			return i;
		if (f->text[i] == '"' && f->text[i - 1] != '\\')
			break;
	}
	return off;
}

/* Checks that every {placeholder} in a customer-visible text is one of the known. */
static void check_placeholders(struct file *f, const cJSON *node, const char *s)
{
	for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{')) {
		size_t n = 0;
		while ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_' || (p[1 + n] >= '0' && p[1 + n] <= '9'))
			n++;
		if (n == 0 || p[1 + n] != '}')
			continue;
		int known = 0;
		for (size_t k = 0; k < N_PLACEHOLDERS && !known; k++)
			known = strlen(placeholders[k]) == n && strncmp(placeholders[k], p + 1, n) == 0;
		if (!known) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(n < 60 ? n : 60), p + 1);
			err_at(f, placeholder_off(f, off_of(f, node), name), "unknown placeholder {%s}", name);
		}
	}
}

/* Reads {"ru": "...", "en": "..."} into out (both required, non-empty strings). */
static int read_texts(struct file *f, const cJSON *obj, const char *key, int required, char *out[RS_NLANG])
{
	const cJSON *t = required ? need(f, obj, key, cJSON_Object, "an object {\"ru\": ..., \"en\": ...}")
				  : maybe(f, obj, key, cJSON_Object, "an object {\"ru\": ..., \"en\": ...}");
	if (!t)
		return required ? -1 : 0;
	int result = 0;
	for (int l = 0; l < RS_NLANG; l++) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, lang_codes[l]);
		if (!s && l != RS_RU) {
			/* Russian is required; another language is optional and says the
			 * Russian text where the set has none (a Russian-only operator). */
			if (out[RS_RU])
				out[l] = xstrdup(out[RS_RU]);
		} else if (!s) {
			ERR_NODE(f, t, "\"%s\": missing language \"%s\"", key, lang_codes[l]);
			result = -1;
		} else if (!cJSON_IsString(s) || !s->valuestring[0]) {
			ERR_NODE(f, s, "\"%s\".\"%s\" must be a non-empty string", key, lang_codes[l]);
			result = -1;
		} else {
			check_placeholders(f, s, s->valuestring);
			out[l] = xstrdup(s->valuestring);
		}
	}
	return result;
}

static int valid_id(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int enum_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ free */

static void free_texts(char *t[RS_NLANG])
{
	for (int l = 0; l < RS_NLANG; l++)
		free(t[l]);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void intent_free(struct replyset_intent *it)
{
	free(it->id);
	free(it->category);
	free_texts(it->title);
	free_texts(it->answer);
	for (int l = 0; l < RS_NLANG; l++)
		free_strv(it->examples[l], it->n_examples[l]);
	free_strv(it->buttons, it->n_buttons);
	free(it->file);
}

static void rs_destroy(struct replyset *rs)
{
	if (!rs)
		return;
	match_index_free(rs->index);
	text_ctx_free(rs->text);
	free(rs->intent_slots);
	for (size_t i = 0; i < rs->n_intents; i++)
		intent_free(&rs->intents[i]);
	free(rs->intents);
	for (size_t i = 0; i < rs->n_tariffs; i++) {
		struct replyset_tariff *t = &rs->tariffs[i];
		free(t->id);
		free_texts(t->name);
		free_texts(t->notes);
		free_texts(t->restricted);
		free_strv(t->aliases, t->n_aliases);
	}
	free(rs->tariffs);
	for (size_t i = 0; i < rs->n_templates; i++) {
		free(rs->templates[i].id);
		free_texts(rs->templates[i].text);
	}
	free(rs->templates);
	for (size_t i = 0; i < rs->n_lexicons; i++) {
		free(rs->lexicons[i].name);
		for (char **e = rs->lexicons[i].entries; e && *e; e++)
			free(*e);
		free(rs->lexicons[i].entries);
	}
	free(rs->lexicons);
	text_phrases_free(rs->lex_phrases);
	for (size_t i = 0; i < rs->n_synonyms; i++) {
		for (char **e = rs->synonyms[i]; *e; e++)
			free(*e);
		free(rs->synonyms[i]);
	}
	free(rs->synonyms);
	for (size_t i = 0; i < rs->n_files; i++) {
		free(rs->files[i].id);
		free_texts(rs->files[i].title);
		free(rs->files[i].path);
		free(rs->files[i].name);
		free(rs->files[i].data);
	}
	free(rs->files);
	free_strv(rs->settings.menu, rs->settings.n_menu);
	free_strv(rs->settings.idea_units, rs->settings.n_idea_units);
	free(rs->dir);
	free(rs->version);
	free(rs);
}

/* ------------------------------------------------------------------ intents */

/* Where an intent id was first seen, for the duplicate message. */
struct id_seen {
	char *id;
	char *where;
};

static void load_intents_file(struct replyset *rs, struct file *f)
{
	if (!cJSON_IsObject(f->root)) {
		ERR_NODE(f, f->root, "top level must be an object {\"intents\": [...]}");
		return;
	}
	const cJSON *arr = need(f, f->root, "intents", cJSON_Array, "an array");
	if (!arr)
		return;
	static const char *const kinds[] = {"faq",       "smalltalk", "operator",    "tariff",
					    "complaint", "idea",      "out_of_scope"};
	static const char *const needs[] = {"phone", "account", "location", "description"};
	const cJSON *o;
	cJSON_ArrayForEach(o, arr)
	{
		if (!cJSON_IsObject(o)) {
			ERR_NODE(f, o, "an intent must be an object");
			continue;
		}
		struct replyset_intent it = {0};
		it.severity = -1;
		it.file = xstrdup(f->rel);
		int ok = 1;
		const cJSON *id = need(f, o, "id", cJSON_String, "a string");
		if (id) {
			if (!valid_id(id->valuestring)) {
				ERR_NODE(f, id, "intent id \"%s\" must match [a-z0-9_]+", id->valuestring);
				ok = 0;
			}
			it.id = xstrdup(id->valuestring);
		} else {
			ok = 0;
		}
		const cJSON *cat = need(f, o, "category", cJSON_String, "a string");
		it.category = xstrdup(cat ? cat->valuestring : "");
		ok &= cat != NULL;
		const cJSON *kind = need(f, o, "kind", cJSON_String, "a string");
		it.kind = -1;
		if (kind) {
			it.kind = enum_index(kind->valuestring, kinds, sizeof kinds / sizeof kinds[0]);
			if (it.kind < 0) {
				ERR_NODE(f, kind,
					 "unknown kind \"%s\" (faq, smalltalk, operator, tariff, complaint, idea, "
					 "out_of_scope)",
					 kind->valuestring);
				ok = 0;
			}
		} else {
			ok = 0;
		}
		ok &= read_texts(f, o, "title", 1, it.title) == 0;
		int answer_required = it.kind == RS_FAQ || it.kind == RS_SMALLTALK;
		ok &= read_texts(f, o, "answer", answer_required, it.answer) == 0;
		const cJSON *ex = need(f, o, "examples", cJSON_Object, "an object {\"ru\": [...], \"en\": [...]}");
		if (ex) {
			int min = it.kind == RS_TARIFF ? 1 : 3;
			for (int l = 0; l < RS_NLANG; l++) {
				const cJSON *a = cJSON_GetObjectItemCaseSensitive(ex, lang_codes[l]);
				if (!a && l != RS_RU)
					continue; /* English examples are optional per intent */
				if (!a) {
					ERR_NODE(f, ex, "\"examples\": missing language \"%s\"", lang_codes[l]);
					ok = 0;
					continue;
				}
				if (!cJSON_IsArray(a)) {
					ERR_NODE(f, a, "\"examples\".\"%s\" must be an array of strings", lang_codes[l]);
					ok = 0;
					continue;
				}
				const cJSON *s;
				cJSON_ArrayForEach(s, a)
				{
					if (!cJSON_IsString(s) || !s->valuestring[0]) {
						ERR_NODE(f, s, "an example must be a non-empty string");
						ok = 0;
						continue;
					}
					it.examples[l] = xrealloc(it.examples[l], (it.n_examples[l] + 1) * sizeof(char *));
					it.examples[l][it.n_examples[l]++] = xstrdup(s->valuestring);
				}
				if ((int)it.n_examples[l] < (l == RS_RU ? min : 0)) {
					ERR_NODE(f, a, "intent \"%s\" needs at least %d %s examples, has %zu",
						 it.id ? it.id : "?", min, lang_codes[l], it.n_examples[l]);
					ok = 0;
				}
			}
		} else {
			ok = 0;
		}
		const cJSON *btn = maybe(f, o, "buttons", cJSON_Array, "an array of {\"intent\": ID}");
		const cJSON *b;
		cJSON_ArrayForEach(b, btn)
		{
			const cJSON *bi = cJSON_IsObject(b) ? cJSON_GetObjectItemCaseSensitive(b, "intent") : NULL;
			if (!cJSON_IsString(bi)) {
				ERR_NODE(f, b, "a button must be {\"intent\": ID}");
				ok = 0;
				continue;
			}
			it.buttons = xrealloc(it.buttons, (it.n_buttons + 1) * sizeof(char *));
			it.buttons[it.n_buttons++] = xstrdup(bi->valuestring);
		}
		const cJSON *sev = maybe(f, o, "severity", cJSON_String, "a string");
		if (sev) {
			it.severity = severity_of(sev->valuestring);
			if (it.severity < 0) {
				ERR_NODE(f, sev, "unknown severity \"%s\" (critical, high, normal, low)", sev->valuestring);
				ok = 0;
			}
		} else if (it.kind == RS_COMPLAINT) {
			ERR_NODE(f, o, "complaint intent \"%s\" has no \"severity\"", it.id ? it.id : "?");
			ok = 0;
		}
		const cJSON *nd = maybe(f, o, "needs", cJSON_Array, "an array of strings");
		cJSON_ArrayForEach(b, nd)
		{
			int k = cJSON_IsString(b) ? enum_index(b->valuestring, needs, 4) : -1;
			if (k < 0) {
				ERR_NODE(f, b, "unknown need (phone, account, location, description)");
				ok = 0;
			} else {
				it.needs |= 1u << k;
			}
		}
		/* Keep even a broken intent's id so buttons naming it do not add noise. */
		rs->intents = xrealloc(rs->intents, (rs->n_intents + 1) * sizeof *rs->intents);
		rs->intents[rs->n_intents++] = it;
		(void)ok;
	}
}

/* ------------------------------------------------------------------ tariffs, templates, lexicons */

static double read_num(struct file *f, const cJSON *o, const char *key, int nullable, int *ok)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		ERR_NODE(f, o, "missing field \"%s\"", key);
		*ok = 0;
		return -1;
	}
	if (nullable && cJSON_IsNull(v))
		return -1;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
		ERR_NODE(f, v, "field \"%s\" must be a number >= 0%s", key, nullable ? " or null" : "");
		*ok = 0;
		return -1;
	}
	return v->valuedouble;
}

/* The optional parts of a tariff a real operator's plans need: "data_only" (no calls),
 * "restricted" ({"min_age", "max_age", "text"}: who may have it, and how to say so)
 * and the services "unlimited" may name besides minutes, sms and gb ("messengers",
 * "social", "calls_in_network"). */
static void load_tariff_extras(struct file *f, const cJSON *o, const cJSON *u, struct replyset_tariff *t)
{
	const cJSON *d = maybe(f, o, "data_only", cJSON_True | cJSON_False, "true or false");
	t->data_only = cJSON_IsTrue(d);
	if (t->data_only && (t->minutes > 0 || t->unl_minutes))
		ERR_NODE(f, d, "a data-only tariff has no minutes (\"minutes\": 0, \"unlimited\".\"minutes\": false)");
	const cJSON *r = maybe(f, o, "restricted", cJSON_Object, "an object");
	if (r) {
		const char *const keys[] = {"min_age", "max_age"};
		int *dst[] = {&t->min_age, &t->max_age};
		for (int k = 0; k < 2; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keys[k]);
			if (!v || cJSON_IsNull(v))
				continue;
			if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 150 ||
			    v->valuedouble != (int)v->valuedouble)
				ERR_NODE(f, v, "\"restricted\".\"%s\" must be a whole number of years from 1 to 150", keys[k]);
			else
				*dst[k] = (int)v->valuedouble;
		}
		if (!t->min_age && !t->max_age)
			ERR_NODE(f, r, "\"restricted\" needs \"min_age\" or \"max_age\"");
		if (t->min_age && t->max_age && t->min_age > t->max_age)
			ERR_NODE(f, r, "\"restricted\": \"min_age\" %d is above \"max_age\" %d", t->min_age, t->max_age);
		read_texts(f, r, "text", 1, t->restricted);
	}
	if (!u)
		return;
	static const char *const known[] = {"minutes", "sms", "gb", "messengers", "social", "calls_in_network"};
	const cJSON *b;
	cJSON_ArrayForEach(b, u)
	{
		size_t k = 0;
		while (k < sizeof known / sizeof known[0] && strcmp(b->string, known[k]) != 0)
			k++;
		if (k == sizeof known / sizeof known[0]) {
			ERR_NODE(f, b, "\"unlimited\": unknown service \"%s\" (minutes, sms, gb, messengers, social, calls_in_network)", b->string);
			continue;
		}
		if (k < 3)
			continue; /* read with the package */
		if (!cJSON_IsBool(b)) {
			ERR_NODE(f, b, "\"unlimited\".\"%s\" must be true or false", b->string);
			continue;
		}
		if (!cJSON_IsTrue(b))
			continue;
		if (k == 3)
			t->unl_apps |= RS_APP_MESSENGERS;
		else if (k == 4)
			t->unl_apps |= RS_APP_SOCIAL;
		else
			t->unl_in_network = 1;
	}
	if (t->unl_in_network && t->data_only)
		ERR_NODE(f, u, "a data-only tariff cannot have free calls within the network");
}

static void load_tariffs(struct replyset *rs, struct file *f)
{
	const cJSON *arr = need(f, f->root, "tariffs", cJSON_Array, "an array");
	const cJSON *o;
	cJSON_ArrayForEach(o, arr)
	{
		if (!cJSON_IsObject(o)) {
			ERR_NODE(f, o, "a tariff must be an object");
			continue;
		}
		struct replyset_tariff t = {0};
		int ok = 1;
		const cJSON *id = need(f, o, "id", cJSON_String, "a string");
		if (id && !valid_id(id->valuestring))
			ERR_NODE(f, id, "tariff id \"%s\" must match [a-z0-9_]+", id->valuestring);
		t.id = xstrdup(id ? id->valuestring : "");
		for (size_t k = 0; id && k < rs->n_tariffs; k++)
			if (strcmp(rs->tariffs[k].id, t.id) == 0)
				ERR_NODE(f, id, "duplicate tariff id \"%s\"", t.id);
		read_texts(f, o, "name", 1, t.name);
		read_texts(f, o, "notes", 0, t.notes);
		const cJSON *al = need(f, o, "aliases", cJSON_Array, "an array of strings");
		const cJSON *a;
		cJSON_ArrayForEach(a, al)
		{
			if (!cJSON_IsString(a) || !a->valuestring[0]) {
				ERR_NODE(f, a, "an alias must be a non-empty string");
				continue;
			}
			t.aliases = xrealloc(t.aliases, (t.n_aliases + 1) * sizeof(char *));
			t.aliases[t.n_aliases++] = text_normalize(a->valuestring, strlen(a->valuestring));
		}
		t.monthly_fee = read_num(f, o, "monthly_fee", 0, &ok);
		t.minutes = read_num(f, o, "minutes", 0, &ok);
		t.sms = read_num(f, o, "sms", 0, &ok);
		t.gb = read_num(f, o, "gb", 0, &ok);
		const cJSON *u = need(f, o, "unlimited", cJSON_Object, "an object");
		if (u) {
			static const char *const keys[] = {"minutes", "sms", "gb"};
			int *dst[] = {&t.unl_minutes, &t.unl_sms, &t.unl_gb};
			for (int k = 0; k < 3; k++) {
				const cJSON *b = cJSON_GetObjectItemCaseSensitive(u, keys[k]);
				if (!b)
					ERR_NODE(f, u, "\"unlimited\": missing field \"%s\"", keys[k]);
				else if (!cJSON_IsBool(b))
					ERR_NODE(f, b, "\"unlimited\".\"%s\" must be true or false", keys[k]);
				else
					*dst[k] = cJSON_IsTrue(b);
			}
		}
		load_tariff_extras(f, o, u, &t);
		const cJSON *ov = need(f, o, "overage", cJSON_Object, "an object");
		t.over_minute = t.over_sms = t.over_gb = -1;
		if (ov) {
			t.over_minute = read_num(f, ov, "minute", 1, &ok);
			t.over_sms = read_num(f, ov, "sms", 1, &ok);
			t.over_gb = read_num(f, ov, "gb", 1, &ok);
		}
		rs->tariffs = xrealloc(rs->tariffs, (rs->n_tariffs + 1) * sizeof *rs->tariffs);
		rs->tariffs[rs->n_tariffs++] = t;
	}
}

/* A public template is said under a post, to everyone: short, a bot text, with no
 * placeholders (nothing personal), and "public_answer_<intent>" names an intent. */
static void check_public_template(const struct replyset *rs, struct file *f, const cJSON *o,
				  const struct replyset_template *t)
{
	if (t->kind != RS_TPL_BOT)
		ERR_NODE(f, o, "public template \"%s\" must be of kind \"bot\"", t->id);
	for (int l = 0; l < RS_NLANG; l++) {
		const char *text = t->text[l];
		if (!text)
			continue;
		size_t chars = 0;
		for (const char *p = text; *p; p++)
			chars += ((unsigned char)*p & 0xC0) != 0x80;
		if (chars > PUBLIC_TEXT_MAX)
			ERR_NODE(f, o, "public template \"%s\" (%s) has %zu characters; at most %d",
				 t->id, lang_codes[l], chars, PUBLIC_TEXT_MAX);
		if (strchr(text, '{'))
			ERR_NODE(f, o, "public template \"%s\" (%s) may not have placeholders: "
				 "it is read by everyone", t->id, lang_codes[l]);
	}
	const char *answer = "public_answer_";
	if (strncmp(t->id, answer, strlen(answer)) == 0 &&
	    replyset_intent_index(rs, t->id + strlen(answer)) < 0)
		ERR_NODE(f, o, "public template \"%s\" answers unknown intent \"%s\"", t->id,
			 t->id + strlen(answer));
}

static void load_templates(struct replyset *rs, struct file *f)
{
	const cJSON *arr = need(f, f->root, "templates", cJSON_Array, "an array");
	const cJSON *o;
	cJSON_ArrayForEach(o, arr)
	{
		if (!cJSON_IsObject(o)) {
			ERR_NODE(f, o, "a template must be an object");
			continue;
		}
		struct replyset_template t = {0};
		const cJSON *id = need(f, o, "id", cJSON_String, "a string");
		if (id && !valid_id(id->valuestring))
			ERR_NODE(f, id, "template id \"%s\" must match [a-z0-9_]+", id->valuestring);
		t.id = xstrdup(id ? id->valuestring : "");
		for (size_t k = 0; id && k < rs->n_templates; k++)
			if (strcmp(rs->templates[k].id, t.id) == 0)
				ERR_NODE(f, id, "duplicate template id \"%s\"", t.id);
		const cJSON *kind = need(f, o, "kind", cJSON_String, "a string");
		if (kind) {
			if (strcmp(kind->valuestring, "bot") == 0)
				t.kind = RS_TPL_BOT;
			else if (strcmp(kind->valuestring, "operator") == 0)
				t.kind = RS_TPL_OPERATOR;
			else
				ERR_NODE(f, kind, "unknown template kind \"%s\" (bot, operator)", kind->valuestring);
		}
		read_texts(f, o, "text", 1, t.text);
		if (id && strncmp(t.id, "public_", 7) == 0)
			check_public_template(rs, f, o, &t);
		rs->templates = xrealloc(rs->templates, (rs->n_templates + 1) * sizeof *rs->templates);
		rs->templates[rs->n_templates++] = t;
	}
	for (size_t k = 0; arr && k < sizeof required_templates / sizeof required_templates[0]; k++)
		if (!replyset_template(rs, required_templates[k]))
			ERR_NODE(f, arr, "missing required template \"%s\"", required_templates[k]);
}

static void load_lexicons(struct replyset *rs, struct file *f)
{
	if (!cJSON_IsObject(f->root)) {
		ERR_NODE(f, f->root, "top level must be an object of word lists");
		return;
	}
	const cJSON *l;
	cJSON_ArrayForEach(l, f->root)
	{
		if (!cJSON_IsArray(l)) {
			ERR_NODE(f, l, "lexicon \"%s\" must be an array of strings", l->string);
			continue;
		}
		struct lexicon lx = {xstrdup(l->string), NULL};
		size_t n = 0;
		lx.entries = xcalloc(1, sizeof(char *));
		const cJSON *e;
		cJSON_ArrayForEach(e, l)
		{
			if (!cJSON_IsString(e) || !e->valuestring[0]) {
				ERR_NODE(f, e, "a lexicon entry must be a non-empty string");
				continue;
			}
			lx.entries = xrealloc(lx.entries, (n + 2) * sizeof(char *));
			lx.entries[n++] = text_normalize(e->valuestring, strlen(e->valuestring));
			lx.entries[n] = NULL;
		}
		rs->lexicons = xrealloc(rs->lexicons, (rs->n_lexicons + 1) * sizeof *rs->lexicons);
		rs->lexicons[rs->n_lexicons++] = lx;
	}
	for (size_t k = 0; k < sizeof required_lexicons / sizeof required_lexicons[0]; k++)
		if (!replyset_lexicon(rs, required_lexicons[k]))
			ERR_NODE(f, f->root, "missing lexicon \"%s\"", required_lexicons[k]);
	/* Compiled for one pass over a message (replyset_lexicon_hits). */
	rs->lex_phrases = text_phrases_new();
	for (size_t i = 0; i < rs->n_lexicons && i < 64; i++)
		for (char **e = rs->lexicons[i].entries; *e; e++)
			text_phrases_add(rs->lex_phrases, *e, (unsigned)i);
}

/* ------------------------------------------------------------------ approved files */

struct file_type {
	const char *ext;
	int kind;
	const char *mime;
	const char *magic; /* the bytes it must start with, or NULL */
	size_t magic_len;
};

static const struct file_type file_types[] = {
	{".png", RS_FILE_PHOTO, "image/png", "\x89PNG\r\n\x1a\n", 8},
	{".jpg", RS_FILE_PHOTO, "image/jpeg", "\xff\xd8\xff", 3},
	{".jpeg", RS_FILE_PHOTO, "image/jpeg", "\xff\xd8\xff", 3},
	{".pdf", RS_FILE_DOCUMENT, "application/pdf", "%PDF-", 5},
	{".txt", RS_FILE_DOCUMENT, "text/plain; charset=utf-8", NULL, 0},
	{".docx", RS_FILE_DOCUMENT,
	 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04", 4},
	{".xlsx", RS_FILE_DOCUMENT,
	 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04", 4},
	{".png", RS_FILE_DOCUMENT, "image/png", "\x89PNG\r\n\x1a\n", 8},
	{".jpg", RS_FILE_DOCUMENT, "image/jpeg", "\xff\xd8\xff", 3},
};

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	if (m > n)
		return 0;
	for (size_t i = 0; i < m; i++) {
		char c = s[n - m + i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != suffix[i])
			return 0;
	}
	return 1;
}

const char *replyset_file_check(int kind, const char *name, const char *data, size_t len,
				char *why, size_t whylen)
{
	int ext_known = 0;
	for (size_t i = 0; i < sizeof file_types / sizeof file_types[0]; i++) {
		const struct file_type *t = &file_types[i];
		if (!ends_with_ci(name, t->ext))
			continue;
		ext_known = 1;
		if (t->kind != kind)
			continue;
		if (t->magic && (len < t->magic_len || memcmp(data, t->magic, t->magic_len) != 0)) {
			snprintf(why, whylen, "\"%s\" is not a %s file (its first bytes say otherwise)",
				 name, t->ext + 1);
			return NULL;
		}
		return t->mime;
	}
	if (ext_known && kind == RS_FILE_PHOTO)
		snprintf(why, whylen, "a photo must be .png, .jpg or .jpeg, not \"%s\"", name);
	else
		snprintf(why, whylen,
			 "\"%s\": only .pdf, .txt, .docx, .xlsx, .png, .jpg (documents) and .png, "
			 ".jpg, .jpeg (photos) may be sent",
			 name);
	return NULL;
}

/* The file an entry names: "files/<name>", a plain name (no "..", no further "/", no
 * backslash, no leading dot), a regular file inside the set's directory. */
static int valid_file_name(const char *rel)
{
	if (strncmp(rel, "files/", 6) != 0)
		return 0;
	const char *name = rel + 6;
	if (!*name || *name == '.' || strlen(name) > 120)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == '"')
			return 0;
	return 1;
}

/* Reads dir/rel into *data when it is a regular file under dir of at most
 * REPLYSET_FILE_MAX bytes; why says what is wrong otherwise. */
static int read_approved(const char *dir, const char *rel, char **data, size_t *len, char *why,
			 size_t whylen)
{
	char *path = xasprintf("%s/%s", dir, rel);
	char *real_dir = realpath(dir, NULL), *real = realpath(path, NULL);
	int r = -1;
	struct stat sb;
	if (!real) {
		snprintf(why, whylen, "\"%s\" does not exist (%s)", rel, strerror(errno));
	} else if (!real_dir || strncmp(real, real_dir, strlen(real_dir)) != 0 ||
		   real[strlen(real_dir)] != '/') {
		snprintf(why, whylen, "\"%s\" is outside the reply set's directory", rel);
	} else if (stat(real, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "\"%s\" is not a regular file", rel);
	} else if (sb.st_size == 0) {
		snprintf(why, whylen, "\"%s\" is empty", rel);
	} else if ((uint64_t)sb.st_size > REPLYSET_FILE_MAX) {
		snprintf(why, whylen, "\"%s\" is %lld bytes, over the limit of %u (10 MiB)", rel,
			 (long long)sb.st_size, REPLYSET_FILE_MAX);
	} else {
		FILE *fp = fopen(real, "rb");
		*data = xmalloc((size_t)sb.st_size + 1);
		size_t n = fp ? fread(*data, 1, (size_t)sb.st_size + 1, fp) : 0;
		if (fp)
			fclose(fp);
		if (n != (size_t)sb.st_size) {
			snprintf(why, whylen, "\"%s\" cannot be read whole", rel);
			free(*data);
			*data = NULL;
		} else {
			*len = n;
			r = 0;
		}
	}
	free(path);
	free(real);
	free(real_dir);
	return r;
}

/* files.json (optional): {"files": [{"id", "title", "title_en", "file", "kind"}, ...]}. */
static void load_files(struct replyset *rs, struct file *f, const char *dir, uint64_t *hash)
{
	const cJSON *arr = need(f, f->root, "files", cJSON_Array, "an array");
	const cJSON *o;
	cJSON_ArrayForEach(o, arr)
	{
		if (!cJSON_IsObject(o)) {
			ERR_NODE(f, o, "an approved file must be an object");
			continue;
		}
		struct replyset_file e = {0};
		const cJSON *id = need(f, o, "id", cJSON_String, "a string");
		if (id && !valid_id(id->valuestring))
			ERR_NODE(f, id, "file id \"%s\" must match [a-z0-9_]+", id->valuestring);
		for (size_t k = 0; id && k < rs->n_files; k++)
			if (strcmp(rs->files[k].id, id->valuestring) == 0)
				ERR_NODE(f, id, "duplicate file id \"%s\"", id->valuestring);
		e.id = xstrdup(id ? id->valuestring : "");
		const cJSON *title = need(f, o, "title", cJSON_String, "a string");
		if (title && !*title->valuestring)
			ERR_NODE(f, title, "field \"title\" must not be empty");
		e.title[RS_RU] = xstrdup(title ? title->valuestring : "");
		const cJSON *title_en = maybe(f, o, "title_en", cJSON_String, "a string");
		if (title_en && *title_en->valuestring)
			e.title[RS_EN] = xstrdup(title_en->valuestring);
		const cJSON *kind = need(f, o, "kind", cJSON_String, "a string");
		int kind_ok = 0;
		if (kind) {
			if (strcmp(kind->valuestring, "document") == 0)
				e.kind = RS_FILE_DOCUMENT, kind_ok = 1;
			else if (strcmp(kind->valuestring, "photo") == 0)
				e.kind = RS_FILE_PHOTO, kind_ok = 1;
			else
				ERR_NODE(f, kind, "unknown file kind \"%s\" (document, photo)",
					 kind->valuestring);
		}
		const cJSON *file = need(f, o, "file", cJSON_String, "a string");
		if (file && !valid_file_name(file->valuestring)) {
			ERR_NODE(f, file,
				 "\"%s\": a file must be \"files/<name>\" (no \"..\", no sub-folder)",
				 file->valuestring);
		} else if (file) {
			char why[200];
			e.path = xstrdup(file->valuestring);
			e.name = xstrdup(file->valuestring + 6);
			if (read_approved(dir, e.path, &e.data, &e.len, why, sizeof why) < 0) {
				ERR_NODE(f, file, "%s", why);
			} else if (kind_ok && !(e.mime = replyset_file_check(e.kind, e.name, e.data,
									   e.len, why, sizeof why))) {
				ERR_NODE(f, file, "%s", why);
			} else {
				for (const char *s = e.path; *s; s++)
					*hash = (*hash ^ (unsigned char)*s) * 1099511628211ULL;
				for (size_t i = 0; i < e.len; i++)
					*hash = (*hash ^ (unsigned char)e.data[i]) * 1099511628211ULL;
			}
		}
		rs->files = xrealloc(rs->files, (rs->n_files + 1) * sizeof *rs->files);
		rs->files[rs->n_files++] = e;
	}
}

/* Does a normalised entry have a word (a letter) in it? */
static int has_letter(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || *p >= 0xC0)
			return 1;
	return 0;
}

/* synonyms.json (optional): {"synonyms": [["симка", "сим карта", ...], ...]}. An entry
 * may be in one group only: the matcher reads each group as one concept. */
static void load_synonyms(struct replyset *rs, struct file *f)
{
	if (!cJSON_IsObject(f->root)) {
		ERR_NODE(f, f->root, "top level must be an object {\"synonyms\": [[...], ...]}");
		return;
	}
	const cJSON *arr = need(f, f->root, "synonyms", cJSON_Array, "an array of groups (arrays of strings)");
	const cJSON *g;
	cJSON_ArrayForEach(g, arr)
	{
		if (!cJSON_IsArray(g)) {
			ERR_NODE(f, g, "a synonym group must be an array of strings");
			continue;
		}
		char **entries = xcalloc(1, sizeof(char *));
		size_t n = 0;
		const cJSON *e;
		cJSON_ArrayForEach(e, g)
		{
			if (!cJSON_IsString(e) || !e->valuestring[0]) {
				ERR_NODE(f, e, "a synonym must be a non-empty string");
				continue;
			}
			char *norm = text_normalize(e->valuestring, strlen(e->valuestring));
			if (!has_letter(norm)) {
				ERR_NODE(f, e, "synonym \"%s\" has no word in it", e->valuestring);
				free(norm);
				continue;
			}
			int dup = 0;
			for (size_t k = 0; k < rs->n_synonyms && !dup; k++)
				for (char **o = rs->synonyms[k]; *o && !dup; o++)
					dup = strcmp(*o, norm) == 0;
			for (size_t k = 0; k < n && !dup; k++)
				dup = strcmp(entries[k], norm) == 0;
			if (dup) {
				ERR_NODE(f, e, "synonym \"%s\" is listed twice (an entry belongs to one group)",
					 e->valuestring);
				free(norm);
				continue;
			}
			entries = xrealloc(entries, (n + 2) * sizeof(char *));
			entries[n++] = norm;
			entries[n] = NULL;
		}
		if (n < 2)
			ERR_NODE(f, g, "a synonym group needs at least two entries");
		rs->synonyms = xrealloc(rs->synonyms, (rs->n_synonyms + 1) * sizeof *rs->synonyms);
		rs->synonyms[rs->n_synonyms++] = entries;
	}
}

/* ------------------------------------------------------------------ settings */

static int parse_hhmm(const char *s, int *out)
{
	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m))
		return -1;
	*out = h * 60 + m;
	return 0;
}

static int read_int(struct file *f, const cJSON *o, const char *key, int required, int def, long max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		if (required)
			ERR_NODE(f, o, "missing field \"%s\"", key);
		return def;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max ||
	    v->valuedouble != (double)(long)v->valuedouble) {
		ERR_NODE(f, v, "field \"%s\" must be a whole number from 0 to %ld", key, max);
		return def;
	}
	return (int)v->valuedouble;
}

static void load_settings(struct replyset *rs, struct file *f)
{
	struct replyset_settings *s = &rs->settings;
	if (!cJSON_IsObject(f->root)) {
		ERR_NODE(f, f->root, "top level must be an object");
		return;
	}
	const cJSON *th = need(f, f->root, "thresholds", cJSON_Object, "an object");
	s->answer = 0.55, s->clarify = 0.30, s->margin = 0.08;
	if (th) {
		static const char *const keys[] = {"answer", "clarify", "margin"};
		double *dst[] = {&s->answer, &s->clarify, &s->margin};
		for (int k = 0; k < 3; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(th, keys[k]);
			if (!v)
				ERR_NODE(f, th, "\"thresholds\": missing field \"%s\"", keys[k]);
			else if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1)
				ERR_NODE(f, v, "\"thresholds\".\"%s\" must be a number from 0 to 1", keys[k]);
			else
				*dst[k] = v->valuedouble;
		}
		if (s->clarify > s->answer)
			ERR_NODE(f, th, "\"thresholds\": clarify (%.2f) must not be above answer (%.2f)", s->clarify,
				 s->answer);
	}
	const cJSON *wh = need(f, f->root, "working_hours", cJSON_Object, "an object");
	s->work_start = 9 * 60, s->work_end = 21 * 60, s->utc_offset_minutes = 180, s->work_days = 0xFE;
	if (wh) {
		const char *keys[] = {"start", "end"};
		int *dst[] = {&s->work_start, &s->work_end};
		for (int k = 0; k < 2; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(wh, keys[k]);
			if (!v)
				ERR_NODE(f, wh, "\"working_hours\": missing field \"%s\"", keys[k]);
			else if (!cJSON_IsString(v) || parse_hhmm(v->valuestring, dst[k]) < 0)
				ERR_NODE(f, v, "\"working_hours\".\"%s\" must be a time \"HH:MM\"", keys[k]);
		}
		const cJSON *off = cJSON_GetObjectItemCaseSensitive(wh, "utc_offset_minutes");
		if (off && (!cJSON_IsNumber(off) || off->valuedouble < -720 || off->valuedouble > 840))
			ERR_NODE(f, off, "\"utc_offset_minutes\" must be a number from -720 to 840");
		else if (off)
			s->utc_offset_minutes = (int)off->valuedouble;
		const cJSON *days = maybe(f, wh, "days", cJSON_Array, "an array of weekdays 1..7");
		if (days) {
			s->work_days = 0;
			const cJSON *d;
			cJSON_ArrayForEach(d, days)
			{
				if (!cJSON_IsNumber(d) || d->valuedouble < 1 || d->valuedouble > 7)
					ERR_NODE(f, d, "a working day must be a number from 1 (Monday) to 7");
				else
					s->work_days |= 1u << (int)d->valuedouble;
			}
		}
	}
	/* Days off beyond the weekly ones (public holidays), as local dates. */
	const cJSON *hol = maybe(f, f->root, "holidays", cJSON_Array, "an array of \"YYYY-MM-DD\"");
	s->n_holidays = 0;
	const cJSON *h;
	cJSON_ArrayForEach(h, hol)
	{
		int32_t day = cJSON_IsString(h) ? worktime_parse_day(h->valuestring) : -1;
		if (day < 0)
			ERR_NODE(f, h, "a holiday must be a date \"YYYY-MM-DD\"");
		else if (s->n_holidays >= RS_MAX_HOLIDAYS)
			ERR_NODE(f, h, "at most %d holidays", RS_MAX_HOLIDAYS);
		else
			s->holidays[s->n_holidays++] = day;
	}
	const cJSON *sla = need(f, f->root, "sla_minutes", cJSON_Object, "an object");
	static const int sla_def[] = {30, 60, 240, 1440};
	for (int k = 0; k < SEVERITY_COUNT; k++)
		s->sla_minutes[k] = sla ? read_int(f, sla, severity_name(k), 1, sla_def[k], 100000) : sla_def[k];
	s->high_reach_followers = read_int(f, f->root, "high_reach_followers", 0, 10000, 2000000000);
	s->interview_max_tries = read_int(f, f->root, "interview_max_tries", 0, 2, 100);
	s->operator_auto_reply_interval_s = read_int(f, f->root, "operator_auto_reply_interval_s", 0, 900, 86400 * 7);
	s->unclaimed_alert_minutes = read_int(f, f->root, "unclaimed_alert_minutes", 0, 15, 100000);
	s->claimed_silence_minutes = read_int(f, f->root, "claimed_silence_minutes", 0, 30, 100000);
	s->human_idle_minutes = read_int(f, f->root, "human_idle_minutes", 0, 60, 100000);
	const cJSON *menu = need(f, f->root, "menu", cJSON_Array, "an array of intent ids");
	const cJSON *m;
	cJSON_ArrayForEach(m, menu)
	{
		if (!cJSON_IsString(m)) {
			ERR_NODE(f, m, "a menu item must be an intent id");
			continue;
		}
		s->menu = xrealloc(s->menu, (s->n_menu + 1) * sizeof(char *));
		s->menu[s->n_menu++] = xstrdup(m->valuestring);
	}
	const cJSON *units = maybe(f, f->root, "idea_units", cJSON_Array, "an array of names");
	cJSON_ArrayForEach(m, units)
	{
		if (!cJSON_IsString(m) || !m->valuestring[0] || strlen(m->valuestring) > 80) {
			ERR_NODE(f, m, "a business unit must be a name of 1 to 80 bytes");
			continue;
		}
		s->idea_units = xrealloc(s->idea_units, (s->n_idea_units + 1) * sizeof(char *));
		s->idea_units[s->n_idea_units++] = xstrdup(m->valuestring);
	}
}

/* ------------------------------------------------------------------ cross checks */

/* Finds the raw node of intent #i's field in the files (for positions). */
struct intent_src {
	struct file *f;
	const cJSON *node;
};

/* 1 if id names an out-of-scope intent: nothing may offer one. */
static int out_of_scope(const struct replyset *rs, const char *id)
{
	const struct replyset_intent *it = replyset_intent(rs, id);
	return it && it->kind == RS_OUT_OF_SCOPE;
}

static void cross_check(struct replyset *rs, struct file *intent_files, size_t n_files, struct file *settings)
{
	/* Walk the intent files again, in the same order the intents were added. */
	size_t idx = 0;
	for (size_t fi = 0; fi < n_files; fi++) {
		struct file *f = &intent_files[fi];
		const cJSON *arr = f->root ? cJSON_GetObjectItemCaseSensitive(f->root, "intents") : NULL;
		if (!cJSON_IsArray(arr))
			continue;
		const cJSON *o;
		cJSON_ArrayForEach(o, arr)
		{
			if (!cJSON_IsObject(o))
				continue;
			struct replyset_intent *it = &rs->intents[idx++];
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
			if (it->id && cJSON_IsString(id)) {
				for (size_t k = 0; k + 1 < idx; k++)
					if (rs->intents[k].id && strcmp(rs->intents[k].id, it->id) == 0) {
						ERR_NODE(f, id, "duplicate intent id \"%s\" (first defined in %s)", it->id,
							 rs->intents[k].file);
						break;
					}
			}
			const cJSON *btn = cJSON_GetObjectItemCaseSensitive(o, "buttons");
			if (!cJSON_IsArray(btn))
				btn = NULL;
			const cJSON *b;
			cJSON_ArrayForEach(b, btn)
			{
				const cJSON *bi = cJSON_IsObject(b) ? cJSON_GetObjectItemCaseSensitive(b, "intent") : NULL;
				if (cJSON_IsString(bi) && replyset_intent_index(rs, bi->valuestring) < 0)
					ERR_NODE(f, bi, "button points to unknown intent \"%s\"", bi->valuestring);
				else if (cJSON_IsString(bi) && out_of_scope(rs, bi->valuestring))
					ERR_NODE(f, bi, "button points to out-of-scope intent \"%s\"", bi->valuestring);
			}
		}
	}
	if (settings && settings->root) {
		const cJSON *menu = cJSON_GetObjectItemCaseSensitive(settings->root, "menu");
		if (!cJSON_IsArray(menu))
			menu = NULL;
		const cJSON *m;
		cJSON_ArrayForEach(m, menu)
			if (cJSON_IsString(m) && replyset_intent_index(rs, m->valuestring) < 0)
				ERR_NODE(settings, m, "menu item points to unknown intent \"%s\"", m->valuestring);
			else if (cJSON_IsString(m) && out_of_scope(rs, m->valuestring))
				ERR_NODE(settings, m, "menu item points to out-of-scope intent \"%s\"", m->valuestring);
	}
}

/* ------------------------------------------------------------------ load */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the .json files of intents/, sorted so that loading (and the version hash) is stable. */
static char **list_intent_files(const char *dir, size_t *n, struct replyset_errors *errs, int *n_errors)
{
	char *path = xasprintf("%s/intents", dir);
	DIR *d = opendir(path);
	char **names = NULL;
	*n = 0;
	if (!d) {
		char *msg = xasprintf("cannot open directory: %s", strerror(errno));
		add_error(errs, path, 1, 1, msg);
		(*n_errors)++;
		free(msg);
		free(path);
		return NULL;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		names = xrealloc(names, (*n + 1) * sizeof *names);
		names[(*n)++] = xasprintf("intents/%s", e->d_name);
	}
	closedir(d);
	if (*n == 0) {
		add_error(errs, path, 1, 1, "no intent files (*.json)");
		(*n_errors)++;
	}
	free(path);
	qsort(names, *n, sizeof *names, cmp_str);
	return names;
}

static void build_intent_slots(struct replyset *rs);

/* The spelling dictionary for a new set's text context: prev's, or opened now. */
static void attach_dict(struct text_ctx *ctx, const struct replyset *prev)
{
	struct text_dict *d = prev && prev->text ? text_ctx_dict(prev->text) : NULL;
	if (d) {
		text_ctx_set_dict(ctx, d);
		return;
	}
	const char *where = NULL;
	d = text_dict_open_default(&where);
	if (!d) {
		log_warn("replies: no Russian Hunspell dictionary at %s.aff/.dic (install hunspell-ru): "
			 "spelling and glued words are repaired against the reply set's words only",
			 where);
		return;
	}
	text_ctx_set_dict(ctx, d);
	text_dict_unref(d); /* the context holds it now */
}

int replyset_load(const char *dir, struct replyset **out, struct replyset_errors *errs)
{
	return replyset_load_sharing(dir, NULL, out, errs);
}

int replyset_load_sharing(const char *dir, const struct replyset *prev, struct replyset **out,
			  struct replyset_errors *errs)
{
	*out = NULL;
	int n_errors = 0;
	uint64_t hash = 1469598103934665603ULL;
	struct replyset *rs = xcalloc(1, sizeof *rs);
	rs->refs = 1;
	rs->dir = xstrdup(dir);
	struct file settings, tariffs, templates, lexicons;
	size_t n_ifiles = 0;
	char **inames = list_intent_files(dir, &n_ifiles, errs, &n_errors);
	struct file *ifiles = xcalloc(n_ifiles + 1, sizeof *ifiles);

	if (file_open(&settings, dir, "settings.json", errs, &n_errors, &hash) == 0)
		load_settings(rs, &settings);
	for (size_t i = 0; i < n_ifiles; i++)
		if (file_open(&ifiles[i], dir, inames[i], errs, &n_errors, &hash) == 0)
			load_intents_file(rs, &ifiles[i]);
	if (file_open(&tariffs, dir, "tariffs.json", errs, &n_errors, &hash) == 0)
		load_tariffs(rs, &tariffs);
	if (file_open(&templates, dir, "templates.json", errs, &n_errors, &hash) == 0)
		load_templates(rs, &templates);
	if (file_open(&lexicons, dir, "lexicons.json", errs, &n_errors, &hash) == 0)
		load_lexicons(rs, &lexicons);
	/* Optional files: absent is fine, broken is an error. */
	char *syn_path = xasprintf("%s/synonyms.json", dir);
	int has_syn = access(syn_path, F_OK) == 0;
	free(syn_path);
	struct file synonyms = {0};
	if (has_syn && file_open(&synonyms, dir, "synonyms.json", errs, &n_errors, &hash) == 0)
		load_synonyms(rs, &synonyms);
	char *files_path = xasprintf("%s/files.json", dir);
	int has_files = access(files_path, F_OK) == 0;
	free(files_path);
	struct file files = {0};
	if (has_files && file_open(&files, dir, "files.json", errs, &n_errors, &hash) == 0)
		load_files(rs, &files, dir, &hash);
	cross_check(rs, ifiles, n_ifiles, &settings);
	for (size_t i = 0; i < rs->n_intents; i++)
		rs->n_examples += rs->intents[i].n_examples[RS_RU] + rs->intents[i].n_examples[RS_EN];

	file_close(&settings);
	file_close(&tariffs);
	file_close(&templates);
	file_close(&lexicons);
	file_close(&synonyms);
	file_close(&files);
	for (size_t i = 0; i < n_ifiles; i++) {
		file_close(&ifiles[i]);
		free(inames[i]);
	}
	free(ifiles);
	free(inames);

	if (n_errors == 0 && !(rs->text = text_ctx_new())) {
		add_error(errs, dir, 1, 1, "cannot create the Snowball stemmers");
		n_errors++;
	}
	if (n_errors == 0)
		attach_dict(rs->text, prev);
	if (n_errors) {
		rs_destroy(rs);
		return -1;
	}
	time_t now = (time_t)clock_now_s();
	struct tm tm;
	gmtime_r(&now, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	rs->version = xasprintf("%012llx@%s", (unsigned long long)(hash >> 16), when);
	build_intent_slots(rs);
	rs->index = match_index_build(rs, rs->text);
	*out = rs;
	return 0;
}

/* ------------------------------------------------------------------ refs and lookups */

struct replyset *replyset_ref(struct replyset *rs)
{
	if (rs)
		rs->refs++;
	return rs;
}

void replyset_unref(struct replyset *rs)
{
	if (rs && --rs->refs == 0)
		rs_destroy(rs);
}

void replyset_free(struct replyset *rs)
{
	replyset_unref(rs);
}

const char *replyset_version(const struct replyset *rs)
{
	return rs->version;
}

const char *replyset_dir(const struct replyset *rs)
{
	return rs->dir;
}

size_t replyset_n_intents(const struct replyset *rs)
{
	return rs->n_intents;
}

size_t replyset_n_tariffs(const struct replyset *rs)
{
	return rs->n_tariffs;
}

size_t replyset_n_templates(const struct replyset *rs)
{
	return rs->n_templates;
}

size_t replyset_n_examples(const struct replyset *rs)
{
	return rs->n_examples;
}

const struct replyset_intent *replyset_intent_at(const struct replyset *rs, size_t i)
{
	return i < rs->n_intents ? &rs->intents[i] : NULL;
}

static uint64_t id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return h ^ h >> 31;
}

/* The id table of a loaded set: handlers look intents up by id many times a message.
 * The first intent of an id wins, as in the scan it replaces. */
static void build_intent_slots(struct replyset *rs)
{
	size_t n = 16;
	while (n < rs->n_intents * 2)
		n *= 2;
	rs->intent_slots = xmalloc(n * sizeof *rs->intent_slots);
	memset(rs->intent_slots, 0xFF, n * sizeof *rs->intent_slots);
	rs->n_intent_slots = n;
	for (size_t i = 0; i < rs->n_intents; i++) {
		const char *id = rs->intents[i].id;
		if (!id)
			continue;
		for (size_t k = id_hash(id) & (n - 1);; k = (k + 1) & (n - 1)) {
			int32_t at = rs->intent_slots[k];
			if (at < 0) {
				rs->intent_slots[k] = (int32_t)i;
				break;
			}
			if (strcmp(rs->intents[at].id, id) == 0)
				break;
		}
	}
}

int replyset_intent_index(const struct replyset *rs, const char *id)
{
	if (!id)
		return -1;
	if (rs->intent_slots) {
		size_t mask = rs->n_intent_slots - 1;
		for (size_t k = id_hash(id) & mask;; k = (k + 1) & mask) {
			int32_t at = rs->intent_slots[k];
			if (at < 0)
				return -1;
			if (strcmp(rs->intents[at].id, id) == 0)
				return at;
		}
	}
	for (size_t i = 0; i < rs->n_intents; i++)
		if (rs->intents[i].id && strcmp(rs->intents[i].id, id) == 0)
			return (int)i;
	return -1;
}

const struct replyset_intent *replyset_intent(const struct replyset *rs, const char *id)
{
	int i = replyset_intent_index(rs, id);
	return i < 0 ? NULL : &rs->intents[i];
}

const struct replyset_tariff *replyset_tariff_at(const struct replyset *rs, size_t i)
{
	return i < rs->n_tariffs ? &rs->tariffs[i] : NULL;
}

const struct replyset_tariff *replyset_tariff(const struct replyset *rs, const char *id)
{
	for (size_t i = 0; id && i < rs->n_tariffs; i++)
		if (strcmp(rs->tariffs[i].id, id) == 0)
			return &rs->tariffs[i];
	return NULL;
}

size_t replyset_n_files(const struct replyset *rs)
{
	return rs ? rs->n_files : 0;
}

const struct replyset_file *replyset_file_at(const struct replyset *rs, size_t i)
{
	return rs && i < rs->n_files ? &rs->files[i] : NULL;
}

const struct replyset_file *replyset_file(const struct replyset *rs, const char *id)
{
	for (size_t i = 0; rs && id && i < rs->n_files; i++)
		if (strcmp(rs->files[i].id, id) == 0)
			return &rs->files[i];
	return NULL;
}

const struct replyset_template *replyset_template_at(const struct replyset *rs, size_t i)
{
	return i < rs->n_templates ? &rs->templates[i] : NULL;
}

const struct replyset_template *replyset_template(const struct replyset *rs, const char *id)
{
	for (size_t i = 0; id && i < rs->n_templates; i++)
		if (strcmp(rs->templates[i].id, id) == 0)
			return &rs->templates[i];
	return NULL;
}

const struct replyset_settings *replyset_settings(const struct replyset *rs)
{
	return &rs->settings;
}

const char *const *replyset_lexicon(const struct replyset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_lexicons; i++)
		if (strcmp(rs->lexicons[i].name, name) == 0)
			return (const char *const *)rs->lexicons[i].entries;
	return NULL;
}

int replyset_lexicon_index(const struct replyset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_lexicons; i++)
		if (strcmp(rs->lexicons[i].name, name) == 0)
			return (int)i;
	return -1;
}

uint64_t replyset_lexicon_hits(const struct replyset *rs, const struct text_analysis *a, uint64_t want)
{
	return text_phrases_match(rs->lex_phrases, a, want);
}

int replyset_lexicon_hit(const struct replyset *rs, const char *name, const struct text_analysis *a)
{
	int i = replyset_lexicon_index(rs, name);
	if (i < 0)
		return 0;
	if (i < 64)
		return (int)(text_phrases_match(rs->lex_phrases, a, (uint64_t)1 << i) >> i & 1);
	for (char **e = rs->lexicons[i].entries; *e; e++)
		if (text_has_phrase(a, *e))
			return 1;
	return 0;
}

size_t replyset_n_synonym_groups(const struct replyset *rs)
{
	return rs->n_synonyms;
}

const char *const *replyset_synonym_group(const struct replyset *rs, size_t i)
{
	return i < rs->n_synonyms ? (const char *const *)rs->synonyms[i] : NULL;
}

const struct match_index *replyset_index(const struct replyset *rs)
{
	return rs->index;
}

struct text_ctx *replyset_text_ctx(const struct replyset *rs)
{
	return rs->text;
}

/* ------------------------------------------------------------------ tariff calculator */

/* Cost of one service: 0 within the package, the overage beyond it, -1 if it cannot
 * be had. */
static double part_cost(double need, double package, int unlimited, double price)
{
	if (need <= 0 || unlimited)
		return 0;
	if (need >= TEXT_UNLIMITED)
		return -1;
	if (need <= package)
		return 0;
	if (price < 0)
		return -1;
	return (need - package) * price;
}

double replyset_tariff_cost(const struct replyset_tariff *t, const struct tariff_need *need)
{
	if (t->data_only && need->minutes > 0 && !(need->in_network && t->unl_in_network))
		return -1;
	/* A restricted plan is offered only to whom it is for, so it needs the age. */
	if ((t->min_age || t->max_age) &&
	    (need->age <= 0 || (t->min_age && need->age < t->min_age) || (t->max_age && need->age > t->max_age)))
		return -1;
	/* Unlimited data has every app's traffic in it. */
	if (need->unl_apps & ~t->unl_apps && !t->unl_gb)
		return -1;
	int free_calls = t->unl_minutes || (need->in_network && t->unl_in_network);
	double m = part_cost(need->minutes, t->minutes, free_calls, t->over_minute);
	double g = part_cost(need->gb, t->gb, t->unl_gb, t->over_gb);
	double s = part_cost(need->sms, t->sms, t->unl_sms, t->over_sms);
	if (m < 0 || g < 0 || s < 0)
		return -1;
	return t->monthly_fee + m + g + s;
}

/* Size of a plan's package, to break ties in favour of the bigger one. */
static double package_size(const struct replyset_tariff *t)
{
	return (t->unl_minutes ? 1e6 : t->minutes) + (t->unl_gb ? 1e6 : t->gb * 100) + (t->unl_sms ? 1e5 : t->sms);
}

int replyset_tariff_pick(const struct replyset *rs, const struct tariff_need *need, struct tariff_pick *out)
{
	int best = -1, second = -1;
	double best_cost = 0, second_cost = 0;
	for (size_t i = 0; i < rs->n_tariffs; i++) {
		const struct replyset_tariff *t = &rs->tariffs[i];
		double c = replyset_tariff_cost(t, need);
		if (c < 0 || (need->budget >= 0 && c > need->budget + 1e-9))
			continue;
		int better = best < 0 || c < best_cost - 1e-9 ||
			     (c < best_cost + 1e-9 && package_size(t) > package_size(&rs->tariffs[best]));
		if (better) {
			second = best;
			second_cost = best_cost;
			best = (int)i;
			best_cost = c;
		} else if (second < 0 || c < second_cost) {
			second = (int)i;
			second_cost = c;
		}
	}
	if (best < 0)
		return -1;
	out->tariff = best;
	out->total = best_cost;
	out->extra = best_cost - rs->tariffs[best].monthly_fee;
	out->reason = out->extra > 1e-9 ? RS_PICK_OVERAGE : RS_PICK_COVERS;
	out->runner_up = second;
	out->runner_up_total = second_cost;
	return 0;
}

/* ------------------------------------------------------------------ templates */

int replyset_lang(const char *code)
{
	return code && strcmp(code, "en") == 0 ? RS_EN : RS_RU;
}

const char *replyset_lang_code(int lang)
{
	return lang == RS_EN ? "en" : "ru";
}

/* Where each placeholder's value lives in struct tpl_vars (same order as
 * placeholders[]). */
static const size_t var_offsets[N_PLACEHOLDERS] = {
	offsetof(struct tpl_vars, case_id), offsetof(struct tpl_vars, name),
	offsetof(struct tpl_vars, eta),     offsetof(struct tpl_vars, phone),
	offsetof(struct tpl_vars, account), offsetof(struct tpl_vars, plan),
	offsetof(struct tpl_vars, fee),     offsetof(struct tpl_vars, minutes),
	offsetof(struct tpl_vars, sms),     offsetof(struct tpl_vars, gb),
	offsetof(struct tpl_vars, total),   offsetof(struct tpl_vars, reason),
	offsetof(struct tpl_vars, plan_a),  offsetof(struct tpl_vars, plan_b),
	offsetof(struct tpl_vars, missing), offsetof(struct tpl_vars, topics),
	offsetof(struct tpl_vars, operator_name), offsetof(struct tpl_vars, work_start),
	offsetof(struct tpl_vars, needs),   offsetof(struct tpl_vars, idea),
	offsetof(struct tpl_vars, idea_text), offsetof(struct tpl_vars, votes),
	offsetof(struct tpl_vars, ideas),
};

char *replyset_fill(const char *text, const struct tpl_vars *vars)
{
	struct buf b = {0};
	buf_append(&b, "", 0);
	const char *p = text;
	while (*p) {
		const char *open = strchr(p, '{');
		if (!open) {
			buf_puts(&b, p);
			break;
		}
		buf_append(&b, p, (size_t)(open - p));
		const char *close = strchr(open, '}');
		size_t k = N_PLACEHOLDERS;
		if (close)
			for (k = 0; k < N_PLACEHOLDERS; k++)
				if (strlen(placeholders[k]) == (size_t)(close - open - 1) &&
				    strncmp(placeholders[k], open + 1, (size_t)(close - open - 1)) == 0)
					break;
		if (k == N_PLACEHOLDERS) {
			buf_append(&b, "{", 1);
			p = open + 1;
			continue;
		}
		const char *val = vars ? *(const char *const *)((const char *)vars + var_offsets[k]) : NULL;
		if (val)
			buf_puts(&b, val);
		p = close + 1;
	}
	return buf_steal(&b);
}

char *replyset_render(const struct replyset *rs, const char *id, int lang, const struct tpl_vars *vars)
{
	const struct replyset_template *t = replyset_template(rs, id);
	if (!t)
		return NULL;
	return replyset_fill(t->text[lang == RS_EN ? RS_EN : RS_RU], vars);
}
