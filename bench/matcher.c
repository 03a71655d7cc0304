/* Matcher benchmark: prints time per message (median and p99) on the default reply set
 * and on a generated set of 5,000 intents, index build and reload time, and index
 * memory (the index, and the scratch the text context keeps after the run). Not a test.
 *   bench_matcher [REPLIES_DIR [UTTERANCES_TSV]]   (defaults: replies, tests/data/utterances.tsv)
 * DESKBOT_BENCH_QUICK=1 skips the generated set (for profiling the default set under
 * valgrind --tool=callgrind --toggle-collect=match_message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "matcher.h"
#include "replyset.h"
#include "xalloc.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Reads the text column of a TSV (or every line of a plain file). */
static char **read_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char **v = NULL;
	*n = 0;
	if (!f)
		return NULL;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		char *t = strchr(line, '\t');
		char *text = t ? t + 1 : line;
		char *t2 = strchr(text, '\t');
		if (t2)
			*t2 = '\0';
		if (strncmp(line, "group\t", 6) == 0)
			continue;
		v = xrealloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = xstrdup(text);
	}
	free(line);
	fclose(f);
	return v;
}

static struct replyset *load_timed(const char *dir, double *ms)
{
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	double t0 = now_us();
	if (replyset_load(dir, &rs, &errs) < 0) {
		replyset_errors_print(&errs, stderr);
		exit(1);
	}
	*ms = (now_us() - t0) / 1000;
	replyset_errors_free(&errs);
	return rs;
}

static void run(const char *label, struct replyset *rs, char **lines, size_t n, double load_ms)
{
	size_t rounds = n < 2000 ? 2000 / n + 1 : 1;
	size_t total = n * rounds;
	double *t = xmalloc(total * sizeof *t);
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			struct match_result m;
			double t0 = now_us();
			match_message(rs, lines[i], strlen(lines[i]), &m);
			t[r * n + i] = now_us() - t0;
			match_result_free(&m);
		}
	qsort(t, total, sizeof *t, cmp_d);
	printf("%-22s intents=%-5zu examples=%-6zu load+index=%8.1f ms  index=%6.2f MiB  text ctx=%5.1f KiB  "
	       "per message: median=%6.1f us p99=%7.1f us (%zu messages)\n",
	       label, replyset_n_intents(rs), replyset_n_examples(rs), load_ms,
	       match_index_memory(replyset_index(rs)) / 1048576.0, text_ctx_memory(replyset_text_ctx(rs)) / 1024.0,
	       t[total / 2], t[total * 99 / 100], total);
	free(t);
}

/* Writes a set of n intents with made-up but word-like examples next to the default
 * set's other files. */
static char *make_big_set(const char *base, int n)
{
	char tmpl[] = "/tmp/deskbot-bench-XXXXXX";
	char *dir = xstrdup(mkdtemp(tmpl));
	char *cmd = xasprintf("cp '%s'/*.json '%s'/ && mkdir -p '%s/intents' && cp '%s'/intents/*.json '%s/intents/'",
			      base, dir, dir, base, dir);
	if (system(cmd) != 0)
		exit(1);
	free(cmd);
	static const char *const syl[] = {"ба", "ло", "ки", "ну", "ре", "ма", "то", "ви", "са", "пе",
					  "ду", "ры", "зо", "ля", "ко", "ми", "ха", "це", "шу", "жа"};
	static const char *const common[] = {"как", "подключить", "где", "узнать", "можно", "мне", "нужно",
					     "сколько", "стоит", "почему", "не", "работает"};
	struct buf b = {0};
	buf_puts(&b, "{\"intents\": [\n");
	unsigned seed = 12345;
	for (int i = 0; i < n; i++) {
		char words[4][32];
		for (int w = 0; w < 4; w++) {
			words[w][0] = '\0';
			for (int s = 0; s < 3; s++) {
				seed = seed * 1103515245 + 12345;
				strcat(words[w], syl[(seed >> 16) % 20]);
			}
		}
		buf_printf(&b, "%s{\"id\": \"gen_%d\", \"category\": \"gen\", \"kind\": \"faq\", "
			       "\"title\": {\"ru\": \"Тема %d\", \"en\": \"Topic %d\"}, \"examples\": {\"ru\": [",
			   i ? ",\n" : "", i, i, i);
		for (int e = 0; e < 5; e++) {
			seed = seed * 1103515245 + 12345;
			buf_printf(&b, "%s\"%s %s %s %s\"", e ? ", " : "", common[(seed >> 16) % 12], words[e % 4],
				   words[(e + 1) % 4], e % 2 ? common[(seed >> 8) % 12] : words[(e + 2) % 4]);
		}
		buf_printf(&b, "], \"en\": [\"how %s\", \"where %s\", \"what %s\"]}, "
			       "\"answer\": {\"ru\": \"Ответ %d.\", \"en\": \"Answer %d.\"}}",
			   words[0], words[1], words[2], i, i);
	}
	buf_puts(&b, "\n]}\n");
	char *path = xasprintf("%s/intents/generated.json", dir);
	FILE *f = fopen(path, "w");
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	free(path);
	buf_free(&b);
	return dir;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "replies";
	const char *tsv = argc > 2 ? argv[2] : "tests/data/utterances.tsv";
	size_t n;
	char **lines = read_lines(tsv, &n);
	if (!lines || !n) {
		fprintf(stderr, "bench_matcher: cannot read %s\n", tsv);
		return 1;
	}
	double ms;
	struct replyset *rs = load_timed(dir, &ms);
	run("default set", rs, lines, n, ms);
	double reload_ms;
	struct replyset *again = load_timed(dir, &reload_ms);
	printf("%-22s %.1f ms (a full load, validation and index build, as on SIGHUP)\n", "reload", reload_ms);
	replyset_free(again);
	replyset_free(rs);
	const char *quick = getenv("DESKBOT_BENCH_QUICK");
	if (quick && *quick && *quick != '0') {
		for (size_t i = 0; i < n; i++)
			free(lines[i]);
		free(lines);
		return 0;
	}

	char *big = make_big_set(dir, 5000);
	rs = load_timed(big, &ms);
	run("generated 5,000", rs, lines, n, ms);
	replyset_free(rs);
	char *cmd = xasprintf("rm -rf '%s'", big);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", big);
	free(cmd);
	free(big);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return 0;
}
