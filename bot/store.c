/* SQLite store (see store.h). Statements are prepared once and cached by their SQL text
 * pointer; every public call resets what it used, so no statement is left mid-step. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "store_int.h"
#include "store_sql.h"
#include "xalloc.h"

#define STMT_CACHE_MIN 256 /* slots at first; the table doubles at half full */
#define DEPTH_CHANNELS 8 /* vk, telegram, max, web, crm, notify and room to spare */

/* Pending outbox rows of one channel, kept in memory so that /healthz and /metrics never
 * count the table (a scan: 120 ms at 520k rows). Counted once at open; every change of
 * a row's pending state adjusts it, inside a transaction into tx_delta first, so that a
 * rollback leaves the count as the database has it. */
struct depth {
	char channel[16];
	int64_t count;
	int64_t tx_delta;
};

/* The open unit of work. There is at most one per store, so it lives inside it. */
struct store_tx {
	struct store *st;
};

struct store {
	struct sql_db *db;
	int in_tx;
	struct store_tx tx;
	int sync_full; /* synchronous=FULL is set (store_begin_unsynced relaxes one commit) */
	int relaxed;   /* synchronous=NORMAL until the open transaction ends */
	char state[128];
	struct depth depth[DEPTH_CHANNELS];
	int n_depth;
	/* Prepared statements by the address of their SQL literal: open addressing, so a
	 * lookup on the per-message path is a probe or two, and it grows, so a new query
	 * never finds it full (a fixed table that filled up aborted the daemon). */
	struct stmt_slot {
		const char *sql;
		struct sql_stmt *stmt;
	} *cache;
	size_t cache_cap, cache_n;
};

