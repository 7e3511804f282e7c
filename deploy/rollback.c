/*
 * rollback.c - make an earlier release live again: the deploy's record,
 * run and activate stages (deploy/deploy.c) on a release that was built
 * before, brought back from its archive first if it was pruned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/clock.h"
#include "core/datadir.h"
#include "core/path.h"
#include "deploy/archive.h"
#include "deploy/deploy.h"
#include "deploy/receive.h"

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

	if (datadir_release(d->conf->data_dir, d->app.name, version, dir,
	    sizeof(dir)) == -1 ||
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
deploy_rollback(const struct conf *c, struct store *st, const char *app,
    const char *holder, int version, say_fn say,
    void *say_ctx, char *reason, size_t rlen)
{
	struct hook_push p = { .conf = c, .st = st, .app = app, .say = say,
	    .say_ctx = say_ctx };
	struct release_rec rel;
	struct deploy d;
	long long t0 = clock_ms();
	int lock, ok = 0;

	if ((lock = applock_take(c, app, holder, NULL, NULL, reason,
	    rlen)) == -1)
		return -1;
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
