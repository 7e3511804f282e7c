/*
 * gitd_cmd_cron.c - `cron APP`: the scheduled jobs of the app's live
 * release, each with its schedule, next run (in the app's TZ, shown in
 * UTC), last run, last exit and whether a run is going now; and
 * `cron:run APP JOB`: one run now, as the scheduler would start it
 * (run/cron_run.h: claimed, so never beside another run of the job),
 * its output to the caller and to the app's logs, its exit status the
 * command's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "gitd/gitd_dispatch.h"
#include "run/cron_run.h"

/* t as "2026-12-03T05:40:00Z", "-" for 0. */
static void
utc_time(long long t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "-");
}

static int
alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static json_t *
job_row(struct gitd_ctx *g, const struct cron_job *j, const char *tz)
{
	char next[32], last[32], exitbuf[16];
	struct cron_rec r;
	time_t n;

	if (store_cron_get(g->st, g->app.id, j->name, &r) == -1)
		return NULL;
	if (cron_next(&j->sched, time(NULL), tz, &n) == -1)
		n = 0;
	utc_time(n, next, sizeof(next));
	utc_time(r.last_run, last, sizeof(last));
	if (r.last_exit < 0)
		snprintf(exitbuf, sizeof(exitbuf), "-");
	else
		snprintf(exitbuf, sizeof(exitbuf), "%d", r.last_exit);
	return json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:i}", "job",
	    j->name, "schedule", gitd_json_text(j->schedule), "command",
	    gitd_json_text(j->command), "tz", tz[0] ? tz : "server",
	    "next_run", next, "last_run", last, "last_exit", exitbuf,
	    "running_pid", alive(r.running_pid) ? r.running_pid : 0);
}

/* The jobs of the live release and the app's time zone; 0 or -1 (said). */
static int
load_jobs(struct gitd_ctx *g, struct cron_job **jobs, size_t *n, char *tz,
    size_t tzlen)
{
	char err[256];

	if ((*jobs = calloc(PROC_TYPES_MAX, sizeof(**jobs))) == NULL) {
		gitd_errorf(g, "berth: out of memory");
		return -1;
	}
	if (cron_jobs_of(g->st, &g->app, *jobs, PROC_TYPES_MAX, n, err,
	    sizeof(err)) == -1 || cron_app_tz(g->conf, g->st, &g->app, tz,
	    tzlen, err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: %s", err);
		free(*jobs);
		return -1;
	}
	return 0;
}

int
cmd_cron(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "job", "schedule", "next_run",
	    "last_run", "last_exit", "running_pid", "command", NULL };
	char tz[CRON_TZ_MAX];
	struct cron_job *jobs;
	json_t *row;
	size_t n;

	(void)argc, (void)argv;
	if (load_jobs(g, &jobs, &n, tz, sizeof(tz)) == -1)
		return 1;
	g->rows = json_array();
	for (size_t i = 0; i < n; i++) {
		if ((row = job_row(g, &jobs[i], tz)) == NULL) {
			gitd_errorf(g, "berth: %s", store_error(g->st));
			json_decref(g->rows);
			free(jobs);
			return 1;
		}
		json_array_append_new(g->rows, row);
	}
	free(jobs);
	return gitd_emit_list(g, g->rows, cols) == 0 ? 0 : 1;
}

static void
echo_line(void *ctx, const char *line)
{
	char clean[4200];

	snprintf(clean, sizeof(clean), "%s", line);
	clean[text_clean(clean, strlen(clean))] = '\0';
	gitd_printf(ctx, "%s\n", clean);
}

int
cmd_cron_run(struct gitd_ctx *g, int argc, char **argv)
{
	char tz[CRON_TZ_MAX], err[256], since[32];
	struct cron_job *jobs, *job = NULL;
	struct cron_ran out;
	size_t n;
	int rc;

	(void)argc;
	if (load_jobs(g, &jobs, &n, tz, sizeof(tz)) == -1)
		return 1;
	for (size_t i = 0; i < n && job == NULL; i++)
		if (strcmp(jobs[i].name, argv[2]) == 0)
			job = &jobs[i];
	if (job == NULL) {
		gitd_errorf(g, "berth: the live release of '%s' has no job"
		    " '%.40s' (see 'cron %s')", g->app.name, argv[2], g->app.name);
		free(jobs);
		return 1;
	}
	rc = cron_run_job(g->conf, g->st, &g->app, job, echo_line, g, &out, err,
	    sizeof(err));
	if (rc == 1) {
		utc_time(out.since, since, sizeof(since));
		gitd_errorf(g, "berth: '%s' is running already (pid %d, since"
		    " %s); not started", job->name, out.holder, since);
	} else if (rc == -1) {
		gitd_errorf(g, "berth: cannot run '%s': %s", job->name, err);
	}
	free(jobs);
	if (rc != 0)
		return 1;
	if (out.timed_out)
		gitd_errorf(g, "berth: '%s' stopped after [cron] timeout (%d s)",
		    argv[2], g->conf->cron_timeout);
	return out.exit;
}
