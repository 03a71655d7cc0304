/* Small cJSON helpers shared by the channels: typed reads that accept what the APIs
 * really send (numbers as strings, missing fields) without crashing on anything. */
#ifndef DESKBOT_JSON_UTIL_H
#define DESKBOT_JSON_UTIL_H
#include <cjson/cJSON.h>
#include <stdint.h>

/* The integer at obj[key] (a number up to 2^53, or a string of digits up to int64);
 * def when absent or bad. */
int64_t json_int(const cJSON *obj, const char *key, int64_t def);
/* The string at obj[key], or NULL. Borrowed from obj. */
const char *json_str(const cJSON *obj, const char *key);
/* obj[key] if it is an object, else NULL. */
const cJSON *json_obj(const cJSON *obj, const char *key);
/* obj[key] if it is an array, else NULL. */
const cJSON *json_arr(const cJSON *obj, const char *key);
/* A copy of the string at obj[key] or NULL; caller frees. */
char *json_strdup(const cJSON *obj, const char *key);

#endif
