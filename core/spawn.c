/*
 * spawn.c - the caller's side of running a step: pipes, the keeper, the
 * output line by line, the result.  See spawn.h; the keeper and the step
 * are in spawn_keeper.c.
 *
 * The caller reads the output until the keeper reports; by then the step
 * and (with reap_all) everything it started are gone, so what is left in
 * the pipe is read without waiting, and a process that kept the pipe open
 * (one a step handed it to) cannot hold the caller.  The caller keeps the
 * write end of a "life" pipe: if it dies, the keeper sees EOF and ends
 * the step at once.
 */
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/spawn_int.h"

struct linebuf {
	char buf[SPAWN_LINE_MAX + 1];
	size_t len;
};

/* The caller's ends and the keeper's. */
struct pipes {
	int out[2], why[2], report[2], life[2];
};

static int open_pipes(struct pipes *p, char *err, size_t errlen);
static void close_pipe(int fd[2]);
static int await_report(const struct spawn_opts *o, struct pipes *p,
    struct linebuf *lb, struct keeper_report *r);
static void feed(const struct spawn_opts *o, struct linebuf *lb, const char *p,
    size_t n);
static void flush_line(const struct spawn_opts *o, struct linebuf *lb);

int
spawn_run(const struct spawn_opts *o, struct spawn_result *res, char *err,
    size_t errlen)
{
	struct linebuf lb = { .len = 0 };
	struct keeper_report r;
	struct pipes p;
	char msg[512];
	ssize_t n;
	int status, got;
	pid_t keeper;

	memset(res, 0, sizeof(*res));
	if (open_pipes(&p, err, errlen) == -1)
		return -1;
	if ((keeper = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close_pipe(p.out);
		close_pipe(p.why);
		close_pipe(p.report);
		close_pipe(p.life);
		return -1;
	}
	if (keeper == 0) {
		close(p.out[0]);
		close(p.why[0]);
		close(p.report[0]);
		close(p.life[1]);
		keeper_main(o, p.out[1], p.why[1], p.report[1], p.life[0]);
	}
	close(p.out[1]);
	close(p.why[1]);
	close(p.report[1]);
	close(p.life[0]);
	got = await_report(o, &p, &lb, &r);
	flush_line(o, &lb);
	close(p.out[0]);
	close(p.report[0]);
	close(p.life[1]);
	while (waitpid(keeper, &status, 0) == -1 && errno == EINTR)
		;
	n = read(p.why[0], msg, sizeof(msg) - 1); /* nonblocking */
	close(p.why[0]);
	if (!got) {
		snprintf(err, errlen, "the step's keeper died");
		return -1;
	}
	if (r.fork_errno != 0 || n > 0) {
		msg[n > 0 ? n : 0] = '\0';
		snprintf(err, errlen, "%s", r.fork_errno ? strerror(r.fork_errno) :
		    msg);
		return -1;
	}
	if (r.leftover) {
		snprintf(err, errlen, "what it started could not be stopped");
		return -1;
	}
	res->timed_out = r.timed_out;
	if (!r.timed_out && WIFEXITED(r.status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(r.status);
	} else if (WIFSIGNALED(r.status)) {
		res->signal = WTERMSIG(r.status);
	}
	return 0;
}

static int
open_pipes(struct pipes *p, char *err, size_t errlen)
{
	int *all[] = { p->out, p->why, p->report, p->life };

	for (size_t i = 0; i < 4; i++)
		if (pipe2(all[i], O_CLOEXEC) == -1) {
			snprintf(err, errlen, "pipe: %s", strerror(errno));
			while (i-- > 0)
				close_pipe(all[i]);
			return -1;
		}
	/* the caller reads why only once the step is gone */
	if (fcntl(p->why[0], F_SETFL, O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		for (size_t i = 0; i < 4; i++)
			close_pipe(all[i]);
		return -1;
	}
	return 0;
}

static void
close_pipe(int fd[2])
{
	close(fd[0]);
	close(fd[1]);
}

/* Read output until the keeper reports, then what is left in the pipe
 * without waiting.  1 with *r, 0 when the keeper ended without a word. */
static int
await_report(const struct spawn_opts *o, struct pipes *p, struct linebuf *lb,
    struct keeper_report *r)
{
	char chunk[4096];
	int out = p->out[0], got = 0;
	ssize_t n;

	for (;;) {
		struct pollfd pfd[2] = { { out, POLLIN, 0 },
		    { p->report[0], POLLIN, 0 } };
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			n = read(out, chunk, sizeof(chunk));
			if (n > 0)
				feed(o, lb, chunk, (size_t)n);
			else if (n == 0 || errno != EINTR)
				out = -1; /* poll ignores it from now on */
		}
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			while ((n = read(p->report[0], r, sizeof(*r))) == -1 &&
			    errno == EINTR)
				;
			got = n == (ssize_t)sizeof(*r);
			break;
		}
	}
	if (out >= 0 && fcntl(out, F_SETFL, O_NONBLOCK) == 0)
		while ((n = read(out, chunk, sizeof(chunk))) > 0)
			feed(o, lb, chunk, (size_t)n);
	return got;
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

int
spawn_close_fds(void)
{
	long max;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* before Linux 5.11: one by one */
	if ((max = sysconf(_SC_OPEN_MAX)) < 0 || max > 1 << 20)
		max = 1 << 20;
	for (int fd = 3; fd < max; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 && errno != EBADF)
			return -1;
	return 0;
}
