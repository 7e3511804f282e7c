/*
 * pull.c - a deploy from the app's Git source (see pull.h), in order:
 *   source   the app's URL and branch, checked again where they are used
 *   lock     the app's lock, as a push takes it, before anything else
 *   fetch    the branch's objects into the repository (deploy/fetch.c)
 *   deploy   deploy_update on the app's deploy branch, as for a push
 *   ref      the branch moves (compare-and-swap) now that it is live
 * A failure before the deploy (no source, a host that is down, a refused
 * key) is recorded as a failed deploy with its log, like a failed build.
 */
#include <git2.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/clock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/path.h"
#include "core/source.h"
#include "deploy/deploy.h"
#include "deploy/fetch.h"
#include "deploy/pull.h"
#include "deploy/receive.h"

struct pull {
	const struct conf *c;
	struct store *st;
	const struct pull_req *r;
	struct app_rec app;
	struct source_rec src;
	git_repository *repo;
	say_fn say;
	void *say_ctx;
	char log[4096];     /* what was said before the deploy took over */
	long long t0;
};

static void
pull_say(struct pull *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pull_say(struct pull *p, const char *fmt, ...)
{
	char line[1200];
	size_t n = strlen(p->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(p->log + n, sizeof(p->log) - n, "%s\n", line);
	if (p->say != NULL)
		p->say(p->say_ctx, line);
}

/* A failure before the deploy (reason): said, and recorded as a failed
 * deploy.  Returns -1. */
static int
pull_fail(struct pull *p, const char *reason)
{
	int64_t id;

	pull_say(p, " !     %s", reason);
	if (p->app.id == 0)
		return -1;
	if (store_deploy_start(p->st, p->app.id, p->r->kind, "", &id) == -1 ||
	    store_deploy_finish(p->st, id, "failed", 0, reason,
	    clock_ms() - p->t0, p->log) == -1)
		log_warnx("cannot record the failed %s of '%s': %s", p->r->kind,
		    p->r->app, store_error(p->st));
	log_info("%s of '%s' failed: %s", p->r->kind, p->r->app, reason);
	return -1;
}

/* The app's deploy branch, as a push would deploy it (deploy/receive.c):
 * deploy_branch, or master when that is main and only master exists. */
static void
deploy_ref(struct pull *p, char *ref, size_t len, git_oid *old)
{
	git_oid id;

	snprintf(ref, len, "refs/heads/%s", p->c->deploy_branch);
	memset(old, 0, sizeof(*old));
	if (git_reference_name_to_id(&id, p->repo, ref) == 0) {
		*old = id;
		return;
	}
	if (strcmp(p->c->deploy_branch, "main") == 0 &&
	    git_reference_name_to_id(&id, p->repo, "refs/heads/master") == 0) {
		snprintf(ref, len, "refs/heads/master");
		*old = id;
	}
}

static int
fetch(struct pull *p, git_oid *tip, char *reason, size_t rlen)
{
	char priv[PATH_MAX], pub[PATH_MAX], known[PATH_MAX], why[300];
	struct fetch_req f = { .url = p->src.url, .branch = p->src.branch,
	    .max_bytes = p->c->max_push_size,
	    .ca_file = p->c->source_ca_file[0] ? p->c->source_ca_file : NULL,
	    .timeout = p->c->source_fetch_timeout };
	int kind;

	if ((kind = source_check_url(p->src.url, why, sizeof(why))) == -1 ||
	    source_check_branch(p->src.branch, why, sizeof(why)) == -1) {
		snprintf(reason, rlen, "the stored source is refused: %s", why);
		return -1;
	}
	if (kind == SOURCE_SSH) {
		if (source_key_paths(p->c, p->r->app, priv, pub, sizeof(priv)) ==
		    -1 || datadir_app_part(p->c->data_dir, p->r->app,
		    "source/known_host", known, sizeof(known)) == -1) {
			snprintf(reason, rlen, "deploy key path too long");
			return -1;
		}
		f.key_priv = priv;
		f.key_pub = pub;
		f.known_host = known;
	}
	pull_say(p, "-----> Fetching %s from %s", p->src.branch, p->src.url);
	return fetch_branch(p->repo, &f, tip, reason, rlen);
}

/* The deploy, then the branch. */
static int
deploy(struct pull *p, const char *ref, const git_oid *old, const git_oid *tip,
    char *reason, size_t rlen)
{
	struct hook_update u = { .ref = ref, .old_id = *old, .new_id = *tip };
	struct hook_push hp = { .conf = p->c, .st = p->st, .app = p->r->app,
	    .repo = p->repo, .updates = &u, .n = 1, .say = p->say,
	    .say_ctx = p->say_ctx, .kind = p->r->kind, .note = p->r->note };
	git_reference *nr = NULL;
	char note[STORE_URL_MAX + 300];
	int rc;

	if (hp.note == NULL) {
		snprintf(note, sizeof(note), "%s of %s from %s", p->r->kind,
		    p->src.branch, p->src.url);
		hp.note = note;
	}
	if (deploy_update(&hp, &u) == -1) {
		snprintf(reason, rlen, "%s", u.reject);
		return -1;
	}
	rc = git_oid_is_zero(old) ?
	    git_reference_create(&nr, p->repo, ref, tip, 0, "berth: pull") :
	    git_reference_create_matching(&nr, p->repo, ref, tip, 1, old,
	    "berth: pull");
	git_reference_free(nr);
	if (rc < 0) {
		const git_error *e = git_error_last();
		snprintf(reason, rlen, "the new release is live, but %s did not"
		    " move: %s", ref, e && e->message ? e->message : "?");
		return -1;
	}
	return 0;
}

static int
pull_locked(struct pull *p, char *reason, size_t rlen)
{
	char path[PATH_MAX], ref[300];
	git_oid tip, old;

	if (datadir_repo(p->c->data_dir, p->r->app, path, sizeof(path)) == -1 ||
	    git_repository_open_bare(&p->repo, path) < 0) {
		snprintf(reason, rlen, "cannot open the repository of '%s'",
		    p->r->app);
		return pull_fail(p, reason);
	}
	if (fetch(p, &tip, reason, rlen) == -1)
		return pull_fail(p, reason);
	deploy_ref(p, ref, sizeof(ref), &old);
	if (git_oid_equal(&tip, &old) && p->app.current_release != 0) {
		pull_say(p, "-----> %s is already live at %.7s", p->src.branch,
		    git_oid_tostr_s(&tip));
		return 0;
	}
	return deploy(p, ref, &old, &tip, reason, rlen);
}

int
deploy_pull(const struct conf *c, struct store *st, const struct pull_req *r,
    say_fn say, void *say_ctx, char *reason, size_t rlen)
{
	struct pull p = { .c = c, .st = st, .r = r, .say = say,
	    .say_ctx = say_ctx, .t0 = clock_ms() };
	int lock, rc;

	if (store_app_get(st, r->app, &p.app) != 0) {
		snprintf(reason, rlen, "app '%s' does not exist", r->app);
		return -1;
	}
	if ((rc = store_source_get(st, p.app.id, &p.src)) != 0) {
		snprintf(reason, rlen, rc == STORE_NOTFOUND ? "app '%s' has no"
		    " source; set one with apps:source %s URL" :
		    "cannot read the source of '%s'", r->app, r->app);
		return pull_fail(&p, reason);
	}
	if ((lock = applock_take(c, r->app, r->holder, say, say_ctx, reason,
	    rlen)) == -1)
		return pull_fail(&p, reason);
	/* the app as it is now that nothing else changes it */
	if (store_app_get(st, r->app, &p.app) != 0) {
		snprintf(reason, rlen, "app '%s' vanished", r->app);
		rc = -1;
	} else {
		rc = pull_locked(&p, reason, rlen);
	}
	git_repository_free(p.repo);
	close(lock);
	return rc;
}
