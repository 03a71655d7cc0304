/* Logging: one line per event, "TIME level=L fn=FUNC msg" followed by key=value fields
 * written by the caller. Every line passes through redaction: any registered secret
 * (tokens, passwords, session ids) and any "access_token=..."/"/bot<token>/" pattern is
 * replaced by "[redacted]" before it is written, so a secret cannot reach the log even
 * through an error message quoted from a library.
 *
 * The logger's settings are process-wide (like stderr itself): this is the one piece of
 * state outside struct app, set up once at start and read by every module. */
#ifndef DESKBOT_LOG_H
#define DESKBOT_LOG_H
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_msg(enum log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __func__, __VA_ARGS__)

/* Registers a secret to redact from every future line (copied; empty or NULL ignored). */
void log_add_secret(const char *secret);
/* Forgets every registered secret (tests). */
void log_clear_secrets(void);
void log_set_level(enum log_level level);
/* Parses "debug|info|warn|error"; returns -1 if unknown. */
int log_level_parse(const char *name, enum log_level *out);
/* Where lines go (default stderr). Borrowed: the caller keeps it open. */
void log_set_stream(FILE *stream);
/* Redacts secrets in s in place-free fashion: returns a new string the caller frees. */
char *log_redact(const char *s);

#endif
