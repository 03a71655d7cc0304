/* Who holds a chat (bot/handoff.c over convstate) and what that means for a message
 * (bot/casework.c casework_before), on the shipped reply set, a store in a temporary
 * file and the fixed clock: a person takes the chat and gives it back, the holding
 * survives a restart, a held chat gets one "your operator will answer" per
 * operator_auto_reply_interval_s, and the bot keeps answering a chat it holds even when
 * the chat has an open case. The idle hand-back lives in bot/case_timers.c and is
 * tested by test_console_timers.c (test_answering_secretary_keeps_it_and_idle_returns_to_bot).
 *
 * Mutations tried (each made by hand, this file run, then reverted) and what caught them:
 * - never hand back (convstate_hand_to_bot() leaving "mode"), or handoff_set() ignoring
 *   human (always to a person): person_takes_and_gives_back,
 *   bot_holds_a_chat_with_an_open_case.
 * - handoff_set() not saving: every test but bot_holds_a_chat_with_an_open_case.
 * - auto-reply every time (casework_before(): now - last >= 0), or the time of the
 *   notice not kept (no convstate_set_last_auto_reply()): one_auto_reply_per_interval.
 * - the auto-reply clock not restarting with a new holding (convstate_hand_to_person()
 *   keeping "last_auto_reply"): auto_reply_clock_restarts_with_each_holding.
 * - a held chat left to the dialog (casework_before() returning 0 after joining the
 *   case): one_auto_reply_per_interval, auto_reply_clock_restarts_with_each_holding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casework.h"
#include "clock.h"
#include "convstate.h"
#include "events.h"
#include "handoff.h"
#include "pipeline_batch.h"
#include "replyset.h"
#include "store.h"
#include "store_cases.h"
#include "test_helpers.h"
#include "test_store_fixture.h"

#define T0_MS 1796212800000LL /* 2026-12-02T12:00:00Z, a Wednesday */
#define CHANNEL "telegram"
#define PEER 42

/* The shipped reply set, loaded once for the group (loading it is most of the time). */
static int load_replies(void **state)
{
	*state = th_default_set();
	return 0;
}

static int unref_replies(void **state)
{
	replyset_unref(*state);
	return 0;
}

/* ---- the rig: what the pipeline hands casework, built in one place ---- */

struct rig {
	struct store *store;
	struct replyset *replies;
	struct events *events;
	struct casework *cw;
	struct pipeline_batch batch;
};

static struct replyset *rig_replies(void *arg)
{
	return ((struct rig *)arg)->replies;
}

/* (Re)builds casework: it learns at creation which chats have open cases. */
static void rig_casework(struct rig *r)
{
	casework_free(r->cw);
	struct casework_deps d = {.store = r->store, .events = r->events,
				  .replies = rig_replies, .replies_arg = r};
	r->cw = casework_new(&d);
	assert_non_null(r->cw);
}

static struct rig *rig_new(void **state)
{
	struct rig *r = xcalloc(1, sizeof *r);
	clock_set_ms(T0_MS);
	r->store = open_store();
	r->replies = replyset_ref(*state);
	r->events = events_new();
	rig_casework(r);
	return r;
}

static void batch_clear(struct pipeline_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		outbox_row_free(&b->rows[i]);
	free(b->rows);
	cJSON_Delete(b->events);
	*b = (struct pipeline_batch){0};
}

static void rig_free(struct rig *r)
{
	batch_clear(&r->batch);
	casework_free(r->cw);
	store_close(r->store);
	replyset_unref(r->replies);
	events_free(r->events);
	free(r);
}

static int64_t now_s(void)
{
	return T0_MS / 1000;
}

/* An open case of the chat, in the store as the pipeline creates it. */
static int64_t open_case(struct rig *r)
{
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddNumberToObject(rec, "created_at", (double)now_s());
	cJSON_AddNumberToObject(rec, "sla_due_at", (double)now_s() + 3600);
	cJSON_AddStringToObject(rec, "channel", CHANNEL);
	cJSON_AddNumberToObject(rec, "peer_id", PEER);
	cJSON_AddNumberToObject(rec, "user_id", PEER);
	cJSON_AddStringToObject(rec, "severity", "high");
	cJSON_AddStringToObject(rec, "summary", "нет связи");
	cJSON_AddArrayToObject(rec, "transcript");
	cJSON_AddStringToObject(rec, "status", "claimed");
	cJSON_AddStringToObject(rec, "assignee", "oleg");
	int64_t id = 0;
	char number[24];
	struct store_tx *tx = begin_tx(r->store);
	assert_int_equal(store_case_create(tx, rec, now_s(), &id, number, sizeof number), 0);
	assert_int_equal(store_commit(tx), 0);
	cJSON_Delete(rec);
	rig_casework(r);
	return id;
}

