/*
 * oneoff.h - a one-off process of an app: a command run once in one of
 * its releases, as the app's processes run (the app's uid, its config
 * vars, its release dir as cwd and HOME, no descriptor of berth's), but
 * not supervised and not restarted.  Used by the release phase of a
 * deploy (deploy/releasephase.c: to completion, output by line, with
 * a timeout) and by `run APP CMD` over SSH (gitd/gitd_cmd_run.c: attached
 * to the caller's streams, or to a pseudo-terminal); later by scheduled
 * jobs and deploy hooks.
 *
 * The command is an argv, passed to execvpe as given: never through a
 * shell of berth's (the app's PATH finds argv[0]).  While an attached
 * one-off runs it is listed in DATA/apps/APP/oneoff/PID, so `ps` shows
 * it as run.PID.
 */
#ifndef BERTH_ONEOFF_H
#define BERTH_ONEOFF_H

#include <limits.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <time.h>

#include "conf/conf.h"
#include "core/spawn.h"
#include "core/store.h"

#define ONEOFF_ARGV_MAX 64
#define ONEOFF_ENV_MAX 300

struct oneoff {
	const struct conf *conf;
	struct store *st;
	const struct app_rec *app;
	int version;              /* the release to run in */
	char *const *argv;        /* argv[0]: a path, or looked up in PATH */
	const char *dyno;         /* DYNO in its environment: "release", "run.1" */
};

/* Run to the end, each output line (stdout and stderr) to on_line, with
 * stdin from /dev/null and a timeout (0: none).  When it ends, nothing it
 * started runs on (the app's live processes, of the same uid, do).  0 when
 * it ran (see res), -1 with err when it could not be started. */
int oneoff_run(const struct oneoff *o, int timeout_s,
    void (*on_line)(void *ctx, const char *line), void *ctx,
    struct spawn_result *res, char *err, size_t errlen);

/* An attached one-off: its pid (the leader of a session of its own) and
 * the caller's ends of its streams.  With a pty, in and out are both the
 * terminal's master and err is -1. */
struct oneoff_proc {
	pid_t pid;
	int in, out, err;
	char listed[PATH_MAX];    /* its entry in the oneoff dir, "" if none */
};

/* Start it attached (with a pseudo-terminal of size ws when ws is not
 * NULL; term is its TERM, NULL: none), and list it for `ps`.  0, or -1
 * with err. */
int oneoff_start(const struct oneoff *o, const struct winsize *ws,
    const char *term, struct oneoff_proc *p, char *err, size_t errlen);

/* Wait for it (it ends, or stop: SIGHUP then SIGKILL to its process group
 * after a grace period), close the caller's ends, unlist it.  Returns the
 * exit status to report: its own, or 128 + the signal that ended it. */
int oneoff_finish(struct oneoff_proc *p, int stop);

/* One listed one-off of an app (for `ps`). */
struct oneoff_info {
	pid_t pid;
	int version;
	time_t started;
	char command[256];
};

/* Call fn for each listed one-off of app that still runs (entries of
 * those that do not are removed).  0 or -1. */
int oneoff_each(const struct conf *c, const char *app,
    int (*fn)(void *arg, const struct oneoff_info *info), void *arg);

#endif
