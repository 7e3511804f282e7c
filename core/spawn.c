/*
 * spawn.c - fork/execve with a pipe for output, a deadline, and
 * process-group cleanup.  See spawn.h.
 *
 * The output pipe can stay open after the direct child exits (a daemonised
 * grandchild), so the loop ends when the child has exited and the pipe has
 * been quiet for a moment; then whatever is left of the group is killed.
 */
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_GRACE_MS 3000

struct linebuf {
	char buf[SPAWN_LINE_MAX + 1];
	size_t len;
};

static void child_exec(const struct spawn_opts *o, int out, int why)
    __attribute__((noreturn));
static void child_fail(int why, int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
static int started(pid_t pid, int why, int timeout_s, char *err,
    size_t errlen);
static void feed(const struct spawn_opts *o, struct linebuf *lb, const char *p,
    size_t n);
static void flush_line(const struct spawn_opts *o, struct linebuf *lb);
static long long now_ms(void);
static void kill_group(pid_t pid, int *status, int *reaped);

int
spawn_run(const struct spawn_opts *o, struct spawn_result *res, char *err,
    size_t errlen)
{
	struct linebuf lb = { .len = 0 };
	long long deadline = o->timeout_s > 0 ? now_ms() + o->timeout_s * 1000LL : 0;
	long long quiet_since = 0;
	int fds[2], why[2], status = 0, reaped = 0, open_pipe = 1;
	char chunk[4096];
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(why, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		close(why[0]);
		close(why[1]);
		return -1;
	}
	if (pid == 0)
		child_exec(o, fds[1], why[1]);
	close(fds[1]);
	close(why[1]);
	if (started(pid, why[0], o->timeout_s, err, errlen) == -1) {
		close(fds[0]);
		return -1;
	}
	while (open_pipe || !reaped) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int wait_ms = 200;
		ssize_t n;

		if (deadline && now_ms() >= deadline) {
			res->timed_out = 1;
			break;
		}
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid)
			reaped = 1;
		if (reaped && !open_pipe)
			break;
		if (reaped && quiet_since && now_ms() - quiet_since > 500)
			break; /* child gone, a grandchild holds the pipe */
		if (!open_pipe) {
			usleep(20000);
			continue;
		}
		if (poll(&pfd, 1, wait_ms) <= 0) {
			if (reaped && !quiet_since)
				quiet_since = now_ms();
			continue;
		}
		n = read(fds[0], chunk, sizeof(chunk));
		if (n > 0) {
			feed(o, &lb, chunk, (size_t)n);
			quiet_since = 0;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			open_pipe = 0;
		}
	}
	flush_line(o, &lb);
	close(fds[0]);
	kill_group(pid, &status, &reaped);
	if (!res->timed_out && WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	return 0;
}

/*
 * Wait until the child has exec'd (its end of why closes on exec) or said
 * why it could not: then reap it and return -1 with that reason, so a
 * step that never started is not taken for one that said no.  A child
 * stuck before exec (a hung mount) counts against timeout_s.  Closes why.
 */
static int
started(pid_t pid, int why, int timeout_s, char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = why, .events = POLLIN };
	char msg[512];
	ssize_t n = 0;
	int status, r;

	while ((r = poll(&pfd, 1, timeout_s > 0 ? timeout_s * 1000 : -1)) == -1 &&
	    errno == EINTR)
		;
	if (r == 0) {
		snprintf(msg, sizeof(msg), "did not start within %d s", timeout_s);
		n = (ssize_t)strlen(msg);
		(void)kill(pid, SIGKILL);
	} else {
		while ((n = read(why, msg, sizeof(msg) - 1)) == -1 && errno == EINTR)
			;
	}
	close(why);
	if (n <= 0)
		return 0;
	msg[n] = '\0';
	snprintf(err, errlen, "%s", msg);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return -1;
}

static void
child_fail(int why, int code, const char *fmt, ...)
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

static void
child_exec(const struct spawn_opts *o, int out, int why)
{
	int devnull;

	(void)setsid();
	umask(022); /* build output may be served by the proxy */
	if (o->memory_limit > 0) {
		/* heap and writable private mappings; address space that V8 or
		 * Go only reserve (PROT_NONE) does not count, unlike RLIMIT_AS */
		struct rlimit rl = { o->memory_limit, o->memory_limit };
		struct rlimit core = { 0, 0 };
		if (setrlimit(RLIMIT_DATA, &rl) == -1 ||
		    setrlimit(RLIMIT_CORE, &core) == -1)
			child_fail(why, 126, "cannot set the memory limit: %s",
			    strerror(errno));
	}
	if ((devnull = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(devnull, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		child_fail(why, 126, "cannot set up stdio: %s", strerror(errno));
	if (o->ident != NULL && ident_drop(o->ident) == -1)
		child_fail(why, 126, "cannot become uid %lu: %s",
		    (unsigned long)o->ident->uid, strerror(errno));
	if (o->cwd != NULL && chdir(o->cwd) == -1)
		child_fail(why, 126, "cannot enter '%s': %s", o->cwd,
		    strerror(errno));
	signal(SIGPIPE, SIG_DFL);
	execve(o->argv[0], o->argv, o->envp);
	child_fail(why, 127, "cannot run '%s': %s", o->argv[0], strerror(errno));
}

static void
feed(const struct spawn_opts *o, struct linebuf *lb, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			flush_line(o, lb);
			continue;
		}
		if (p[i] == '\r')
			continue;
		if (lb->len == SPAWN_LINE_MAX)
			flush_line(o, lb);
		lb->buf[lb->len++] = p[i];
	}
}

static void
flush_line(const struct spawn_opts *o, struct linebuf *lb)
{
	if (lb->len == 0)
		return;
	lb->buf[lb->len] = '\0';
	if (o->on_line != NULL)
		o->on_line(o->ctx, lb->buf);
	lb->len = 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* SIGTERM the whole group, SIGKILL after a grace period, reap the child. */
static void
kill_group(pid_t pid, int *status, int *reaped)
{
	long long until;

	if (kill(-pid, SIGTERM) == -1 && errno == ESRCH && *reaped)
		return;
	until = now_ms() + KILL_GRACE_MS;
	while (!*reaped && now_ms() < until) {
		if (waitpid(pid, status, WNOHANG) == pid)
			*reaped = 1;
		else
			usleep(20000);
	}
	(void)kill(-pid, SIGKILL);
	if (!*reaped && waitpid(pid, status, 0) == pid)
		*reaped = 1;
}

void
spawn_describe(const struct spawn_result *res, char *out, size_t len)
{
	if (res->timed_out)
		snprintf(out, len, "timed out");
	else if (res->exited)
		snprintf(out, len, "exit status %d", res->exit_code);
	else
		snprintf(out, len, "killed by signal %d%s", res->signal,
		    res->signal == SIGKILL ? " (out of memory?)" : "");
}
