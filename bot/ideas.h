/* The ideas service: every write of the idea board, in the caller's unit of work.
 * The pipeline hands it what the idea handler decided (a collected idea, a vote, the
 * top list asked for) and it stores that and fills {idea} and {ideas} in the replies;
 * the console's ideas page asks it to merge, route and change a status, each change
 * with its audit row, and a status change with a notice to the author (an approved
 * template, idea_status_<status>, as an outbox row the caller hands to the outbox
 * after its commit). */
#ifndef DESKBOT_IDEAS_H
#define DESKBOT_IDEAS_H
#include <cjson/cJSON.h>
#include <stdint.h>

#include "dialog_result.h"
#include "outbox_row.h"

struct idea;
struct replyset;
struct store;
struct store_tx;

/* How many ideas customers are shown. */
#define IDEAS_TOP 5

/* Does what res->idea_op asks for m's customer in tx and fills the replies'
 * placeholders. 0, or negative when the store failed. */
int ideas_after(struct store_tx *tx, struct store *st, const struct replyset *rs,
		const struct chan_msg *m, struct dialog_result *res, int64_t now);

/* The console's changes, by actor (a login), each with an audit row. 1 changed, 0
 * refused (no such idea, nothing to change, a unit or status not known), negative when
 * the store failed. */
/* On 1, *notice holds the author's notice already stored in tx (kind "message"); the
 * caller enqueues it after the commit, or frees it. It stays zeroed when the reply set
 * has no template for the status. */
int ideas_set_status(struct store_tx *tx, struct store *st, const struct replyset *rs,
		     int64_t id, const char *status, const char *actor, int64_t now,
		     struct outbox_row *notice);
/* unit must be one of the reply set's idea_units (settings.json); NULL or "" unroutes. */
int ideas_route(struct store_tx *tx, const struct replyset *rs, int64_t id, const char *unit,
		const char *actor, int64_t now);
int ideas_merge(struct store_tx *tx, int64_t from, int64_t into, const char *actor,
		int64_t now);

/* An idea as the console and the JSON export show it; caller frees. */
cJSON *idea_json(const struct idea *i);

/* Every idea, most votes first, appended to out: a JSON array of idea_json objects, or
 * CSV (UTF-8 BOM, a header line, cells separated by sep, times on the clock utc_offset_s
 * ahead of UTC, csv.h) like the cases' export (bot/ideas_export.c). 0, or negative when
 * the store failed. */
struct buf;
int ideas_export(struct store *st, int csv, char sep, int64_t utc_offset_s, struct buf *out);

#endif
