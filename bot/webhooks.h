/* Case news for outside systems, both through the outbox (retried, ordered per case,
 * never lost, never in the customers' way):
 *   "crm" (crm.webhook_url): the whole record of a case each time a person changes it
 *     (new cases are exported by the pipeline in the transaction that creates them);
 *   "notify" (console.notify_webhook): a new case, and a customer's new message on a
 *     case a secretary holds, as {"type","case_id","number","channel","peer_id",
 *     "assignee","text","at"}. */
#ifndef DESKBOT_WEBHOOKS_H
#define DESKBOT_WEBHOOKS_H

struct events;
struct outbox;
struct store;
struct webhooks;

/* What the webhooks work with; every pointer is borrowed and must outlive them. */
struct webhooks_deps {
	struct store *store;
	struct outbox *outbox;
	struct events *events;
	const char *crm_url;    /* NULL: no "crm" news */
	const char *notify_url; /* NULL: no "notify" news */
};

/* Subscribes to events for whichever of the two is configured. */
struct webhooks *webhooks_new(const struct webhooks_deps *d);
/* Unsubscribes and frees. Accepts NULL. */
void webhooks_free(struct webhooks *w);

#endif
