/*
 * gitd_server.c - the daemon's accept loop (see gitd_server.h).
 *
 * The parent owns a plain listening socket and an ssh_bind that holds the
 * host key; for each connection it forks, and the child hands the socket to
 * libssh with ssh_bind_accept_fd.  Signals only set flags (a self-pipe wakes
 * poll); the loop reaps children, enforces max_connections and
 * max_unauthenticated (a child writes its pid to the auth pipe once its
 * client has logged in), the per-address limits (IPv6 counted per /64),
 * and on SIGTERM stops accepting and waits for running connections (a push
 * in progress runs to its end).  The daemon's chores (berth serve's
 * repairs) are ticked from the same loop: poll wakes when they are due.
 */
#include "gitd/gitd_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "gitd/gitd_session.h"

#define PEERS_MAX 1024
#define FAIL_WINDOW 60

/* What the accept loop knows of each source address and connection. */
struct peer {
	char addr[64];        /* the address; an IPv6 one cut to its /64 */
	int live;             /* connections open now */
	int unauthed;         /* of those, still logging in */
	int fails;            /* failed logins in the current window */
	time_t window;        /* start of that window */
	time_t blocked_until; /* refused until then */
};

struct kid {
	pid_t pid;
	int peer;             /* index into peers */
	int authed;           /* its client has logged in */
};

struct accounting {
	struct peer peers[PEERS_MAX];
	size_t npeers;
	struct kid *kids;     /* max_connections slots */
	int children;
	int unauthed;         /* children whose client has not logged in yet */
	int auth_pipe[2];     /* children write their pid once logged in */
};

static volatile sig_atomic_t got_term, got_chld;
static int wake_pipe[2] = { -1, -1 };

static int listen_socket(const struct conf *c);
static ssh_bind make_bind(const struct conf *c);
static void on_signal(int sig);
static int install_signals(void);
static void reap(const struct conf *c, struct accounting *a,
    const struct gitd_chores *chores);
static int forget_kid(const struct conf *c, struct accounting *a, pid_t pid,
    int status);
static void accept_one(const struct conf *c, ssh_bind bind, int lfd,
    struct accounting *a);
static void read_logins(const struct conf *c, struct accounting *a);

int
gitd_serve(const struct conf *conf, const struct gitd_chores *chores)
{
	struct pollfd pfd[3];
	struct accounting *acct;
	ssh_bind bind;
	int lfd, status, timeout;
	pid_t pid;

	if ((acct = calloc(1, sizeof(*acct))) == NULL ||
	    (acct->kids = calloc((size_t)conf->max_connections,
	    sizeof(*acct->kids))) == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	if (pipe2(acct->auth_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("pipe");
		return 1;
	}
	if ((bind = make_bind(conf)) == NULL)
		return 1;
	if ((lfd = listen_socket(conf)) == -1 || install_signals() == -1) {
		ssh_bind_free(bind);
		return 1;
	}
	log_info("listening on %s:%d (data dir %s)", conf->listen_addr,
	    conf->listen_port, conf->data_dir);
	while (!got_term) {
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = acct->auth_pipe[0], .events = POLLIN };
		timeout = chores != NULL ? chores->tick(chores->arg) : -1;
		if (poll(pfd, 3, timeout) == -1 && errno != EINTR) {
			log_warn("poll");
			break;
		}
		if (pfd[1].revents & POLLIN) {
			char drain[64];
			while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
				;
		}
		if (pfd[2].revents & POLLIN)
			read_logins(conf, acct);
		if (got_chld)
			reap(conf, acct, chores);
		if (!got_term && (pfd[0].revents & POLLIN))
			accept_one(conf, bind, lfd, acct);
	}
	close(lfd);
	if (chores != NULL)
		chores->stop(chores->arg);
	log_info("stopping: waiting for %d connection(s) to finish",
	    acct->children);
	while (acct->children > 0 && (pid = wait(&status)) > 0)
		(void)forget_kid(conf, acct, pid, status);
	free(acct->kids);
	free(acct);
	ssh_bind_free(bind);
	log_info("stopped");
	return 0;
}

static ssh_bind
make_bind(const struct conf *c)
{
	ssh_bind bind = ssh_bind_new();
	bool no = false;

	if (bind == NULL) {
		log_warnx("out of memory");
		return NULL;
	}
	if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, c->host_key) < 0) {
		log_warnx("cannot load host key '%s': %s", c->host_key,
		    ssh_get_error(bind));
		ssh_bind_free(bind);
		return NULL;
	}
	return bind;
}

