/* One outbox row, on its own: the store keeps them, the outbox schedules them and the
 * channels render them, and a channel needs this much of the store and no more. */
#ifndef DESKBOT_OUTBOX_ROW_H
#define DESKBOT_OUTBOX_ROW_H
#include <stdint.h>

/* An outbox row: one message (or callback answer, or webhook) waiting to be delivered. */
struct outbox_row {
	int64_t id;
	char *channel;
	char *kind;        /* "message", "callback_answer", "webhook" */
	int64_t peer_id;
	int64_t inbound_id;  /* store id of the message it answers, 0 if none */
	int64_t reply_to;    /* channel message id it answers, 0 if none */
	char *text;
	char *keyboard;      /* reply_keyboard_json, or NULL */
	char *extra;         /* kind-specific JSON (callback id, webhook body), or NULL */
	char *replyset_version;
	char *source;
	int attempts;
	int64_t created_ms;
	int64_t next_attempt_ms;
	/* Kind "file" (an approved file, extra {"file_id","kind","name","mime"}): the bytes
	 * of the snapshot the outbox loads before the first attempt, and the platform's
	 * handle of an upload that went through while the send after it did not (the next
	 * attempt sends it without uploading again). NULL until then. */
	char *file_data;
	size_t file_len;
	char *handle;
};

void outbox_row_free(struct outbox_row *r);

#endif
