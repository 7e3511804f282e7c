/*
 * applock.h - one operation per app at a time (push, rollback, restart,
 * destroy, ...): an flock on DATA/locks/APP.lock.  The lock goes away with
 * the process, so a crash never leaves a stale lock behind.  The holder
 * writes what it is and since when into the file, so a caller that cannot
 * get the lock in time is told what holds it.
 */
#ifndef BERTH_APPLOCK_H
#define BERTH_APPLOCK_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/msg.h"

#define APPLOCK_WHAT_MAX 160

/*
 * Take the app's lock for `holder` (what it is, e.g. "a push by key
 * 'dev'"), waiting at most [server] lock_timeout seconds while another
 * holder has it; waiting(arg, busy) is called once before the wait, with
 * busy saying what holds the lock ("a push by key 'dev' since 12:00:01").
 * Returns the fd to close, or -1 with err; a wait that ran out says
 * "app 'APP' is busy: BUSY; try again".
 */
int applock_take(const struct conf *c, const char *app, const char *holder,
    say_fn waiting, void *arg, char *err, size_t errlen);

/* Take the app's lock for holder only if nobody holds it (berth serve's
 * repairs never wait for a push).  1 taken (*fd to close), 0 busy, -1
 * with err. */
int applock_try(const struct conf *c, const char *app, const char *holder,
    int *fd, char *err, size_t errlen);

#endif
