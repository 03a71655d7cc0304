/* Multi-part answers as one message where the parts belong together: a complaint's
 * acknowledgement and its first question are one message, not two (half the sends in a
 * burst, one notification for the customer). A part with buttons stays a message of its
 * own: the buttons belong to that part's text (a menu under the greeting, quick answers
 * under a question), not to a joined message. */
#ifndef DESKBOT_REPLY_MERGE_H
#define DESKBOT_REPLY_MERGE_H
#include <stddef.h>

#include "message.h"

/* Joins consecutive replies that have no buttons (text "a\n\nb") as long as the joined
 * text stays within max_text bytes (0: no limit). Returns the number of replies left. */
size_t replies_merge(struct reply_list *l, size_t max_text);

#endif
