/*
 * release.c - a release's life on disk (README.md, "Where data and
 * logs live"):
 *   apps/APP/releases/.build-ID   the tree being built (export, compile)
 *   apps/APP/releases/N           a built release (rename of the build dir)
 *   apps/APP/releases/N.tar.gz    an archived release beyond keep_releases
 *   apps/APP/current -> releases/N  swapped with rename(2) of a temp link
 * Only release_activate() changes what is live, and it does so in one
 * rename; everything before it can fail and be cleaned up without effect.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/datadir.h"
#include "core/live.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "core/path.h"
#include "deploy/archive.h"
#include "deploy/deploy.h"
#include "run/swap.h"

int
release_paths(struct deploy *d)
{
	char rel[PATH_MAX];

	if (datadir_app(d->conf->data_dir, d->app.name, d->app_dir,
	    sizeof(d->app_dir)) == -1 ||
	    pathf(rel, sizeof(rel), "%s/releases", d->app_dir) == -1 ||
	    pathf(d->cache_dir, sizeof(d->cache_dir), "%s/cache",
	    d->app_dir) == -1 ||
	    pathf(d->build_dir, sizeof(d->build_dir), "%s/.build-%lld", rel,
	    (long long)d->deploy_id) == -1 ||
	    pathf(d->home_dir, sizeof(d->home_dir), "%s/home", d->cache_dir) == -1 ||
	    pathf(d->env_dir, sizeof(d->env_dir), "%s/.env-%lld", d->app_dir,
	    (long long)d->deploy_id) == -1)
		return deploy_fail(d, "data dir path too long");
	ident_of_app(d->conf, d->app.id, &d->app_ident);
	ident_of_build(d->conf, d->app.id, &d->build_ident);
	/* the proxy's workers may run as another user and serve static
	 * files from releases/N: the path to them is traversable (0711) */
	if (mkdirs(rel, 0711) == -1 || chmod(d->app_dir, 0711) == -1 ||
	    chmod(rel, 0711) == -1 || mkdirs(d->home_dir, 0700) == -1)
		return deploy_fail(d, "cannot create '%s': %s", rel,
		    strerror(errno));
	return 0;
}

/* The cache (and the HOME in it) belongs to the build's uid.  One that
 * does not (the app's processes' uid had it before builds got their own)
 * is started afresh: the app's running processes may hold its files open
 * for writing, and a chown would not take that from them. */
static int
give_cache(struct deploy *d)
{
	char old[PATH_MAX];
	struct stat top, home;

	if (lstat(d->cache_dir, &top) == -1 || lstat(d->home_dir, &home) == -1)
		return -1;
	if (!d->build_ident.drop || (top.st_uid == d->build_ident.uid &&
	    home.st_uid == d->build_ident.uid))
		return 0;
	if ((top.st_uid != 0 && top.st_uid != d->build_ident.uid) ||
	    (home.st_uid != 0 && home.st_uid != d->build_ident.uid)) {
		if (pathf(old, sizeof(old), "%s/.cache-old-%lld", d->app_dir,
		    (long long)d->deploy_id) == -1 ||
		    rename(d->cache_dir, old) == -1)
			return -1;
		if (rmtree(old) == -1)
			log_warn("cannot remove %s", old);
		deploy_say(d, "-----> Started a new build cache (builds have a"
		    " uid of their own now)");
		if (mkdirs(d->home_dir, 0700) == -1)
			return -1;
	}
	return ident_give_tree(d->cache_dir, &d->build_ident);
}

