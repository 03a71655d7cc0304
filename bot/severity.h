/* The names of a case's severities, in the order of enum replyset_severity (critical
 * first): the one table the reply set, the store and the console read them from. */
#ifndef DESKBOT_SEVERITY_H
#define DESKBOT_SEVERITY_H

#define SEVERITY_COUNT 4

/* "critical", "high", "normal" or "low"; NULL when sev is out of range. */
const char *severity_name(int sev);
/* The severity named name, or -1 when none is (NULL included). */
int severity_of(const char *name);

#endif
