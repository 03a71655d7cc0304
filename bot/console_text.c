/* The console's texts in Russian and English (see console_text.h). */
#include "console_text.h"

#include <string.h>

#include "auth.h"

struct console_text_pair {
	const char *ru, *en;
};

static const struct console_text_pair texts[CT_COUNT] = {
	[CT_STORE_FAILED] = {"хранилище не ответило, ничего не изменено",
			     "the store did not answer; nothing was changed"},
	[CT_USE_GET] = {"нужен запрос GET", "use GET"},
	[CT_NOT_FOUND] = {"не найдено", "not found"},
	[CT_LOGIN_BAD_CREDENTIALS] = {"Неверный логин или пароль", "Wrong login or password"},
	[CT_LOGIN_THROTTLED] = {"слишком много неудачных попыток входа, попробуйте позже",
				"too many failed logins; try again later"},
	[CT_LOGIN_NO_RANDOM] = {"нет случайных байтов для токена сессии",
				"no random bytes for a session token"},
	[CT_LOGIN_MALFORMED] = {"логин и пароль должны быть непустыми строками",
				"login and password must be non-empty strings"},
	[CT_LOGIN_BUSY] = {"слишком много входов сразу, попробуйте через минуту",
			   "too many logins at once; try again in a moment"},
	[CT_LOGIN_CANCELLED] = {"сервер останавливается", "the server is stopping"},
	[CT_LOGIN_REFUSED_DETAIL] = {"%s (отказано: %d)", "%s (refused: %d)"},
	[CT_BAD_FILTER] = {"неверный фильтр: статус open, all, new, claimed, waiting, resolved "
			   "или closed; важность critical, high, normal или low; признак из "
			   "списка; from и to в секундах Unix; limit от 1 до 500; запрос до 200 "
			   "байт",
			   "bad filter: status open, all, new, claimed, waiting, resolved or "
			   "closed; severity critical, high, normal or low; a flag from the list; "
			   "from and to in Unix seconds; limit 1 to 500; a query of up to 200 bytes"},
	[CT_BAD_VIEW] = {"название вида до 64 байт; фильтр: объект со строками status, channel, "
			 "category, assignee, severity, flag, from, to, q",
			 "a view's name is up to 64 bytes; its filter an object of strings status, "
			 "channel, category, assignee, severity, flag, from, to, q"},
	[CT_TOO_MANY_VIEWS] = {"сохранено слишком много видов (не больше 50)",
			       "too many saved views (50 at most)"},
	[CT_NO_SUCH_VIEW] = {"нет такого вида", "no such view"},
	[CT_NO_SUCH_CASE] = {"нет такого обращения", "no such case"},
	[CT_FIELD_REQUIRED] = {"поле «%s» обязательно", "field \"%s\" is required"},
	[CT_FIELD_TOO_LONG] = {"поле «%s» — строка не длиннее %d байт",
			       "field \"%s\" must be a string of at most %d bytes"},
	[CT_FIELD_EMPTY] = {"поле «%s» пустое", "field \"%s\" is empty"},
	[CT_CLAIMED_BY] = {"обращение уже взял в работу %s", "case already claimed by %s"},
	[CT_CASE_DONE] = {"обращение уже решено или закрыто", "the case is already resolved or closed"},
	[CT_NO_SUCH_OPERATOR] = {"нет такого сотрудника", "no such operator"},
	[CT_ASSIGN_NOT_ALLOWED] = {"передать обращение может только его исполнитель или "
				   "администратор",
				   "only the case's holder or an admin can hand it over"},
	[CT_ALREADY_WITH_THEM] = {"обращение уже у этого сотрудника",
				  "the case is already with this operator"},
	[CT_NOBODY_HOLDS] = {"обращение никто не взял в работу", "nobody has claimed the case"},
	[CT_RELEASE_NOT_ALLOWED] = {"вернуть обращение в очередь может только исполнитель или "
				    "администратор",
				    "only the case's holder or an admin can return it to the queue"},
	[CT_FILL_PLACEHOLDER] = {"заполните %s перед отправкой", "fill in %s before sending"},
	[CT_CLAIM_TO_REPLY] = {"чтобы ответить, возьмите обращение в работу",
			       "claim the case to reply"},
	[CT_NOT_QUEUED] = {"ответ не поставлен в очередь на отправку, попробуйте ещё раз",
			   "the reply was not queued for sending; try again"},
	[CT_NOTIFY_BOOL] = {"поле «notify» должно быть true или false",
			    "field \"notify\" must be true or false"},
	[CT_HANDBACK_NOT_ALLOWED] = {"вернуть разговор боту может только исполнитель или "
				     "администратор",
				     "only the case's holder or an admin can hand the chat back "
				     "to the bot"},
	[CT_STATUS_NOT_ALLOWED] = {"сменить статус может только исполнитель или администратор",
				   "only the case's holder or an admin can change its status"},
	[CT_CASE_CLOSED] = {"обращение закрыто", "the case is closed"},
	[CT_CLAIM_FIRST] = {"сначала возьмите обращение в работу", "claim the case first"},
	[CT_BAD_STATUS] = {"статус: new, claimed, waiting, resolved или closed",
			   "status: new, claimed, waiting, resolved or closed"},
	[CT_BAD_DAYS] = {"days — число от 1 до 90", "days must be a number from 1 to 90"},
	[CT_BAD_CASE_ID] = {"case_id — целое положительное число",
			    "case_id must be a positive integer"},
	[CT_METHOD_NOT_ALLOWED] = {"метод не поддерживается", "method not allowed"},
	[CT_NO_SUCH_PATH] = {"нет такого адреса", "no such address"},
	[CT_LOG_IN] = {"войдите в консоль", "log in to the console"},
	[CT_BAD_CSRF] = {"нет CSRF-токена, он неверен, или запрос с чужого сайта",
			 "no CSRF token, a wrong one, or a request from another site"},
	[CT_ADMIN_ONLY] = {"нужна роль администратора", "admins only"},
	[CT_FOREIGN_ORIGIN] = {"запрос с чужого сайта", "a request from another site"},
	[CT_NEED_JSON_TYPE] = {"нужен Content-Type: application/json",
			       "Content-Type: application/json expected"},
	[CT_NEED_JSON_OBJECT] = {"ожидается объект JSON", "a JSON object expected"},
	[CT_ALERT_UNCLAIMED] = {"Обращение %s ждёт без исполнителя %lld мин",
				"Case %s has waited unclaimed for %lld min"},
	[CT_ALERT_SILENCE] = {"%s не отвечает %lld мин: обращение вернулось в очередь",
			      "%s has not answered for %lld min: the case is back in the queue"},
	[CT_ALERT_IDLE] = {"Нет сообщений %lld мин: снова отвечает бот",
			   "No messages for %lld min: the bot answers again"},
	[CT_AUDIT_HANDED] = {"Передано: %s → %s", "Handed over: %s → %s"},
	[CT_AUDIT_ASSIGNED] = {"Назначено: очередь → %s", "Assigned: queue → %s"},
	[CT_AUDIT_REPLY_TEMPLATE] = {"шаблон %s, %zu байт", "template %s, %zu bytes"},
	[CT_AUDIT_REPLY_OWN] = {"свой текст, %zu байт", "own text, %zu bytes"},
	[CT_PUBLIC_NEED_TEMPLATE] = {"нужен шаблон публичного ответа", "a public reply needs a template"},
	[CT_PUBLIC_NOT_APPROVED] = {"публично отвечают только одобренными шаблонами public_…",
				    "public replies use approved public_… templates only"},
	[CT_PUBLIC_NO_COMMENT] = {"у обращения нет такого комментария в его ветке",
				  "the case's thread has no such comment"},
	[CT_PUBLIC_DELETED] = {"комментарий удалён автором", "the author deleted the comment"},
	[CT_AUDIT_REPLY_FILE] = {"файл %s (%zu байт), текст %zu байт",
				 "file %s (%zu bytes), text %zu bytes"},
	[CT_NO_SUCH_FILE] = {"файла «%s» нет среди одобренных (набор ответов перезагружен?)",
			     "\"%s\" is not an approved file (was the reply set reloaded?)"},
	[CT_NO_FILES_HERE] = {"в этот канал файлы не отправляются",
			      "this channel cannot send files"},
};

const char *console_text(const char *lang, enum console_text_id id)
{
	if ((unsigned)id >= CT_COUNT)
		return "?";
	const struct console_text_pair *t = &texts[id];
	return lang && strcmp(lang, "en") == 0 ? t->en : t->ru;
}

const char *console_auth_text(const char *lang, int auth_err)
{
	switch (auth_err) {
	case AUTH_EBAD_CREDENTIALS:
		return console_text(lang, CT_LOGIN_BAD_CREDENTIALS);
	case AUTH_ETHROTTLED:
		return console_text(lang, CT_LOGIN_THROTTLED);
	case AUTH_ENO_RANDOM:
		return console_text(lang, CT_LOGIN_NO_RANDOM);
	case AUTH_EMALFORMED:
		return console_text(lang, CT_LOGIN_MALFORMED);
	case AUTH_EBUSY:
		return console_text(lang, CT_LOGIN_BUSY);
	case AUTH_ECANCELLED:
		return console_text(lang, CT_LOGIN_CANCELLED);
	}
	return auth_strerror(auth_err);
}
