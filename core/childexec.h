/*
 * childexec.h - how berth serve's front process (cmd/front.c) starts the
 * full berth for every connection and every chore pass.
 *
 * berth serve sets the daemon up with the whole binary (libssh, libgit2,
 * sqlite, the router), then execs the front: a small static program that
 * only accepts, counts, keeps the chores' clocks and reaps, so the idle
 * daemon maps none of the heavy libraries.  Each child is a fork of the
 * front that execs `berth __child CONF_FD KIND ARGS...` (cmd/child.c):
 *  - the berth binary is the one the daemon started with, held open as
 *    an O_PATH fd: an upgrade that replaces the file on disk does not mix
 *    an old front with a new berth until the daemon is restarted;
 *  - the config is the daemon's own struct conf, as settled at start,
 *    in a sealed memfd: a child neither re-reads a config file edited
 *    since nor repeats the start's checks.  A header names the layout,
 *    so a berth built with another struct conf refuses it.
 * Each child also gets a fresh address-space layout of its own (a forked
 * child would share the daemon's), as OpenSSH's sshd-session does.
 */
#ifndef BERTH_CORE_CHILDEXEC_H
#define BERTH_CORE_CHILDEXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "conf/conf.h"

#define CHILDEXEC_KEEP_MAX 4

struct childexec {
	int berth_fd;  /* the berth binary (O_PATH) */
	int conf_fd;   /* the sealed memfd holding the daemon's struct conf */
};

/* What a child keeps and how it starts. */
struct childexec_opts {
	int keep[CHILDEXEC_KEEP_MAX]; /* fds the child keeps (-1: none) */
	int nice;                     /* its nice value (0: the front's) */
	int die_with_parent;          /* SIGTERM when the front dies */
};

/* berth serve's side: the running binary and c, ready for the front.
 * 0, or -1 with err. */
int childexec_open(struct childexec *x, const struct conf *c, char *err,
    size_t errlen);

/* Read the daemon's struct conf from the memfd fd into c (the front and
 * every child).  0, or -1 with err. */
int childexec_conf(int fd, struct conf *c, char *err, size_t errlen);

/* Fork and exec `berth __child CONF_FD args...` (args NULL-terminated).
 * The child's pid, or -1 with errno (fork failed; a failed exec is the
 * child's exit status 127). */
pid_t childexec_spawn(const struct childexec *x,
    const struct childexec_opts *o, const char *const args[]);

#endif
