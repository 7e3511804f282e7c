/*
 * app.h - operations on a whole app that run/ carries out under the app's
 * lock (core/applock.h): restart, stop, destroy, rename.  The SSH commands
 * (gitd/gitd_cmd_*.c) call them; holder says what the caller is
 * ("ps:restart by key 'dev'"), which a caller kept waiting longer than
 * [server] lock_timeout is told.
 */
#ifndef BERTH_RUN_APP_H
#define BERTH_RUN_APP_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/msg.h"
#include "core/store.h"

/* How app_restart goes about it. */
#define RESTART_SCALE      1 /* only what the formation adds or removes */
#define RESTART_IF_RUNNING 2 /* a stopped app (ps:stop) stays stopped */

/* Replace the app's processes (those of type, when not NULL) with fresh
 * ones of the live release (after a config change, ps:restart, ps:scale,
 * ps:start), with the zero-downtime swap, under the app's lock.  0 when
 * done; 1 when RESTART_IF_RUNNING found the app stopped and did nothing;
 * -1 with why. */
int app_restart(const struct conf *c, struct store *st, const char *app,
    const char *holder, const char *type, int flags,
    say_fn say, void *say_ctx, char *why, size_t wlen);

/* *stopped = 1 when the live release has processes to run and none of
 * them is running (ps:stop removed them; a crashed one still counts as
 * running).  0, or -1 when the store fails. */
int app_stopped(struct store *st, const struct app_rec *a, int *stopped);

/* Stop all of the app's processes (ps:stop).  0 or -1 with why. */
int app_stop(const struct conf *c, struct store *st, const char *app,
    const char *holder, char *why, size_t wlen);

/* Delete an app: processes, routing, repository, releases, rows, in that
 * order; safe to run again after a crash half-way.  0 or -1 with why. */
int app_destroy(const struct conf *c, struct store *st, const char *app,
    const char *holder, char *why, size_t wlen);

/* Rename an app (its processes are restarted under the new name). */
int app_rename(const struct conf *c, struct store *st, const char *from,
    const char *to, const char *holder, char *why, size_t wlen);

#endif
