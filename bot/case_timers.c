/* Case timers kept in the store (see case_timers.h). A setting of 0 minutes turns that
 * timer off. */
#include "case_timers.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cases.h"
#include "console_text.h"
#include "convstate.h"
#include "events.h"
#include "handoff.h"
#include "json_util.h"
#include "log.h"
#include "replyset.h"
#include "store.h"
#include "store_console.h"
#include "worktime.h"
#include "xalloc.h"

#define TICK_MS 1000
#define BATCH 32

struct case_timers {
	struct case_timers_deps d;
	uv_timer_t tick;
	int sub;     /* events subscription */
	int stopped;
};

/* Durations in seconds from the live settings; 0 = off. */
static const struct replyset_settings *settings(const struct case_timers *t)
{
	struct replyset *rs = t->d.replies ? t->d.replies(t->d.replies_arg) : NULL;
	return rs ? replyset_settings(rs) : NULL;
}

static int64_t period(const struct case_timers *t, const char *kind)
{
	const struct replyset_settings *s = settings(t);
	if (!s)
		return 0;
	int minutes = strcmp(kind, "unclaimed") == 0 ? s->unclaimed_alert_minutes
		      : strcmp(kind, "silence") == 0 ? s->claimed_silence_minutes
						     : s->human_idle_minutes;
	return minutes > 0 ? (int64_t)minutes * 60 : 0;
}

static void arm(struct case_timers *t, struct store_tx *tx, int64_t id, const char *kind,
		int64_t now, int mode)
{
	int64_t p = period(t, kind);
	int64_t at = now + p;
	/* A case waits for the team in working time: one opened at night is "unclaimed
	 * for 15 minutes" a quarter of an hour after the team starts, not at 03:15. */
	if (p > 0 && strcmp(kind, "unclaimed") == 0)
		at = worktime_add(settings(t), now, (int)(p / 60));
	if (p > 0 && store_console_timer_arm(tx, id, kind, at, now, mode) < 0)
		log_error("timers: case %lld: could not arm %s", (long long)id, kind);
}

static void cancel(struct case_timers *t, struct store_tx *tx, int64_t id, const char *kind)
{
	(void)t;
	if (store_console_timer_cancel(tx, id, kind) < 0)
		log_error("timers: case %lld: could not cancel %s", (long long)id, kind);
}

/* arm as a unit of work of its own (after a firing, on an event: no operation's). */
static void arm_alone(struct case_timers *t, int64_t id, const char *kind, int64_t now,
		      int mode)
{
	struct store_tx *tx = store_begin(t->d.store);
	if (!tx) {
		log_error("timers: case %lld: could not arm %s", (long long)id, kind);
		return;
	}
	arm(t, tx, id, kind, now, mode);
	if (store_commit(tx) < 0)
		log_error("timers: case %lld: %s not armed: %s", (long long)id, kind,
			  store_state(t->d.store));
}

void case_timers_claimed(struct case_timers *t, struct store_tx *tx, int64_t id, int64_t now)
{
	cancel(t, tx, id, "unclaimed");
	/* The secretary owes an answer from the moment of the claim. */
	arm(t, tx, id, "silence", now, CONSOLE_ARM_REPLACE);
	arm(t, tx, id, "idle", now, CONSOLE_ARM_REPLACE);
}

void case_timers_released(struct case_timers *t, struct store_tx *tx, int64_t id, int64_t now)
{
	cancel(t, tx, id, "silence");
	cancel(t, tx, id, "idle");
	arm(t, tx, id, "unclaimed", now, CONSOLE_ARM_REPLACE);
}

void case_timers_operator_spoke(struct case_timers *t, struct store_tx *tx, int64_t id, int64_t now)
{
	cancel(t, tx, id, "silence");
	arm(t, tx, id, "idle", now, CONSOLE_ARM_REPLACE);
}

void case_timers_handed_back(struct case_timers *t, struct store_tx *tx, int64_t id)
{
	cancel(t, tx, id, "silence");
	cancel(t, tx, id, "idle");
}

void case_timers_finished(struct case_timers *t, struct store_tx *tx, int64_t id)
{
	cancel(t, tx, id, "unclaimed");
	cancel(t, tx, id, "silence");
	cancel(t, tx, id, "idle");
}

