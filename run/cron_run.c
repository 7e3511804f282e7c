/*
 * cron_run.c - an app's scheduled jobs and one run of a job (see
 * cron_run.h): the jobs from the live release's stored process list, the
 * app's time zone, the claim in the store, the one-off and its log.
 */
#include "run/cron_run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/vars.h"
#include "run/cron_log.h"
#include "run/oneoff.h"

/* One job from a checked "NAME: SCHEDULE COMMAND" line's parts. */
static int
job_make(struct cron_job *j, const char *name, const char *cmd)
{
	const char *rest;
	char err[200];
	size_t slen;

	if (cron_parse(cmd, &j->sched, &rest, err, sizeof(err)) == -1 ||
	    *rest == '\0' || strlen(rest) >= sizeof(j->command))
		return -1;
	slen = (size_t)(rest - cmd);
	while (slen > 0 && (cmd[slen - 1] == ' ' || cmd[slen - 1] == '\t'))
		slen--;
	if (slen >= sizeof(j->schedule))
		return -1;
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->schedule, sizeof(j->schedule), "%.*s", (int)slen, cmd);
	snprintf(j->command, sizeof(j->command), "%s", rest);
	return 0;
}

int
cron_jobs_of(struct store *st, const struct app_rec *app,
    struct cron_job *jobs, size_t max, size_t *n, char *err, size_t errlen)
{
	struct release_rec *rel;
	char name[PROC_NAME_MAX + 1], cmd[CRON_CMD_MAX + 128];
	int rc = 0;

	*n = 0;
	if (app->current_release == 0)
		return 0;
	if ((rel = malloc(sizeof(*rel))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (store_release_get(st, app->id, app->current_release, rel) != 0) {
		snprintf(err, errlen, "cannot read release v%d: %s",
		    app->current_release, store_error(st));
		free(rel);
		return -1;
	}
	if (procfile_check(rel->process_types, err, errlen) == -1)
		rc = -1;
	for (const char *l = rel->process_types; rc == 0 && *l;
	    l = strchr(l, '\n') + 1) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(l, ":"), l);
		if (!procfile_is_cron(name) || *n == max)
			continue;
		if (procfile_command_of(rel->process_types, name, cmd,
		    sizeof(cmd)) == -1 || job_make(&jobs[*n], name, cmd) == -1) {
			snprintf(err, errlen, "release v%d: bad job '%s'",
			    app->current_release, name);
			rc = -1;
		} else {
			(*n)++;
		}
	}
	free(rel);
	return rc;
}

int
cron_app_tz(const struct conf *c, struct store *st, const struct app_rec *app,
    char *tz, size_t len, char *err, size_t errlen)
{
	struct vars vs;
	const char *v;
	char why[128];
	int rc = 0;

	tz[0] = '\0';
	if (vars_load(c, st, app, &vs, err, errlen) == -1)
		return -1;
	if ((v = vars_get(&vs, "TZ")) != NULL) {
		if (v[0] == ':')
			v++; /* TZ=:Europe/Paris, as glibc allows */
		if (cron_tz_valid(v, why, sizeof(why)) == -1 || strlen(v) >= len) {
			snprintf(err, errlen, "config var TZ: %s", why);
			rc = -1;
		} else {
			snprintf(tz, len, "%s", v);
		}
	}
	vars_free(&vs);
	return rc;
}

/* Claim the job for this process, taking over a claim whose holder is
 * gone; 1 claimed, 0 busy (out), -1. */
static int
claim(struct store *st, const struct app_rec *app, const char *name,
    struct cron_ran *out)
{
	struct cron_rec r;
	int claimed, holder;