/* Migration i takes user_version from i to i + 1. Never edit a released entry: add one. */
static const char *const migrations[] = {
	/* 0 -> 1: the pipeline's tables. */
	"CREATE TABLE inbound ("
	"  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, dedup_key TEXT NOT NULL,"
	"  peer_id INTEGER NOT NULL, user_id INTEGER NOT NULL, message_id INTEGER NOT NULL,"
	"  date INTEGER NOT NULL, text TEXT NOT NULL, payload TEXT, contact_phone TEXT,"
	"  received_at INTEGER NOT NULL, UNIQUE (channel, dedup_key));"
	"CREATE INDEX inbound_peer ON inbound (channel, peer_id, id);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, kind TEXT NOT NULL,"
	"  peer_id INTEGER NOT NULL, inbound_id INTEGER NOT NULL DEFAULT 0,"
	"  reply_to INTEGER NOT NULL DEFAULT 0, text TEXT NOT NULL, keyboard TEXT, extra TEXT,"
	"  replyset_version TEXT, source TEXT, status TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
	"  next_attempt_ms INTEGER NOT NULL, sent_ms INTEGER, channel_msg_id INTEGER,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_pending ON outbox (channel, status, peer_id, id);"
	"CREATE TABLE cursors (channel TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE conversations ("
	"  channel TEXT NOT NULL, peer_id INTEGER NOT NULL, state TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL, PRIMARY KEY (channel, peer_id));"
	"CREATE TABLE peers ("
	"  channel TEXT NOT NULL, peer_id INTEGER NOT NULL, blocked INTEGER NOT NULL,"
	"  reason TEXT, PRIMARY KEY (channel, peer_id));"
	"CREATE TABLE customers ("
	"  channel TEXT NOT NULL, user_id INTEGER NOT NULL, display_name TEXT,"
	"  screen_name TEXT, followers INTEGER NOT NULL DEFAULT -1,"
	"  fetched_at INTEGER NOT NULL, PRIMARY KEY (channel, user_id));"
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY, number TEXT UNIQUE, channel TEXT NOT NULL,"
	"  peer_id INTEGER NOT NULL, user_id INTEGER NOT NULL, status TEXT NOT NULL,"
	"  severity INTEGER NOT NULL DEFAULT 2, category TEXT, assignee TEXT,"
	"  record TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE INDEX cases_queue ON cases (status, severity, created_at);"
	"CREATE INDEX cases_peer ON cases (channel, peer_id, status);"
	"CREATE INDEX cases_user ON cases (channel, user_id);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO meta (key, value) VALUES ('salt', abs(random() % 2147483647));"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
	"  action TEXT NOT NULL, case_id INTEGER, detail TEXT);",
	/* 1 -> 2: the console's timers (store_console.c) and web-chat customers. */
	"CREATE TABLE console_timers ("
	"  case_id INTEGER NOT NULL, kind TEXT NOT NULL, due_at INTEGER NOT NULL,"
	"  active INTEGER NOT NULL DEFAULT 1, fired INTEGER NOT NULL DEFAULT 0,"
	"  armed_at INTEGER NOT NULL, PRIMARY KEY (case_id, kind));"
	"CREATE INDEX console_timers_due ON console_timers (active, due_at);"
	"CREATE TABLE web_peers ("
	"  peer_id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, name TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX audit_case ON audit (case_id, id);",
	/* 2 -> 3: indexes for the queries that run per message or per case. The sender
	 * reads pending rows in id order; a case's transcript reads one chat's rows (found
	 * by the channel benchmark: without it, each new case scanned the whole outbox). */
	"DROP INDEX outbox_pending;"
	"CREATE INDEX outbox_pending ON outbox (channel, status, id);"
	"CREATE INDEX outbox_peer ON outbox (channel, peer_id, created_ms);"
	"CREATE INDEX inbound_peer_time ON inbound (channel, peer_id, received_at);",
	/* 3 -> 4: a case's transcript as rows appended, not an array rewritten inside the
	 * record with every message (the cost of a message grew with its case's length).
	 * The line count and the last line live in columns for the queue. */
	"CREATE TABLE case_lines ("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, at INTEGER NOT NULL,"
	"  who TEXT NOT NULL, text TEXT NOT NULL, operator TEXT);"
	"CREATE INDEX case_lines_case ON case_lines (case_id, id);"
	"INSERT INTO case_lines (case_id, at, who, text, operator) "
	"  SELECT c.id, coalesce(json_extract(t.value, '$.at'), c.created_at),"
	"    coalesce(json_extract(t.value, '$.from'), 'bot'),"
	"    coalesce(json_extract(t.value, '$.text'), ''), json_extract(t.value, '$.operator')"
	"  FROM cases c, json_each(c.record, '$.transcript') t ORDER BY c.id, t.key;"
	"ALTER TABLE cases ADD COLUMN n_lines INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE cases ADD COLUMN last_line_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE cases ADD COLUMN last_line_from TEXT;"
	"UPDATE cases SET record = json_remove(record, '$.transcript'),"
	"  n_lines = (SELECT count(*) FROM case_lines l WHERE l.case_id = cases.id),"
	"  last_line_at = coalesce((SELECT at FROM case_lines l WHERE l.case_id = cases.id"
	"    ORDER BY id DESC LIMIT 1), 0),"
	"  last_line_from = (SELECT who FROM case_lines l WHERE l.case_id = cases.id"
	"    ORDER BY id DESC LIMIT 1);",
	/* 4 -> 5: the console's search and saved views. case_words holds the Snowball
	 * stems of each transcript line (rowid = case_lines.id), so that FTS5 finds a word
	 * in any of its Russian forms; the console fills it from case_lines before each
	 * search (store_case_words_sync), so the per-message path pays nothing for it. */
	"CREATE VIRTUAL TABLE case_words USING fts5(words, case_id UNINDEXED,"
	"  tokenize = 'unicode61 remove_diacritics 0');"
	"CREATE TABLE console_views ("
	"  login TEXT NOT NULL, name TEXT NOT NULL, filter TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, PRIMARY KEY (login, name));",
	/* 5 -> 6: inbound_peer (channel, peer_id, id) answers nothing inbound_peer_time
	 * (channel, peer_id, received_at) does not, and every message paid a page of it per
	 * chat in its commit: with long conversations, a sixth of the WAL (the channel
	 * benchmark's curve). */
	"DROP INDEX IF EXISTS inbound_peer;",
	/* 6 -> 7: the satisfaction question after a resolved case (store_ratings.h): one row
	 * per case asked, the customer's 1..5 once they answer, the secretary it rates. */
	"CREATE TABLE case_ratings ("
	"  case_id INTEGER PRIMARY KEY, channel TEXT NOT NULL, peer_id INTEGER NOT NULL,"
	"  operator TEXT, asked_at INTEGER NOT NULL, rating INTEGER, rated_at INTEGER);"
	"CREATE INDEX case_ratings_rated ON case_ratings (rated_at);",
	/* 7 -> 8: the idea board (store_ideas.h): ideas, and one vote per customer per
	 * idea (the primary key makes a replayed or repeated press count once). */
	"CREATE TABLE ideas ("
	"  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, peer_id INTEGER NOT NULL,"
	"  user_id INTEGER NOT NULL, author TEXT, lang TEXT NOT NULL DEFAULT 'ru',"
	"  what TEXT NOT NULL, why TEXT, status TEXT NOT NULL DEFAULT 'new', unit TEXT,"
	"  merged_into INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE TABLE idea_votes ("
	"  idea_id INTEGER NOT NULL, channel TEXT NOT NULL, user_id INTEGER NOT NULL,"
	"  at INTEGER NOT NULL, PRIMARY KEY (idea_id, channel, user_id)) WITHOUT ROWID;",
	/* 8 -> 9: outbox_pending carries peer_id, so that reading one chat's overflow back
	 * (store_outbox_each_pending_peer) filters the rows it walks past in the index
	 * instead of looking each one up in the table: with few talkative chats that walk
	 * cost a fifth of the CPU (the channel benchmark at 100 chats x 200 messages). */
	("DROP INDEX outbox_pending;"
	 "CREATE INDEX outbox_pending ON outbox (channel, status, id, peer_id);"),
	/* 9 -> 10 (issue #16 item 4): the files customers send (store_files.h), each tied
	 * to its transcript line, with its bytes once fetched through the channel, so the
	 * console serves them itself. */
	"CREATE TABLE case_files ("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, line_id INTEGER NOT NULL,"
	"  channel TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, name TEXT,"
	"  state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
	"  mime TEXT, size INTEGER, data BLOB, error TEXT, created_at INTEGER NOT NULL);"
	"CREATE INDEX case_files_line ON case_files (line_id);"
	"CREATE INDEX case_files_pending ON case_files (state, id);",
	/* 10 -> 11: comments under the community's posts (store_wall.h): what each said, how
	 * the bot read it, the case it opened; edits replace the text, deletes are kept. */
	("CREATE TABLE wall_comments ("
	 "  channel TEXT NOT NULL, owner_id INTEGER NOT NULL, post_id INTEGER NOT NULL,"
	 "  comment_id INTEGER NOT NULL, from_id INTEGER NOT NULL,"
	 "  reply_to_comment INTEGER NOT NULL DEFAULT 0, text TEXT NOT NULL,"
	 "  reading TEXT NOT NULL, case_id INTEGER NOT NULL DEFAULT 0,"
	 "  created_at INTEGER NOT NULL, edited_at INTEGER, deleted_at INTEGER,"
	 "  PRIMARY KEY (channel, owner_id, comment_id));"
	 "CREATE INDEX wall_comments_post ON wall_comments (channel, owner_id, post_id);"),
	/* 11 -> 12 (issue #14 item 2): who works what when several instances share one
	 * store (store_lease.h): one row per channel (and per single-holder job), its holder
	 * and when the holder's lease runs out. */
	("CREATE TABLE leases ("
	 "  name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms INTEGER NOT NULL,"
	 "  acquired_ms INTEGER NOT NULL);"),
	/* 12 -> 13 (issue #14 item 4): the console's sessions (store_sessions.h), so that a
	 * restart or another instance keeps a secretary logged in. The token is kept as its
	 * SHA-256 only. */
	("CREATE TABLE console_sessions ("
	 "  token_sha TEXT PRIMARY KEY, csrf TEXT NOT NULL, login TEXT NOT NULL,"
	 "  role TEXT NOT NULL, created_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,"
	 "  expires_ms INTEGER NOT NULL);"),
	/* 13 -> 14 (issue #14 item 4): the console's live-update frames for the other
	 * instances on the same store (store_news.h), kept for minutes. */
	("CREATE TABLE console_news ("
	 "  id INTEGER PRIMARY KEY, origin TEXT NOT NULL, frame TEXT NOT NULL,"
	 "  at_ms INTEGER NOT NULL);"),
	/* 14 -> 15 (issue #9): a customer's line sets last_customer_at in a column instead
	 * of rewriting the record's JSON (store_cases.c, record_of_row). */
	("ALTER TABLE cases ADD COLUMN last_customer_at INTEGER;"
	 "UPDATE cases SET last_customer_at = json_extract(record, '$.last_customer_at');"),
	/* 15 -> 16 (issue #12 item 6): what the bot did not understand (store_misses.h):
	 * one row per inbound message that fell back, was clarified or answered with a low
	 * score, written with the message; and the console's reply-set changes made from
	 * them (the file before and after, for the diff and the undo). */
	("CREATE TABLE misses ("
	 "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, channel TEXT NOT NULL,"
	 "  text TEXT NOT NULL, outcome TEXT NOT NULL, intent TEXT, score_milli INTEGER NOT NULL,"
	 "  replyset_version TEXT, change_id INTEGER NOT NULL DEFAULT 0);"
	 "CREATE INDEX misses_at ON misses (at);"
	 "CREATE TABLE miss_changes ("
	 "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
	 "  action TEXT NOT NULL, intent TEXT NOT NULL, file TEXT NOT NULL, before TEXT,"
	 "  after TEXT NOT NULL, after_sha TEXT NOT NULL, diff TEXT NOT NULL,"
	 "  undone_at INTEGER NOT NULL DEFAULT 0);"),
	/* 16 -> 17 (issue #9): a transcript line points to the case's line before it, and
	 * the case to its last line and last customer line, instead of an index on
	 * (case_id, id). That index kept each case's lines on a leaf of their own, so a
	 * commit of 100 messages from 100 chats with open cases wrote ~60 more pages (17.5
	 * against 12.7 KB written per message); appended rows touch only the table's last
	 * leaf. Operator lines keep a partial index for the console's reply-time figures. */
	("ALTER TABLE case_lines ADD COLUMN prev_id INTEGER;"
	 "ALTER TABLE cases ADD COLUMN last_line_id INTEGER;"
	 "ALTER TABLE cases ADD COLUMN last_customer_line_id INTEGER;"
	 CASE_LINES_CHAIN_BACKFILL),
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

const char *store__migration(int v)
{
	return v >= 0 && v < N_MIGRATIONS ? migrations[v] : NULL;
}

/* Records a failure for /healthz. A write past the file-size limit (ulimit -f: EFBIG,
 * SIGXFSZ being ignored) is reported like a full disk, which is what it is to us. */
static int is_efbig(struct store *st, int sys_errno)
{
	/* SQLite keeps no errno for a failed write (sqlite3_system_errno is 0 by then), but
	 * the C errno right after the failing call is still the write's. */
	return sql_error_is_full(st->db) && sys_errno == EFBIG;
}

static void set_state_errno(struct store *st, const char *what, int sys_errno)
{
	if (is_efbig(st, sys_errno))
		snprintf(st->state, sizeof st->state,
			 "%s: file size limit reached (EFBIG, as if the disk were full)", what);
	else
		snprintf(st->state, sizeof st->state, "%s: %s", what, sql_errmsg(st->db));
	log_error("store: %s", st->state);
}

static void set_state(struct store *st, const char *what)
{
	set_state_errno(st, what, 0);
}

/* A write reached the database: whatever failed before (a full disk) is over. */
static void write_ok(struct store *st)
{
	if (strcmp(st->state, "ok") != 0) {
		log_info("store: writes succeed again (was: %s)", st->state);
		snprintf(st->state, sizeof st->state, "ok");
	}
}

/* Returns the cached statement for sql (a string literal: cached by pointer). */
static size_t slot_of(const struct stmt_slot *slots, size_t cap, const char *sql)
{
	size_t i = (size_t)(((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull) & (cap - 1);
	while (slots[i].sql && slots[i].sql != sql)
		i = (i + 1) & (cap - 1);
	return i;
}

static void cache_grow(struct store *st)
{
	size_t cap = st->cache_cap ? st->cache_cap * 2 : STMT_CACHE_MIN;
	struct stmt_slot *slots = xcalloc(cap, sizeof *slots);
	for (size_t i = 0; i < st->cache_cap; i++)
		if (st->cache[i].sql)
			slots[slot_of(slots, cap, st->cache[i].sql)] = st->cache[i];
	free(st->cache);
	st->cache = slots;
	st->cache_cap = cap;
}

struct sql_stmt *store__prep(struct store *st, const char *sql)
{
	if (st->cache_n * 2 >= st->cache_cap)
		cache_grow(st);
	struct stmt_slot *slot = &st->cache[slot_of(st->cache, st->cache_cap, sql)];
	if (slot->sql) {
		sql_reset(slot->stmt);
		sql_clear_bindings(slot->stmt);
		return slot->stmt;
	}
	struct sql_stmt *stmt = sql_prepare(st->db, sql);
	if (!stmt) {
		set_state(st, "prepare");
		return NULL;
	}
	slot->sql = sql;
	slot->stmt = stmt;
	st->cache_n++;
	return stmt;
}

#define prep store__prep

struct sql_db *store__db(struct store *st)
{
	return st->db;
}

/* Records the failure of exec or begin for /healthz. */
static int exec_failed(struct store *st)
{
	const char *msg = sql_errmsg(st->db);
	if (is_efbig(st, errno))
		snprintf(st->state, sizeof st->state,
			 "%s (file size limit reached: EFBIG, as if the disk were full)", msg);
	else
		snprintf(st->state, sizeof st->state, "%s", msg);
	log_error("store: %s", st->state);
	return -1;
}

const char *store__pick(struct store *st, const char *sqlite_sql, const char *pg_sql)
{
	return sql_backend(st->db) == SQL_PG ? pg_sql : sqlite_sql;
}

struct sqlite3 *store__sqlite(struct store *st)
{
	return sql_sqlite_handle(st->db);
}

static int exec(struct store *st, const char *sql)
{
	errno = 0;
	return sql_exec(st->db, sql) < 0 ? exec_failed(st) : 0;
}

static int exec_begin(struct store *st)
{
	errno = 0;
	return sql_begin(st->db) < 0 ? exec_failed(st) : 0;
}

/* Steps a write statement to completion. */
static int step_done(struct store *st, struct sql_stmt *s, const char *what)
{
	errno = 0;
	int rc = sql_step(s);
	int sys_errno = errno; /* see is_efbig */
	sql_reset(s);
	if (rc != SQL_DONE) {
		set_state_errno(st, what, sys_errno);
		return -1;
	}
	return 0; /* every write is in a unit: its commit clears a failure (write_ok) */
}

int store__step_done(struct store *st, struct sql_stmt *s, const char *what)
{
	return step_done(st, s, what);
}

int store__write_unit(struct store *st, struct sql_stmt *s, const char *what)
{
	struct store_tx *tx = store_begin(st);
	if (!tx)
		return -1;
	if (step_done(st, s, what) < 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx);
}

static void bind_text(struct sql_stmt *s, int i, const char *v)
{
	if (v)
		sql_bind_text(s, i, v);
	else
		sql_bind_null(s, i);
}

static char *col_text(struct sql_stmt *s, int i)
{
	const char *t = sql_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

/* One integer from a statement run once (PRAGMAs at open: not worth a cache slot). */
static int64_t scalar_once(struct store *st, const char *sql)
{
	int64_t v = -1;
	struct sql_stmt *s = sql_prepare(st->db, sql);
	if (!s)
		return -1;
	if (sql_step(s) == SQL_ROW)
		v = sql_column_int64(s, 0);
	sql_finalize(s);
	return v;
}

/* The schema version: SQLite's user_version; on PostgreSQL a one-row table of its own,
 * since the schema has no such number. 0 for an empty database. -1 for a PostgreSQL
 * schema that holds tables but is not deskbot's (a wrong URL: refused, never migrated
 * into); SQLite's counterpart, a file that is not a database, fails its PRAGMAs. */
static int schema_version(struct store *st)
{
	if (sql_backend(st->db) == SQL_SQLITE)
		return (int)scalar_once(st, "PRAGMA user_version");
	if (scalar_once(st, "SELECT to_regclass('deskbot_schema') IS NOT NULL") == 1)
		return (int)scalar_once(st, "SELECT coalesce(max(version), 0) FROM deskbot_schema");
	return scalar_once(st, "SELECT count(*) FROM information_schema.tables "
			       "WHERE table_schema = current_schema()") > 0
		       ? -1
		       : 0;
}

static int set_schema_version(struct store *st, int v)
{
	char sql[160];
	if (sql_backend(st->db) == SQL_SQLITE)
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
	else
		snprintf(sql, sizeof sql,
			 "CREATE TABLE IF NOT EXISTS deskbot_schema (version INTEGER NOT NULL);"
			 "DELETE FROM deskbot_schema; INSERT INTO deskbot_schema VALUES (%d)",
			 v);
	return exec(st, sql);
}

/* Migration v of this store's backend (the same version numbers on both). */
static const char *migration_of(struct store *st, int v)
{
	return sql_backend(st->db) == SQL_SQLITE ? store__migration(v) : store__pg_migration(v);
}

static int migrate(struct store *st, const char *where, char *err, size_t errlen)
{
	if (!store__pg_migration(N_MIGRATIONS - 1) || store__pg_migration(N_MIGRATIONS)) {
		snprintf(err, errlen, "store: the PostgreSQL migrations do not match SQLite's "
				      "(a bug: every version needs both)");
		return -1;
	}
	int version = schema_version(st);
	if (version < 0) {
		snprintf(err, errlen,
			 "store: %s holds tables but is not a deskbot store; refusing to use it",
			 sql_backend(st->db) == SQL_SQLITE ? where : "the database");
		return -1;
	}
	if (version > N_MIGRATIONS) {
		snprintf(err, errlen,
			 "store: schema version %d is newer than this deskbot knows (%d); "
			 "refusing to open it",
			 version, N_MIGRATIONS);
		return -1;
	}
	for (int v = version; v < N_MIGRATIONS; v++) {
		if (exec_begin(st) < 0 || exec(st, migration_of(st, v)) < 0 ||
		    set_schema_version(st, v + 1) < 0 || exec(st, "COMMIT") < 0) {
			snprintf(err, errlen, "store: migration to version %d failed: %s", v + 1,
				 st->state);
			exec(st, "ROLLBACK");
			return -1;
		}
		log_info("store: migrated schema to version %d", v + 1);
	}
	return 0;
}

/* Several instances started at once on a new PostgreSQL database would each migrate it
 * (and all but one fail on the objects another just made): there the migrations run
 * under an advisory lock of the store's schema, so the others wait and find the schema
 * current. */
static int migrate_once(struct store *st, const char *where, char *err, size_t errlen)
{
	if (sql_backend(st->db) == SQL_SQLITE)
		return migrate(st, where, err, errlen); /* SQLite's own file lock serialises */
	if (scalar_once(st, "SELECT 1 FROM pg_advisory_lock(7221, hashtext(current_schema()))") !=
	    1) {
		snprintf(err, errlen, "store: cannot lock the schema for its migrations: %s",
			 sql_errmsg(st->db));
		return -1;
	}
	int rc = migrate(st, where, err, errlen);
	scalar_once(st, "SELECT pg_advisory_unlock(7221, hashtext(current_schema()))::int");
	return rc;
}

/* The pending-row counter of channel, created on first use. NULL only when more
 * channels than DEPTH_CHANNELS exist (a programming error, logged). */
static struct depth *depth_of(struct store *st, const char *channel)
{
	for (int i = 0; i < st->n_depth; i++)
		if (strcmp(st->depth[i].channel, channel) == 0)
			return &st->depth[i];
	if (st->n_depth == DEPTH_CHANNELS || strlen(channel) >= sizeof st->depth[0].channel) {
		log_error("store: no outbox counter for channel %s; raise DEPTH_CHANNELS", channel);
		return NULL;
	}
	struct depth *d = &st->depth[st->n_depth++];
	*d = (struct depth){0};
	snprintf(d->channel, sizeof d->channel, "%s", channel);
	return d;
}

/* One more (delta 1) or one fewer (-1) pending row of channel. */
static void depth_add(struct store *st, const char *channel, int64_t delta)
{
	struct depth *d = channel ? depth_of(st, channel) : NULL;
	if (!d)
		return;
	d->tx_delta += delta; /* every write is in a unit: settled at its end */
}

/* At commit the transaction's changes become the count; at rollback they vanish. */
static void depth_settle(struct store *st, int committed)
{
	for (int i = 0; i < st->n_depth; i++) {
		if (committed)
			st->depth[i].count += st->depth[i].tx_delta;
		st->depth[i].tx_delta = 0;
	}
}

/* The one count of the outbox: at open, from the index (channel, status, id). */
static int depth_load(struct store *st)
{
	struct sql_stmt *s;
	s = sql_prepare(st->db, "SELECT channel, count(*) FROM outbox WHERE status = 'pending' "
				"GROUP BY channel");
	if (!s)
		return -1;
	int rc;
	while ((rc = sql_step(s)) == SQL_ROW) {
		struct depth *d = depth_of(st, (const char *)sql_column_text(s, 0));
		if (d)
			d->count = sql_column_int64(s, 1);
	}
	sql_finalize(s);
	return rc == SQL_DONE ? 0 : -1;
}

/* A store that fails quick_check is refused: serving from it would lose or garble
 * messages later, in the middle of a batch, with "store":"ok" shown until then. The
 * check reads every page once (about a second per GB), only at start-up. */
static int check_integrity(struct store *st, const char *path, char *err, size_t errlen)
{
	struct sql_stmt *s;
	if (!(s = sql_prepare(st->db, "PRAGMA quick_check"))) {
		snprintf(err, errlen, "store: %s is damaged or not a database: %s", path,
			 sql_errmsg(st->db));
		return -1;
	}
	int rc = sql_step(s);
	const char *first = rc == SQL_ROW ? (const char *)sql_column_text(s, 0) : NULL;
	int ok = first && strcmp(first, "ok") == 0;
	if (!ok)
		snprintf(err, errlen,
			 "store: %s fails PRAGMA quick_check (%s); refusing to start on a damaged "
			 "store: restore a backup, or recover it with sqlite3 .recover",
			 path, first ? first : sql_errmsg(st->db));
	sql_finalize(s);
	return ok ? 0 : -1;
}

/* Retention frees pages; incremental auto-vacuum gives them back to the file system a
 * few at a time (store_retention.c) instead of one long VACUUM. The mode must be chosen
 * before the first table exists: a new store gets it from the start; a store made by an
 * older deskbot is converted once, here, with one VACUUM before the loop runs (logged
 * with its duration). A failed conversion (no room for the copy) is a warning only:
 * deleted rows' pages are reused by SQLite either way. */
static void use_incremental_vacuum(struct store *st, const char *path)
{
	/* Set by store_open before journal_mode=WAL, which writes the first page. */
	if (scalar_once(st, "PRAGMA auto_vacuum") == 2)
		return;
	int64_t t0 = clock_now_ms();
	log_info("store: converting %s to incremental auto-vacuum (one VACUUM, once)", path);
	if (exec(st, "VACUUM") < 0) {
		log_warn("store: conversion of %s to incremental auto-vacuum failed; retention "
			 "still frees rows, the file just does not shrink", path);
		snprintf(st->state, sizeof st->state, "ok");
		return;
	}
	log_info("store: converted in %lld ms", (long long)(clock_now_ms() - t0));
}

/* SQLite's settings and checks before the schema is read. */
static int sqlite_setup(struct store *st, const char *path, char *err, size_t errlen)
{
	/* First of all: on a new file this is what makes it incremental (a no-op on an old
	 * one, see use_incremental_vacuum). */
	exec(st, "PRAGMA auto_vacuum = INCREMENTAL");
	/* A file that is not a database fails here, not later in the middle of a batch.
	 * synchronous=FULL: a commit is on the disk before the channel's cursor is confirmed
	 * to VK or Telegram (see store_set_synchronous for the measured cost). */
	if (exec(st, "PRAGMA journal_mode=WAL") < 0 || exec(st, "PRAGMA synchronous=FULL") < 0 ||
	    exec(st, "PRAGMA foreign_keys=ON") < 0) {
		snprintf(err, errlen, "store: cannot use %s: %s", path, st->state);
		return -1;
	}
	if (check_integrity(st, path, err, errlen) < 0)
		return -1;
	use_incremental_vacuum(st, path);
	return 0;
}

int store_open(const char *where, struct store **out, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof *st);
	snprintf(st->state, sizeof st->state, "ok");
	st->sync_full = 1; /* SQLite: synchronous=FULL; PostgreSQL: synchronous_commit=on */
	if (sql_open(where, &st->db, err, errlen) < 0)
		goto fail;
	if (sql_backend(st->db) == SQL_SQLITE && sqlite_setup(st, where, err, errlen) < 0)
		goto fail;
	if (migrate_once(st, where, err, errlen) < 0)
		goto fail;
	if (depth_load(st) < 0) {
		snprintf(err, errlen, "store: cannot count the outbox: %s", sql_errmsg(st->db));
		goto fail;
	}
	*out = st;
	return 0;
fail:
	sql_close(st->db);
	free(st);
	return -1;
}

static int is_pg(const struct store *st)
{
	return sql_backend(st->db) == SQL_PG;
}

static void restore_sync(struct store *st)
{
	/* PostgreSQL's SET LOCAL ended with the transaction. */
	if (st->relaxed && (is_pg(st) || exec(st, "PRAGMA synchronous=FULL") == 0))
		st->relaxed = 0;
}

int store_set_synchronous(struct store *st, int full)
{
	st->sync_full = full;
	if (is_pg(st))
		return exec(st, full ? "SET synchronous_commit TO on"
				     : "SET synchronous_commit TO off");
	return exec(st, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_tx) {
		/* Only its owner commits a unit of work; one left open is lost work. */
		log_error("store: closed with a transaction open: a bug; rolled back");
		store_rollback(&st->tx);
	}
	for (size_t i = 0; i < st->cache_cap; i++)
		if (st->cache[i].stmt)
			sql_finalize(st->cache[i].stmt);
	free(st->cache);
	sql_close(st->db);
	free(st);
}

const char *store_state(const struct store *st)
{
	if (sql_is_down(st->db))
		return "down: the PostgreSQL connection is lost; reconnecting";
	return st->state;
}

/* Opens the unit of work. Units do not nest: a begin while one is open is a bug of the
 * caller's, refused rather than joined (the open unit would commit the other's work). */
static struct store_tx *begin(struct store *st)
{
	if (st->in_tx) {
		log_error("store: begin while a transaction is open: a bug (units of work do not "
			  "nest)");
		return NULL;
	}
	if (exec_begin(st) < 0)
		return NULL;
	st->in_tx = 1;
	st->tx.st = st;
	return &st->tx;
}

struct store_tx *store_begin(struct store *st)
{
	return begin(st);
}

struct store_tx *store_begin_unsynced(struct store *st)
{
	if (st->in_tx)
		return begin(st); /* refused, logged */
	/* SQLite refuses to change the safety level inside a transaction: it is relaxed
	 * before BEGIN and restored after the COMMIT (store_commit). */
	if (is_pg(st)) {
		struct store_tx *tx = begin(st);
		if (tx && st->sync_full && exec(st, "SET LOCAL synchronous_commit TO off") == 0)
			st->relaxed = 1;
		return tx;
	}
	if (st->sync_full && exec(st, "PRAGMA synchronous=NORMAL") == 0)
		st->relaxed = 1;
	struct store_tx *tx = begin(st);
	if (!tx)
		restore_sync(st);
	return tx;
}

/* The transaction ends: nothing may write through tx until the next begin. */
static void end(struct store *st, int committed)
{
	st->in_tx = 0;
	st->tx.st = NULL;
	depth_settle(st, committed);
	restore_sync(st);
}

int store_commit(struct store_tx *tx)
{
	if (!tx || !tx->st) {
		log_error("store: commit without an open transaction: a bug");
		return -1;
	}
	struct store *st = tx->st;
	if (exec(st, "COMMIT") < 0) {
		char failure[sizeof st->state];
		snprintf(failure, sizeof failure, "%s", st->state);
		exec(st, "ROLLBACK");
		/* The commit's reason is the one worth showing, not the rollback's. */
		snprintf(st->state, sizeof st->state, "%s", failure);
		end(st, 0);
		return -1;
	}
	end(st, 1);
	write_ok(st);
	return 0;
}

void store_rollback(struct store_tx *tx)
{
	if (!tx || !tx->st)
		return;
	struct store *st = tx->st;
	exec(st, "ROLLBACK");
	end(st, 0);
}

struct store *store_tx_store(struct store_tx *tx)
{
	return tx ? tx->st : NULL;
}

struct store *store__writer(struct store_tx *tx, const char *what)
{
	if (!tx || !tx->st) {
		log_error("store: %s outside a transaction: a bug (writes take the unit's tx)",
			  what);
		return NULL;
	}
	return tx->st;
}

int store__in_tx(const struct store *st)
{
	return st->in_tx;
}

int store_inbound_add(struct store_tx *tx, const struct chan_msg *m, int64_t now, int64_t *id)
{
	struct store *st = store__writer(tx, "store_inbound_add");
	if (!st)
		return -1;
	static const char sql[] =
		"INSERT INTO inbound (channel, dedup_key, peer_id, user_id, message_id, date, "
		"text, payload, contact_phone, received_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
		"ON CONFLICT (channel, dedup_key) DO NOTHING";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, m->channel);
	bind_text(s, 2, m->dedup_key);
	sql_bind_int64(s, 3, m->peer_id);
	sql_bind_int64(s, 4, m->user_id);
	sql_bind_int64(s, 5, m->message_id);
	sql_bind_int64(s, 6, m->date);
	bind_text(s, 7, m->text ? m->text : "");
	bind_text(s, 8, m->payload);
	bind_text(s, 9, m->contact_phone);
	sql_bind_int64(s, 10, now);
	if (step_done(st, s, "inbound insert") < 0)
		return -1;
	if (sql_changes(st->db) == 0)
		return 0;
	*id = sql_last_insert_rowid(st->db);
	return 1;
}

int store_cursor_get(struct store *st, const char *channel, char **out)
{
	static const char sql[] = "SELECT value FROM cursors WHERE channel = ?";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, channel);
	*out = NULL;
	int rc = sql_step(s);
	if (rc == SQL_ROW)
		*out = col_text(s, 0);
	sql_reset(s);
	if (rc != SQL_ROW && rc != SQL_DONE) {
		set_state(st, "cursor get");
		return -1;
	}
	return 0;
}

int store_cursor_set(struct store_tx *tx, const char *channel, const char *value)
{
	struct store *st = store__writer(tx, "store_cursor_set");
	if (!st)
		return -1;
	static const char sql[] =
		"INSERT INTO cursors (channel, value) VALUES (?, ?) "
		"ON CONFLICT (channel) DO UPDATE SET value = excluded.value";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, channel);
	bind_text(s, 2, value);
	return step_done(st, s, "cursor set");
}

