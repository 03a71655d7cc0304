/* Metrics: the Prometheus text format with HELP/TYPE and labelled series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "metrics.h"

static void renders_families_and_series(void **state)
{
	struct metrics *m = metrics_new();
	metrics_family(m, "deskbot_updates_total", "counter", "Updates received.");
	double *vk = metrics_series(m, "deskbot_updates_total", "channel=\"vk\"");
	double *tg = metrics_series(m, "deskbot_updates_total", "channel=\"telegram\"");
	*vk += 3;
	*tg += 1;
	/* The same series twice is the same pointer. */
	assert_ptr_equal(vk, metrics_series(m, "deskbot_updates_total", "channel=\"vk\""));
	*metrics_series(m, "deskbot_ratio", "") = 0.25;
	struct buf out = {0};
	metrics_render(m, &out);
	assert_string_equal(out.data,
			    "# HELP deskbot_updates_total Updates received.\n"
			    "# TYPE deskbot_updates_total counter\n"
			    "deskbot_updates_total{channel=\"vk\"} 3\n"
			    "deskbot_updates_total{channel=\"telegram\"} 1\n"
			    "# HELP deskbot_ratio deskbot_ratio\n"
			    "# TYPE deskbot_ratio gauge\n"
			    "deskbot_ratio 0.25\n");
	buf_free(&out);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(renders_families_and_series)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
