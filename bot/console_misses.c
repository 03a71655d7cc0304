/* The console's learning page API (see console_misses.h). */
#include "console_misses.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json_edit.h"
#include "log.h"
#include "matcher.h"
#include "misses.h"
#include "replyset.h"
#include "server.h"
#include "store.h"
#include "store_cases.h"
#include "store_misses.h"
#include "text.h"
#include "xalloc.h"

#define GROUP_EXAMPLES 5
#define GROUP_IDS 200
#define TEXTS_MAX 50
#define CHANGES_LIST 100
#define FILE_MAX (4 << 20)

struct console_misses {
	struct console_misses_deps d;
};

struct console_misses *console_misses_new(const struct console_misses_deps *d)
{
	struct console_misses *cm = xcalloc(1, sizeof *cm);
	cm->d = *d;
	return cm;
}

void console_misses_free(struct console_misses *cm)
{
	free(cm);
}

static struct replyset *live(struct console_misses *cm)
{
	return cm->d.replies ? cm->d.replies(cm->d.arg) : NULL;
}

static void answer(struct http_resp *resp, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	http_resp_json(resp, status, s);
	free(s);
	cJSON_Delete(o);
}

static void store_failed(struct console_misses *cm, struct http_resp *resp, const char *what)
{
	log_error("console: misses: %s failed: %s", what, store_state(cm->d.store));
	http_resp_error(resp, 500, "хранилище не ответило, ничего не изменено");
}

/* ---- the listing ---- */

struct collected {
	struct miss *v;
	size_t n, cap;
};

static void collect(void *arg, const struct miss *m)
{
	struct collected *c = arg;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	struct miss *o = &c->v[c->n++];
	*o = *m;
	o->channel = xstrdup(m->channel ? m->channel : "");
	o->text = xstrdup(m->text ? m->text : "");
	o->outcome = xstrdup(m->outcome ? m->outcome : "");
	o->intent = m->intent ? xstrdup(m->intent) : NULL;
	o->replyset_version = NULL;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free((char *)c->v[i].channel);
		free((char *)c->v[i].text);
		free((char *)c->v[i].outcome);
		free((char *)c->v[i].intent);
	}
	free(c->v);
}

static const char *intent_title(const struct replyset *rs, const char *id)
{
	const struct replyset_intent *it = rs && id ? replyset_intent(rs, id) : NULL;
	if (!it)
		return NULL;
	return it->title[RS_RU] ? it->title[RS_RU] : it->title[RS_EN] ? it->title[RS_EN] : it->id;
}

/* The most frequent non-NULL of n strings (the first of equals), or NULL. */
static const char *most_common(const char **v, size_t n)
{
	const char *best = NULL;
	size_t best_n = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			continue;
		size_t k = 0;
		for (size_t j = 0; j < n; j++)
			k += v[j] && strcmp(v[j], v[i]) == 0;
		if (k > best_n) {
			best = v[i];
			best_n = k;
		}
	}
	return best;
}

struct group_view {
	size_t g, count;
};

static int by_count(const void *a, const void *b)
{
	const struct group_view *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->g < y->g ? -1 : x->g > y->g;
}

