/* Compact JSON output into a reused buffer: the same bytes as cJSON_PrintUnformatted,
 * without its allocation per call and its two printf calls per number for the common
 * numbers (scores rounded to thousandths). */
#ifndef DESKBOT_JSON_PRINT_H
#define DESKBOT_JSON_PRINT_H
#include <cjson/cJSON.h>

#include "buf.h"

/* Appends item as cJSON_PrintUnformatted(item) would print it. Returns 0, or -1 when
 * out's limit is reached or cJSON cannot print a part (out then holds a prefix). */
int json_print_compact(const cJSON *item, struct buf *out);

#endif
