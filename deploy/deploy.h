/*
 * deploy.h - what the stages of one deploy share (deploy/ internal).
 * deploy/deploy.c runs the stages in order; each stage is a function in the
 * file named for it and returns 0, or -1 with d->reason set (the text the
 * pusher sees after "remote rejected").
 */
#ifndef BERTH_HOOKS_DEPLOY_H
#define BERTH_HOOKS_DEPLOY_H

#include <git2.h>
#include <limits.h>
#include <stdarg.h>

#include "conf/conf.h"
#include "core/ident.h"
#include "core/msg.h"
#include "core/spawn.h"
#include "core/store.h"
#include "core/vars.h"

#define DEPLOY_LOG_MAX (1024 * 1024)

struct deploy {
	const struct hook_push *push;
	const struct conf *conf;
	struct store *st;
	struct app_rec app;
	git_repository *repo;
	git_oid commit;
	char commit_hex[GIT_OID_HEXSZ + 1];
	say_fn say;
	void *say_ctx;

	int64_t deploy_id;
	struct vars vars;
	char app_dir[PATH_MAX];     /* DATA/apps/APP */
	char build_dir[PATH_MAX];   /* DATA/apps/APP/releases/.build-ID */
	char cache_dir[PATH_MAX];   /* DATA/apps/APP/cache */
	char env_dir[PATH_MAX];     /* DATA/apps/APP/.env-ID, bin/compile only */
	char home_dir[PATH_MAX];    /* DATA/apps/APP/cache/home, the build's HOME */
	struct ident app_ident;     /* who the app's processes run as */
	struct ident build_ident;   /* who the buildpack steps run as */
	char buildpack[64];
	char buildpack_dir[PATH_MAX];
	char *release_out;          /* bin/release's output, until described */
	size_t release_len;
	struct release_rec rel;
	char *log;                  /* everything said, for the deploys row */
	size_t log_len;
	char reason[1024];          /* whole: a proxy's message is long */
	long long t0;               /* clock_ms() at its start */
	/* what the running step said, for its failure's reason
	 * (deploy/reason.c) */
	char step_error[160];       /* its last " !     ..." line */
	char step_last[160];        /* its last non-blank line */
	int limit_hit;              /* it said a limit refused it */
	int live_fd;                /* DEPLOY_LIVE, -1 if none */
};

/* deploy/deploy_live.c: the running deploy's log as it is said, for the
 * dashboard's live view; opened by deploy_init, closed by deploy_finish. */
#define DEPLOY_LIVE "deploy.live"
void deploy_live_open(struct deploy *d);
void deploy_live_line(struct deploy *d, const char *line, size_t n);
void deploy_live_close(struct deploy *d);

/* deploy/deploy.c: a deploys row opened for kind ("push", "rollback")
 * with the app's paths and config vars; 0, or -1 with d->reason (and
 * d->deploy_id 0 when no row was written). */
int deploy_init(struct deploy *d, const struct hook_push *p, const char *kind,
    const git_oid *commit);
/* Close the deploys row with the outcome, the log and the time since t0
 * (clock_ms(), core/clock.h), and free what d holds. */
void deploy_finish(struct deploy *d, int ok, long long t0);

/* Say one line to the pusher and to the deploy log. */
void deploy_say(struct deploy *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set d->reason (and say it); returns -1 for `return deploy_fail(...)`. */
int deploy_fail(struct deploy *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* deploy/build.c: bin/detect, bin/compile, bin/release (before the seal),
 * then what they made (after it) */
int build_detect(struct deploy *d);
int build_compile(struct deploy *d);
int build_release(struct deploy *d);
int build_describe(struct deploy *d);

/* deploy/buildenv.c: a step's environment and ENV_DIR files */
#define BUILDENV_MAX 300
struct env {
	char *v[BUILDENV_MAX + 1];
	size_t n;
};
/* 1 when config var name is kept out of buildpack steps. */
int buildenv_kept_out(const char *name);
/* Say (one line) which of the app's config vars are kept out, if any. */
void buildenv_say_kept_out(struct deploy *d);
int buildenv_make(struct deploy *d, struct env *e);
void buildenv_free(struct env *e);
/* ENV_DIR's files (pointing into d->vars; free the array).  0 or -1. */
int buildenv_files(struct deploy *d, struct spawn_file **files, size_t *n);

/* deploy/release.c */
int release_paths(struct deploy *d);
int release_export(struct deploy *d);
/* Take the built tree back once nothing of the build's uid runs, and
 * check it after the fact (ident_check_tree). */
int release_seal(struct deploy *d);
/* Refuse a static root reached through a symlink, or with a symlink in it
 * that leads outside it (deploy/static.c). */
int release_check_static(struct deploy *d);
/* Close the built tree to other uids (all but its static root). */
int release_close(struct deploy *d);
int release_install(struct deploy *d);
/* Undo release_install for a release that never went live: its row goes,
 * its dir becomes the build dir again (release_cleanup removes it). */
void release_uninstall(struct deploy *d);
int release_run(struct deploy *d, int version);
int release_activate(struct deploy *d, int version);
void release_retain(struct deploy *d);
void release_cleanup(struct deploy *d);

/* deploy/reason.c: note a line of a step's output; fail the deploy with
 * the reason a failed bin/compile gives (returns -1). */
void reason_note_line(struct deploy *d, const char *line);
int reason_build_failed(struct deploy *d, const struct spawn_result *res);

/* deploy/releasephase.c: the `release` command, if any, in the installed
 * release before its processes start.  0 or -1 with the reason. */
int release_phase(struct deploy *d);
/* Run the release's command of process type `type` (what: its name for
 * the pusher) as a one-off, streamed: 1 when there is none, 0 when it
 * succeeded, -1 with the reason (its last line) when it could not run,
 * failed or timed out.  out: whether it ran, its exit, its duration. */
struct phase_out {
	int ran, exit;
	long long ms;
};
int phase_run(struct deploy *d, const char *type, const char *what,
    struct phase_out *out);

/* deploy/hooks.c: app.json read into the release's process list (after
 * the Procfile); the predeploy hook (Piku's preflight) before anything
 * of the release starts, failing the deploy; the postdeploy hook once it
 * is live, its failure said and recorded but the release kept. */
int hooks_describe(struct deploy *d);
int hooks_predeploy(struct deploy *d);
void hooks_postdeploy(struct deploy *d);

/* deploy/slot.c: one of build.concurrency build slots; -1 on error. */
int slot_acquire(struct deploy *d);
void slot_release(int fd);

#endif
