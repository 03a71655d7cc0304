/* Loading libcurl on demand (see curl_dl.h). */
#include "curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "log.h"

static struct curl_dl table;
static const struct curl_dl *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYMBOL(field, name) {offsetof(struct curl_dl, field), name}

static void load(void)
{
	static const struct {
		size_t offset;
		const char *name;
	} symbols[] = {
		SYMBOL(global_init, "curl_global_init"),
		SYMBOL(global_cleanup, "curl_global_cleanup"),
		SYMBOL(easy_init, "curl_easy_init"),
		SYMBOL(easy_cleanup, "curl_easy_cleanup"),
		SYMBOL(easy_reset, "curl_easy_reset"),
		SYMBOL(easy_setopt, "curl_easy_setopt"),
		SYMBOL(easy_getinfo, "curl_easy_getinfo"),
		SYMBOL(easy_strerror, "curl_easy_strerror"),
		SYMBOL(multi_init, "curl_multi_init"),
		SYMBOL(multi_cleanup, "curl_multi_cleanup"),
		SYMBOL(multi_setopt, "curl_multi_setopt"),
		SYMBOL(multi_add_handle, "curl_multi_add_handle"),
		SYMBOL(multi_remove_handle, "curl_multi_remove_handle"),
		SYMBOL(multi_assign, "curl_multi_assign"),
		SYMBOL(multi_socket_action, "curl_multi_socket_action"),
		SYMBOL(multi_info_read, "curl_multi_info_read"),
		SYMBOL(slist_append, "curl_slist_append"),
		SYMBOL(slist_free_all, "curl_slist_free_all"),
		SYMBOL(mime_init, "curl_mime_init"),
		SYMBOL(mime_free, "curl_mime_free"),
		SYMBOL(mime_addpart, "curl_mime_addpart"),
		SYMBOL(mime_name, "curl_mime_name"),
		SYMBOL(mime_data, "curl_mime_data"),
		SYMBOL(mime_filename, "curl_mime_filename"),
		SYMBOL(mime_type, "curl_mime_type"),
	};
	/* Never closed: libcurl stays for the life of the process once loaded. */
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		log_error("http: cannot load libcurl: %s (install libcurl4)", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
		void *fn = dlsym(lib, symbols[i].name);
		if (!fn) {
			log_error("http: libcurl lacks %s", symbols[i].name);
			return;
		}
		*(void **)((char *)&table + symbols[i].offset) = fn;
	}
	loaded = &table;
}

const struct curl_dl *curl_dl_load(void)
{
	pthread_once(&once, load);
	return loaded;
}
