/* Subcommands other than "run". Each takes the arguments after its own name and
 * returns the process exit code. */
#ifndef DESKBOT_CLI_H
#define DESKBOT_CLI_H

/* deskbot check [--replies DIR] (cli_replies.c) */
int cli_check(int argc, char **argv);
/* deskbot match [--replies DIR] (cli_replies.c) */
int cli_match(int argc, char **argv);
/* deskbot chat [--replies DIR] (cli_replies.c) */
int cli_chat(int argc, char **argv);
/* deskbot passwd (cli_admin.c) */
int cli_passwd(int argc, char **argv);
/* deskbot cases export --format json|csv [--since DATE] [--config FILE] (cli_admin.c) */
int cli_cases(int argc, char **argv);
/* deskbot ideas export --format json|csv [--separator ,|;] [--config FILE] (cli_admin.c) */
int cli_ideas(int argc, char **argv);
/* deskbot store copy --from FILE --to URL|FILE (cli_store.c) */
int cli_store(int argc, char **argv);

#endif
