/* The reply set: everything the bot may say, loaded from a directory of JSON files
 * (see replies/README.md), validated as a whole and then immutable. A set carries its
 * matcher index and a version string recorded with every reply it produced.
 *
 * Lifetime: replyset_load returns a set holding one reference. The application keeps
 * its current set and takes a reference (replyset_ref) for each message it handles;
 * a reload swaps in a new set and drops the old one's reference, and the old set is
 * freed when the last message that used it drops its own.
 *
 * Threads: a set is read-only except for its text context (stemmers), so one set is
 * used from one thread (the event loop). */
#ifndef DESKBOT_REPLYSET_H
#define DESKBOT_REPLYSET_H
#include <stddef.h>
#include <stdint.h>

struct replyset;
struct text_ctx;
struct text_analysis;
struct match_index;

enum replyset_lang { RS_RU, RS_EN, RS_NLANG };

/* RS_OUT_OF_SCOPE: examples of what the bot does not handle (other companies'
 * balances, homework, weather); a message closest to them falls back, and such an
 * intent is never answered, offered or reported by the matcher. */
enum replyset_kind { RS_FAQ, RS_SMALLTALK, RS_OPERATOR, RS_TARIFF, RS_COMPLAINT, RS_IDEA, RS_OUT_OF_SCOPE };

enum replyset_severity { RS_SEV_CRITICAL, RS_SEV_HIGH, RS_SEV_NORMAL, RS_SEV_LOW };

/* Bits of replyset_intent.needs. */
enum {
	RS_NEED_PHONE = 1,
	RS_NEED_ACCOUNT = 2,
	RS_NEED_LOCATION = 4,
	RS_NEED_DESCRIPTION = 8,
};

/* One intent (a file in intents/). Texts by language; NULL where the file has none. */
struct replyset_intent {
	char *id;
	char *category;
	int kind;                      /* enum replyset_kind */
	char *title[RS_NLANG];         /* button label */
	char *answer[RS_NLANG];        /* NULL for tariff/operator intents without one */
	char **examples[RS_NLANG];     /* phrasings as written in the file */
	size_t n_examples[RS_NLANG];
	char **buttons;                /* follow-up intent ids (all exist) */
	size_t n_buttons;
	int severity;                  /* enum replyset_severity (complaints), else -1 */
	unsigned needs;                /* RS_NEED_* bits (complaints) */
	char *file;                    /* file it came from, relative to the set's dir */
};

/* One plan (tariffs.json). Overage prices are -1 when null (service stops). */
struct replyset_tariff {
	char *id;
	char *name[RS_NLANG];
	char **aliases;                /* normalised (lower case, ё as е) */
	size_t n_aliases;
	double monthly_fee;
	double minutes, sms, gb;       /* package */
	int unl_minutes, unl_sms, unl_gb;
	double over_minute, over_sms, over_gb;
	char *notes[RS_NLANG];         /* may be NULL */
	int data_only;                 /* no calls at all (a tablet or router plan) */
	int min_age, max_age;          /* who may have it (0: no limit), "restricted" */
	char *restricted[RS_NLANG];    /* what the restriction says ("от 60 лет"), or NULL */
	int unl_apps;                  /* RS_APP_* bits: services whose traffic is free */
	int unl_in_network;            /* calls to this operator's numbers are free */
};

/* Services a plan may leave out of the package ("unlimited": {"messengers": true}). */
enum replyset_app { RS_APP_MESSENGERS = 1, RS_APP_SOCIAL = 2 };

enum replyset_tpl_kind { RS_TPL_BOT, RS_TPL_OPERATOR };

/* One template (templates.json). */
struct replyset_template {
	char *id;
	int kind; /* enum replyset_tpl_kind */
	char *text[RS_NLANG];
};

/* One approved file a secretary may send (files.json, the bytes under files/). */
enum replyset_file_kind { RS_FILE_DOCUMENT, RS_FILE_PHOTO };
#define REPLYSET_FILE_MAX (10u << 20) /* bytes of one approved file */

