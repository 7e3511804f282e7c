/*
 * detach.c - see detach.h.  The intermediate child starts a new session,
 * forks the process that execs, reports its pid through a pipe and exits;
 * the caller reaps the intermediate at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/detach.h"

static void
intermediate(char *const argv[], int report)
{
	pid_t pid;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	(void)setsid();
	if ((pid = fork()) == 0) {
		if (null >= 0) {
			(void)dup2(null, 0);
			(void)dup2(null, 1);
			(void)dup2(null, 2);
		}
		(void)close_range(3, ~0U, 0);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (write(report, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
	_exit(pid > 0 ? 0 : 1);
}

pid_t
detach_self(char *const argv[], char *err, size_t errlen)
{
	pid_t pid, child = -1;
	int fds[2];

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
	if (pid == 0)
		intermediate(argv, fds[1]);
	close(fds[1]);
	if (read(fds[0], &child, sizeof(child)) != sizeof(child))
		child = -1;
	close(fds[0]);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	if (child <= 0) {
		snprintf(err, errlen, "cannot fork the detached process");
		return -1;
	}
	return child;
}
