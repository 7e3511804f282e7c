/*
 * upstream.c - the app's stable upstream port on berth's side: choosing
 * and recording it, the kernel setting that lets a relay leave it without
 * dropping queued connections, and the wait for a new web process to
 * have joined it (its shim says "ready" on a pipe: no polling).  See
 * shim_spawn.h and run/relay.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/path.h"
#include "core/num.h"
#include "router/router.h"
#include "run/procs.h"
#include "run/shim_spawn.h"

#define MIGRATE_REQ "/proc/sys/net/ipv4/tcp_migrate_req"
#define UPSTREAM_MIN 10000 /* stable upstream ports: UPSTREAM_MIN up to the
                              ephemeral range */

/* The low end of the kernel's ephemeral port range. */
static int
ephemeral_low(void)
{
	char buf[64] = "";
	ssize_t n;
	long long low;
	int fd;

	if ((fd = open("/proc/sys/net/ipv4/ip_local_port_range",
	    O_RDONLY | O_CLOEXEC)) == -1)
		return 32768;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (num_prefix(buf, 1, 65535, &low, NULL) == -1)
		return 32768;
	return low > UPSTREAM_MIN + 1000 ? (int)low : 32768;
}

/* 1 when 127.0.0.1:port can be bound now. */
static int
bindable(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int fd, ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/*
 * A free loopback port below the ephemeral range, or 0.  The kernel never
 * hands those out as the local port of an outgoing connection, so the port
 * stays free for the app's relays while none is joined (a restart, a
 * stopped app); the apps' own ports are the kernel's picks, which are all
 * ephemeral.
 */
static int
free_port(void)
{
	int low = ephemeral_low();
	unsigned int r;

	for (int i = 0; i < 200; i++) {
		int port;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return 0;
		port = UPSTREAM_MIN + (int)(r % (unsigned int)(low - UPSTREAM_MIN));
		if (bindable(port))
			return port;
	}
	errno = EADDRINUSE;
	return 0;
}

/* 1 when a holder of 127.0.0.1:port is a process supervisor of app of
 * this data dir (its relay joins the port): "berth-shim shim DATA ID APP
 * ...". */
static int
app_shim(const struct conf *c, const char *app, const struct holder *h)
{
	char want[PATH_MAX + 32];
	const char *p;
	size_t n = strlen(app);

	if (h->pid <= 0 || snprintf(want, sizeof(want), "berth-shim shim %s ",
	    c->data_dir) >= (int)sizeof(want) ||
	    strncmp(h->cmd, want, strlen(want)) != 0)
		return 0;
	p = h->cmd + strlen(want);
	p += strspn(p, "0123456789"); /* the process id */
	return *p == ' ' && strncmp(p + 1, app, n) == 0 && p[1 + n] == ' ';
}

/*
 * 1 when another program listens on port, so the app's relays cannot join
 * it (who: that program).  The port is the app's while no relay holds it
 * (a stopped app, a restart), and anything may bind it meanwhile.
 */
static int
taken(const struct conf *c, const char *app, int port, char *who,
    size_t wholen)
{
	struct holder h[HOLDERS_MAX];
	size_t n;

	if (bindable(port) || router_holders("127.0.0.1", port, h, HOLDERS_MAX,
	    &n) == -1)
		return 0; /* free, or unknown: the relay will say */
	for (size_t i = 0; i < n; i++)
		if (!app_shim(c, app, &h[i])) {
			router_holder_describe(&h[i], who, wholen);
			return 1;
		}
	return 0;
}

int
upstream_port(const struct conf *c, struct store *st,
    const struct app_rec *app, int *port, char *err, size_t errlen)
{
	char who[256];

	if (store_app_upstream(st, app->id, port) != 0) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	if (*port > 0 && !taken(c, app->name, *port, who, sizeof(who)))
		return 0;
	if (*port > 0)
		log_warnx("app '%s': its upstream port %d is taken by %s: moving"
		    " to another port", app->name, *port, who);
	if ((*port = free_port()) == 0) {
		snprintf(err, errlen, "no free port: %s", strerror(errno));
		return -1;
	}
	if (store_app_set_upstream(st, app->id, *port) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	return 0;
}

void
upstream_migrate_req(void)
{
	char v = '0';
	int fd;

	if (geteuid() != 0 || (fd = open(MIGRATE_REQ, O_RDWR | O_CLOEXEC)) == -1)
		return;
	if (read(fd, &v, 1) == 1 && v == '0') {
		if (pwrite(fd, "1\n", 2, 0) == 2)
			log_info("set net.ipv4.tcp_migrate_req = 1: a retiring"
			    " process's queued connections go to its successor");
		else
			log_warn("cannot set net.ipv4.tcp_migrate_req");
	}
	close(fd);
}

/* The last health status the shim saw (0: none). */
static int
last_health(const struct conf *c, const char *app, const struct proc_rec *p)
{
	char run[PATH_MAX], path[PATH_MAX], buf[16] = "";
	long long v;
	ssize_t n;
	int fd;

	if (datadir_run(c->data_dir, app, (long long)p->id, run,
	    sizeof(run)) == -1 ||
	    pathf(path, sizeof(path), "%s/health", run) == -1 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return num_prefix(buf, 0, 999, &v, NULL) == 0 ? (int)v : 0;
}

int
shim_wait_ready(const struct conf *c, const char *app,
    const struct proc_rec *p, int ready_fd, const char *path, int timeout_s,
    char *why, size_t whylen)
{
	long long deadline = clock_ms() + timeout_s * 1000LL;
	char buf[16];
	ssize_t n = 0;
	int code;

	for (;;) {
		struct pollfd pfd = { ready_fd, POLLIN, 0 };
		long long left = deadline - clock_ms();
		int rc;
		if (left <= 0)
			break;
		if ((rc = poll(&pfd, 1, (int)left)) == -1 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		n = read(ready_fd, buf, sizeof(buf) - 1);
		if (n > 0 && strncmp(buf, "ready", 5) == 0)
			return 0;
		if (n == -1 && errno == EINTR)
			continue;
		snprintf(why, whylen, "%s.%d exited during start (see 'logs %s')",
		    p->type, p->idx, app);
		return -1;
	}
	if ((code = last_health(c, app, p)) >= 500)
		snprintf(why, whylen, "%s.%d answered %s with HTTP %d for %d s",
		    p->type, p->idx, path, code, timeout_s);
	else
		snprintf(why, whylen, "%s.%d did not answer on port %d within %d s",
		    p->type, p->idx, p->port, timeout_s);
	return -1;
}
