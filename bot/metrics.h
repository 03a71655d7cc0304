/* Metrics registry rendered in the Prometheus text exposition format. A series is a
 * name plus a label set; callers get a stable pointer to its value once and bump it on
 * the hot path with no lookup. Label values must never hold a secret. */
#ifndef DESKBOT_METRICS_H
#define DESKBOT_METRICS_H
#include "buf.h"

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* Declares a family: type is "counter" or "gauge". Must come before its series. */
void metrics_family(struct metrics *m, const char *name, const char *type, const char *help);
/* The value of series name{labels} (labels like `channel="vk"`, or "" for none), created
 * at 0 on first use. The pointer stays valid until metrics_free. */
double *metrics_series(struct metrics *m, const char *name, const char *labels);
/* Appends every family with its HELP and TYPE lines. */
void metrics_render(const struct metrics *m, struct buf *out);

#endif
