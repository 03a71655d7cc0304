/* The files customers send (photos, documents, voice messages, stickers): one row per
 * file, tied to the transcript line it came with. A row starts "pending" with the
 * channel's handle (chan_file.ref); the file fetcher (file_fetch.h) downloads it through
 * the channel and stores the bytes ("ok") or the reason it gave up ("failed"). The
 * console serves the bytes from here, so the browser never asks a third-party host. */
#ifndef DESKBOT_STORE_FILES_H
#define DESKBOT_STORE_FILES_H
#include <stddef.h>
#include <stdint.h>

struct chan_file;
struct store;
struct store_tx;

/* Adds a pending file to case id's last transcript line (the line it came with). */
int store_file_add(struct store_tx *tx, int64_t case_id, const char *channel,
		   const struct chan_file *f, int64_t now);

/* A file a secretary sends (an approved file, replyset.h), snapshotted: the bytes as
 * they were at send time, already "ok", tied to case id's last transcript line (the
 * operator's line it goes with) and marked by its ref "out:<approved id>". *id is the
 * new row's id (the outbox row names it). */
int store_file_add_out(struct store_tx *tx, int64_t case_id, const char *channel,
		       const char *kind, const char *approved_id, const char *name,
		       const char *mime, const void *data, size_t len, int64_t now, int64_t *id);

/* A sent file that could not be delivered for good (the outbox gave up): its error says
 * why, the console shows it on the line (the bytes stay, state stays "ok"). */
int store_file_out_failed(struct store *st, int64_t id, const char *reason);

/* A pending file, borrowed for the callback. */
struct store_pending_file {
	int64_t id, case_id;
	const char *channel, *kind, *ref;
	int attempts;
};
/* Calls fn for at most limit pending files whose id is above after_id, oldest first.
 * Returns the count or negative. */
int store_files_pending(struct store *st, int64_t after_id, int limit,
			void (*fn)(void *arg, const struct store_pending_file *f), void *arg);
/* The bytes arrived: the file is "ok". */
int store_file_done(struct store_tx *tx, int64_t id, const char *mime, const void *data,
		    size_t len);
/* A failed attempt: with permanent, or at the last allowed attempt, the file is
 * "failed" with reason; otherwise it stays pending with one attempt more. */
int store_file_failed(struct store_tx *tx, int64_t id, const char *reason, int permanent,
		      int max_attempts);

/* A file as the console serves it. */
struct store_file {
	char kind[16], state[16], mime[96];
	char *name;  /* or NULL */
	char *error; /* or NULL */
	void *data;  /* the bytes when state is "ok", else NULL */
	size_t len;
	int64_t case_id;
};
/* Loads file id into *f (store_file_clear releases it). 1 found, 0 not, negative on
 * error. */
int store_file_get(struct store *st, int64_t id, struct store_file *f);
void store_file_clear(struct store_file *f);

#endif
