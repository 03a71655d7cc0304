/* Telegram Bot API wire formats without any I/O: getUpdates answers, sendMessage
 * answers, the request bodies and keyboards. Apart from telegram.c for tests and fuzzers. */
#ifndef DESKBOT_TG_PARSE_H
#define DESKBOT_TG_PARSE_H
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "message.h"

/* A my_chat_member change in a private chat: the customer blocked or unblocked us. */
struct tg_block {
	int64_t chat_id;
	int blocked;
};

struct tg_updates {
	int ok;               /* 1 when the envelope said ok with a result array */
	int error_code;       /* from a failed envelope, else 0 */
	int64_t retry_after;  /* seconds, from parameters.retry_after */
	int64_t next_offset;  /* highest update_id + 1, or 0 when there were no updates */
	struct chan_msg *msgs;
	size_t n_msgs;
	size_t n_ignored;     /* edits, channel posts, unknown kinds */
	size_t n_bad;         /* entries that could not be read */
	struct tg_block *blocks;
	size_t n_blocks;
};

void tg_parse_updates(const char *body, size_t len, struct tg_updates *out);
void tg_updates_free(struct tg_updates *u);
/* Parses one webhook delivery: a single Update object, filled in out as tg_parse_updates
 * would for a batch of one (ok 1). Returns 0, or -1 when the body is not a JSON object
 * (logged; out empty). */
int tg_parse_update(const char *body, size_t len, struct tg_updates *out);

/* The file_path of a getFile answer ({"ok":true,"result":{"file_path","file_size"}}) as
 * a new string, *size its file_size (-1 when not given); NULL when the answer has none
 * or the path could leave the file URL (a "..", a query, a scheme, a backslash). */
char *tg_parse_file_path(const char *body, size_t len, int64_t *size);

/* The update_id in an answer that is not valid JSON (the first one), or -1. */
int64_t tg_scan_update_id(const char *body);

/* Classifies an answer to sendMessage / answerCallbackQuery. */
void tg_classify_send(long status, int transport_error, const char *body,
		      struct send_result *out);

/* The JSON body of sendMessage for an outbox row (plain text: no parse_mode, so
 * nothing needs escaping). Caller frees. */
char *tg_send_body(const struct outbox_row *row);
/* sendDocument / sendPhoto for a file row (channel_row_file): the method and the
 * multipart fields chat_id, caption (when the row has text) and document / photo (the
 * bytes, with the file's name). The parts borrow from row and f; chat_id is written to
 * chat (32 bytes). Returns the number of parts (at most 3), or -1. */
struct http_part;
struct chan_outfile;
int tg_file_parts(const struct outbox_row *row, const struct chan_outfile *f, char chat[32],
		  const char **method, struct http_part *parts);
/* The JSON body of answerCallbackQuery, or NULL when the row has no callback id. */
char *tg_callback_body(const struct outbox_row *row);

#endif
