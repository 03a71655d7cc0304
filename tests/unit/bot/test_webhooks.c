/* The CRM and notify webhooks (bot/webhooks.c): which case events make which outbox
 * row, what the row carries, nothing for a webhook with no URL, one row per event and
 * none once the webhooks are freed. A store in a temporary file, the events bus, the
 * outbox with fake "crm" and "notify" channels that are never run (the rows stay
 * pending in the store, where the test reads them), the cases service for the changes a
 * person makes, and the fixed clock. The pipeline's events are emitted as the pipeline
 * emits them after its commit (bot/casework.c builds them).
 *
 * Mutations tried (each made by hand, this file run, then reverted) and what caught them:
 * - both subscribed whatever the URLs (webhooks_new() ignoring crm_url/notify_url):
 *   nothing_without_urls, crm_gets_the_record_when_a_person_changes_it,
 *   notify_tells_of_a_new_case.
 * - the CRM row on the wrong event (crm_cb() taking "case_created" for
 *   "case_updated"): crm_gets_the_record_when_a_person_changes_it,
 *   one_row_per_event_and_none_after_free; the CRM row on any event (no type check):
 *   the same two.
 * - notify on "case_updated" instead of "case_created": notify_tells_of_a_new_case,
 *   notify_customer_message_only_when_held, one_row_per_event_and_none_after_free.
 * - notify for every customer message, held or not (no assignee check):
 *   notify_customer_message_only_when_held.
 * - notify's text always the summary (the event's text ignored):
 *   notify_customer_message_only_when_held.
 * - webhooks_free() not unsubscribing: one_row_per_event_and_none_after_free (a use
 *   after free under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cases.h"
#include "channels/channel.h"
#include "channels/names.h"
#include "clock.h"
#include "events.h"
#include "metrics.h"
#include "outbox.h"
#include "replyset.h"
#include "store.h"
#include "store_cases.h"
#include "test_helpers.h"
#include "test_store_fixture.h"
#include "webhooks.h"

#define T0_MS 1796212800000LL /* 2026-12-02T12:00:00Z */
/* clock_set_ms() sets the time the clock runs on from: a row made a moment later reads
 * a few milliseconds more. */
#define SLACK_MS 2000
#define PEER 42
#define CRM_URL "http://127.0.0.1:9/crm"
#define NOTIFY_URL "http://127.0.0.1:9/notify"

/* The loop is never run while a test works: a send would be a bug of the test. */
static int never_send(struct channel *ch, const struct outbox_row *row, channel_sent_cb cb,
		      void *arg)
{
	(void)ch, (void)cb, (void)arg;
	fail_msg("row %lld sent: the loop should not have run", (long long)row->id);
	return -1;
}

static const struct channel_ops crm_ops = {.name = CHANNEL_CRM, .max_text = 1 << 20,
					   .send = never_send};
static const struct channel_ops notify_ops = {.name = CHANNEL_NOTIFY, .max_text = 1 << 20,
					      .send = never_send};

/* ---- the rig: the objects the app hands the webhooks, built in one place ---- */

struct rig {
	uv_loop_t loop;
	struct store *store;
	struct events *events;
	struct metrics *metrics;
	struct channel_env env;
	struct channel crm, notify;
	struct outbox *outbox;
	struct replyset *replies;
	struct cases *cases;
	struct webhooks *webhooks;
};

static struct replyset *rig_replies(void *arg)
{
	return ((struct rig *)arg)->replies;
}

static void rig_webhooks(struct rig *r, const char *crm_url, const char *notify_url)
{
	webhooks_free(r->webhooks);
	struct webhooks_deps d = {.store = r->store, .outbox = r->outbox, .events = r->events,
				  .crm_url = crm_url, .notify_url = notify_url};
	r->webhooks = webhooks_new(&d);
	assert_non_null(r->webhooks);
}

