/*
 * health.c - is a new process without a port ready?  It is once its
 * supervisor has reported it running for a second; it fails at once if
 * its supervisor reports it crashed or restarting.  (A web process is
 * health-checked over HTTP by its own supervisor, berth-shim's relay,
 * and swap waits for that with shim_wait_ready, run/upstream.c.)
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/procs.h"
#include "run/swap.h"

int
health_wait(const struct conf *c, const char *app, const struct proc_rec *p,
    int timeout_s, char *why, size_t whylen)
{
	struct proc_status ps;
	time_t deadline = time(NULL) + timeout_s;

	for (;;) {
		proc_status(c->data_dir, app, p, &ps);
		if (strcmp(ps.state, "crashed") == 0 ||
		    strcmp(ps.state, "backoff") == 0 || ps.restarts > 0 ||
		    strcmp(ps.state, "gone") == 0) {
			snprintf(why, whylen, "%s.%d exited during start (see 'logs %s')",
			    p->type, p->idx, app);
			return -1;
		}
		if (strcmp(ps.state, "running") == 0 && ps.started > 0 &&
		    time(NULL) - ps.started >= 1)
			return 0;
		if (time(NULL) >= deadline) {
			snprintf(why, whylen, "%s.%d did not stay up for 1 s within"
			    " %d s", p->type, p->idx, timeout_s);
			return -1;
		}
		usleep(200000);
	}
}
