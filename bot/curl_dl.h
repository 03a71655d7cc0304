/* libcurl, loaded when first needed. Debian's libcurl pulls in some forty libraries
 * (GnuTLS, Kerberos, LDAP, SSH...) that cost ~4 MB of resident memory and ~10 ms of
 * start-up just by being mapped, and its global init sets up OpenSSL. The embedded
 * default (no VK, Telegram or CRM) never talks HTTP out, so it never pays for them.
 *
 * The table is filled once by curl_dl_load and is read-only afterwards: a resolved
 * symbol table, like the dynamic linker's, not mutable state. */
#ifndef DESKBOT_CURL_DL_H
#define DESKBOT_CURL_DL_H
#include <curl/curl.h>

struct curl_dl {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	curl_mime *(*mime_init)(CURL *);
	void (*mime_free)(curl_mime *);
	curl_mimepart *(*mime_addpart)(curl_mime *);
	CURLcode (*mime_name)(curl_mimepart *, const char *);
	CURLcode (*mime_data)(curl_mimepart *, const char *, size_t);
	CURLcode (*mime_filename)(curl_mimepart *, const char *);
	CURLcode (*mime_type)(curl_mimepart *, const char *);
};

/* Loads libcurl.so.4 and resolves every function. Returns the table, or NULL with a log
 * line when the library or a symbol is missing. */
const struct curl_dl *curl_dl_load(void);

#endif
