/* Spreadsheet-safe CSV cells, for the exports (cases, ideas). */
#ifndef DESKBOT_CSV_H
#define DESKBOT_CSV_H

#include <stdint.h>

struct buf;

/* The UTF-8 byte order mark: a Russian spreadsheet reads a file as UTF-8 only with it. */
#define CSV_BOM "\xEF\xBB\xBF"

/* Appends s as one quoted cell. A formula-like cell (=, +, -, @, tab, CR first) gets a
 * leading single quote (OWASP "CSV injection"): the spreadsheet then shows the text
 * instead of evaluating it. Customers write these cells' text. NULL is an empty cell. */
void csv_cell(struct buf *b, const char *s);
/* Appends unix time t on the configured clock (utc_offset_s: the reply set's
 * utc_offset_minutes, not TZ) as "dd.mm.yyyy hh:mm", which a Russian spreadsheet reads
 * as a date; nothing for 0 (not set). */
void csv_time(struct buf *b, double t, int64_t utc_offset_s);

#endif
