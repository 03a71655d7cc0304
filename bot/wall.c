/* The public side's rules for wall comments (see wall.h). */
#include "wall.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casework.h"
#include "cases.h"
#include "log.h"
#include "pipeline_batch.h"
#include "replyset.h"
#include "store.h"
#include "store_wall.h"
#include "wall_row.h"
#include "xalloc.h"

/* How close a complaint must score to the top intent to count (as the dialog's). */
#define WALL_COMPLAINT_NEAR 0.85

const char *wall_reading_name(int reading)
{
	static const char *const names[] = {"question", "complaint", "troll", "other"};
	return reading >= 0 && reading <= WALL_OTHER ? names[reading] : "other";
}

void wall_decide(const struct replyset *rs, const struct match_result *mr,
		 struct wall_decision *out)
{
	*out = (struct wall_decision){.reading = WALL_OTHER,
				      .template_id = "public_invite_private"};
	const struct match_flags *f = &mr->flags;
	if (!mr->text.n_letters && mr->n_top == 0) {
		out->template_id = NULL; /* nothing said (a sticker, a photo): nothing to answer */
		return;
	}
	/* A provocation gets nothing in public: any answer feeds it. */
	if (f->obscene || f->spread_call || f->legal_threat) {
		out->reading = WALL_TROLL;
		out->template_id = NULL;
		return;
	}
	int complaint = match_complaint(rs, mr, WALL_COMPLAINT_NEAR);
	if (complaint >= 0 || f->operator_request || f->negative) {
		out->reading = WALL_COMPLAINT;
		out->template_id = "public_complaint";
		if (complaint >= 0)
			out->intent = replyset_intent_at(rs, (size_t)complaint)->id;
		return;
	}
	if (mr->n_top == 0 || mr->decision != MATCH_ANSWER)
		return; /* not understood: the invitation to private messages */
	const struct replyset_intent *it = replyset_intent_at(rs, (size_t)mr->top[0].intent);
	out->intent = it->id;
	if (it->kind != RS_FAQ && it->kind != RS_TARIFF)
		return;
	out->reading = WALL_QUESTION;
	/* Only an approved public template: the private answer may be long or personal. */
	char id[96];
	snprintf(id, sizeof id, "public_answer_%s", it->id);
	const struct replyset_template *t = replyset_template(rs, id);
	if (t)
		out->template_id = t->id;
}

/* The public reply under m, as an outbox row of kind "wall_reply". */
static int queue_public_reply(const struct wall_env *env, struct pipeline_batch *b,
			      const struct chan_msg *m, int64_t inbound_id, const char *text,
			      const char *template_id, int64_t now_ms)
{
	struct outbox_row *r = pipeline_batch_row(b);
	char source[96];
	snprintf(source, sizeof source, "template:%s", template_id);
	/* No splitting: deskbot check keeps public templates far below any channel's
	 * limit. */
	wall_row_fill(r, env->channel, m->peer_id, &m->wall, text, source,
		      replyset_version(env->replies), now_ms);
	r->inbound_id = inbound_id;
	return store_outbox_add(b->tx, r);
}

/* What the case shows of the comment: where it is and the thread around it. */
static cJSON *wall_info(const struct wall_env *env, const struct chan_msg *m, int troll)
{
	cJSON *w = cJSON_CreateObject();
	cJSON_AddNumberToObject(w, "owner_id", (double)m->wall.owner_id);
	cJSON_AddNumberToObject(w, "post_id", (double)m->wall.post_id);
	cJSON_AddNumberToObject(w, "comment_id", (double)m->wall.comment_id);
	char link[128];
	snprintf(link, sizeof link, "https://vk.com/wall%lld_%lld?reply=%lld",
		 (long long)m->wall.owner_id, (long long)m->wall.post_id,
		 (long long)m->wall.comment_id);
	cJSON_AddStringToObject(w, "link", link);
	cJSON_AddBoolToObject(w, "troll", troll);
	cJSON *thread = cJSON_AddObjectToObject(w, "thread");
	if (store_wall_thread(env->store, env->channel, m->wall.owner_id, m->wall.post_id,
			      thread) < 0)
		log_warn("wall: thread of post %lld_%lld not read for the case",
			 (long long)m->wall.owner_id, (long long)m->wall.post_id);
	return w;
}

static int handle_new(const struct wall_env *env, struct pipeline_batch *b,
		      const struct chan_msg *m, int64_t inbound_id, int64_t now_ms)
{
	int64_t now = now_ms / 1000;
	struct match_result mr;
	if (match_message(env->replies, m->text, strlen(m->text), &mr) < 0)
		return -1;
	struct wall_decision d;
	wall_decide(env->replies, &mr, &d);
	struct match_flags flags = mr.flags;
	match_result_free(&mr);
	/* The comment first, so that the thread the case shows includes it. */
	int stored = store_wall_put(b->tx, env->channel, m, wall_reading_name(d.reading), 0, now);
	if (stored <= 0)
		return stored; /* 0: known already (a replay under a new event id) */
	int64_t case_id = 0;
	if (d.reading == WALL_COMPLAINT || d.reading == WALL_TROLL) {
		cJSON *w = wall_info(env, m, d.reading == WALL_TROLL);
		const char *intent = d.reading == WALL_TROLL ? "public_provocation"
			: d.intent ? d.intent : "complaint_general";
		int r = casework_open_public(env->cases, b, m, intent, &flags, w, now, &case_id);
		cJSON_Delete(w);
		if (r < 0 || store_wall_set_case(b->tx, env->channel, m, case_id) < 0)
			return -1;
	}
	log_info("wall: comment %lld under post %lld_%lld from %lld read as %s%s",
		 (long long)m->wall.comment_id, (long long)m->wall.owner_id,
		 (long long)m->wall.post_id, (long long)m->user_id, wall_reading_name(d.reading),
		 d.template_id ? "" : " (not answered in public)");
	if (!d.template_id)
		return 0;
	char *text = replyset_render(env->replies, d.template_id, RS_RU, &(struct tpl_vars){0});
	if (!text) {
		log_error("wall: template \"%s\" missing; comment %lld not answered",
			  d.template_id, (long long)m->wall.comment_id);
		return 0;
	}
	int result = queue_public_reply(env, b, m, inbound_id, text, d.template_id, now_ms);
	if (result == 0 && case_id)
		result = cases_add_line(b->tx, case_id, now, "bot", text);
	free(text);
	return result;
}

int wall_handle(const struct wall_env *env, struct pipeline_batch *b, const struct chan_msg *m,
		int64_t inbound_id, int64_t now_ms)
{
	switch (m->wall.event) {
	case WALL_NEW:
		return handle_new(env, b, m, inbound_id, now_ms);
	case WALL_EDIT: {
		int r = store_wall_edit(b->tx, env->channel, m, now_ms / 1000);
		if (r == 0)
			log_info("wall: edit of comment %lld we never saw; ignored",
				 (long long)m->wall.comment_id);
		return r < 0 ? -1 : 0;
	}
	case WALL_DELETE: {
		int r = store_wall_delete(b->tx, env->channel, m, now_ms / 1000);
		if (r >= 0)
			log_info("wall: comment %lld deleted; %d public reply(ies) to it cancelled",
				 (long long)m->wall.comment_id, r);
		return r < 0 ? -1 : 0;
	}
	default:
		return 0;
	}
}
