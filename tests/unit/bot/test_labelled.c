/* The labelled check. Reads labelled sets of customer messages, runs each line through
 * the matcher and the dialog from a fresh conversation, and prints the figures.
 *
 * Two formats, told apart by the header:
 *   tests/data/utterances.tsv ("group text expected"): deskbot's own set. Asserted:
 *     in scope, the intent picked (answered, or offered first when the bot asks to
 *     clarify) is the expected one, >= MIN_IN_SCOPE; out of scope ("-") not answered
 *     with an FAQ, >= MIN_OOS; typo, layout, translit groups each >= MIN_REPAIRED.
 *   tests/data/blind/{tuning,tuning_b,tuning_c,heldout}.tsv ("kind text intents escalate flags plan"):
 *     messages written by people who never saw the reply set (issue 12). Printed:
 *     strict first-intent accuracy (the intent the bot acts on outright; an out-of-
 *     scope line is right when the bot acts on none) overall and per kind; multi-
 *     question lines with every request answered; out-of-scope precision and recall;
 *     grievances (escalate 1) reaching a person or the case offer; ordinary questions
 *     escalated; per-flag precision and recall; the tariff plan picked. The targets of
 *     issue 12 are printed next to the figures; only floors that hold on the held-out
 *     set today are asserted (HELDOUT_* below), so a regression fails the test.
 *
 * The tuning set may be looked at (DESKBOT_LABELLED_VERBOSE=1 lists its misses); the
 * held-out set is reported in aggregate only: its lines are never printed.
 * argv[1], when given, is one file to report (format from its header); by default all
 * four (a missing tuning set is reported as missing; a missing held-out set fails). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "convstate.h"
#include "dialog.h"
#include "matcher.h"
#include "replyset.h"
#include "test_helpers.h"

/* The product targets of deskbot's own set (issue 4), asserted. */
#define MIN_IN_SCOPE 0.90
#define MIN_OOS 0.90
#define MIN_REPAIRED 0.85

/* Floors asserted on the held-out blind set: what holds today, a little below it, so
 * that a change that makes the bot worse on unseen messages fails. Raise them when the
 * figures rise; the targets (printed) are the goal. Set on 2026-12-03 from the
 * fresh heldout.tsv (tests/data/blind/README.md); raised on 2026-12-04 when the reply
 * set gained the tuning sets' and four blind writers' phrasings and an out-of-scope
 * intent (strict 73.2 -> 83.2%, out-of-scope precision 53.6 -> 79.7% for recall
 * 86.7 -> 73.4%). */
#define HELDOUT_STRICT 0.81
#define HELDOUT_OOS_PRECISION 0.77
#define HELDOUT_OOS_RECALL 0.71
#define HELDOUT_GRIEVANCE_REACHED 0.80
#define HELDOUT_ORDINARY_ESCALATED 0.03
#define HELDOUT_PLAN 0.58
#define HELDOUT_MULTI 0.40
#define HELDOUT_REPAIRED 0.69 /* typo, layout, translit, glued: each */
#define HELDOUT_ENGLISH 0.83
#define HELDOUT_FLAG_PRECISION 0.69 /* each flag */
#define HELDOUT_FLAG_RECALL 0.88    /* each flag */

#define MAX_KINDS 32
#define MAX_EXPECTED 6

/* ------------------------------------------------------------------ deskbot's own set */

struct group {
	char name[32];
	int n, ok, answered;
};

