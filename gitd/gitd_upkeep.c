/*
 * gitd_upkeep.c - berth serve's upkeep passes (see gitd_upkeep.h), each
 * in a process of its own that gitd_upkeep_chore.c starts: a repack or a
 * vacuum may take a while, and the accept loop must not.
 */
#include "gitd/gitd_upkeep.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/store.h"
#include "core/upkeep.h"
#include "deploy/gitlib.h"
#include "gitd/gitd.h"
#include "gitd/gitd_gc.h"
#include "run/preview.h"

struct pass {
	const struct conf *c;
	struct store *st;
	int full, failed;
	int git;               /* libgit2 initialised (only for a pass that
	                          works on a repository: its init parses the
	                          system's CA bundle, ~10 ms of CPU) */
	struct app_rec *apps;  /* listed first: no read stays open while */
	size_t napps;          /* a repack runs or a prune writes */
};

static void
gc_app(struct pass *p, const struct app_rec *a, const char *repo)
{
	struct gc_result r;
	char err[512];

	if (gc_repo(p->c, repo, (long long)p->c->gc_grace_days * 86400, &r, err,
	    sizeof(err)) == -1) {
		log_warnx("upkeep: gc of '%s' failed: %s", a->name, err);
		p->failed = 1;
		return;
	}
	log_info("upkeep: repacked '%s': %u packs -> %u, %u objects, %llu ->"
	    " %llu bytes in %.2f s", a->name, r.packs_before, r.packs_after,
	    r.objects, (unsigned long long)r.bytes_before,
	    (unsigned long long)r.bytes_after, r.seconds);
}

static int
list_app(void *arg, const struct app_rec *a)
{
	struct pass *p = arg;
	struct app_rec *nv;

	if ((nv = realloc(p->apps, (p->napps + 1) * sizeof(*nv))) == NULL) {
		log_warnx("upkeep: out of memory");
		p->failed = 1;
		return 1;
	}
	p->apps = nv;
	p->apps[p->napps++] = *a;
	return 0;
}

static void
pass_app(struct pass *p, const struct app_rec *a)
{
	char repo[PATH_MAX], err[512];
	int packs, fd, want_gc;

	if (gitd_repo_path(p->c, a->name, repo, sizeof(repo)) == -1)
		return;
	packs = upkeep_new_packs(repo);
	want_gc = p->c->gc_auto_packs > 0 && packs >= p->c->gc_auto_packs;
	if (!want_gc && !p->full)
		return;
	if (!p->git && gitlib_init() < 0) {
		log_warnx("upkeep: cannot initialise libgit2");
		p->failed = 1;
		return;
	}
	p->git = 1;
	if (applock_try(p->c, a->name, "berth serve's upkeep", &fd, err,
	    sizeof(err)) != 1) {
		log_debug("upkeep: '%s' is busy; next pass", a->name);
		return;
	}
	if (want_gc)
		gc_app(p, a, repo);
	if (p->full && upkeep_app(p->c, p->st, a, err, sizeof(err)) == -1) {
		log_warnx("upkeep: %s: %s", a->name, err);
		p->failed = 1;
	}
	close(fd);
}

int
upkeep_pass(const struct conf *c, int full)
{
	struct pass p = { c, NULL, full, 0, 0, NULL, 0 };
	char db[PATH_MAX], err[512] = "data dir path too long";
	int expired;

	if (datadir_db(c->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&p.st, db, err, sizeof(err)) == -1) {
		log_warnx("upkeep: %s", err);
		return 1;
	}
	log_debug("upkeep pass%s", full ? " (full)" : "");
	/* previews idle past [previews] ttl go first (run/preview.h) */
	if (full && preview_expire(c, p.st, &expired) == -1)
		p.failed = 1;
	if (store_app_each(p.st, list_app, &p) == -1) {
		log_warnx("upkeep: %s", store_error(p.st));
		p.failed = 1;
	}
	for (size_t i = 0; i < p.napps; i++)
		pass_app(&p, &p.apps[i]);
	free(p.apps);
	if (full && upkeep_db(c, p.st, err, sizeof(err)) == -1) {
		log_warnx("upkeep: %s", err);
		p.failed = 1;
	}
	store_close(p.st);
	if (p.git)
		git_libgit2_shutdown();
	return p.failed;
}
