/* Allocation wrappers: small internal allocations abort on out-of-memory (there is
 * nothing sensible to do then); anything sized by the network has its own cap elsewhere. */
#ifndef DESKBOT_XALLOC_H
#define DESKBOT_XALLOC_H
#include <stddef.h>

/* Each returns a valid pointer or aborts with a log line. Caller frees with free(). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