static void own_set(struct replyset *rs, FILE *f, const char *path)
{
	struct group groups[MAX_KINDS];
	size_t ng = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		char *text = strchr(line, '\t');
		char *expected = text ? strchr(text + 1, '\t') : NULL;
		if (!expected || strncmp(line, "group\t", 6) == 0)
			continue;
		*text++ = '\0';
		*expected++ = '\0';
		size_t g = 0;
		while (g < ng && strcmp(groups[g].name, line) != 0)
			g++;
		if (g == ng) {
			assert_true(ng < MAX_KINDS);
			memset(&groups[ng], 0, sizeof groups[ng]);
			snprintf(groups[ng].name, sizeof groups[ng].name, "%s", line);
			ng++;
		}
		struct match_result m;
		match_message(rs, text, strlen(text), &m);
		struct convstate *st = convstate_new();
		struct chan_msg msg = {.channel = "test", .text = text};
		struct dialog_result res;
		dialog_handle(rs, st, &msg, 1700000000, &res);
		int ok;
		if (strcmp(expected, "-") == 0) {
			ok = strcmp(res.handler, "faq") != 0;
		} else {
			const char *picked = res.intent;
			if (!picked && strcmp(res.handler, "clarify") == 0 && m.n_top)
				picked = replyset_intent_at(rs, (size_t)m.top[0].intent)->id;
			ok = picked && strcmp(picked, expected) == 0;
			groups[g].answered += res.intent && strcmp(res.intent, expected) == 0;
		}
		if (!ok && getenv("DESKBOT_LABELLED_VERBOSE"))
			fprintf(stderr, "miss %-10s %-28s handler=%-9s intent=%-24s %s\n", line, expected, res.handler,
				res.intent ? res.intent : "-", text);
		groups[g].n++;
		groups[g].ok += ok;
		dialog_result_free(&res);
		convstate_free(st);
		match_result_free(&m);
	}
	free(line);
	int in_n = 0, in_ok = 0, in_ans = 0, oos_n = 0, oos_ok = 0;
	double worst_repaired = 1;
	printf("== %s\n%-10s %5s %6s %8s\n", path, "group", "n", "right", "answered");
	for (size_t g = 0; g < ng; g++) {
		struct group *gr = &groups[g];
		int oos = strcmp(gr->name, "oos") == 0;
		printf("%-10s %5d %5.1f%% %7.1f%%\n", gr->name, gr->n, 100.0 * gr->ok / gr->n,
		       oos ? 0.0 : 100.0 * gr->answered / gr->n);
		if (oos) {
			oos_n += gr->n;
			oos_ok += gr->ok;
		} else {
			in_n += gr->n;
			in_ok += gr->ok;
			in_ans += gr->answered;
		}
		if (!strcmp(gr->name, "typo") || !strcmp(gr->name, "layout") || !strcmp(gr->name, "translit"))
			if ((double)gr->ok / gr->n < worst_repaired)
				worst_repaired = (double)gr->ok / gr->n;
	}
	assert_true(in_n > 0 && oos_n > 0);
	printf("in scope: %.1f%% right intent (%.1f%% answered outright); out of scope: %.1f%% not answered "
	       "with an FAQ; worst repaired group: %.1f%%\n",
	       100.0 * in_ok / in_n, 100.0 * in_ans / in_n, 100.0 * oos_ok / oos_n, 100.0 * worst_repaired);
	printf("targets: in scope >= %.0f%%, out of scope >= %.0f%%, typo/layout/translit >= %.0f%% each\n",
	       100 * MIN_IN_SCOPE, 100 * MIN_OOS, 100 * MIN_REPAIRED);
	fflush(stdout);
	assert_true((double)in_ok / in_n >= MIN_IN_SCOPE);
	assert_true((double)oos_ok / oos_n >= MIN_OOS);
	assert_true(worst_repaired >= MIN_REPAIRED);
}

/* ------------------------------------------------------------------ blind sets */

/* One labelled line of a blind set. Strings point into the line. */
struct blind_line {
	const char *kind, *text;
	const char *expected[MAX_EXPECTED]; /* intent ids in the customer's order */
	size_t n_expected;                  /* 0: out of scope */
	int escalate;
	int flags[4];                       /* obscene, legal_threat, spread_call, shouting */
	const char *plan;                   /* or NULL */
};

static const char *const flag_names[4] = {"obscene", "legal_threat", "spread_call", "shouting"};

/* Splits s at sep in place into at most max parts; returns the count. */
static size_t split(char *s, char sep, char **parts, size_t max)
{
	size_t n = 0;
	while (s && n < max) {
		parts[n++] = s;
		s = strchr(s, sep);
		if (s)
			*s++ = '\0';
	}
	return n;
}

