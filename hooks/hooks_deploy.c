/*
 * hooks_deploy.c - one deploy, its stages in order (design.md step 4):
 *   record     a deploys row (status running)
 *   prepare    paths, config vars, a build slot
 *   export     the pushed tree into releases/.build-ID
 *   detect     the buildpack
 *   compile    bin/compile, streamed, with the build timeout
 *   release    bin/release (each step as the build's uid; nothing any of
 *              them started outlives it)
 *   seal       the tree back to root and the app's group, checked after
 *   describe   process types from bin/release or the sealed Procfile
 *   close      the tree closed to other apps' uids
 *   install    releases/N and its row
 *   phase      the `release` command, if any (hooks_releasephase.c)
 *   run        start its processes, health-check them, route to them (or
 *              to its static files) and retire the old set (hooks_swap.c)
 *   activate   current -> releases/N (one rename)
 *   retain     archive releases beyond keep_releases
 *   finish     the deploys row: outcome, reason, duration, full log
 * Any stage that fails stops the deploy: nothing live has changed (route
 * changes what is served in one step the proxy validates first, and
 * activate only records it), the build dir is removed, and so are the
 * release dir and row of a release that never went live (a failed health
 * check): only the deploys row with its log is kept.
 * Also: rollback, which re-activates an earlier release.
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
#include "core/log.h"
#include "core/path.h"
#include "core/testpoint.h"
#include "core/text.h"
#include "hooks/hooks.h"
#include "hooks/hooks_archive.h"
#include "hooks/hooks_deploy.h"
#include "hooks/hooks_swap.h"

long long
deploy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
log_append(struct deploy *d, const char *line)
{
	size_t n = strlen(line);
	char *nl;

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
	char line[1024];
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

static int
deploy_init(struct deploy *d, const struct hook_push *p, const char *kind,
    const git_oid *commit)
{
	char err[256];

	memset(d, 0, sizeof(*d));
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
	if (vars_load(d->conf, d->st, &d->app, &d->vars, err, sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	return release_paths(d);
}

static void
deploy_finish(struct deploy *d, int ok, long long t0)
{
	long long ms = deploy_now_ms() - t0;

	release_cleanup(d); /* first: a full disk gets its space back */
	if (store_deploy_finish(d->st, d->deploy_id, ok ? "succeeded" : "failed",
	    ok ? d->rel.version : 0, ok ? "" : d->reason, ms,
	    d->log ? d->log : "") == -1)
		log_warnx("cannot record the end of deploy %lld: %s",
		    (long long)d->deploy_id, store_error(d->st));
	log_info("deploy %lld of '%s' at %.7s: %s%s%s (%lld ms)",
	    (long long)d->deploy_id, d->app.name, d->commit_hex,
	    ok ? "succeeded" : "failed", ok ? "" : ": ", ok ? "" : d->reason, ms);
	vars_free(&d->vars);
	free(d->release_out);
	free(d->log);
}

/* The pushed objects leave the quarantine before anything goes live, so a
 * live release is never one whose objects could still be lost. */
static int
store_objects(struct deploy *d)
{
	char err[256];

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
	t = deploy_now_ms();
	if (build_compile(d) == -1 || build_release(d) == -1 ||
	    release_seal(d) == -1 || build_describe(d) == -1 ||
	    release_check_static(d) == -1 || release_close(d) == -1)
		goto out;
	*build_ms = deploy_now_ms() - t;
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
	if (release_phase(d) == -1 || release_run(d, d->rel.version) == -1) {
		/* it never went live: only the deploy's row and log remain */
		release_uninstall(d);
		goto out;
	}
	if (release_activate(d, d->rel.version) == -1)
		goto out;
	testpoint(d->conf, "activated");
	release_retain(d);
	rc = 0;
out:
	slot_release(slot);
	return rc;
}