int
release_export(struct deploy *d)
{
	char err[ERR_MAX];
	size_t files = 0;
	struct export_limits lim = { .max_file = d->conf->max_object_size,
	    .max_total = d->conf->build_max_export };

	/* as root, the app's alone from the start (release_close) */
	mode_t mode = d->build_ident.drop ? 0700 : 0755;

	if (mkdir(d->build_dir, mode) == -1 || chmod(d->build_dir, mode) == -1)
		return deploy_fail(d, "cannot create '%s': %s", d->build_dir,
		    strerror(errno));
	if (archive_export_commit(d->repo, &d->commit, d->build_dir, &lim,
	    &files, err, sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	if (ident_give_tree(d->build_dir, &d->build_ident) == -1 ||
	    give_cache(d) == -1)
		return deploy_fail(d, "cannot hand the build to uid %lu: %s",
		    (unsigned long)d->build_ident.uid, strerror(errno));
	/* from the deploy's start: its lock, records and slot included */
	deploy_say(d, "-----> Checked out %.7s (%zu files) in %.3f s",
	    d->commit_hex, files, (clock_ms() - d->t0) / 1000.0);
	return 0;
}

/*
 * The built tree goes back to root and the app's group: the app runs it
 * but cannot change it.  Each step already ended everything it started;
 * the build's uid is killed once more all the same, since a descriptor
 * opened for writing before the take would outlive it.  Then the tree is
 * checked as it is now, not as the take walk saw it.
 */
int
release_seal(struct deploy *d)
{
	char bad[PATH_MAX + 96];

	if (ident_kill_all(&d->build_ident) == -1)
		return deploy_fail(d, "cannot stop what the build left running as"
		    " uid %lu", (unsigned long)d->build_ident.uid);
	if (ident_take_tree(d->build_dir, &d->build_ident, &d->app_ident) == -1)
		return errno == ELOOP ? deploy_fail(d, "the build left directories"
		    " nested more than %d levels deep", IDENT_DEPTH_MAX) :
		    deploy_fail(d, "cannot take the build back from uid %lu: %s",
		    (unsigned long)d->build_ident.uid, strerror(errno));
	if (ident_check_tree(d->build_dir, &d->app_ident, bad, sizeof(bad)) == -1)
		return deploy_fail(d, "the built tree is not sealed: %s", bad[0] ?
		    bad : strerror(errno));
	return 0;
}

/* Only the app (and for a static site, the proxy) may read the release:
 * other apps' code runs as other uids on the same machine. */
int
release_close(struct deploy *d)
{
	/* release_check_static made sure the way to it has no symlinks */
	const char *sub = d->rel.static_root[0] ? d->rel.static_root : NULL;

	if (ident_close_tree(d->build_dir, sub, &d->app_ident) == -1)
		return deploy_fail(d, "cannot close the release to other users: %s",
		    strerror(errno));
	return 0;
}

int
release_install(struct deploy *d)
{
	char dir[PATH_MAX];

	if (store_release_next(d->st, d->app.id, &d->rel.version) == -1)
		return deploy_fail(d, "%s", store_error(d->st));
	if (datadir_release(d->conf->data_dir, d->app.name, d->rel.version, dir,
	    sizeof(dir)) == -1)
		return deploy_fail(d, "path too long");
	(void)rmtree(dir); /* a leftover of a crash before the row was written */
	if (rename(d->build_dir, dir) == -1)
		return deploy_fail(d, "cannot move the build into '%s': %s", dir,
		    strerror(errno));
	d->rel.app_id = d->app.id;
	snprintf(d->rel.commit, sizeof(d->rel.commit), "%s", d->commit_hex);
	snprintf(d->rel.buildpack, sizeof(d->rel.buildpack), "%s", d->buildpack);
	if (store_release_add(d->st, &d->rel) == -1) {
		(void)rename(dir, d->build_dir);
		return deploy_fail(d, "cannot record the release: %s",
		    store_error(d->st));
	}
	return 0;
}

void
release_uninstall(struct deploy *d)
{
	char dir[PATH_MAX];

	if (store_release_delete(d->st, d->app.id, d->rel.version) == -1)
		log_warnx("cannot forget release v%d of '%s': %s", d->rel.version,
		    d->app.name, store_error(d->st));
	if (datadir_release(d->conf->data_dir, d->app.name, d->rel.version, dir,
	    sizeof(dir)) == 0 && rename(dir, d->build_dir) == -1 &&
	    rmtree(dir) == -1)
		log_warn("cannot remove %s", dir);
}

static void
say_line(void *ctx, const char *line)
{
	deploy_say(ctx, "%s", line);
}

int
release_run(struct deploy *d, int version)
{
	char why[ERR_MAX];
	long long t0 = clock_ms();

	if (swap_release(d->conf, d->st, &d->app, version, say_line, d, why,
	    sizeof(why)) == -1)
		return deploy_fail(d, "%s", why);
	deploy_say(d, "       live in %.2f s", (clock_ms() - t0) / 1000.0);
	return 0;
}

int
release_activate(struct deploy *d, int version)
{
	char tag[32], was[64], err[ERR_MAX];

	snprintf(tag, sizeof(tag), "%lld", (long long)d->deploy_id);
	if (live_link(d->conf->data_dir, d->app.name, version, tag, was,
	    sizeof(was), err, sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	if (live_record(d->st, d->app.id, version, err, sizeof(err)) == -1)
		log_warnx("app '%s' is live at v%d but the db says otherwise: %s",
		    d->app.name, version, err);
	d->app.current_release = version;
	return 0;
}

static int
int_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

struct in_use {
	int v[256];
	size_t n;
};

static int
note_release(void *arg, const struct proc_rec *p)
{
	struct in_use *u = arg;

	if (u->n < sizeof(u->v) / sizeof(u->v[0]))
		u->v[u->n++] = p->release;
	return 0;
}

static int
used(const struct in_use *u, int version)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i] == version)
			return 1;
	return 0;
}

/* Archive and remove release dirs beyond keep_releases: never the live one,
 * nor one that processes still run from (a draining set in its grace). */
void
release_retain(struct deploy *d)
{
	char rel[PATH_MAX], dir[PATH_MAX], tar[PATH_MAX], tmp[PATH_MAX];
	char err[ERR_MAX] = "rename failed";
	struct in_use busy = { .n = 0 };
	int versions[4096];
	size_t n = 0;
	struct dirent *de;
	DIR *dp;

	if (pathf(rel, sizeof(rel), "%s/releases", d->app_dir) == -1 ||
	    (dp = opendir(rel)) == NULL)
		return;
	while (n < sizeof(versions) / sizeof(versions[0]) &&
	    (de = readdir(dp)) != NULL) {
		long long v;
		if (de->d_name[0] != '0' &&
		    num_parse(de->d_name, 1, INT32_MAX, &v) == 0)
			versions[n++] = (int)v;
	}
	closedir(dp);
	qsort(versions, n, sizeof(versions[0]), int_desc);
	if (store_proc_each(d->st, d->app.id, NULL, note_release, &busy) == -1) {
		log_warnx("not archiving old releases of '%s': %s", d->app.name,
		    store_error(d->st));
		return;
	}
	for (size_t i = (size_t)d->conf->keep_releases; i < n; i++) {
		if (versions[i] == d->app.current_release || used(&busy, versions[i]))
			continue;
		if (pathf(dir, sizeof(dir), "%s/%d", rel, versions[i]) == -1 ||
		    pathf(tar, sizeof(tar), "%s/%d.tar.gz", rel, versions[i]) == -1 ||
		    pathf(tmp, sizeof(tmp), "%s/.%d.tar.gz.tmp", rel,
		    versions[i]) == -1)
			continue;
		if (access(tar, F_OK) == -1 &&
		    (archive_pack_dir(dir, tmp, err, sizeof(err)) == -1 ||
		    rename(tmp, tar) == -1)) {
			log_warnx("cannot archive release %s: %s", dir, err);
			continue;
		}
		if (rmtree(dir) == -1)
			log_warn("cannot remove %s", dir);
		else
			deploy_say(d, "       archived v%d", versions[i]);
	}
}

void
release_cleanup(struct deploy *d)
{
	if (d->build_dir[0] && access(d->build_dir, F_OK) == 0 &&
	    rmtree(d->build_dir) == -1)
		log_warn("cannot remove %s", d->build_dir);
	if (d->env_dir[0] && access(d->env_dir, F_OK) == 0 &&
	    rmtree(d->env_dir) == -1)
		log_warn("cannot remove %s", d->env_dir);
}
