/*
 * gitd_upkeep_chore.c - the clock of berth serve's disk upkeep (see
 * gitd_upkeep.h): it starts one pass at a time as a process of its own
 * (`berth __child ... upkeep FULL`, core/childexec.h) at a lower
 * priority, soon after a connection ended and at every interval.  It
 * wraps the repairs' chore: the daemon's loop sees one set of callbacks.
 * Runs in the front process: libc only.
 */
#include "gitd/gitd_upkeep.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "gitd/gitd_session.h"

static int upkeep_tick(void *arg);
static int upkeep_reaped(void *arg, pid_t pid, int status, int no_login);
static void upkeep_stop(void *arg);

static int
disk_quiet(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == SESSION_OK_DISK_QUIET;
}

void
upkeep_chore_init(struct upkeep_chore *u, const struct conf *c,
    const struct childexec *x, const struct gitd_chores *inner,
    struct gitd_chores *out)
{
	memset(u, 0, sizeof(*u));
	u->x = x;
	u->interval_ms = c->upkeep_interval * 1000LL;
	u->inner = *inner;
	u->next_full_ms = clock_ms() + UPKEEP_FIRST_MS;
	u->next_check_ms = u->next_full_ms;
	*out = (struct gitd_chores){ upkeep_tick, upkeep_reaped, upkeep_stop,
	    u, inner->fd };
}

static void
start_pass(struct upkeep_chore *u, long long now)
{
	struct childexec_opts o = { { -1, -1, -1, -1 }, UPKEEP_NICE, 0 };
	int full = now >= u->next_full_ms;
	pid_t pid;

	/* background work: pushes and apps come first */
	if ((pid = childexec_spawn(u->x, &o, (const char *const[]){ "upkeep",
	    full ? "1" : "0", NULL })) == -1)
		log_warn("cannot fork an upkeep pass");
	else
		u->child = pid;
	if (full)
		u->next_full_ms = now + u->interval_ms;
	u->next_check_ms = u->next_full_ms;
}

static int
upkeep_tick(void *arg)
{
	struct upkeep_chore *u = arg;
	long long now = clock_ms(), wait;
	int inner = u->inner.tick(u->inner.arg);

	if (u->child == 0 && now >= u->next_check_ms)
		start_pass(u, now);
	wait = u->child != 0 ? 1000 : u->next_check_ms - now;
	if (wait < 0)
		wait = 0;
	return inner >= 0 && inner < wait ? inner : (int)wait;
}

static int
upkeep_reaped(void *arg, pid_t pid, int status, int no_login)
{
	struct upkeep_chore *u = arg;
	long long soon;
	int own;

	if (pid == u->child) {
		u->child = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("upkeep pass %ld ended %s %d", (long)pid,
			    WIFSIGNALED(status) ? "by signal" : "with status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
		return 1;
	}
	own = u->inner.reaped(u->inner.arg, pid, status, no_login);
	soon = clock_ms() + UPKEEP_SOON_MS;
	/* a push may have added a pack; a connection that counted its app's
	 * new packs itself (gitd_session.h) says when none is due */
	if (!own && !no_login && !disk_quiet(status) && u->next_check_ms > soon)
		u->next_check_ms = soon;
	return own;
}

/* A repack killed half-way is safe (gitd_gc.h): stop the pass now. */
static void
upkeep_stop(void *arg)
{
	struct upkeep_chore *u = arg;
	int status;

	u->inner.stop(u->inner.arg);
	if (u->child == 0)
		return;
	(void)kill(u->child, SIGTERM);
	while (waitpid(u->child, &status, 0) == -1 && errno == EINTR)
		;
	u->child = 0;
}