static void api_list(struct console_misses *cm, const struct http_req *req, int64_t now,
		     struct http_resp *resp)
{
	char days_s[8] = "7", outcome[16] = "";
	if (http_req_param(req, "days", days_s, sizeof days_s) == -2 ||
	    http_req_param(req, "outcome", outcome, sizeof outcome) == -2) {
		http_resp_error(resp, 400, "days: 1-90; outcome: fallback, clarify или low");
		return;
	}
	char *end;
	long days = strtol(days_s, &end, 10);
	if (*end || days < 1 || days > 90 ||
	    (*outcome && strcmp(outcome, "fallback") && strcmp(outcome, "clarify") &&
	     strcmp(outcome, "low"))) {
		http_resp_error(resp, 400, "days: 1-90; outcome: fallback, clarify или low");
		return;
	}
	struct replyset *rs = live(cm);
	if (!rs) {
		http_resp_error(resp, 503, "набор ответов не загружен");
		return;
	}
	struct collected c = {0};
	if (store_misses_each(cm->d.store, now - days * 86400, outcome, MISSES_WINDOW, collect,
			      &c) < 0) {
		collected_free(&c);
		store_failed(cm, resp, "the list");
		return;
	}
	const char **texts = xcalloc(c.n + 1, sizeof *texts);
	size_t *group_of = xcalloc(c.n + 1, sizeof *group_of);
	for (size_t i = 0; i < c.n; i++)
		texts[i] = c.v[i].text;
	size_t n_groups = misses_group(rs, texts, c.n, MISSES_JACCARD, group_of);
	struct group_view *gv = xcalloc(n_groups + 1, sizeof *gv);
	for (size_t g = 0; g < n_groups; g++)
		gv[g].g = g;
	for (size_t i = 0; i < c.n; i++)
		gv[group_of[i]].count++;
	qsort(gv, n_groups, sizeof *gv, by_count);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "days", (double)days);
	cJSON_AddNumberToObject(o, "total", (double)c.n);
	cJSON *groups = cJSON_AddArrayToObject(o, "groups");
	const char **intents = xcalloc(c.n + 1, sizeof *intents);
	const char **outcomes = xcalloc(c.n + 1, sizeof *outcomes);
	for (size_t k = 0; k < n_groups; k++) {
		size_t g = gv[k].g, m = 0;
		cJSON *grp = cJSON_CreateObject();
		cJSON_AddNumberToObject(grp, "count", (double)gv[k].count);
		cJSON *ids = cJSON_AddArrayToObject(grp, "ids");
		cJSON *ex = cJSON_AddArrayToObject(grp, "examples");
		int n_ex = 0, n_ids = 0;
		for (size_t i = 0; i < c.n; i++) {
			if (group_of[i] != g)
				continue;
			intents[m] = c.v[i].intent;
			outcomes[m++] = c.v[i].outcome;
			if (n_ids++ < GROUP_IDS)
				cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)c.v[i].id));
			/* Distinct examples only: the same question ten times shows once. */
			int dup = 0;
			const cJSON *e;
			cJSON_ArrayForEach(e, ex) dup |= strcmp(e->valuestring, c.v[i].text) == 0;
			if (!dup && n_ex < GROUP_EXAMPLES) {
				cJSON_AddItemToArray(ex, cJSON_CreateString(c.v[i].text));
				n_ex++;
			}
		}
		const char *guess = most_common(intents, m);
		cJSON_AddStringToObject(grp, "outcome", most_common(outcomes, m));
		if (guess && replyset_intent(rs, guess)) {
			cJSON_AddStringToObject(grp, "intent", guess);
			cJSON_AddStringToObject(grp, "intent_title", intent_title(rs, guess));
		} else {
			cJSON_AddNullToObject(grp, "intent");
			cJSON_AddNullToObject(grp, "intent_title");
		}
		cJSON_AddItemToArray(groups, grp);
	}
	cJSON *list = cJSON_AddArrayToObject(o, "intents");
	for (size_t i = 0; i < replyset_n_intents(rs); i++) {
		const struct replyset_intent *it = replyset_intent_at(rs, i);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", it->id);
		cJSON_AddStringToObject(e, "title", intent_title(rs, it->id));
		cJSON_AddItemToArray(list, e);
	}
	free(intents);
	free(outcomes);
	free(gv);
	free(group_of);
	free(texts);
	collected_free(&c);
	answer(resp, 200, o);
}

/* ---- files ---- */

/* The whole file at path (NUL-terminated), or NULL (errno: ENOENT when there is none). */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = {0};
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < FILE_MAX)
		buf_append(&b, chunk, n);
	int bad = ferror(f) || b.len >= FILE_MAX;
	fclose(f);
	if (bad) {
		buf_free(&b);
		errno = EIO;
		return NULL;
	}
	return buf_steal(&b);
}

/* Writes data to path through a temporary file beside it, synced, then renamed over
 * it: a reader sees the old file or the new one, never half of one. 0 or -1. */
