/* deskbot store copy --from FILE --to URL|FILE (store_copy.h): moves an existing SQLite
 * store into PostgreSQL and says what it copied. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store_copy.h"

/* where as printed: a URL's password (user:secret@host) becomes ***. */
static void shown(const char *where, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", where);
	char *scheme = strstr(out, "://");
	char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	if (at && colon && colon < at) {
		char rest[512];
		snprintf(rest, sizeof rest, "%s", at);
		snprintf(colon, outlen - (size_t)(colon - out), ":***%s", rest);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: deskbot store copy --from deskbot.db --to postgres://USER@HOST/DB\n"
			"  (the password from the URL or DESKBOT_STORE_PASSWORD; stop deskbot "
			"first)\n");
	return 2;
}

int cli_store(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "copy") != 0)
		return usage();
	const char *from = NULL, *to = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else
			return usage();
	}
	if (!from || !to)
		return usage();
	char err[512], from_s[512], to_s[512];
	shown(from, from_s, sizeof from_s);
	shown(to, to_s, sizeof to_s);
	struct store_copy_report rep;
	if (store_copy(from, to, &rep, err, sizeof err) < 0) {
		fprintf(stderr, "deskbot: %s\n(nothing was written to %s)\n", err, to_s);
		return 1;
	}
	printf("store copy: %s -> %s\n", from_s, to_s);
	for (int i = 0; i < rep.n; i++)
		printf("  %-16s %9lld rows %9lld copied %9lld already there\n", rep.tables[i].name,
		       (long long)rep.tables[i].rows, (long long)rep.tables[i].copied,
		       (long long)(rep.tables[i].rows - rep.tables[i].copied));
	printf("copied %lld of %lld rows in %d tables", (long long)rep.copied,
	       (long long)rep.rows, rep.n);
	if (rep.sequences > 0)
		printf("; %d id sequences moved past the copied ids", rep.sequences);
	printf("; the search index is rebuilt at the first search\n");
	return 0;
}
