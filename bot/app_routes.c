/* Routes beyond /healthz and /metrics: the admin reload endpoint. */
#include <string.h>
#include <uv.h>

#include "app_internal.h"
#include "log.h"
#include "server.h"

/* Constant-time comparison of the bearer token, so timing does not leak it. */
static int token_ok(const char *authorization, const char *token)
{
	static const char prefix[] = "Bearer ";
	if (!token || !*token || strncmp(authorization, prefix, sizeof prefix - 1) != 0)
		return 0;
	const char *given = authorization + sizeof prefix - 1;
	size_t n = strlen(token), m = strlen(given);
	unsigned char diff = (unsigned char)(n != m);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(token[i] ^ (i < m ? given[i] : 0));
	return diff == 0;
}

static void admin_reload_route(void *arg, const struct http_req *req, struct http_resp *resp)
{
	struct app *app = arg;
	if (strcmp(req->method, "POST") != 0) {
		http_resp_error(resp, 405, "use POST");
		return;
	}
	if (!token_ok(req->authorization, app->cfg.admin_token)) {
		log_warn("admin: reload refused from %s: missing or wrong bearer token", req->peer);
		http_resp_error(resp, 401, "admin bearer token required");
		return;
	}
	int result = app_reload(app, &resp->body);
	resp->status = result == 0 ? 200 : 422;
	resp->content_type = "application/json";
}

void app_routes(struct app *app)
{
	server_route(app->server, "/admin/reload", admin_reload_route, app);
}

void app_report_leftover(uv_handle_t *h, void *arg)
{
	(void)arg;
	log_warn("shutdown: handle of type %s still open", uv_handle_type_name(h->type));
}