static int parse_blind(char *line, struct blind_line *b)
{
	char *col[6];
	if (split(line, '\t', col, 6) != 6)
		return -1;
	memset(b, 0, sizeof *b);
	b->kind = col[0];
	b->text = col[1];
	if (strcmp(col[2], "-") != 0 && *col[2]) {
		char *ids[MAX_EXPECTED];
		b->n_expected = split(col[2], '+', ids, MAX_EXPECTED);
		for (size_t i = 0; i < b->n_expected; i++)
			b->expected[i] = ids[i];
	}
	b->escalate = strcmp(col[3], "1") == 0;
	char *fl[8];
	size_t nf = strcmp(col[4], "-") == 0 ? 0 : split(col[4], ',', fl, 8);
	for (size_t i = 0; i < nf; i++)
		for (int k = 0; k < 4; k++)
			b->flags[k] |= strcmp(fl[i], flag_names[k]) == 0;
	b->plan = strcmp(col[5], "-") == 0 || !*col[5] ? NULL : col[5];
	return 0;
}

/* What the bot did with one message, as the figures need it. */
struct outcome {
	const char *acted;   /* the intent it acted on outright (answer, case, tariff...), or NULL */
	int escalated;       /* a person or a case: interview begun, case created, operator */
	int offered;         /* a button that opens a case */
	int all_answered;    /* every expected intent among those answered */
	int in_order;        /* ... and in the customer's order */
	int extra;           /* an intent answered that the line does not ask for */
	int flags[4];
	int plan_ok;         /* the plan the answer named is the expected one */
	char answered[256];  /* the intents answered, for the verbose listing */
	char plan[32];       /* the plan the answer named, for the verbose listing */
};

static void judge(const struct replyset *rs, const struct blind_line *b, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	struct convstate *st = convstate_new();
	struct chan_msg msg = {.channel = "test", .text = (char *)b->text};
	struct dialog_result res;
	dialog_handle(rs, st, &msg, 1700000000, &res);
	const char *h = res.handler ? res.handler : "";
	int acts = strcmp(h, "clarify") != 0 && strcmp(h, "fallback") != 0 && strcmp(h, "empty") != 0;
	o->acted = acts ? (res.complaint_intent ? res.complaint_intent : res.intent) : NULL;
	const struct replyset_intent *it = o->acted ? replyset_intent(rs, o->acted) : NULL;
	o->acted = it ? it->id : NULL; /* points into rs, outlives res */
	o->escalated = res.case_op == DIALOG_CASE_CREATE || res.wants_human ||
		       convstate_in_interview(st) ||
		       strcmp(h, "operator") == 0;
	for (size_t i = 0; i < res.replies.n; i++)
		for (size_t k = 0; k < res.replies.items[i].n_buttons; k++) {
			const char *p = res.replies.items[i].buttons[k].payload;
			o->offered |= p && strcmp(p, "complaint:open") == 0;
		}
	for (size_t i = 0, w = 0; i < res.n_answered && w < sizeof o->answered - 1; i++)
		w += (size_t)snprintf(o->answered + w, sizeof o->answered - w, "%s%s", i ? "+" : "",
				      res.answered[i]);
	size_t at = 0;
	o->all_answered = o->in_order = b->n_expected > 0;
	for (size_t e = 0; e < b->n_expected; e++) {
		size_t found = SIZE_MAX;
		for (size_t i = 0; i < res.n_answered && found == SIZE_MAX; i++)
			if (strcmp(res.answered[i], b->expected[e]) == 0)
				found = i;
		if (found == SIZE_MAX)
			o->all_answered = o->in_order = 0;
		else if (found < at)
			o->in_order = 0;
		else
			at = found;
	}
	for (size_t i = 0; i < res.n_answered; i++) {
		int wanted = 0;
		for (size_t e = 0; e < b->n_expected; e++)
			wanted |= strcmp(res.answered[i], b->expected[e]) == 0;
		o->extra |= !wanted;
	}
	o->flags[0] = res.flags.obscene;
	o->flags[1] = res.flags.legal_threat;
	o->flags[2] = res.flags.spread_call;
	o->flags[3] = res.flags.shouting;
	o->plan_ok = b->plan && res.plan && strcmp(res.plan, b->plan) == 0;
	snprintf(o->plan, sizeof o->plan, "%s", res.plan ? res.plan : "-");
	dialog_result_free(&res);
	convstate_free(st);
}

