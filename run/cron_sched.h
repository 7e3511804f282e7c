/*
 * cron_sched.h - the scheduler's pass: what berth serve runs once a
 * minute (gitd/gitd_cron.c forks it, as it forks its repairs and
 * upkeep).  A pass looks at every app's live release: each job whose
 * schedule comes in the window (from, to] (in the app's TZ, or the
 * server's) starts in a process of its own that runs it to its end
 * (run/cron_run.h).  A job whose last run is still going is not started
 * again: the skip is written in its log.  The window starts where the
 * previous one ended, and the first at berth serve's start, so runs
 * missed while berth was down are not made up, and a job due several
 * times in one late window runs once.
 */
#ifndef BERTH_CRON_SCHED_H
#define BERTH_CRON_SCHED_H

#include <time.h>

#include "conf/conf.h"

#define CRON_DUE_MAX 256   /* runs one pass starts, at most */

/* One pass in the calling process; it returns when the runs it started
 * have ended.  0, or 1 when something failed (logged). */
int cron_pass(const struct conf *c, time_t from, time_t to);

#endif