int store_conv_load(struct store *st, const char *channel, int64_t peer, cJSON **state)
{
	static const char sql[] =
		"SELECT state FROM conversations WHERE channel = ? AND peer_id = ?";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, channel);
	sql_bind_int64(s, 2, peer);
	*state = NULL;
	int rc = sql_step(s);
	if (rc == SQL_ROW) {
		const char *text = (const char *)sql_column_text(s, 0);
		*state = text ? cJSON_Parse(text) : NULL;
		if (*state && !cJSON_IsObject(*state)) {
			cJSON_Delete(*state);
			*state = NULL;
		}
	}
	sql_reset(s);
	if (rc != SQL_ROW && rc != SQL_DONE) {
		set_state(st, "conversation load");
		return -1;
	}
	if (!*state)
		*state = cJSON_CreateObject();
	return 0;
}

int store_conv_save(struct store_tx *tx, const char *channel, int64_t peer, const cJSON *state,
		    int64_t now)
{
	struct store *st = store__writer(tx, "store_conv_save");
	if (!st)
		return -1;
	static const char sql[] =
		"INSERT INTO conversations (channel, peer_id, state, updated_at) VALUES (?,?,?,?) "
		"ON CONFLICT (channel, peer_id) DO UPDATE SET state = excluded.state, "
		"updated_at = excluded.updated_at";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	char *text = cJSON_PrintUnformatted(state);
	bind_text(s, 1, channel);
	sql_bind_int64(s, 2, peer);
	bind_text(s, 3, text ? text : "{}");
	sql_bind_int64(s, 4, now);
	free(text);
	return step_done(st, s, "conversation save");
}

