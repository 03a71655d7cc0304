/* Severity names (see severity.h). */
#include "severity.h"

#include <string.h>

static const char *const names[SEVERITY_COUNT] = {"critical", "high", "normal", "low"};

const char *severity_name(int sev)
{
	return sev >= 0 && sev < SEVERITY_COUNT ? names[sev] : NULL;
}

int severity_of(const char *name)
{
	for (int i = 0; name && i < SEVERITY_COUNT; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}
