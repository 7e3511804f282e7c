/*
 * recover.c - what `berth serve` repairs when it starts, after a crash
 * or a kill -9: quarantined packs, half-built releases, temp files and links,
 * deploys left "running", processes a cut-off swap left starting, shims
 * that are gone (a reboot), a `current` link that disagrees with the
 * release the db routes to.  A push that is still alive (its connection
 * process outlives a killed daemon on purpose) holds its app's lock, so an
 * app is only repaired when its lock can be taken; then the first things
 * to go are whatever still runs as its build's uid (a build whose keeper
 * was killed too) and an env dir a cut-off build left (config vars in
 * clear, where they could not be kept off the disk).  The router's staging
 * dirs go (router_sweep) only when the process that made them is gone.
 * Once the router is up again, recover_routed() retires what a cut-off
 * swap left draining.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/ident.h"
#include "core/live.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "core/path.h"
#include "run/recover.h"
#include "run/procs.h"
#include "run/swap.h"
#include "router/router.h"

/* Remove the entries of dir whose names start with one of the prefixes. */
static int
sweep(const char *dir, const char *const *prefixes)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		for (const char *const *p = prefixes; *p; p++)
			if (strncmp(de->d_name, *p, strlen(*p)) == 0 &&
			    pathf(path, sizeof(path), "%s/%s", dir, de->d_name) == 0 &&
			    rmtree(path) == 0) {
				log_info("recovery: removed %s", path);
				n++;
				break;
			}
	}
	closedir(d);
	return n;
}

/* 1 when no live process holds the app's lock (and we now do: fd). */
static int
app_idle(const struct conf *c, const char *app, int *fd)
{
	char err[ERR_MAX];

	return applock_try(c, app, "recovery at start", fd, err,
	    sizeof(err)) == 1;
}

struct recover {
	const struct conf *c;
	struct store *st;
};

struct releases_seen {
	int v;
	int mixed;
};

static int
see_release(void *arg, const struct proc_rec *p)
{
	struct releases_seen *rs = arg;

	if (rs->v != 0 && rs->v != p->release)
		rs->mixed = 1;
	rs->v = p->release;
	return 0;
}

/* A kill between the promote and the router's record of it leaves the new
 * set running (healthy, meant to go live) and the db on the old release:
 * the running set wins, so the router and `current` follow it. */
static void
recover_release(struct recover *r, struct app_rec *a)
{
	struct releases_seen rs = { 0, 0 };
	char dir[PATH_MAX], err[ERR_MAX];
	struct stat sb;

	if (store_proc_each(r->st, a->id, "running", see_release, &rs) == -1 ||
	    rs.v == 0 || rs.mixed || rs.v == a->current_release ||
	    datadir_release(r->c->data_dir, a->name, rs.v, dir,
	    sizeof(dir)) == -1 || stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return;
	if (live_record(r->st, a->id, rs.v, err, sizeof(err)) == -1) {
		log_warnx("recovery: %s", err);
		return;
	}
	log_info("recovery: '%s' runs v%d: the db said v%d", a->name, rs.v,
	    a->current_release);
	a->current_release = rs.v;
}

/* `current` must point at the release the db routes to: a kill between the
 * router switch and the link swap leaves the old one. */
static void
recover_current(const struct conf *c, const struct app_rec *a)
{
	char dir[PATH_MAX], was[64], err[ERR_MAX];
	struct stat sb;
	int rc;

	if (a->current_release <= 0 ||
	    datadir_release(c->data_dir, a->name, a->current_release, dir,
	    sizeof(dir)) == -1 || stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return;
	if ((rc = live_link(c->data_dir, a->name, a->current_release,
	    "recover", was, sizeof(was), err, sizeof(err))) == -1)
		log_warnx("recovery: cannot point '%s' current at v%d: %s",
		    a->name, a->current_release, err);
	else if (rc == 1)
		log_info("recovery: '%s' current -> releases/%d (was %s)",
		    a->name, a->current_release, was[0] ? was : "missing");
}

static int
recover_app(void *arg, const struct app_rec *a)
{
	/* .build-ID, .restore-N, .N.tar.gz.tmp: everything hidden in releases/ */
	static const char *const release_tmp[] = { ".", NULL };
	static const char *const env_tmp[] = { ".env-", NULL };
	static const char *const app_tmp[] = { "current.", ".cache-old-", NULL };
	static const char *const repo_tmp[] = { "incoming-", NULL };
	struct recover *r = arg;
	struct app_rec app;
	struct ident build;
	char dir[PATH_MAX], repo[PATH_MAX];
	int fd;

	if (!app_idle(r->c, a->name, &fd)) {
		log_info("recovery: '%s' has a push in progress; left alone",
		    a->name);
		return 0;
	}
	ident_of_build(r->c, a->id, &build);
	if (ident_kill_all(&build) == -1)
		log_warn("recovery: cannot stop what uid %lu still runs",
		    (unsigned long)build.uid);
	if (datadir_app(r->c->data_dir, a->name, dir, sizeof(dir)) == 0)
		(void)sweep(dir, env_tmp);
	if (datadir_app_part(r->c->data_dir, a->name, "releases", dir,
	    sizeof(dir)) == 0)
		(void)sweep(dir, release_tmp);
	if (datadir_app(r->c->data_dir, a->name, dir, sizeof(dir)) == 0)
		(void)sweep(dir, app_tmp);
	if (datadir_repo(r->c->data_dir, a->name, repo, sizeof(repo)) == 0 &&
	    pathf(dir, sizeof(dir), "%s/objects", repo) == 0)
		(void)sweep(dir, repo_tmp);
	if (store_deploy_interrupted(r->st, a->id) == -1)
		log_warnx("recovery: %s", store_error(r->st));
	app = *a;
	recover_release(r, &app);
	recover_current(r->c, &app);
	procs_recover(r->c, r->st, &app);
	close(fd);
	return 0;
}

static int
retire_app(void *arg, const struct app_rec *a)
{
	struct recover *r = arg;
	int fd;

	if (app_idle(r->c, a->name, &fd)) {
		swap_retire_left(r->c, r->st, a);
		close(fd);
	}
	return 0;
}

void
recover_start(const struct conf *c, struct store *st)
{
	struct recover r = { c, st };

	if (store_app_each(st, recover_app, &r) == -1)
		log_warnx("recovery: %s", store_error(st));
	router_sweep(c);
}

void
recover_routed(const struct conf *c, struct store *st)
{
	struct recover r = { c, st };

	if (store_app_each(st, retire_app, &r) == -1)
		log_warnx("recovery: %s", store_error(st));
}
