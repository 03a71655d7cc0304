/* The conversation state (see convstate.h). It wraps the stored JSON object rather than
 * copying it into a C struct: keys it does not know survive a load and a save, the
 * object on disk is the one older versions wrote, and the interview leaves as the
 * case's data in the shape it was stored in. The keys are named here and nowhere
 * else. */
#include "convstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "store.h"
#include "xalloc.h"

struct convstate {
	cJSON *root; /* owned; always an object */
};

/* The stored keys. */
#define K_LANG "lang"
#define K_SEEN "seen"
#define K_MODE "mode"
#define K_CASE_ID "case_id"
#define K_SINCE "since"
#define K_LAST_AUTO_REPLY "last_auto_reply"
#define K_OPEN_CASE "open_case"
#define K_INTERVIEW "interview"
#define K_PROBLEM "problem"
#define K_IDEA "idea"
#define K_TARIFF "tariff"
/* Inside "interview" (besides the field names below) and "problem". */
#define K_ASKED "asked"
#define K_TRIES "tries"
#define K_SKIPPED "skipped"
#define K_FLAGS "flags"
#define K_STARTED "started"
#define K_TEXT "text"
#define K_AT "at"
/* "mode" while a person holds the chat. */
#define MODE_HUMAN "human"

/* Field names, in enum convstate_field order: keys in "interview" (and the values of
 * "asked" and "skipped"). */
static const char *const field_names[CONVSTATE_N_FIELDS] = {
	"phone", "account", "location", "description", "summary", "intent",
};

static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{CONVSTATE_OBSCENE, "obscene"},
	{CONVSTATE_LEGAL_THREAT, "legal_threat"},
	{CONVSTATE_SPREAD_CALL, "spread_call"},
	{CONVSTATE_SHOUTING, "shouting"},
};

/* ------------------------------------------------------------------ helpers */

static void put_str(cJSON *o, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (value)
		cJSON_AddStringToObject(o, key, value);
}

static void put_num(cJSON *o, const char *key, double value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, value);
}

static double num_or(const cJSON *o, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* The object under key, or NULL when absent or not an object. */
static cJSON *child_obj(const struct convstate *cs, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(cs->root, key);
	return cJSON_IsObject(o) ? o : NULL;
}

static int field_valid(int f)
{
	return f >= 0 && f < CONVSTATE_N_FIELDS;
}

static int field_index(const char *name)
{
	for (int f = 0; name && f < CONVSTATE_N_FIELDS; f++)
		if (strcmp(name, field_names[f]) == 0)
			return f;
	return -1;
}

/* ------------------------------------------------------------------ lifetime */

static struct convstate *wrap(cJSON *root)
{
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		root = cJSON_CreateObject();
		if (!root)
			return NULL;
	}
	struct convstate *cs = xmalloc(sizeof *cs);
	cs->root = root;
	return cs;
}

struct convstate *convstate_new(void)
{
	return wrap(cJSON_CreateObject());
}

struct convstate *convstate_parse(const char *text)
{
	return wrap(text ? cJSON_Parse(text) : NULL);
}

char *convstate_print(const struct convstate *cs)
{
	return cJSON_PrintUnformatted(cs->root);
}

int convstate_load(struct store *st, const char *channel, int64_t peer, struct convstate **out)
{
	cJSON *root = NULL;
	*out = NULL;
	if (store_conv_load(st, channel, peer, &root) < 0)
		return -1;
	*out = wrap(root);
	return *out ? 0 : -1;
}

int convstate_save(struct store_tx *tx, const char *channel, int64_t peer,
		   const struct convstate *cs, int64_t now)
{
	return store_conv_save(tx, channel, peer, cs->root, now);
}

void convstate_free(struct convstate *cs)
{
	if (!cs)
		return;
	cJSON_Delete(cs->root);
	free(cs);
}

/* ------------------------------------------------------------------ language, seen */

const char *convstate_lang(const struct convstate *cs)
{
	return json_str(cs->root, K_LANG);
}

void convstate_set_lang(struct convstate *cs, const char *code)
{
	put_str(cs->root, K_LANG, code);
}

int convstate_seen(const struct convstate *cs)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cs->root, K_SEEN));
}

void convstate_set_seen(struct convstate *cs)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_SEEN);
	cJSON_AddTrueToObject(cs->root, K_SEEN);
}

/* ------------------------------------------------------------------ who holds the chat */

int convstate_person_holds(const struct convstate *cs)
{
	const char *mode = json_str(cs->root, K_MODE);
	return mode && strcmp(mode, MODE_HUMAN) == 0;
}

int64_t convstate_holder_case(const struct convstate *cs)
{
	return json_int(cs->root, K_CASE_ID, 0);
}

int64_t convstate_holder_since(const struct convstate *cs)
{
	return json_int(cs->root, K_SINCE, 0);
}

void convstate_hand_to_bot(struct convstate *cs)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_MODE);
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_CASE_ID);
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_SINCE);
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_LAST_AUTO_REPLY);
}

