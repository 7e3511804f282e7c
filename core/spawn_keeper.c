/*
 * spawn_keeper.c - the keeper of one step, and the step's own start (see
 * spawn.h and spawn_int.h).
 *
 * The keeper is a forked child of the caller in a session of its own (a
 * signal to the caller's process group does not reach it).  With reap_all
 * it is a child subreaper: whatever the step leaves behind (a setsid
 * daemon, a double fork) becomes the keeper's child, not init's.  It waits
 * for the step to exit, for its deadline, or for EOF on the life pipe (the
 * caller died: nobody will use the build, so it ends now), then ends what
 * the step started:
 *   - with reap_all and a uid of the step's own (berth is root): as that
 *     uid, kill(-1, SIGKILL) until /proc shows none of its processes
 *     running (ident_kill_all), which also reaches anything an earlier,
 *     abandoned build left;
 *   - with reap_all: SIGKILL to every child the keeper has, until it has
 *     none (orphans come to it as their parents die);
 *   - else: the step's process group.
 * Only then does it report.  So once the caller hears, nothing the step
 * started can still write to what the step could write to (the build
 * tree before its seal: a descriptor opened for writing outlives a chown).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/privdir.h"
#include "core/procinfo.h"
#include "core/spawn_int.h"

struct keeper {
	const struct spawn_opts *o;
	pid_t step;
	int step_done;
	int status;
};

static void step_exec(const struct spawn_opts *o, int out, int why,
    const sigset_t *mask) __attribute__((noreturn));
static int keeper_wait(struct keeper *k, int life, const sigset_t *stops,
    struct keeper_report *r);
static void keeper_stop_step(struct keeper *k);
static int keeper_end_all(struct keeper *k);
static int reap(struct keeper *k);

void
keeper_main(const struct spawn_opts *o, int out, int why, int report, int life)
{
	struct keeper k = { o, 0, 0, 0 };
	struct keeper_report r;
	sigset_t stops, old;
	int abandoned;

	memset(&r, 0, sizeof(r));
	(void)setsid();
	/* a stop request is noticed in the wait loop; the step unblocks */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &stops, &old);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGCHLD, SIG_DFL);
	if (o->reap_all)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if ((k.step = fork()) == -1) {
		r.fork_errno = errno;
		(void)!write(report, &r, sizeof(r));
		_exit(0);
	}
	if (k.step == 0)
		step_exec(o, out, why, &old);
	close(out);
	close(why);
	abandoned = keeper_wait(&k, life, &stops, &r);
	if (r.timed_out)
		keeper_stop_step(&k);
	r.leftover = keeper_end_all(&k) == -1;
	r.status = k.status;
	if (!abandoned)
		(void)!write(report, &r, sizeof(r));
	_exit(0);
}

/* Until the step exits (0), its deadline passes (0, timed_out), the
 * caller is gone or a stop signal comes (1).  It waits in poll on the
 * life pipe, the step (a pidfd: readable when it exits) and the stop
 * signals (a signalfd); where the kernel has neither, it looks every
 * 50 ms. */
static int
keeper_wait(struct keeper *k, int life, const sigset_t *stops,
    struct keeper_report *r)
{
	long long deadline = k->o->timeout_s > 0 ?
	    clock_ms() + k->o->timeout_s * 1000LL : 0;
	struct pollfd pfd[3] = { { life, POLLIN, 0 },
	    { pidfd_open(k->step, 0), POLLIN, 0 },
	    { signalfd(-1, stops, SFD_CLOEXEC), POLLIN, 0 } };
	int nap = pfd[1].fd >= 0 && pfd[2].fd >= 0 ? 1000 : 50, rc = -1;
	sigset_t pending;

	while (rc == -1) {
		int wait_ms = nap;
		(void)reap(k);
		if (k->step_done) {
			rc = 0;
			break;
		}
		if (deadline && deadline - clock_ms() < wait_ms)
			wait_ms = (int)(deadline - clock_ms());
		if (deadline && wait_ms <= 0) {
			r->timed_out = 1;
			rc = 0;
		} else if (sigpending(&pending) == 0 &&
		    (sigismember(&pending, SIGTERM) == 1 ||
		    sigismember(&pending, SIGINT) == 1 ||
		    sigismember(&pending, SIGHUP) == 1)) {
			rc = 1;
		} else if (poll(pfd, 3, wait_ms) > 0 &&
		    (pfd[0].revents & (POLLIN | POLLHUP))) {
			rc = 1; /* EOF: the caller's end closed */
		}
	}
	for (int i = 1; i < 3; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return rc;
}

/* At the deadline: SIGTERM to the step's group, a grace period to exit. */
static void
keeper_stop_step(struct keeper *k)
{
	long long until = clock_ms() + KILL_GRACE_MS;

	(void)kill(-k->step, SIGTERM);
	while (!k->step_done && clock_ms() < until) {
		usleep(20000);
		(void)reap(k);
	}
}

/* Reap every child that has exited and note the step's status; 1 when
 * the keeper has no child left at all. */
static int
reap(struct keeper *k)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == k->step) {
			k->step_done = 1;
			k->status = status;
		}
	return pid == -1 && errno == ECHILD;
}