void outbox_row_free(struct outbox_row *r)
{
	if (!r)
		return;
	free(r->channel);
	free(r->kind);
	free(r->text);
	free(r->keyboard);
	free(r->extra);
	free(r->replyset_version);
	free(r->source);
	free(r->file_data);
	free(r->handle);
	*r = (struct outbox_row){0};
}

int store_outbox_add(struct store_tx *tx, struct outbox_row *r)
{
	struct store *st = store__writer(tx, "store_outbox_add");
	if (!st)
		return -1;
	static const char sql[] =
		"INSERT INTO outbox (channel, kind, peer_id, inbound_id, reply_to, text, keyboard, "
		"extra, replyset_version, source, created_ms, next_attempt_ms) "
		"VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, r->channel);
	bind_text(s, 2, r->kind ? r->kind : "message");
	sql_bind_int64(s, 3, r->peer_id);
	sql_bind_int64(s, 4, r->inbound_id);
	sql_bind_int64(s, 5, r->reply_to);
	bind_text(s, 6, r->text ? r->text : "");
	bind_text(s, 7, r->keyboard);
	bind_text(s, 8, r->extra);
	bind_text(s, 9, r->replyset_version);
	bind_text(s, 10, r->source);
	sql_bind_int64(s, 11, r->created_ms);
	sql_bind_int64(s, 12, r->next_attempt_ms ? r->next_attempt_ms : r->created_ms);
	if (step_done(st, s, "outbox insert") < 0)
		return -1;
	r->id = sql_last_insert_rowid(st->db);
	depth_add(st, r->channel, 1);
	return 0;
}