static struct convstate *load(struct rig *r)
{
	struct convstate *cs = NULL;
	assert_int_equal(convstate_load(r->store, CHANNEL, PEER, &cs), 0);
	assert_non_null(cs);
	return cs;
}

static void hand(struct rig *r, int human, int64_t case_id, int64_t at)
{
	struct store_tx *tx = begin_tx(r->store);
	assert_int_equal(handoff_set(tx, CHANNEL, PEER, human, case_id, at), 0);
	assert_int_equal(store_commit(tx), 0);
}

static int is_auto_reply(const struct reply *rep)
{
	return strcmp(rep->source, "template:operator_will_answer") == 0;
}

/* One customer message as the pipeline takes it, up to the dialog: the conversation
 * loaded, casework_before, the conversation saved, one transaction. Returns what
 * casework_before returned; the replies it made are in *out (caller frees). */
static int message_at(struct rig *r, const char *key, int64_t at, struct reply_list *out)
{
	*out = (struct reply_list){0};
	clock_set_ms(at * 1000);
	struct chan_msg m = {.channel = (char *)CHANNEL, .dedup_key = (char *)key,
			     .peer_id = PEER, .user_id = PEER, .date = at,
			     .text = (char *)"ну что там?"};
	r->batch.tx = begin_tx(r->store);
	int64_t inbound = 0;
	assert_int_equal(store_inbound_add(r->batch.tx, &m, at, &inbound), 1);
	struct convstate *cs = load(r);
	int held = casework_before(r->cw, &r->batch, &m, cs, at, out);
	assert_true(held >= 0);
	assert_int_equal(convstate_save(r->batch.tx, CHANNEL, PEER, cs, at), 0);
	assert_int_equal(store_commit(r->batch.tx), 0);
	r->batch.tx = NULL;
	convstate_free(cs);
	return held;
}

static size_t auto_replies(const struct reply_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += is_auto_reply(&l->items[i]);
	return n;
}

/* ---- the tests ---- */

static void person_takes_and_gives_back(void **state)
{
	struct rig *r = rig_new(state);
	/* Something the bot remembers that has nothing to do with who holds the chat. */
	struct convstate *cs = load(r);
	assert_false(handoff_is_human(cs));
	convstate_set_lang(cs, "en");
	struct store_tx *tx = begin_tx(r->store);
	assert_int_equal(convstate_save(tx, CHANNEL, PEER, cs, now_s()), 0);
	assert_int_equal(store_commit(tx), 0);
	convstate_free(cs);

	hand(r, 1, 7, now_s());
	cs = load(r);
	assert_true(handoff_is_human(cs));
	assert_int_equal(convstate_holder_case(cs), 7);
	assert_int_equal(convstate_holder_since(cs), now_s());
	assert_string_equal(convstate_lang(cs), "en");
	convstate_free(cs);

	/* Another chat is not touched. */
	struct convstate *other = NULL;
	assert_int_equal(convstate_load(r->store, CHANNEL, PEER + 1, &other), 0);
	assert_false(handoff_is_human(other));
	convstate_free(other);

	hand(r, 0, 0, now_s() + 60);
	cs = load(r);
	assert_false(handoff_is_human(cs));
	assert_int_equal(convstate_holder_case(cs), 0);
	assert_int_equal(convstate_holder_since(cs), 0);
	assert_int_equal(convstate_last_auto_reply(cs), 0);
	assert_string_equal(convstate_lang(cs), "en");
	convstate_free(cs);
	rig_free(r);
}

static void holding_survives_a_restart(void **state)
{
	struct rig *r = rig_new(state);
	hand(r, 1, 9, now_s());
	casework_free(r->cw);
	r->cw = NULL;
	store_close(r->store);
	r->store = open_store();
	rig_casework(r);
	struct convstate *cs = load(r);
	assert_true(handoff_is_human(cs));
	assert_int_equal(convstate_holder_case(cs), 9);
	convstate_free(cs);
	rig_free(r);
}