int
hooks_deploy(const struct hook_push *p, struct hook_update *u)
{
	struct deploy d;
	long long t0 = deploy_now_ms(), build_ms = 0;
	int ok;

	if (deploy_init(&d, p, "push", &u->new_id) == -1 && d.deploy_id == 0) {
		snprintf(u->reject, sizeof(u->reject), "%s", d.reason);
		return -1;
	}
	ok = d.reason[0] == '\0';
	if (ok) {
		deploy_say(&d, "-----> Deploying %s at %.7s", d.app.name,
		    d.commit_hex);
		ok = deploy_stages(&d, &build_ms) == 0;
	}
	if (ok)
		deploy_say(&d, "-----> Released v%d of %s in %.2f s (berth %.2f s,"
		    " buildpack %.2f s)", d.rel.version, d.app.name,
		    (deploy_now_ms() - t0) / 1000.0,
		    (deploy_now_ms() - t0 - build_ms) / 1000.0, build_ms / 1000.0);
	else
		snprintf(u->reject, sizeof(u->reject), "deploy failed: %.200s",
		    d.reason);
	deploy_finish(&d, ok, t0);
	return ok ? 0 : -1;
}

/* The release to go back to: the newest below the live one. */
struct pick {
	int below, found;
};

static int
pick_previous(void *arg, const struct release_rec *r)
{
	struct pick *pk = arg;

	if (r->version < pk->below) {
		pk->found = r->version;
		return 1;
	}
	return 0;
}

/* An archive keeps the group the release had when it was archived; after
 * a change of app_uid_base that is the old one: give the restored tree
 * the app's group now (its owner, root, stays). */
static int
regroup(const struct deploy *d, const char *tree)
{
	struct ident from = d->app_ident;
	struct stat sb;

	if (!d->app_ident.drop || stat(tree, &sb) == -1 ||
	    sb.st_gid == d->app_ident.gid)
		return 0;
	from.uid = (uid_t)-1; /* no owner changes: only the group */
	from.gid = sb.st_gid;
	return ident_move_tree(tree, &from, &d->app_ident);
}

/* Bring back releases/N from its archive if it was pruned. */
static int
restore_release(struct deploy *d, int version)
{
	char dir[PATH_MAX], tar[PATH_MAX], tmp[PATH_MAX], err[256];

	if (pathf(dir, sizeof(dir), "%s/releases/%d", d->app_dir, version) == -1 ||
	    pathf(tar, sizeof(tar), "%s/releases/%d.tar.gz", d->app_dir,
	    version) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s/releases/.restore-%d", d->app_dir,
	    version) == -1)
		return deploy_fail(d, "path too long");
	if (access(dir, F_OK) == 0)
		return 0;
	if (access(tar, R_OK) == -1)
		return deploy_fail(d, "release v%d is neither on disk nor archived",
		    version);
	(void)rmtree(tmp);
	snprintf(err, sizeof(err), "cannot unpack it");
	if (archive_unpack(tar, tmp, err, sizeof(err)) == 0) {
		if (regroup(d, tmp) == -1)
			snprintf(err, sizeof(err), "cannot give it group %lu: %s",
			    (unsigned long)d->app_ident.gid, strerror(errno));
		else if (rename(tmp, dir) == -1)
			snprintf(err, sizeof(err), "%s", strerror(errno));
		else
			err[0] = '\0';
	}
	if (err[0] != '\0') {
		(void)rmtree(tmp);
		return deploy_fail(d, "cannot restore v%d: %s", version, err);
	}
	deploy_say(d, "-----> Restored v%d from its archive", version);
	return 0;
}

