/*
 * test_spawn.c - unit tests of core/spawn.c with real child processes: the
 * output arrives line by line, a program that cannot start is an error
 * with the reason (not an exit code a buildpack could also return), the
 * deadline kills the whole group, and a daemonised grandchild that keeps
 * the output pipe open does not hang the caller.  With reap_all, nothing
 * the step started survives it, not a setsid daemon and not when the
 * caller itself is killed; no descriptor of the caller reaches the step;
 * a step's private files are seen by it alone.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "core/spawn.h"
#include "unit.h"

struct lines {
	char all[1024];
	int n;
};

static void
on_line(void *ctx, const char *line)
{
	struct lines *l = ctx;
	size_t len = strlen(l->all);

	snprintf(l->all + len, sizeof(l->all) - len, "%s|", line);
	l->n++;
}

static char *const env[] = { "PATH=/usr/bin:/bin", NULL };

static int
run(char *const *argv, const char *cwd, int timeout_s, struct lines *l,
    struct spawn_result *res, char *err, size_t errlen)
{
	struct spawn_opts o = { .argv = argv, .envp = env, .cwd = cwd,
	    .timeout_s = timeout_s, .on_line = on_line, .ctx = l };

	memset(l, 0, sizeof(*l));
	err[0] = '\0';
	return spawn_run(&o, res, err, errlen);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
test_output_and_exit(void)
{
	char *argv[] = { "/bin/sh", "-c", "echo one; echo two >&2; exit 3", NULL };
	struct spawn_result res;
	struct lines l;
	char err[256];

	CHECK(run(argv, NULL, 10, &l, &res, err, sizeof(err)) == 0);
	CHECK(res.exited && res.exit_code == 3);
	CHECK(strcmp(l.all, "one|two|") == 0);
}

static void
test_cannot_start(void)
{
	char *missing[] = { "/nonexistent/prog", NULL };
	char *sh[] = { "/bin/sh", "-c", "exit 126", NULL };
	struct spawn_result res;
	struct lines l;
	char err[256];

	CHECK(run(missing, NULL, 10, &l, &res, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "cannot run '/nonexistent/prog': No such file or"
	    " directory") == 0);
	CHECK(run(sh, "/nonexistent/dir", 10, &l, &res, err, sizeof(err)) == -1);
	CHECK(strstr(err, "cannot enter '/nonexistent/dir'") != NULL);
	/* a program that exits 126 itself did start */
	CHECK(run(sh, "/", 10, &l, &res, err, sizeof(err)) == 0);
	CHECK(res.exited && res.exit_code == 126 && err[0] == '\0');
}

/* 1 while pid runs (a zombie that init has yet to reap does not). */
static int
running(long pid)
{
	char path[64], stat[256], *p;
	FILE *f;
	int alive = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(stat, sizeof(stat), f) != NULL && (p = strrchr(stat, ')')) &&
	    p[1] == ' ')
		alive = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return alive;
}

static void
test_timeout(void)
{
	/* the background sleep is in the child's group: it dies with it */
	char *argv[] = { "/bin/sh", "-c", "sleep 31 & echo $!; sleep 31", NULL };
	struct spawn_result res;
	struct lines l;
	char err[256];
	long long t0 = now_ms();
	long pid;

	CHECK(run(argv, NULL, 1, &l, &res, err, sizeof(err)) == 0);
	CHECK(res.timed_out && !res.exited);
	CHECK(now_ms() - t0 < 10000);
	pid = strtol(l.all, NULL, 10);
	CHECK(pid > 1);
	for (int i = 0; i < 50 && pid > 1 && running(pid); i++)
		usleep(20000);
	CHECK(pid > 1 && !running(pid));
}

static void
test_daemon_holds_pipe(void)
{
	/* the grandchild keeps stdout open after the child has gone */
	char *argv[] = { "/bin/sh", "-c", "sleep 30 & echo bye", NULL };
	struct spawn_result res;
	struct lines l;
	char err[256];
	long long t0 = now_ms();

	CHECK(run(argv, NULL, 60, &l, &res, err, sizeof(err)) == 0);
	CHECK(res.exited && res.exit_code == 0);
	CHECK(strcmp(l.all, "bye|") == 0);
	CHECK(now_ms() - t0 < 10000);
}

/* The pids a step printed, one a line. */
static int
pids_of(const char *text, long *pids, int max)
{
	int n = 0;
	char *end;

	while (*text && n < max) {
		long v = strtol(text, &end, 10);
		if (end == text)
			break;
		pids[n++] = v;
		text = end + strspn(end, "|");
	}
	return n;
}

