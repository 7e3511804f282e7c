/*
 * cron_run.h - an app's scheduled jobs: the Procfile's `cron*` lines and
 * app.json's cron list (stored in the release's process list as
 * "NAME: SCHEDULE COMMAND", run/procfile.h), and one run of a job: a
 * one-off process of the live release (run/oneoff.h: the app's uid,
 * config vars and release dir), to its end or the [cron] timeout, its
 * output in the app's logs as DATA/apps/APP/logs/NAME.log (`logs APP`
 * merges it with the processes' logs, each line naming the job).
 *
 * One job never runs twice at once: a run first claims the job in the
 * store (core/store.h, store_cron_claim) with its own pid; a claim held
 * by a process that is gone is taken over.  Used by the scheduler of
 * berth serve (run/cron_sched.h) and by `cron:run APP NAME`.
 */
#ifndef BERTH_CRON_RUN_H
#define BERTH_CRON_RUN_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/cron.h"
#include "core/store.h"
#include "run/procfile.h"

#define CRON_CMD_MAX 2048

struct cron_job {
	char name[PROC_NAME_MAX + 1];
	char schedule[128];          /* as written */
	char command[CRON_CMD_MAX];  /* what follows it */
	struct cron sched;
};

/* The jobs of the app's live release (none when nothing is deployed),
 * checked again as the store gives them back.  0 or -1 with err. */
int cron_jobs_of(struct store *st, const struct app_rec *app,
    struct cron_job *jobs, size_t max, size_t *n, char *err, size_t errlen);

/* The app's time zone: its TZ config var, checked (core/cron.h), or ""
 * (the server's).  0 or -1 with err. */
int cron_app_tz(const struct conf *c, struct store *st,
    const struct app_rec *app, char *tz, size_t len, char *err,
    size_t errlen);

struct cron_ran {
	int exit;          /* the job's status (128 + N: signal N) */
	long long ms;
	int timed_out;
	int holder;        /* busy: the pid running it */
	long long since;   /* busy: when that run started (unix time) */
};

/* Run job of app now in its live release, to its end: 0 when it ran
 * (out), 1 when another run holds it (out->holder, out->since), -1 with
 * err.  Each output line goes to the job's log, and to echo when not
 * NULL (`cron:run`). */
int cron_run_job(const struct conf *c, struct store *st,
    const struct app_rec *app, const struct cron_job *job,
    void (*echo)(void *ctx, const char *line), void *ctx,
    struct cron_ran *out, char *err, size_t errlen);

/* One line in the job's log, from berth ("[berth] ..."). */
void cron_log(const struct conf *c, const char *app, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
