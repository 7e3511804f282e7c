/*
 * live.h - which release of an app is live.  Two places say it:
 * apps.current_release, which the router renders and every command reads,
 * and the link DATA/apps/APP/current -> releases/N, for people and tools
 * on the server.  These two functions are their only writers: the router
 * records a release it is about to show (under its lock, and puts the old
 * one back if the proxy refuses), a deploy's activate stage and recovery
 * at `berth serve` start go through them too.
 */
#ifndef BERTH_LIVE_H
#define BERTH_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

/* apps.current_release of app_id := version.  0, or -1 with err. */
int live_record(struct store *st, int64_t app_id, int version, char *err,
    size_t errlen);

/* Point DATA/apps/APP/current at releases/VERSION, in one rename of the
 * link made as current.TAG (recovery sweeps up "current.*" leftovers).
 * was gets what it pointed at before ("" when missing).  1 when it moved,
 * 0 when it pointed there already, -1 with err. */
int live_link(const char *data_dir, const char *app, int version,
    const char *tag, char *was, size_t waslen, char *err, size_t errlen);

#endif
