/* The console object (see console.h): builds its parts in order and takes them down in
 * reverse. */
#include "console.h"

#include <stdlib.h>

#include "auth.h"
#include "case_timers.h"
#include "console_relay.h"
#include "cases.h"
#include "config.h"
#include "console_api.h"
#include "console_hub.h"
#include "console_ideas.h"
#include "console_misses.h"
#include "log.h"
#include "store.h"
#include "store_console.h"
#include "xalloc.h"

struct console {
	struct auth *auth;
	struct cases *cases;
	struct console_hub *hub;
	struct console_relay *relay; /* NULL on a store of its own */
	struct case_timers *timers;
	struct console_api *api;
	struct console_ideas *ideas;
	struct console_misses *misses;
};

/* The addresses operators logged in from before a restart stay trusted (auth.h). */
static void seed_trust(void *arg, const char *login, const char *peer, int64_t at)
{
	auth_trust(arg, login, peer, at * 1000);
}

struct console *console_new(const struct console_deps *d)
{
	struct console *c = xcalloc(1, sizeof *c);
	c->auth = auth_new(d->cfg);
	if (d->store)
		auth_set_store(c->auth, d->store);
	if (d->store && store_console_recent_logins(d->store, 256, seed_trust, c->auth) < 0)
		log_warn("console: cannot read recent logins from the audit log: %s",
			 store_state(d->store));
	struct cases_deps cd = {.store = d->store, .outbox = d->outbox, .events = d->events,
				.replies = d->replies, .replies_arg = d->arg,
				.typing = d->typing, .typing_arg = d->arg,
				.language = d->cfg ? d->cfg->console_language : NULL};
	c->cases = cases_new(&cd);
	c->hub = console_hub_new(d->server, d->events, d->store, c->auth);
	if (d->cfg && d->cfg->store_url && d->store && d->loop) {
		/* Several instances may share this store: their consoles see each other's
		 * live updates. */
		char origin[64];
		config_instance_name(d->cfg, origin, sizeof origin);
		c->relay = console_relay_new(d->loop, d->store, c->hub, origin,
					     d->cfg->cluster_scan_ms);
		console_hub_set_tap(c->hub, console_relay_publish, c->relay);
	}
	struct case_timers_deps td = {.loop = d->loop, .store = d->store, .events = d->events,
				      .cases = c->cases, .replies = d->replies,
				      .replies_arg = d->arg,
				      .language = d->cfg ? d->cfg->console_language : NULL};
	c->timers = case_timers_new(&td);
	struct console_ideas_deps id = {.store = d->store, .outbox = d->outbox,
					.replies = d->replies, .arg = d->arg};
	c->ideas = console_ideas_new(&id);
	struct console_misses_deps md = {.store = d->store, .replies = d->replies,
					 .reload = d->reload, .arg = d->arg};
	c->misses = console_misses_new(&md);
	struct console_api_deps ad = {.loop = d->loop, .cfg = d->cfg, .store = d->store,
				      .server = d->server, .auth = c->auth, .hub = c->hub,
				      .cases = c->cases, .ideas = c->ideas, .misses = c->misses,
				      .replies = d->replies, .reload = d->reload,
				      .can_send_files = d->can_send_files, .arg = d->arg};
	c->api = console_api_new(&ad);
	return c;
}

void console_stop(struct console *c)
{
	if (c)
		case_timers_stop(c->timers);
}

void console_free(struct console *c)
{
	if (!c)
		return;
	console_api_free(c->api);
	console_ideas_free(c->ideas);
	console_misses_free(c->misses);
	case_timers_free(c->timers);
	console_relay_free(c->relay);
	console_hub_free(c->hub);
	cases_free(c->cases);
	auth_free(c->auth);
	free(c);
}

struct console_api *console__api(struct console *c)
{
	return c->api;
}

struct auth *console__auth(struct console *c)
{
	return c->auth;
}

struct console_hub *console__hub(struct console *c)
{
	return c->hub;
}

struct case_timers *console__timers(struct console *c)
{
	return c->timers;
}

struct cases *console__cases(struct console *c)
{
	return c->cases;
}
