/* A growable byte buffer, always NUL-terminated, with an optional hard cap for data
 * that comes from the network (append fails instead of growing past it). */
#ifndef DESKBOT_BUF_H
#define DESKBOT_BUF_H
#include <stddef.h>

struct buf {
	char *data;   /* NUL-terminated contents, NULL until first append */
	size_t len;   /* bytes used, without the NUL */
	size_t cap;   /* bytes allocated */
	size_t limit; /* 0 = unlimited; otherwise appends past this fail with -1 */
};

/* Appends n bytes; returns 0, or -1 when the limit would be passed (buffer unchanged). */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with JSON string escaping (no surrounding quotes). */
int buf_json_escape(struct buf *b, const char *s);
/* Appends s percent-encoded for application/x-www-form-urlencoded. */
int buf_url_encode(struct buf *b, const char *s);
void buf_reset(struct buf *b);
/* Hands the data to the caller (caller frees) and empties the buffer. Never NULL. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
