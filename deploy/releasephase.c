/*
 * releasephase.c - the release phase of a deploy: the Procfile's
 * (or bin/release's) `release` command, run once in the new release after
 * it is installed and before any of its processes starts, as a one-off of
 * the app (run/oneoff.h: the app's uid, config vars and release dir, and
 * nothing it started outlives it).  Its output streams to the pusher,
 * config values hidden; a non-zero exit or [build] timeout fails the
 * deploy with its last output line as the reason, and nothing goes live.
 * The deploy hooks (deploy/hooks.c) run the same way (phase_run).
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "deploy/deploy.h"
#include "run/procfile.h"
#include "run/oneoff.h"

struct phase {
	struct deploy *d;
	char last[256];   /* its last non-empty output line, redacted */
};

static void
phase_line(void *ctx, const char *line)
{
	struct phase *ph = ctx;
	char clean[SPAWN_LINE_MAX * 2];

	vars_redact(&ph->d->vars, line, clean, sizeof(clean));
	deploy_say(ph->d, "       %s", clean);
	if (clean[strspn(clean, " \t")] != '\0')
		snprintf(ph->last, sizeof(ph->last), "%.200s", clean);
}

/* Split cmd (a checked Procfile command: no shell syntax) on blanks. */
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

int
phase_run(struct deploy *d, const char *type, const char *what,
    struct phase_out *out)
{
	char cmd[2048], err[256], how[64], *argv[ONEOFF_ARGV_MAX + 1];
	struct phase ph = { d, "" };
	struct spawn_result res;
	struct oneoff o;
	char dyno[PROC_NAME_MAX + 3];
	long long t0;

	memset(out, 0, sizeof(*out));
	if (procfile_command_of(d->rel.process_types, type, cmd,
	    sizeof(cmd)) == -1)
		return 1; /* none */
	deploy_say(d, "-----> Running %s: %s (timeout %d s)", what, cmd,
	    d->conf->build_timeout);
	if (split(cmd, argv, ONEOFF_ARGV_MAX + 1) == -1)
		return deploy_fail(d, "the %s has more than %d words", what,
		    ONEOFF_ARGV_MAX);
	snprintf(dyno, sizeof(dyno), "%s.1", type);
	o = (struct oneoff){ .conf = d->conf, .st = d->st, .app = &d->app,
	    .version = d->rel.version, .argv = argv, .dyno = dyno };
	t0 = clock_ms();
	if (oneoff_run(&o, d->conf->build_timeout, phase_line, &ph, &res, err,
	    sizeof(err)) == -1)
		return deploy_fail(d, "cannot run the %s: %s", what, err);
	out->ran = 1;
	out->ms = clock_ms() - t0;
	out->exit = res.exited ? res.exit_code : 128 + res.signal;
	if (res.timed_out)
		return deploy_fail(d, "%s timed out after %d s ([build] timeout)",
		    what, d->conf->build_timeout);
	if (!res.exited || res.exit_code != 0) {
		spawn_describe(&res, how, sizeof(how));
		return deploy_fail(d, "%s failed (%s)%s%s", what, how,
		    ph.last[0] ? ": " : "", ph.last);
	}
	return 0;
}

int
release_phase(struct deploy *d)
{
	struct phase_out out;

	return phase_run(d, "release", "release command", &out) == -1 ? -1 : 0;
}