struct kind_fig {
	char name[32];
	int n, ok;
};

struct ratio {
	int num, den;
};

static double r_of(struct ratio r)
{
	return r.den ? (double)r.num / r.den : 0;
}

/* The figures of one blind set. */
struct blind_figs {
	int lines;
	struct kind_fig kinds[MAX_KINDS];
	size_t n_kinds;
	struct ratio strict, in_scope, multi, multi_order, single_extra, oos_p, oos_r, grievance, ordinary, plan;
	struct ratio flag_p[4], flag_r[4];
};

static struct kind_fig *kind_of(struct blind_figs *f, const char *name)
{
	for (size_t i = 0; i < f->n_kinds; i++)
		if (strcmp(f->kinds[i].name, name) == 0)
			return &f->kinds[i];
	assert_true(f->n_kinds < MAX_KINDS);
	struct kind_fig *k = &f->kinds[f->n_kinds++];
	snprintf(k->name, sizeof k->name, "%s", name);
	return k;
}

static void blind_add(const struct replyset *rs, const struct blind_line *b, struct blind_figs *f, int verbose)
{
	struct outcome o;
	judge(rs, b, &o);
	int oos = b->n_expected == 0;
	int ok;
	if (b->plan) {
		ok = o.plan_ok;
		f->plan.den++;
		f->plan.num += ok;
	} else {
		ok = oos ? o.acted == NULL : o.acted && strcmp(o.acted, b->expected[0]) == 0;
	}
	f->lines++;
	f->strict.den++;
	f->strict.num += ok;
	if (!oos) {
		f->in_scope.den++;
		f->in_scope.num += ok;
	}
	struct kind_fig *k = kind_of(f, b->kind);
	k->n++;
	k->ok += ok;
	if (b->n_expected == 1 && ok) {
		f->single_extra.den++;
		f->single_extra.num += o.extra;
	}
	if (b->n_expected >= 2) {
		f->multi.den++;
		f->multi.num += o.all_answered;
		f->multi_order.num += o.in_order;
	}
	f->oos_r.den += oos;
	f->oos_r.num += oos && o.acted == NULL;
	f->oos_p.den += o.acted == NULL;
	f->oos_p.num += oos && o.acted == NULL;
	int ordinary = !b->escalate && !oos;
	if (ordinary) {
		const struct replyset_intent *it = replyset_intent(rs, b->expected[0]);
		ordinary = !it || (it->kind != RS_COMPLAINT && it->kind != RS_OPERATOR);
	}
	if (b->escalate) {
		f->grievance.den++;
		f->grievance.num += o.escalated || o.offered;
	} else if (ordinary) {
		f->ordinary.den++;
		f->ordinary.num += o.escalated;
	}
	for (int i = 0; i < 4; i++) {
		f->flag_p[i].den += o.flags[i];
		f->flag_p[i].num += o.flags[i] && b->flags[i];
		f->flag_r[i].den += b->flags[i];
		f->flag_r[i].num += o.flags[i] && b->flags[i];
	}
	for (int i = 0; i < 4 && verbose; i++)
		if (o.flags[i] != b->flags[i])
			fprintf(stderr, "flag %s %s %s\n", flag_names[i], o.flags[i] ? "extra" : "missed", b->text);
	if (verbose && b->n_expected == 1 && ok && o.extra)
		fprintf(stderr, "extra %-13s want=%-40s answered=%s %s\n", b->kind, b->expected[0], o.answered, b->text);
	if (verbose && (!ok || (b->n_expected >= 2 && !o.all_answered) || (b->escalate && !o.escalated && !o.offered) ||
			(ordinary && o.escalated)))
		fprintf(stderr, "miss %-13s want=%-40s got=%-26s esc=%d/%d%s%s%s%s%s%s %s\n", b->kind,
			oos ? "-" : b->expected[0], o.acted ? o.acted : "-", b->escalate, o.escalated,
			b->plan ? " plan=" : "", b->plan ? b->plan : "", b->plan ? "/" : "", b->plan ? o.plan : "",
			b->n_expected >= 2 && !o.all_answered ? " multi answered=" : "",
			b->n_expected >= 2 && !o.all_answered ? o.answered : "", b->text);
}