static int
gone_soon(long pid)
{
	for (int i = 0; i < 250 && running(pid); i++)
		usleep(20000);
	return !running(pid);
}

static void
test_reap_all(void)
{
	/* a setsid daemon and a double-forked one: both outlive a group kill */
	char *argv[] = { "/bin/sh", "-c", "setsid sleep 301 < /dev/null &"
	    " (sleep 302 < /dev/null > /dev/null 2>&1 & echo $!); sleep 0.3;"
	    " pgrep -x -f 'sleep 301'; echo done", NULL };
	struct spawn_opts o = { .argv = argv, .envp = env, .timeout_s = 20,
	    .on_line = on_line, .reap_all = 1 };
	struct spawn_result res;
	struct lines l;
	char err[256];
	long pids[4];

	memset(&l, 0, sizeof(l));
	o.ctx = &l;
	CHECK(spawn_run(&o, &res, err, sizeof(err)) == 0);
	CHECK(res.exited && res.exit_code == 0);
	CHECK(pids_of(l.all, pids, 4) == 2);
	CHECK(gone_soon(pids[0]) && gone_soon(pids[1]));
}

static void
test_caller_killed(void)
{
	/* the caller (a connection process) is killed during the step: the
	 * step and its daemon end anyway, without waiting for the deadline */
	char path[] = "/tmp/berth-spawn-XXXXXX", buf[256];
	long pids[4];
	int fd, status, n = 0;
	pid_t caller;

	CHECK((fd = mkstemp(path)) >= 0);
	if ((caller = fork()) == 0) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "setsid sleep 303 < /dev/null &"
		    " echo $! > %s; echo $$ >> %s; sleep 304", path, path);
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		struct spawn_opts o = { .argv = argv, .envp = env,
		    .timeout_s = 600, .reap_all = 1 };
		struct spawn_result res;
		char err[256];
		_exit(spawn_run(&o, &res, err, sizeof(err)) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 250 && n < 2; i++) {
		usleep(20000);
		lseek(fd, 0, SEEK_SET);
		ssize_t got = read(fd, buf, sizeof(buf) - 1);
		buf[got > 0 ? got : 0] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		n = strchr(buf, '|') && strchr(strchr(buf, '|') + 1, '|') ?
		    pids_of(buf, pids, 4) : 0;
	}
	CHECK(n == 2);
	kill(caller, SIGKILL);
	waitpid(caller, &status, 0);
	CHECK(n == 2 && gone_soon(pids[0]) && gone_soon(pids[1]));
	close(fd);
	unlink(path);
}

static void
test_no_inherited_fd(void)
{
	char *argv[] = { "/bin/sh", "-c", "ls /proc/$$/fd", NULL };
	struct spawn_result res;
	struct lines l;
	char err[256], want[16];
	int fd = open("/dev/null", O_RDONLY);   /* not close-on-exec */

	CHECK(fd > 2);
	CHECK(run(argv, NULL, 10, &l, &res, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "|%d|", fd);
	CHECK(strncmp(l.all, "0|1|2|", 6) == 0 && strstr(l.all, want) == NULL);
	close(fd);
}

static void
test_private_files(void)
{
	char dir[] = "/tmp/berth-env-XXXXXX", script[512], path[600];
	struct spawn_file files[] = { { "TOKEN", "s3cr3t" }, { "B", "2" } };
	struct spawn_result res;
	struct lines l;
	char err[256];
	struct stat sb;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(script, sizeof(script), "cat %s/TOKEN; echo; ls %s", dir, dir);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct spawn_opts o = { .argv = argv, .envp = env, .timeout_s = 10,
	    .on_line = on_line, .ctx = &l, .reap_all = 1, .files_dir = dir,
	    .files = files, .nfiles = 2 };
	memset(&l, 0, sizeof(l));
	CHECK(spawn_run(&o, &res, err, sizeof(err)) == 0);
	CHECK(res.exited && res.exit_code == 0);
	CHECK(strcmp(l.all, "s3cr3t|B|TOKEN|") == 0);
	/* as root they were on a tmpfs of the step's own: nothing on disk */
	snprintf(path, sizeof(path), "%s/TOKEN", dir);
	CHECK(geteuid() != 0 || stat(path, &sb) == -1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/B", dir);
	unlink(path);
	CHECK(rmdir(dir) == 0);
}

int
main(void)
{
	test_output_and_exit();
	test_cannot_start();
	test_timeout();
	test_daemon_holds_pipe();
	test_reap_all();
	test_caller_killed();
	test_no_inherited_fd();
	test_private_files();
	return unit_done();
}