void convstate_hand_to_person(struct convstate *cs, int64_t case_id, int64_t since)
{
	convstate_hand_to_bot(cs);
	cJSON_AddStringToObject(cs->root, K_MODE, MODE_HUMAN);
	cJSON_AddNumberToObject(cs->root, K_CASE_ID, (double)case_id);
	cJSON_AddNumberToObject(cs->root, K_SINCE, (double)since);
}

int64_t convstate_last_auto_reply(const struct convstate *cs)
{
	return json_int(cs->root, K_LAST_AUTO_REPLY, 0);
}

void convstate_set_last_auto_reply(struct convstate *cs, int64_t at)
{
	put_num(cs->root, K_LAST_AUTO_REPLY, (double)at);
}

/* ------------------------------------------------------------------ the open case */

const char *convstate_open_case(const struct convstate *cs)
{
	return json_str(cs->root, K_OPEN_CASE);
}

void convstate_set_open_case(struct convstate *cs, const char *number)
{
	put_str(cs->root, K_OPEN_CASE, number);
}

/* ------------------------------------------------------------------ the interview */

static cJSON *interview(const struct convstate *cs)
{
	return child_obj(cs, K_INTERVIEW);
}

int convstate_in_interview(const struct convstate *cs)
{
	return interview(cs) != NULL;
}

void convstate_interview_start(struct convstate *cs, const char *intent, int64_t now)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_INTERVIEW);
	cJSON *iv = cJSON_AddObjectToObject(cs->root, K_INTERVIEW);
	put_str(iv, field_names[CONVSTATE_INTENT], intent);
	cJSON_AddNumberToObject(iv, K_STARTED, (double)now);
}

const char *convstate_interview_get(const struct convstate *cs, enum convstate_field f)
{
	return field_valid((int)f) ? json_str(interview(cs), field_names[f]) : NULL;
}

void convstate_interview_set(struct convstate *cs, enum convstate_field f, const char *value)
{
	cJSON *iv = interview(cs);
	if (iv && field_valid((int)f))
		put_str(iv, field_names[f], value);
}

int convstate_interview_asked(const struct convstate *cs)
{
	return field_index(json_str(interview(cs), K_ASKED));
}

int convstate_interview_tries(const struct convstate *cs)
{
	return (int)json_int(interview(cs), K_TRIES, 0);
}

void convstate_interview_ask(struct convstate *cs, enum convstate_field f, int tries)
{
	cJSON *iv = interview(cs);
	if (!iv || !field_valid((int)f))
		return;
	put_str(iv, K_ASKED, field_names[f]);
	put_num(iv, K_TRIES, tries);
}

void convstate_interview_skip(struct convstate *cs, enum convstate_field f)
{
	cJSON *iv = interview(cs);
	if (!iv || !field_valid((int)f))
		return;
	cJSON *skipped = cJSON_GetObjectItemCaseSensitive(iv, K_SKIPPED);
	if (!cJSON_IsArray(skipped)) {
		cJSON_DeleteItemFromObjectCaseSensitive(iv, K_SKIPPED);
		skipped = cJSON_AddArrayToObject(iv, K_SKIPPED);
	}
	cJSON_AddItemToArray(skipped, cJSON_CreateString(field_names[f]));
}

int convstate_interview_skipped(const struct convstate *cs, enum convstate_field f)
{
	if (!field_valid((int)f))
		return 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, json_arr(interview(cs), K_SKIPPED))
	{
		if (cJSON_IsString(s) && strcmp(s->valuestring, field_names[f]) == 0)
			return 1;
	}
	return 0;
}

void convstate_interview_add_flags(struct convstate *cs, unsigned flags)
{
	cJSON *iv = interview(cs);
	if (!iv)
		return;
	/* The object is there even with no sign yet: the case record reads it. */
	cJSON *o = cJSON_GetObjectItemCaseSensitive(iv, K_FLAGS);
	if (!cJSON_IsObject(o)) {
		cJSON_DeleteItemFromObjectCaseSensitive(iv, K_FLAGS);
		o = cJSON_AddObjectToObject(iv, K_FLAGS);
	}
	for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
		if ((flags & flag_names[i].bit) &&
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, flag_names[i].name))) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, flag_names[i].name);
			cJSON_AddTrueToObject(o, flag_names[i].name);
		}
}

cJSON *convstate_interview_take(struct convstate *cs)
{
	cJSON *iv = interview(cs);
	if (!iv)
		return NULL;
	cJSON_DetachItemViaPointer(cs->root, iv);
	cJSON_DeleteItemFromObjectCaseSensitive(iv, K_ASKED);
	cJSON_DeleteItemFromObjectCaseSensitive(iv, K_TRIES);
	return iv;
}

void convstate_interview_drop(struct convstate *cs)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_INTERVIEW);
}

/* ------------------------------------------------------------------ problem answered first */

