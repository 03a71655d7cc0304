/* deskbot store copy: an existing SQLite store moved, row for row, into another store
 * (a PostgreSQL database, issue #14 item 6). */
#ifndef DESKBOT_STORE_COPY_H
#define DESKBOT_STORE_COPY_H
#include <stddef.h>
#include <stdint.h>

#define STORE_COPY_MAX_TABLES 64

struct store_copy_table {
	char name[64];
	int64_t rows;	/* in the source */
	int64_t copied; /* new at the destination; rows - copied were there already */
};

struct store_copy_report {
	struct store_copy_table tables[STORE_COPY_MAX_TABLES];
	int n;
	int64_t rows, copied;
	int sequences; /* PostgreSQL id sequences moved past the copied ids */
};

/* Copies every table of the SQLite store at from (migrated to the current schema first,
 * as `deskbot run` would) into the store at to (a PostgreSQL URL, or another SQLite
 * file), in one transaction at the destination: all or nothing. A row already at the
 * destination (the same primary or unique key) is kept as it is there, so a second run
 * copies nothing and never undoes what the destination did since. The search index is
 * not copied: the destination rebuilds it from the transcripts at its first search.
 * Refuses a destination that holds a store of its own (another salt, and messages or
 * cases in it): mixing two stores' ids would lose rows. 0, or -1 with err. */
int store_copy(const char *from, const char *to, struct store_copy_report *rep, char *err,
	       size_t errlen);
#endif
