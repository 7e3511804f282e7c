/*
 * berth_shim.h - berth-shim, the supervisor of one process instance: a
 * small binary that links only libc (no sqlite, no libgit2), started by
 * berth (run/shim_spawn.c) in its own session, so it outlives `berth
 * serve`.  Its command line says everything it needs:
 *
 *   berth-shim shim DATA_DIR ID APP TYPE IDX RELEASE UID NPROC PORT
 *       UPSTREAM INSTANCES GRACE_MS HEALTH READY_FD -- COMMAND [ARG...]
 *
 * (the first four words are what run/procs.c checks in /proc before it
 * believes a pid is this shim).  PORT 0: no relay (a worker); else the app
 * listens on PORT and the relay (run/relay.h) joins 127.0.0.1:UPSTREAM.
 * READY_FD ("-": none) gets "ready\n" once the process is up: joined, or
 * for a worker, started.  The app's environment comes on descriptor 3
 * (NUL-separated NAME=VALUE, read to its end at start): never through the
 * shim's own environment (a config var such as LD_PRELOAD must not reach
 * a process that runs as root) and never in a file (config vars hold
 * secrets).
 *
 * State files in DATA/apps/APP/run/ID/ (state, pid, restarts, started,
 * shim.pid, health), output in DATA/apps/APP/logs/TYPE.IDX.log, as
 * run/procs.h describes.
 */
#ifndef BERTH_RUN_BERTH_SHIM_H
#define BERTH_RUN_BERTH_SHIM_H

#include <stddef.h>
#include <sys/types.h>

#define BSHIM_FAST_SECONDS 10   /* a run shorter than this is a fast crash */
#define BSHIM_FAST_CRASHES 5    /* this many in a row: give up */
#define BSHIM_BACKOFF_MAX 60    /* seconds between restarts, at most */
#define BSHIM_STOP_TIMEOUT 10   /* SIGTERM, then SIGKILL after this */
#define BSHIM_LOG_ROTATE (1024 * 1024) /* then .1 ... .generations */
#define BSHIM_ENV_MAX 300
#define BSHIM_ENV_BYTES (1024 * 1024)

struct bshim_log {
	int run_fd;    /* DATA/apps/APP/run/ID */
	int logs_fd;   /* DATA/apps/APP/logs */
	int log_fd;
	char name[96]; /* TYPE.IDX.log */
	char prefix[80]; /* "TYPE.IDX" */
	int generations; /* rotated logs kept: BERTH_LOG_GENERATIONS */
};

/* berth_shim_log.c: open the run dir and the log (0 or -1 with errno). */
int bshim_log_open(struct bshim_log *l, const char *data_dir,
    const char *app, const char *id, const char *type, const char *idx);
/* Replace run dir file name with text, atomically. */
void bshim_put(const struct bshim_log *l, const char *name, const char *text);
void bshim_putf(const struct bshim_log *l, const char *name, long long v);
/* One time-stamped line in the log, rotated by size. */
void bshim_line(struct bshim_log *l, const char *line);

#endif
