/* Case timers that survive restarts: each timer is a row in the store
 * (store_console.h), checked once a second, with durations from the live reply set's
 * settings.
 *
 *   unclaimed  a new case nobody has claimed for unclaimed_alert_minutes: an alert in
 *              the console (again every period while it waits); the first time, the
 *              customer is told the expected wait (a bot template)
 *   silence    a claimed case whose customer has waited claimed_silence_minutes for its
 *              secretary's answer goes back to the queue with a note
 *   idle       a conversation held by a person with no message either way for
 *              human_idle_minutes goes back to the bot
 *
 * The timers follow the cases service's changes (watching it: cases_watch, inside each
 * change's transaction) and the pipeline's events ("case_created", "customer_message"),
 * and act through the cases service and events ("alert"), never the console. */
#ifndef DESKBOT_CASE_TIMERS_H
#define DESKBOT_CASE_TIMERS_H
#include <stdint.h>

#include <uv.h>

struct case_timers;
struct cases;
struct events;
struct replyset;
struct store;
struct store_tx;

/* What the timers work with; every pointer is borrowed and must outlive them. */
struct case_timers_deps {
	uv_loop_t *loop;
	struct store *store;
	struct events *events;
	struct cases *cases;  /* watched, and acted through */
	/* The live reply set (its settings give the durations), asked for at each use. */
	struct replyset *(*replies)(void *arg);
	void *replies_arg;
	const char *language; /* of the alerts (config console.language); NULL: "ru" */
};

/* Subscribes to events, watches cases, arms timers for new cases left without one and
 * starts the check. */
struct case_timers *case_timers_new(const struct case_timers_deps *d);
/* Stops checking (shutdown). */
void case_timers_stop(struct case_timers *t);
/* Closes the timer handle; the memory goes in its close callback. Accepts NULL. */
void case_timers_free(struct case_timers *t);

/* Fires every timer due at or before now (unix seconds). Returns how many fired. */
int case_timers_run(struct case_timers *t, int64_t now);

/* What the cases service did (case_timers_new makes them its watcher); each arms or
 * cancels the timers concerned within the operation's transaction tx. */
void case_timers_claimed(struct case_timers *t, struct store_tx *tx, int64_t case_id,
			 int64_t now);
void case_timers_released(struct case_timers *t, struct store_tx *tx, int64_t case_id,
			  int64_t now);
void case_timers_operator_spoke(struct case_timers *t, struct store_tx *tx, int64_t case_id,
				int64_t now);
void case_timers_handed_back(struct case_timers *t, struct store_tx *tx, int64_t case_id);
/* resolved, closed */
void case_timers_finished(struct case_timers *t, struct store_tx *tx, int64_t case_id);
/* waits for the customer */
void case_timers_waiting(struct case_timers *t, struct store_tx *tx, int64_t case_id);

#endif
