/*
 * preview.h - preview deploys: how a branch's preview is named and where
 * it answers (core/preview.c).
 *
 * A preview of branch B of app APP is an app row of its own named
 * APP--LABEL, the child of APP (core/store_preview.h): it has its own
 * releases, deploys and build logs, processes, upstream port, config
 * vars (over APP's, core/vars.c) and files (apps/APP--LABEL/), built from
 * APP's repository by the same pipeline (deploy/preview.c).  It answers
 * at APP--LABEL.DOMAIN, DOMAIN being [previews] domain (default
 * preview.BASE_DOMAIN), so one wildcard record *.DOMAIN covers every
 * preview of every app, and no preview host is an app's APP.BASE_DOMAIN.
 *
 * LABEL is B made a DNS label: lower case, every run of characters other
 * than [a-z0-9] one '-', no '-' at either end, and, when that changed B
 * or APP--LABEL would pass 63 characters, cut to fit and given '-' and 6
 * hex digits of B's SHA-256.  LABEL never holds "--" and APP never ends
 * in '-', so the last "--" of a name is the one between APP and LABEL:
 * two previews (of one app or of two) cannot share a name, and the name
 * is a valid app name wherever it becomes a path, a host or an argv.
 */
#ifndef BERTH_PREVIEW_H
#define BERTH_PREVIEW_H

#include <stddef.h>

#include "conf/conf.h"

#define PREVIEW_HASH_LEN 6
/* the shortest room for LABEL (so the longest APP is 63 - 2 - 8) */
#define PREVIEW_LABEL_MIN (PREVIEW_HASH_LEN + 2)

/* APP--LABEL for branch into out; 0, or -1 with why (app name too long). */
int preview_name(const char *app, const char *branch, char *out,
    size_t outlen, char *why, size_t wlen);

/* The domain previews answer under ([previews] domain or
 * preview.BASE_DOMAIN); 0 or -1 (too long). */
int preview_domain(const struct conf *c, char *out, size_t outlen);

/* The host the app row named name answers at by default: name.DOMAIN for
 * a preview (is_preview), else name.BASE_DOMAIN.  0 or -1 (too long). */
int preview_app_host(const struct conf *c, const char *name, int is_preview,
    char *out, size_t outlen);

/* 1 when a branch name is one berth takes for a preview: 1 to
 * PREVIEW_BRANCH_MAX - 1 characters with no control characters (git's
 * ref rules have been checked). */
int preview_branch_ok(const char *branch);

/* A --pattern: 1-127 printable characters, no spaces. */
int preview_pattern_valid(const char *pattern, char *why, size_t wlen);

#endif
