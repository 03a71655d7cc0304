/* The conversation state of one chat: what the bot remembers between two messages (the
 * language, whether it has answered yet, who holds the chat, a half-finished interview
 * or tariff question, a problem answered first, the open case). This module is its one
 * owner: every other file reads and writes it through the typed accessors below and
 * none names a key of the stored object.
 *
 * Stored as one JSON object per chat (store_conv_load / store_conv_save), with the keys
 * the bot has always written, so existing stores keep working:
 *   "lang"            "ru" | "en": the language of the last message with letters
 *   "seen"            true once the bot has answered
 *   "mode"            "human" while a person holds the chat (absent: the bot)
 *   "case_id"         the case the person holds it for;  "since": unix seconds
 *   "last_auto_reply" when the bot last said "your operator will answer"
 *   "open_case"       the open case's number ("000123") while the pipeline works on a
 *                     message of a chat that has one
 *   "interview"       {"intent","asked","tries","phone","account","location",
 *                      "description","summary","started","skipped":[..],"flags":{..}}
 *   "problem"         {"intent","text","phone","account","at"}: answered first
 *   "tariff"          {"awaiting","minutes","gb","sms","budget","at"} (-1 = not stated),
 *                     and "age","apps","in_network" when stated
 *   "idea"            {"asked":"what"|"why","what","at"}: an idea being collected
 * Keys the bot does not know are kept as they are. A key of the wrong type reads as
 * absent; no stored object makes loading fail. */
#ifndef DESKBOT_CONVSTATE_H
#define DESKBOT_CONVSTATE_H
#include <cjson/cJSON.h>
#include <stdint.h>

struct store;
struct store_tx;
struct convstate;

/* ------------------------------------------------------------------ lifetime */

/* A fresh conversation (nothing remembered). Caller frees with convstate_free. */
struct convstate *convstate_new(void);
/* The conversation stored as text (as convstate_print writes it). Text that is not a
 * JSON object (NULL, broken, an array) gives a fresh conversation: a damaged row must
 * not stop the chat. Caller frees with convstate_free. */
struct convstate *convstate_parse(const char *text);
/* The conversation as compact JSON text; caller frees with free(). */
char *convstate_print(const struct convstate *cs);
/* Loads the conversation of channel's chat peer into *out (a fresh one when the chat
 * has none). 0, or negative on a store error (*out NULL). Caller frees *out. */
int convstate_load(struct store *st, const char *channel, int64_t peer, struct convstate **out);
/* Stores cs as the conversation of channel's chat peer, updated at now (unix s). */
int convstate_save(struct store_tx *tx, const char *channel, int64_t peer,
		   const struct convstate *cs, int64_t now);
/* Accepts NULL. */
void convstate_free(struct convstate *cs);

/* ------------------------------------------------------------------ language, seen */

/* The conversation's language code as stored ("ru", "en"), or NULL when none yet. */
const char *convstate_lang(const struct convstate *cs);
void convstate_set_lang(struct convstate *cs, const char *code);
/* 1 once the bot has answered in this conversation. */
int convstate_seen(const struct convstate *cs);
void convstate_set_seen(struct convstate *cs);

/* ------------------------------------------------------------------ who holds the chat */

/* 1 when a person (a blog secretary) holds the chat, 0 when the bot answers. */
int convstate_person_holds(const struct convstate *cs);
/* The case the person holds the chat for, and since when (unix s); 0 when none. */
int64_t convstate_holder_case(const struct convstate *cs);
int64_t convstate_holder_since(const struct convstate *cs);
/* Gives the chat to a person for case_id from since on; the auto-reply clock restarts. */
void convstate_hand_to_person(struct convstate *cs, int64_t case_id, int64_t since);
/* Gives the chat back to the bot (holder, case, since and auto-reply time forgotten). */
void convstate_hand_to_bot(struct convstate *cs);
/* When the bot last told a held chat that the operator will answer; 0 when never. */
int64_t convstate_last_auto_reply(const struct convstate *cs);
void convstate_set_last_auto_reply(struct convstate *cs, int64_t at);

/* ------------------------------------------------------------------ the open case */

/* The number of the chat's open case ("000123") as set for this message, or NULL.
 * Borrowed until the next convstate_set_open_case. */
const char *convstate_open_case(const struct convstate *cs);
/* Sets the open case's number (copied); NULL forgets it. */
void convstate_set_open_case(struct convstate *cs, const char *number);

/* ------------------------------------------------------------------ the interview */

/* What a complaint interview collects. The first four are the needs, in the order of
 * the RS_NEED_* bits (1u << field). */
enum convstate_field {
	CONVSTATE_PHONE,
	CONVSTATE_ACCOUNT,
	CONVSTATE_LOCATION,
	CONVSTATE_DESCRIPTION,
	CONVSTATE_SUMMARY, /* the customer's own words that opened the case */
	CONVSTATE_INTENT,  /* the complaint intent's id */
	CONVSTATE_N_FIELDS
};
#define CONVSTATE_N_NEEDS 4