int
hooks_rollback(const struct conf *c, struct store *st, const char *app,
    const char *holder, int version, void (*say)(void *, const char *),
    void *say_ctx, char *reason, size_t rlen)
{
	struct hook_push p = { .conf = c, .st = st, .app = app, .say = say,
	    .say_ctx = say_ctx };
	struct release_rec rel;
	struct deploy d;
	long long t0 = deploy_now_ms();
	char err[256];
	int lock, ok = 0;

	if ((lock = applock_take(c, app, holder, NULL, NULL, err,
	    sizeof(err))) == -1) {
		snprintf(reason, rlen, "%s", err);
		return -1;
	}
	if (deploy_init(&d, &p, "rollback", NULL) == -1 && d.deploy_id == 0) {
		snprintf(reason, rlen, "%s", d.reason);
		close(lock);
		return -1;
	}
	if (d.reason[0] == '\0') {
		struct pick pk = { d.app.current_release, 0 };
		if (version == 0 && store_release_each(st, d.app.id, pick_previous,
		    &pk) == 0)
			version = pk.found;
		if (version == 0)
			deploy_fail(&d, "there is no earlier release to go back to");
		else if (store_release_get(st, d.app.id, version, &rel) != 0)
			deploy_fail(&d, "app '%s' has no release v%d", app, version);
		else if (version == d.app.current_release)
			deploy_fail(&d, "v%d is already live", version);
		else if (restore_release(&d, version) == 0 &&
		    release_run(&d, version) == 0 &&
		    release_activate(&d, version) == 0) {
			d.rel = rel;
			snprintf(d.commit_hex, sizeof(d.commit_hex), "%s", rel.commit);
			deploy_say(&d, "-----> Rolled back %s to v%d (%.7s)", app,
			    version, rel.commit);
			ok = 1;
		}
	}
	snprintf(reason, rlen, "%s", d.reason);
	deploy_finish(&d, ok, t0);
	close(lock);
	return ok ? 0 : -1;
}

static int
count_one(void *arg, const struct proc_rec *p)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

/* Stopped: a release with processes to run, none of them running (ps:stop
 * removed them; a crashed one still counts as running). */
static int
app_stopped(struct store *st, const struct app_rec *a, int *stopped)
{
	struct release_rec rel;
	int n = 0;

	*stopped = 0;
	if (store_proc_each(st, a->id, "running", count_one, &n) == -1 ||
	    store_release_get(st, a->id, a->current_release, &rel) == -1)
		return -1;
	for (const char *l = rel.process_types; n == 0 && *l;
	    l = strchr(l, '\n') + 1)
		if (strncmp(l, "release:", 8) != 0)
			*stopped = 1;
	return 0;
}

int
hooks_restart(const struct conf *c, struct store *st, const char *app,
    const char *holder, const char *type, int flags,
    void (*say)(void *, const char *), void *say_ctx, char *why, size_t wlen)
{
	struct swap_scope scope = { type, (flags & RESTART_SCALE) != 0 };
	struct app_rec a;
	char err[256];
	int lock, rc = -1, stopped = 0;

	if ((lock = applock_take(c, app, holder, NULL, NULL, err,
	    sizeof(err))) == -1) {
		snprintf(why, wlen, "%s", err);
		return -1;
	}
	if (store_app_get(st, app, &a) != 0)
		snprintf(why, wlen, "app '%s' does not exist", app);
	else if (a.current_release == 0)
		snprintf(why, wlen, "app '%s' has not been deployed yet", app);
	else if ((flags & RESTART_IF_RUNNING) &&
	    app_stopped(st, &a, &stopped) == -1)
		snprintf(why, wlen, "%s", store_error(st));
	else if (stopped)
		rc = 1;
	else
		rc = swap_processes(c, st, &a, a.current_release, &scope, say,
		    say_ctx, why, wlen);
	close(lock);
	return rc;
}

int
hooks_stop(const struct conf *c, struct store *st, const char *app,
    const char *holder, char *why, size_t wlen)
{
	struct app_rec a;
	char err[256];
	int lock, rc = -1;

	if ((lock = applock_take(c, app, holder, NULL, NULL, err,
	    sizeof(err))) == -1) {
		snprintf(why, wlen, "%s", err);
		return -1;
	}
	if (store_app_get(st, app, &a) != 0)
		snprintf(why, wlen, "app '%s' does not exist", app);
	else
		rc = swap_stop_all(c, st, &a, why, wlen);
	close(lock);
	return rc;
}
