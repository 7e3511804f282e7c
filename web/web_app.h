/*
 * web_app.h - what every /apps/NAME/... page and action starts with: the
 * session, the app from the path, and the key's role on it.  An app the
 * key may not see is answered 404, as one that does not exist: the
 * dashboard tells a deployer nothing of other apps.
 */
#ifndef BERTH_WEB_APP_H
#define BERTH_WEB_APP_H

#include "core/store.h"
#include "web/web.h"
#include "web/web_session.h"

struct web_app {
	struct store *st;
	struct web_user u;
	struct app_rec app;
	enum role role;
	const char *rest;  /* the path after /apps/NAME: "" or "/..." */
};

/* 0 with wa filled (close wa->st with web_app_close); 1 when resp holds
 * the answer (401, 404, 400); -1 (logged). */
int web_app_open(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa);
void web_app_close(struct web_app *wa);

#endif