static struct rig *rig_new(void **state, const char *crm_url, const char *notify_url)
{
	struct rig *r = xcalloc(1, sizeof *r);
	clock_set_ms(T0_MS);
	assert_int_equal(uv_loop_init(&r->loop), 0);
	r->store = open_store();
	r->events = events_new();
	r->metrics = metrics_new();
	r->env = (struct channel_env){.loop = &r->loop, .metrics = r->metrics};
	channel_init(&r->crm, &crm_ops, &r->env, 10, 10, 4);
	channel_init(&r->notify, &notify_ops, &r->env, 10, 10, 4);
	r->outbox = outbox_new(&r->loop, r->store);
	assert_int_equal(outbox_add_channel(r->outbox, &r->crm), 0);
	assert_int_equal(outbox_add_channel(r->outbox, &r->notify), 0);
	r->replies = replyset_ref(*state);
	struct cases_deps cd = {.store = r->store, .outbox = r->outbox, .events = r->events,
				.replies = rig_replies, .replies_arg = r};
	r->cases = cases_new(&cd);
	rig_webhooks(r, crm_url, notify_url);
	return r;
}

static void rig_free(struct rig *r)
{
	webhooks_free(r->webhooks);
	cases_free(r->cases);
	outbox_drain(r->outbox);
	outbox_close(r->outbox);
	uv_run(&r->loop, UV_RUN_DEFAULT); /* the outbox's handles close; it frees itself */
	assert_int_equal(uv_loop_close(&r->loop), 0);
	store_close(r->store);
	events_free(r->events);
	metrics_free(r->metrics);
	replyset_unref(r->replies);
	free(r);
}

/* ---- the rows the webhooks queued ---- */

struct row {
	char kind[16], source[32];
	int64_t peer_id, created_ms;
	cJSON *body;
};

struct rows {
	struct row items[16];
	size_t n;
};

static void collect(void *arg, struct outbox_row *or)
{
	struct rows *rs = arg;
	assert_true(rs->n < sizeof rs->items / sizeof rs->items[0]);
	struct row *w = &rs->items[rs->n++];
	snprintf(w->kind, sizeof w->kind, "%s", or->kind ? or->kind : "");
	snprintf(w->source, sizeof w->source, "%s", or->source ? or->source : "");
	w->peer_id = or->peer_id;
	w->created_ms = or->created_ms;
	w->body = cJSON_Parse(or->text ? or->text : "");
	assert_non_null(w->body);
}

/* The pending rows of channel, in the order they were queued. Caller frees. */
static struct rows rows_of(struct rig *r, const char *channel)
{
	struct rows rs = {0};
	assert_true(store_outbox_each_pending(r->store, channel, 0, 16, collect, &rs) >= 0);
	return rs;
}

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		cJSON_Delete(rs->items[i].body);
	rs->n = 0;
}

static size_t count_of(struct rig *r, const char *channel)
{
	struct rows rs = rows_of(r, channel);
	size_t n = rs.n;
	rows_free(&rs);
	return n;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/* ---- what happens to a case ---- */

/* A new case of the chat, committed, and the event the pipeline emits after it. */
static int64_t new_case(struct rig *r)
{
	cJSON *rec = cJSON_CreateObject();
	int64_t now = T0_MS / 1000;
	cJSON_AddNumberToObject(rec, "created_at", (double)now);
	cJSON_AddNumberToObject(rec, "sla_due_at", (double)now + 3600);
	cJSON_AddStringToObject(rec, "channel", CHANNEL_TELEGRAM);
	cJSON_AddNumberToObject(rec, "peer_id", PEER);
	cJSON_AddNumberToObject(rec, "user_id", PEER);
	cJSON_AddStringToObject(rec, "severity", "high");
	cJSON_AddStringToObject(rec, "summary", "нет связи с утра");
	cJSON *tr = cJSON_AddArrayToObject(rec, "transcript");
	cJSON *line = cJSON_CreateObject();
	cJSON_AddNumberToObject(line, "at", (double)now);
	cJSON_AddStringToObject(line, "from", "customer");
	cJSON_AddStringToObject(line, "text", "нет связи с утра");
	cJSON_AddItemToArray(tr, line);
	cJSON_AddStringToObject(rec, "status", "new");
	cJSON_AddNullToObject(rec, "assignee");
	int64_t id = 0;
	char number[24];
	struct store_tx *tx = begin_tx(r->store);
	assert_int_equal(store_case_create(tx, rec, now, &id, number, sizeof number), 0);
	assert_int_equal(store_commit(tx), 0);
	cJSON_Delete(rec);
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "case_id", (double)id);
	cJSON_AddStringToObject(ev, "number", number);
	events_emit(r->events, "case_created", ev);
	cJSON_Delete(ev);
	return id;
}

