/*
 * app.c - whole-app operations under the app's lock (run/app.h):
 * restart and stop (through the swap, run/swap.c), destroy and rename.
 * Destroy goes in the order previews (run/preview.h), processes,
 * routing, repository, releases, rows; every step is idempotent and the app's row goes last, so
 * running it again after a crash half-way finishes the job.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/ident.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/path.h"
#include "core/store_preview.h"
#include "run/app.h"
#include "run/preview.h"
#include "run/procs.h"
#include "run/swap.h"
#include "router/router.h"

struct stop_all {
	const struct conf *c;
	struct store *st;
	const char *app;
};

static int
stop_one(void *arg, const struct proc_rec *p)
{
	struct stop_all *s = arg;

	proc_stop(s->c, s->st, s->app, p);
	return 0;
}

static int
remove_files(const struct conf *c, const char *app, char *why, size_t wlen)
{
	char repo[PATH_MAX], dir[PATH_MAX];

	if (datadir_repo(c->data_dir, app, repo, sizeof(repo)) == -1 ||
	    datadir_app(c->data_dir, app, dir, sizeof(dir)) == -1) {
		snprintf(why, wlen, "path too long");
		return -1;
	}
	if (rmtree(repo) == -1 || rmtree(dir) == -1) {
		snprintf(why, wlen, "cannot remove files: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
app_destroy(const struct conf *c, struct store *st, const char *app,
    const char *holder, char *why, size_t wlen)
{
	struct stop_all s = { c, st, app };
	struct app_rec a;
	struct ident who;
	char err[ERR_MAX];
	int lock, rc = -1;

	if ((lock = applock_take(c, app, holder, NULL, NULL, why, wlen)) == -1)
		return -1;
	if (store_app_get(st, app, &a) != 0) {
		snprintf(why, wlen, "app '%s' does not exist", app);
		goto out;
	}
	/* its previews first: they are apps of their own (run/preview.h) */
	if (preview_destroy_all(c, st, &a, holder, why, wlen) == -1)
		goto out;
	if (store_proc_each(st, a.id, NULL, stop_one, &s) == -1) {
		snprintf(why, wlen, "%s", store_error(st));
		goto out;
	}
	if (router_update(c, st, app, 0, err, sizeof(err)) == -1) {
		snprintf(why, wlen, "%s", err);
		goto out;
	}
	/* whatever the app's uids still run (a daemon one of its processes
	 * left behind, an abandoned build) must not live on into a later app
	 * that gets the same id */
	ident_of_app(c, a.id, &who);
	if (ident_kill_all(&who) == -1)
		log_warn("cannot stop what uid %lu still runs",
		    (unsigned long)who.uid);
	ident_of_build(c, a.id, &who);
	if (ident_kill_all(&who) == -1)
		log_warn("cannot stop what uid %lu still runs",
		    (unsigned long)who.uid);
	if (remove_files(c, app, why, wlen) == -1)
		goto out;
	if (store_app_delete(st, a.id) == -1) {
		snprintf(why, wlen, "%s", store_error(st));
		goto out;
	}
	rc = 0;
out:
	close(lock);
	return rc;
}

int
app_rename(const struct conf *c, struct store *st, const char *from,
    const char *to, const char *holder, char *why, size_t wlen)
{
	char a1[PATH_MAX], a2[PATH_MAX], r1[PATH_MAX], r2[PATH_MAX];
	struct app_rec a, other;
	int lock, rc = -1, npreviews = 0;

	if ((lock = applock_take(c, from, holder, NULL, NULL, why, wlen)) == -1)
		return -1;
	if (store_app_get(st, to, &other) == 0) {
		snprintf(why, wlen, "app '%s' already exists", to);
		goto out;
	}
	/* a preview's name and host are its app's name and its branch */
	if (store_app_get(st, from, &a) == 0 && (a.parent_id != 0 ||
	    store_preview_count(st, a.id, &npreviews) == -1 || npreviews > 0)) {
		snprintf(why, wlen, "%s", a.parent_id ? "a preview cannot be"
		    " renamed" : "the app has previews; previews:destroy them"
		    " first");
		goto out;
	}
	if (store_app_get(st, from, &a) != 0 ||
	    datadir_app(c->data_dir, from, a1, sizeof(a1)) == -1 ||
	    datadir_app(c->data_dir, to, a2, sizeof(a2)) == -1 ||
	    datadir_repo(c->data_dir, from, r1, sizeof(r1)) == -1 ||
	    datadir_repo(c->data_dir, to, r2, sizeof(r2)) == -1) {
		snprintf(why, wlen, "app '%s' does not exist", from);
		goto out;
	}
	/* processes know their paths: stop them, start them again after */
	if (swap_stop_all(c, st, &a, why, wlen) == -1)
		goto out;
	if ((rename(r1, r2) == -1 && errno != ENOENT) ||
	    (rename(a1, a2) == -1 && errno != ENOENT)) {
		snprintf(why, wlen, "cannot move files: %s", strerror(errno));
		goto out;
	}
	if (store_app_rename(st, a.id, to) == -1) {
		snprintf(why, wlen, "%s", store_error(st));
		(void)rename(r2, r1);
		(void)rename(a2, a1);
		goto out;
	}
	snprintf(a.name, sizeof(a.name), "%s", to);
	rc = a.current_release ? swap_release(c, st, &a, a.current_release, NULL,
	    NULL, why, wlen) : 0;
out:
	close(lock);
	return rc;
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
app_restart(const struct conf *c, struct store *st, const char *app,
    const char *holder, const char *type, int flags,
    say_fn say, void *say_ctx, char *why, size_t wlen)
{
	struct swap_scope scope = { type, (flags & RESTART_SCALE) != 0 };
	struct app_rec a;
	int lock, rc = -1, stopped = 0;

	if ((lock = applock_take(c, app, holder, NULL, NULL, why, wlen)) == -1)
		return -1;
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
app_stop(const struct conf *c, struct store *st, const char *app,
    const char *holder, char *why, size_t wlen)
{
	struct app_rec a;
	int lock, rc = -1;

	if ((lock = applock_take(c, app, holder, NULL, NULL, why, wlen)) == -1)
		return -1;
	if (store_app_get(st, app, &a) != 0)
		snprintf(why, wlen, "app '%s' does not exist", app);
	else
		rc = swap_stop_all(c, st, &a, why, wlen);
	close(lock);
	return rc;
}