static int write_atomic(const char *path, const char *data)
{
	char tmp[4200];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.deskbot-tmp", path) >= sizeof tmp)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(data), off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Puts path to data (NULL: removes it). 0 or -1. */
static int put_file(const char *path, const char *data)
{
	if (data)
		return write_atomic(path, data);
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned n = 0;
	if (!EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) || n != 32) {
		out[0] = 0;
		return;
	}
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int copy_file(const char *from, const char *to)
{
	char *data = read_all(from);
	if (!data)
		return -1;
	FILE *f = fopen(to, "wb");
	int ok = f && fwrite(data, 1, strlen(data), f) == strlen(data);
	if (f && fclose(f) != 0)
		ok = 0;
	free(data);
	return ok ? 0 : -1;
}

/* Copies the regular files of from (and of its folders, one level down) into to. */
static int copy_tree(const char *from, const char *to, int depth)
{
	DIR *d = opendir(from);
	if (!d)
		return -1;
	int result = 0;
	struct dirent *e;
	while (result == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char a[4200], b[4200];
		if ((size_t)snprintf(a, sizeof a, "%s/%s", from, e->d_name) >= sizeof a ||
		    (size_t)snprintf(b, sizeof b, "%s/%s", to, e->d_name) >= sizeof b) {
			result = -1;
			break;
		}
		struct stat st;
		if (stat(a, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth == 0)
			result = mkdir(b, 0700) < 0 ? -1 : copy_tree(a, b, 1);
		else if (S_ISREG(st.st_mode))
			result = copy_file(a, b);
	}
	closedir(d);
	return result;
}

static void remove_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[4200];
		if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p)
			continue;
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth == 0)
			remove_tree(p, 1);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Loads the set of dir with rel replaced by data (NULL: without rel) on a temporary
 * copy, with the loader deskbot check uses. 0 valid; -1 with the problems in problems
 * (an array of "file:line:col: message", files relative to the set). */
static int validate(const struct replyset *rs, const char *rel, const char *data,
		    cJSON *problems)
{
	char tmp[] = "/tmp/deskbot-misses-XXXXXX";
	if (!mkdtemp(tmp)) {
		cJSON_AddItemToArray(problems, cJSON_CreateString("no temporary directory"));
		return -1;
	}
	char path[4200];
	int result = -1;
	if (copy_tree(replyset_dir(rs), tmp, 0) < 0 ||
	    (size_t)snprintf(path, sizeof path, "%s/%s", tmp, rel) >= sizeof path ||
	    put_file(path, data) < 0) {
		cJSON_AddItemToArray(problems,
				     cJSON_CreateString("the reply set could not be copied"));
	} else {
		struct replyset *test = NULL;
		struct replyset_errors errs = {0};
		result = replyset_load_sharing(tmp, rs, &test, &errs);
		size_t tl = strlen(tmp);
		for (size_t i = 0; i < errs.n; i++) {
			const struct replyset_error *e = &errs.items[i];
			const char *f = e->file ? e->file : "";
			if (strncmp(f, tmp, tl) == 0)
				f += tl + (f[tl] == '/');
			char line[1024];
			snprintf(line, sizeof line, "%s:%d:%d: %s", f, e->line, e->col, e->msg);
			cJSON_AddItemToArray(problems, cJSON_CreateString(line));
		}
		if (result < 0 && errs.n == 0)
			cJSON_AddItemToArray(problems, cJSON_CreateString("the set did not load"));
		replyset_errors_free(&errs);
		replyset_unref(test);
	}
	remove_tree(tmp, 0);
	return result < 0 ? -1 : 0;
}

/* ---- a change ---- */

enum change_kind { CH_ATTACH, CH_CREATE, CH_UNDO };

struct change {
	enum change_kind kind;
	const char *intent, *rel;
	const char *before, *after; /* NULL: no file */
	const int64_t *ids;         /* misses to attach (CH_ATTACH, CH_CREATE) */
	size_t n_ids;
	const char *const *texts;   /* or these texts' misses */
	size_t n_texts;
	int64_t undo;               /* CH_UNDO: the change undone */
	int added;
};

/* The store's part, in tx: the change row (and *id), the misses, the audit row. */
static int record(struct store_tx *tx, const struct change *c, const char *login,
		  const char *diff, int64_t now, int64_t *id)
{
	char sha[65] = "";
	if (c->after)
		sha256_hex(c->after, sha);
	if (c->kind == CH_UNDO) {
		*id = c->undo;
		if (store_miss_change_undo(tx, c->undo, now) != 1 || store_misses_detach(tx, c->undo) < 0)
			return -1;
	} else {
		struct miss_change row = {.at = now, .actor = (char *)login,
					  .action = c->kind == CH_CREATE ? "create" : "attach",
					  .intent = (char *)c->intent, .file = (char *)c->rel,
					  .before = (char *)c->before, .after = (char *)c->after,
					  .after_sha = sha, .diff = (char *)diff};
		if (store_miss_change_add(tx, &row, id) < 0)
			return -1;
		if (c->n_ids && store_misses_attach_ids(tx, c->ids, c->n_ids, *id) < 0)
			return -1;
		for (size_t k = 0; k < c->n_texts; k++)
			if (store_misses_attach_text(tx, c->texts[k], *id) < 0)
				return -1;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "change", (double)*id);
	cJSON_AddStringToObject(d, "intent", c->intent);
	cJSON_AddStringToObject(d, "file", c->rel);
	cJSON_AddStringToObject(d, "diff", diff);
	char *detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	static const char *const actions[] = {"misses_attach", "misses_create", "misses_undo"};
	int rc = store_audit(tx, login, actions[c->kind], 0, detail, now);
	free(detail);
	return rc;
}