void case_timers_waiting(struct case_timers *t, struct store_tx *tx, int64_t id)
{
	cancel(t, tx, id, "silence");
}

/* The cases service's changes, told inside their transactions. */
static void watch_cb(void *arg, struct store_tx *tx, int64_t id, enum cases_change what,
		     int64_t now)
{
	struct case_timers *t = arg;
	switch (what) {
	case CASES_CLAIMED:
		case_timers_claimed(t, tx, id, now);
		break;
	case CASES_RELEASED:
		case_timers_released(t, tx, id, now);
		break;
	case CASES_OPERATOR_SPOKE:
		case_timers_operator_spoke(t, tx, id, now);
		break;
	case CASES_HANDED_BACK:
		case_timers_handed_back(t, tx, id);
		break;
	case CASES_FINISHED:
		case_timers_finished(t, tx, id);
		break;
	case CASES_WAITING:
		case_timers_waiting(t, tx, id);
		break;
	}
}

static void emit_alert(struct case_timers *t, int64_t id, const char *kind, const char *text)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "case_id", (double)id);
	cJSON_AddStringToObject(d, "kind", kind);
	cJSON_AddStringToObject(d, "text", text);
	events_emit(t->d.events, "alert", d);
	cJSON_Delete(d);
}

/* Runs one fired timer: the case is looked at again, since things may have changed. */
static void fire(struct case_timers *t, const struct console_timer *ct, int64_t now)
{
	cJSON *record = NULL;
	if (store_case_get_head(t->d.store, ct->case_id, &record) < 0 || !record)
		return;
	const char *status = json_str(record, "status");
	const char *assignee = json_str(record, "assignee");
	const char *number = json_str(record, "number");
	int held = assignee && *assignee;
	char text[256];
	if (strcmp(ct->kind, "unclaimed") == 0 && status && strcmp(status, "new") == 0 && !held) {
		int64_t waited = (now - json_int(record, "created_at", now)) / 60;
		snprintf(text, sizeof text, console_text(t->d.language, CT_ALERT_UNCLAIMED),
			 number ? number : "?", (long long)waited);
		log_info("timers: %s", text);
		if (ct->fired == 0) {
			/* Told once, however long it waits. */
			/* "All staff are busy" is only true while they are at work. */
			static const char *const day_ids[] = {"unclaimed_wait", "case_created",
							      NULL};
			static const char *const night_ids[] = {"unclaimed_wait_after_hours",
								"case_created_after_hours", NULL};
			int open = worktime_is_open(settings(t), now);
			cases_send_template(t->d.cases, ct->case_id, open ? day_ids : night_ids, now);
		}
		emit_alert(t, ct->case_id, "unclaimed", text);
		arm_alone(t, ct->case_id, "unclaimed", now, CONSOLE_ARM_REPLACE);
	} else if (strcmp(ct->kind, "silence") == 0 && held && status &&
		   (strcmp(status, "claimed") == 0)) {
		snprintf(text, sizeof text, console_text(t->d.language, CT_ALERT_SILENCE),
			 assignee, (long long)(period(t, "silence") / 60));
		log_info("timers: case %s: %s", number ? number : "?", text);
		if (cases_release(t->d.cases, ct->case_id, "system", text, now) == 0)
			emit_alert(t, ct->case_id, "silence", text);
	} else if (strcmp(ct->kind, "idle") == 0) {
		struct convstate *state = NULL;
		const char *channel = json_str(record, "channel");
		if (channel && convstate_load(t->d.store, channel, json_int(record, "peer_id", 0),
					      &state) == 0 &&
		    handoff_is_human(state) && convstate_holder_case(state) == ct->case_id) {
			snprintf(text, sizeof text, console_text(t->d.language, CT_ALERT_IDLE),
				 (long long)(period(t, "idle") / 60));
			log_info("timers: case %s: %s", number ? number : "?", text);
			if (cases_handback(t->d.cases, ct->case_id, "system", text, 1, now) == 0)
				emit_alert(t, ct->case_id, "idle", text);
		}
		convstate_free(state);
	}
	cJSON_Delete(record);
}