/* The complaint signs an interview accumulates (bits). */
enum convstate_flag {
	CONVSTATE_OBSCENE = 1,
	CONVSTATE_LEGAL_THREAT = 2,
	CONVSTATE_SPREAD_CALL = 4,
	CONVSTATE_SHOUTING = 8,
};

/* 1 while an interview runs. */
int convstate_in_interview(const struct convstate *cs);
/* Starts an interview about complaint intent (replacing any), started at now. */
void convstate_interview_start(struct convstate *cs, const char *intent, int64_t now);
/* A collected field, or NULL (also when no interview runs). Borrowed until that field
 * is set again or the interview ends. */
const char *convstate_interview_get(const struct convstate *cs, enum convstate_field f);
/* Sets a field (copied; NULL removes it). Ignored when no interview runs. */
void convstate_interview_set(struct convstate *cs, enum convstate_field f, const char *value);
/* The need asked last (enum convstate_field), or -1 when nothing is being asked. */
int convstate_interview_asked(const struct convstate *cs);
/* How many answers to that question did not answer it. */
int convstate_interview_tries(const struct convstate *cs);
/* Records that need f is being asked, with the count of tries so far. */
void convstate_interview_ask(struct convstate *cs, enum convstate_field f, int tries);
/* Marks need f skipped (the customer would not answer it); 1 when it is. */
void convstate_interview_skip(struct convstate *cs, enum convstate_field f);
int convstate_interview_skipped(const struct convstate *cs, enum convstate_field f);
/* Adds complaint signs (enum convstate_flag bits) to the interview's. */
void convstate_interview_add_flags(struct convstate *cs, unsigned flags);
/* Ends the interview and returns what it collected, in the shape of
 * dialog_result.case_data (see dialog.h), without the question state; caller frees
 * with cJSON_Delete. NULL when no interview runs. */
cJSON *convstate_interview_take(struct convstate *cs);
/* Ends the interview, forgetting it. */
void convstate_interview_drop(struct convstate *cs);

/* ------------------------------------------------------------------ problem answered first */

/* A problem the bot answered with its troubleshooting text, kept so that a case opened
 * later starts from it. Strings may be NULL; borrowed until the problem is set again
 * or dropped. */
struct convstate_problem {
	const char *intent;  /* the complaint intent's id */
	const char *text;    /* the customer's message */
	const char *phone;   /* +7XXXXXXXXXX given with it */
	const char *account; /* account number given with it */
	int64_t at;          /* unix seconds (0 when unknown) */
};

/* 1 and *out filled when a problem is kept, 0 otherwise. */
int convstate_problem(const struct convstate *cs, struct convstate_problem *out);
/* Keeps p (its strings copied; NULL ones left out), replacing any. */
void convstate_set_problem(struct convstate *cs, const struct convstate_problem *p);
void convstate_drop_problem(struct convstate *cs);

/* ------------------------------------------------------------------ tariff dialogue */

/* A tariff question half answered ("500 минут" — and how many GB?). */
struct convstate_tariff {
	char awaiting[16]; /* "minutes" or "gb": what was asked; "" when nothing */
	double minutes, gb, sms, budget; /* what is known; -1 = not stated */
	int age;                         /* the customer's age; 0 = not stated */
	int apps;                        /* RS_APP_* bits wanted unlimited; 0 = none */
	int in_network;                  /* 1: the calls are within the network */
	int64_t at;                      /* when it was asked (unix s); -1 when unknown */
};

/* 1 and *out filled when the conversation has a tariff question kept (even a damaged
 * one: then awaiting is ""), 0 otherwise. */
int convstate_tariff(const struct convstate *cs, struct convstate_tariff *out);
/* Keeps t, replacing any. */
void convstate_set_tariff(struct convstate *cs, const struct convstate_tariff *t);
void convstate_drop_tariff(struct convstate *cs);

/* ------------------------------------------------------------------ an idea collected */

/* An idea being collected (handlers/idea.c): what is asked next, and the answer to
 * "what" once given. */
enum convstate_idea_step {
	CONVSTATE_IDEA_NONE, /* no idea being collected */
	CONVSTATE_IDEA_WHAT, /* asked what the idea is */
	CONVSTATE_IDEA_WHY,  /* asked why it would help */
};

/* The step; CONVSTATE_IDEA_NONE when nothing is collected (or the stored one is broken). */
int convstate_idea_step(const struct convstate *cs);
/* The "what" answer, or NULL. Borrowed until the idea is changed or dropped. */
const char *convstate_idea_what(const struct convstate *cs);
/* When the collection started (unix s), 0 when none. */
int64_t convstate_idea_started(const struct convstate *cs);
/* Starts collecting (replacing any) at now: the next answer is "what". */
void convstate_idea_start(struct convstate *cs, int64_t now);
/* Keeps the "what" answer (copied); the next answer is "why". */
void convstate_idea_set_what(struct convstate *cs, const char *what);
void convstate_idea_drop(struct convstate *cs);

#endif
