/* SQLite's spelling of the store's SQL turned into PostgreSQL's (see sql_pg_translate in
 * store_sql.h). Only what the store's queries use is rewritten; everything else is
 * written in the SQL both engines take. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_sql.h"

static const char OR_IGNORE[] = "INSERT OR IGNORE INTO";

/* Where " RETURNING" starts in sql outside string literals, else its end (trailing
 * blanks and semicolons left out). */
static size_t tail_of(const char *sql)
{
	size_t n = strlen(sql), quote = 0;
	for (size_t i = 0; i < n; i++) {
		if (sql[i] == '\'')
			quote = !quote;
		else if (!quote && strncmp(sql + i, " RETURNING", 10) == 0)
			return i;
	}
	while (n > 0 && (sql[n - 1] == ' ' || sql[n - 1] == ';' || sql[n - 1] == '\n'))
		n--;
	return n;
}

char *sql_pg_translate(const char *sql, int *nparams)
{
	struct buf b = {0};
	int ignore = strncmp(sql, OR_IGNORE, sizeof OR_IGNORE - 1) == 0;
	const char *p = sql;
	if (ignore) {
		buf_puts(&b, "INSERT INTO");
		p += sizeof OR_IGNORE - 1;
	}
	const char *tail = ignore ? sql + tail_of(sql) : NULL;
	int quote = 0, highest = 0;
	for (; *p; p++) {
		if (tail && p == tail) {
			buf_puts(&b, " ON CONFLICT DO NOTHING");
			tail = NULL;
		}
		if (*p == '\'')
			quote = !quote;
		if (quote || *p != '?') {
			buf_append(&b, p, 1);
			continue;
		}
		/* SQLite: ?N is parameter N; a bare ? is one past the highest so far. */
		int n = 0;
		while (isdigit((unsigned char)p[1]))
			n = n * 10 + (*++p - '0');
		if (n == 0)
			n = highest + 1;
		if (n > highest)
			highest = n;
		buf_printf(&b, "$%d", n);
	}
	if (tail)
		buf_puts(&b, " ON CONFLICT DO NOTHING");
	*nparams = highest;
	return buf_steal(&b);
}
