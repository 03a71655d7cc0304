/* VK execute batching (../shared/specs/vk.md section 7.1), without I/O: the VKScript
 * `code` for up to 25 messages.send calls, and the per-call results of its answer. */
#ifndef DESKBOT_VK_EXECUTE_H
#define DESKBOT_VK_EXECUTE_H
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "outbox_row.h"

#define VK_EXECUTE_MAX 25 /* calls VK runs in one execute */

/* "return [API.messages.send({...}),...];": one call per row, in order, each with the
 * row's deterministic random_id (so a retried execute whose calls partly went through
 * shows nothing twice). Arguments are JSON literals. Caller frees. */
char *vk_execute_code(int64_t salt, const struct outbox_row *const *rows, size_t n);

/* The execute request body as multipart/form-data: the code goes as it is, where a
 * urlencoded form would triple every Cyrillic byte and JSON quote (one execute must stay
 * well under VK's 64 KB). Writes the Content-Type with its boundary into ctype. Returns
 * the body (caller frees; *len its length). */
char *vk_execute_body(const char *token, const char *api_version, const char *code,
		      char *ctype, size_t ctype_len, size_t *len);

/* Reads an execute answer into n results, each as a single messages.send of that row
 * would have been classified (vk_classify_send): a `false` slot takes the next
 * execute_errors entry. A top-level error or a broken answer gives every row the same
 * result; *refused is set to 1 when VK could not take the code at all (12: cannot
 * compile, 13: runtime error), so that the caller sends singly from then on. */
void vk_execute_parse(long status, int transport_error, const char *body, size_t n,
		      struct send_result *out, int *refused);

#endif
