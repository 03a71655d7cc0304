/* deskbot check, match and chat: the reply-set tools an admin runs by hand (see
 * DESIGN.md, "External contract"). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "convstate.h"
#include "dialog.h"
#include "json_print.h"
#include "matcher.h"
#include "message.h"
#include "replyset.h"
#include "xalloc.h"

/* Parses [--replies DIR]; returns 0 or prints usage and returns 2. */
static int parse_dir(const char *cmd, int argc, char **argv, const char **dir)
{
	*dir = "replies";
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--replies") == 0 && i + 1 < argc) {
			*dir = argv[++i];
		} else if (strncmp(argv[i], "--replies=", 10) == 0) {
			*dir = argv[i] + 10;
		} else {
			fprintf(stderr, "usage: deskbot %s [--replies DIR]\n", cmd);
			return 2;
		}
	}
	return 0;
}

/* Loads the set, printing every problem on stderr. */
static struct replyset *load(const char *dir)
{
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	if (replyset_load(dir, &rs, &errs) < 0) {
		replyset_errors_print(&errs, stderr);
		fprintf(stderr, "%s: %zu problem(s)\n", dir, errs.n);
	}
	replyset_errors_free(&errs);
	return rs;
}

int cli_check(int argc, char **argv)
{
	const char *dir;
	if (parse_dir("check", argc, argv, &dir))
		return 2;
	struct replyset *rs = load(dir);
	if (!rs)
		return 1;
	printf("%s: ok, %zu intents (%zu examples), %zu tariffs, %zu templates, version %s\n", dir,
	       replyset_n_intents(rs), replyset_n_examples(rs), replyset_n_tariffs(rs), replyset_n_templates(rs),
	       replyset_version(rs));
	replyset_free(rs);
	return 0;
}

/* Reads one line of any length; returns NULL at end of input. Caller frees. */
static char *read_line(FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, in);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

int cli_match(int argc, char **argv)
{
	const char *dir;
	if (parse_dir("match", argc, argv, &dir))
		return 2;
	struct replyset *rs = load(dir);
	if (!rs)
		return 1;
	struct buf out = {0};
	char *line;
	while ((line = read_line(stdin))) {
		/* What would answer, from a fresh conversation; the text analysed once. */
		struct match_result m;
		struct convstate *state = convstate_new();
		struct chan_msg msg = {.channel = "cli", .text = line};
		struct dialog_result res = {0};
		if (dialog_match(rs, &msg, &m) == 0)
			dialog_handle_matched(rs, state, &msg, clock_now_s(), &m, &res);
		else
			memset(&m, 0, sizeof m);

		cJSON *mj = cJSON_CreateObject();
		match_result_to_json(rs, &m, mj);
		/* In the documented order; the intent is the one that answered (null for
		 * clarify and fallback). */
		cJSON *o = cJSON_CreateObject();
		if (res.intent)
			cJSON_AddStringToObject(o, "intent", res.intent);
		else
			cJSON_AddNullToObject(o, "intent");
		cJSON_AddItemToObject(o, "score", cJSON_DetachItemFromObjectCaseSensitive(mj, "score"));
		cJSON_AddStringToObject(o, "handler", res.handler ? res.handler : "fallback");
		cJSON_AddItemToObject(o, "top", cJSON_DetachItemFromObjectCaseSensitive(mj, "top"));
		cJSON_AddItemToObject(o, "flags", cJSON_DetachItemFromObjectCaseSensitive(mj, "flags"));
		cJSON_AddItemToObject(o, "entities", cJSON_DetachItemFromObjectCaseSensitive(mj, "entities"));
		if (res.plan)
			cJSON_AddStringToObject(o, "plan", res.plan);
		else
			cJSON_AddNullToObject(o, "plan");
		cJSON_AddStringToObject(o, "lang", res.lang ? res.lang : "ru");
		cJSON_Delete(mj);
		/* One write per answer, from a buffer kept across lines. */
		buf_reset(&out);
		if (json_print_compact(o, &out) == 0) {
			buf_append(&out, "\n", 1);
			fwrite(out.data, 1, out.len, stdout);
			fflush(stdout);
		}
		cJSON_Delete(o);
		convstate_free(state);
		dialog_result_free(&res);
		match_result_free(&m);
		free(line);
	}
	buf_free(&out);
	replyset_free(rs);
	return 0;
}

int cli_chat(int argc, char **argv)
{
	const char *dir;
	if (parse_dir("chat", argc, argv, &dir))
		return 2;
	struct replyset *rs = load(dir);
	if (!rs)
		return 1;
	fprintf(stderr, "deskbot chat: reply set %s. Type a message; \"/N\" presses button N; Ctrl-D ends.\n",
		replyset_version(rs));
	struct convstate *state = convstate_new();
	char **payloads = NULL;
	size_t n_payloads = 0;
	char *line;
	for (;;) {
		fputs("> ", stderr);
		fflush(stderr);
		if (!(line = read_line(stdin)))
			break;
		struct chan_msg msg = {.channel = "cli", .text = line};
		char *payload = NULL;
		if (line[0] == '/' && line[1]) {
			size_t k = strtoul(line + 1, NULL, 10);
			if (k >= 1 && k <= n_payloads) {
				payload = xstrdup(payloads[k - 1]);
				msg.text = "";
				msg.payload = payload;
			}
		}
		struct dialog_result res;
		dialog_handle(rs, state, &msg, clock_now_s(), &res);
		for (size_t i = 0; i < n_payloads; i++)
			free(payloads[i]);
		n_payloads = 0;
		for (size_t i = 0; i < res.replies.n; i++) {
			const struct reply *r = &res.replies.items[i];
			/* No store here: a case would be made by "deskbot run"; show where its
			 * number and time go. */
			struct tpl_vars v = {.case_id = "<case>", .eta = "<eta>", .work_start = "<work start>"};
			char *text = replyset_fill(r->text, &v);
			printf("bot: %s\n", text);
			free(text);
			for (size_t b = 0; b < r->n_buttons; b++) {
				payloads = xrealloc(payloads, (n_payloads + 1) * sizeof *payloads);
				payloads[n_payloads++] = xstrdup(r->buttons[b].payload ? r->buttons[b].payload : "");
				printf("     [/%zu %s]\n", n_payloads, r->buttons[b].label);
			}
		}
		printf("     (handler=%s intent=%s score=%.2f lang=%s%s%s%s)\n", res.handler ? res.handler : "-",
		       res.intent ? res.intent : "-", res.score, res.lang ? res.lang : "-",
		       res.plan ? " plan=" : "", res.plan ? res.plan : "", res.wants_human ? " wants_human" :
		       res.case_op == DIALOG_CASE_CREATE ? " creates_case" : "");
		fflush(stdout);
		dialog_result_free(&res);
		free(payload);
		free(line);
	}
	for (size_t i = 0; i < n_payloads; i++)
		free(payloads[i]);
	free(payloads);
	convstate_free(state);
	replyset_free(rs);
	return 0;
}