/* Steps an UPDATE ... WHERE status = 'pending' RETURNING channel: a row that leaves the
 * pending state takes one off its channel's count (marking a row twice changes nothing). */
static int step_finish(struct store *st, struct sql_stmt *s, const char *what)
{
	errno = 0;
	int rc = sql_step(s);
	if (rc == SQL_ROW) {
		const char *channel = (const char *)sql_column_text(s, 0);
		if (channel)
			depth_add(st, channel, -1);
		rc = sql_step(s);
	}
	int sys_errno = errno;
	sql_reset(s);
	if (rc != SQL_DONE) {
		set_state_errno(st, what, sys_errno);
		return -1;
	}
	return 0; /* every write is in a unit: its commit clears a failure (write_ok) */
}

int store_outbox_mark_sent(struct store_tx *tx, int64_t id, int64_t channel_msg_id, int64_t now_ms)
{
	struct store *st = store__writer(tx, "store_outbox_mark_sent");
	if (!st)
		return -1;
	static const char sql[] =
		"UPDATE outbox SET status = 'sent', sent_ms = ?, channel_msg_id = ?, "
		"attempts = attempts + 1 WHERE id = ? AND status = 'pending' RETURNING channel";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	sql_bind_int64(s, 1, now_ms);
	sql_bind_int64(s, 2, channel_msg_id);
	sql_bind_int64(s, 3, id);
	return step_finish(st, s, "outbox mark sent");
}