static int
listen_socket(const struct conf *c)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char port[16];
	int fd, one = 1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", c->listen_port);
	if ((rc = getaddrinfo(c->listen_addr, port, &hints, &ai)) != 0) {
		log_warnx("bad listen address '%s': %s", c->listen_addr,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		log_warn("cannot listen on %s:%d", c->listen_addr, c->listen_port);
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
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

/* The peer entry for addr: its own, a new one, or when the table is full
 * the one with nothing open whose block ends first.  -1 only when every
 * entry has a connection open: the caller refuses. */
static int
peer_find(struct accounting *a, const char *addr)
{
	size_t i, pick = PEERS_MAX;

	for (i = 0; i < a->npeers; i++)
		if (strcmp(a->peers[i].addr, addr) == 0)
			return (int)i;
	if (a->npeers < PEERS_MAX)
		i = a->npeers++;
	else {
		for (i = 0; i < PEERS_MAX; i++)
			if (a->peers[i].live == 0 && (pick == PEERS_MAX ||
			    a->peers[i].blocked_until < a->peers[pick].blocked_until ||
			    (a->peers[i].blocked_until == a->peers[pick].blocked_until &&
			    a->peers[i].window < a->peers[pick].window)))
				pick = i;
		if (pick == PEERS_MAX)
			return -1;
		i = pick;
	}
	memset(&a->peers[i], 0, sizeof(a->peers[i]));
	snprintf(a->peers[i].addr, sizeof(a->peers[i].addr), "%s", addr);
	return (int)i;
}

static void
count_failure(const struct conf *c, struct peer *p)
{
	time_t now = time(NULL);

	if (now - p->window > FAIL_WINDOW) {
		p->window = now;
		p->fails = 0;
	}
	if (++p->fails >= c->auth_fail_limit) {
		p->blocked_until = now + c->auth_fail_block;
		p->fails = 0;
		log_warnx("blocking %s for %d s: %d failed logins within %d s",
		    p->addr, c->auth_fail_block, c->auth_fail_limit, FAIL_WINDOW);
	}
}

/* The connection process pid ended: its slot and its address's counts
 * are freed.  1 when it was one, 0 when pid is no connection's. */
static int
forget_kid(const struct conf *c, struct accounting *a, pid_t pid, int status)
{
	int i;

	for (i = 0; i < c->max_connections && a->kids[i].pid != pid; i++)
		;
	if (i == c->max_connections)
		return 0;
	a->children--;
	a->kids[i].pid = 0;
	if (!a->kids[i].authed)
		a->unauthed--;
	if (a->kids[i].peer >= 0) {
		struct peer *p = &a->peers[a->kids[i].peer];
		p->live--;
		if (!a->kids[i].authed)
			p->unauthed--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == SESSION_AUTH_FAILED)
			count_failure(c, p);
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGALRM)
		log_warnx("connection process %ld killed by signal %d",
		    (long)pid, WTERMSIG(status));
	return 1;
}

static void
reap(const struct conf *c, struct accounting *a,
    const struct gitd_chores *chores)
{
	int status;
	pid_t pid;

	got_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (!(chores != NULL && chores->reaped(chores->arg, pid,
		    status)))
			(void)forget_kid(c, a, pid, status);
}

/* The address of ss as text, and the key the limits count it under: the
 * same, except that an IPv6 address counts for its whole /64. */
static void
peer_name(const struct sockaddr_storage *ss, char *addr, char *key, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	snprintf(addr, len, "?");
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    host, sizeof(host));
		snprintf(addr, len, "%s", host);
	} else if (ss->ss_family == AF_INET6) {
		struct in6_addr a6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
		inet_ntop(AF_INET6, &a6, host, sizeof(host));
		snprintf(addr, len, "%s", host);
		if (!IN6_IS_ADDR_V4MAPPED(&a6) && !IN6_IS_ADDR_LOOPBACK(&a6)) {
			memset(a6.s6_addr + 8, 0, 8); /* one site: its /64 */
			inet_ntop(AF_INET6, &a6, host, sizeof(host));
		}
	}
	snprintf(key, len, "%s", host);
}

/* May a new connection from peer p come in?  0 or -1 (refused, logged). */
static int
admit(const struct conf *c, struct accounting *a, struct peer *p,
    const char *addr)
{
	if (a->children >= c->max_connections) {
		log_warnx("refusing %s: %d connections already", addr, a->children);
		return -1;
	}
	if (a->unauthed >= c->max_unauthenticated) {
		log_warnx("refusing %s: %d connections still logging in", addr,
		    a->unauthed);
		return -1;
	}
	if (p == NULL) {
		log_warnx("refusing %s: %d addresses have connections open", addr,
		    PEERS_MAX);
		return -1;
	}
	if (p->blocked_until > time(NULL))
		return -1; /* logged when the block began */
	if (p->live >= c->per_address_connections) {
		log_warnx("refusing %s: %d connections from it already", addr,
		    p->live);
		return -1;
	}
	/* one address may hold only a share of the slots for logging in */
	if (p->unauthed >= (c->max_unauthenticated + 3) / 4) {
		log_warnx("refusing %s: %d connections from it still logging in",
		    addr, p->unauthed);
		return -1;
	}
	return 0;
}

static void
accept_one(const struct conf *c, ssh_bind bind, int lfd, struct accounting *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct peer *p;
	char addr[64], key[64];
	int fd, pi, slot;
	pid_t pid;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	peer_name(&ss, addr, key, sizeof(addr));
	pi = peer_find(a, key);
	p = pi >= 0 ? &a->peers[pi] : NULL;
	for (slot = 0; slot < c->max_connections && a->kids[slot].pid != 0; slot++)
		;
	if (admit(c, a, p, addr) == -1 || slot == c->max_connections) {
		close(fd);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(fd);
		return;
	}
	if (pid == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGCHLD, &sa, NULL);
		close(lfd);
		close(wake_pipe[0]);
		close(wake_pipe[1]);
		close(a->auth_pipe[0]);
		_exit(gitd_session_run(c, bind, fd, addr, a->auth_pipe[1]));
	}
	a->kids[slot] = (struct kid){ pid, pi, 0 };
	a->children++;
	a->unauthed++;
	if (p != NULL) {
		p->live++;
		p->unauthed++;
	}
	close(fd);
}

/* Children that report a login no longer count as unauthenticated. */
static void
read_logins(const struct conf *c, struct accounting *a)
{
	int32_t pids[64];
	ssize_t n;

	while ((n = read(a->auth_pipe[0], pids, sizeof(pids))) > 0)
		for (size_t k = 0; k < (size_t)n / sizeof(pids[0]); k++)
			for (int i = 0; i < c->max_connections; i++)
				if (a->kids[i].pid == pids[k] && !a->kids[i].authed) {
					a->kids[i].authed = 1;
					a->unauthed--;
					if (a->kids[i].peer >= 0)
						a->peers[a->kids[i].peer].unauthed--;
					break;
				}
}
