/* The webhook request checks: a VK Callback API delivery read for its community and
 * secret (confirmation, refusals, malformed and hostile bodies), one Telegram or MAX
 * update read from a body, the secret comparison and the dispatch to the channel whose
 * path it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "channels/max_parse.h"
#include "channels/tg_parse.h"
#include "channels/vk_parse.h"

#define GROUP 123456
#define SECRET "s3cr3t-key"

static enum vk_hook_kind vk(const char *body, struct vk_poll *p)
{
	return vk_parse_hook(body, strlen(body), GROUP, SECRET, p);
}

static const char *const message_new =
	"{\"type\":\"message_new\",\"event_id\":\"9f01\",\"v\":\"5.199\",\"group_id\":123456,"
	"\"secret\":\"s3cr3t-key\",\"object\":{\"message\":{\"id\":77,\"peer_id\":5,"
	"\"from_id\":5,\"date\":1,\"text\":\"баланс\"}}}";

static void vk_event_with_the_right_secret_is_read(void **state)
{
	(void)state;
	struct vk_poll p;
	assert_int_equal(vk(message_new, &p), VK_HOOK_EVENT);
	assert_int_equal(p.kind, VK_POLL_UPDATES);
	assert_null(p.ts);
	assert_int_equal(p.n_msgs, 1);
	assert_string_equal(p.msgs[0].text, "баланс");
	assert_string_equal(p.msgs[0].dedup_key, "m:77"); /* a resend is the same row */
	vk_poll_free(&p);
}

static void vk_confirmation_and_refusals(void **state)
{
	(void)state;
	struct vk_poll p;
	assert_int_equal(vk("{\"type\":\"confirmation\",\"group_id\":123456,\"secret\":\""
			    SECRET "\"}", &p),
			 VK_HOOK_CONFIRMATION);
	vk_poll_free(&p);
	/* The confirmation is refused too without the secret: nobody else may learn the
	 * code. */
	assert_int_equal(vk("{\"type\":\"confirmation\",\"group_id\":123456}", &p),
			 VK_HOOK_FORBIDDEN);
	vk_poll_free(&p);
	const char *bad[] = {
		"{\"type\":\"message_new\",\"group_id\":123456,\"object\":{}}",
		"{\"type\":\"message_new\",\"group_id\":123456,\"secret\":\"s3cr3t-kez\",\"object\":{}}",
		"{\"type\":\"message_new\",\"group_id\":123456,\"secret\":\"s3cr3t-key-longer\"}",
		"{\"type\":\"message_new\",\"group_id\":123456,\"secret\":\"s3cr3t\"}",
		"{\"type\":\"message_new\",\"group_id\":123456,\"secret\":123}",
		"{\"type\":\"message_new\",\"group_id\":123456,\"secret\":\"\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(vk(bad[i], &p), VK_HOOK_FORBIDDEN);
		assert_int_equal(p.n_msgs, 0);
		vk_poll_free(&p);
	}
	/* Another community's event (or none named) is left to another page. */
	assert_int_equal(vk("{\"type\":\"message_new\",\"group_id\":99,\"secret\":\"" SECRET "\"}",
			    &p),
			 VK_HOOK_OTHER_GROUP);
	vk_poll_free(&p);
	assert_int_equal(vk("{\"type\":\"message_new\",\"secret\":\"" SECRET "\"}", &p),
			 VK_HOOK_OTHER_GROUP);
	vk_poll_free(&p);
	/* No secret configured: nothing is accepted at all. */
	assert_int_equal(vk_parse_hook(message_new, strlen(message_new), GROUP, "", &p),
			 VK_HOOK_FORBIDDEN);
	vk_poll_free(&p);
}

