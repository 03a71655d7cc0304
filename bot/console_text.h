/* The console's own texts (API errors, alerts, audit notes) in one table, Russian and
 * English; config "console.language" chooses. A text with %s / %lld takes the same
 * arguments in both languages (tests/unit/bot/test_console_text.c checks). */
#ifndef DESKBOT_CONSOLE_TEXT_H
#define DESKBOT_CONSOLE_TEXT_H

enum console_text_id {
	CT_STORE_FAILED,
	CT_USE_GET,
	CT_NOT_FOUND,
	CT_LOGIN_BAD_CREDENTIALS,
	CT_LOGIN_THROTTLED,
	CT_LOGIN_NO_RANDOM,
	CT_LOGIN_MALFORMED,
	CT_LOGIN_BUSY,
	CT_LOGIN_CANCELLED,
	CT_LOGIN_REFUSED_DETAIL, /* %s address, %d refusals */
	CT_BAD_FILTER,
	CT_BAD_VIEW,
	CT_TOO_MANY_VIEWS,
	CT_NO_SUCH_VIEW,
	CT_NO_SUCH_CASE,
	CT_FIELD_REQUIRED,       /* %s field */
	CT_FIELD_TOO_LONG,       /* %s field, %d bytes */
	CT_FIELD_EMPTY,          /* %s field */
	CT_CLAIMED_BY,           /* %s the holder's name */
	CT_CASE_DONE,
	CT_NO_SUCH_OPERATOR,
	CT_ASSIGN_NOT_ALLOWED,
	CT_ALREADY_WITH_THEM,
	CT_NOBODY_HOLDS,
	CT_RELEASE_NOT_ALLOWED,
	CT_FILL_PLACEHOLDER,     /* %s placeholder */
	CT_CLAIM_TO_REPLY,
	CT_NOT_QUEUED,
	CT_NOTIFY_BOOL,
	CT_HANDBACK_NOT_ALLOWED,
	CT_STATUS_NOT_ALLOWED,
	CT_CASE_CLOSED,
	CT_CLAIM_FIRST,
	CT_BAD_STATUS,
	CT_BAD_DAYS,
	CT_BAD_CASE_ID,
	CT_METHOD_NOT_ALLOWED,
	CT_NO_SUCH_PATH,
	CT_LOG_IN,
	CT_BAD_CSRF,
	CT_ADMIN_ONLY,
	CT_FOREIGN_ORIGIN,
	CT_NEED_JSON_TYPE,
	CT_NEED_JSON_OBJECT,
	CT_ALERT_UNCLAIMED,      /* %s case number, %lld minutes */
	CT_ALERT_SILENCE,        /* %s holder, %lld minutes */
	CT_ALERT_IDLE,           /* %lld minutes */
	CT_AUDIT_HANDED,         /* %s from, %s to */
	CT_AUDIT_ASSIGNED,       /* %s to (from the queue) */
	CT_AUDIT_REPLY_TEMPLATE, /* %s template id, %zu bytes */
	CT_AUDIT_REPLY_OWN,      /* %zu bytes */
	CT_PUBLIC_NEED_TEMPLATE,
	CT_PUBLIC_NOT_APPROVED,
	CT_PUBLIC_NO_COMMENT,
	CT_PUBLIC_DELETED,
	CT_AUDIT_REPLY_FILE,     /* %s approved file id, %zu bytes of the file, %zu of text */
	CT_NO_SUCH_FILE,         /* %s approved file id */
	CT_NO_FILES_HERE,
	CT_COUNT
};

/* lang "en" gives English; anything else (NULL, "ru") Russian. Never NULL. */
const char *console_text(const char *lang, enum console_text_id id);

/* The text for an auth error code (auth.h AUTH_E*), in lang. */
const char *console_auth_text(const char *lang, int auth_err);

#endif
