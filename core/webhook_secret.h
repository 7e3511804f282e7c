/*
 * webhook_secret.h - an app's webhook secret (webhooks:secret APP): 32
 * random bytes as 64 hex digits, shared with the Git host, kept sealed
 * in sqlite (core/secret.h, bound to the app's id) like config vars.
 */
#ifndef BERTH_WEBHOOK_SECRET_H
#define BERTH_WEBHOOK_SECRET_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/store.h"

#define WEBHOOK_SECRET_HEX 65 /* 64 hex digits and the NUL */

/* Make a new secret for app (the old one stops working) into hex.
 * 0 or -1 with err. */
int webhook_secret_make(const struct conf *c, struct store *st,
    const struct app_rec *app, char *hex, char *err, size_t errlen);
/* The app's secret into hex: 0, STORE_NOTFOUND when it has none, or -1
 * with err. */
int webhook_secret_load(const struct conf *c, struct store *st,
    const struct app_rec *app, char *hex, char *err, size_t errlen);

#endif
