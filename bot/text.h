/* Text normalisation for customer messages: everything the matcher and the handlers
 * need to know about a message before meaning is guessed. One call, text_analyze(),
 * turns raw bytes (possibly broken UTF-8, emoji, Russian typed on the QWERTY layout or
 * in Latin transliteration, typos) into a list of tokens with their repaired form,
 * their Snowball stem, and the entities found (numbers with units, phone, account).
 *
 * The repair of layout, transliteration and typos is decided per word against a
 * vocabulary (struct text_vocab, built once per reply set from its examples): the form
 * that the reply set knows, or that at least looks like a word, wins. With a Russian
 * spelling dictionary (struct text_dict, Hunspell) in the context, a real word the set
 * lacks is never "corrected" into one it has and is read through its dictionary form,
 * and glued words ("какузнатьбаланс") are split into known words. */
#ifndef DESKBOT_TEXT_H
#define DESKBOT_TEXT_H
#include <stddef.h>
#include <stdint.h>

/* Hard cap on the bytes of a message that are analysed; the rest is ignored. */
#define TEXT_MAX_INPUT 4096
/* Value of an entity the customer wants without limit ("безлимит"). */
#define TEXT_UNLIMITED 1e9

/* Per-thread working state: the Snowball stemmers (which are not thread-safe) and the
 * scratch memory text_analyze reuses from one message to the next. Create one per
 * reply set or per thread. */
struct text_ctx;

/* Returns a new context or NULL if a stemmer cannot be created. Free with
 * text_ctx_free (accepts NULL). */
struct text_ctx *text_ctx_new(void);
void text_ctx_free(struct text_ctx *ctx);
/* Bytes of scratch memory the context holds (for the benchmark; the stemmers' own
 * few kilobytes are not counted). */
size_t text_ctx_memory(const struct text_ctx *ctx);
/* The counters of the context's word cache (see text_cache.h); zeros for NULL. */
struct text_cache_stats;
void text_ctx_cache_stats(const struct text_ctx *ctx, struct text_cache_stats *out);

/* A spelling dictionary of Russian (Hunspell, Debian's hunspell-ru): tells real words
 * the reply set never uses from typos, gives the dictionary form (lemma) of word forms
 * the examples lack, and checks the pieces of glued words. Loading takes ~70 ms and
 * ~20 MB, so a process opens it once and shares it (reference counted) between the
 * reply sets it loads. Not thread-safe: used by the one thread of its text context. */
struct text_dict;

/* Opens the dictionary aff_path/dic_path; NULL if either cannot be read. */
struct text_dict *text_dict_open(const char *aff_path, const char *dic_path);
/* Opens the Russian dictionary: DESKBOT_HUNSPELL (a path without .aff/.dic) when set,
 * else /usr/share/hunspell/ru_RU. NULL if it is not there; *where (if not NULL) gets
 * the path tried (static string or the environment's). */
struct text_dict *text_dict_open_default(const char **where);
/* Takes one more reference (accepts NULL); text_dict_unref drops one and frees the
 * dictionary with the last. */
struct text_dict *text_dict_ref(struct text_dict *d);
void text_dict_unref(struct text_dict *d);
/* 1 if the normalised word (len bytes, UTF-8) is a correct Russian word form. */
int text_dict_spell(struct text_dict *d, const char *word, size_t len);

/* Lets the context's analyses use d (a reference is taken; NULL: none, today's repairs
 * against the reply set's words only). */
void text_ctx_set_dict(struct text_ctx *ctx, struct text_dict *d);
struct text_dict *text_ctx_dict(const struct text_ctx *ctx);

/* A set of known words with a symmetric-delete index for typo correction. Built once
 * (text_vocab_add..., then text_vocab_build), then read-only and shareable. */
struct text_vocab;

struct text_vocab *text_vocab_new(void);
void text_vocab_free(struct text_vocab *v);
/* Adds one occurrence of a normalised word (len bytes); returns its id (>= 0). Adding a
 * word again only counts it. Must not be called after text_vocab_build. */
int text_vocab_add(struct text_vocab *v, const char *word, size_t len);
/* Builds the typo index (and trims the storage). Call once after the last add. */
void text_vocab_build(struct text_vocab *v);
/* Trims the storage of a vocabulary that needs no typo index; adding after it still
 * works, only slower. */
