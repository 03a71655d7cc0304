/* settings.json as the reply set holds it: a plain value type, apart from replyset.h so
 * that the modules which only read settings (worktime.c) do not depend on the reply set
 * and the reply set can use them without a cycle. */
#ifndef DESKBOT_REPLYSET_SETTINGS_H
#define DESKBOT_REPLYSET_SETTINGS_H
#include <stddef.h>
#include <stdint.h>

#define RS_MAX_HOLIDAYS 64

/* settings.json. Times are minutes after local midnight. */
struct replyset_settings {
	double answer, clarify, margin; /* matcher thresholds */
	int work_start, work_end;
	int utc_offset_minutes;
	unsigned work_days;             /* bit d set for ISO weekday d (1 = Monday ... 7) */
	int32_t holidays[RS_MAX_HOLIDAYS]; /* local day numbers (days since 1970-01-01) off */
	int n_holidays;
	int sla_minutes[4];             /* by enum replyset_severity */
	long high_reach_followers;
	int interview_max_tries;
	int operator_auto_reply_interval_s;
	int unclaimed_alert_minutes;
	int claimed_silence_minutes;
	int human_idle_minutes;
	char **menu;                    /* intent ids offered as topic buttons */
	size_t n_menu;
	char **idea_units;              /* business units an idea can be routed to */
	size_t n_idea_units;
};

#endif
