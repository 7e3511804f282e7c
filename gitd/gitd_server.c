/*
 * gitd_server.c - the daemon's accept loop (see gitd_server.h), run by
 * the front process (cmd/front.c): libc only, no libssh.
 *
 * The loop owns the listening socket berth serve made; for each
 * connection it forks and execs `berth __child ... conn FD ADDR LOGIN_FD`
 * (core/childexec.h), whose process loads the host key and hands the
 * socket to libssh (gitd_session.h).  Signals only set flags (a self-pipe wakes
 * poll); the loop reaps children, asks gitd_limits.c whether each new
 * connection may come in (a child writes its pid to the auth pipe once its
 * client has logged in, which frees its login slot), wakes up for the
 * limits' log summaries, and on SIGTERM stops accepting and waits for
 * running connections (a push in progress runs to its end).  The daemon's
 * chores (berth serve's repairs) are ticked from the same loop: poll wakes
 * when they are due.
 */
#include "gitd/gitd_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "gitd/gitd_limits.h"
#include "gitd/gitd_session.h"

static volatile sig_atomic_t got_term, got_chld;
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int sig);
static int install_signals(void);
static int no_login(int status);
static void reap(struct limits *l, const struct gitd_chores *chores);
static int poll_timeout(struct limits *l, const struct gitd_chores *chores);
static void accept_one(const struct childexec *x, int lfd, struct limits *l,
    int auth_pipe[2]);
static void read_logins(struct limits *l, int fd);

int
gitd_serve(const struct conf *conf, int lfd, const struct childexec *x,
    const struct gitd_chores *chores)
{
	struct pollfd pfd[4];
	struct limits *lim;
	int auth_pipe[2];   /* children write their pid once logged in */
	int status;
	pid_t pid;

	if ((lim = limits_new(conf)) == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	if (pipe2(auth_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("pipe");
		return 1;
	}
	if (install_signals() == -1)
		return 1;
	log_info("listening on %s:%d (data dir %s)", conf->listen_addr,
	    conf->listen_port, conf->data_dir);
	while (!got_term) {
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = auth_pipe[0], .events = POLLIN };
		/* a chore's events: the loop goes round, and ticks it */
		pfd[3] = (struct pollfd){ .fd = chores != NULL ? chores->fd : -1,
		    .events = POLLIN };
		if (poll(pfd, 4, poll_timeout(lim, chores)) == -1 &&
		    errno != EINTR) {
			log_warn("poll");
			break;
		}
		if (pfd[1].revents & POLLIN) {
			char drain[64];
			while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
				;
		}
		if (pfd[2].revents & POLLIN)
			read_logins(lim, auth_pipe[0]);
		if (got_chld)
			reap(lim, chores);
		if (!got_term && (pfd[0].revents & POLLIN))
			accept_one(x, lfd, lim, auth_pipe);
	}
	close(lfd);
	if (chores != NULL)
		chores->stop(chores->arg);
	log_info("stopping: waiting for %d connection(s) to finish",
	    limits_children(lim));
	while (limits_children(lim) > 0 && (pid = wait(&status)) > 0)
		if (!(chores != NULL && chores->reaped(chores->arg, pid, status,
		    no_login(status))))
			limits_exited(lim, pid, status);
	limits_free(lim);
	log_info("stopped");
	return 0;
}

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
	if (write(wake_pipe[1], "x", 1) == -1) {
		/* the pipe is full: poll will wake anyway */
	}
	errno = saved;
}

static int
install_signals(void)
{
	struct sigaction sa;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("pipe");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1) {
		log_warn("sigaction");
		return -1;
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1) {
		log_warn("sigaction");
		return -1;
	}
	return 0;
}

/* A connection that ended this way never logged in (gitd_session.h): a
 * refused or silent client changed nothing, and must not make the
 * daemon work (a flood of them would). */
static int
no_login(int status)
{
	return WIFEXITED(status) && (WEXITSTATUS(status) == SESSION_NO_AUTH ||
	    WEXITSTATUS(status) == SESSION_AUTH_FAILED);
}

static void
reap(struct limits *l, const struct gitd_chores *chores)
{
	int status;
	pid_t pid;

	got_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (!(chores != NULL && chores->reaped(chores->arg, pid,
		    status, no_login(status))))
			limits_exited(l, pid, status);
}

/* The sooner of the limits' next log summary and the chores' next tick
 * (milliseconds; -1: none due). */
static int
poll_timeout(struct limits *l, const struct gitd_chores *chores)
{
	int a = limits_tick(l), b = chores != NULL ? chores->tick(chores->arg) : -1;

	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

static void
accept_one(const struct childexec *x, int lfd, struct limits *l,
    int auth_pipe[2])
{
	struct childexec_opts o = { { -1, -1, -1, -1 }, 0, 0 };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[64], sfd[16], slogin[16];
	int fd, slot;
	pid_t pid;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	/* SSH writes small packets and waits for answers: without this,
	 * Nagle and delayed ACKs stall each exchange by ~40 ms */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
	    sizeof(int)) == -1) {
		/* a connection already reset (a flood): its session ends
		 * on its own, and one log line each would be the flood's */
	}
	read_logins(l, auth_pipe[0]); /* a child that just logged in is safe */
	if ((slot = limits_admit(l, &ss, addr, sizeof(addr))) == -1) {
		close(fd);
		return;
	}
	snprintf(sfd, sizeof(sfd), "%d", fd);
	snprintf(slogin, sizeof(slogin), "%d", auth_pipe[1]);
	o.keep[0] = fd;
	o.keep[1] = auth_pipe[1];
	if ((pid = childexec_spawn(x, &o, (const char *const[]){ "conn", sfd,
	    addr, slogin, NULL })) == -1)
		log_warn("fork");
	limits_started(l, slot, pid);
	close(fd);
}

/* Children that report a login no longer hold a login slot. */
static void
read_logins(struct limits *l, int fd)
{
	int32_t pids[64];
	ssize_t n;

	while ((n = read(fd, pids, sizeof(pids))) > 0)
		for (size_t k = 0; k < (size_t)n / sizeof(pids[0]); k++)
			limits_login(l, (pid_t)pids[k]);
}
