/*
 * web_hooks.h - POST /hooks/APP: a Git host's webhook delivery
 * (web_hooks.c; README.md, "Webhooks").
 */
#ifndef BERTH_WEB_HOOKS_H
#define BERTH_WEB_HOOKS_H

#include "web/web.h"

int web_hooks(const struct web_req *req, struct web_resp *resp);

#endif