int store_outbox_mark_retry(struct store_tx *tx, int64_t id, int64_t next_ms, const char *error)
{
	struct store *st = store__writer(tx, "store_outbox_mark_retry");
	if (!st)
		return -1;
	static const char sql[] =
		"UPDATE outbox SET next_attempt_ms = ?, last_error = ?, attempts = attempts + 1 "
		"WHERE id = ?";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	sql_bind_int64(s, 1, next_ms);
	bind_text(s, 2, error);
	sql_bind_int64(s, 3, id);
	return step_done(st, s, "outbox mark retry");
}

int store_outbox_mark_failed(struct store_tx *tx, int64_t id, const char *reason, int64_t now_ms)
{
	struct store *st = store__writer(tx, "store_outbox_mark_failed");
	if (!st)
		return -1;
	static const char sql[] =
		"UPDATE outbox SET status = 'failed', last_error = ?, sent_ms = ?, "
		"attempts = attempts + 1 WHERE id = ? AND status = 'pending' RETURNING channel";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, reason);
	sql_bind_int64(s, 2, now_ms);
	sql_bind_int64(s, 3, id);
	return step_finish(st, s, "outbox mark failed");
}

/* Creation time of channel's first pending row in queue order: one index seek. */
static int64_t oldest_pending(struct store *st, const char *channel)
{
	static const char sql[] =
		"SELECT created_ms FROM outbox WHERE channel = ? AND status = 'pending' "
		"ORDER BY id LIMIT 1";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return 0;
	bind_text(s, 1, channel);
	int64_t v = sql_step(s) == SQL_ROW ? sql_column_int64(s, 0) : 0;
	sql_reset(s);
	return v;
}

