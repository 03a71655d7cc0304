/* CSV cells (see csv.h). */
#include "csv.h"

#include <string.h>
#include <time.h>

#include "buf.h"

static int formula_like(const char *s)
{
	return s && *s && strchr("=+-@\t\r", *s) != NULL;
}

void csv_cell(struct buf *b, const char *s)
{
	buf_puts(b, "\"");
	if (formula_like(s))
		buf_puts(b, "'");
	for (; s && *s; s++) {
		if (*s == '"')
			buf_puts(b, "\"");
		buf_append(b, s, 1);
	}
	buf_puts(b, "\"");
}

void csv_time(struct buf *b, double t, int64_t utc_offset_s)
{
	if (t <= 0)
		return;
	time_t tt = (time_t)t + (time_t)utc_offset_s;
	struct tm tm;
	char out[32];
	if (gmtime_r(&tt, &tm) && strftime(out, sizeof out, "%d.%m.%Y %H:%M", &tm))
		buf_puts(b, out);
}
