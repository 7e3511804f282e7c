/*
 * revive.c - a routed process whose supervisor (shim) is gone: a
 * kill, a reboot.  Called under the app's lock, by berth serve at start
 * (run/procs.c, procs_recover) and by its repairs (run/reconcile.c).
 * A shim killed alone leaves its app's process group running on the port:
 * that is killed first (when the pid in the run dir still leads a group
 * of the app's uid).  Then a new shim starts the same row again: same
 * release, same port.  A process that crashed for good is left crashed,
 * and a shim that dies again and again before it starts its app is given
 * up on (REVIVE_MAX), so nothing restarts in a tight loop.  See
 * run/procs.h.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ident.h"
#include "core/log.h"
#include "core/path.h"
#include "run/procs.h"

/* 1 when pid leads its own process group and runs as uid: the app a
 * shim started (a pid in a run dir may have been reused since). */
static int
app_leader(int pid, uid_t uid)
{
	char path[64], buf[512], *p;
	unsigned long ruid = 0;
	int pgrp = 0, n, fd, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and ')' */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %d", &pgrp) != 1 || pgrp != pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (!found && fgets(buf, sizeof(buf), f) != NULL)
		found = sscanf(buf, "Uid: %lu", &ruid) == 1;
	fclose(f);
	return found && ruid == (unsigned long)uid;
}

/* A shim killed alone leaves its app's process group running (and holding
 * its port): kill it before a new shim starts the app again. */
static void
kill_orphan(const struct conf *c, const char *app, const struct proc_rec *p)
{
	char dir[PATH_MAX];
	struct ident who;
	int pid;

	ident_of_app(c, p->app_id, &who);
	if (proc_run_dir(c->data_dir, app, p->id, dir, sizeof(dir)) == -1)
		return;
	if ((pid = (int)proc_file_number(dir, "pid", INT32_MAX)) > 1 &&
	    app_leader(pid, who.drop ? who.uid : geteuid())) {
		log_info("killing what %s %s.%d left running (pid %d)", app,
		    p->type, p->idx, pid);
		(void)kill(-pid, SIGKILL);
	}
}

/* Write one small file of a run dir (tmp file, rename). */
static void
write_small(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd, ok;

	if (pathf(path, sizeof(path), "%s/%s", dir, name) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s/.%s", dir, name) == -1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return;
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) == 0 && ok)
		(void)rename(tmp, path);
}

/* A supervisor that dies after each revive before it started its app
 * (it cannot even load the process) is given up on like a crash loop: 1
 * when this is the REVIVE_MAX-th revive in a row with no start of the app
 * since the one before (the run dir's "revived" file counts them, its
 * "started" file is the shim's).  A process killed again and again from
 * outside started each time, so it is revived each time. */
static int
revived_too_often(const char *dir)
{
	char buf[64];
	long long last = 0, started, now = (long long)time(NULL);
	int count = 0;

	started = proc_file_number(dir, "started", LLONG_MAX);
	proc_file_read(dir, "revived", buf, sizeof(buf));
	if (sscanf(buf, "%lld %d", &last, &count) != 2 || started >= last)
		count = 0;
	snprintf(buf, sizeof(buf), "%lld %d", now, ++count);
	write_small(dir, "revived", buf);
	return count >= REVIVE_MAX;
}

int
proc_revive(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p, char *err, size_t errlen)
{
	struct proc_rec copy = *p;
	struct proc_status ps;
	char dir[PATH_MAX];

	if (strcmp(p->state, "running") != 0 || proc_alive(p))
		return 0;
	proc_status(c->data_dir, app, p, &ps);
	if (strcmp(ps.state, "crashed") == 0)
		return 0; /* until a deploy, ps:restart or ps:start */
	kill_orphan(c, app, p);
	if (proc_run_dir(c->data_dir, app, p->id, dir, sizeof(dir)) == -1 ||
	    mkdirs(dir, 0755) == -1) {
		snprintf(err, errlen, "cannot prepare the run dir of %s.%d",
		    p->type, p->idx);
		return -1;
	}
	if (revived_too_often(dir)) {
		write_small(dir, "state", "crashed");
		snprintf(err, errlen, "its supervisor died %d times in a row before"
		    " it started the process; marked crashed (see 'logs %s')",
		    REVIVE_MAX, app);
		return -1;
	}
	if (proc_spawn(c, st, app, &copy, err, errlen) == -1)
		return -1;
	return 1;
}
