/*
 * web_pages.h - the handlers web_routes.c names, one file each (or a few
 * for one concern).
 */
#ifndef BERTH_WEB_PAGES_H
#define BERTH_WEB_PAGES_H

#include "web/web.h"

/* GET /health: "ok", for a proxy's or a test's probe (web_health.c) */
int web_health(const struct web_req *req, struct web_resp *resp);

#endif
