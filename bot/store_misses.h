/* What the bot did not understand, in the store (issue #12 item 6): one row per inbound
 * customer message that fell back, was clarified or was answered with a low score,
 * written in the message's own unit of work; and the reply-set changes the console's
 * «Непонятые вопросы» page made from them (the file before and after, so that a change
 * can be shown as a diff and undone). A miss attached by a change carries its id and is
 * no longer listed; undoing the change lists it again. Retention deletes misses like
 * other customer text (store_retention.c). */
#ifndef DESKBOT_STORE_MISSES_H
#define DESKBOT_STORE_MISSES_H
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_tx;

/* The longest text kept, in bytes (cut on a UTF-8 boundary). */
#define MISS_TEXT_MAX 500

/* One miss as written or read. Strings borrowed (written) or valid during the callback
 * (read). */
struct miss {
	int64_t id;
	int64_t at;              /* unix seconds */
	const char *channel;
	const char *text;
	const char *outcome;     /* "fallback", "clarify" or "low" */
	const char *intent;      /* the best intent guess, or NULL */
	double score;            /* its score (kept to 1/1000) */
	const char *replyset_version;
	int64_t change_id;       /* the change that attached it, or 0 */
};

/* Records m (its id, change_id ignored). 0, or -1. */
int store_miss_add(struct store_tx *tx, const struct miss *m);
/* Calls fn with each miss not attached since since (unix seconds), newest first, with
 * outcome (NULL: any), at most limit. The count, or -1. */
int store_misses_each(struct store *st, int64_t since, const char *outcome, int limit,
		      void (*fn)(void *arg, const struct miss *m), void *arg);
/* The text of miss id, if it is not attached yet (*text malloc'd). 1, 0 (no such
 * miss, or attached), -1 on error. */
int store_miss_text(struct store *st, int64_t id, char **text);
/* Marks the not yet attached misses with these ids as attached by change. The rows
 * changed, or -1. */
int store_misses_attach_ids(struct store_tx *tx, const int64_t *ids, size_t n, int64_t change);
/* The same for the misses whose text is text. */
int store_misses_attach_text(struct store_tx *tx, const char *text, int64_t change);
/* Lists the misses change attached again. The rows, or -1. */
int store_misses_detach(struct store_tx *tx, int64_t change);

/* One change of a reply-set file. Strings owned when read (miss_change_free). */
struct miss_change {
	int64_t id, at;
	char *actor;
	char *action;            /* "attach" or "create" */
	char *intent;
	char *file;              /* relative to the reply set's directory */
	char *before;            /* the file before; NULL when the change created it */
	char *after;             /* the file after */
	char *after_sha;         /* hex SHA-256 of after */
	char *diff;              /* unified diff before -> after */
	int64_t undone_at;       /* 0 unless undone */
	int64_t attached;        /* misses it attached (read only) */
};
void miss_change_free(struct miss_change *c);
/* Records c (id, undone_at and attached ignored) and sets *id. 0 or -1. */
int store_miss_change_add(struct store_tx *tx, const struct miss_change *c, int64_t *id);
/* Reads change id. 1 found, 0 not, -1 on error. */
int store_miss_change_get(struct store *st, int64_t id, struct miss_change *out);
/* Calls fn with each change, newest first, at most limit. The count, or -1. */
int store_miss_changes_each(struct store *st, int limit,
			    void (*fn)(void *arg, const struct miss_change *c), void *arg);
/* Marks change id undone at now, if it is not yet. 1 marked, 0 it was, -1 on error. */
int store_miss_change_undo(struct store_tx *tx, int64_t id, int64_t now);

#endif
