/* Several instances on one PostgreSQL store (issue #14 items 2 and 3): each channel is
 * worked by the one instance holding its lease in the store (store_lease.h). The holder
 * long-polls it (from the cursor the last holder committed) and sends its outbox rows,
 * whichever instance made them; the others take its webhook deliveries only. A holder
 * renews every third of cluster.lease_ms; one that dies stops renewing, and another takes
 * the channel once the lease has run out (within lease_ms plus a renewal period). The
 * local web chat is not leased: each instance serves its own browsers. */
#ifndef DESKBOT_APP_LEASES_H
#define DESKBOT_APP_LEASES_H
#include <cjson/cJSON.h>

struct app;

/* True when the app runs with leases (store.url set). */
int app_leases_on(const struct app *app);
/* Starts taking leases for the app's channels (registered idle with the outbox and not
 * started): one round at once, then every lease_ms / 3. 0 or -1. */
int app_leases_start(struct app *app);
/* Stops the channels this instance holds (shutdown). */
void app_leases_stop(struct app *app);
/* Gives every lease up, so that another instance takes over at its next round (after
 * the sends in flight ended), and frees the keeper. */
void app_leases_free(struct app *app);
/* /healthz: "instance" and, per channel in channels, "holder". */
void app_leases_describe(struct app *app, cJSON *health, cJSON *channels);
#endif