/* A customer's message joined case id (the pipeline's event after its commit). */
static void customer_says(struct rig *r, int64_t id, const char *text)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "case_id", (double)id);
	cJSON_AddStringToObject(ev, "channel", CHANNEL_TELEGRAM);
	cJSON_AddNumberToObject(ev, "peer_id", PEER);
	cJSON_AddStringToObject(ev, "text", text);
	events_emit(r->events, "customer_message", ev);
	cJSON_Delete(ev);
}

static void claim(struct rig *r, int64_t id, const char *login)
{
	char holder[64];
	cJSON *rec = NULL;
	assert_int_equal(cases_claim(r->cases, id, login, T0_MS / 1000, holder, sizeof holder,
				     &rec),
			 1);
	cJSON_Delete(rec);
}

/* An alert on the case (the case timers' kind of event): no webhook's business. */
static void alert(struct rig *r, int64_t id)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "case_id", (double)id);
	cJSON_AddStringToObject(ev, "kind", "unclaimed");
	cJSON_AddStringToObject(ev, "text", "ждёт");
	events_emit(r->events, "alert", ev);
	cJSON_Delete(ev);
}

/* ---- the tests ---- */

static void nothing_without_urls(void **state)
{
	struct rig *r = rig_new(state, NULL, NULL);
	int64_t id = new_case(r);
	customer_says(r, id, "алло");
	claim(r, id, "oleg");
	customer_says(r, id, "алло?");
	alert(r, id);
	int64_t pending = -1, oldest = 0;
	assert_int_equal(store_outbox_depth(r->store, NULL, &pending, &oldest), 0);
	assert_int_equal(pending, 0);
	rig_free(r);
}

static void crm_gets_the_record_when_a_person_changes_it(void **state)
{
	struct rig *r = rig_new(state, CRM_URL, NULL);
	/* A new case is exported by the pipeline in its own transaction, not here. */
	int64_t id = new_case(r);
	customer_says(r, id, "алло");
	alert(r, id);
	assert_int_equal(count_of(r, CHANNEL_CRM), 0);

	clock_set_ms(T0_MS + 5000);
	claim(r, id, "oleg");
	struct rows rs = rows_of(r, CHANNEL_CRM);
	assert_int_equal(rs.n, 1);
	const struct row *w = &rs.items[0];
	assert_string_equal(w->kind, "webhook");
	assert_string_equal(w->source, "case");
	assert_int_equal(w->peer_id, id); /* in order per case */
	assert_in_range(w->created_ms, T0_MS + 5000, T0_MS + 5000 + SLACK_MS);
	/* The whole record as it is now, transcript and all. */
	assert_string_equal(str(w->body, "status"), "claimed");
	assert_string_equal(str(w->body, "assignee"), "oleg");
	assert_string_equal(str(w->body, "channel"), CHANNEL_TELEGRAM);
	assert_int_equal(num(w->body, "peer_id"), PEER);
	char number[24];
	snprintf(number, sizeof number, "%06lld", (long long)id);
	assert_string_equal(str(w->body, "number"), number);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(w->body, "transcript")), 1);
	rows_free(&rs);

	/* Each change is one more row, with the change in it. */
	cJSON *rec = NULL;
	assert_int_equal(cases_note(r->cases, id, "oleg", "перезвонить вечером", T0_MS / 1000,
				    &rec),
			 0);
	cJSON_Delete(rec);
	rs = rows_of(r, CHANNEL_CRM);
	assert_int_equal(rs.n, 2);
	char *text = cJSON_PrintUnformatted(rs.items[1].body);
	assert_non_null(strstr(text, "перезвонить вечером"));
	free(text);
	rows_free(&rs);
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 0);
	rig_free(r);
}

