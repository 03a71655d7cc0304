/* Multi-part answers: parts without buttons join the next part; a part with buttons ends
 * its message; the joined text stays within the channel's limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "reply_merge.h"

static void ack_and_question_become_one(void **state)
{
	(void)state;
	struct reply_list l = {0};
	reply_list_add(&l, "Сожалеем.", "template:ack");
	reply_list_add(&l, "Ваш номер?", "template:q_phone");
	assert_int_equal(replies_merge(&l, 4000), 1);
	assert_string_equal(l.items[0].text, "Сожалеем.\n\nВаш номер?");
	assert_string_equal(l.items[0].source, "template:ack+template:q_phone");
	assert_int_equal(l.items[0].n_buttons, 0);
	reply_list_free(&l);
	/* A question with quick-answer buttons keeps them under its own text. */
	reply_list_add(&l, "Сожалеем.", "template:ack");
	struct reply *q = reply_list_add(&l, "Ваш номер?", "template:q_phone");
	reply_add_button(q, 0, "Отмена", "cancel", "text");
	assert_int_equal(replies_merge(&l, 4000), 2);
	assert_int_equal(l.items[1].n_buttons, 1);
	reply_list_free(&l);
}

static void buttons_end_a_message(void **state)
{
	(void)state;
	struct reply_list l = {0};
	struct reply *g = reply_list_add(&l, "Здравствуйте!", "smalltalk:greeting");
	reply_add_button(g, 0, "Баланс", "intent:balance", "text");
	reply_list_add(&l, "Ваш номер?", "template:q_phone");
	reply_list_add(&l, "И адрес?", "template:q_address");
	assert_int_equal(replies_merge(&l, 4000), 2);
	assert_string_equal(l.items[0].text, "Здравствуйте!");
	assert_int_equal(l.items[0].n_buttons, 1);
	assert_string_equal(l.items[1].text, "Ваш номер?\n\nИ адрес?");
	reply_list_free(&l);
}

static void the_limit_keeps_parts_apart(void **state)
{
	(void)state;
	struct reply_list l = {0};
	char big[3001];
	memset(big, 'a', 3000);
	big[3000] = 0;
	reply_list_add(&l, big, "a");
	reply_list_add(&l, big, "b");
	assert_int_equal(replies_merge(&l, 4000), 2);
	reply_list_free(&l);
	reply_list_add(&l, "one", "a");
	assert_int_equal(replies_merge(&l, 4000), 1);
	reply_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ack_and_question_become_one),
		cmocka_unit_test(buttons_end_a_message),
		cmocka_unit_test(the_limit_keeps_parts_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
