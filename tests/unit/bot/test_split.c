/* Long replies are split on paragraph, line, sentence or word boundaries, never inside a
 * UTF-8 character, and each piece fits the limit counted in UTF-16 units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

static size_t utf16_len(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n += *p >= 0xF0 ? 2 : 1;
	return n;
}

static void short_text_is_one_piece(void **state)
{
	char **parts;
	assert_int_equal(pipeline_split_text("Привет!", 4096, &parts), 1);
	assert_string_equal(parts[0], "Привет!");
	free(parts[0]);
	free(parts);
}

static void splits_on_sentences_and_fits(void **state)
{
	char text[8192] = "";
	for (int i = 0; i < 60; i++)
		strcat(text, "Баланс можно проверить командой *100#. ");
	char **parts;
	size_t n = pipeline_split_text(text, 500, &parts);
	assert_true(n >= 4);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(utf16_len(parts[i]) <= 500);
		/* Each piece ends a sentence. */
		assert_int_equal(parts[i][strlen(parts[i]) - 1], '.');
		total += strlen(parts[i]);
		free(parts[i]);
	}
	free(parts);
	assert_true(total > 2000);
}

static void emoji_count_double_and_no_word_boundary(void **state)
{
	/* 10 emoji = 20 UTF-16 units, no spaces: a hard cut between characters. */
	const char *e = "😀😀😀😀😀😀😀😀😀😀";
	char **parts;
	size_t n = pipeline_split_text(e, 6, &parts);
	assert_int_equal(n, 4);
	assert_string_equal(parts[0], "😀😀😀");
	assert_string_equal(parts[3], "😀");
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
	assert_int_equal(pipeline_split_text("", 10, &parts), 0);
	free(parts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_text_is_one_piece),
		cmocka_unit_test(splits_on_sentences_and_fits),
		cmocka_unit_test(emoji_count_double_and_no_word_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