/* SIGKILL the step's process group and wait for the step. */
static void
kill_group(struct keeper *k, long long until)
{
	(void)kill(-k->step, SIGKILL);
	while (!k->step_done && clock_ms() < until) {
		usleep(10000);
		(void)reap(k);
	}
}

/* End everything the step started (see the top of the file).  0, or -1
 * when something of it still runs at the deadline. */
static int
keeper_end_all(struct keeper *k)
{
	long long until = clock_ms() + REAP_DEADLINE_MS;
	int rc = 0;

	if (!k->o->reap_all) {
		kill_group(k, until);
		return 0;
	}
	if (k->o->ident != NULL && k->o->ident->drop && !k->o->keep_uid &&
	    ident_kill_all(k->o->ident) == -1)
		rc = -1;
	if (procinfo_kill_children() == -1) {
		kill_group(k, until); /* a kernel that lists no children */
		return rc;
	}
	/* orphans come to the keeper as their parents die: kill what is
	 * listed and reap, until there is no child at all */
	while (!reap(k)) {
		if (clock_ms() >= until)
			return -1;
		(void)procinfo_kill_children();
		usleep(5000);
	}
	return rc;
}

static void
step_fail(int why, int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

static void
step_fail(int why, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(why, msg, (size_t)n < sizeof(msg) ? (size_t)n :
		    sizeof(msg) - 1);
	_exit(code);
}

/* Heap limit and no core dumps. */
static void
step_limits(const struct spawn_opts *o, int why)
{
	/* heap and writable private mappings; address space that V8 or Go
	 * only reserve (PROT_NONE) does not count, unlike RLIMIT_AS */
	struct rlimit rl = { o->memory_limit, o->memory_limit };
	struct rlimit core = { 0, 0 };

	if (o->memory_limit > 0 && (setrlimit(RLIMIT_DATA, &rl) == -1 ||
	    setrlimit(RLIMIT_CORE, &core) == -1))
		step_fail(why, 126, "cannot set the memory limit: %s",
		    strerror(errno));
}

/* The step: its own session, limits, stdio, no inherited descriptor, its
 * private files, its uid, then exec. */
static void
step_exec(const struct spawn_opts *o, int out, int why, const sigset_t *mask)
{
	pid_t keeper = getppid();
	int devnull, onfs = 0;

	(void)setsid();
	(void)sigprocmask(SIG_SETMASK, mask, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	umask(022); /* build output may be served by the proxy */
	step_limits(o, why);
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    dup2(devnull, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1 ||
	    spawn_close_fds() == -1)
		step_fail(why, 126, "cannot set up stdio: %s", strerror(errno));
	if (o->files_dir != NULL &&
	    (onfs = privdir_mount(o->files_dir, o->ident)) == -1)
		step_fail(why, 126, "cannot prepare '%s': %s", o->files_dir,
		    strerror(errno));
	if (o->ident != NULL && ident_drop(o->ident) == -1)
		step_fail(why, 126, "cannot become uid %lu: %s",
		    (unsigned long)o->ident->uid, strerror(errno));
	/* the keeper gone (killed hard): the step goes too; set after the
	 * uid change, which clears it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != keeper)
		_exit(126);
	if (o->files_dir != NULL &&
	    privdir_write(o->files_dir, o->files, o->nfiles) == -1)
		step_fail(why, 126, "cannot write '%s'%s: %s", o->files_dir,
		    onfs ? " (a private tmpfs)" : "", strerror(errno));
	if (o->cwd != NULL && chdir(o->cwd) == -1)
		step_fail(why, 126, "cannot enter '%s': %s", o->cwd,
		    strerror(errno));
	if (o->path_search)
		execvpe(o->argv[0], o->argv, o->envp);
	else
		execve(o->argv[0], o->argv, o->envp);
	step_fail(why, 127, "cannot run '%s': %s", o->argv[0], strerror(errno));
}
