/*
 * gitd_server.h - `berth serve`'s loop, in the front process (cmd/front.c):
 * the supervisor of connection processes.  It only accepts, counts and
 * reaps; every connection is served by a process of its own, a fork
 * that execs berth (core/childexec.h, gitd_session.h), so a crash or a
 * hung client ends one connection and nothing else.  Beside them it runs
 * the daemon's chores (repairs, upkeep, scheduled jobs, the dashboard's
 * endpoint) at the times they ask for.
 */
#ifndef BERTH_GITD_SERVER_H
#define BERTH_GITD_SERVER_H

#include <sys/types.h>

#include "conf/conf.h"
#include "core/childexec.h"

/* Work the daemon does beside its connections (berth serve's repairs,
 * run/reconcile.h): tick(arg) from the poll loop, returning the
 * milliseconds until it wants to be called again; reaped(arg, pid,
 * status, no_login) for every child the loop reaps, 1 when the child was
 * its own (0: a connection ended; no_login 1 when that connection never
 * logged in, so it changed nothing a chore should look at soon); stop(arg) once, before the daemon waits for
 * its connections at shutdown.  fd (-1: none) is polled beside the
 * sockets: readable, the loop goes round and ticks at once (a watched
 * process ended).  A chore that wraps another passes its fd on. */
struct gitd_chores {
	int (*tick)(void *arg);
	int (*reaped)(void *arg, pid_t pid, int status, int no_login);
	void (*stop)(void *arg);
	void *arg;
	int fd;
};

/* Accept on lfd (gitd/gitd_listen.h's socket) and start each connection's
 * process with x, until SIGTERM/SIGINT; chores may be NULL.  Returns the
 * process exit status. */
int gitd_serve(const struct conf *conf, int lfd, const struct childexec *x,
    const struct gitd_chores *chores);

#endif
