/* The file fetcher: downloads the files customers send (store_files.h) through the
 * channel they came by, checks their type, and keeps them in the store, so that the
 * console shows them from deskbot itself. It runs when a customer's message brings
 * files, and every FILE_FETCH_RETRY_S for the ones a transient failure left pending;
 * a few downloads at a time. When a file is kept or given up it emits "case_file"
 * {"case_id","file_id"} (the console reloads the case). */
#ifndef DESKBOT_FILE_FETCH_H
#define DESKBOT_FILE_FETCH_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "channels/channel.h"

struct events;
struct store;

#define FILE_FETCH_MAX_BYTES (10u << 20) /* default limit of one file */
#define FILE_FETCH_ATTEMPTS 3            /* transient failures before a file is given up */
#define FILE_FETCH_RETRY_S 10

struct file_fetch_deps {
	uv_loop_t *loop;
	struct store *store;
	struct events *events;
	/* The named channel's fetch_file (channel_ops), CHANNEL_FILE_REFUSED when the
	 * channel is off or cannot fetch. */
	int (*fetch)(void *arg, const char *channel, const char *ref, size_t max_bytes,
		     channel_file_cb cb, void *cb_arg);
	void *arg;
	size_t max_bytes; /* 0: FILE_FETCH_MAX_BYTES */
};

struct file_fetch;

struct file_fetch *file_fetch_new(const struct file_fetch_deps *d);
/* Looks for pending files now (also done by the events and the timer). */
void file_fetch_kick(struct file_fetch *f);
/* Downloads in flight. */
size_t file_fetch_in_flight(const struct file_fetch *f);
/* Stops the timer and the subscription; the handle closes on the next loop turn. Call
 * before the channels are freed (their downloads' callbacks point into it). */
void file_fetch_free(struct file_fetch *f);

/* 1 when a file of kind ("photo", "document", "voice", "sticker") may be kept with the
 * Content-Type mime (parameters ignored): images for photos and stickers, audio for
 * voice messages, common document types for documents. Never HTML, SVG or scripts,
 * which the console's origin must not serve. */
int file_type_allowed(const char *kind, const char *mime);

/* The Content-Type to serve a stored file with: mime when it is one of the types named
 * above exactly (a static string), else "application/octet-stream". */
const char *file_type_static(const char *mime);

#endif