int convstate_problem(const struct convstate *cs, struct convstate_problem *out)
{
	const cJSON *p = child_obj(cs, K_PROBLEM);
	memset(out, 0, sizeof *out);
	if (!p)
		return 0;
	out->intent = json_str(p, field_names[CONVSTATE_INTENT]);
	out->text = json_str(p, K_TEXT);
	out->phone = json_str(p, field_names[CONVSTATE_PHONE]);
	out->account = json_str(p, field_names[CONVSTATE_ACCOUNT]);
	out->at = json_int(p, K_AT, 0);
	return 1;
}

void convstate_set_problem(struct convstate *cs, const struct convstate_problem *p)
{
	/* Built aside: p's strings may point into the problem being replaced. */
	cJSON *o = cJSON_CreateObject();
	put_str(o, field_names[CONVSTATE_INTENT], p->intent);
	put_str(o, K_TEXT, p->text);
	cJSON_AddNumberToObject(o, K_AT, (double)p->at);
	put_str(o, field_names[CONVSTATE_PHONE], p->phone);
	put_str(o, field_names[CONVSTATE_ACCOUNT], p->account);
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_PROBLEM);
	cJSON_AddItemToObject(cs->root, K_PROBLEM, o);
}

void convstate_drop_problem(struct convstate *cs)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_PROBLEM);
}

/* ------------------------------------------------------------------ tariff dialogue */

int convstate_tariff(const struct convstate *cs, struct convstate_tariff *out)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(cs->root, K_TARIFF);
	memset(out, 0, sizeof *out);
	out->minutes = out->gb = out->sms = out->budget = -1;
	out->at = -1;
	if (!t)
		return 0;
	const char *aw = cJSON_IsObject(t) ? json_str(t, "awaiting") : NULL;
	snprintf(out->awaiting, sizeof out->awaiting, "%s", aw ? aw : "");
	out->minutes = num_or(t, "minutes", -1);
	out->gb = num_or(t, "gb", -1);
	out->sms = num_or(t, "sms", -1);
	out->budget = num_or(t, "budget", -1);
	out->age = (int)num_or(t, "age", 0);
	out->apps = (int)num_or(t, "apps", 0);
	out->in_network = num_or(t, "in_network", 0) != 0;
	out->at = (int64_t)num_or(t, K_AT, -1);
	return 1;
}

void convstate_set_tariff(struct convstate *cs, const struct convstate_tariff *t)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_TARIFF);
	cJSON *o = cJSON_AddObjectToObject(cs->root, K_TARIFF);
	cJSON_AddStringToObject(o, "awaiting", t->awaiting);
	cJSON_AddNumberToObject(o, "minutes", t->minutes);
	cJSON_AddNumberToObject(o, "gb", t->gb);
	cJSON_AddNumberToObject(o, "sms", t->sms);
	cJSON_AddNumberToObject(o, "budget", t->budget);
	/* The conditions only when stated: an object written before them reads the same. */
	if (t->age)
		cJSON_AddNumberToObject(o, "age", t->age);
	if (t->apps)
		cJSON_AddNumberToObject(o, "apps", t->apps);
	if (t->in_network)
		cJSON_AddNumberToObject(o, "in_network", 1);
	cJSON_AddNumberToObject(o, K_AT, (double)t->at);
}

void convstate_drop_tariff(struct convstate *cs)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_TARIFF);
}

/* ------------------------------------------------------------------ an idea collected */

int convstate_idea_step(const struct convstate *cs)
{
	const cJSON *o = child_obj(cs, K_IDEA);
	const char *asked = o ? json_str(o, K_ASKED) : NULL;
	if (asked && strcmp(asked, "what") == 0)
		return CONVSTATE_IDEA_WHAT;
	if (asked && strcmp(asked, "why") == 0 && json_str(o, "what"))
		return CONVSTATE_IDEA_WHY;
	return CONVSTATE_IDEA_NONE;
}

const char *convstate_idea_what(const struct convstate *cs)
{
	const cJSON *o = child_obj(cs, K_IDEA);
	return o ? json_str(o, "what") : NULL;
}

int64_t convstate_idea_started(const struct convstate *cs)
{
	const cJSON *o = child_obj(cs, K_IDEA);
	return o ? json_int(o, K_AT, 0) : 0;
}

void convstate_idea_start(struct convstate *cs, int64_t now)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_IDEA);
	cJSON *o = cJSON_AddObjectToObject(cs->root, K_IDEA);
	cJSON_AddStringToObject(o, K_ASKED, "what");
	cJSON_AddNumberToObject(o, K_AT, (double)now);
}

void convstate_idea_set_what(struct convstate *cs, const char *what)
{
	cJSON *o = child_obj(cs, K_IDEA);
	if (!o)
		return;
	put_str(o, "what", what);
	put_str(o, K_ASKED, "why");
}

void convstate_idea_drop(struct convstate *cs)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cs->root, K_IDEA);
}
