/* The channels' names: the store's rows, cursors and metric labels carry them. Only
 * bot/channels/ spells them; the rest of the daemon asks a channel what it can do
 * (struct channel_caps) instead of comparing its name. */
#ifndef DESKBOT_CHANNEL_NAMES_H
#define DESKBOT_CHANNEL_NAMES_H

#define CHANNEL_VK "vk"
#define CHANNEL_TELEGRAM "telegram"
#define CHANNEL_MAX "max"
#define CHANNEL_WEB "web"
#define CHANNEL_CRM "crm"       /* the CRM export webhook (crm.webhook_url) */
#define CHANNEL_NOTIFY "notify" /* the console's notices webhook (console.notify_webhook) */

/* The customer channels this build has, in the order the console lists them. */
extern const char *const channel_customer_names[];
extern const unsigned channel_n_customer_names;
/* The ones among them that config switches on and off (reported "off" when off). */
extern const char *const channel_switchable_names[];
extern const unsigned channel_n_switchable_names;

#endif
