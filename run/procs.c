/*
 * procs.c - starting, finding and stopping process supervisors
 * (shims); see run/procs.h.  A shim is started with a double fork and
 * setsid, so it belongs to no berth process and survives `berth serve`
 * stopping; its pid is recorded in the process row and checked against
 * /proc/PID (berth's uid, the shim's command line) before it is believed
 * or signalled: a pid can be reused after a reboot, and an app can copy
 * a command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/detach.h"
#include "core/ident.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "core/path.h"
#include "core/procinfo.h"
#include "run/procs.h"
#include "run/shim_spawn.h"

int
proc_run_dir(const char *data_dir, const char *app, int64_t id, char *out,
    size_t len)
{
	return datadir_run(data_dir, app, (long long)id, out, len);
}

void
proc_file_read(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = -1;
	int fd;

	out[0] = '\0';
	if (pathf(path, sizeof(path), "%s/%s", dir, name) == -1 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

long long
proc_file_number(const char *dir, const char *name, long long max)
{
	char buf[32];
	long long v;

	proc_file_read(dir, name, buf, sizeof(buf));
	return num_parse(buf, 0, max, &v) == 0 ? v : 0;
}

/* 1 when pid is the shim of process id: it runs as berth's own uid (an
 * app, which runs as its own, can copy a shim's command line but not its
 * uid) and its command line is `berth shim DATA ID ...`. */
static int
shim_alive(int pid, int64_t id)
{
	char path[64], cmd[PATH_MAX + 256], want[32];
	const char *argv[4];
	struct procinfo pi;
	ssize_t n;
	size_t at = 0;
	int fd;

	if (pid <= 1 || kill(pid, 0) == -1)
		return 0;
	if (procinfo_get(pid, &pi) == -1 || pi.uid != geteuid() ||
	    !procinfo_running(&pi))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	cmd[n] = '\0';
	/* `berth shim DATA ID UID NPROC`: argv[1] and argv[3], exactly */
	for (int i = 0; i < 4; i++) {
		if (at >= (size_t)n)
			return 0;
		argv[i] = cmd + at;
		at += strlen(cmd + at) + 1;
	}
	snprintf(want, sizeof(want), "%lld", (long long)id);
	return strcmp(argv[1], "shim") == 0 && strcmp(argv[3], want) == 0;
}

void
proc_status(const char *data_dir, const char *app, const struct proc_rec *p,
    struct proc_status *out)
{
	char dir[PATH_MAX], buf[64];

	memset(out, 0, sizeof(*out));
	snprintf(out->state, sizeof(out->state), "gone");
	if (proc_run_dir(data_dir, app, p->id, dir, sizeof(dir)) == -1)
		return;
	proc_file_read(dir, "state", buf, sizeof(buf));
	if (buf[0] && (shim_alive(p->shim_pid, p->id) ||
	    strcmp(buf, "crashed") == 0 || strcmp(buf, "stopped") == 0))
		snprintf(out->state, sizeof(out->state), "%.15s", buf);
	else if (buf[0] == '\0' && shim_alive(p->shim_pid, p->id))
		snprintf(out->state, sizeof(out->state), "starting");
	out->pid = (int)proc_file_number(dir, "pid", INT32_MAX);
	out->restarts = (int)proc_file_number(dir, "restarts", INT32_MAX);
	out->started = proc_file_number(dir, "started", LLONG_MAX);
}

int
proc_spawn(const struct conf *c, struct store *st, const char *app,
    struct proc_rec *p, char *err, size_t errlen)
{
	return proc_spawn_ready(c, st, app, p, NULL, err, errlen);
}

/* Fork the intermediate, which forks the shim in a new session and
 * reports its pid; the report pipe closes when the shim has exec'd. */
static pid_t
fork_shim(const struct shim_cmd *sc, int ready_fd, char *err, size_t errlen)
{
	int fds[2], shim = 0, status;
	char done;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) { /* intermediate: new session, fork the shim, report */
		pid_t shim_pid;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		(void)setsid();
		if ((shim_pid = fork()) == 0) {
			if (null >= 0) {
				(void)dup2(null, 0);
				(void)dup2(null, 1);
				(void)dup2(null, 2);
			}
			shim_exec(sc, ready_fd);
			_exit(127);
		}
		if (write(fds[1], &shim_pid, sizeof(shim_pid)) != sizeof(shim_pid))
			_exit(1);
		_exit(shim_pid > 0 ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], &shim, sizeof(shim)) != sizeof(shim))
		shim = 0;
	while (shim > 0 && read(fds[0], &done, 1) == -1 && errno == EINTR)
		; /* EOF: the shim has exec'd (or died) */
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return shim;
}

