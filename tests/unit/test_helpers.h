/* Shared helpers of the understanding tests: where the sources are, loading the default
 * reply set, and building reply-set variants in a temporary directory. */
#ifndef DESKBOT_TEST_HELPERS_H
#define DESKBOT_TEST_HELPERS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replyset.h"
#include "xalloc.h"

/* The source tree: DESKBOT_SOURCE_DIR (set by ctest) or the working directory. */
static inline const char *th_source_dir(void)
{
	const char *d = getenv("DESKBOT_SOURCE_DIR");
	return d && *d ? d : ".";
}

/* Loads the default set (replies/) or fails the test. */
static inline struct replyset *th_default_set(void)
{
	char *dir = xasprintf("%s/replies", th_source_dir());
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	if (replyset_load(dir, &rs, &errs) < 0) {
		replyset_errors_print(&errs, stderr);
		fprintf(stderr, "cannot load %s\n", dir);
		abort();
	}
	replyset_errors_free(&errs);
	free(dir);
	return rs;
}

/* Copies the default set into a new temporary directory; caller frees the path and
 * removes the directory with th_rmtree. */
static inline char *th_copy_default(void)
{
	char tmpl[] = "/tmp/deskbot-rs-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir)
		abort();
	char *cmd = xasprintf("cp -r '%s/replies/.' '%s/'", th_source_dir(), dir);
	if (system(cmd) != 0)
		abort();
	free(cmd);
	return xstrdup(dir);
}

static inline void th_write(const char *dir, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	free(path);
}

/* Replaces the first occurrence of from by to in file rel of dir. */
static inline void th_patch(const char *dir, const char *rel, const char *from, const char *to)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = xmalloc((size_t)n + 1);
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		abort();
	text[n] = '\0';
	fclose(f);
	char *at = strstr(text, from);
	if (!at) {
		fprintf(stderr, "th_patch: \"%s\" not in %s\n", from, path);
		abort();
	}
	*at = '\0';
	char *out = xasprintf("%s%s%s", text, to, at + strlen(from));
	th_write(dir, rel, out);
	free(out);
	free(text);
	free(path);
}

/* A reply set that must not load: its errors, one "file:line:col: message" line each,
 * file names relative to dir (caller frees). Uses cmocka's asserts. */
static inline char *th_load_errors(const char *dir)
{
	struct replyset *rs = (struct replyset *)1;
	struct replyset_errors errs = {0};
	assert_int_equal(replyset_load(dir, &rs, &errs), -1);
	assert_null(rs);
	assert_true(errs.n > 0);
	size_t cap = 1, dl = strlen(dir) + 1;
	for (size_t i = 0; i < errs.n; i++)
		cap += strlen(errs.items[i].file) + strlen(errs.items[i].msg) + 32;
	char *out = xcalloc(1, cap);
	for (size_t i = 0; i < errs.n; i++) {
		const struct replyset_error *e = &errs.items[i];
		const char *f = strncmp(e->file, dir, dl - 1) == 0 ? e->file + dl : e->file;
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s:%d:%d: %s\n", f, e->line, e->col, e->msg);
	}
	replyset_errors_free(&errs);
	return out;
}

static inline void th_rmtree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
	free(cmd);
}

#endif
