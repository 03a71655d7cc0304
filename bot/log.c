/* Line logger with secret redaction (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "xalloc.h"

#define MAX_SECRETS 32

static struct {
	enum log_level level;
	FILE *stream;
	char *secrets[MAX_SECRETS];
	int n_secrets;
} logger = {LOG_INFO, NULL, {0}, 0};

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_add_secret(const char *secret)
{
	if (!secret || !*secret || logger.n_secrets >= MAX_SECRETS)
		return;
	for (int i = 0; i < logger.n_secrets; i++)
		if (strcmp(logger.secrets[i], secret) == 0)
			return;
	logger.secrets[logger.n_secrets++] = xstrdup(secret);
}

void log_clear_secrets(void)
{
	for (int i = 0; i < logger.n_secrets; i++)
		free(logger.secrets[i]);
	logger.n_secrets = 0;
}

void log_set_level(enum log_level level)
{
	logger.level = level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void log_set_stream(FILE *stream)
{
	logger.stream = stream;
}

/* Length of the secret-looking value that starts at p: up to '&', space, quote or '/'. */
static size_t value_len(const char *p)
{
	return strcspn(p, "&\" \t\r\n',;/");
}

char *log_redact(const char *s)
{
	struct buf out = {0};
	const char *p = s;
	while (*p) {
		size_t skip = 0;
		for (int i = 0; i < logger.n_secrets && !skip; i++) {
			size_t n = strlen(logger.secrets[i]);
			if (strncmp(p, logger.secrets[i], n) == 0)
				skip = n;
		}
		if (!skip && strncmp(p, "access_token=", 13) == 0) {
			buf_append(&out, p, 13);
			p += 13;
			skip = value_len(p);
		} else if (!skip && strncmp(p, "/bot", 4) == 0 && strchr(p + 4, '/')) {
			/* Telegram puts the token in the path: /bot<token>/method. */
			size_t n = strcspn(p + 4, "/ \"");
			if (n >= 20 && memchr(p + 4, ':', n)) {
				buf_append(&out, "/bot", 4);
				p += 4;
				skip = n;
			}
		}
		if (skip) {
			buf_puts(&out, "[redacted]");
			p += skip;
		} else {
			buf_append(&out, p, 1);
			p++;
		}
	}
	return buf_steal(&out);
}

void log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	if (level < logger.level)
		return;
	FILE *stream = logger.stream ? logger.stream : stderr;
	int64_t now_ms = clock_now_ms();
	time_t now_s = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&now_s, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

	va_list ap;
	va_start(ap, fmt);
	char *text;
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	char *safe = log_redact(text ? text : "(log formatting failed)");
	free(text);
	/* Control characters from customer text must not forge extra log lines. */
	for (char *c = safe; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	fprintf(stream, "%s.%03ldZ level=%s fn=%s %s\n", when, (long)(now_ms % 1000),
		level_names[level], func, safe);
	fflush(stream);
	free(safe);
}
