/* A channel's capabilities (see channel.h), on their own so that code that only asks
 * what a message's channel can do (handlers, casework) needs nothing else. */
#ifndef DESKBOT_CHANNEL_CAPS_H
#define DESKBOT_CHANNEL_CAPS_H

/* What a channel can do, declared at construction: the rest of the daemon branches on
 * these, never on the channel's name. */
struct channel_caps {
	int reply_to;              /* replies name the message they answer */
	int contact_button;        /* a button that shares the customer's phone number */
	const char *profile_by_name; /* profile link prefix + screen name, or NULL */
	const char *profile_by_id;   /* profile link prefix + user id, or NULL */
	int idempotent_send;       /* a resent row is not delivered twice (VK random_id) */
	int batch_send;            /* send_batch carries several rows in one request */
	int local_chat;            /* the web chat served by our own listener */
	int typing;                /* typing() shows the customer "печатает…" */
	int send_files;            /* send() takes rows of kind "file" (an approved file) */
	/* Which page the channel is, for the case record and the console: the platform
	 * ("vk", "telegram", "web"), and for one of several pages its config label and
	 * title (NULL when the config gave none). */
	const char *platform;
	const char *page_label;
	const char *page_title;
};

#endif
