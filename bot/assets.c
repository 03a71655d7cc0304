/* Lookup in the embedded asset table (see assets.h). */
#include "assets.h"

#include <string.h>

const struct asset *assets_find(const char *name)
{
	for (const struct asset *a = assets_table; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}
