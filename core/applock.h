/*
 * applock.h - one operation per app at a time (push, rollback, destroy):
 * an flock on DATA/locks/APP.lock.  The lock goes away with the process, so
 * a crash never leaves a stale lock behind.
 */
#ifndef BERTH_APPLOCK_H
#define BERTH_APPLOCK_H

#include <stddef.h>

#include "conf/conf.h"

/* Take the app's lock, waiting if another holder has it (waiting() is
 * called once before blocking).  Returns the fd to close, or -1 with err. */
int applock_take(const struct conf *c, const char *app,
    void (*waiting)(void *), void *arg, char *err, size_t errlen);

/* Take the app's lock only if nobody holds it (berth serve's repairs
 * never wait for a push).  1 taken (*fd to close), 0 busy, -1 with err. */
int applock_try(const struct conf *c, const char *app, int *fd, char *err,
    size_t errlen);

#endif