static void notify_tells_of_a_new_case(void **state)
{
	struct rig *r = rig_new(state, NULL, NULL);
	rig_webhooks(r, NULL, NOTIFY_URL);
	int64_t id = new_case(r);
	struct rows rs = rows_of(r, CHANNEL_NOTIFY);
	assert_int_equal(rs.n, 1);
	const struct row *w = &rs.items[0];
	assert_string_equal(w->kind, "webhook");
	assert_string_equal(w->source, "case_created");
	assert_int_equal(w->peer_id, id);
	assert_in_range(w->created_ms, T0_MS, T0_MS + SLACK_MS);
	assert_string_equal(str(w->body, "type"), "case_created");
	assert_int_equal(num(w->body, "case_id"), id);
	char number[24];
	snprintf(number, sizeof number, "%06lld", (long long)id);
	assert_string_equal(str(w->body, "number"), number);
	assert_string_equal(str(w->body, "channel"), CHANNEL_TELEGRAM);
	assert_int_equal(num(w->body, "peer_id"), PEER);
	assert_null(cJSON_GetObjectItem(w->body, "assignee")); /* nobody holds it yet */
	assert_string_equal(str(w->body, "text"), "нет связи с утра"); /* the summary */
	assert_in_range(num(w->body, "at"), T0_MS / 1000, (T0_MS + SLACK_MS) / 1000);
	rows_free(&rs);
	/* A person's change is the CRM's news, not the console's notices. */
	claim(r, id, "oleg");
	alert(r, id);
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 1);
	assert_int_equal(count_of(r, CHANNEL_CRM), 0);
	rig_free(r);
}

static void notify_customer_message_only_when_held(void **state)
{
	struct rig *r = rig_new(state, NULL, NOTIFY_URL);
	int64_t id = new_case(r);
	/* In the queue, nobody holds it: the bot talks to the customer. */
	customer_says(r, id, "алло");
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 1);
	claim(r, id, "oleg");
	clock_set_ms(T0_MS + 60000);
	customer_says(r, id, "так когда починят?");
	struct rows rs = rows_of(r, CHANNEL_NOTIFY);
	assert_int_equal(rs.n, 2);
	const struct row *w = &rs.items[1];
	assert_string_equal(w->source, "customer_message");
	assert_string_equal(str(w->body, "type"), "customer_message");
	assert_int_equal(num(w->body, "case_id"), id);
	assert_string_equal(str(w->body, "assignee"), "oleg");
	assert_string_equal(str(w->body, "text"), "так когда починят?");
	assert_in_range(num(w->body, "at"), T0_MS / 1000 + 60, (T0_MS + 60000 + SLACK_MS) / 1000);
	rows_free(&rs);
	rig_free(r);
}

static void one_row_per_event_and_none_after_free(void **state)
{
	struct rig *r = rig_new(state, CRM_URL, NOTIFY_URL);
	int64_t id = new_case(r);
	assert_int_equal(count_of(r, CHANNEL_CRM), 0);
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 1);
	claim(r, id, "oleg");
	assert_int_equal(count_of(r, CHANNEL_CRM), 1);
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 1);
	customer_says(r, id, "алло");
	assert_int_equal(count_of(r, CHANNEL_CRM), 1);
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 2);
	/* A case that is not there makes no row. */
	customer_says(r, id + 100, "алло");
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "case_id", (double)(id + 100));
	events_emit(r->events, "case_updated", ev);
	assert_int_equal(count_of(r, CHANNEL_CRM), 1);
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 2);
	/* Freed: the events go on, the webhooks hear none of them. */
	webhooks_free(r->webhooks);
	r->webhooks = NULL;
	events_emit(r->events, "case_updated", ev);
	cJSON_Delete(ev);
	customer_says(r, id, "алло?");
	claim(r, new_case(r), "anna");
	assert_int_equal(count_of(r, CHANNEL_CRM), 1);
	assert_int_equal(count_of(r, CHANNEL_NOTIFY), 2);
	rig_free(r);
}

/* The shipped reply set, loaded once for the group (the cases service asks for it). */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nothing_without_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(crm_gets_the_record_when_a_person_changes_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(notify_tells_of_a_new_case, setup, teardown),
		cmocka_unit_test_setup_teardown(notify_customer_message_only_when_held, setup,
						teardown),
		cmocka_unit_test_setup_teardown(one_row_per_event_and_none_after_free, setup,
						teardown),
	};
	return tb_run_group(tests, load_replies, unref_replies);
}
