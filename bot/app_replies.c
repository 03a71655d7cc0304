/* The live reply set: loaded at start, reloaded on SIGHUP and POST /admin/reload. A new
 * set is built and validated aside and swapped in whole between two messages (the loop
 * is single-threaded, so "between two messages" is any point outside a handler); a
 * broken set leaves the running one in place. */
#include <cjson/cJSON.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "buf.h"
#include "log.h"
#include "replyset.h"
#include "xalloc.h"

static void describe_counts(const struct replyset *rs, cJSON *o)
{
	cJSON *counts = cJSON_AddObjectToObject(o, "counts");
	cJSON_AddNumberToObject(counts, "intents", (double)replyset_n_intents(rs));
	cJSON_AddNumberToObject(counts, "examples", (double)replyset_n_examples(rs));
	cJSON_AddNumberToObject(counts, "tariffs", (double)replyset_n_tariffs(rs));
	cJSON_AddNumberToObject(counts, "templates", (double)replyset_n_templates(rs));
}

int app_reload(struct app *app, struct buf *out)
{
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	int result = replyset_load_sharing(app->cfg.replies_dir, app->replies, &rs, &errs);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", result == 0);
	if (result == 0) {
		replyset_unref(app->replies);
		app->replies = rs;
		cJSON_AddStringToObject(o, "version", replyset_version(rs));
		describe_counts(rs, o);
		if (app->m_reloads_ok)
			*app->m_reloads_ok += 1;
		log_info("replies: loaded %s version=%s intents=%zu tariffs=%zu templates=%zu",
			 replyset_dir(rs), replyset_version(rs), replyset_n_intents(rs),
			 replyset_n_tariffs(rs), replyset_n_templates(rs));
	} else {
		if (app->m_reloads_failed)
			*app->m_reloads_failed += 1;
		if (app->replies)
			cJSON_AddStringToObject(o, "version", replyset_version(app->replies));
		cJSON *list = cJSON_AddArrayToObject(o, "errors");
		for (size_t i = 0; i < errs.n; i++) {
			const struct replyset_error *e = &errs.items[i];
			char line[1024];
			snprintf(line, sizeof line, "%s:%d:%d: %s", e->file, e->line, e->col, e->msg);
			cJSON_AddItemToArray(list, cJSON_CreateString(line));
			log_error("replies: %s", line);
		}
		log_error("replies: %zu problem(s) in %s; %s", errs.n, app->cfg.replies_dir,
			  app->replies ? "the running set stays in place" : "no set to run");
	}
	if (out) {
		char *s = cJSON_PrintUnformatted(o);
		buf_puts(out, s);
		free(s);
	}
	cJSON_Delete(o);
	replyset_errors_free(&errs);
	/* Loading builds a lot that it frees again (parse trees, scratch tables); hand
	 * those pages back instead of keeping them resident until the next reload. */
	malloc_trim(0);
	return result == 0 ? 0 : -1;
}

void app_describe_replies(struct app *app, cJSON *health)
{
	cJSON *r = cJSON_AddObjectToObject(health, "replies");
	if (!app->replies)
		return;
	cJSON_AddStringToObject(r, "version", replyset_version(app->replies));
	/* Only the directory's own name: the absolute path tells an unauthenticated caller
	 * how the host is laid out. */
	const char *dir = replyset_dir(app->replies);
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	size_t start = n;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	char *base = xstrndup(dir + start, n - start);
	cJSON_AddStringToObject(r, "dir", base);
	free(base);
	describe_counts(app->replies, r);
}

void app_replies_release(struct app *app)
{
	replyset_unref(app->replies);
	app->replies = NULL;
}
