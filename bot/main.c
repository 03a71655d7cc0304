/* deskbot: command-line entry point. "run" is the default subcommand. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "clock.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: deskbot COMMAND [OPTIONS]\n"
		   "\n"
		   "  run [--config FILE]            run the bot (the default command)\n"
		   "  check [--replies DIR]          validate a reply set (file:line:col: message)\n"
		   "  match [--replies DIR]          one utterance per stdin line in, one JSON line out\n"
		   "  chat [--replies DIR]           talk to the bot in the terminal, no network\n"
		   "  passwd                         read a password on stdin, print its hash\n"
		   "  cases export --format json|csv [--since YYYY-MM-DD] [--separator ,|;] [--bom]\n"
		   "               [--config FILE]   write the cases out (csv: dd.mm.yyyy hh:mm on the\n"
		   "                                 reply set's clock; ';' adds the UTF-8 BOM for a\n"
		   "                                 Russian spreadsheet)\n"
		   "  ideas export --format json|csv [--separator ,|;] [--config FILE]\n"
		   "                                 write the idea board out (csv: with the BOM)\n"
		   "  store copy --from FILE --to URL|FILE\n"
		   "                                 copy a SQLite store into PostgreSQL (stop deskbot\n"
		   "                                 first; rows already there are kept; run it again\n"
		   "                                 and it copies nothing)\n"
		   "  version                        print the version\n"
		   "  help, --help, -h               this text\n");
}

int main(int argc, char **argv)
{
	char clock_err[160];
	if (clock_init_from_env(clock_err, sizeof clock_err) < 0) {
		fprintf(stderr, "deskbot: %s\n", clock_err);
		return 2;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return app_main(argc - 1, argv + 1);
	const char *cmd = argv[1];
	int n = argc - 2;
	char **rest = argv + 2;
	if (strcmp(cmd, "run") == 0)
		return app_main(n, rest);
	if (strcmp(cmd, "check") == 0)
		return cli_check(n, rest);
	if (strcmp(cmd, "match") == 0)
		return cli_match(n, rest);
	if (strcmp(cmd, "chat") == 0)
		return cli_chat(n, rest);
	if (strcmp(cmd, "passwd") == 0)
		return cli_passwd(n, rest);
	if (strcmp(cmd, "cases") == 0)
		return cli_cases(n, rest);
	if (strcmp(cmd, "ideas") == 0)
		return cli_ideas(n, rest);
	if (strcmp(cmd, "store") == 0)
		return cli_store(n, rest);
	if (strcmp(cmd, "version") == 0) {
		printf("deskbot %s\n", DESKBOT_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "deskbot: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
