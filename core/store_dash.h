/*
 * store_dash.h - the dashboard's login links and sessions in the store
 * (web/web_login.c writes and reads them, `dashboard:login` makes a
 * link).  A row holds the sha256 of a token (core/token.h), never the
 * token: a copy of the database opens no session.  Rows past their
 * expiry are dropped as they are met.
 */
#ifndef BERTH_STORE_DASH_H
#define BERTH_STORE_DASH_H

#include <stdint.h>

#include "core/store.h"

#define DASH_LOGIN "login"     /* a one-time link */
#define DASH_SESSION "session" /* a browser's cookie */

/* Record token hash (hex) of kind for key_id, valid until expires_at
 * (unix seconds).  0 or -1. */
int store_dash_add(struct store *st, const char *hash, const char *kind,
    int64_t key_id, int64_t expires_at);

/* The key of a live token of kind: 0 with *key_id; STORE_NOTFOUND when
 * there is none (unknown, expired, used); -1.  consume: the row is
 * deleted in the same statement, so a link opens one session only, even
 * when two requests race. */
int store_dash_find(struct store *st, const char *hash, const char *kind,
    int consume, int64_t *key_id);

/* Drop every session and link of key_id (dashboard:logout-all); *n: how
 * many.  0 or -1. */
int store_dash_forget_key(struct store *st, int64_t key_id, int *n);

#endif
