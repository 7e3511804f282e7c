/*
 * gitd_cron.h - berth serve's scheduler, run beside its other chores
 * (gitd_server.h): at each minute of its clock it starts a pass
 * (run/cron_sched.h), a process of its own (`berth __child ... cron FROM
 * TO`, core/childexec.h), over the minutes since the last one, so the accept
 * loop never waits for a job.  Passes may overlap (a long job keeps its
 * pass waiting); one job never runs twice at once (run/cron_run.h).
 * When berth serve stops, its passes and their running jobs are stopped.
 *
 * The clock is the real one.  Tests set BERTH_TEST_CRON_SCALE=N in berth
 * serve's environment to make it run N times faster from its start (a
 * minute every 60/N s), so that an e2e test sees a job "every minute"
 * without waiting for real minutes; like BERTH_TEST_PAUSE
 * (core/testpoint.h), nothing else should set it.
 */
#ifndef BERTH_GITD_CRON_H
#define BERTH_GITD_CRON_H

#include <sys/types.h>
#include <time.h>

#include "conf/conf.h"
#include "core/childexec.h"
#include "gitd/gitd_server.h"

#define CRON_PASSES_MAX 8
#define CRON_SCALE_MAX 600

struct cron_chore {
	const struct childexec *x;  /* how a pass is started */
	struct gitd_chores inner;   /* the chores it runs beside */
	long long scale;            /* clock speed: 1, or the test's N */
	long long real0_ms;         /* when it started (real, ms) */
	time_t checked;             /* the minutes up to here were looked at */
	pid_t passes[CRON_PASSES_MAX];
};

/* Set k up to run beside inner; *out: the chores to give gitd_serve. */
void cron_chore_init(struct cron_chore *k, const struct childexec *x,
    const struct gitd_chores *inner, struct gitd_chores *out);

#endif
