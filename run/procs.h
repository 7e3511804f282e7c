/*
 * procs.h - running an app's processes (run/ internal, plus what
 * `berth serve`, the shim and the ps commands call).
 *
 * Each process instance is a row in `processes` and a supervisor, the shim
 * (`berth shim DATA_DIR PROC_ID UID NPROC`, run/shim.c), in its own session: it
 * outlives `berth serve`, restarts a crashed process with exponential
 * backoff, and gives up after SHIM_FAST_CRASHES fast crashes in a row
 * (state "crashed").  Its state lives in DATA/apps/APP/run/PROC_ID/ (files
 * state, pid, restarts, started), its output in DATA/apps/APP/logs/.
 */
#ifndef BERTH_HOOKS_PROCS_H
#define BERTH_HOOKS_PROCS_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "core/store.h"

#define SHIM_FAST_SECONDS 10   /* a run shorter than this is a fast crash */
#define SHIM_FAST_CRASHES 5    /* this many in a row: give up */
#define SHIM_BACKOFF_MAX 60    /* seconds between restarts, at most */
#define SHIM_STOP_TIMEOUT 10   /* SIGTERM, then SIGKILL after this */
#define LOG_ROTATE_BYTES (1024 * 1024) /* then .1 ... [server] log_generations */
#define REVIVE_MAX 5 /* revives in a row that never start the app: crashed */

struct proc_status {
	char state[16];   /* running | backoff | crashed | stopped | gone */
	int pid;          /* the app process, 0 if none */
	int restarts;
	long long started; /* epoch seconds of the current run */
};

/* What the shim of a process reports, read from its run dir. */
void proc_status(const char *data_dir, const char *app,
    const struct proc_rec *p, struct proc_status *out);

/* Start the shim of an existing row; records its pid.  0 or -1 with err. */
int proc_spawn(const struct conf *c, struct store *st, const char *app,
    struct proc_rec *p, char *err, size_t errlen);
/* The same; with ready, *ready is a pipe on which a web process's shim
 * says "ready" once it joined the app's upstream (run/shim_spawn.h). */
int proc_spawn_ready(const struct conf *c, struct store *st, const char *app,
    struct proc_rec *p, int *ready, char *err, size_t errlen);

/* SIGTERM the shim and wait until it is gone; keep row and run dir (a
 * later revive starts it again). */
void proc_halt(const struct conf *c, const char *app,
    const struct proc_rec *p);

/* SIGTERM the shim and wait until it is gone; remove row and run dir. */
void proc_stop(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p);

/* 1 when the shim of p is alive. */
int proc_alive(const struct proc_rec *p);

/* run/revive.c, under the app's lock: if p is routed (running) and its
 * shim is gone (a kill, a reboot), kill what is left of its app and start
 * a new shim on the same port.  A process that crashed for good stays
 * crashed until a deploy, ps:restart or ps:start.  1 restarted, 0 nothing
 * to do, -1 with err. */
int proc_revive(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p, char *err, size_t errlen);

/* On `berth serve` start, under the app's lock: revive the shims of
 * running processes that are gone (a reboot), stop and forget the ones a
 * cut-off swap left starting.  Draining ones are left to the router. */
void procs_recover(const struct conf *c, struct store *st,
    const struct app_rec *app);

/* The first line of a run dir's small file (pid, state, started ...), ""
 * when it is missing. */
void proc_file_read(const char *dir, const char *name, char *out, size_t len);
/* Such a file's number, 0 when it is missing or not a number in 0..max. */
long long proc_file_number(const char *dir, const char *name, long long max);

/* The run dir of a process. 0 or -1. */
int proc_run_dir(const char *data_dir, const char *app, int64_t id, char *out,
    size_t len);

#endif
