/* The console's ideas API (see console_ideas.h). */
#include "console_ideas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ideas.h"
#include "log.h"
#include "outbox.h"
#include "replyset.h"
#include "server.h"
#include "store.h"
#include "store_ideas.h"
#include "xalloc.h"

#define IDEAS_LIST_MAX 1000

struct console_ideas {
	struct console_ideas_deps d;
};

struct console_ideas *console_ideas_new(const struct console_ideas_deps *d)
{
	struct console_ideas *ci = xcalloc(1, sizeof *ci);
	ci->d = *d;
	return ci;
}

void console_ideas_free(struct console_ideas *ci)
{
	free(ci);
}

static struct replyset *live_replies(struct console_ideas *ci)
{
	return ci->d.replies ? ci->d.replies(ci->d.arg) : NULL;
}

static void answer(struct http_resp *resp, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	http_resp_json(resp, 200, s);
	free(s);
	cJSON_Delete(o);
}

static void store_failed(struct console_ideas *ci, struct http_resp *resp, const char *what)
{
	log_error("console: ideas: %s failed: %s", what, store_state(ci->d.store));
	http_resp_error(resp, 500, "хранилище не ответило, ничего не изменено");
}

static void list_one(void *arg, const struct idea *i)
{
	cJSON_AddItemToArray(arg, idea_json(i));
}

static void api_list(struct console_ideas *ci, struct http_resp *resp)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "ideas");
	if (store_ideas_each(ci->d.store, 0, IDEAS_LIST_MAX, list_one, arr) < 0) {
		cJSON_Delete(o);
		store_failed(ci, resp, "the list");
		return;
	}
	cJSON *units = cJSON_AddArrayToObject(o, "units");
	struct replyset *rs = live_replies(ci);
	const struct replyset_settings *set = rs ? replyset_settings(rs) : NULL;
	for (size_t k = 0; set && k < set->n_idea_units; k++)
		cJSON_AddItemToArray(units, cJSON_CreateString(set->idea_units[k]));
	/* The page's labels, so that its Russian names live in one place. */
	static const char *const statuses[][2] = {{"new", "новая"}, {"review", "на рассмотрении"},
		{"planned", "запланирована"}, {"done", "сделана"}, {"declined", "отклонена"}};
	cJSON *st = cJSON_AddArrayToObject(o, "statuses");
	for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "id", statuses[k][0]);
		cJSON_AddStringToObject(s, "label", statuses[k][1]);
		cJSON_AddItemToArray(st, s);
	}
	answer(resp, o);
}

/* Answers {"idea": id's row} plus extra's members (taken; may be NULL). */
static void answer_idea(struct console_ideas *ci, struct http_resp *resp, int64_t id,
			cJSON *extra)
{
	struct idea i;
	int found = store_idea_get(ci->d.store, id, &i);
	if (found <= 0) {
		cJSON_Delete(extra);
		if (found < 0)
			store_failed(ci, resp, "reading the idea");
		else
			http_resp_error(resp, 404, "нет такой идеи");
		return;
	}
	cJSON *o = extra ? extra : cJSON_CreateObject();
	cJSON_AddItemToObject(o, "idea", idea_json(&i));
	idea_free(&i);
	answer(resp, o);
}

/* One change as a unit of work: 1 committed, 0 refused (answered 409), -1 failed. */
enum change { CHANGE_MERGE, CHANGE_ROUTE, CHANGE_STATUS };