static void print_ratio(const char *what, struct ratio r, const char *target)
{
	printf("  %-44s %6.1f%%  (%d/%d)%s%s\n", what, 100 * r_of(r), r.num, r.den, target ? "  target " : "",
	       target ? target : "");
}

static void blind_print(const char *name, const struct blind_figs *f)
{
	printf("== blind set %s: %d lines\n", name, f->lines);
	print_ratio("strict first intent, all lines", f->strict, ">= 80%");
	print_ratio("strict first intent, in scope", f->in_scope, NULL);
	for (size_t i = 0; i < f->n_kinds; i++) {
		const struct kind_fig *k = &f->kinds[i];
		const char *t = NULL;
		if (!strcmp(k->name, "typo") || !strcmp(k->name, "layout") || !strcmp(k->name, "translit") ||
		    !strcmp(k->name, "glued"))
			t = ">= 90%";
		else if (!strcmp(k->name, "english"))
			t = ">= 80%";
		char label[64];
		snprintf(label, sizeof label, "  kind %s", k->name);
		print_ratio(label, (struct ratio){k->ok, k->n}, t);
	}
	print_ratio("multi-question: every request answered", f->multi, ">= 70%");
	print_ratio("multi-question: ... in the customer's order", (struct ratio){f->multi_order.num, f->multi.den},
		    NULL);
	print_ratio("one request, answered right, plus an answer not asked for", f->single_extra, NULL);
	print_ratio("out of scope: precision", f->oos_p, ">= 80%");
	print_ratio("out of scope: recall", f->oos_r, ">= 70%");
	print_ratio("grievances reaching a person or the case offer", f->grievance, ">= 90%");
	print_ratio("ordinary questions escalated", f->ordinary, "<= 5%");
	for (int i = 0; i < 4; i++) {
		char label[64];
		snprintf(label, sizeof label, "flag %s: precision", flag_names[i]);
		print_ratio(label, f->flag_p[i], ">= 95%");
		snprintf(label, sizeof label, "flag %s: recall", flag_names[i]);
		print_ratio(label, f->flag_r[i], ">= 95%");
	}
	print_ratio("tariff plan picked right", f->plan, ">= 90%");
	fflush(stdout);
}

/* Reports one blind set; returns its figures in *f. heldout: never print a line. */
static void blind_set(const struct replyset *rs, FILE *fp, const char *name, int heldout, struct blind_figs *f)
{
	memset(f, 0, sizeof *f);
	int verbose = !heldout && getenv("DESKBOT_LABELLED_VERBOSE");
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, fp) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		struct blind_line b;
		if (strncmp(line, "kind\t", 5) == 0 || parse_blind(line, &b) < 0)
			continue;
		blind_add(rs, &b, f, verbose);
	}
	free(line);
	blind_print(name, f);
}

