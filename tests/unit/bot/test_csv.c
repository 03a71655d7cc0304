/* The exports' CSV cells (bot/csv.c): dates a Russian spreadsheet reads, on the
 * configured clock, and formula-like text kept as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "csv.h"

static void test_time_is_a_russian_date_on_the_configured_clock(void **state)
{
	(void)state;
	struct buf b = {0};
	/* 2026-12-02 21:30 UTC is 3 December, 00:30 in Moscow (UTC+3). */
	csv_time(&b, 1796247000.0, 3 * 3600);
	assert_string_equal(b.data, "03.12.2026 00:30");
	buf_reset(&b);
	csv_time(&b, 1796247000.0, 0);
	assert_string_equal(b.data, "02.12.2026 21:30");
	buf_free(&b);
	struct buf none = {0};
	csv_time(&none, 0, 3 * 3600); /* not set: an empty cell */
	assert_true(none.len == 0);
	buf_free(&none);
}

static void test_formula_cells_stay_text(void **state)
{
	(void)state;
	struct buf b = {0};
	csv_cell(&b, "=1+1");
	assert_string_equal(b.data, "\"'=1+1\"");
	buf_reset(&b);
	csv_cell(&b, "Жалоба \"срочно\"");
	assert_string_equal(b.data, "\"Жалоба \"\"срочно\"\"\"");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_is_a_russian_date_on_the_configured_clock),
		cmocka_unit_test(test_formula_cells_stay_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