struct replyset_file {
	char *id;
	int kind;              /* enum replyset_file_kind */
	char *title[RS_NLANG]; /* title[RS_EN] may be NULL (the console shows the Russian) */
	char *path;            /* as in files.json: "files/<name>" */
	char *name;            /* the file name the customer sees: "<name>" */
	const char *mime;      /* by extension, checked against the bytes */
	char *data;            /* the bytes, read at load time */
	size_t len;
};

#include "replyset_settings.h"

/* One problem found while loading. */
struct replyset_error {
	char *file; /* path as given: DIR/intents/x.json */
	int line;   /* 1-based */
	int col;    /* 1-based, in characters */
	char *msg;
};

struct replyset_errors {
	struct replyset_error *items;
	size_t n;
};

/* Frees the items (not the struct itself, which is usually on the stack). */
void replyset_errors_free(struct replyset_errors *errs);
/* Writes every error as "file:line:col: message\n" to the stream f (a FILE *). */
void replyset_errors_print(const struct replyset_errors *errs, void *f);

/* Loads and validates the set in dir and builds its index. On success returns 0 and
 * *out holds a set with one reference. On any problem returns -1, *out is NULL and
 * errs (if not NULL) lists every problem found. errs is appended to, not cleared. */
int replyset_load(const char *dir, struct replyset **out, struct replyset_errors *errs);
/* The same, sharing prev's spelling dictionary (text.h: text_dict) instead of opening
 * it again (a reload on SIGHUP costs ~70 ms less and the process holds one copy).
 * prev may be NULL (then as replyset_load: the dictionary is opened, or a warning is
 * logged when it is missing and the set works with its own words only). */
int replyset_load_sharing(const char *dir, const struct replyset *prev, struct replyset **out,
			  struct replyset_errors *errs);

/* Takes another reference; returns rs. */
struct replyset *replyset_ref(struct replyset *rs);
/* Drops a reference; the set is freed with the last one. Accepts NULL. */
void replyset_unref(struct replyset *rs);
/* Same as replyset_unref: drops the caller's reference. */
void replyset_free(struct replyset *rs);

/* "CONTENTHASH@YYYY-MM-DDTHH:MM:SSZ": a hash of every file's name and bytes (equal
 * for equal content) and the load time. Borrowed from rs. */
const char *replyset_version(const struct replyset *rs);
/* The directory it was loaded from. Borrowed. */
const char *replyset_dir(const struct replyset *rs);

size_t replyset_n_intents(const struct replyset *rs);
size_t replyset_n_tariffs(const struct replyset *rs);
size_t replyset_n_templates(const struct replyset *rs);
size_t replyset_n_examples(const struct replyset *rs);

/* By position (0 <= i < count) and by id; lookups by id return NULL if unknown. All
 * returned pointers are borrowed from rs. */
const struct replyset_intent *replyset_intent_at(const struct replyset *rs, size_t i);
const struct replyset_intent *replyset_intent(const struct replyset *rs, const char *id);
/* Index of an intent id, or -1. */
int replyset_intent_index(const struct replyset *rs, const char *id);
const struct replyset_tariff *replyset_tariff_at(const struct replyset *rs, size_t i);
const struct replyset_tariff *replyset_tariff(const struct replyset *rs, const char *id);
const struct replyset_template *replyset_template_at(const struct replyset *rs, size_t i);
const struct replyset_template *replyset_template(const struct replyset *rs, const char *id);
const struct replyset_settings *replyset_settings(const struct replyset *rs);
/* The approved files (files.json, optional): by position and by id. Borrowed. */
size_t replyset_n_files(const struct replyset *rs);
const struct replyset_file *replyset_file_at(const struct replyset *rs, size_t i);
const struct replyset_file *replyset_file(const struct replyset *rs, const char *id);
/* What an approved file's bytes are, by its name and its first bytes: the MIME type, or
 * NULL when the name's extension is not allowed for kind or the bytes do not match it
 * (a photo must be a real PNG or JPEG, a PDF must start with %PDF-). why says what is
 * wrong. */
const char *replyset_file_check(int kind, const char *name, const char *data, size_t len,
				char *why, size_t whylen);