int
proc_spawn_ready(const struct conf *c, struct store *st, const char *app,
    struct proc_rec *p, int *ready, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct shim_cmd *sc;
	int rfds[2] = { -1, -1 };
	pid_t shim;

	if (proc_run_dir(c->data_dir, app, p->id, dir, sizeof(dir)) == -1 ||
	    mkdirs(dir, 0755) == -1 ||
	    (ready != NULL && pipe2(rfds, O_CLOEXEC) == -1)) {
		snprintf(err, errlen, "cannot prepare '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL ||
	    shim_prepare(c, st, app, p, sc, err, errlen) == -1) {
		if (sc == NULL)
			snprintf(err, errlen, "out of memory");
		free(sc);
		if (rfds[0] >= 0) {
			close(rfds[0]);
			close(rfds[1]);
		}
		return -1;
	}
	shim = fork_shim(sc, rfds[1], err, errlen);
	shim_cmd_release(sc);
	free(sc);
	if (rfds[1] >= 0)
		close(rfds[1]);
	for (int i = 0; i < 200 && shim > 0 && !shim_alive(shim, p->id); i++)
		usleep(10000); /* only if the exec report was lost */
	if (shim <= 0 || !shim_alive(shim, p->id)) {
		snprintf(err, errlen, "cannot start the supervisor of %s.%d",
		    p->type, p->idx);
		if (rfds[0] >= 0)
			close(rfds[0]);
		return -1;
	}
	p->shim_pid = shim;
	if (store_proc_set_shim(st, p->id, shim) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		if (rfds[0] >= 0)
			close(rfds[0]);
		return -1;
	}
	if (ready != NULL)
		*ready = rfds[0];
	return 0;
}

/* SIGTERM the shim and wait until it is gone (SIGKILL after the stop
 * timeout); then whatever its app left. */
static void
halt(const struct conf *c, const char *app, const struct proc_rec *p,
    char *dir, size_t len)
{
	int app_pid;

	if (shim_alive(p->shim_pid, p->id)) {
		(void)kill(p->shim_pid, SIGTERM);
		for (int i = 0; i < (SHIM_STOP_TIMEOUT + 3) * 20 &&
		    shim_alive(p->shim_pid, p->id); i++)
			usleep(50000);
		if (shim_alive(p->shim_pid, p->id))
			(void)kill(p->shim_pid, SIGKILL);
	}
	dir[0] = '\0';
	if (proc_run_dir(c->data_dir, app, p->id, dir, len) == 0) {
		if ((app_pid = (int)proc_file_number(dir, "pid", INT32_MAX)) > 1)
			(void)kill(-app_pid, SIGKILL); /* a shim killed hard */
	}
}

void
proc_halt(const struct conf *c, const char *app, const struct proc_rec *p)
{
	char dir[PATH_MAX];

	halt(c, app, p, dir, sizeof(dir));
}

void
proc_stop(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p)
{
	char dir[PATH_MAX];

	halt(c, app, p, dir, sizeof(dir));
	if (dir[0] != '\0')
		(void)rmtree(dir);
	if (store_proc_delete(st, p->id) == -1)
		log_warnx("cannot forget process %lld: %s", (long long)p->id,
		    store_error(st));
}

int
proc_alive(const struct proc_rec *p)
{
	return shim_alive(p->shim_pid, p->id);
}

struct recover {
	const struct conf *c;
	struct store *st;
	const char *app;
};

static int
recover_one(void *arg, const struct proc_rec *p)
{
	const struct recover *r = arg;
	const struct conf *c = r->c;
	struct store *st = r->st;
	const char *app = r->app;
	char err[ERR_MAX];
	int rc;

	if (strcmp(p->state, "starting") == 0) {
		/* a swap cut off before its switch: never routed to */
		log_info("stopping %s %s.%d (v%d, left starting)", app, p->type,
		    p->idx, p->release);
		proc_stop(c, st, app, p);
		return 0;
	}
	if (strcmp(p->state, "running") != 0 || shim_alive(p->shim_pid, p->id))
		return 0; /* draining: retired after routing (swap_retire_left) */
	if ((rc = proc_revive(c, st, app, p, err, sizeof(err))) == -1)
		log_warnx("cannot restart %s %s.%d: %s", app, p->type, p->idx, err);
	else if (rc == 1)
		log_info("restarted %s %s.%d (v%d) on port %d", app, p->type,
		    p->idx, p->release, p->port);
	else
		log_info("%s %s.%d (v%d) stays crashed until a deploy, ps:restart"
		    " or ps:start", app, p->type, p->idx, p->release);
	return 0;
}

void
procs_recover(const struct conf *c, struct store *st, const struct app_rec *app)
{
	struct recover r = { c, st, app->name };

	if (store_proc_each(st, app->id, NULL, recover_one, &r) == -1)
		log_warnx("cannot list processes: %s", store_error(st));
}