static void heldout_asserts(const struct blind_figs *f)
{
	assert_true(f->lines > 0);
	assert_true(r_of(f->strict) >= HELDOUT_STRICT);
	assert_true(r_of(f->oos_p) >= HELDOUT_OOS_PRECISION);
	assert_true(r_of(f->oos_r) >= HELDOUT_OOS_RECALL);
	assert_true(r_of(f->grievance) >= HELDOUT_GRIEVANCE_REACHED);
	assert_true(r_of(f->ordinary) <= HELDOUT_ORDINARY_ESCALATED);
	assert_true(r_of(f->plan) >= HELDOUT_PLAN);
	assert_true(r_of(f->multi) >= HELDOUT_MULTI);
	for (size_t i = 0; i < f->n_kinds; i++) {
		const struct kind_fig *k = &f->kinds[i];
		double r = (double)k->ok / k->n;
		if (!strcmp(k->name, "typo") || !strcmp(k->name, "layout") || !strcmp(k->name, "translit") ||
		    !strcmp(k->name, "glued"))
			assert_true(r >= HELDOUT_REPAIRED);
		if (!strcmp(k->name, "english"))
			assert_true(r >= HELDOUT_ENGLISH);
	}
	for (int i = 0; i < 4; i++) {
		assert_true(r_of(f->flag_p[i]) >= HELDOUT_FLAG_PRECISION);
		assert_true(r_of(f->flag_r[i]) >= HELDOUT_FLAG_RECALL);
	}
}

/* ------------------------------------------------------------------ driver */

static const char *one_path;

/* Reports path in the format its header names. A held-out set's figures go to
 * *held (asserted by the caller once the set is freed). */
static void report(struct replyset *rs, const char *path, int heldout, struct blind_figs *held)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("== %s: not there (yet)\n", path);
		fflush(stdout);
		return;
	}
	char head[64] = "";
	if (!fgets(head, sizeof head, f))
		head[0] = '\0';
	rewind(f);
	if (strncmp(head, "kind\t", 5) == 0) {
		struct blind_figs figs;
		const char *base = strrchr(path, '/');
		blind_set(rs, f, base ? base + 1 : path, heldout, &figs);
		fclose(f);
		if (heldout)
			*held = figs;
		return;
	}
	own_set(rs, f, path);
	fclose(f);
}

static void test_labelled(void **state)
{
	(void)state;
	struct replyset *rs = th_default_set();
	struct blind_figs held = {0};
	if (one_path) {
		report(rs, one_path, strstr(one_path, "heldout") != NULL, &held);
	} else {
		/* tuning_b.tsv was the held-out set until stop 24; its figures were read
		 * so often that it became a tuning set, and heldout.tsv is a fresh blind one.
		 * tuning_c.tsv (stop 25) is a third tuning set, written blind. The held-out set
		 * is the last. */
		const char *sets[] = {"tests/data/utterances.tsv", "tests/data/blind/tuning.tsv",
				      "tests/data/blind/tuning_b.tsv", "tests/data/blind/tuning_c.tsv",
				      "tests/data/blind/heldout.tsv"};
		const size_t n_sets = sizeof sets / sizeof sets[0];
		for (size_t i = 0; i < n_sets; i++) {
			char *p = xasprintf("%s/%s", th_source_dir(), sets[i]);
			report(rs, p, i == n_sets - 1, &held);
			free(p);
		}
		/* The held-out set is what the floors guard: a checkout without it fails. */
		assert_true(held.lines > 0);
	}
	replyset_free(rs);
	if (held.lines) {
		printf("held-out floors asserted: strict >= %.0f%%, out of scope precision >= %.0f%% and recall "
		       ">= %.0f%%, grievances reached >= %.0f%%, ordinary escalated <= %.0f%%, plan >= %.0f%%, "
		       "multi-question >= %.0f%%, typo/layout/translit/glued >= %.0f%% each, English >= %.0f%%, "
		       "each flag precision >= %.0f%% and recall >= %.0f%%\n",
		       100 * HELDOUT_STRICT, 100 * HELDOUT_OOS_PRECISION, 100 * HELDOUT_OOS_RECALL,
		       100 * HELDOUT_GRIEVANCE_REACHED, 100 * HELDOUT_ORDINARY_ESCALATED, 100 * HELDOUT_PLAN,
		       100 * HELDOUT_MULTI, 100 * HELDOUT_REPAIRED, 100 * HELDOUT_ENGLISH,
		       100 * HELDOUT_FLAG_PRECISION, 100 * HELDOUT_FLAG_RECALL);
		fflush(stdout);
		heldout_asserts(&held);
	}
}

int main(int argc, char **argv)
{
	one_path = argc > 1 ? argv[1] : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labelled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
