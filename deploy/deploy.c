/*
 * deploy.c - one deploy, its stages in order (README.md, "What a
 * push does"):
 *   record     a deploys row (status running)
 *   prepare    paths, config vars, a build slot
 *   export     the pushed tree into releases/.build-ID
 *   detect     the buildpack
 *   compile    bin/compile, streamed, with the build timeout
 *   release    bin/release (each step as the build's uid; nothing any of
 *              them started outlives it)
 *   seal       the tree back to root and the app's group, checked after
 *   describe   process types from bin/release or the sealed Procfile,
 *              then app.json's hooks and cron jobs (deploy/hooks.c)
 *   close      the tree closed to other apps' uids
 *   install    releases/N and its row
 *   predeploy  the app's predeploy hook, if any (deploy/hooks.c)
 *   phase      the `release` command, if any (deploy/releasephase.c)
 *   run        start its processes, health-check them, route to them (or
 *              to its static files) and retire the old set (run/swap.c)
 *   activate   current -> releases/N (one rename)
 *   postdeploy the app's postdeploy hook, if any (its failure is said,
 *              recorded, and undoes nothing)
 *   retain     archive releases beyond keep_releases
 *   finish     the deploys row: outcome, reason, duration, full log
 * Any stage that fails stops the deploy: nothing live has changed (route
 * changes what is served in one step the proxy validates first, and
 * activate only records it), the build dir is removed, and so are the
 * release dir and row of a release that never went live (a failed health
 * check): only the deploys row with its log is kept.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/path.h"
#include "core/testpoint.h"
#include "core/text.h"
#include "deploy/receive.h"
#include "deploy/archive.h"
#include "deploy/deploy.h"

static void
log_append(struct deploy *d, const char *line)
{
	size_t n = strlen(line);
	char *nl;

	deploy_live_line(d, line, n);
	if (d->log_len + n + 2 > DEPLOY_LOG_MAX)
		return;
	if ((nl = realloc(d->log, d->log_len + n + 2)) == NULL)
		return;
	d->log = nl;
	memcpy(d->log + d->log_len, line, n);
	d->log_len += n;
	d->log[d->log_len++] = '\n';
	d->log[d->log_len] = '\0';
}

void
deploy_say(struct deploy *d, const char *fmt, ...)
{
	char line[sizeof(d->reason) + 32]; /* a whole reason, with its prefix */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	line[text_clean(line, strlen(line))] = '\0'; /* buildpack output */
	log_append(d, line);
	if (d->say != NULL)
		d->say(d->say_ctx, line); /* a gone pusher does not stop us */
}

int
deploy_fail(struct deploy *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	d->reason[text_clean(d->reason, strlen(d->reason))] = '\0';
	deploy_say(d, " !     %s", d->reason);
	return -1;
}

