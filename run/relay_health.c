/*
 * relay_health.c - is the app ready?  A GET of the health path on the
 * app's own port (HTTP/1.0, non-blocking, in the relay's epoll set), the
 * first after RELAY_HEALTH_FIRST_MS, then doubling up to
 * RELAY_HEALTH_MAX_MS; any status but a 5xx is healthy.  There is no
 * deadline here: berth gives up on a start after [health] timeout and
 * stops the supervisor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/num.h"
#include "run/relay_int.h"

static void
health_done(struct relay *r)
{
	if (r->hfd != -1) {
		(void)relay_ep(r, r->hfd, NULL, 0, EPOLL_CTL_DEL);
		close(r->hfd);
		r->hfd = -1;
	}
	r->hstate = 0;
}

static void
health_fail(struct relay *r)
{
	health_done(r);
	r->hdelay = r->hdelay * 2 > RELAY_HEALTH_MAX_MS ? RELAY_HEALTH_MAX_MS :
	    r->hdelay * 2;
	r->hnext = relay_now_ms() + r->hdelay;
}

void
relay_health_try(struct relay *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)r->o.app_port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	r->hnext = 0;
	r->hlen = 0;
	if ((r->hfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		health_fail(r);
		return;
	}
	if ((connect(r->hfd, (struct sockaddr *)&a, sizeof(a)) == -1 &&
	    errno != EINPROGRESS) ||
	    relay_ep(r, r->hfd, &r->t_health, EPOLLOUT, EPOLL_CTL_ADD) == -1) {
		health_fail(r);
		return;
	}
	r->hstate = 1;
}

/* Connected: send the request. */
static void
health_send(struct relay *r)
{
	char req[RELAY_HEALTH_MAX + 100];
	int err = 0, n;
	socklen_t sl = sizeof(err);

	if (getsockopt(r->hfd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
	    err != 0) {
		health_fail(r);
		return;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n"
	    "User-Agent: berth-health\r\n\r\n", r->o.health);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    write(r->hfd, req, (size_t)n) != n ||
	    relay_ep(r, r->hfd, &r->t_health, EPOLLIN, EPOLL_CTL_MOD) == -1) {
		health_fail(r);
		return;
	}
	r->hstate = 2;
}

/* 1 when the app has just answered healthy. */
int
relay_health_event(struct relay *r)
{
	long long code;
	ssize_t n;

	if (r->hstate == 1) {
		health_send(r);
		return 0;
	}
	if (r->hstate != 2)
		return 0;
	n = read(r->hfd, r->hbuf + r->hlen, sizeof(r->hbuf) - 1 - r->hlen);
	if (n > 0)
		r->hlen += (size_t)n;
	if (r->hlen < 12 && n > 0)
		return 0;
	if (n == -1 && errno == EAGAIN)
		return 0;
	r->hbuf[r->hlen] = '\0';
	if (r->hlen >= 12 && strncmp(r->hbuf, "HTTP/1.", 7) == 0)
		r->last_status = num_prefix(r->hbuf + 9, 100, 999, &code,
		    NULL) == 0 ? (int)code : 0;
	else
		r->last_status = 0;
	if (r->last_status >= 100 && r->last_status < 500) {
		health_done(r);
		return 1;
	}
	health_fail(r);
	return 0;
}