static void vk_hostile_bodies(void **state)
{
	(void)state;
	struct vk_poll p;
	const char *malformed[] = {"", "{", "[1,2]", "\"ok\"", "null", "{\"type\":", "\xff\xfe"};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		assert_int_equal(vk(malformed[i], &p), VK_HOOK_MALFORMED);
		vk_poll_free(&p);
	}
	/* A lone surrogate and invalid UTF-8 are repaired; the event is read. */
	const char *lone = "{\"type\":\"message_new\",\"group_id\":123456,\"secret\":\"" SECRET
			   "\",\"object\":{\"message\":{\"id\":8,\"peer_id\":5,\"from_id\":5,"
			   "\"text\":\"a\\ud83d b \xc3\"}}}";
	assert_int_equal(vk(lone, &p), VK_HOOK_EVENT);
	assert_int_equal(p.n_msgs, 1);
	assert_string_equal(p.msgs[0].text, "a\xef\xbf\xbd b \xef\xbf\xbd");
	vk_poll_free(&p);
	/* An unknown type is an event not answered, not an error. */
	assert_int_equal(vk("{\"type\":\"wall_post_new\",\"group_id\":123456,\"secret\":\"" SECRET
			    "\",\"object\":{}}", &p),
			 VK_HOOK_EVENT);
	assert_int_equal(p.n_msgs, 0);
	assert_int_equal(p.n_ignored, 1);
	vk_poll_free(&p);
}

static void tg_one_update(void **state)
{
	(void)state;
	struct tg_updates u;
	const char *body = "{\"update_id\":900000001,\"message\":{\"message_id\":15,\"from\":"
			   "{\"id\":7},\"chat\":{\"id\":7,\"type\":\"private\"},\"text\":\"\\udc80 hi\"}}";
	assert_int_equal(tg_parse_update(body, strlen(body), &u), 0);
	assert_true(u.ok);
	assert_int_equal(u.n_msgs, 1);
	assert_string_equal(u.msgs[0].dedup_key, "u:900000001");
	assert_string_equal(u.msgs[0].text, "\xef\xbf\xbd hi");
	tg_updates_free(&u);
	const char *unknown = "{\"update_id\":5,\"poll\":{}}";
	assert_int_equal(tg_parse_update(unknown, strlen(unknown), &u), 0);
	assert_int_equal(u.n_msgs, 0);
	assert_int_equal(u.n_ignored, 1);
	tg_updates_free(&u);
	const char *bad[] = {"", "{\"update_id\":", "[{\"update_id\":1}]", "42"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(tg_parse_update(bad[i], strlen(bad[i]), &u), -1);
		assert_int_equal(u.n_msgs, 0);
		tg_updates_free(&u);
	}
}

static void max_one_update(void **state)
{
	(void)state;
	struct max_updates u;
	const char *body = "{\"update_type\":\"message_created\",\"timestamp\":1,\"message\":"
			   "{\"sender\":{\"user_id\":42,\"name\":\"A\"},\"recipient\":{\"chat_id\":1,"
			   "\"chat_type\":\"dialog\"},\"timestamp\":1,\"body\":{\"mid\":\"mid.1\","
			   "\"seq\":1,\"text\":\"баланс\"}}}";
	assert_int_equal(max_parse_update(body, strlen(body), &u), 0);
	assert_int_equal(u.n_msgs, 1);
	assert_string_equal(u.msgs[0].text, "баланс");
	max_updates_free(&u);
	const char *stopped = "{\"update_type\":\"bot_stopped\",\"chat_id\":1,\"user\":{\"user_id\":42}}";
	assert_int_equal(max_parse_update(stopped, strlen(stopped), &u), 0);
	assert_int_equal(u.n_blocks, 1);
	max_updates_free(&u);
	assert_int_equal(max_parse_update("\x00{", 2, &u), -1);
	max_updates_free(&u);
}

static void secrets_compare_whole(void **state)
{
	(void)state;
	assert_true(hook_secret_equal("abc", "abc"));
	assert_false(hook_secret_equal("abd", "abc"));
	assert_false(hook_secret_equal("ab", "abc"));
	assert_false(hook_secret_equal("abcd", "abc"));
	assert_false(hook_secret_equal("", "abc"));
	assert_false(hook_secret_equal(NULL, "abc"));
	assert_false(hook_secret_equal("", ""));  /* nothing configured matches nothing */
	assert_false(hook_secret_equal("x", NULL));
}

