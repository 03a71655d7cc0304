/* The satisfaction question and its answer (see ratings.h). */
#include "ratings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "log.h"
#include "replyset.h"
#include "store.h"
#include "store_cases.h"
#include "store_ratings.h"
#include "xalloc.h"

int ratings_ask(struct store_tx *tx, const struct replyset *rs, int64_t case_id,
		const cJSON *record, int lang, int64_t now, struct outbox_row *row)
{
	*row = (struct outbox_row){0};
	const char *channel = json_str(record, "channel");
	int64_t peer = json_int(record, "peer_id", 0);
	struct tpl_vars v = {.case_id = json_str(record, "number")};
	char *text = channel && peer ? replyset_render(rs, "rating_question", lang, &v) : NULL;
	if (!text)
		return 0;
	int asked = store_rating_ask(tx, case_id, channel, peer, json_str(record, "assignee"), now);
	if (asked <= 0) {
		free(text);
		return asked;
	}
	struct reply_list l = {0};
	struct reply *r = reply_list_add(&l, text, "template:rating_question");
	r->inline_keyboard = 1;
	for (int n = 1; n <= 5; n++) {
		char label[4], payload[48];
		snprintf(label, sizeof label, "%d", n);
		snprintf(payload, sizeof payload, "rate:%lld:%d", (long long)case_id, n);
		reply_add_button(r, 0, label, payload, "callback");
	}
	row->channel = xstrdup(channel);
	row->kind = xstrdup("message");
	row->peer_id = peer;
	row->text = text;
	row->keyboard = reply_keyboard_json(r);
	row->replyset_version = xstrdup(replyset_version(rs));
	row->source = xstrdup("template:rating_question");
	row->created_ms = now * 1000;
	reply_list_free(&l);
	return store_outbox_add(tx, row) < 0 ? -1 : 1;
}

/* "rate:<case>:<n>" with nothing else around: the case id and 1..5, else 0. */
static int parse_press(const char *payload, int64_t *case_id)
{
	long long id;
	int n, end = 0;
	if (!payload || sscanf(payload, "rate:%lld:%d%n", &id, &n, &end) != 2 ||
	    payload[end] != '\0' || id <= 0 || n < 1 || n > 5)
		return 0;
	*case_id = id;
	return n;
}

/* The rating on the case record too, for the console's case card. */
static int put_on_record(struct store_tx *tx, int64_t case_id, int rating, int64_t now)
{
	cJSON *record = NULL;
	if (store_case_get_head(store_tx_store(tx), case_id, &record) < 0 || !record)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(record, "rating");
	cJSON *o = cJSON_AddObjectToObject(record, "rating");
	cJSON_AddNumberToObject(o, "score", rating);
	cJSON_AddNumberToObject(o, "at", (double)now);
	int r = store_case_put(tx, case_id, record, now);
	cJSON_Delete(record);
	return r;
}

int ratings_press(struct store_tx *tx, const struct replyset *rs, const struct chan_msg *m,
		  int lang, int64_t now, struct reply_list *out)
{
	int64_t case_id = 0;
	int rating = parse_press(m->payload, &case_id);
	if (!rating)
		return 0;
	int stored = store_rating_set(tx, case_id, m->channel, m->peer_id, rating, now);
	if (stored <= 0) {
		if (stored == 0)
			log_info("ratings: %s %lld pressed a rating for case %lld it was not asked "
				 "about",
				 m->channel, (long long)m->peer_id, (long long)case_id);
		return stored;
	}
	char detail[8];
	snprintf(detail, sizeof detail, "%d", rating);
	if (put_on_record(tx, case_id, rating, now) < 0 ||
	    store_audit(tx, "customer", "rating", case_id, detail, now) < 0)
		return -1;
	struct tpl_vars none = {0};
	char *text = replyset_render(rs, "rating_thanks", lang, &none);
	if (text)
		reply_list_add(out, text, "template:rating_thanks");
	free(text);
	return 1;
}
