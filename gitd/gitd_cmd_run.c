/*
 * gitd_cmd_run.c - `run APP CMD ARGS...`: a one-off process in the app's
 * live release (run/oneoff.h: the app's uid and config vars), its stdin,
 * stdout and stderr over the SSH channel (gitd_relay.c), on a terminal
 * when the client asked for one (`ssh -t`).  The argv is the one the gate
 * split, passed to execvpe as it is: no shell of berth's (write
 * `run APP sh -c '...'` for one).  The process's exit status is the
 * command's (128 + N when signal N ended it); when the client goes away,
 * the process is stopped (SIGHUP, then SIGKILL).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gitd/gitd_dispatch.h"
#include "run/oneoff.h"

int
cmd_run(struct gitd_ctx *g, int argc, char **argv)
{
	char *words[ONEOFF_ARGV_MAX + 1], err[256], dyno[32];
	struct oneoff_proc p;
	struct oneoff o;
	int gone;

	if (g->io.relay == NULL) {
		gitd_errorf(g, "berth: run works over SSH only");
		return 2;
	}
	if (argc - 2 > ONEOFF_ARGV_MAX) {
		gitd_errorf(g, "berth: more than %d words", ONEOFF_ARGV_MAX);
		return 2;
	}
	/* the gate's argv is not NULL-terminated; execvpe's must be */
	for (int i = 2; i < argc; i++)
		words[i - 2] = argv[i];
	words[argc - 2] = NULL;
	snprintf(dyno, sizeof(dyno), "run.%ld", (long)getpid());
	o = (struct oneoff){ .conf = g->conf, .st = g->st, .app = &g->app,
	    .version = g->app.current_release, .argv = words, .dyno = dyno };
	if (oneoff_start(&o, g->io.pty ? &g->io.ws : NULL,
	    g->io.term[0] ? g->io.term : NULL, &p, err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: cannot run: %s", err);
		return 1;
	}
	gone = g->io.relay(g->io.in_out.ctx, &p);
	return oneoff_finish(&p, gone);
}
