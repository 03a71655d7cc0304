/* deskbot passwd and deskbot cases export. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cases.h"
#include "csv.h"
#include "cli.h"
#include "config.h"
#include "ideas.h"
#include "password.h"
#include "replyset.h"
#include "replyset_settings.h"
#include "store.h"

/* Reads one line without echo when stdin is a terminal. */
static int read_secret(const char *prompt, char *out, size_t outlen)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	char *r = fgets(out, (int)outlen, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	if (!r)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

int cli_passwd(int argc, char **argv)
{
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "usage: deskbot passwd  (reads the password from stdin)\n");
		return 2;
	}
	char pw[256], again[256];
	if (read_secret("Password: ", pw, sizeof pw) < 0 || !*pw) {
		fprintf(stderr, "passwd: no password given\n");
		return 1;
	}
	if (isatty(STDIN_FILENO)) {
		if (read_secret("Again: ", again, sizeof again) < 0 || strcmp(pw, again) != 0) {
			fprintf(stderr, "passwd: the passwords differ\n");
			return 1;
		}
	}
	char *h = password_hash(pw);
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(again, sizeof again);
	if (!h) {
		fprintf(stderr, "passwd: hashing failed\n");
		return 1;
	}
	printf("%s\n", h);
	free(h);
	return 0;
}

/* deskbot cases export --format json|csv [--since YYYY-MM-DD] [--separator C] [--bom]
 * [--config FILE] */
struct export_ctx {
	int csv;
	int first;
	char sep; /* ',' by default; ';' for a spreadsheet in a Russian locale */
	int64_t utc_offset_s; /* the reply set's clock (settings.json utc_offset_minutes) */
};

static void csv_time_out(double t, int64_t utc_offset_s)
{
	struct buf b = {0};
	csv_time(&b, t, utc_offset_s);
	if (b.data)
		fputs(b.data, stdout);
	buf_free(&b);
}

/* The configured clock's offset from UTC: the reply set's settings (the same clock the
 * working hours and the console's reports use). */
static int64_t configured_utc_offset(const char *replies_dir)
{
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	int64_t off = 0;
	if (replyset_load(replies_dir, &rs, &errs) == 0)
		off = (int64_t)replyset_settings(rs)->utc_offset_minutes * 60;
	else
		fprintf(stderr, "cases: reply set %s unreadable (%zu problem(s)); times in UTC\n",
			replies_dir, errs.n);
	replyset_errors_free(&errs);
	replyset_unref(rs);
	return off;
}

static int is_time_col(const char *col)
{
	return strcmp(col, "created_at") == 0 || strcmp(col, "updated_at") == 0 ||
	       strcmp(col, "sla_due_at") == 0;
}

static void csv_field(const char *s)
{
	struct buf b = {0};
	csv_cell(&b, s);
	fputs(b.data, stdout);
	buf_free(&b);
}

static void export_one(void *arg, int64_t id, const cJSON *r)
{
	struct export_ctx *x = arg;
	(void)id;
	if (!x->csv) {
		char *s = cJSON_PrintUnformatted(r);
		printf("%s%s", x->first ? "" : ",\n", s);
		free(s);
		x->first = 0;
		return;
	}
	static const char *const cols[] = {"number", "created_at", "updated_at", "sla_due_at",
		"channel", "peer_id", "user_id", "display_name", "profile_link", "followers",
		"phone", "account", "location", "category", "severity", "status", "assignee",
		"summary", "resolution"};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, cols[i]);
		if (i)
			putchar(x->sep);
		if (cJSON_IsString(v))
			csv_field(v->valuestring);
		else if (cJSON_IsNumber(v) && is_time_col(cols[i]))
			csv_time_out(v->valuedouble, x->utc_offset_s);
		else if (cJSON_IsNumber(v))
			printf("%.0f", v->valuedouble);
	}
	const cJSON *flags = cJSON_GetObjectItemCaseSensitive(r, "flags");
	putchar(x->sep);
	struct buf f = {0};
	for (const cJSON *it = flags ? flags->child : NULL; it; it = it->next)
		if (cJSON_IsTrue(it))
			buf_printf(&f, "%s%s", f.len ? " " : "", it->string);
	csv_field(f.data ? f.data : "");
	buf_free(&f);
	putchar('\n');
}