int store_outbox_depth(struct store *st, const char *channel, int64_t *count, int64_t *oldest_ms)
{
	*count = 0;
	*oldest_ms = 0;
	for (int i = 0; i < st->n_depth; i++) {
		const struct depth *d = &st->depth[i];
		int64_t n = d->count + d->tx_delta;
		if ((channel && strcmp(d->channel, channel) != 0) || n <= 0)
			continue;
		*count += n;
		int64_t t = oldest_pending(st, d->channel);
		if (t && (!*oldest_ms || t < *oldest_ms))
			*oldest_ms = t;
	}
	return 0;
}

int store_peer_set_blocked(struct store_tx *tx, const char *channel, int64_t peer, int blocked,
			   const char *reason)
{
	struct store *st = store__writer(tx, "store_peer_set_blocked");
	if (!st)
		return -1;
	static const char sql[] =
		"INSERT INTO peers (channel, peer_id, blocked, reason) VALUES (?,?,?,?) "
		"ON CONFLICT (channel, peer_id) DO UPDATE SET blocked = excluded.blocked, "
		"reason = excluded.reason";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, channel);
	sql_bind_int64(s, 2, peer);
	sql_bind_int(s, 3, blocked);
	bind_text(s, 4, reason);
	return step_done(st, s, "peer blocked");
}

