/* Editing a reply-set file as text, keeping its layout (issue #12 item 6): the console's
 * «Непонятые вопросы» page adds examples to an intent without re-serialising the file, so
 * its indentation, key order, line endings (CRLF too) and every other entry stay as the
 * admin wrote them; the new strings go into the examples array in the style of their
 * neighbours (one a line, or side by side). Pure: strings in, strings out. */
#ifndef DESKBOT_JSON_EDIT_H
#define DESKBOT_JSON_EDIT_H
#include <stddef.h>

/* Appends texts (UTF-8, n of them) to the "examples"."lang" array of the intent whose
 * "id" is intent in file (a file of intents/: {"intents": [{...}, ...]}); a text
 * already among that intent's examples of any language (compared normalised) is left
 * out, and so is an empty one. A missing "lang" array is added after the last
 * language. Sets *out (malloc'd) to the new file. Returns the number of examples added
 * (0: *out is a copy of file), or -1 with the reason in err. */
int json_edit_add_examples(const char *file, const char *intent, const char *lang,
			   const char *const *texts, size_t n, char **out, char *err,
			   size_t errlen);

/* A new intents file holding one FAQ intent, laid out like the default set's files
 * (two spaces an indent, one example a line). lang is the examples' language; empty
 * texts and repeats (compared normalised) are left out, *added (may be NULL) says how
 * many went in. */
char *json_edit_new_intent_file(const char *id, const char *title, const char *answer,
				const char *lang, const char *const *texts, size_t n,
				size_t *added);

/* The JSON string literal of s (quotes, backslashes and control characters escaped;
 * other UTF-8 as it is). */
char *json_edit_quote(const char *s);

/* A unified diff of a -> b (one hunk around the changed lines, 3 lines of context),
 * headed "--- a/NAME" / "+++ b/NAME"; a NULL a or b is an empty file. "" when equal. */
char *json_edit_diff(const char *name, const char *a, const char *b);

#endif
