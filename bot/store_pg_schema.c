/* The store's schema in PostgreSQL's SQL: entry v takes a database from version v to
 * v + 1, as store.c's migrations do for SQLite (the same numbers, the same tables and
 * columns). Integers are BIGINT (ids, peer ids and milliseconds pass 2^31); an id that
 * SQLite hands out as the rowid is a BIGSERIAL here. Never edit a released entry. */
#include <stddef.h>

#include "store_int.h"

/* SQLite's functions that the store's queries use, as PostgreSQL functions of the same
 * name and meaning over the same TEXT columns, so that each query is written once:
 * json_extract (a JSON true is 1, as in SQLite; strings unquoted; objects and arrays as
 * JSON text), json_set for the argument lists the store passes, json_each (key, value as
 * json_extract gives it) and sum() of a comparison. Paths are SQLite's '$.a.b'. */
#define SQLITE_COMPAT                                                                      \
	"CREATE FUNCTION deskbot_json_path(p TEXT) RETURNS TEXT[] LANGUAGE sql IMMUTABLE "  \
	"  AS $$ SELECT CASE WHEN p = '$' THEN ARRAY[]::TEXT[] "                            \
	"    ELSE string_to_array(substr(p, 3), '.') END $$;"                               \
	"CREATE FUNCTION deskbot_json_value(v JSONB) RETURNS TEXT LANGUAGE sql IMMUTABLE "  \
	"  AS $$ SELECT CASE jsonb_typeof(v) WHEN 'boolean' THEN "                          \
	"    (CASE WHEN v = 'true'::jsonb THEN '1' ELSE '0' END) "                           \
	"    WHEN 'string' THEN v #>> '{}' WHEN 'number' THEN v #>> '{}' "                  \
	"    WHEN 'null' THEN NULL ELSE v::text END $$;"                                    \
	"CREATE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT LANGUAGE sql "      \
	"  IMMUTABLE AS $$ SELECT deskbot_json_value(doc::jsonb #> deskbot_json_path(path)) $$;" \
	"CREATE FUNCTION deskbot_json_put(doc JSONB, path TEXT, v JSONB) RETURNS JSONB "    \
	"  LANGUAGE sql IMMUTABLE AS $$ SELECT jsonb_set(doc, deskbot_json_path(path), "     \
	"    coalesce(v, 'null'::jsonb), true) $$;"                                         \
	"CREATE FUNCTION json_set(doc TEXT, p1 TEXT, v1 BIGINT, p2 TEXT, v2 BIGINT) "       \
	"  RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$ SELECT deskbot_json_put("              \
	"    deskbot_json_put(doc::jsonb, p1, to_jsonb(v1)), p2, to_jsonb(v2))::text $$;"    \
	"CREATE FUNCTION json_set(doc TEXT, p1 TEXT, v1 TEXT, p2 TEXT, v2 TEXT, p3 TEXT, "  \
	"  v3 BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$ SELECT deskbot_json_put("    \
	"    deskbot_json_put(deskbot_json_put(doc::jsonb, p1, to_jsonb(v1)), p2, "          \
	"    to_jsonb(v2)), p3, to_jsonb(v3))::text $$;"                                    \
	"CREATE FUNCTION json_each(doc TEXT, path TEXT DEFAULT '$') "                       \
	"  RETURNS TABLE (key TEXT, value TEXT) LANGUAGE sql IMMUTABLE AS $$ "               \
	"  SELECT (o - 1)::text, deskbot_json_value(e) FROM jsonb_array_elements("          \
	"    CASE jsonb_typeof(doc::jsonb #> deskbot_json_path(path)) WHEN 'array' "         \
	"    THEN doc::jsonb #> deskbot_json_path(path) ELSE '[]'::jsonb END) "              \
	"    WITH ORDINALITY AS a (e, o) $$;"                                               \
	"CREATE FUNCTION deskbot_count_true(n BIGINT, b BOOLEAN) RETURNS BIGINT "           \
	"  LANGUAGE sql IMMUTABLE AS $$ SELECT n + CASE WHEN b THEN 1 ELSE 0 END $$;"        \
	"CREATE AGGREGATE sum(BOOLEAN) (SFUNC = deskbot_count_true, STYPE = BIGINT, "       \
	"  INITCOND = '0');"