void customer_free(struct customer *c)
{
	if (!c)
		return;
	free(c->display_name);
	free(c->screen_name);
	*c = (struct customer){0};
}

int store_customer_get(struct store *st, const char *channel, int64_t user, struct customer *out)
{
	static const char sql[] =
		"SELECT display_name, screen_name, followers, fetched_at FROM customers "
		"WHERE channel = ? AND user_id = ?";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, channel);
	sql_bind_int64(s, 2, user);
	int rc = sql_step(s);
	int found = rc == SQL_ROW;
	if (found) {
		out->display_name = col_text(s, 0);
		out->screen_name = col_text(s, 1);
		out->followers = sql_column_int64(s, 2);
		out->fetched_at = sql_column_int64(s, 3);
	}
	sql_reset(s);
	if (!found && rc != SQL_DONE) {
		set_state(st, "customer get");
		return -1;
	}
	return found;
}

int store_customer_put(struct store_tx *tx, const char *channel, int64_t user,
		       const struct customer *c, int64_t now)
{
	struct store *st = store__writer(tx, "store_customer_put");
	if (!st)
		return -1;
	static const char sql[] =
		"INSERT INTO customers (channel, user_id, display_name, screen_name, followers, "
		"fetched_at) VALUES (?,?,?,?,?,?) ON CONFLICT (channel, user_id) DO UPDATE SET "
		"display_name = excluded.display_name, screen_name = excluded.screen_name, "
		"followers = excluded.followers, fetched_at = excluded.fetched_at";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, channel);
	sql_bind_int64(s, 2, user);
	bind_text(s, 3, c->display_name);
	bind_text(s, 4, c->screen_name);
	sql_bind_int64(s, 5, c->followers);
	sql_bind_int64(s, 6, now);
	return step_done(st, s, "customer put");
}

int64_t store__scalar(struct store *st, const char *sql)
{
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	int64_t v = -1;
	if (sql_step(s) == SQL_ROW)
		v = sql_column_int64(s, 0);
	sql_reset(s);
	return v;
}

int store__outbox_rows(struct sql_stmt *s, const char *channel,
		       void (*fn)(void *arg, struct outbox_row *row), void *arg)
{
	int rc, n = 0;
	while ((rc = sql_step(s)) == SQL_ROW) {
		n++;
		struct outbox_row r = {0};
		r.id = sql_column_int64(s, 0);
		r.channel = xstrdup(channel);
		r.kind = col_text(s, 1);
		r.peer_id = sql_column_int64(s, 2);
		r.inbound_id = sql_column_int64(s, 3);
		r.reply_to = sql_column_int64(s, 4);
		r.text = col_text(s, 5);
		r.keyboard = col_text(s, 6);
		r.extra = col_text(s, 7);
		r.replyset_version = col_text(s, 8);
		r.source = col_text(s, 9);
		r.attempts = sql_column_int(s, 10);
		r.created_ms = sql_column_int64(s, 11);
		r.next_attempt_ms = sql_column_int64(s, 12);
		fn(arg, &r);
		outbox_row_free(&r);
	}
	sql_reset(s);
	return rc == SQL_DONE ? n : -1;
}

int store_outbox_each_pending(struct store *st, const char *channel, int64_t after_id,
			      int limit, void (*fn)(void *arg, struct outbox_row *row), void *arg)
{
	static const char sql[] =
		"SELECT id, kind, peer_id, inbound_id, reply_to, text, keyboard, extra, "
		"replyset_version, source, attempts, created_ms, next_attempt_ms FROM outbox "
		"WHERE channel = ? AND status = 'pending' AND id > ? ORDER BY id LIMIT ?";
	struct sql_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, channel);
	sql_bind_int64(s, 2, after_id);
	sql_bind_int(s, 3, limit);
	int n = store__outbox_rows(s, channel, fn, arg);
	if (n < 0)
		set_state(st, "outbox load");
	return n;
}

int64_t store_salt(struct store *st)
{
	return store__scalar(st, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'salt'");
}