/* Lexicon entries (normalised, NULL-terminated array), or NULL for an unknown name
 * ("obscene", "legal_threat", "spread_call", "negative", "operator_request", ...). */
const char *const *replyset_lexicon(const struct replyset *rs, const char *name);
/* 1 if any entry of the named lexicon occurs in the analysed text (word prefixes). */
int replyset_lexicon_hit(const struct replyset *rs, const char *name, const struct text_analysis *a);
/* Position of the named lexicon, or -1. */
int replyset_lexicon_index(const struct replyset *rs, const char *name);
/* Every lexicon (of the first 64, by position) with an entry in a, as bits, in one
 * pass; stops once every bit of want is found (0: looks for all). */
uint64_t replyset_lexicon_hits(const struct replyset *rs, const struct text_analysis *a, uint64_t want);

/* Synonym groups (synonyms.json, optional): entries normalised, NULL-terminated;
 * NULL for i out of range. Borrowed. */
size_t replyset_n_synonym_groups(const struct replyset *rs);
const char *const *replyset_synonym_group(const struct replyset *rs, size_t i);

/* The matcher index and the text context of the set (see the threads note above). */
const struct match_index *replyset_index(const struct replyset *rs);
struct text_ctx *replyset_text_ctx(const struct replyset *rs);

/* The tariff calculator. What a customer needs a month: -1 when not stated (counted
 * as none), 1e9 (TEXT_UNLIMITED) for "without limit"; budget -1 means no limit. */
struct tariff_need {
	double minutes, gb, sms, budget; /* -1: not stated */
	int age;                         /* the customer's age, 0: not stated */
	int unl_apps;                    /* RS_APP_* the customer wants unlimited */
	int in_network;                  /* the calls are to this operator's numbers */
};

/* Why a plan was picked. */
enum replyset_pick_reason {
	RS_PICK_COVERS,  /* its package covers every need */
	RS_PICK_OVERAGE, /* cheapest even paying for what goes beyond the package */
};

struct tariff_pick {
	int tariff;        /* index (replyset_tariff_at) */
	double total;      /* fee plus overage for the need */
	double extra;      /* the overage part of total */
	int reason;        /* enum replyset_pick_reason */
	int runner_up;     /* next cheapest plan that serves the need, or -1 */
	double runner_up_total;
};

/* Monthly cost of plan t for need (fee plus overage), or -1 if t cannot serve it
 * (a need beyond a package whose overage is null, an unlimited need the plan has no
 * unlimited option for, calls on a data-only plan, an app wanted unlimited that the
 * plan counts, or a restricted plan for a customer not known to qualify). Calls
 * within the network cost nothing on a plan where they are unlimited. The budget is
 * not looked at. */
double replyset_tariff_cost(const struct replyset_tariff *t, const struct tariff_need *need);
/* Picks the plan with the lowest cost that serves need within its budget (ties: the
 * bigger package). Returns 0 and fills out, or -1 if no plan fits. */
int replyset_tariff_pick(const struct replyset *rs, const struct tariff_need *need, struct tariff_pick *out);

/* Values for template placeholders; NULL fields render as "". */
struct tpl_vars {
	const char *case_id, *name, *eta, *phone, *account, *plan, *fee, *minutes, *sms, *gb,
		*total, *reason, *plan_a, *plan_b, *missing, *topics, *operator_name, *work_start,
		*needs, /* the tariff needs a customer stated, as said back to them */
		*idea, *idea_text, *votes, *ideas; /* the idea board's (bot/ideas.c) */
};

/* Language code "ru"/"en" to enum (anything else is Russian) and back. */
int replyset_lang(const char *code);
const char *replyset_lang_code(int lang);

/* Renders template id in lang with vars (may be NULL). Returns a new string the
 * caller frees, or NULL if there is no such template. */
char *replyset_render(const struct replyset *rs, const char *id, int lang, const struct tpl_vars *vars);
/* Fills the placeholders of any reply-set text the same way. Caller frees. */
char *replyset_fill(const char *text, const struct tpl_vars *vars);

#endif
