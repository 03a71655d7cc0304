/* A repair pass over JSON text from the channels, run before cJSON sees it.
 *
 * RFC 8259's grammar allows any \uXXXX escape, so VK and Telegram may legally send a
 * lone surrogate ("\ud83d": an emoji cut in half) or surrogate-escaped bytes
 * ("\udc80\udcff"); cJSON refuses both and would call the whole answer unreadable.
 * cJSON also decodes "\u0000" to a NUL that silently truncates the text, and passes raw
 * invalid UTF-8 through to the store and to every reply that quotes it.
 *
 * The pass rewrites exactly those, and leaves every other byte as it was:
 *   - an unpaired or reversed surrogate escape  -> \ufffd
 *   - the escape \u0000                         -> \ufffd (the text stays whole; U+FFFD
 *                                                  rather than a space, so a person
 *                                                  reading the transcript sees that
 *                                                  something was there)
 *   - a raw NUL byte                            -> a space (between tokens cJSON
 *                                                  already reads it as one; inside a
 *                                                  string it no longer cuts the text)
 *   - each maximal invalid UTF-8 subpart        -> U+FFFD (Unicode's "best practice"
 *     (stray continuation, overlong, encoded       for replacement, as browsers do)
 *     surrogate, past U+10FFFF, truncated)
 * Valid pairs, other escapes and valid UTF-8 are copied untouched. The pass keeps no
 * string state (escapes and NULs are not JSON outside strings anyway), so an element
 * with an unterminated string cannot stop its neighbours from being repaired. */
#ifndef DESKBOT_JSON_REPAIR_H
#define DESKBOT_JSON_REPAIR_H
#include <stddef.h>

struct json_repair_stats {
	size_t escapes; /* surrogate escapes rewritten */
	size_t nuls;    /* \u0000 escapes and raw NUL bytes in strings rewritten */
	size_t bytes;   /* invalid UTF-8 subparts replaced */
};

/* Repairs text[0..len). Returns NULL when nothing needed repair (the usual case, no
 * copy made), else a new NUL-terminated string (caller frees) of *out_len bytes.
 * stats may be NULL; it is filled either way. */
char *json_repair(const char *text, size_t len, size_t *out_len, struct json_repair_stats *stats);

/* Repairs a NUL-terminated C string that is not JSON (e.g. a payload already decoded):
 * only invalid UTF-8 is replaced. Returns a new string (caller frees), always. */
char *utf8_repair(const char *s);

#endif
