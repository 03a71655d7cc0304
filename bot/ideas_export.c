/* The idea board written out (see ideas_export in ideas.h). */
#include "ideas.h"

#include <inttypes.h>
#include <stdlib.h>

#include "buf.h"
#include "csv.h"
#include "store_ideas.h"

/* Every idea there is: the export is the whole board. */
#define IDEAS_EXPORT_MAX 1000000

struct export_ctx {
	struct buf *out;
	int csv;
	char sep;
	int64_t utc_offset_s; /* the clock of the CSV's times */
	int n;
};

static void export_one(void *arg, const struct idea *i)
{
	struct export_ctx *x = arg;
	if (!x->csv) {
		cJSON *o = idea_json(i);
		char *s = cJSON_PrintUnformatted(o);
		buf_printf(x->out, "%s%s", x->n++ ? ",\n" : "", s);
		free(s);
		cJSON_Delete(o);
		return;
	}
	struct buf *b = x->out;
	buf_printf(b, "%" PRId64 "%c", i->id, x->sep);
	csv_time(b, (double)i->created_at, x->utc_offset_s);
	buf_printf(b, "%c", x->sep);
	csv_time(b, (double)i->updated_at, x->utc_offset_s);
	buf_printf(b, "%c", x->sep);
	csv_cell(b, i->channel);
	buf_printf(b, "%c%" PRId64 "%c", x->sep, i->user_id, x->sep);
	csv_cell(b, i->author);
	buf_printf(b, "%c", x->sep);
	csv_cell(b, i->status);
	buf_printf(b, "%c", x->sep);
	csv_cell(b, i->unit);
	buf_printf(b, "%c%" PRId64 "%c", x->sep, i->votes, x->sep);
	if (i->merged_into)
		buf_printf(b, "%" PRId64, i->merged_into);
	buf_printf(b, "%c", x->sep);
	csv_cell(b, i->what);
	buf_printf(b, "%c", x->sep);
	csv_cell(b, i->why);
	buf_puts(b, "\n");
}

int ideas_export(struct store *st, int csv, char sep, int64_t utc_offset_s, struct buf *out)
{
	struct export_ctx x = {.out = out, .csv = csv, .sep = sep, .utc_offset_s = utc_offset_s};
	if (csv) {
		static const char *const head[] = {"id", "created_at", "updated_at", "channel",
			"user_id", "author", "status", "unit", "votes", "merged_into", "what", "why"};
		buf_puts(out, CSV_BOM);
		for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
			buf_printf(out, "%s%s", i ? (char[]){sep, 0} : "", head[i]);
		buf_puts(out, "\n");
	} else {
		buf_puts(out, "[");
	}
	int result = store_ideas_each(st, 0, IDEAS_EXPORT_MAX, export_one, &x);
	if (!csv)
		buf_puts(out, "]\n");
	return result < 0 ? -1 : 0;
}