/* Validates, writes, reloads and records c; answers the request. */
static void apply(struct console_misses *cm, struct replyset *rs, const struct change *c,
		  const char *login, int64_t now, struct http_resp *resp)
{
	cJSON *problems = cJSON_CreateArray();
	if (validate(rs, c->rel, c->after, problems) < 0) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", "набор ответов с этой правкой не проходит "
						    "проверку; файлы не изменены");
		cJSON_AddItemToObject(o, "errors", problems);
		answer(resp, 422, o);
		return;
	}
	cJSON_Delete(problems);
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", replyset_dir(rs), c->rel);
	char *diff = json_edit_diff(c->rel, c->before, c->after);
	int64_t id = 0;
	struct store_tx *tx = store_begin(cm->d.store);
	if (!tx || record(tx, c, login, diff, now, &id) < 0) {
		store_rollback(tx);
		free(diff);
		store_failed(cm, resp, "recording the change");
		return;
	}
	if (put_file(path, c->after) < 0) {
		log_error("console: misses: cannot write %s: %s", path, strerror(errno));
		store_rollback(tx);
		free(diff);
		http_resp_error(resp, 500, "файл набора ответов не записан; ничего не изменено");
		return;
	}
	struct buf report = {0};
	int reloaded = cm->d.reload ? cm->d.reload(cm->d.arg, &report) : -1;
	buf_free(&report);
	if (reloaded < 0 || store_commit(tx) < 0) {
		/* Back as it was: the file, the live set, the store. */
		if (reloaded < 0)
			store_rollback(tx);
		if (put_file(path, c->before) < 0)
			log_error("console: misses: cannot put %s back: %s", path, strerror(errno));
		struct buf again = {0};
		if (reloaded == 0 && cm->d.reload)
			cm->d.reload(cm->d.arg, &again);
		buf_free(&again);
		free(diff);
		if (reloaded < 0)
			http_resp_error(resp, 422, "набор ответов не перезагрузился; файл возвращён");
		else
			store_failed(cm, resp, "the commit");
		return;
	}
	log_info("console: misses: %s %s %s (change %lld, by %s)",
		 c->kind == CH_UNDO ? "undid" : c->kind == CH_CREATE ? "created" : "attached to",
		 c->intent, c->rel, (long long)id, login);
	struct replyset *now_rs = live(cm);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "change", (double)id);
	cJSON_AddStringToObject(o, "intent", c->intent);
	cJSON_AddStringToObject(o, "file", c->rel);
	cJSON_AddStringToObject(o, "diff", diff);
	cJSON_AddNumberToObject(o, "added", c->added);
	if (now_rs)
		cJSON_AddStringToObject(o, "version", replyset_version(now_rs));
	free(diff);
	answer(resp, 200, o);
}

/* ---- the requests ---- */

static int valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* The ids of body's "group" or "ids" (up to GROUP_IDS), their texts added to texts. */
static int read_ids(struct console_misses *cm, const cJSON *body, int64_t *ids, size_t *n_ids,
		    char **texts, size_t *n_texts)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, "group");
	if (!arr)
		arr = cJSON_GetObjectItemCaseSensitive(body, "ids");
	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return -1;
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
	{
		if (!cJSON_IsNumber(e) || e->valuedouble < 1 || *n_ids >= GROUP_IDS)
			return -1;
		int64_t id = (int64_t)e->valuedouble;
		char *t = NULL;
		int found = store_miss_text(cm->d.store, id, &t);
		if (found < 0)
			return -2;
		if (found == 0)
			continue; /* attached meanwhile, or gone with retention */
		ids[(*n_ids)++] = id;
		if (*n_texts < TEXTS_MAX)
			texts[(*n_texts)++] = t;
		else
			free(t);
	}
	return 0;
}

static int read_texts(const cJSON *body, char **texts, size_t *n_texts, int *given)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, "texts");
	*given = 0;
	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return -1;
	*given = 1;
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
	{
		if (!cJSON_IsString(e) || strlen(e->valuestring) > MISS_TEXT_MAX || *n_texts >= TEXTS_MAX)
			return -1;
		texts[(*n_texts)++] = xstrdup(e->valuestring);
	}
	return 0;
}

