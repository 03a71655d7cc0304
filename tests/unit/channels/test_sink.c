/* The pipeline as a channel's sink: a batch and the cursor after it are kept together,
 * a replayed batch is not answered twice, a batch whose commit fails keeps nothing and
 * is taken whole when it comes again, block changes ride with the batch, and the read
 * side (cursor, chat peers) answers from the store.
 *
 * Mutations tried for the failed commit in batch_and_cursor_together (each made by
 * hand, this file run, then reverted); it fails under each:
 * - pipeline_ingest() ignoring the commit's result (result = 0 after store_commit());
 * - the cursor written in a transaction of its own after the batch's commit;
 * - the cursor written before the batch's transaction begins. */
#include <sqlite3.h>

#include "test_console_fixture.h"

#include "pipeline.h"

static struct channel *web_of(struct fx *f)
{
	for (int i = 0; i < f->app.n_channels; i++)
		if (f->app.channels[i]->caps.local_chat)
			return f->app.channels[i];
	fail_msg("no local chat channel");
	return NULL;
}

static int64_t depth(struct fx *f, const char *channel)
{
	int64_t n = 0, oldest = 0;
	assert_int_equal(store_outbox_depth(f->app.store, channel, &n, &oldest), 0);
	return n;
}

static char *cursor_of(struct fx *f, struct channel *ch)
{
	const struct channel_sink *s = &ch->env->sink;
	char *c = NULL;
	assert_int_equal(s->ops->cursor(s->arg, ch, &c), 0);
	return c;
}

static struct chan_msg hello(const char *key)
{
	return (struct chan_msg){.channel = (char *)CHANNEL_WEB, .dedup_key = (char *)key,
				 .peer_id = 7, .user_id = 7, .message_id = 11,
				 .date = clock_now_s(), .text = (char *)"Здравствуйте"};
}

/* Refuses the next n commits (a full disk, an I/O error at COMMIT): SQLite rolls the
 * transaction back. */
static int refuse_commit(void *arg)
{
	int *n = arg;
	if (*n <= 0)
		return 0;
	(*n)--;
	return 1;
}

static int64_t inbound_rows(struct fx *f)
{
	return store__scalar(f->app.store, "SELECT count(*) FROM inbound WHERE channel = 'web'");
}

static void batch_and_cursor_together(void **state)
{
	tb_sqlite_only(); /* fails a commit with SQLite's commit hook */
	struct fx *f = *state;
	struct channel *web = web_of(f);
	assert_null(cursor_of(f, web));
	struct chan_msg m[2] = {hello("7:a"), hello("7:b")};
	m[1].message_id = 12;
	m[1].text = (char *)"как подключить интернет?";
	struct channel_batch b = {.msgs = m, .n = 2, .cursor = "41"};
	/* The commit fails: neither the messages, nor their answers, nor the cursor. */
	int refuse = 1;
	sqlite3_commit_hook(store__sqlite(f->app.store), refuse_commit, &refuse);
	assert_true(channel_deliver(web, &b) < 0);
	assert_int_equal(refuse, 0);
	assert_null(cursor_of(f, web));
	assert_int_equal(inbound_rows(f), 0);
	assert_int_equal(depth(f, CHANNEL_WEB), 0);
	/* The channel did not move on: the same batch comes again and is taken whole. */
	assert_int_equal(channel_deliver(web, &b), 0);
	sqlite3_commit_hook(store__sqlite(f->app.store), NULL, NULL);
	char *c = cursor_of(f, web);
	assert_string_equal(c, "41");
	free(c);
	assert_int_equal(inbound_rows(f), 2);
	int64_t answered = depth(f, CHANNEL_WEB);
	assert_true(answered >= 2);
	/* The same batch again (a kill -9 before the channel moved on): kept once,
	 * answered once, and the cursor moves. */
	b.cursor = "42";
	assert_int_equal(channel_deliver(web, &b), 0);
	assert_int_equal(inbound_rows(f), 2);
	assert_int_equal(depth(f, CHANNEL_WEB), answered);
	c = cursor_of(f, web);
	assert_string_equal(c, "42");
	free(c);
}

static void cursor_only_batch(void **state)
{
	struct fx *f = *state;
	struct channel *web = web_of(f);
	struct channel_batch b = {.cursor = "100"};
	assert_int_equal(channel_deliver(web, &b), 0);
	char *c = cursor_of(f, web);
	assert_string_equal(c, "100");
	free(c);
	assert_int_equal(depth(f, CHANNEL_WEB), 0);
}

static int blocked_of(struct fx *f, int64_t peer)
{
	struct sql_stmt *s = NULL;
	s = sql_prepare(store__db(f->app.store), "SELECT blocked FROM peers WHERE channel = 'web' AND peer_id = ?");
	sql_bind_int64(s, 1, peer);
	int v = sql_step(s) == SQL_ROW ? sql_column_int(s, 0) : -1;
	sql_finalize(s);
	return v;
}

static void blocks_ride_with_the_batch(void **state)
{
	struct fx *f = *state;
	struct channel *web = web_of(f);
	struct channel_block bl = {.peer_id = 9, .blocked = 1, .reason = "test"};
	struct channel_batch b = {.blocks = &bl, .n_blocks = 1, .cursor = "5"};
	assert_int_equal(channel_deliver(web, &b), 0);
	assert_int_equal(blocked_of(f, 9), 1);
	bl.blocked = 0;
	assert_int_equal(channel_deliver(web, &b), 0);
	assert_int_equal(blocked_of(f, 9), 0);
}

static void messages_carry_caps(void **state)
{
	struct fx *f = *state;
	struct channel *web = web_of(f);
	/* The web chat names no profile and has no share-contact button. */
	assert_true(web->caps.local_chat);
	assert_false(web->caps.contact_button);
	assert_null(web->caps.profile_by_name);
	assert_true(web->caps.reply_to);
	assert_false(web->caps.batch_send);
}

static void unknown_chat_token(void **state)
{
	struct fx *f = *state;
	struct channel *web = web_of(f);
	const struct channel_sink *s = &web->env->sink;
	int64_t peer = 0;
	char token[65];
	memset(token, 'a', 64);
	token[64] = '\0';
	assert_int_equal(s->ops->chat_peer(s->arg, token, 0, clock_now_s(), &peer), 0);
	assert_int_equal(s->ops->chat_peer(s->arg, token, 1, clock_now_s(), &peer), 1);
	int64_t again = 0;
	assert_int_equal(s->ops->chat_peer(s->arg, token, 0, clock_now_s(), &again), 1);
	assert_int_equal(again, peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(batch_and_cursor_together, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(cursor_only_batch, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(blocks_ride_with_the_batch, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(messages_carry_caps, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(unknown_chat_token, fx_setup, fx_teardown),
	};
	return tb_run(tests);
}
