/*
 * retire.c - an old web process leaves the app's upstream before a deploy
 * reports success: its shim gets SIGTERM, its relay closes its listener at
 * once (the accept queue moves to the new release's relays) and says so by
 * writing "retiring" into its run dir's state file; berth waits for that
 * with inotify, not by polling.  Draining and the stop itself happen after
 * the push returned (run/swap.c's retire).  See shim_spawn.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/path.h"
#include "run/procs.h"
#include "run/shim_spawn.h"

#define LEAVE_TIMEOUT_MS 2000

static int
left(const struct conf *c, const char *app, const struct proc_rec *p)
{
	struct proc_status ps;

	proc_status(c->data_dir, app, p, &ps);
	return strcmp(ps.state, "running") != 0 &&
	    strcmp(ps.state, "backoff") != 0 && strcmp(ps.state, "starting") != 0;
}

void
shim_leave(const struct conf *c, const char *app, const struct proc_rec *p,
    size_t n)
{
	long long deadline = clock_ms() + LEAVE_TIMEOUT_MS;
	char dir[PATH_MAX], buf[4096];
	size_t i;
	int in;

	if ((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return;
	for (i = 0; i < n; i++)
		if (p[i].port > 0 && proc_alive(&p[i]) &&
		    proc_run_dir(c->data_dir, app, p[i].id, dir, sizeof(dir)) == 0 &&
		    inotify_add_watch(in, dir, IN_MOVED_TO | IN_DELETE_SELF) != -1)
			(void)kill(p[i].shim_pid, SIGTERM);
	for (;;) {
		struct pollfd pfd = { in, POLLIN, 0 };
		long long wait = deadline - clock_ms();
		for (i = 0; i < n; i++)
			if (p[i].port > 0 && proc_alive(&p[i]) && !left(c, app, &p[i]))
				break;
		if (i == n || wait <= 0)
			break;
		if (poll(&pfd, 1, (int)wait) == -1 && errno != EINTR)
			break;
		while (read(in, buf, sizeof(buf)) > 0)
			;
	}
	close(in);
}
