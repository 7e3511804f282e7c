/*
 * spawn_int.h - what spawn.c (the caller's side) and spawn_keeper.c (the
 * keeper process and the step it starts) share.
 */
#ifndef BERTH_SPAWN_INT_H
#define BERTH_SPAWN_INT_H

#include "core/spawn.h"

#define KILL_GRACE_MS 3000    /* SIGTERM at the deadline, SIGKILL after */
#define REAP_DEADLINE_MS 10000 /* at most this long to see everything gone */

/* What the keeper tells the caller once the step and everything it started
 * are gone. */
struct keeper_report {
	int status;     /* wait status of the step */
	int timed_out;
	int leftover;   /* with reap_all: something could not be stopped */
	int fork_errno; /* the step could not be forked */
};

/*
 * The keeper, in a forked child: starts the step, waits for it, its
 * deadline or the caller's end (EOF on life), cleans up and writes one
 * keeper_report to report (unless the caller is gone).  out and why are
 * the step's ends of the output and start-failure pipes.  Never returns.
 */
void keeper_main(const struct spawn_opts *o, int out, int why, int report,
    int life) __attribute__((noreturn));

#endif
