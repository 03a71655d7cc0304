/* MAX Bot API wire formats without any I/O (../shared/specs/max.md): GET /updates
 * answers, POST /messages and /answers answers, the request bodies and keyboards. Apart
 * from max.c for tests and fuzzers. */
#ifndef DESKBOT_MAX_PARSE_H
#define DESKBOT_MAX_PARSE_H
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "message.h"

/* A dialog the customer stopped or removed (bot_stopped, dialog_removed), or started
 * again (bot_started). peer is the dialog's user id, as replies address it. */
struct max_block {
	int64_t peer;
	int blocked;
};

struct max_updates {
	int ok;              /* the answer was an UpdateList with an updates array */
	int64_t marker;      /* its marker; 0 when absent, null or 0 (keep the stored one) */
	char error_code[64]; /* "code" of an error body, "" if none */
	struct chan_msg *msgs;
	size_t n_msgs;
	size_t n_ignored;    /* edits, removals, unknown types, the bot's own messages */
	size_t n_bad;        /* updates that could not be read */
	struct max_block *blocks;
	size_t n_blocks;
};

void max_parse_updates(const char *body, size_t len, struct max_updates *out);
void max_updates_free(struct max_updates *u);
/* Parses one webhook delivery: a single Update object, filled in out as
 * max_parse_updates would for a batch of one (ok 1, marker 0). Returns 0, or -1 when the
 * body is not a JSON object (logged; out empty). */
int max_parse_update(const char *body, size_t len, struct max_updates *out);

/* The envelope's marker in an answer that is not valid JSON (the last "marker" key,
 * which follows the updates array), or -1. */
int64_t max_scan_marker(const char *body, size_t len);

/* Classifies an answer to POST /messages (answer 0) or POST /answers (answer 1). */
void max_classify_send(long status, int transport_error, const char *body, int answer,
		       struct send_result *out);

/* The query of POST /messages for a peer: "user_id=N" for a dialog (positive peer),
 * "chat_id=N" for a group chat (negative peer). Writes into out. */
const char *max_send_query(int64_t peer, char *out, size_t cap);
/* The NewMessageBody JSON for an outbox row (plain text: no format, nothing to escape).
 * Caller frees. */
char *max_send_body(const struct outbox_row *row);
/* Approved files (a row of kind "file"): POST /uploads?type=file|image gives an upload
 * URL; the bytes go there as multipart field "data" and come back as a token; the
 * message carries it as an attachment {"type":"file"|"image","payload":{"token"}}. */
/* "file" or "image": the upload's type= and the attachment's type. */
const char *max_upload_type(int photo);
/* The multipart field the upload URL wants the bytes in ("data"). */
const char *max_upload_field(void);
/* url of a POST /uploads answer (caller frees), or NULL. */
char *max_parse_upload_url(const char *body);
/* The token of an upload's answer ({"token"}, or an image's {"photos":{"<id>":
 * {"token"}}}), caller frees; NULL when there is none. */
char *max_parse_upload_token(const char *body);
/* The NewMessageBody of a file row: its text (the caption) and the attachment. Caller
 * frees. */
char *max_file_body(const struct outbox_row *row, int photo, const char *token);
/* The CallbackAnswer body for a callback_answer row, with its callback id copied into
 * *callback_id (caller frees both), or NULL when the row has no callback id. */
char *max_answer_body(const struct outbox_row *row, char **callback_id);

#endif
