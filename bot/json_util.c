/* cJSON helpers (see json_util.h). */
#include "json_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "xalloc.h"

int64_t json_int(const cJSON *obj, const char *key, int64_t def)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	/* cJSON keeps numbers as doubles: past 2^53 the digits are no longer the ones sent,
	 * and a guessed id would answer someone else's chat. Such a number reads as bad. */
	if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && fabs(v->valuedouble) <= 9007199254740992.0)
		return (int64_t)v->valuedouble;
	if (cJSON_IsString(v) && v->valuestring[0]) {
		char *end;
		errno = 0;
		long long n = strtoll(v->valuestring, &end, 10);
		if (!errno && !*end)
			return n;
	}
	return def;
}

const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *json_obj(const cJSON *obj, const char *key)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *json_arr(const cJSON *obj, const char *key)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsArray(v) ? v : NULL;
}

char *json_strdup(const cJSON *obj, const char *key)
{
	const char *s = json_str(obj, key);
	return s ? xstrdup(s) : NULL;
}
