/* The long-poll skeleton VK and Telegram share: the poll request in flight, the sends in
 * flight, the retry timer with its capped exponential backoff, and the state /healthz
 * shows. The channel keeps its protocol (what to ask, how to read the answer) and embeds
 * one struct longpoll. */
#ifndef DESKBOT_LONGPOLL_H
#define DESKBOT_LONGPOLL_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct http_client;

enum longpoll_state {
	LONGPOLL_IDLE,
	LONGPOLL_CONNECTING,   /* asking for a long-poll session (VK) */
	LONGPOLL_POLLING,
	LONGPOLL_BACKOFF,
	LONGPOLL_CONFLICT,     /* another poller holds the bot (Telegram 409) */
	LONGPOLL_UNAUTHORIZED, /* the token is refused: retrying slowly */
	LONGPOLL_STOPPED,
	LONGPOLL_REGISTERING,  /* webhook mode: setting the webhook / subscription up */
	LONGPOLL_WEBHOOK,      /* webhook mode: deliveries come to the listener, no polling */
};

struct longpoll {
	enum longpoll_state state;
	uint64_t poll_req;      /* long-poll (or session) request in flight, 0 if none */
	size_t sends_in_flight; /* the channel's other requests not yet answered */
	int failures;           /* consecutive failures: the backoff grows with them */
	uv_timer_t retry_timer;
	struct http_client *http;
	void (*retry)(void *owner); /* what the retry timer runs (not once stopped) */
	void (*closed)(void *owner); /* after longpoll_close: the owner may be freed */
	void *owner;
};

void longpoll_init(struct longpoll *lp, uv_loop_t *loop, struct http_client *http,
		   void (*retry)(void *owner), void *owner);
/* Waits before the next attempt: 1 s, doubling with each consecutive failure, capped at
 * 60 s, and at least min_ms; reports state meanwhile. Nothing once stopped. */
void longpoll_backoff(struct longpoll *lp, uint64_t min_ms, enum longpoll_state state);
/* Before a start that may follow a stop (a channel whose lease came back): idle again,
 * no failures counted. */
void longpoll_rearm(struct longpoll *lp);
/* Stops: no retry runs, the poll in flight is cancelled; sends may still finish. */
void longpoll_stop(struct longpoll *lp);
/* Stops and closes the timer; closed(owner) runs once it has closed. */
void longpoll_close(struct longpoll *lp, void (*closed)(void *owner));
const char *longpoll_state_name(const struct longpoll *lp);
size_t longpoll_in_flight(const struct longpoll *lp);

#endif