static const char *const pg_migrations[] = {
	/* 0 -> 1: the pipeline's tables, and SQLite's functions (SQLITE_COMPAT). */
	SQLITE_COMPAT
	"CREATE TABLE inbound ("
	"  id BIGSERIAL PRIMARY KEY, channel TEXT NOT NULL, dedup_key TEXT NOT NULL,"
	"  peer_id BIGINT NOT NULL, user_id BIGINT NOT NULL, message_id BIGINT NOT NULL,"
	"  date BIGINT NOT NULL, text TEXT NOT NULL, payload TEXT, contact_phone TEXT,"
	"  received_at BIGINT NOT NULL, UNIQUE (channel, dedup_key));"
	"CREATE INDEX inbound_peer ON inbound (channel, peer_id, id);"
	"CREATE TABLE outbox ("
	"  id BIGSERIAL PRIMARY KEY, channel TEXT NOT NULL, kind TEXT NOT NULL,"
	"  peer_id BIGINT NOT NULL, inbound_id BIGINT NOT NULL DEFAULT 0,"
	"  reply_to BIGINT NOT NULL DEFAULT 0, text TEXT NOT NULL, keyboard TEXT, extra TEXT,"
	"  replyset_version TEXT, source TEXT, status TEXT NOT NULL DEFAULT 'pending',"
	"  attempts BIGINT NOT NULL DEFAULT 0, created_ms BIGINT NOT NULL,"
	"  next_attempt_ms BIGINT NOT NULL, sent_ms BIGINT, channel_msg_id BIGINT,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_pending ON outbox (channel, status, peer_id, id);"
	"CREATE TABLE cursors (channel TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE conversations ("
	"  channel TEXT NOT NULL, peer_id BIGINT NOT NULL, state TEXT NOT NULL,"
	"  updated_at BIGINT NOT NULL, PRIMARY KEY (channel, peer_id));"
	"CREATE TABLE peers ("
	"  channel TEXT NOT NULL, peer_id BIGINT NOT NULL, blocked BIGINT NOT NULL,"
	"  reason TEXT, PRIMARY KEY (channel, peer_id));"
	"CREATE TABLE customers ("
	"  channel TEXT NOT NULL, user_id BIGINT NOT NULL, display_name TEXT,"
	"  screen_name TEXT, followers BIGINT NOT NULL DEFAULT -1,"
	"  fetched_at BIGINT NOT NULL, PRIMARY KEY (channel, user_id));"
	"CREATE TABLE cases ("
	"  id BIGSERIAL PRIMARY KEY, number TEXT UNIQUE, channel TEXT NOT NULL,"
	"  peer_id BIGINT NOT NULL, user_id BIGINT NOT NULL, status TEXT NOT NULL,"
	"  severity BIGINT NOT NULL DEFAULT 2, category TEXT, assignee TEXT,"
	"  record TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE INDEX cases_queue ON cases (status, severity, created_at);"
	"CREATE INDEX cases_peer ON cases (channel, peer_id, status);"
	"CREATE INDEX cases_user ON cases (channel, user_id);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO meta (key, value) VALUES ('salt', floor(random() * 2147483647)::bigint);"
	"CREATE TABLE audit ("
	"  id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL,"
	"  action TEXT NOT NULL, case_id BIGINT, detail TEXT);",
	/* 1 -> 2: the console's timers and web-chat customers. */
	"CREATE TABLE console_timers ("
	"  case_id BIGINT NOT NULL, kind TEXT NOT NULL, due_at BIGINT NOT NULL,"
	"  active BIGINT NOT NULL DEFAULT 1, fired BIGINT NOT NULL DEFAULT 0,"
	"  armed_at BIGINT NOT NULL, PRIMARY KEY (case_id, kind));"
	"CREATE INDEX console_timers_due ON console_timers (active, due_at);"
	"CREATE TABLE web_peers ("
	"  peer_id BIGSERIAL PRIMARY KEY, token TEXT NOT NULL UNIQUE, name TEXT,"
	"  created_at BIGINT NOT NULL);"
	"CREATE INDEX audit_case ON audit (case_id, id);",
	/* 2 -> 3: the per-message indexes. */
	"DROP INDEX outbox_pending;"
	"CREATE INDEX outbox_pending ON outbox (channel, status, id);"
	"CREATE INDEX outbox_peer ON outbox (channel, peer_id, created_ms);"
	"CREATE INDEX inbound_peer_time ON inbound (channel, peer_id, received_at);",
	/* 3 -> 4: a case's transcript as rows (no PostgreSQL store ever had it inside the
	 * record, so nothing moves). */
	"CREATE TABLE case_lines ("
	"  id BIGSERIAL PRIMARY KEY, case_id BIGINT NOT NULL, at BIGINT NOT NULL,"
	"  who TEXT NOT NULL, text TEXT NOT NULL, operator TEXT);"
	"CREATE INDEX case_lines_case ON case_lines (case_id, id);"
	"ALTER TABLE cases ADD COLUMN n_lines BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE cases ADD COLUMN last_line_at BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE cases ADD COLUMN last_line_from TEXT;",
	/* 4 -> 5: the console's search and saved views. case_words holds each transcript
	 * line's text (id = case_lines.id) and its tsvector in the 'russian' configuration,
	 * PostgreSQL's own Snowball stemmer, under a GIN index. */
	"CREATE TABLE case_words ("
	"  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL, words TEXT NOT NULL,"
	"  tsv tsvector GENERATED ALWAYS AS (to_tsvector('russian', words)) STORED);"
	"CREATE INDEX case_words_tsv ON case_words USING gin (tsv);"
	"CREATE TABLE console_views ("
	"  login TEXT NOT NULL, name TEXT NOT NULL, filter TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL, PRIMARY KEY (login, name));",
	/* 5 -> 6 */
	"DROP INDEX IF EXISTS inbound_peer;",
	/* 6 -> 7: the satisfaction question after a resolved case. */
	"CREATE TABLE case_ratings ("
	"  case_id BIGINT PRIMARY KEY, channel TEXT NOT NULL, peer_id BIGINT NOT NULL,"
	"  operator TEXT, asked_at BIGINT NOT NULL, rating BIGINT, rated_at BIGINT);"
	"CREATE INDEX case_ratings_rated ON case_ratings (rated_at);",
	/* 7 -> 8: the idea board (store_ideas.h). */
	"CREATE TABLE ideas ("
	"  id BIGSERIAL PRIMARY KEY, channel TEXT NOT NULL, peer_id BIGINT NOT NULL,"
	"  user_id BIGINT NOT NULL, author TEXT, lang TEXT NOT NULL DEFAULT 'ru',"
	"  what TEXT NOT NULL, why TEXT, status TEXT NOT NULL DEFAULT 'new', unit TEXT,"
	"  merged_into BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE TABLE idea_votes ("
	"  idea_id BIGINT NOT NULL, channel TEXT NOT NULL, user_id BIGINT NOT NULL,"
	"  at BIGINT NOT NULL, PRIMARY KEY (idea_id, channel, user_id));",
	/* 8 -> 9: outbox_pending carries peer_id. */
	"DROP INDEX outbox_pending;"
	"CREATE INDEX outbox_pending ON outbox (channel, status, id, peer_id);",
	/* 9 -> 10: the files customers send (store_files.h); their bytes as bytea. */
	"CREATE TABLE case_files ("
	"  id BIGSERIAL PRIMARY KEY, case_id BIGINT NOT NULL, line_id BIGINT NOT NULL,"
	"  channel TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, name TEXT,"
	"  state TEXT NOT NULL DEFAULT 'pending', attempts BIGINT NOT NULL DEFAULT 0,"
	"  mime TEXT, size BIGINT, data BYTEA, error TEXT, created_at BIGINT NOT NULL);"
	"CREATE INDEX case_files_line ON case_files (line_id);"
	"CREATE INDEX case_files_pending ON case_files (state, id);",
	/* 10 -> 11: comments under the community's posts (store_wall.h). */
	"CREATE TABLE wall_comments ("
	"  channel TEXT NOT NULL, owner_id BIGINT NOT NULL, post_id BIGINT NOT NULL,"
	"  comment_id BIGINT NOT NULL, from_id BIGINT NOT NULL,"
	"  reply_to_comment BIGINT NOT NULL DEFAULT 0, text TEXT NOT NULL,"
	"  reading TEXT NOT NULL, case_id BIGINT NOT NULL DEFAULT 0,"
	"  created_at BIGINT NOT NULL, edited_at BIGINT, deleted_at BIGINT,"
	"  PRIMARY KEY (channel, owner_id, comment_id));"
	"CREATE INDEX wall_comments_post ON wall_comments (channel, owner_id, post_id);",
	/* 11 -> 12: leases (store_lease.h). */
	"CREATE TABLE leases ("
	"  name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms BIGINT NOT NULL,"
	"  acquired_ms BIGINT NOT NULL);",
	/* 12 -> 13: the console's sessions (store_sessions.h). */
	"CREATE TABLE console_sessions ("
	"  token_sha TEXT PRIMARY KEY, csrf TEXT NOT NULL, login TEXT NOT NULL,"
	"  role TEXT NOT NULL, created_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL,"
	"  expires_ms BIGINT NOT NULL);",
	/* 13 -> 14: the console's live-update frames (store_news.h). */
	"CREATE TABLE console_news ("
	"  id BIGSERIAL PRIMARY KEY, origin TEXT NOT NULL, frame TEXT NOT NULL,"
	"  at_ms BIGINT NOT NULL);",
	/* 14 -> 15: last_customer_at in a column (store_cases.c, record_of_row). */
	"ALTER TABLE cases ADD COLUMN last_customer_at BIGINT;"
	"UPDATE cases SET last_customer_at = CAST(json_extract(record, '$.last_customer_at') AS BIGINT);",
	/* 15 -> 16: misses and the changes made from them (store_misses.h). */
	"CREATE TABLE misses ("
	"  id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, channel TEXT NOT NULL,"
	"  text TEXT NOT NULL, outcome TEXT NOT NULL, intent TEXT,"
	"  score_milli BIGINT NOT NULL, replyset_version TEXT,"
	"  change_id BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX misses_at ON misses (at);"
	"CREATE TABLE miss_changes ("
	"  id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL,"
	"  action TEXT NOT NULL, intent TEXT NOT NULL, file TEXT NOT NULL, before TEXT,"
	"  after TEXT NOT NULL, after_sha TEXT NOT NULL, diff TEXT NOT NULL,"
	"  undone_at BIGINT NOT NULL DEFAULT 0);",
	/* 16 -> 17: transcript lines chained through prev_id, not indexed by case (see
	 * store.c). */
	"ALTER TABLE case_lines ADD COLUMN prev_id BIGINT;"
	"ALTER TABLE cases ADD COLUMN last_line_id BIGINT;"
	"ALTER TABLE cases ADD COLUMN last_customer_line_id BIGINT;"
	CASE_LINES_CHAIN_BACKFILL,
};

#define N_PG_MIGRATIONS ((int)(sizeof pg_migrations / sizeof pg_migrations[0]))

const char *store__pg_migration(int v)
{
	return v >= 0 && v < N_PG_MIGRATIONS ? pg_migrations[v] : NULL;
}
