/*
 * cron_sched.c - one pass of the scheduler (see cron_sched.h): the jobs
 * due in the window, collected with one store handle, then one forked
 * runner per job, each with a handle of its own.
 */
#include "run/cron_sched.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/grow.h"
#include "core/log.h"
#include "core/store.h"
#include "run/app.h"
#include "run/cron_run.h"

struct due {
	struct app_rec app;
	struct cron_job job;
};

struct collect {
	const struct conf *conf;
	struct store *st;
	time_t from, to;
	struct app_rec *apps;
	size_t napps, cap;
	struct due *due;
	size_t ndue;
	int failed;
};

static int
list_app(void *arg, const struct app_rec *a)
{
	struct collect *k = arg;

	/* a preview is for review: its release phase and deploy hooks run,
	 * its branch's scheduled jobs do not (they would run beside the
	 * app's own, with the app's config) */
	if (a->current_release == 0 || a->parent_id != 0)
		return 0;
	if (grow(&k->apps, &k->cap, k->napps, sizeof(*k->apps), 16) == -1)
		return -1;
	k->apps[k->napps++] = *a;
	return 0;
}

/* The app's jobs due in the window. */
static void
due_of(struct collect *k, const struct app_rec *a)
{
	char err[256], tz[CRON_TZ_MAX];
	struct cron_job *jobs;
	size_t n;
	time_t next;
	int stopped;

	/* an app stopped with ps:stop runs no jobs until ps:start */
	if (app_stopped(k->st, a, &stopped) == -1) {
		log_warnx("cron: app '%s': %s", a->name, store_error(k->st));
		k->failed = 1;
		return;
	}
	if (stopped)
		return;
	if ((jobs = calloc(PROC_TYPES_MAX, sizeof(*jobs))) == NULL) {
		log_warnx("cron: out of memory");
		k->failed = 1;
		return;
	}
	if (cron_jobs_of(k->st, a, jobs, PROC_TYPES_MAX, &n, err,
	    sizeof(err)) == -1 || (n > 0 && cron_app_tz(k->conf, k->st, a, tz,
	    sizeof(tz), err, sizeof(err)) == -1)) {
		log_warnx("cron: app '%s': %s", a->name, err);
		k->failed = 1;
		free(jobs);
		return;
	}
	for (size_t i = 0; i < n && k->ndue < CRON_DUE_MAX; i++) {
		if (cron_next(&jobs[i].sched, k->from, tz, &next) == -1 ||
		    next > k->to)
			continue;
		k->due[k->ndue].app = *a;
		k->due[k->ndue++].job = jobs[i];
	}
	free(jobs);
}

static int
collect(struct collect *k)
{
	char db[PATH_MAX], err[512] = "data dir path too long";

	if (datadir_db(k->conf->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&k->st, db, err, sizeof(err)) == -1) {
		log_warnx("cron: %s", err);
		return -1;
	}
	if (store_app_each(k->st, list_app, k) == -1)
		log_warnx("cron: cannot list the apps: %s", store_error(k->st));
	for (size_t i = 0; i < k->napps; i++)
		due_of(k, &k->apps[i]);
	store_close(k->st);
	k->st = NULL;
	return 0;
}

/* In a runner: the job to its end, or its skip in its log. */
static int
runner(const struct conf *c, const struct due *d)
{
	char db[PATH_MAX], err[512] = "data dir path too long";
	struct cron_ran out;
	struct store *st;
	int rc;

	if (datadir_db(c->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&st, db, err, sizeof(err)) == -1) {
		log_warnx("cron: %s", err);
		return 1;
	}
	rc = cron_run_job(c, st, &d->app, &d->job, NULL, NULL, &out, err,
	    sizeof(err));
	if (rc == 1)
		cron_log(c, d->app.name, d->job.name, "[berth] skipped: the run"
		    " started at %lld (pid %d) is still going", out.since,
		    out.holder);
	else if (rc == -1)
		log_warnx("cron: %s %s: %s", d->app.name, d->job.name, err);
	else
		log_info("cron: %s %s: exit %d after %lld ms", d->app.name,
		    d->job.name, out.exit, out.ms);
	store_close(st);
	return rc == -1;
}

int
cron_pass(const struct conf *c, time_t from, time_t to)
{
	struct collect k = { .conf = c, .from = from, .to = to };
	int failed, status;
	pid_t pid;

	if ((k.due = calloc(CRON_DUE_MAX, sizeof(*k.due))) == NULL) {
		log_warnx("cron: out of memory");
		return 1;
	}
	if (collect(&k) == -1) {
		free(k.due);
		free(k.apps);
		return 1;
	}
	failed = k.failed;
	for (size_t i = 0; i < k.ndue; i++) {
		if ((pid = fork()) == -1) {
			log_warn("cron: cannot fork");
			failed = 1;
		} else if (pid == 0) {
			(void)prctl(PR_SET_NAME, "berth-cron", 0, 0, 0);
			/* the pass gone (berth serve stopped): so is the run */
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
			_exit(runner(c, &k.due[i]));
		}
	}
	while ((pid = wait(&status)) > 0 || (pid == -1 && errno == EINTR))
		if (pid > 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			failed = 1;
	free(k.due);
	free(k.apps);
	return failed;
}
