/*
 * hooks.c - an app's own deploy hooks, from app.json
 * (scripts.dokku.predeploy / postdeploy, run/appjson.h) or the Procfile
 * (`predeploy:`, Piku's `preflight:`, `postdeploy:`):
 *   describe    app.json's hooks and cron jobs join the process list
 *   predeploy   after the build and install, before the release phase
 *               and before any new process starts; a failure fails the
 *               deploy with its last line, and nothing goes live
 *   postdeploy  once the release is live; a failure is said to the
 *               pusher and recorded, and the release stays
 * Each runs as the release phase does (deploy/releasephase.c: a one-off
 * of the app, streamed, [build] timeout).  What each did (exit, time)
 * goes in the deploy's log and its row's hooks summary (`deploys`).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/path.h"
#include "deploy/deploy.h"
#include "run/appjson.h"
#include "run/procfile.h"

/* BUILD_DIR/app.json into a malloc'd *text; 1 read, 0 absent, -1 bad. */
static int
read_appjson(struct deploy *d, char **text, size_t *len)
{
	char path[PATH_MAX];
	struct stat sb;
	ssize_t n;
	int fd;

	*text = NULL;
	if (pathf(path, sizeof(path), "%s/app.json", d->build_dir) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > APPJSON_MAX || (*text = malloc(APPJSON_MAX + 1)) == NULL) {
		close(fd);
		return -1;
	}
	n = read(fd, *text, APPJSON_MAX + 1);
	close(fd);
	if (n < 0 || n > APPJSON_MAX) {
		free(*text);
		*text = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 1;
}

/* Does the release have a command of type `type`? */
static int
has(struct deploy *d, const char *type)
{
	char cmd[STORE_PROCS_MAX];

	return procfile_command_of(d->rel.process_types, type, cmd,
	    sizeof(cmd)) == 0;
}

int
hooks_describe(struct deploy *d)
{
	char err[ERR_MAX];
	size_t len = 0;
	char *text;
	int rc;

	if ((rc = read_appjson(d, &text, &len)) == -1)
		return deploy_fail(d, "cannot read app.json (a regular file of"
		    " at most %d bytes)", APPJSON_MAX);
	if (rc == 1) {
		rc = appjson_parse(text, len, d->rel.process_types,
		    sizeof(d->rel.process_types), err, sizeof(err));
		free(text);
		if (rc == -1)
			return deploy_fail(d, "%s", err);
	}
	if (has(d, "predeploy") && has(d, "preflight"))
		return deploy_fail(d, "both a predeploy and a preflight command:"
		    " keep one");
	return 0;
}

/* Say and record what hook `what` did. */
static void
record(struct deploy *d, const char *what, const struct phase_out *out,
    int ok)
{
	char text[128];

	if (out->ran)
		snprintf(text, sizeof(text), "%s exit %d in %.2f s", what,
		    out->exit, out->ms / 1000.0);
	else
		snprintf(text, sizeof(text), "%s could not run", what);
	if (ok)
		deploy_say(d, "-----> %s", text);
	if (store_deploy_hooks_add(d->st, d->deploy_id, text) == -1)
		log_warnx("cannot record the %s of deploy %lld: %s", what,
		    (long long)d->deploy_id, store_error(d->st));
}

int
hooks_predeploy(struct deploy *d)
{
	const char *type = has(d, "predeploy") ? "predeploy" : "preflight";
	struct phase_out out;
	int rc;

	if ((rc = phase_run(d, type, type, &out)) == 1)
		return 0;
	record(d, type, &out, rc == 0);
	return rc;
}

void
hooks_postdeploy(struct deploy *d)
{
	struct phase_out out;
	int rc;

	if ((rc = phase_run(d, "postdeploy", "postdeploy", &out)) == 1)
		return;
	record(d, "postdeploy", &out, rc == 0);
	if (rc == -1) {
		deploy_say(d, " !     v%d stays live: a failed postdeploy does"
		    " not undo the deploy", d->rel.version);
		d->reason[0] = '\0';
	}
}
