/* The file fetcher (see file_fetch.h). */
#include "file_fetch.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "json_util.h"
#include "log.h"
#include "store.h"
#include "store_files.h"
#include "xalloc.h"

#define FETCH_SLOTS 4

struct slot {
	struct file_fetch *f;
	int64_t id, case_id;
	char kind[16];
	int busy;
};

struct file_fetch {
	struct file_fetch_deps d;
	uv_timer_t timer;
	int sub;
	struct slot slots[FETCH_SLOTS];
};

static const char *const images[] = {"image/jpeg", "image/png", "image/webp", "image/gif", NULL};
static const char *const audio[] = {"audio/ogg", "audio/mpeg",	"audio/mp4",	   "audio/aac",
				    "audio/opus", "audio/webm", "application/ogg", NULL};
/* An entry ending in "-" names a family (vnd.ms-excel, vnd.ms-powerpoint...). */
static const char *const docs[] = {"application/pdf",	      "text/plain",
				   "application/zip",	      "application/msword",
				   "application/vnd.openxmlformats-", "application/vnd.ms-",
				   "application/vnd.oasis.opendocument.text",
				   "application/octet-stream", "image/jpeg", "image/png",
				   "image/webp", "image/gif", NULL};

/* The index of type in list, or -1. */
static int find_type(const char *const *list, const char *type)
{
	for (int i = 0; list && list[i]; i++) {
		size_t n = strlen(list[i]);
		if (list[i][n - 1] == '-' ? strncasecmp(type, list[i], n) == 0
					  : strcasecmp(type, list[i]) == 0)
			return i;
	}
	return -1;
}

static void bare_type(const char *mime, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.*s", (int)strcspn(mime, "; \t"), mime);
}

int file_type_allowed(const char *kind, const char *mime)
{
	if (!kind || !mime)
		return 0;
	char type[96];
	bare_type(mime, type, sizeof type);
	const char *const *list = strcmp(kind, "voice") == 0      ? audio
				  : strcmp(kind, "document") == 0 ? docs
				  : strcmp(kind, "photo") == 0 || strcmp(kind, "sticker") == 0
					  ? images
					  : NULL;
	return find_type(list, type) >= 0;
}

const char *file_type_static(const char *mime)
{
	char type[96];
	bare_type(mime ? mime : "", type, sizeof type);
	const char *const *lists[] = {images, audio, docs};
	for (size_t l = 0; l < 3; l++) {
		int i = find_type(lists[l], type);
		if (i >= 0 && lists[l][i][strlen(lists[l][i]) - 1] != '-')
			return lists[l][i];
	}
	return "application/octet-stream";
}

static void emit(struct file_fetch *f, int64_t case_id, int64_t file_id)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "case_id", (double)case_id);
	cJSON_AddNumberToObject(ev, "file_id", (double)file_id);
	events_emit(f->d.events, "case_file", ev);
	cJSON_Delete(ev);
}

/* Records the outcome of one attempt in its own unit of work. */
static void record(struct slot *s, const struct channel_file_result *r, const char *mime,
		   const char *reason, int permanent)
{
	struct file_fetch *f = s->f;
	struct store_tx *tx = store_begin(f->d.store);
	int rc = !tx ? -1
		 : r && r->ok ? store_file_done(tx, s->id, mime, r->data, r->len)
			      : store_file_failed(tx, s->id, reason, permanent, FILE_FETCH_ATTEMPTS);
	if (rc < 0 || store_commit(tx) < 0) {
		if (rc < 0)
			store_rollback(tx);
		log_error("files: file %lld of case %lld: outcome not stored: %s",
			  (long long)s->id, (long long)s->case_id, store_state(f->d.store));
	}
	emit(f, s->case_id, s->id);
}