	if (store_cron_claim(st, app->id, name, (int)getpid(), 0, time(NULL),
	    &claimed, &holder) == -1)
		return -1;
	if (!claimed && holder > 0 && kill(holder, 0) == -1 && errno == ESRCH &&
	    store_cron_claim(st, app->id, name, (int)getpid(), holder,
	    time(NULL), &claimed, &holder) == -1)
		return -1;
	if (claimed)
		return 1;
	out->holder = holder;
	if (store_cron_get(st, app->id, name, &r) == 0)
		out->since = r.last_run;
	return 0;
}

struct lines {
	int fd;
	const char *name;
	void (*echo)(void *ctx, const char *line);
	void *ctx;
};

static void
on_line(void *arg, const char *line)
{
	struct lines *l = arg;

	cron_log_put(l->fd, l->name, line);
	if (l->echo != NULL)
		l->echo(l->ctx, line);
}

/* The job's command as an argv (a checked command: no shell syntax). */
static int
split(char *cmd, char **argv, size_t max)
{
	size_t argc = 0;

	for (char *tok = strtok(cmd, " \t"); tok != NULL;
	    tok = strtok(NULL, " \t")) {
		if (argc + 1 == max)
			return -1;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return argc == 0 ? -1 : 0;
}

/* The run itself, claimed: the one-off, its log, its outcome. */
static int
run_claimed(const struct conf *c, struct store *st, const struct app_rec *app,
    const struct cron_job *job, struct lines *l, struct cron_ran *out,
    char *err, size_t errlen)
{
	char cmd[CRON_CMD_MAX], *argv[ONEOFF_ARGV_MAX + 1], dyno[48], how[64];
	char line[160];
	struct spawn_result res;
	struct oneoff o;
	long long t0 = clock_ms();
	int rc;

	snprintf(cmd, sizeof(cmd), "%s", job->command);
	snprintf(dyno, sizeof(dyno), "%s.1", job->name);
	cron_log_put(l->fd, job->name, "[berth] run started");
	if (split(cmd, argv, ONEOFF_ARGV_MAX + 1) == -1) {
		snprintf(err, errlen, "the command has more than %d words",
		    ONEOFF_ARGV_MAX);
		rc = -1;
	} else {
		o = (struct oneoff){ .conf = c, .st = st, .app = app,
		    .version = app->current_release, .argv = argv,
		    .dyno = dyno };
		rc = oneoff_run(&o, c->cron_timeout, on_line, l, &res, err,
		    errlen);
	}
	out->ms = clock_ms() - t0;
	if (rc == -1) {
		out->exit = 127;
		snprintf(line, sizeof(line), "[berth] cannot run: %.120s", err);
		cron_log_put(l->fd, job->name, line);
	} else {
		out->exit = res.exited ? res.exit_code : 128 + res.signal;
		out->timed_out = res.timed_out;
		spawn_describe(&res, how, sizeof(how));
		snprintf(line, sizeof(line), "[berth] %s after %.2f s%s", how,
		    out->ms / 1000.0, out->timed_out ? " (stopped: it ran past"
		    " [cron] timeout)" : "");
		cron_log_put(l->fd, job->name, line);
	}
	if (store_cron_done(st, app->id, job->name, (int)getpid(), out->exit,
	    out->ms) == -1 && rc == 0) {
		snprintf(err, errlen, "%s", store_error(st));
		rc = -1;
	}
	return rc;
}

int
cron_run_job(const struct conf *c, struct store *st, const struct app_rec *app,
    const struct cron_job *job, void (*echo)(void *ctx, const char *line),
    void *ctx, struct cron_ran *out, char *err, size_t errlen)
{
	struct lines l = { -1, job->name, echo, ctx };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!procfile_name_valid(job->name)) {
		snprintf(err, errlen, "bad job name");
		return -1;
	}
	if ((rc = claim(st, app, job->name, out)) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	if (rc == 0)
		return 1;
	l.fd = cron_log_open(c, app->name, job->name);
	rc = run_claimed(c, st, app, job, &l, out, err, errlen);
	if (l.fd >= 0)
		close(l.fd);
	return rc;
}