/* "en" for an English text, else "ru" (as the matcher reads the language). */
static const char *lang_of(const struct replyset *rs, const char *t)
{
	struct text_analysis a;
	const struct match_index *idx = replyset_index(rs);
	if (text_analyze(replyset_text_ctx(rs), t, strlen(t), idx ? match_text_opts(idx) : NULL,
			 &a) < 0)
		return "ru";
	const char *lang = a.lang && strcmp(a.lang, "en") == 0 ? "en" : "ru";
	text_analysis_free(&a);
	return lang;
}

static void api_attach(struct console_misses *cm, int create, const cJSON *body,
		       const char *login, int64_t now, struct http_resp *resp)
{
	struct replyset *rs = live(cm);
	if (!rs) {
		http_resp_error(resp, 503, "набор ответов не загружен");
		return;
	}
	int64_t ids[GROUP_IDS];
	char *texts[TEXTS_MAX];
	size_t n_ids = 0, n_texts = 0;
	int given = 0;
	int rc = read_ids(cm, body, ids, &n_ids, texts, &n_texts);
	size_t from_ids = n_texts;
	if (rc == 0)
		rc = read_texts(body, texts, &n_texts, &given);
	char *before = NULL, *after = NULL, path[4200], rel[200];
	const cJSON *intent = cJSON_GetObjectItemCaseSensitive(body, create ? "id" : "intent");
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(body, "title");
	const cJSON *ans = cJSON_GetObjectItemCaseSensitive(body, "answer");
	if (rc == -2) {
		store_failed(cm, resp, "reading the misses");
		goto done;
	}
	if (rc < 0 || !cJSON_IsString(intent) || n_texts == 0 ||
	    (create && (!valid_id(intent->valuestring) || !cJSON_IsString(title) ||
			!*title->valuestring || !cJSON_IsString(ans) || !*ans->valuestring))) {
		http_resp_error(resp, 400,
				create ? "нужны поля id ([a-z0-9_]+), title, answer и texts "
					 "(или ids)"
				       : "нужны поля intent и group, ids или texts (не пустые)");
		goto done;
	}
	struct change c = {.kind = create ? CH_CREATE : CH_ATTACH, .intent = intent->valuestring,
			   .ids = ids, .n_ids = n_ids,
			   .texts = (const char *const *)texts + from_ids,
			   .n_texts = given ? n_texts - from_ids : 0};
	if (create) {
		if (replyset_intent(rs, intent->valuestring)) {
			http_resp_error(resp, 409, "интент с таким id уже есть");
			goto done;
		}
		snprintf(rel, sizeof rel, "intents/%s.json", intent->valuestring);
		snprintf(path, sizeof path, "%s/%s", replyset_dir(rs), rel);
		if (access(path, F_OK) == 0) {
			http_resp_error(resp, 409, "файл с таким именем уже есть");
			goto done;
		}
		/* The examples the admin wrote when there are any (the group's misses are
		 * then only marked), else the group's own texts. */
		const char *const *src = (const char *const *)texts + (given ? from_ids : 0);
		size_t n_src = given ? n_texts - from_ids : n_texts;
		size_t added = 0;
		after = json_edit_new_intent_file(intent->valuestring, title->valuestring,
						  ans->valuestring, "ru", src, n_src, &added);
		c.added = (int)added;
	} else {
		const struct replyset_intent *it = replyset_intent(rs, intent->valuestring);
		if (!it || !it->file) {
			http_resp_error(resp, 404, "нет такого интента");
			goto done;
		}
		snprintf(rel, sizeof rel, "%s", it->file);
		snprintf(path, sizeof path, "%s/%s", replyset_dir(rs), rel);
		if (!(before = read_all(path))) {
			http_resp_error(resp, 500, "файл интента не читается");
			goto done;
		}
		/* Russian and English examples each into their own array. */
		char *cur = xstrdup(before);
		int added = 0;
		for (int pass = 0; pass < 2; pass++) {
			const char *lang = pass ? "en" : "ru";
			const char *mine[TEXTS_MAX];
			size_t n = 0;
			for (size_t k = 0; k < n_texts; k++)
				if (strcmp(lang_of(rs, texts[k]), lang) == 0)
					mine[n++] = texts[k];
			if (!n)
				continue;
			char *next = NULL, err[256] = "";
			int k = json_edit_add_examples(cur, intent->valuestring, lang, mine, n, &next,
						       err, sizeof err);
			if (k < 0) {
				free(cur);
				char msg[600];
				snprintf(msg, sizeof msg, "файл %s не изменить: %s", rel, err);
				http_resp_error(resp, 422, msg);
				goto done;
			}
			free(cur);
			cur = next;
			added += k;
		}
		after = cur;
		c.added = added;
		if (added == 0 && n_ids == 0 && !c.n_texts) {
			http_resp_error(resp, 409, "эти примеры уже есть в интенте");
			goto done;
		}
	}
	c.rel = rel;
	c.before = before;
	c.after = after;
	apply(cm, rs, &c, login, now, resp);
done:
	for (size_t k = 0; k < n_texts; k++)
		free(texts[k]);
	free(before);
	free(after);
}

