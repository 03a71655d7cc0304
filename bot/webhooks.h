/* Case news for outside systems, both through the outbox (retried, ordered per case,
 * never lost, never in the customers' way):
 *   "crm" (crm.webhook_url): the whole record of a case each time a person changes it
 *     (new cases are exported by the pipeline in the transaction that creates them);
 *   "notify" (console.notify_webhook): a new case, and a customer's new message on a
 *     case a secretary holds, as {"type","case_id","number","channel","peer_id",
 *     "assignee","text","at"}. */
#ifndef DESKBOT_WEBHOOKS_H
#define DESKBOT_WEBHOOKS_H

struct app;

/* Subscribes to app->events for whichever of the two is configured. */
void webhooks_start(struct app *app);

#endif
