/*
 * relay.h - the front of one web process instance, inside its supervisor
 * (berth-shim, run/shim_main.c).  Links only libc.
 *
 * Every web instance of an app joins the app's stable upstream, a TCP
 * listener on 127.0.0.1:UPSTREAM_PORT with SO_REUSEPORT: the proxy's
 * config names that port once per app, so a deploy changes no proxy
 * config and the proxy is never reloaded for it.  The relay health-checks
 * its app (GET PATH on the app's own port, the first try after 2 ms, then
 * doubling up to 100 ms; anything but a 5xx is healthy), and only then
 * joins; each connection accepted there is relayed to the app's port with
 * splice(2).
 *
 * Retiring (relay_retire, on SIGTERM): the listener closes at once (with
 * net.ipv4.tcp_migrate_req = 1 the kernel moves its accept queue to the
 * group's other listeners, see run/upstream.h), and each connection is
 * handed over, at a request boundary, to the newest relay of the app with
 * SCM_RIGHTS (its handoff socket, which the app's run dir link "handoff"
 * names): the proxy's pooled keep-alive connection is never closed, its
 * next request is served by the new release.  A boundary is a connection
 * no byte went through yet, or one whose last response was final and
 * written out and whose client has started its next request.  Tunnels
 * (after a 101) and streaming responses drain until they end or the grace
 * runs out.  Then relay_drained() says so, and the supervisor stops the app.
 *
 * When the app exits on its own: with one instance the listener stays but
 * is not accepted from, so new connections wait in its backlog while the
 * app restarts; with several, it is closed so the others take the traffic.
 */
#ifndef BERTH_RUN_RELAY_H
#define BERTH_RUN_RELAY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_HEALTH_MAX 200   /* the health path's length, at most */

struct relay;

struct relay_opts {
	struct sockaddr_in upstream; /* the app's stable port */
	int app_port;                /* this instance's own port */
	char health[RELAY_HEALTH_MAX + 1];
	int instances;               /* of this process type */
	int grace_ms;                /* a retiring relay's drain, at most */
	int run_fd;                  /* the app's run dir (handoff sockets) */
	char self[32];               /* this instance's handoff socket name */
};

/* A relay (not yet joined), or NULL with errno. */
struct relay *relay_new(const struct relay_opts *o);
void relay_free(struct relay *r);

/* The descriptor to poll for input (an epoll set). */
int relay_fd(const struct relay *r);

/* Milliseconds until relay_step has a timer to run (-1: none). */
int relay_timeout(const struct relay *r);

/* Handle what is ready and the timers that are due.  Returns 1 when the
 * relay has just joined the upstream (the app answered its health check),
 * 0 otherwise, -1 on a failure that leaves it unable to serve (errno;
 * relay_error tells which step). */
int relay_step(struct relay *r);
const char *relay_error(const struct relay *r);

/* The app was started: health-check it (again). */
void relay_app_started(struct relay *r);

/* The app exited by itself: hold or leave the upstream (see above). */
void relay_app_exited(struct relay *r);

/* Leave the upstream and hand the connections over (see above). */
void relay_retire(struct relay *r);

/* 1 once a retiring relay has no connection left (or its grace is over). */
int relay_drained(const struct relay *r);

/* The status of the last health check (0: no answer). */
int relay_last_status(const struct relay *r);

#endif
