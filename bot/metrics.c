/* Prometheus metrics registry (see metrics.h). Families and series are kept in
 * registration order, so the output is stable. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct series {
	char *labels;
	double value;
	struct series *next;
};

struct family {
	char *name, *type, *help;
	struct series *series, **tail;
	struct family *next;
};

struct metrics {
	struct family *families, **tail;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof *m);
	m->tail = &m->families;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	while (m->families) {
		struct family *f = m->families;
		m->families = f->next;
		while (f->series) {
			struct series *s = f->series;
			f->series = s->next;
			free(s->labels);
			free(s);
		}
		free(f->name);
		free(f->type);
		free(f->help);
		free(f);
	}
	free(m);
}

static struct family *find_family(const struct metrics *m, const char *name)
{
	for (struct family *f = m->families; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

void metrics_family(struct metrics *m, const char *name, const char *type, const char *help)
{
	if (find_family(m, name))
		return;
	struct family *f = xcalloc(1, sizeof *f);
	f->name = xstrdup(name);
	f->type = xstrdup(type);
	f->help = xstrdup(help);
	f->tail = &f->series;
	*m->tail = f;
	m->tail = &f->next;
}

double *metrics_series(struct metrics *m, const char *name, const char *labels)
{
	struct family *f = find_family(m, name);
	if (!f) {
		metrics_family(m, name, "gauge", name);
		f = find_family(m, name);
	}
	for (struct series *s = f->series; s; s = s->next)
		if (strcmp(s->labels, labels) == 0)
			return &s->value;
	struct series *s = xcalloc(1, sizeof *s);
	s->labels = xstrdup(labels);
	*f->tail = s;
	f->tail = &s->next;
	return &s->value;
}

void metrics_render(const struct metrics *m, struct buf *out)
{
	for (const struct family *f = m->families; f; f = f->next) {
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		for (const struct series *s = f->series; s; s = s->next) {
			if (*s->labels)
				buf_printf(out, "%s{%s}", f->name, s->labels);
			else
				buf_puts(out, f->name);
			if (s->value == floor(s->value) && fabs(s->value) < 1e15)
				buf_printf(out, " %.0f\n", s->value);
			else
				buf_printf(out, " %.6g\n", s->value);
		}
	}
}