static void fetched(void *arg, const struct channel_file_result *r)
{
	struct slot *s = arg;
	s->busy = 0;
	if (r->ok && file_type_allowed(s->kind, r->mime)) {
		char mime[96];
		bare_type(r->mime, mime, sizeof mime);
		log_info("files: file %lld (%s) of case %lld kept: %zu bytes, %s", (long long)s->id,
			 s->kind, (long long)s->case_id, r->len, mime);
		record(s, r, mime, NULL, 0);
	} else if (r->ok) {
		char reason[160];
		snprintf(reason, sizeof reason, "content type \"%.60s\" refused for a %s",
			 *r->mime ? r->mime : "(none)", s->kind);
		log_warn("files: file %lld of case %lld: %s", (long long)s->id,
			 (long long)s->case_id, reason);
		record(s, NULL, NULL, reason, 1);
	} else {
		log_warn("files: file %lld of case %lld not fetched%s: %s", (long long)s->id,
			 (long long)s->case_id, r->permanent ? "" : " (will retry)", r->reason);
		record(s, NULL, NULL, r->reason, r->permanent);
	}
}

static struct slot *free_slot(struct file_fetch *f, int64_t id)
{
	struct slot *free_one = NULL;
	for (int i = 0; i < FETCH_SLOTS; i++) {
		if (f->slots[i].busy && f->slots[i].id == id)
			return NULL; /* already on its way */
		if (!f->slots[i].busy && !free_one)
			free_one = &f->slots[i];
	}
	return free_one;
}

static void start_one(void *arg, const struct store_pending_file *p)
{
	struct file_fetch *f = arg;
	struct slot *s = free_slot(f, p->id);
	if (!s)
		return;
	*s = (struct slot){.f = f, .id = p->id, .case_id = p->case_id, .busy = 1};
	snprintf(s->kind, sizeof s->kind, "%s", p->kind);
	size_t max = f->d.max_bytes ? f->d.max_bytes : FILE_FETCH_MAX_BYTES;
	int rc = f->d.fetch(f->d.arg, p->channel, p->ref, max, fetched, s);
	if (rc == 0)
		return;
	s->busy = 0;
	const char *reason = rc == CHANNEL_FILE_REFUSED
				     ? "the file's address is not one of the platform's hosts: refused"
				     : "the download could not start";
	log_warn("files: file %lld of case %lld from %s: %s", (long long)p->id,
		 (long long)p->case_id, p->channel, reason);
	record(s, NULL, NULL, reason, rc == CHANNEL_FILE_REFUSED);
}

void file_fetch_kick(struct file_fetch *f)
{
	if (!f || !free_slot(f, 0))
		return;
	if (store_files_pending(f->d.store, 0, FETCH_SLOTS * 2, start_one, f) < 0)
		log_error("files: pending files not read: %s", store_state(f->d.store));
}

size_t file_fetch_in_flight(const struct file_fetch *f)
{
	size_t n = 0;
	for (int i = 0; f && i < FETCH_SLOTS; i++)
		n += f->slots[i].busy != 0;
	return n;
}

static void timer_cb(uv_timer_t *t)
{
	file_fetch_kick(t->data);
}

static void event_cb(void *arg, const char *type, const cJSON *data)
{
	if (strcmp(type, "customer_message") == 0 && json_int(data, "files", 0) > 0)
		file_fetch_kick(arg);
}

struct file_fetch *file_fetch_new(const struct file_fetch_deps *d)
{
	struct file_fetch *f = xcalloc(1, sizeof *f);
	f->d = *d;
	uv_timer_init(d->loop, &f->timer);
	f->timer.data = f;
	uv_timer_start(&f->timer, timer_cb, 0, FILE_FETCH_RETRY_S * 1000);
	f->sub = events_subscribe(d->events, event_cb, f);
	return f;
}

static void closed_cb(uv_handle_t *h)
{
	free(h->data);
}

void file_fetch_free(struct file_fetch *f)
{
	if (!f)
		return;
	events_unsubscribe(f->d.events, f->sub);
	uv_timer_stop(&f->timer);
	uv_close((uv_handle_t *)&f->timer, closed_cb);
}
