/*
 * web_proc.c - the endpoint's process under berth serve (web_proc.h),
 * started as `berth __child ... web FD` (core/childexec.h) by the front
 * process, in which this runs: libc only.  Why a process of its own
 * rather than serve's poll loop:
 * a handler's bug or a stuck request then ends one process that serve
 * starts again, never the SSH side; and the endpoint's loop
 * (web_server.c) stays a plain single-threaded one that may fork.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "web/web_proc.h"

static int web_tick(void *);
static int web_reaped(void *, pid_t, int, int);
static void web_stop(void *);

void
web_chore_init(struct web_chore *w, const struct conf *c,
    const struct childexec *x, int fd, const struct gitd_chores *inner,
    struct gitd_chores *out)
{
	memset(w, 0, sizeof(*w));
	w->conf = c;
	w->x = x;
	w->fd = fd;
	w->inner = *inner;
	*out = (struct gitd_chores){ web_tick, web_reaped, web_stop, w,
	    inner->fd };
}

static void
start_child(struct web_chore *w)
{
	struct childexec_opts o = { { w->fd, -1, -1, -1 }, 0, 1 };
	char sfd[16];
	pid_t pid;

	snprintf(sfd, sizeof(sfd), "%d", w->fd);
	if ((pid = childexec_spawn(w->x, &o, (const char *const[]){ "web", sfd,
	    NULL })) == -1) {
		log_warn("web: cannot fork the dashboard endpoint");
		w->next_start_ms = clock_ms() + WEB_RESTART_MS;
		return;
	}
	w->child = pid;
	log_info("dashboard endpoint on %s (process %ld)", w->conf->dash_listen,
	    (long)pid);
}

static int
web_tick(void *arg)
{
	struct web_chore *w = arg;
	int inner = w->inner.tick(w->inner.arg);
	long long wait;

	if (w->fd == -1)
		return inner;
	if (w->child == 0 && clock_ms() >= w->next_start_ms)
		start_child(w);
	wait = w->child != 0 ? 60000 : w->next_start_ms - clock_ms();
	if (wait < 0)
		wait = 0;
	return inner >= 0 && inner < wait ? inner : (int)wait;
}

static int
web_reaped(void *arg, pid_t pid, int status, int no_login)
{
	struct web_chore *w = arg;

	if (pid != w->child || pid == 0)
		return w->inner.reaped(w->inner.arg, pid, status, no_login);
	w->child = 0;
	w->next_start_ms = clock_ms() + WEB_RESTART_MS;
	log_warnx("dashboard endpoint %ld ended %s %d; starting it again",
	    (long)pid, WIFSIGNALED(status) ? "by signal" : "with status",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return 1;
}

static void
web_stop(void *arg)
{
	struct web_chore *w = arg;
	int status;

	w->inner.stop(w->inner.arg);
	if (w->child == 0)
		return;
	(void)kill(w->child, SIGTERM);
	while (waitpid(w->child, &status, 0) == -1 && errno == EINTR)
		;
	w->child = 0;
}
