/*
 * web_app.c - the /apps/NAME prologue (web_app.h), and the GET and POST
 * gates of /apps/: the part of the path after the app's name picks the
 * page (web_app_page.c, web_deploy.c, web_live.c) or the action
 * (web_actions.c).
 */
#include <string.h>

#include "core/log.h"
#include "core/names.h"
#include "web/web_app.h"
#include "web/web_pages.h"

int
web_app_open(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa)
{
	const char *name = req->path + strlen("/apps/");
	char app[STORE_NAME_MAX], why[256];
	size_t n = strcspn(name, "/");
	int rc;

	memset(wa, 0, sizeof(*wa));
	if (n == 0 || n >= sizeof(app)) {
		web_resp_error(resp, 404, "no such app");
		return 1;
	}
	memcpy(app, name, n);
	app[n] = '\0';
	wa->rest = name + n;
	if (name_app_valid(app, why, sizeof(why)) == -1) {
		web_resp_error(resp, 404, "no such app");
		return 1;
	}
	if ((wa->st = web_store(req->conf)) == NULL)
		return -1;
	if ((rc = web_session_user(req, wa->st, &wa->u, resp)) != 0)
		goto fail;
	rc = store_app_get(wa->st, app, &wa->app);
	if (rc == 0 && (wa->role = web_role(wa->st, &wa->u, &wa->app)) !=
	    ROLE_NONE)
		return 0;
	if (rc == -1)
		log_warnx("web: %s", store_error(wa->st));
	else
		rc = web_resp_error(resp, 404, "no such app") == 0 ? 1 : -1;
fail:
	store_close(wa->st);
	wa->st = NULL;
	return rc;
}

void
web_app_close(struct web_app *wa)
{
	if (wa->st != NULL)
		store_close(wa->st);
	wa->st = NULL;
}

int
web_app_get(const struct web_req *req, struct web_resp *resp)
{
	struct web_app wa;
	int rc;

	if ((rc = web_app_open(req, resp, &wa)) != 0)
		return rc == 1 ? 0 : -1;
	if (wa.rest[0] == '\0')
		rc = web_app_page(req, resp, &wa);
	else if (strncmp(wa.rest, "/deploys/", 9) == 0)
		rc = web_deploy_page(req, resp, &wa);
	else if (strcmp(wa.rest, "/logs") == 0 ||
	    strcmp(wa.rest, "/logs/stream") == 0)
		rc = web_logs_page(req, resp, &wa);
	else
		rc = web_resp_error(resp, 404, "not found");
	web_app_close(&wa);
	return rc;
}

int
web_app_post(const struct web_req *req, struct web_resp *resp)
{
	struct web_app wa;
	int rc;

	if ((rc = web_app_open(req, resp, &wa)) != 0)
		return rc == 1 ? 0 : -1;
	rc = web_action(req, resp, &wa);
	web_app_close(&wa);
	return rc;
}
