/* The normalised inbound message and the channel-neutral outbound reply.
 * Channels build struct chan_msg from their wire format; the dialog turns it into
 * struct reply values; the outbox stores replies and channels render them back. */
#ifndef DESKBOT_MESSAGE_H
#define DESKBOT_MESSAGE_H
#include <stddef.h>
#include <stdint.h>

struct channel_caps;

/* A file a customer sent (photo, document, voice message, sticker), as the channel
 * names it: the bytes are fetched later, through the same channel (channel.h
 * fetch_file), and kept in the store. Owned strings. */
struct chan_file {
	char *kind; /* "photo", "document", "voice" or "sticker" */
	char *ref;  /* the platform's handle: Telegram file_id, a VK or MAX download URL */
	char *name; /* the file's name when the platform gives one, or NULL */
};

/* What a wall comment event did (VK wall_reply_*); WALL_NONE for a private message. */
enum chan_wall_event { WALL_NONE, WALL_NEW, WALL_EDIT, WALL_DELETE };

/* Where a comment on the community's wall sits: its post and its own id. */
struct chan_wall {
	int event;                /* enum chan_wall_event */
	int64_t owner_id;         /* the wall's owner (the community: negative) */
	int64_t post_id;
	int64_t comment_id;
	int64_t reply_to_comment; /* the comment it answers in the thread, 0 if none */
};

/* What a customer sent. All strings are owned by the message (chan_msg_free). Every id
 * is 64-bit: Telegram user ids pass 2^32 and VK chat peers pass 2e9. */
struct chan_msg {
	char *channel;       /* "vk", "telegram", "web", "cli" */
	char *dedup_key;     /* unique per channel: VK event_id, Telegram update_id, ... */
	int64_t peer_id;     /* where to answer (VK peer_id, Telegram chat.id) */
	int64_t user_id;     /* who wrote */
	int64_t message_id;  /* the channel's id of this message (0 if none, e.g. a button event) */
	int64_t date;        /* unix seconds */
	char *text;          /* what the customer wrote; "" if nothing (never NULL) */
	char *payload;       /* data of a pressed button, or NULL */
	char *callback_id;   /* VK message_event event_id / Telegram callback_query id, or NULL */
	char *contact_phone; /* phone shared through a contact button, or NULL */
	char *attachments;   /* short summary such as "photo,doc", or NULL */
	struct chan_file *files; /* the files among them the console can show, n_files */
	size_t n_files;
	char *display_name;  /* first and last name as the channel knows them, or NULL */
	char *username;      /* screen name / username, or NULL */
	char *lang;          /* language hint from the channel ("ru", "en"), or NULL */
	/* What the channel it came through can do (channels/channel.h), borrowed; set by
	 * the pipeline, NULL elsewhere (the CLI). */
	const struct channel_caps *caps;
	/* A public comment rather than a private message: peer_id and user_id are then its
	 * author (a VK user's private chat has the same id), message_id 0. */
	struct chan_wall wall;
};

void chan_msg_free(struct chan_msg *m);
/* Appends a file (copies of kind, ref and name; name may be NULL). Empty refs are
 * ignored: a file without a handle cannot be fetched. */
void chan_msg_add_file(struct chan_msg *m, const char *kind, const char *ref, const char *name);

/* A button on a reply. kind: "text" (sends its label/payload back as a message),
 * "callback" (inline, answered without a new message), "contact" (asks for the phone). */
struct reply_button {
	char *label;
	char *payload; /* short machine token, e.g. "intent:balance"; may be NULL */
	char *kind;
};

/* One reply the bot sends. Owned strings; reply_free releases them. */
struct reply {
	char *text;                  /* final text, placeholders already filled */
	struct reply_button *buttons; /* laid out row by row */
	size_t n_buttons;
	int *row_of;                 /* row index per button (same length as buttons) */
	int inline_keyboard;         /* 1: attached to the message; 0: replaces the input keyboard */
	char *source;                /* what produced it: "faq:balance", "template:ack", ... */
};

struct reply_list {
	struct reply *items;
	size_t n;
};

/* Adds a reply with a copy of text; returns it so buttons can be added. */
struct reply *reply_list_add(struct reply_list *l, const char *text, const char *source);
void reply_add_button(struct reply *r, int row, const char *label, const char *payload,
		      const char *kind);
void reply_list_free(struct reply_list *l);

/* Keyboard as channel-neutral JSON: {"inline":B,"rows":[[{"label","payload","kind"}]]},
 * or NULL when the reply has no buttons. Caller frees. */
char *reply_keyboard_json(const struct reply *r);

#endif