static void one_auto_reply_per_interval(void **state)
{
	struct rig *r = rig_new(state);
	int interval = replyset_settings(r->replies)->operator_auto_reply_interval_s;
	assert_true(interval > 2);
	int64_t id = open_case(r);
	hand(r, 1, id, now_s());
	int64_t t = now_s() + 10;
	struct reply_list out;

	/* The first message of a held chat: the bot stays out of it but for the notice. */
	assert_int_equal(message_at(r, "k1", t, &out), 1);
	assert_int_equal(out.n, 1);
	assert_int_equal(auto_replies(&out), 1);
	char number[24];
	snprintf(number, sizeof number, "%06lld", (long long)id);
	assert_non_null(strstr(out.items[0].text, number));
	reply_list_free(&out);

	/* Within the interval: silence. */
	assert_int_equal(message_at(r, "k2", t + 1, &out), 1);
	assert_int_equal(out.n, 0);
	reply_list_free(&out);
	assert_int_equal(message_at(r, "k3", t + interval - 1, &out), 1);
	assert_int_equal(out.n, 0);
	reply_list_free(&out);

	/* Once the interval has passed: one notice more. */
	assert_int_equal(message_at(r, "k4", t + interval, &out), 1);
	assert_int_equal(auto_replies(&out), 1);
	reply_list_free(&out);
	assert_int_equal(message_at(r, "k5", t + interval + 1, &out), 1);
	assert_int_equal(out.n, 0);
	reply_list_free(&out);

	/* Every message joined the case, answered or not. */
	cJSON *rec = NULL;
	assert_int_equal(store_case_get(r->store, id, &rec), 0);
	int customer = 0;
	const cJSON *line;
	cJSON_ArrayForEach(line, cJSON_GetObjectItem(rec, "transcript"))
	{
		const cJSON *from = cJSON_GetObjectItem(line, "from");
		customer += cJSON_IsString(from) && strcmp(from->valuestring, "customer") == 0;
	}
	assert_int_equal(customer, 5);
	cJSON_Delete(rec);
	rig_free(r);
}

static void auto_reply_clock_restarts_with_each_holding(void **state)
{
	struct rig *r = rig_new(state);
	int interval = replyset_settings(r->replies)->operator_auto_reply_interval_s;
	int64_t id = open_case(r);
	int64_t t = now_s();
	hand(r, 1, id, t);
	struct reply_list out;
	assert_int_equal(message_at(r, "k1", t + 1, &out), 1);
	assert_int_equal(auto_replies(&out), 1);
	reply_list_free(&out);
	/* Handed back and taken again within the interval: a new holding, a new notice. */
	hand(r, 0, 0, t + 2);
	struct convstate *cs = load(r);
	assert_int_equal(convstate_last_auto_reply(cs), 0);
	convstate_free(cs);
	hand(r, 1, id, t + 3);
	assert_true(6 < interval);
	assert_int_equal(message_at(r, "k2", t + 4, &out), 1);
	assert_int_equal(auto_replies(&out), 1);
	reply_list_free(&out);
	/* Handed straight to another person (an assignment): a new holding too. */
	hand(r, 1, id, t + 5);
	assert_int_equal(message_at(r, "k3", t + 6, &out), 1);
	assert_int_equal(auto_replies(&out), 1);
	reply_list_free(&out);
	rig_free(r);
}

static void bot_holds_a_chat_with_an_open_case(void **state)
{
	struct rig *r = rig_new(state);
	int64_t id = open_case(r);
	/* A person held it once and gave it back: the bot answers (the dialog runs). */
	hand(r, 1, id, now_s());
	hand(r, 0, 0, now_s() + 1);
	struct reply_list out;
	assert_int_equal(message_at(r, "k1", now_s() + 2, &out), 0);
	assert_int_equal(out.n, 0);
	reply_list_free(&out);
	rig_free(r);
}

/* Held by a person with no open case (the case was closed elsewhere, or an operator
 * wrote on a closed one): the next message gives the chat back to the bot, and that
 * sticks: the conversation the pipeline saves after casework says so. */
static void a_hold_without_a_case_goes_back_to_the_bot(void **state)
{
	struct rig *r = rig_new(state);
	hand(r, 1, 42, now_s());
	struct reply_list out;
	assert_int_equal(message_at(r, "k1", now_s() + 5, &out), 0);
	assert_int_equal(out.n, 0);
	reply_list_free(&out);
	struct convstate *cs = load(r);
	assert_false(convstate_person_holds(cs));
	convstate_free(cs);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(person_takes_and_gives_back, setup, teardown),
		cmocka_unit_test_setup_teardown(holding_survives_a_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(one_auto_reply_per_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(auto_reply_clock_restarts_with_each_holding, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bot_holds_a_chat_with_an_open_case, setup, teardown),
		cmocka_unit_test_setup_teardown(a_hold_without_a_case_goes_back_to_the_bot, setup,
						teardown),
	};
	return tb_run_group(tests, load_replies, unref_replies);
}
