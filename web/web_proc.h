/*
 * web_proc.h - the HTTP endpoint's process, as berth serve runs it: serve
 * binds the socket once at start ([dashboard] listen, web_listen.c), then
 * a chore of the front process (gitd/gitd_server.h) starts the
 * endpoint's process beside the SSH connections (web_proc.c) and a new
 * one when it dies, a second later.  Off when [dashboard] listen is
 * empty.
 */
#ifndef BERTH_WEB_PROC_H
#define BERTH_WEB_PROC_H

#include <sys/types.h>

#include "conf/conf.h"
#include "core/childexec.h"
#include "gitd/gitd_server.h"

#define WEB_RESTART_MS 1000  /* a dead endpoint is started again after */

struct web_chore {
	const struct conf *conf;
	const struct childexec *x; /* how the endpoint's process is started */
	struct gitd_chores inner;  /* the chores it runs beside */
	int fd;                    /* the listening socket, -1: off */
	pid_t child;               /* the endpoint's process, 0: none */
	long long next_start_ms;
};

/* Bind [dashboard] listen: a unix socket path (a stale socket there is
 * replaced; mode 0666, like a loopback port) or a loopback address:port.
 * The socket, -1 when the dashboard is off (*err empty) or on failure
 * (err says why). */
int web_listen(const struct conf *c, char *err, size_t errlen);

/* The endpoint's process (`berth __child ... web FD`): serve HTTP on fd
 * until SIGTERM.  Its exit status. */
int web_proc_main(const struct conf *c, int fd);

/* Set w up to run the endpoint on fd (web_listen's; -1: nothing to run)
 * beside inner; *out: the chores to give gitd_serve. */
void web_chore_init(struct web_chore *w, const struct conf *c,
    const struct childexec *x, int fd, const struct gitd_chores *inner,
    struct gitd_chores *out);

#endif
