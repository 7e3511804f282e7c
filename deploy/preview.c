/*
 * preview.c - the push side of preview deploys (what a preview is:
 * core/preview.h).  deploy/receive.c hands every update that is not the
 * deploy branch's here, still under the app's lock the push holds (so a
 * preview's build queues behind the app's own deploys, and shares the
 * build slots):
 *   delete    a deleted branch's preview is destroyed (run/preview.h)
 *   off       previews off, or the branch outside the app's pattern: one
 *             line says the branch was stored, not deployed, and why
 *   row       the branch's preview row, made on its first push (at most
 *             [previews] max_per_app per app)
 *   deploy    the same pipeline as the app's (deploy/deploy.c) on the
 *             preview's own app row, under that row's lock too; a failure
 *             rejects only this branch's ref, and nothing of the app's
 *             release, processes or routes is touched
 *   url       the pusher is told where it answers: over HTTPS with the
 *             operator's wildcard certificate, else over HTTP, and with
 *             HTTPS on but no wildcard, why (router/router_wildcard.c)
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/preview.h"
#include "core/store_preview.h"
#include "deploy/receive.h"
#include "router/router_tls.h"
#include "run/preview.h"

static void
sayf(const struct hook_push *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sayf(const struct hook_push *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (p->say != NULL)
		p->say(p->say_ctx, line);
}

static void
reject(struct hook_update *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reject(struct hook_update *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->reject, sizeof(u->reject), fmt, ap);
	va_end(ap);
}

static void
preview_delete(const struct hook_push *p, const struct app_rec *app,
    const char *branch, struct hook_update *u)
{
	char why[1024];
	int rc;

	rc = preview_destroy(p->conf, p->st, app, branch, "a push deleting a"
	    " branch", why, sizeof(why));
	if (rc == 0)
		sayf(p, "-----> Destroyed the preview of branch '%s'", branch);
	else if (rc == -1)
		reject(u, "cannot destroy its preview: %.200s", why);
}

/* 1 when the branch deploys as a preview; else says why not, once. */
static int
preview_wanted(const struct hook_push *p, const struct app_rec *app,
    const char *branch, struct hook_update *u)
{
	char pattern[PREVIEW_PATTERN_MAX];
	int rc = store_previews_pattern(p->st, app->id, pattern,
	    sizeof(pattern));

	if (rc == -1) {
		reject(u, "%.200s", store_error(p->st));
		return 0;
	}
	if (rc == STORE_NOTFOUND) {
		sayf(p, "berth: stored branch '%.200s', not deployed: only '%s'"
		    " deploys (previews:enable %s deploys other branches as"
		    " previews)", branch, p->conf->deploy_branch, app->name);
		return 0;
	}
	if (fnmatch(pattern, branch, 0) != 0) {
		sayf(p, "berth: stored branch '%.200s', not deployed: it does not"
		    " match the preview pattern '%s' of %s", branch, pattern,
		    app->name);
		return 0;
	}
	if (!preview_branch_ok(branch)) {
		reject(u, "branch name too long for a preview");
		return 0;
	}
	return 1;
}

/* The branch's preview app row, made on its first push.  0 or -1 with
 * u->reject. */
static int
preview_row(const struct hook_push *p, const struct app_rec *app,
    const char *branch, struct hook_update *u, struct app_rec *out)
{
	struct preview_rec pr;
	char name[STORE_NAME_MAX], why[256];
	int rc, n;

	if ((rc = store_preview_get(p->st, app->id, branch, &pr)) == 0)
		rc = store_app_get(p->st, pr.name, out);
	if (rc != STORE_NOTFOUND) {
		if (rc == -1)
			reject(u, "%.200s", store_error(p->st));
		return rc == 0 ? 0 : -1;
	}
	if (preview_name(app->name, branch, name, sizeof(name), why,
	    sizeof(why)) == -1) {
		reject(u, "%.200s", why);
		return -1;
	}
	if (store_preview_count(p->st, app->id, &n) == -1 ||
	    (rc = store_app_get(p->st, name, out)) == -1) {
		reject(u, "%.200s", store_error(p->st));
		return -1;
	}
	if (n >= p->conf->preview_max) {
		reject(u, "app '%s' has %d previews ([previews] max_per_app);"
		    " previews:destroy one first", app->name, n);
		return -1;
	}
	if (rc == 0) {
		reject(u, "the preview's name '%s' is taken (an app, or the"
		    " preview of a branch that cleans to the same label)", name);
		return -1;
	}
	if (store_app_create(p->st, name, out) == -1 ||
	    store_preview_add(p->st, out->id, app->id, branch) == -1) {
		reject(u, "cannot record the preview: %.180s",
		    store_error(p->st));
		if (out->id != 0)
			(void)store_app_delete(p->st, out->id);
		return -1;
	}
	out->parent_id = app->id;
	return 0;
}

static void
say_live(const struct hook_push *p, const char *branch, const char *host)
{
	char url[DOMAIN_MAX + 64], why[TLS_WHY_MAX];

	tls_site_url(p->conf, host, url, sizeof(url));
	sayf(p, "-----> Preview of '%.200s' live at %s", branch, url);
	if (!conf_https(p->conf) || tls_wanted(p->conf, host) ||
	    !tls_preview_host(p->conf, host))
		return;
	if (!tls_wildcard_why(p->conf, why, sizeof(why)))
		snprintf(why, sizeof(why), "the wildcard certificate is not"
		    " served yet (see the log)");
	sayf(p, "       over plain HTTP: %.400s", why);
}

static void
preview_deploy(const struct hook_push *p, const struct app_rec *app,
    const char *branch, struct hook_update *u)
{
	struct hook_push pp = *p;
	struct app_rec pa;
	char err[256], host[STORE_NAME_MAX + CONF_NAME_MAX + 16];
	int fd;

	memset(&pa, 0, sizeof(pa));
	if (preview_row(p, app, branch, u, &pa) == -1)
		return;
	/* config:set on the preview restarts it under this lock */
	if ((fd = applock_take(p->conf, pa.name, "a preview deploy", NULL, NULL,
	    err, sizeof(err))) == -1) {
		reject(u, "%.200s", err);
		return;
	}
	if (store_preview_touch(p->st, pa.id) == -1) {
		reject(u, "%.200s", store_error(p->st));
		close(fd);
		return;
	}
	sayf(p, "-----> Preview of branch '%.200s' (%s)", branch, pa.name);
	pp.app = pa.name;
	if (deploy_update(&pp, u) == 0 && preview_app_host(p->conf, pa.name, 1,
	    host, sizeof(host)) == 0)
		say_live(p, branch, host);
	close(fd);
}

void
preview_update(const struct hook_push *p, struct hook_update *u)
{
	struct app_rec app;
	const char *branch;

	if (strncmp(u->ref, "refs/heads/", 11) != 0)
		return; /* tags are only stored */
	branch = u->ref + 11;
	if (store_app_get(p->st, p->app, &app) != 0) {
		reject(u, "app '%s' vanished", p->app);
		return;
	}
	if (git_oid_is_zero(&u->new_id))
		preview_delete(p, &app, branch, u);
	else if (preview_wanted(p, &app, branch, u))
		preview_deploy(p, &app, branch, u);
}
