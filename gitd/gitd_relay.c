/*
 * gitd_relay.c - the loop between an SSH channel and a one-off (see
 * gitd_relay.h), in the connection process, never from a libssh callback.
 *
 * Input is read from the channel only when the last piece has reached the
 * process (its stdin, or its terminal, which holds 4 KiB at most), so a
 * process that does not read holds the client back through the SSH
 * window instead of filling our memory.  Output is written with libssh's
 * blocking write, which waits for the client's window.  The client's EOF
 * closes the process's stdin (with a terminal, nothing: a terminal has no
 * EOF of its own; ^D is a byte the client sends).  The loop ends when the
 * process has exited and its output is drained, or when the client is
 * gone (the channel closed, the socket hung up).
 */
#include "gitd/gitd_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RELAY_BUF 16384

struct relay {
	ssh_session s;
	ssh_channel ch;
	struct oneoff_proc *p;
	char in[RELAY_BUF];
	size_t in_len, in_off;
	int in_open, out_open, err_open;
};

static int
client_gone(struct relay *r)
{
	struct pollfd pfd = { ssh_get_fd(r->s), POLLRDHUP, 0 };

	return !ssh_channel_is_open(r->ch) || !ssh_is_connected(r->s) ||
	    (poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)));
}

/* Client to process.  -1 when the client is gone. */
static int
pump_in(struct relay *r)
{
	ssize_t n;
	int got;

	if (!r->in_open)
		return 0;
	if (r->in_len == 0) {
		got = ssh_channel_read_nonblocking(r->ch, r->in, sizeof(r->in), 0);
		if (got == SSH_ERROR)
			return -1;
		if (got == SSH_EOF || (got == 0 && ssh_channel_is_eof(r->ch))) {
			if (r->p->err >= 0) /* pipes: the process sees EOF */
				close(r->p->in), r->p->in = -1;
			r->in_open = 0;
			return 0;
		}
		if (got < 0)
			return -1;
		r->in_len = (size_t)got;
		r->in_off = 0;
	}
	while (r->in_off < r->in_len) {
		n = write(r->p->in, r->in + r->in_off, r->in_len - r->in_off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1) { /* it closed its stdin: drop what comes */
			r->in_len = r->in_off = 0;
			return 0;
		}
		r->in_off += (size_t)n;
	}
	r->in_len = r->in_off = 0;
	return 0;
}

/* Process to client: what is readable on fd now.  -1 when the client is
 * gone; *open becomes 0 at the end of the stream. */
static int
pump_out(struct relay *r, int fd, int is_err, int *open)
{
	char buf[RELAY_BUF];
	ssize_t n;
	int w;

	if (!*open)
		return 0;
	for (int rounds = 0; rounds < 16; rounds++) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) { /* EOF; a terminal says EIO when all have gone */
			*open = 0;
			return 0;
		}
		for (ssize_t off = 0; off < n; off += w) {
			w = is_err ? ssh_channel_write_stderr(r->ch, buf + off,
			    (uint32_t)(n - off)) : ssh_channel_write(r->ch,
			    buf + off, (uint32_t)(n - off));
			if (w == SSH_ERROR || w <= 0)
				return -1;
		}
	}
	return 0;
}

/* 1 when the process has exited (it is left for oneoff_finish to reap). */
static int
exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == pid;
}

int
gitd_relay(ssh_session s, ssh_channel ch, struct oneoff_proc *p)
{
	struct relay r = { .s = s, .ch = ch, .p = p, .in_open = 1,
	    .out_open = 1, .err_open = p->err >= 0 };
	int fds[3] = { p->in, p->out, p->err }, dead = 0;

	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && fcntl(fds[i], F_SETFL,
		    fcntl(fds[i], F_GETFL) | O_NONBLOCK) == -1)
			return 1;
	for (;;) {
		struct pollfd pfd[4] = {
		    { r.out_open ? p->out : -1, POLLIN, 0 },
		    { r.err_open ? p->err : -1, POLLIN, 0 },
		    { ssh_get_fd(s), POLLIN, 0 },
		    { r.in_len > 0 ? p->in : -1, POLLOUT, 0 } };
		if (poll(pfd, 4, dead ? 0 : 200) == -1 && errno != EINTR)
			return 1;
		if (pump_in(&r) == -1 ||
		    pump_out(&r, p->out, 0, &r.out_open) == -1 ||
		    pump_out(&r, p->err, 1, &r.err_open) == -1 ||
		    client_gone(&r))
			return 1;
		if (dead) /* exited, and what it had written is sent */
			break;
		/* a terminal stays open while something of its session
		 * holds it: the process's exit ends the relay once drained */
		dead = exited(p->pid);
	}
	return 0;
}