void text_vocab_shrink(struct text_vocab *v);
/* Id of word, or -1 if unknown. Works before text_vocab_build too. */
int text_vocab_find(const struct text_vocab *v, const char *word, size_t len);
/* A number the caller attaches to a word (-1 until set). text_analyze reads the link
 * of a word of text_opts.vocab as the id of its stem in text_opts.stems, and then
 * needs no stemmer for it. */
void text_vocab_set_link(struct text_vocab *v, int id, int32_t link);
int32_t text_vocab_link(const struct text_vocab *v, int id);
/* Occurrences of word id added (0 for an unknown id). */
uint32_t text_vocab_count(const struct text_vocab *v, int id);
/* Marks a word as known but never the result of a typo correction (for words only
 * the operator's texts use). Call before text_vocab_build. */
void text_vocab_set_no_typo(struct text_vocab *v, int id, int no_typo);
/* Number of words, and the word of an id (borrowed from v). */
size_t text_vocab_size(const struct text_vocab *v);
const char *text_vocab_word(const struct text_vocab *v, int id);
/* Bytes of memory held by v (for the benchmark). */
size_t text_vocab_memory(const struct text_vocab *v);
/* Nearest known word within the allowed typo distance for its length (Damerau-
 * Levenshtein, optimal string alignment: <=4 letters 0, 5-7 letters 1, >=8 letters 2,
 * counted on the shorter of the two words). Returns the id, or -1 if none; *dist gets
 * the distance when dist is not NULL. Ties go to the more frequent word. */
int text_vocab_correct(const struct text_vocab *v, const char *word, size_t len, int *dist);

/* Optimal-string-alignment distance between two UTF-8 strings, counted in code points,
 * giving up (returning max + 1) as soon as it must exceed max. */
int text_distance(const char *a, size_t alen, const char *b, size_t blen, int max);
/* The typo bound for a word of n letters (0, 1 or 2; see text_vocab_correct). */
int text_typo_bound(size_t n);

/* Scoring hook: how much a candidate spelling of one word (normalised UTF-8, len
 * bytes) looks like a word the reply set knows. Higher is better; the caller compares
 * the forms as written, layout-swapped and transliterated and keeps the best. */
typedef int (*text_score_cb)(void *ud, const char *word, size_t len);

/* How the words of a message are repaired. Every field may be zero/NULL: without a
 * vocabulary only the "looks like a word" test decides the layout. */
struct text_opts {
	const struct text_vocab *vocab; /* surface words of the reply set, or NULL */
	const struct text_vocab *stems; /* their stems, or NULL */
	text_score_cb score;            /* replaces the default scorer when not NULL */
	void *score_ud;                 /* passed to score */
	int no_repair;                  /* 1: no layout, transliteration or typo repair */
	/* Words that start with one of these (NULL-terminated) are never split as glued
	 * words: the reply set's swear words, or "заебали" becomes "зае бали" once the
	 * set knows Bali. NULL: none. */
	const char *const *no_split;
};

enum text_kind {
	TEXT_WORD,   /* letters (Cyrillic, Latin or other) */
	TEXT_NUMBER, /* a run of ASCII digits */
	TEXT_PUNCT,  /* one punctuation mark, symbol or emoji */
	TEXT_PHONE,  /* a phone number, already normalised to +7XXXXXXXXXX */
};

enum text_script { TEXT_SCRIPT_OTHER, TEXT_SCRIPT_CYR, TEXT_SCRIPT_LAT };

/* How a word got its final form. */
enum text_how {
	TEXT_AS_WRITTEN,
	TEXT_LAYOUT,   /* typed with the wrong keyboard layout */
	TEXT_TRANSLIT, /* Russian written in Latin letters */
	TEXT_TYPO,     /* corrected to a known word */
};

/* One token. Strings point into the analysis' own storage. */
struct text_token {
	const char *text;  /* final form: normalised, repaired (NUL-terminated) */
	const char *orig;  /* normalised form before repair */
	const char *stem;  /* Snowball stem of text (words only; else same as text) */
	uint16_t len;      /* bytes of text */
	uint8_t kind;      /* enum text_kind */
	uint8_t script;    /* enum text_script of text */
	uint8_t how;       /* enum text_how */
	uint8_t space_before; /* 1 if whitespace preceded it in the message */
};

