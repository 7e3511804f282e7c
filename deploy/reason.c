/*
 * reason.c - the reason a failed build step gives the pusher (on
 * `! [remote rejected]`) and `deploys`: the buildpack's own last error
 * line (Heroku's convention, ` !     message`), else the step's last
 * output line; the hint about [build] memory_limit and app_max_processes
 * only when a limit was hit: the step was killed by a signal, or its
 * output shows an allocation or a fork refused (RLIMIT_DATA,
 * RLIMIT_NPROC).
 */
#include <stdio.h>
#include <string.h>

#include "deploy/deploy.h"

/* What a program says when RLIMIT_DATA or RLIMIT_NPROC refused it. */
static const char *const limit_signs[] = {
	"out of memory", "cannot allocate memory", "memoryerror",
	"bad_alloc", "resource temporarily unavailable", "cannot fork",
	"fork: retry",
	NULL
};

static int
shows_limit(const char *line)
{
	for (const char *const *s = limit_signs; *s != NULL; s++)
		if (strcasestr(line, *s) != NULL)
			return 1;
	return 0;
}

void
reason_note_line(struct deploy *d, const char *line)
{
	const char *p = line + strspn(line, " \t");

	if (*p == '\0')
		return;
	if (shows_limit(line))
		d->limit_hit = 1;
	if (line[0] == ' ' && line[1] == '!') {
		p = line + 2 + strspn(line + 2, " \t");
		if (*p != '\0')
			snprintf(d->step_error, sizeof(d->step_error), "%.*s",
			    (int)sizeof(d->step_error) - 1, p);
		return;
	}
	snprintf(d->step_last, sizeof(d->step_last), "%.*s",
	    (int)sizeof(d->step_last) - 1, p);
}

int
reason_build_failed(struct deploy *d, const struct spawn_result *res)
{
	const char *cause = d->step_error[0] ? d->step_error : d->step_last;
	char how[64], hint[160] = "";

	spawn_describe(res, how, sizeof(how));
	if (!res->exited || d->limit_hit) {
		if (d->build_ident.drop)
			snprintf(hint, sizeof(hint), "; builds may use %llu MiB of"
			    " memory, [build] memory_limit, and %d processes,"
			    " [server] app_max_processes",
			    (unsigned long long)(d->conf->build_memory_limit >> 20),
			    d->conf->app_max_processes);
		else
			snprintf(hint, sizeof(hint), "; builds may use %llu MiB of"
			    " memory, [build] memory_limit",
			    (unsigned long long)(d->conf->build_memory_limit >> 20));
	}
	return deploy_fail(d, "build failed (%s)%s%s%s%s%s", how, cause[0] ?
	    ": " : "", cause, hint[0] ? " (" : "", hint[0] ? hint + 2 : "",
	    hint[0] ? ")" : "");
}