/* Two stand-in channels: each takes only its own path. */
static int taken;

static int hook_a(struct channel *ch, const struct channel_hook_req *req,
		  struct channel_hook_answer *ans)
{
	(void)ch;
	if (strcmp(req->path, "/hooks/a") != 0)
		return 0;
	taken = 1;
	hook_answer(ans, 200, "ok");
	return 1;
}

static int hook_b(struct channel *ch, const struct channel_hook_req *req,
		  struct channel_hook_answer *ans)
{
	(void)ch;
	if (strcmp(req->path, "/hooks/b") != 0)
		return 0;
	taken = 2;
	hook_answer(ans, 403, "forbidden");
	return 1;
}

static void dispatch_to_the_channel_whose_path_it_is(void **state)
{
	(void)state;
	struct channel_ops none = {.name = "web"}, a = {.name = "a", .hook = hook_a},
			   b = {.name = "b", .hook = hook_b};
	struct channel c0 = {.ops = &none}, c1 = {.ops = &a}, c2 = {.ops = &b};
	struct channel *chs[] = {&c0, &c1, &c2};
	struct channel_hook_answer ans;
	struct channel_hook_req req = {.path = "/hooks/b", .body = "", .secret = ""};
	assert_int_equal(channel_hook_dispatch(chs, 3, &req, &ans), 1);
	assert_int_equal(taken, 2);
	assert_int_equal(ans.status, 403);
	req.path = "/hooks/a";
	assert_int_equal(channel_hook_dispatch(chs, 3, &req, &ans), 1);
	assert_int_equal(taken, 1);
	assert_string_equal(ans.body, "ok");
	req.path = "/hooks/c";
	assert_int_equal(channel_hook_dispatch(chs, 3, &req, &ans), 0);
	assert_int_equal(ans.status, 404);
}

/* 2xx only once committed: a store failure is 503 (the platform resends), an unreadable
 * body 200 and counted (a resend would not read better); the secret header refused. */
static void answers_follow_the_commit(void **state)
{
	(void)state;
	double skipped = 0;
	struct channel_ops ops = {.name = "telegram"};
	struct channel ch = {.ops = &ops, .name = "telegram", .m_poll_skipped = &skipped};
	struct channel_hook_answer ans;
	hook_answer_stored(&ch, 0, 0, &ans);
	assert_int_equal(ans.status, 200);
	assert_string_equal(ans.body, "ok");
	hook_answer_stored(&ch, 0, -1, &ans);
	assert_int_equal(ans.status, 503);
	assert_true(skipped == 0);
	hook_answer_stored(&ch, -1, 0, &ans);
	assert_int_equal(ans.status, 200);
	assert_true(skipped == 1);
	struct channel_hook_req req = {.path = "/hooks/telegram/p", .body = "", .secret = "s3"};
	assert_int_equal(hook_admit(&ch, "/hooks/telegram/p", "s3", "X-Header", &req, &ans), 1);
	assert_int_equal(hook_admit(&ch, "/hooks/telegram/q", "s3", "X-Header", &req, &ans), 0);
	assert_int_equal(hook_admit(&ch, NULL, "s3", "X-Header", &req, &ans), 0);
	req.secret = "s4";
	assert_int_equal(hook_admit(&ch, "/hooks/telegram/p", "s3", "X-Header", &req, &ans), -1);
	assert_int_equal(ans.status, 401);
	req.secret = "";
	assert_int_equal(hook_admit(&ch, "/hooks/telegram/p", "s3", "X-Header", &req, &ans), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vk_event_with_the_right_secret_is_read),
		cmocka_unit_test(vk_confirmation_and_refusals),
		cmocka_unit_test(vk_hostile_bodies),
		cmocka_unit_test(tg_one_update),
		cmocka_unit_test(max_one_update),
		cmocka_unit_test(secrets_compare_whole),
		cmocka_unit_test(dispatch_to_the_channel_whose_path_it_is),
		cmocka_unit_test(answers_follow_the_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
