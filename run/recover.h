/*
 * recover.h - what `berth serve` repairs when it starts, before it takes
 * connections: the apps' files and processes follow a changed
 * app_uid_base (run/uidbase.c), then what a crash left half-done is
 * cleaned and restarted (run/recover.c).  While it serves, run/reconcile.h
 * keeps repairing.
 */
#ifndef BERTH_RUN_RECOVER_H
#define BERTH_RUN_RECOVER_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/store.h"

/* On `berth serve` start: remove what a crash left half-done (quarantines,
 * build dirs, temp links), mark interrupted deploys failed; apps with a
 * push still in progress are left alone. */
void recover_start(const struct conf *c, struct store *st);

/* On `berth serve` start, first: if [server] app_uid_base is not the base
 * the apps' files belong to (recorded in sqlite), move their files and
 * processes (and the managed Caddy's home) to the new uids, or refuse
 * with what to do.  0, or -1 with err (berth serve does not start). */
int uidbase_follow(const struct conf *c, struct store *st, char *err,
    size_t errlen);

/* After the router is up: retire what cut-off swaps left draining. */
void recover_routed(const struct conf *c, struct store *st);

#endif