/* The config's store, for an export; 0, or -1 with the reason on stderr. */
static int open_store(const char *config_path, struct config *cfg, struct store **st)
{
	char err[512];
	if (config_load(config_path, cfg, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (store_open(config_store_where(cfg), st, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return -1;
	}
	return 0;
}

int cli_cases(int argc, char **argv)
{
	const char *format = "json", *since = NULL, *config_path = NULL, *sep = ",";
	int bom = 0;
	if (argc < 1 || strcmp(argv[0], "export") != 0)
		goto usage;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(argv[i], "--separator") == 0 && i + 1 < argc)
			sep = argv[++i];
		else if (strcmp(argv[i], "--bom") == 0)
			bom = 1;
		else
			goto usage;
	}
	if (strcmp(format, "json") && strcmp(format, "csv"))
		goto usage;
	if (strcmp(sep, ",") && strcmp(sep, ";") && strcmp(sep, "\t")) {
		fprintf(stderr, "cases: --separator is ',' or ';' (or a tab)\n");
		return 2;
	}
	/* A Russian spreadsheet splits on ';' and reads a file as UTF-8 only with the BOM. */
	if (*sep == ';')
		bom = 1;
	struct case_filter filter = {.limit = 1000000, .with_transcript = 1};
	if (since) {
		struct tm tm = {0};
		char *end = strptime(since, "%Y-%m-%d", &tm);
		if (!end || *end) {
			fprintf(stderr, "cases: --since takes a date such as 2026-11-01\n");
			return 2;
		}
		filter.since = (int64_t)timegm(&tm);
	}
	struct config cfg;
	struct store *st;
	if (open_store(config_path, &cfg, &st) < 0)
		return 1;
	struct export_ctx x = {.csv = strcmp(format, "csv") == 0, .first = 1, .sep = *sep};
	if (x.csv) {
		x.utc_offset_s = configured_utc_offset(cfg.replies_dir);
		static const char *const head[] = {"number", "created_at", "updated_at",
			"sla_due_at", "channel", "peer_id", "user_id", "display_name",
			"profile_link", "followers", "phone", "account", "location", "category",
			"severity", "status", "assignee", "summary", "resolution", "flags"};
		if (bom)
			fputs(CSV_BOM, stdout);
		for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
			if (i)
				putchar(x.sep);
			fputs(head[i], stdout);
		}
		putchar('\n');
	} else {
		printf("[");
	}
	int result = store_cases_each(st, &filter, export_one, &x);
	if (!x.csv)
		printf("]\n");
	store_close(st);
	config_free(&cfg);
	if (result < 0) {
		fprintf(stderr, "cases: reading the store failed\n");
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: deskbot cases export --format json|csv [--since YYYY-MM-DD] "
			"[--separator ,|;] [--bom] [--config FILE]\n"
			"  csv times are dd.mm.yyyy hh:mm on the reply set's clock; --separator ';'\n"
			"  (a Russian spreadsheet) adds the UTF-8 BOM\n");
	return 2;
}

/* deskbot ideas export --format json|csv [--separator ,|;] [--config FILE] */
int cli_ideas(int argc, char **argv)
{
	const char *format = "json", *config_path = NULL, *sep = ",";
	if (argc < 1 || strcmp(argv[0], "export") != 0)
		goto usage;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(argv[i], "--separator") == 0 && i + 1 < argc)
			sep = argv[++i];
		else
			goto usage;
	}
	if ((strcmp(format, "json") && strcmp(format, "csv")) || (strcmp(sep, ",") && strcmp(sep, ";")))
		goto usage;
	struct config cfg;
	struct store *st;
	if (open_store(config_path, &cfg, &st) < 0)
		return 1;
	struct buf out = {0};
	int csv = strcmp(format, "csv") == 0;
	int result = ideas_export(st, csv, *sep, csv ? configured_utc_offset(cfg.replies_dir) : 0,
				  &out);
	if (result == 0 && out.data)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	store_close(st);
	config_free(&cfg);
	if (result < 0) {
		fprintf(stderr, "ideas: reading the store failed\n");
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: deskbot ideas export --format json|csv [--separator ,|;] "
			"[--config FILE]\n  csv: local times, with the UTF-8 BOM\n");
	return 2;
}