static void api_change(struct console_ideas *ci, enum change what, int64_t id, const cJSON *body,
		       const char *login, int64_t now, struct http_resp *resp)
{
	const cJSON *into = cJSON_GetObjectItemCaseSensitive(body, "into");
	const cJSON *unit = cJSON_GetObjectItemCaseSensitive(body, "unit");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(body, "status");
	if ((what == CHANGE_MERGE && (!cJSON_IsNumber(into) || into->valuedouble < 1)) ||
	    (what == CHANGE_ROUTE && !cJSON_IsString(unit)) ||
	    (what == CHANGE_STATUS && !(cJSON_IsString(status) && idea_status_valid(status->valuestring)))) {
		http_resp_error(resp, 400, what == CHANGE_MERGE   ? "нужно поле into: номер идеи"
					   : what == CHANGE_ROUTE ? "нужно поле unit: подразделение"
								  : "нужно поле status: new, review, "
								    "planned, done или declined");
		return;
	}
	struct replyset *rs = live_replies(ci);
	struct outbox_row notice = {0};
	struct store_tx *tx = store_begin(ci->d.store);
	int result = -1;
	if (tx && what == CHANGE_MERGE)
		result = ideas_merge(tx, id, (int64_t)into->valuedouble, login, now);
	else if (tx && what == CHANGE_ROUTE)
		result = ideas_route(tx, rs, id, unit->valuestring, login, now);
	else if (tx)
		result = ideas_set_status(tx, ci->d.store, rs, id, status->valuestring, login, now,
					  &notice);
	if (result == 1 && store_commit(tx) < 0)
		result = -1;
	else if (result != 1)
		store_rollback(tx);
	if (result < 0) {
		outbox_row_free(&notice);
		store_failed(ci, resp, "a change");
		return;
	}
	if (result == 0) {
		outbox_row_free(&notice);
		http_resp_error(resp, 409, what == CHANGE_MERGE
						   ? "объединить нельзя: идеи нет, она уже объединена или та же"
				   : what == CHANGE_ROUTE ? "нет такой идеи или такого подразделения"
							  : "нет такой идеи, она объединена или статус тот же");
		return;
	}
	cJSON *extra = NULL;
	if (what == CHANGE_STATUS) {
		extra = cJSON_CreateObject();
		cJSON_AddBoolToObject(extra, "notified", notice.channel != NULL);
	}
	if (notice.channel && ci->d.outbox)
		outbox_enqueue(ci->d.outbox, notice.channel, &notice);
	else
		outbox_row_free(&notice);
	answer_idea(ci, resp, what == CHANGE_MERGE ? (int64_t)into->valuedouble : id, extra);
}

static void api_export(struct console_ideas *ci, const struct http_req *req,
		       struct http_resp *resp)
{
	char format[8] = "json", sep[4] = ",";
	if (http_req_param(req, "format", format, sizeof format) == -2 ||
	    http_req_param(req, "sep", sep, sizeof sep) == -2 ||
	    (strcmp(format, "json") && strcmp(format, "csv")) ||
	    (strcmp(sep, ",") && strcmp(sep, ";"))) {
		http_resp_error(resp, 400, "format: json или csv; sep: , или ;");
		return;
	}
	int csv = strcmp(format, "csv") == 0;
	buf_reset(&resp->body);
	/* Times on the reply set's clock, as the reports and working hours count them. */
	struct replyset *rs = live_replies(ci);
	int64_t off = rs ? (int64_t)replyset_settings(rs)->utc_offset_minutes * 60 : 0;
	if (ideas_export(ci->d.store, csv, sep[0], off, &resp->body) < 0) {
		store_failed(ci, resp, "the export");
		return;
	}
	resp->status = 200;
	resp->content_type = csv ? "text/csv; charset=utf-8" : "application/json";
}

/* "/N/what" (or "/N") into id and the rest ("what", ""); 0 when path is not that. */
static int idea_path(const char *path, int64_t *id, const char **rest)
{
	if (path[0] != '/' || path[1] < '1' || path[1] > '9')
		return 0;
	char *end;
	long long v = strtoll(path + 1, &end, 10);
	if (end - path > 16 || (*end && *end != '/'))
		return 0;
	*id = v;
	*rest = *end ? end + 1 : end;
	return 1;
}

void console_ideas_handle(struct console_ideas *ci, const struct http_req *req, const char *path,
			  const cJSON *body, const char *login, int64_t now,
			  struct http_resp *resp)
{
	int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	int64_t id;
	const char *rest;
	if (strcmp(path, "") == 0 || strcmp(path, "/export") == 0) {
		if (!get)
			http_resp_error(resp, 405, "метод не поддерживается");
		else if (*path)
			api_export(ci, req, resp);
		else
			api_list(ci, resp);
		return;
	}
	if (idea_path(path, &id, &rest) && !*rest) {
		if (!get) {
			http_resp_error(resp, 405, "метод не поддерживается");
			return;
		}
		cJSON *audit = store_idea_audit(ci->d.store, id);
		if (!audit) {
			store_failed(ci, resp, "the audit");
			return;
		}
		cJSON *extra = cJSON_CreateObject();
		cJSON_AddItemToObject(extra, "audit", audit);
		answer_idea(ci, resp, id, extra);
		return;
	}
	if (!idea_path(path, &id, &rest)) {
		http_resp_error(resp, 404, "нет такого адреса");
		return;
	}
	static const char *const changes[] = {"merge", "route", "status"};
	for (int k = 0; k < 3; k++)
		if (strcmp(rest, changes[k]) == 0) {
			if (!post)
				http_resp_error(resp, 405, "метод не поддерживается");
			else
				api_change(ci, (enum change)k, id, body, login, now, resp);
			return;
		}
	http_resp_error(resp, 404, "нет такого адреса");
}
