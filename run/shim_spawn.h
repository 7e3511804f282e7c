/*
 * shim_spawn.h - how berth starts a berth-shim (run/berth_shim.h): the
 * command line and the app's environment are made here, in berth, from
 * the store; the shim itself never opens it.  Also the app's stable
 * upstream port, and the wait for a new web process to have joined it.
 */
#ifndef BERTH_RUN_SHIM_SPAWN_H
#define BERTH_RUN_SHIM_SPAWN_H

#include <limits.h>
#include <stddef.h>

#include "conf/conf.h"
#include "core/store.h"

#define SHIM_ARGS_MAX 64      /* words of the app's command */
#define SHIM_ARGV_MAX (SHIM_ARGS_MAX + 18)

struct shim_cmd {
	char path[PATH_MAX];              /* berth-shim beside berth */
	char words[16][PATH_MAX];         /* its own arguments */
	char command[2048];               /* the app's, split in place */
	char *argv[SHIM_ARGV_MAX + 1];
	int env_fd;                       /* memfd: NAME=VALUE\0 ... */
	char gens[40];                    /* BERTH_LOG_GENERATIONS=N */
};

/* Make the command line and environment of p's shim.  0 or -1 with err. */
int shim_prepare(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p, struct shim_cmd *sc, char *err, size_t errlen);
void shim_cmd_release(struct shim_cmd *sc);

/* In a forked child: exec the shim, the environment on descriptor 3 and
 * ready_fd (or none, -1) on 4; every other descriptor is closed at the
 * exec.  Returns only on failure. */
void shim_exec(const struct shim_cmd *sc, int ready_fd);

/* The app's stable upstream port, chosen (a free loopback port) and
 * recorded the first time, and chosen anew when another program listens
 * on it (the next render of the routes points the proxy there).  0 or -1
 * with err. */
int upstream_port(const struct conf *c, struct store *st,
    const struct app_rec *app, int *port, char *err, size_t errlen);

/* As root: make sure net.ipv4.tcp_migrate_req is 1, so a retiring
 * relay's accept queue moves to the new release's (a log line says so). */
void upstream_migrate_req(void);

/* Wait until the web process p has joined its upstream (its shim writes
 * "ready" on ready_fd), at most timeout_s.  0, or -1 with why. */
int shim_wait_ready(const struct conf *c, const char *app,
    const struct proc_rec *p, int ready_fd, const char *path, int timeout_s,
    char *why, size_t whylen);

/* retire.c: SIGTERM the shims of the web processes among p[0..n) and
 * wait (at most 2 s) until their relays have left the upstream. */
void shim_leave(const struct conf *c, const char *app,
    const struct proc_rec *p, size_t n);

#endif
