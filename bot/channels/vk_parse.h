/* VK wire formats without any I/O: the long-poll answer, messages.send answers and the
 * keyboard JSON. Kept apart from vk.c so that tests and fuzzers reach them directly. */
#ifndef DESKBOT_VK_PARSE_H
#define DESKBOT_VK_PARSE_H
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "message.h"

enum vk_poll_kind {
	VK_POLL_UPDATES,   /* events (maybe none) and a new ts */
	VK_POLL_FAILED,    /* {"failed":N}: see failed and ts */
	VK_POLL_MALFORMED, /* not JSON, or not the shape of either */
};

/* A change of a customer's permission to receive messages (message_allow / deny). */
struct vk_permission {
	int64_t user_id;
	int allowed;
};

struct vk_poll {
	enum vk_poll_kind kind;
	int failed;          /* 1, 2, 3 (or 4) when kind is VK_POLL_FAILED */
	char *ts;            /* the new ts as text, or NULL */
	struct chan_msg *msgs;
	size_t n_msgs;
	size_t n_ignored;    /* events not answered by design */
	size_t n_bad;        /* events that could not be read (logged) */
	struct vk_permission *perms;
	size_t n_perms;
};

/* Parses a long-poll answer. Never fails on content: bad events are counted. */
void vk_parse_poll(const char *body, size_t len, struct vk_poll *out);
void vk_poll_free(struct vk_poll *p);

/* What a Callback API delivery is (../shared/specs/vk.md section 8). */
enum vk_hook_kind {
	VK_HOOK_EVENT,        /* an event: out holds its message, permission or nothing */
	VK_HOOK_CONFIRMATION, /* answer the confirmation code */
	VK_HOOK_FORBIDDEN,    /* the secret key is missing or wrong: refuse, never process */
	VK_HOOK_OTHER_GROUP,  /* for another community (another page may take it) */
	VK_HOOK_MALFORMED,    /* not a JSON object: logged; retrying it would not help */
};

/* Reads one delivery for community group_id whose Callback API secret key is secret.
 * The community is checked first (so that each page sees only its own), then the
 * secret (before anything is read of the event), then the type. For VK_HOOK_EVENT out
 * is filled as vk_parse_poll fills it for one event (kind VK_POLL_UPDATES, ts NULL;
 * vk_poll_free). */
enum vk_hook_kind vk_parse_hook(const char *body, size_t len, int64_t group_id,
				const char *secret, struct vk_poll *out);

/* Finds the top-level "ts" of an answer that is not valid JSON (to step past a batch
 * that can never be read). Returns a new string or NULL. */
char *vk_scan_ts(const char *body);

/* Parses {"response":{"key","server","ts"}}; returns 0 with owned strings, or fills an
 * error code (API error code, or -1 for malformed). */
int vk_parse_lp_server(const char *body, char **server, char **key, char **ts, int *error);

/* Classifies an answer to messages.send (or another method) into a send_result. status
 * is the HTTP status (0 when the transfer failed), transport_error the curl code. */
void vk_classify_send(long status, int transport_error, const char *body,
		      struct send_result *out);

/* Converts the channel-neutral keyboard (reply_keyboard_json) to VK's keyboard JSON.
 * Returns NULL for no keyboard. Caller frees. */
char *vk_keyboard(const char *neutral);

/* Approved files (a row of kind "file"): docs.getMessagesUploadServer (type=doc) or
 * photos.getMessagesUploadServer, a multipart POST of the bytes to its upload_url
 * (field "file" or "photo"), docs.save or photos.saveMessagesPhoto, and messages.send
 * with the attachment "doc<owner>_<id>" / "photo<owner>_<id>". */
struct buf;
/* The first step's method, its form fields appended to form ("&type=doc&peer_id=P"). */
const char *vk_upload_server_call(int photo, int64_t peer_id, struct buf *form);
/* The multipart field the upload server wants the bytes in. */
const char *vk_upload_field(int photo);
/* upload_url of a getMessagesUploadServer answer (caller frees), or NULL. */
char *vk_parse_upload_url(const char *body);
/* The save call for an upload server's answer ({"file"} for a document, {"server",
 * "photo","hash"} for a photo): its method, and its fields appended to form (title:
 * the file's name). NULL when the answer is not one (an {"error"}). */
const char *vk_save_call(int photo, const char *upload_answer, const char *title,
			 struct buf *form);
/* The attachment a docs.save / photos.saveMessagesPhoto answer names, written to out.
 * Returns 0, or -1 when the answer names none. */
int vk_parse_saved(int photo, const char *body, char *out, size_t outlen);

/* random_id for messages.send: deterministic per outbox row (retries reuse it), in
 * 1..2^31-1, offset by the store's salt so another store's ids do not collide. */
int64_t vk_random_id(int64_t salt, int64_t row_id);

#endif
