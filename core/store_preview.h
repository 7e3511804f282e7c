/*
 * store_preview.h - the rows of preview deploys (core/store_preview.c).
 * A preview is an app row of its own (its releases, deploys, processes,
 * upstream port and config vars hang off that row as for any app) plus a
 * previews row naming its parent app and the branch it deploys.  An app's
 * preview_settings row, when there is one, turns previews on with a
 * branch pattern (fnmatch(3)).  Same return convention as store.h.
 */
#ifndef BERTH_STORE_PREVIEW_H
#define BERTH_STORE_PREVIEW_H

#include "core/store.h"

#define PREVIEW_BRANCH_MAX 256  /* refs/heads/ + this fits REF_NAME_MAX */
#define PREVIEW_PATTERN_MAX 128

struct preview_rec {
	int64_t app_id;                  /* the preview's own app row */
	int64_t parent_id;
	char name[STORE_NAME_MAX];       /* its app name: APP--LABEL */
	char branch[PREVIEW_BRANCH_MAX];
	int64_t pushed_at;               /* unix time of its last push */
	int current_release;
};

/* The app's branch pattern: 0 (previews on), STORE_NOTFOUND (off), -1. */
int store_previews_pattern(struct store *st, int64_t app_id, char *pattern,
    size_t len);
int store_previews_enable(struct store *st, int64_t app_id,
    const char *pattern);
int store_previews_disable(struct store *st, int64_t app_id);

/* Make app row app_id the preview of branch of parent_id (pushed now). */
int store_preview_add(struct store *st, int64_t app_id, int64_t parent_id,
    const char *branch);
/* The preview of branch: 0, STORE_NOTFOUND or -1. */
int store_preview_get(struct store *st, int64_t parent_id,
    const char *branch, struct preview_rec *out);
/* Its last push is now. */
int store_preview_touch(struct store *st, int64_t app_id);
/* parent_id's previews by branch (parent_id 0: every app's, oldest push
 * first); stops early if fn returns non-zero. */
int store_preview_each(struct store *st, int64_t parent_id,
    int (*fn)(void *, const struct preview_rec *), void *arg);
int store_preview_count(struct store *st, int64_t parent_id, int *n);

#endif
