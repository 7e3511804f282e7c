/*
 * test_ident_kill.c - unit tests of ident_kill_all (core/ident.c), which
 * ends every process of a uid before a build's tree is sealed or an app's
 * id is reused: a running process of the uid dies; a zombie of it (which
 * cannot write any more) does not hold it up; with none at all it returns
 * at once (the fast path that asks the kernel's task count instead of
 * reading /proc).  Needs root (it changes uids); as another user it checks
 * that nothing happens.  The uid is this run's own (4000000000 + pid).
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/ident.h"
#include "unit.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A child as id: sleeping (a stray build process), or exited at once and
 * left unreaped (a zombie).  Its pid, once it runs as id. */
static pid_t
child_as(const struct ident *id, int exit_now)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (ident_drop(id) == -1)
			_exit(2);
		(void)!write(p[1], "x", 1);
		if (!exit_now)
			pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

int
main(void)
{
	uid_t u = (uid_t)(4000000000U + (unsigned)getpid());
	struct ident id = { u, u, geteuid() == 0, 0, 0 };
	long long t0;
	siginfo_t si;
	int status = 0;
	pid_t pid;

	t0 = now_ms();
	CHECK(ident_kill_all(&id) == 0);
	CHECK(now_ms() - t0 < 5000);
	if (!id.drop)
		return unit_done();

	/* a stray process of the uid is killed */
	CHECK((pid = child_as(&id, 0)) > 0);
	CHECK(ident_kill_all(&id) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* a zombie of the uid: not running, so no wait for it */
	CHECK((pid = child_as(&id, 1)) > 0);
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == -1)
		; /* until it is a zombie, not reaped */
	t0 = now_ms();
	CHECK(ident_kill_all(&id) == 0);
	CHECK(now_ms() - t0 < 5000);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* and none left: the uid is empty again */
	CHECK(ident_kill_all(&id) == 0);
	return unit_done();
}
