/* deskbot passwd and deskbot cases export. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "password.h"

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
