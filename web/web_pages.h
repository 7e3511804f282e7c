/*
 * web_pages.h - the handlers web_routes.c names, and the pages the /apps/
 * gates (web_app.c) hand over to.
 */
#ifndef BERTH_WEB_PAGES_H
#define BERTH_WEB_PAGES_H

#include "web/web.h"

struct web_app;

/* GET /health: "ok", for a proxy's or a test's probe (web_health.c) */
int web_health(const struct web_req *req, struct web_resp *resp);
/* GET /login?t=TOKEN, POST /logout (web_login.c) */
int web_login(const struct web_req *req, struct web_resp *resp);
int web_logout(const struct web_req *req, struct web_resp *resp);
/* GET /static/style.css, /static/live.js (web_static.c) */
int web_static(const struct web_req *req, struct web_resp *resp);
/* GET / (web_apps.c) */
int web_apps(const struct web_req *req, struct web_resp *resp);
/* GET and POST /apps/NAME... (web_app.c) */
int web_app_get(const struct web_req *req, struct web_resp *resp);
int web_app_post(const struct web_req *req, struct web_resp *resp);
/* GET /metrics (web_metrics.c) */
int web_metrics(const struct web_req *req, struct web_resp *resp);

/* behind web_app.c's gates, with the app open */
int web_app_page(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa);                       /* web_app_page.c */
int web_deploy_page(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa);                       /* web_deploy.c */
int web_logs_page(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa);                       /* web_live.c */
int web_action(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa);                       /* web_actions.c */

#endif
