/*
 * relay_pump.c - moving one connection's bytes between the proxy and the
 * app with splice(2) through two pipes, and telling where its requests
 * begin and end, so that a retiring relay passes it on only between two
 * exchanges (see relay.h).  HTTP/1.1 clients of an upstream (nginx's and
 * Caddy's) do not pipeline: once a final (non-1xx) response is written
 * out and the client's next bytes start a request line, the previous
 * exchange is over and the new request is still unread in the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/relay_int.h"

int
relay_boundary(const struct relay_conn *c)
{
	return !c->tunnel && c->n_ac == 0 && c->n_ca == 0 && !c->c_eof &&
	    !c->a_eof && (c->fresh || c->final_seen);
}

/* Do the client's next bytes (peeked) look like a request line? */
static int
looks_like_request(int fd)
{
	char b[16];
	ssize_t n = recv(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT), i = 0;

	if (n <= 0)
		return 0;
	while (i < n && i < 12 && b[i] >= 'A' && b[i] <= 'Z')
		i++;
	if (i == n) /* only a method so far */
		return i > 0;
	if (i == 0 || b[i] != ' ')
		return 0;
	return i + 1 == n || b[i + 1] == '/' || b[i + 1] == '*' ||
	    b[i + 1] == 'h';
}

/* At a boundary, and the next request (if any) has not been read. */
int
relay_at_request(const struct relay_conn *c)
{
	return relay_boundary(c) && (c->fresh || looks_like_request(c->cl.fd));
}

static void
update(struct relay *r, struct relay_end *e, uint32_t want)
{
	if (e->fd == -1 || e->mask == want)
		return;
	e->mask = want;
	(void)relay_ep(r, e->fd, e, want, EPOLL_CTL_MOD);
}

/* splice from fd into a pipe; 1 moved, 0 nothing now, -1 broken. */
static int
fill(int fd, int pipe_w, size_t *in, unsigned *eof, struct relay_end *e)
{
	ssize_t n = splice(fd, NULL, pipe_w, NULL, RELAY_PIPE_SZ,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (n > 0) {
		*in += (size_t)n;
		return 1;
	}
	if (n == 0)
		*eof = 1;
	else if (errno == EAGAIN)
		e->rd = 0;
	else
		return -1;
	return 0;
}

/* splice a pipe's bytes out to fd; -1 broken. */
static int
drain(int pipe_r, int fd, size_t *in)
{
	ssize_t n = splice(pipe_r, NULL, fd, NULL, *in, SPLICE_F_MOVE |
	    SPLICE_F_NONBLOCK);

	if (n > 0)
		*in -= (size_t)n;
	else if (n == -1 && errno != EAGAIN)
		return -1;
	return 0;
}

/* Before the app's next bytes go out: do they start a response, and is it
 * final, interim (1xx), or a switch to a tunnel (101)? */
static void
peek_response(struct relay_conn *c)
{
	char b[13];
	ssize_t k = recv(c->ap.fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);

	if (k >= 12 && memcmp(b, "HTTP/1.", 7) == 0 && b[9] == '1') {
		if (b[10] == '0' && b[11] == '1')
			c->tunnel = 1;
	} else if (k > 0) {
		c->final_seen = 1;
	}
	if (k > 0)
		c->want_start = 0;
}

static int
pump_in(struct relay *r, struct relay_conn *c)
{
	unsigned eof = 0;
	int rc;

	if (c->cl.rd && c->n_ca == 0 && !c->c_eof) {
		if (r->draining && relay_at_request(c)) {
			relay_retire_conn(r, c);
			return 1;
		}
		if ((rc = fill(c->cl.fd, c->ca[1], &c->n_ca, &eof, &c->cl)) == -1)
			return -1;
		c->c_eof = eof;
		if (rc == 1) {
			c->fresh = 0;
			if (!c->tunnel) {
				c->want_start = 1;
				c->final_seen = 0;
			}
		}
	}
	if (c->n_ca > 0 && drain(c->ca[0], c->ap.fd, &c->n_ca) == -1)
		return -1;
	if (c->c_eof && c->n_ca == 0 && !c->a_shut) {
		(void)shutdown(c->ap.fd, SHUT_WR);
		c->a_shut = 1;
	}
	return 0;
}

static int
pump_out(struct relay_conn *c)
{
	unsigned eof = 0;
	int rc;

	if (c->ap.rd && c->n_ac == 0 && !c->a_eof) {
		if (c->want_start)
			peek_response(c);
		if ((rc = fill(c->ap.fd, c->ac[1], &c->n_ac, &eof, &c->ap)) == -1)
			return -1;
		c->a_eof = eof;
		if (rc == 1)
			c->fresh = 0;
	}
	if (c->n_ac > 0 && drain(c->ac[0], c->cl.fd, &c->n_ac) == -1)
		return -1;
	if (c->a_eof && c->n_ac == 0 && !c->c_shut) {
		(void)shutdown(c->cl.fd, SHUT_WR);
		c->c_shut = 1;
	}
	return 0;
}

int
relay_pump(struct relay *r, struct relay_conn *c)
{
	int rc;

	if (!c->connecting) {
		if ((rc = pump_in(r, c)) == 1)
			return -1; /* handed over */
		if (rc == -1 || pump_out(c) == -1) {
			relay_conn_close(r, c, 1);
			return -1;
		}
		if ((c->c_eof && c->a_eof && c->n_ca == 0 && c->n_ac == 0) ||
		    (c->a_eof && c->n_ac == 0 && c->n_ca == 0 && !c->tunnel)) {
			/* both sides done; or the app closed after a response */
			relay_conn_close(r, c, 0);
			return -1;
		}
		if (r->draining && c->fresh && relay_boundary(c)) {
			relay_retire_conn(r, c);
			return -1;
		}
	}
	update(r, &c->cl, (!c->connecting && c->n_ca == 0 && !c->c_eof ?
	    EPOLLIN : 0) | (c->n_ac > 0 ? EPOLLOUT : 0));
	update(r, &c->ap, c->connecting ? EPOLLOUT :
	    ((c->n_ac == 0 && !c->a_eof ? EPOLLIN : 0) |
	    (c->n_ca > 0 ? EPOLLOUT : 0)));
	return 0;
}

void
relay_conn_event(struct relay *r, struct relay_end *e, uint32_t ev)
{
	struct relay_conn *c = e->c;

	if (e->tag == T_APP && c->connecting) {
		int err = 0;
		socklen_t sl = sizeof(err);
		if (getsockopt(c->ap.fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			/* the app is gone: refuse this one */
			relay_conn_close(r, c, 1);
			return;
		}
		c->connecting = 0;
	}
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		e->rd = 1;
	(void)relay_pump(r, c);
}
