/*
 * relay_handoff.c - passing a proxy's connection from a retiring relay to
 * the newest one of the same app, with SCM_RIGHTS over a SOCK_SEQPACKET
 * unix socket.  Each relay that joins listens on RUN/SELF (its own name
 * in the app's run dir, RUN = DATA/apps/APP/run) and points the link
 * RUN/handoff at it with one rename(2); a retiring relay sends to
 * whatever the link names.  Paths go through the run dir's descriptor
 * (/proc/self/fd/N/...), so a long data dir cannot overflow sun_path.
 * Only a peer of our own uid is believed (the run dir is berth's own, but
 * an app must never push descriptors into a relay).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "run/relay_int.h"

#define HANDOFF_LINK "handoff"

static int
addr_of(const struct relay *r, const char *name, struct sockaddr_un *a)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/%s",
	    r->o.run_fd, name);
	return n < 0 || (size_t)n >= sizeof(a->sun_path) ? -1 : 0;
}

/* Listen on RUN/SELF and make RUN/handoff name it. */
int
relay_handoff_listen(struct relay *r)
{
	struct sockaddr_un a;
	char tmp[64];

	if (r->hlfd != -1)
		return 0;
	if (addr_of(r, r->o.self, &a) == -1 ||
	    (r->hlfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)unlinkat(r->o.run_fd, r->o.self, 0);
	snprintf(tmp, sizeof(tmp), "%s.%d", HANDOFF_LINK, (int)getpid());
	(void)unlinkat(r->o.run_fd, tmp, 0);
	if (bind(r->hlfd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    fchmodat(r->o.run_fd, r->o.self, 0600, 0) == -1 ||
	    listen(r->hlfd, 64) == -1 ||
	    relay_ep(r, r->hlfd, &r->t_hlisten, EPOLLIN, EPOLL_CTL_ADD) == -1 ||
	    symlinkat(r->o.self, r->o.run_fd, tmp) == -1 ||
	    renameat(r->o.run_fd, tmp, r->o.run_fd, HANDOFF_LINK) == -1) {
		relay_handoff_close(r);
		return -1;
	}
	return 0;
}

void
relay_handoff_close(struct relay *r)
{
	if (r->hlfd != -1) {
		(void)relay_ep(r, r->hlfd, NULL, 0, EPOLL_CTL_DEL);
		close(r->hlfd);
		r->hlfd = -1;
		(void)unlinkat(r->o.run_fd, r->o.self, 0);
	}
	if (r->hout != -1) {
		close(r->hout);
		r->hout = -1;
	}
	for (int i = 0; i < RELAY_PEERS_MAX; i++)
		if (r->peers[i].fd != -1) {
			close(r->peers[i].fd);
			r->peers[i].fd = -1;
		}
}

/* Connect to the newest relay (not ourselves, our own uid). */
static int
connect_newest(struct relay *r)
{
	struct sockaddr_un a;
	struct ucred cr;
	socklen_t sl = sizeof(cr);

	if (r->hout != -1)
		return 0;
	if (r->o.run_fd < 0 || addr_of(r, HANDOFF_LINK, &a) == -1 ||
	    (r->hout = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(r->hout, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    getsockopt(r->hout, SOL_SOCKET, SO_PEERCRED, &cr, &sl) == -1 ||
	    cr.pid == getpid() || cr.uid != geteuid()) {
		close(r->hout);
		r->hout = -1;
		return -1;
	}
	return 0;
}

int
relay_handoff_send(struct relay *r, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], one = 'h';
	struct iovec iov = { &one, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	if (connect_newest(r) == -1)
		return -1;
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(r->hout, &m, MSG_NOSIGNAL) != 1)
		return -1;
	return 0;
}

void
relay_retire_conn(struct relay *r, struct relay_conn *c)
{
	if (relay_handoff_send(r, c->cl.fd) == 0) {
		/* the descriptor lives on in the new relay: out of our epoll
		 * set first (a close alone would not take it out) */
		(void)relay_ep(r, c->cl.fd, NULL, 0, EPOLL_CTL_DEL);
		close(c->cl.fd);
		c->cl.fd = -1;
		relay_conn_close(r, c, 0); /* the app side: idle */
		return;
	}
	relay_conn_close(r, c, 1);
}

void
relay_handoff_accept(struct relay *r)
{
	struct ucred cr;
	socklen_t sl;
	int fd, i;

	while ((fd = accept4(r->hlfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		sl = sizeof(cr);
		for (i = 0; i < RELAY_PEERS_MAX && r->peers[i].fd != -1; i++)
			;
		if (i == RELAY_PEERS_MAX || getsockopt(fd, SOL_SOCKET,
		    SO_PEERCRED, &cr, &sl) == -1 || cr.uid != geteuid() ||
		    relay_ep(r, fd, &r->peers[i].t, EPOLLIN, EPOLL_CTL_ADD) == -1) {
			close(fd);
			continue;
		}
		r->peers[i].fd = fd;
	}
}

static void
take(struct relay *r, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		close(fd);
		return;
	}
	relay_conn_new(r, fd);
	/* its request bytes may be waiting already */
	if (r->conns && r->conns->cl.fd == fd) {
		r->conns->cl.rd = 1;
		if (!r->conns->connecting)
			(void)relay_pump(r, r->conns);
	}
}

void
relay_handoff_in(struct relay *r, struct relay_peer *p)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)], b[8];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	while ((n = recvmsg(p->fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) > 0) {
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			size_t k;
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
				    sizeof(int));
				take(r, fd);
			}
		}
		m.msg_controllen = sizeof(cbuf);
	}
	if (n == 0 || (n == -1 && errno != EAGAIN)) {
		(void)relay_ep(r, p->fd, NULL, 0, EPOLL_CTL_DEL);
		close(p->fd);
		p->fd = -1;
	}
}
