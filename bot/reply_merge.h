/* Multi-part answers as one message where the parts belong together: a complaint's
 * acknowledgement and its first question are one message, not two (half the sends in a
 * burst, one notification for the customer). A part with buttons ends its message: the
 * buttons belong to that part, so what follows stays a message of its own. */
#ifndef DESKBOT_REPLY_MERGE_H
#define DESKBOT_REPLY_MERGE_H
#include <stddef.h>

#include "message.h"

/* Joins each reply without buttons to the next one (text "a\n\nb", the next one's
 * buttons), as long as the joined text stays within max_text bytes (0: no limit).
 * Returns the number of replies left. */
size_t replies_merge(struct reply_list *l, size_t max_text);

#endif
