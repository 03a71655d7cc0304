/* What the three webhook modes share: the dispatch of a delivery to the channel whose
 * path (and, for VK, community) it names, the secret comparison, the answer, and the
 * reading of one hostile body. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "json_batch.h"
#include "json_repair.h"
#include "log.h"

int channel_hook_dispatch(struct channel *const *chs, size_t n, const struct channel_hook_req *req,
			  struct channel_hook_answer *ans)
{
	for (size_t i = 0; i < n; i++)
		if (chs[i]->ops->hook && chs[i]->ops->hook(chs[i], req, ans))
			return 1;
	hook_answer(ans, 404, "no webhook here");
	return 0;
}

/* Constant time in the given secret's content, so timing does not leak the expected one. */
int hook_secret_equal(const char *given, const char *expected)
{
	if (!expected || !*expected || !given)
		return 0;
	size_t n = strlen(expected), m = strlen(given);
	unsigned char diff = (unsigned char)(n != m);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(expected[i] ^ (i < m ? given[i] : 0));
	return diff == 0;
}

void hook_answer(struct channel_hook_answer *ans, int status, const char *body)
{
	ans->status = status;
	snprintf(ans->body, sizeof ans->body, "%s", body);
}

int hook_admit(struct channel *ch, const char *path, const char *secret, const char *header,
	       const struct channel_hook_req *req, struct channel_hook_answer *ans)
{
	if (!path || !hook_secret_equal(req->path, path))
		return 0;
	if (hook_secret_equal(req->secret, secret))
		return 1;
	log_warn("%s: webhook delivery refused: missing or wrong %s", ch->name, header);
	hook_answer(ans, 401, "unauthorized");
	return -1;
}

void hook_answer_stored(struct channel *ch, int parsed, int stored,
			struct channel_hook_answer *ans)
{
	if (parsed < 0) {
		/* 200: the platform would resend it as it is (Telegram for a day, MAX for 8 h,
		 * then it drops the subscription). */
		*ch->m_poll_skipped += 1;
		hook_answer(ans, 200, "skipped");
	} else if (stored < 0) {
		hook_answer(ans, 503, "store unavailable; send it again");
	} else {
		hook_answer(ans, 200, "ok");
	}
}

cJSON *hook_read_json(const char *body, size_t len, const char *channel)
{
	size_t fixed_len = 0;
	char *fixed = json_repair(body, len, &fixed_len, NULL);
	cJSON *root = cJSON_ParseWithLength(fixed ? fixed : body, fixed ? fixed_len : len);
	if (!cJSON_IsObject(root)) {
		char excerpt[96];
		log_warn("%s: webhook body is not a JSON object (%zu bytes: %s); answered and "
			 "skipped, a retry would not read better",
			 channel, len, json_excerpt(body, len, 80, excerpt, sizeof excerpt));
		cJSON_Delete(root);
		root = NULL;
	}
	free(fixed);
	return root;
}
