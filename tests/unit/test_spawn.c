/*
 * test_spawn.c - unit tests of core/spawn.c with real child processes: the
 * output arrives line by line, a program that cannot start is an error
 * with the reason (not an exit code a buildpack could also return), the
 * deadline kills the whole group, and a daemonised grandchild that keeps
 * the output pipe open does not hang the caller.
 */
#include <stdlib.h>
#include <string.h>
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

int
main(void)
{
	test_output_and_exit();
	test_cannot_start();
	test_timeout();
	test_daemon_holds_pipe();
	return unit_done();
}