static void change_one(void *arg, const struct miss_change *c)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "id", (double)c->id);
	cJSON_AddNumberToObject(e, "at", (double)c->at);
	cJSON_AddStringToObject(e, "actor", c->actor);
	cJSON_AddStringToObject(e, "action", c->action);
	cJSON_AddStringToObject(e, "intent", c->intent);
	cJSON_AddStringToObject(e, "file", c->file);
	cJSON_AddStringToObject(e, "diff", c->diff);
	cJSON_AddNumberToObject(e, "undone_at", (double)c->undone_at);
	cJSON_AddNumberToObject(e, "attached", (double)c->attached);
	cJSON_AddItemToArray(arg, e);
}

static void api_changes(struct console_misses *cm, struct http_resp *resp)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "changes");
	if (store_miss_changes_each(cm->d.store, CHANGES_LIST, change_one, arr) < 0) {
		cJSON_Delete(o);
		store_failed(cm, resp, "the changes");
		return;
	}
	answer(resp, 200, o);
}

static void api_undo(struct console_misses *cm, int64_t id, const char *login, int64_t now,
		     struct http_resp *resp)
{
	struct replyset *rs = live(cm);
	if (!rs) {
		http_resp_error(resp, 503, "набор ответов не загружен");
		return;
	}
	struct miss_change ch;
	int found = store_miss_change_get(cm->d.store, id, &ch);
	if (found <= 0) {
		if (found < 0)
			store_failed(cm, resp, "reading the change");
		else
			http_resp_error(resp, 404, "нет такой правки");
		return;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", replyset_dir(rs), ch.file);
	char *current = read_all(path);
	char sha[65] = "";
	if (current)
		sha256_hex(current, sha);
	if (ch.undone_at) {
		http_resp_error(resp, 409, "эта правка уже отменена");
	} else if (!current || strcmp(sha, ch.after_sha) != 0) {
		http_resp_error(resp, 409, "файл изменён после этой правки; отмените более поздние "
					   "правки или исправьте файл вручную");
	} else {
		struct change c = {.kind = CH_UNDO, .intent = ch.intent, .rel = ch.file,
				   .before = current, .after = ch.before, .undo = id};
		apply(cm, rs, &c, login, now, resp);
	}
	free(current);
	miss_change_free(&ch);
}

void console_misses_handle(struct console_misses *cm, const struct http_req *req,
			   const char *path, const cJSON *body, const char *login, int64_t now,
			   struct http_resp *resp)
{
	int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	if (strcmp(path, "") == 0 || strcmp(path, "/changes") == 0) {
		if (!get)
			http_resp_error(resp, 405, "метод не поддерживается");
		else if (*path)
			api_changes(cm, resp);
		else
			api_list(cm, req, now, resp);
		return;
	}
	if (strcmp(path, "/attach") == 0 || strcmp(path, "/create") == 0) {
		if (!post || !cJSON_IsObject(body))
			http_resp_error(resp, post ? 400 : 405,
					post ? "нужно тело JSON" : "метод не поддерживается");
		else
			api_attach(cm, path[1] == 'c', body, login, now, resp);
		return;
	}
	const char *p = "/changes/";
	if (strncmp(path, p, strlen(p)) == 0) {
		const char *num = path + strlen(p);
		char *end;
		long long id = strtoll(num, &end, 10);
		if (*num >= '1' && *num <= '9' && id > 0 && end - num <= 15 &&
		    strcmp(end, "/undo") == 0) {
			if (!post)
				http_resp_error(resp, 405, "метод не поддерживается");
			else
				api_undo(cm, id, login, now, resp);
			return;
		}
	}
	http_resp_error(resp, 404, "нет такого адреса");
}
