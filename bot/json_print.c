/* Compact JSON output (see json_print.h). It follows cJSON 1.7's printer: strings
 * escape '"', '\\', \b \f \n \r \t and other control bytes as \u00xx and copy every
 * other byte; numbers that are a whole number of thousandths in [0, 1] are written
 * here, every other number (and any other kind of item) is printed by cJSON itself,
 * so the bytes are cJSON's by construction. tests/unit/bot/test_json_print.c compares
 * the two on every such number and every byte. */
#include "json_print.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int put_string(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	if (buf_append(out, "\"", 1) < 0)
		return -1;
	if (s) {
		const char *run = s;
		for (const char *p = s;; p++) {
			unsigned char c = (unsigned char)*p;
			if (c >= 32 && c != '"' && c != '\\')
				continue;
			if (p > run && buf_append(out, run, (size_t)(p - run)) < 0)
				return -1;
			if (!c)
				break;
			char esc[6] = {'\\', 0, 0, 0, 0, 0};
			size_t n = 2;
			switch (c) {
			case '"': esc[1] = '"'; break;
			case '\\': esc[1] = '\\'; break;
			case '\b': esc[1] = 'b'; break;
			case '\f': esc[1] = 'f'; break;
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			default:
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				n = 6;
			}
			if (buf_append(out, esc, n) < 0)
				return -1;
			run = p + 1;
		}
	}
	return buf_append(out, "\"", 1);
}

/* A number k / 1000 (0 <= k <= 1000) as cJSON prints it ("0", "0.05", "0.709", "1");
 * returns -1 for any other number. */
static int put_thousandths(double d, struct buf *out)
{
	if (!(d >= 0 && d <= 1) || signbit(d))
		return -1; /* cJSON writes -0 as "-0" */
	double k = round(d * 1000);
	if (k / 1000 != d)
		return -1;
	int ki = (int)k;
	if (ki == 0 || ki == 1000)
		return buf_append(out, ki ? "1" : "0", 1);
	char s[6] = {'0', '.', (char)('0' + ki / 100), (char)('0' + ki / 10 % 10), (char)('0' + ki % 10), 0};
	size_t n = 5;
	while (s[n - 1] == '0')
		n--;
	return buf_append(out, s, n);
}

/* Anything this file does not write itself: cJSON's own printing of the item. */
static int put_by_cjson(const cJSON *item, struct buf *out)
{
	char *s = cJSON_PrintUnformatted(item);
	if (!s)
		return -1;
	int result = buf_append(out, s, strlen(s));
	free(s);
	return result;
}

int json_print_compact(const cJSON *item, struct buf *out)
{
	switch (item->type & 0xFF) {
	case cJSON_NULL:
		return buf_append(out, "null", 4);
	case cJSON_False:
		return buf_append(out, "false", 5);
	case cJSON_True:
		return buf_append(out, "true", 4);
	case cJSON_String:
		return put_string(item->valuestring, out);
	case cJSON_Number:
		if (put_thousandths(item->valuedouble, out) == 0)
			return 0;
		return put_by_cjson(item, out);
	case cJSON_Array:
	case cJSON_Object: {
		int obj = (item->type & 0xFF) == cJSON_Object;
		if (buf_append(out, obj ? "{" : "[", 1) < 0)
			return -1;
		for (const cJSON *c = item->child; c; c = c->next) {
			if (c != item->child && buf_append(out, ",", 1) < 0)
				return -1;
			if (obj && (put_string(c->string, out) < 0 || buf_append(out, ":", 1) < 0))
				return -1;
			if (json_print_compact(c, out) < 0)
				return -1;
		}
		return buf_append(out, obj ? "}" : "]", 1);
	}
	default:
		return put_by_cjson(item, out);
	}
}
