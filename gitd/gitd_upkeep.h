/*
 * gitd_upkeep.h - berth serve's disk upkeep, run beside its other chores
 * (gitd_server.h): a forked pass, never inside a push's connection, so a
 * push never waits for it.  A pass
 *   - repacks every repository that holds gc_auto_packs packs or more
 *     (gitd/gitd_gc.h), soon (UPKEEP_SOON_MS) after a connection ended and
 *     at every interval;
 *   - destroys the previews idle longer than [previews] ttl (run/preview.h);
 *   - applies the retention rules (core/upkeep.h) to every app, and to the
 *     database, every [upkeep] interval seconds.
 * It takes each app's lock without waiting (applock_try): an app busy with
 * a push is done by a later pass.  One pass at a time, at a lower priority
 * (UPKEEP_NICE) than pushes and apps.
 */
#ifndef BERTH_GITD_UPKEEP_H
#define BERTH_GITD_UPKEEP_H

#include <sys/types.h>

#include "conf/conf.h"
#include "core/childexec.h"
#include "gitd/gitd_server.h"

#define UPKEEP_SOON_MS 1000     /* after a connection ended */
#define UPKEEP_FIRST_MS 5000    /* the first full pass after start */
#define UPKEEP_NICE 10          /* a pass runs at this nice value */

struct upkeep_chore {
	const struct childexec *x; /* how a pass is started */
	long long interval_ms;    /* [upkeep] interval */
	struct gitd_chores inner; /* the chores it runs beside (repairs) */
	pid_t child;              /* the pass running now, 0 if none */
	long long next_check_ms;  /* the next pass (pack counts) */
	long long next_full_ms;   /* the next pass with the retention rules */
};

/* Set u up to run beside inner; *out: the chores to give gitd_serve. */
void upkeep_chore_init(struct upkeep_chore *u, const struct conf *c,
    const struct childexec *x, const struct gitd_chores *inner,
    struct gitd_chores *out);

/* One pass in the calling process; full: the retention rules too.
 * Returns 0, or 1 when something failed (logged). */
int upkeep_pass(const struct conf *c, int full);

#endif