/* What was recognised. Numbers are -1 when not stated; TEXT_UNLIMITED for "безлимит". */
struct text_entities {
	double minutes;
	double gb;
	double sms;
	double budget;     /* roubles per month */
	char phone[16];    /* "+7XXXXXXXXXX" or "" */
	char account[32];  /* digits of a personal account / contract number, or "" */
};

/* The analysis of one message. Owns every string it points to; free with
 * text_analysis_free. */
struct text_analysis {
	char *norm;                  /* whole text normalised and repaired, tokens joined by spaces */
	struct text_token *tokens;
	size_t n_tokens;
	struct text_entities ent;
	const char *lang;            /* "ru" or "en" (static string), or NULL if no letters */
	int n_letters;               /* letters in the original message */
	int n_upper;                 /* upper-case letters in the original message */
	int n_exclaim;               /* '!' in the original message */
	int n_layout, n_translit, n_typo; /* words repaired each way */
	int n_split;                 /* glued words split into their words */
	int n_lemma;                 /* words read through their dictionary form */
	struct text_arena *arena;    /* storage (private) */
};

/* Analyses at most TEXT_MAX_INPUT bytes of in. opts may be NULL. Returns 0 (the
 * analysis is always filled, even for empty or binary input), or -1 on a NULL ctx. */
int text_analyze(struct text_ctx *ctx, const char *in, size_t len, const struct text_opts *opts,
		 struct text_analysis *out);
void text_analysis_free(struct text_analysis *a);

/* Normalises in the way text_analyze does before tokenising (repairs UTF-8, NFKC, case
 * folding, ё to е, control characters to spaces, whitespace collapsed) and returns a
 * new string the caller frees. Used to normalise reply-set data (lexicons, aliases). */
char *text_normalize(const char *in, size_t len);
/* The same through the general (utf8proc) path only; for tests of the fast path. */
char *text__normalize_slow(const char *in, size_t len);

/* Stems one normalised word: Russian Snowball for Cyrillic, English for Latin, the word
 * itself otherwise. Returns a new string the caller frees. */
char *text_stem(struct text_ctx *ctx, const char *word, size_t len);

/* Maps a word typed on the US QWERTY layout to what the same keys give on the Russian
 * ЙЦУКЕН layout ("ghbdtn" -> "привет"), and back (Russian keys to Latin). Return new
 * strings the caller frees. */
char *text_layout_to_ru(const char *in, size_t len);
char *text_layout_to_en(const char *in, size_t len);
/* Transliterates Latin letters to Cyrillic after the common informal schemes
 * ("podkluchit" -> "подклучит", "ya"/"ja" -> "я", "sch" -> "щ"). Caller frees. */
char *text_translit_to_ru(const char *in, size_t len);

/* Normalises the phone number in s (any common Russian form) to "+7XXXXXXXXXX" in out
 * (>= 13 bytes). Returns 0, or -1 if s is not a Russian phone number. */
int text_phone_normalize(const char *s, char out[16]);

/* 1 if the normalised phrase (one or more words) occurs in the analysed text as word
 * prefixes ("прокуратур" matches "прокуратуру"), looking at both the final and the
 * original forms of the words. */
int text_has_phrase(const struct text_analysis *a, const char *phrase);
/* Sets to 0 the services of e the message says are not wanted ("только звонки",
 * "интернет не нужен", "no calls") and e has no amount for. text_analyze applies it
 * when the message states some quantity; the tariff handler also without one. */
void text_zero_needs(const struct text_analysis *a, struct text_entities *e);

/* A set of phrases, each with a tag from 0 to 63, matched the way text_has_phrase
 * matches one (word prefixes, on the final or the original form of each word) but all
 * in one pass over the text. Built once, then read-only. */
struct text_phrases;

struct text_phrases *text_phrases_new(void);
void text_phrases_free(struct text_phrases *p);
/* Adds a normalised phrase (see text_normalize). Returns 0, or -1 if it has no parts. */
int text_phrases_add(struct text_phrases *p, const char *phrase, unsigned tag);
/* Bits (1 << tag) of the tags whose phrases occur in a. Stops as soon as every bit of
 * want is found (want 0: looks for all). */
uint64_t text_phrases_match(const struct text_phrases *p, const struct text_analysis *a, uint64_t want);
/* Bytes held by p. */
size_t text_phrases_memory(const struct text_phrases *p);

#endif
