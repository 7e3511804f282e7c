/*
 * relay.c - the relay's life: joining the app's stable upstream once the
 * app is healthy, accepting and relaying connections to the app's own
 * port, holding or leaving on an app exit, and retiring.  See relay.h;
 * relay_pump.c moves the bytes, relay_health.c checks the app,
 * relay_handoff.c passes connections to a newer relay.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "run/relay_int.h"

static void free_dead(struct relay *r);

int64_t
relay_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
relay_ep(struct relay *r, int fd, void *tag, uint32_t ev, int op)
{
	struct epoll_event e = { .events = ev, .data.ptr = tag };

	return epoll_ctl(r->ep, op, fd, op == EPOLL_CTL_DEL ? NULL : &e);
}

struct relay *
relay_new(const struct relay_opts *o)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->o = *o;
	r->lfd = r->hlfd = r->hout = r->hfd = -1;
	r->t_listen.tag = T_LISTEN;
	r->t_hlisten.tag = T_HLISTEN;
	r->t_health.tag = T_HEALTH;
	for (int i = 0; i < RELAY_PEERS_MAX; i++) {
		r->peers[i].t.tag = T_HPEER;
		r->peers[i].fd = -1;
	}
	if ((r->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(r);
		return NULL;
	}
	return r;
}

static void
close_listener(struct relay *r)
{
	if (r->lfd == -1)
		return;
	(void)relay_ep(r, r->lfd, NULL, 0, EPOLL_CTL_DEL);
	close(r->lfd);
	r->lfd = -1;
	r->accepting = 0;
	r->joined = 0;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	while (r->conns)
		relay_conn_close(r, r->conns, 1);
	free_dead(r);
	close_listener(r);
	relay_handoff_close(r);
	if (r->hfd != -1)
		close(r->hfd);
	for (int i = 0; i < r->npool; i++) {
		close(r->pool[i][0]);
		close(r->pool[i][1]);
	}
	close(r->ep);
	free(r);
}

int
relay_fd(const struct relay *r)
{
	return r->ep;
}

const char *
relay_error(const struct relay *r)
{
	return r->error ? r->error : "?";
}

int
relay_last_status(const struct relay *r)
{
	return r->last_status;
}

int
relay_timeout(const struct relay *r)
{
	int64_t t = relay_now_ms(), wait = -1;

	if (r->hnext > 0)
		wait = r->hnext > t ? r->hnext - t : 0;
	if (r->draining) {
		int64_t d = r->drain_deadline > t ? r->drain_deadline - t : 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	return (int)wait;
}

static void
set_accepting(struct relay *r, int on)
{
	if (r->lfd == -1 || r->accepting == on)
		return;
	if (relay_ep(r, r->lfd, &r->t_listen, on ? EPOLLIN : 0,
	    EPOLL_CTL_MOD) == 0)
		r->accepting = on;
}

/* Join the upstream's SO_REUSEPORT group (or resume a held listener). */
static int
join(struct relay *r)
{
	int one = 1;

	if (r->lfd != -1) {
		set_accepting(r, 1);
		r->joined = 1;
		return 0;
	}
	if ((r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		r->error = "socket";
		return -1;
	}
	if (setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || setsockopt(r->lfd, SOL_SOCKET, SO_REUSEPORT,
	    &one, sizeof(one)) == -1 || bind(r->lfd,
	    (struct sockaddr *)&r->o.upstream, sizeof(r->o.upstream)) == -1 ||
	    listen(r->lfd, 4096) == -1 ||
	    relay_ep(r, r->lfd, &r->t_listen, EPOLLIN, EPOLL_CTL_ADD) == -1) {
		r->error = "cannot join the app's upstream port";
		close(r->lfd);
		r->lfd = -1;
		return -1;
	}
	r->accepting = r->joined = 1;
	if (r->o.run_fd >= 0 && relay_handoff_listen(r) == -1) {
		r->error = "cannot open the handoff socket";
		return -1;
	}
	return 0;
}

static void
accept_all(struct relay *r)
{
	int fd;

	while ((fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1)
		relay_conn_new(r, fd);
}

static void
unlink_conn(struct relay *r, struct relay_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->nconns--;
}

static int
get_pipe(struct relay *r, int p[2])
{
	if (r->npool > 0) {
		r->npool--;
		p[0] = r->pool[r->npool][0];
		p[1] = r->pool[r->npool][1];
		return 0;
	}
	return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

static void
put_pipe(struct relay *r, int p[2], size_t inside)
{
	if (p[0] == -1)
		return;
	if (inside == 0 && r->npool < RELAY_POOL_MAX) {
		r->pool[r->npool][0] = p[0];
		r->pool[r->npool][1] = p[1];
		r->npool++;
	} else {
		close(p[0]);
		close(p[1]);
	}
	p[0] = p[1] = -1;
}

static void
close_end(struct relay *r, struct relay_end *e, int hard)
{
	struct linger lg = { 1, 0 };

	if (e->fd == -1)
		return;
	if (hard)
		(void)setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)relay_ep(r, e->fd, NULL, 0, EPOLL_CTL_DEL);
	close(e->fd);
	e->fd = -1;
}

/* Close both ends; hard: RST (SO_LINGER 0), so that a broken exchange is
 * not mistaken for a complete one. */
void
relay_conn_close(struct relay *r, struct relay_conn *c, int hard)
{
	close_end(r, &c->cl, hard);
	close_end(r, &c->ap, hard);
	put_pipe(r, c->ca, c->n_ca);
	put_pipe(r, c->ac, c->n_ac);
	unlink_conn(r, c);
	c->dead = 1;
	c->next = r->dead;
	r->dead = c;
}

static void
free_dead(struct relay *r)
{
	struct relay_conn *c;

	while ((c = r->dead) != NULL) {
		r->dead = c->next;
		free(c);
	}
}

/* Connect c to the app's own port. */
static int
connect_app(struct relay *r, struct relay_conn *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)r->o.app_port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1;

	if ((c->ap.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)setsockopt(c->ap.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->ap.fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		c->connecting = 1;
	}
	c->cl.mask = c->connecting ? 0 : EPOLLIN;
	c->ap.mask = c->connecting ? EPOLLOUT : EPOLLIN;
	if (relay_ep(r, c->cl.fd, &c->cl, c->cl.mask, EPOLL_CTL_ADD) == -1 ||
	    relay_ep(r, c->ap.fd, &c->ap, c->ap.mask, EPOLL_CTL_ADD) == -1)
		return -1;
	return 0;
}

/* A new client connection (accepted, or handed over by an older relay). */
void
relay_conn_new(struct relay *r, int fd)
{
	struct relay_conn *c;
	int one = 1;

	if (r->draining && relay_handoff_send(r, fd) == 0) {
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ca[0] = c->ca[1] = c->ac[0] = c->ac[1] = -1;
	c->cl = (struct relay_end){ T_CLIENT, c, fd, 0, 0 };
	c->ap = (struct relay_end){ T_APP, c, -1, 0, 0 };
	c->fresh = 1;
	c->next = r->conns;
	if (r->conns)
		r->conns->prev = c;
	r->conns = c;
	r->nconns++;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (get_pipe(r, c->ca) == -1 || get_pipe(r, c->ac) == -1 ||
	    connect_app(r, c) == -1)
		relay_conn_close(r, c, 1);
}

void
relay_app_started(struct relay *r)
{
	if (r->hfd != -1) {
		(void)relay_ep(r, r->hfd, NULL, 0, EPOLL_CTL_DEL);
		close(r->hfd);
		r->hfd = -1;
	}
	r->hstate = 0;
	r->hdelay = RELAY_HEALTH_FIRST_MS;
	r->hnext = relay_now_ms() + r->hdelay;
}

void
relay_app_exited(struct relay *r)
{
	r->hnext = 0;
	if (r->draining)
		return;
	if (r->o.instances > 1)
		close_listener(r); /* the others take the traffic */
	else
		set_accepting(r, 0); /* new connections wait in the backlog */
	r->joined = 0;
}

void
relay_retire(struct relay *r)
{
	struct relay_conn *c, *next;

	if (r->draining)
		return;
	r->draining = 1;
	r->hnext = 0;
	r->drain_deadline = relay_now_ms() + r->o.grace_ms;
	if (r->lfd != -1) {
		/* what sits in the queue already is ours to pass on */
		accept_all(r);
		close_listener(r);
	}
	for (c = r->conns; c; c = next) {
		next = c->next;
		if (relay_at_request(c))
			relay_retire_conn(r, c);
	}
}

int
relay_drained(const struct relay *r)
{
	return r->draining && (r->nconns == 0 ||
	    relay_now_ms() >= r->drain_deadline);
}

static int
dispatch(struct relay *r, struct epoll_event *ev)
{
	struct relay_tagged *tg = ev->data.ptr;

	switch (tg->tag) {
	case T_LISTEN:
		accept_all(r);
		break;
	case T_HLISTEN:
		relay_handoff_accept(r);
		break;
	case T_HPEER:
		relay_handoff_in(r, (struct relay_peer *)tg);
		break;
	case T_HEALTH:
		return relay_health_event(r);
	case T_CLIENT:
	case T_APP:
		if (!((struct relay_end *)tg)->c->dead)
			relay_conn_event(r, (struct relay_end *)tg, ev->events);
		break;
	}
	return 0;
}

int
relay_step(struct relay *r)
{
	struct epoll_event evs[RELAY_EVENTS];
	int n, healthy = 0, joined = 0;

	if ((n = epoll_wait(r->ep, evs, RELAY_EVENTS, 0)) == -1 &&
	    errno != EINTR) {
		r->error = "epoll_wait";
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (dispatch(r, &evs[i]) == 1)
			healthy = 1;
	if (r->hnext > 0 && relay_now_ms() >= r->hnext && r->hstate == 0)
		relay_health_try(r);
	if (healthy && !r->draining) {
		if (join(r) == -1)
			return -1;
		joined = 1;
	}
	if (r->draining && relay_now_ms() >= r->drain_deadline)
		while (r->conns) /* tunnels, streams: FIN, RST mid-exchange */
			relay_conn_close(r, r->conns, !relay_boundary(r->conns));
	free_dead(r);
	return joined;
}