int
deploy_init(struct deploy *d, const struct hook_push *p, const char *kind,
    const git_oid *commit)
{
	char err[ERR_MAX];

	memset(d, 0, sizeof(*d));
	d->live_fd = -1;
	d->t0 = clock_ms();
	if (commit != NULL) {
		d->commit = *commit;
		git_oid_tostr(d->commit_hex, sizeof(d->commit_hex), commit);
	}
	d->push = p;
	d->conf = p->conf;
	d->st = p->st;
	d->repo = p->repo;
	d->say = p->say;
	d->say_ctx = p->say_ctx;
	if (store_app_get(p->st, p->app, &d->app) != 0) {
		snprintf(d->reason, sizeof(d->reason), "app '%s' vanished", p->app);
		return -1;
	}
	if (store_deploy_start(d->st, d->app.id, kind, d->commit_hex,
	    &d->deploy_id) == -1) {
		snprintf(d->reason, sizeof(d->reason), "cannot record the deploy:"
		    " %s", store_error(d->st));
		return -1;
	}
	deploy_live_open(d);
	if (vars_load(d->conf, d->st, &d->app, &d->vars, err, sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	return release_paths(d);
}

void
deploy_finish(struct deploy *d, int ok, long long t0)
{
	long long ms = clock_ms() - t0;

	release_cleanup(d); /* first: a full disk gets its space back */
	if (store_deploy_finish(d->st, d->deploy_id, ok ? "succeeded" : "failed",
	    ok ? d->rel.version : 0, ok ? "" : d->reason, ms,
	    d->log ? d->log : "") == -1)
		log_warnx("cannot record the end of deploy %lld: %s",
		    (long long)d->deploy_id, store_error(d->st));
	log_info("deploy %lld of '%s' at %.7s: %s%s%s (%lld ms)",
	    (long long)d->deploy_id, d->app.name, d->commit_hex,
	    ok ? "succeeded" : "failed", ok ? "" : ": ", ok ? "" : d->reason, ms);
	deploy_live_close(d);
	vars_free(&d->vars);
	free(d->release_out);
	free(d->log);
}

/* The pushed objects leave the quarantine before anything goes live, so a
 * live release is never one whose objects could still be lost. */
static int
store_objects(struct deploy *d)
{
	char err[ERR_MAX];

	if (d->push == NULL || d->push->store_objects == NULL)
		return 0;
	if (d->push->store_objects(d->push->say_ctx, err, sizeof(err)) == -1)
		return deploy_fail(d, "cannot store the pushed objects: %s", err);
	return 0;
}

/* The stages; returns 0 when the new release is live. */
static int
deploy_stages(struct deploy *d, long long *build_ms)
{
	long long t;
	int slot, rc = -1;

	if ((slot = slot_acquire(d)) < 0)
		return -1;
	if (release_export(d) == -1 || build_detect(d) == -1)
		goto out;
	t = clock_ms();
	if (build_compile(d) == -1 || build_release(d) == -1 ||
	    release_seal(d) == -1 || build_describe(d) == -1 ||
	    hooks_describe(d) == -1 || release_check_static(d) == -1 ||
	    release_close(d) == -1)
		goto out;
	*build_ms = clock_ms() - t;
	d->rel.build_ms = *build_ms;
	deploy_say(d, "-----> Built in %.2f s; processes: %s%s", *build_ms / 1000.0,
	    d->rel.process_types[0] ? "" : "none",
	    d->rel.static_root[0] ? "(static site)" : "");
	for (char *p = d->rel.process_types; *p; p = strchr(p, '\n') + 1)
		deploy_say(d, "       %.*s", (int)strcspn(p, "\n"), p);
	slot_release(slot);
	slot = -1;
	if (store_objects(d) == -1 || release_install(d) == -1)
		goto out;
	if (hooks_predeploy(d) == -1 || release_phase(d) == -1 ||
	    release_run(d, d->rel.version) == -1) {
		/* it never went live: only the deploy's row and log remain */
		release_uninstall(d);
		goto out;
	}
	if (release_activate(d, d->rel.version) == -1)
		goto out;
	testpoint(d->conf, "activated");
	hooks_postdeploy(d);
	release_retain(d);
	rc = 0;
out:
	slot_release(slot);
	return rc;
}

int
deploy_update(const struct hook_push *p, struct hook_update *u)
{
	struct deploy d;
	long long t0 = clock_ms(), build_ms = 0;
	int ok;

	if (deploy_init(&d, p, p->kind ? p->kind : "push", &u->new_id) == -1 &&
	    d.deploy_id == 0) {
		/* the ng line is short; the whole reason went to the log */
		snprintf(u->reject, sizeof(u->reject), "%.*s",
		    (int)sizeof(u->reject) - 1, d.reason);
		return -1;
	}
	ok = d.reason[0] == '\0';
	if (ok) {
		deploy_say(&d, "-----> Deploying %s at %.7s%s%s%s", d.app.name,
		    d.commit_hex, p->note ? " (" : "", p->note ? p->note : "",
		    p->note ? ")" : "");
		ok = deploy_stages(&d, &build_ms) == 0;
	}
	if (ok)
		deploy_say(&d, "-----> Released v%d of %s in %.2f s (berth %.2f s,"
		    " buildpack %.2f s)", d.rel.version, d.app.name,
		    (clock_ms() - t0) / 1000.0,
		    (clock_ms() - t0 - build_ms) / 1000.0, build_ms / 1000.0);
	else
		snprintf(u->reject, sizeof(u->reject), "deploy failed: %.200s",
		    d.reason);
	deploy_finish(&d, ok, t0);
	return ok ? 0 : -1;
}
