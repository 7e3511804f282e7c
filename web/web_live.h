/*
 * web_live.h - what web_deploy.c and web_live.c share: one deploy's row,
 * and a running deploy's stream.
 */
#ifndef BERTH_WEB_LIVE_H
#define BERTH_WEB_LIVE_H

#include "core/store.h"
#include "web/web_app.h"

/* The app's deploy number: 0; STORE_NOTFOUND; -1 (logged). */
int web_deploy_get(struct store *st, int64_t app_id, int number,
    struct deploy_rec *out);

/* GET /apps/NAME/deploys/N/stream (web_live.c) */
int web_deploy_stream(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa, int number);

#endif