int case_timers_run(struct case_timers *t, int64_t now)
{
	struct store *st = t->d.store;
	struct console_timer due[BATCH];
	int total = 0;
	for (int round = 0; round < 64; round++) {
		int n = store_console_timers_due(st, now, due, BATCH);
		if (n <= 0)
			break;
		/* Marked first, in a unit of their own, so a timer whose action fails is not
		 * retried forever; each action (cases_*) is then a unit of its own. */
		struct store_tx *tx = store_begin(st);
		if (!tx)
			return total;
		int result = 0, mine[BATCH];
		for (int i = 0; i < n && result >= 0; i++)
			result = mine[i] = store_console_timer_fired(tx, due[i].case_id, due[i].kind);
		if (result < 0) {
			store_rollback(tx);
			return total;
		}
		if (store_commit(tx) < 0)
			return total;
		/* Only the timers this instance fired: another one on the same store may have
		 * taken some between the read and the mark. */
		for (int i = 0; i < n; i++)
			if (mine[i] == 1) {
				fire(t, &due[i], now);
				total++;
			}
		if (n < BATCH)
			break;
	}
	return total;
}

static void tick_cb(uv_timer_t *h)
{
	struct case_timers *t = h->data;
	if (t->stopped)
		return;
	int64_t now = clock_now_ms() / 1000;
	int64_t next = store_console_timer_next(t->d.store);
	if (next > 0 && next <= now)
		case_timers_run(t, now);
}

/* Follows the pipeline: a new case starts waiting; a customer writing to a case held by
 * a person restarts the clocks of that conversation. */
static void event_cb(void *arg, const char *type, const cJSON *data)
{
	struct case_timers *t = arg;
	int64_t id = json_int(data, "case_id", 0);
	if (id <= 0 || t->stopped)
		return;
	int64_t now = clock_now_ms() / 1000;
	if (strcmp(type, "case_created") == 0) {
		arm_alone(t, id, "unclaimed", now, CONSOLE_ARM_IF_ABSENT);
		return;
	}
	if (strcmp(type, "customer_message") != 0)
		return;
	/* Runs for every message of an open case: the columns, not the record. */
	int severity;
	char status[16], assignee[64];
	if (store_case_state(t->d.store, id, &severity, status, assignee) != 1 || !*assignee)
		return;
	int claimed = strcmp(status, "claimed") == 0;
	if (!claimed && strcmp(status, "waiting") != 0)
		return;
	/* The event comes after the batch's commit: a unit of work of its own. */
	struct store_tx *tx = store_begin(t->d.store);
	if (!tx) {
		log_error("timers: case %lld: could not arm its timers", (long long)id);
		return;
	}
	if (claimed)
		arm(t, tx, id, "silence", now, CONSOLE_ARM_IF_IDLE);
	arm(t, tx, id, "idle", now, CONSOLE_ARM_REPLACE);
	if (store_commit(tx) < 0)
		log_error("timers: case %lld: timers not armed: %s", (long long)id,
			  store_state(t->d.store));
}

struct case_timers *case_timers_new(const struct case_timers_deps *d)
{
	struct case_timers *t = xcalloc(1, sizeof *t);
	t->d = *d;
	t->sub = events_subscribe(d->events, event_cb, t);
	if (t->sub < 0)
		log_error("timers: no room for another event subscriber");
	cases_watch(d->cases, watch_cb, t);
	int64_t now = clock_now_ms() / 1000;
	int64_t p = period(t, "unclaimed");
	if (p > 0) {
		struct store_tx *tx = store_begin(d->store);
		if (!tx || store_console_timers_recover(tx, p, now) < 0) {
			store_rollback(tx);
			log_error("timers: could not arm timers for waiting cases");
		} else if (store_commit(tx) < 0) {
			log_error("timers: could not arm timers for waiting cases");
		}
	}
	uv_timer_init(d->loop, &t->tick);
	t->tick.data = t;
	uv_timer_start(&t->tick, tick_cb, TICK_MS, TICK_MS);
	return t;
}

void case_timers_stop(struct case_timers *t)
{
	if (!t)
		return;
	t->stopped = 1;
	uv_timer_stop(&t->tick);
}

static void closed_cb(uv_handle_t *h)
{
	free(h->data);
}

void case_timers_free(struct case_timers *t)
{
	if (!t)
		return;
	if (t->sub >= 0)
		events_unsubscribe(t->d.events, t->sub);
	cases_watch(t->d.cases, NULL, NULL);
	uv_timer_stop(&t->tick);
	uv_close((uv_handle_t *)&t->tick, closed_cb);
}
