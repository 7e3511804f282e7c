/*
 * preview.h - ending preview deploys (run/preview.c): one (a deleted
 * branch, previews:destroy), every one of an app (apps:destroy of the
 * app), and those idle longer than [previews] ttl (berth serve's upkeep
 * pass).  A preview goes as any app does (run/app.h's app_destroy:
 * processes, routes, releases, files, rows); its previews row goes with
 * its app row.
 */
#ifndef BERTH_RUN_PREVIEW_H
#define BERTH_RUN_PREVIEW_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/store.h"

/* Destroy the preview of branch of parent (the caller holds parent's
 * lock, or needs none).  0, STORE_NOTFOUND (no such preview), or -1 with
 * why. */
int preview_destroy(const struct conf *c, struct store *st,
    const struct app_rec *parent, const char *branch, const char *holder,
    char *why, size_t wlen);

/* Destroy every preview of parent (under parent's lock).  0 or -1. */
int preview_destroy_all(const struct conf *c, struct store *st,
    const struct app_rec *parent, const char *holder, char *why,
    size_t wlen);

/* Destroy the previews nobody pushed to for [previews] ttl seconds,
 * each under its app's lock, taken without waiting (a busy app's wait
 * for a later pass).  Sets *n to how many went; 0, or -1 when one could
 * not be destroyed (logged). */
int preview_expire(const struct conf *c, struct store *st, int *n);

#endif
