/*
 * releasephase.c - the release phase of a deploy: the Procfile's
 * (or bin/release's) `release` command, run once in the new release after
 * it is installed and before any of its processes starts, as a one-off of
 * the app (run/oneoff.h: the app's uid, config vars and release dir, and
 * nothing it started outlives it).  Its output streams to the pusher,
 * config values hidden; a non-zero exit or [build] timeout fails the
 * deploy with its last output line as the reason, and nothing goes live.
 */
#include <stdio.h>
#include <string.h>

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
release_phase(struct deploy *d)
{
	char cmd[2048], err[256], how[64], *argv[ONEOFF_ARGV_MAX + 1];
	struct phase ph = { d, "" };
	struct spawn_result res;
	struct oneoff o;

	if (procfile_command_of(d->rel.process_types, "release", cmd,
	    sizeof(cmd)) == -1)
		return 0; /* no release command */
	deploy_say(d, "-----> Running release command: %s (timeout %d s)", cmd,
	    d->conf->build_timeout);
	if (split(cmd, argv, ONEOFF_ARGV_MAX + 1) == -1)
		return deploy_fail(d, "the release command has more than %d"
		    " words", ONEOFF_ARGV_MAX);
	o = (struct oneoff){ .conf = d->conf, .st = d->st, .app = &d->app,
	    .version = d->rel.version, .argv = argv, .dyno = "release.1" };
	if (oneoff_run(&o, d->conf->build_timeout, phase_line, &ph, &res, err,
	    sizeof(err)) == -1)
		return deploy_fail(d, "cannot run the release command: %s", err);
	if (res.timed_out)
		return deploy_fail(d, "release command timed out after %d s"
		    " ([build] timeout)", d->conf->build_timeout);
	if (!res.exited || res.exit_code != 0) {
		spawn_describe(&res, how, sizeof(how));
		return deploy_fail(d, "release command failed (%s)%s%s", how,
		    ph.last[0] ? ": " : "", ph.last);
	}
	return 0;
}
