/*
 * gitd_cmd_previews.c - previews, previews:enable, previews:disable,
 * previews:destroy (what a preview is: core/preview.h), and the
 * --preview BRANCH of config:set and config:unset, which turns the
 * command to the branch's preview (its own vars, over the app's).
 * The gate checked the caller's role on the app; a preview goes through
 * run/preview.h under the app's lock, as a push deleting its branch does.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/preview.h"
#include "core/store_preview.h"
#include "gitd/gitd_dispatch.h"
#include "router/router_tls.h"
#include "run/preview.h"

struct list {
	struct gitd_ctx *g;
	json_t *rows;
	int failed;
};

static int
last_deploy(void *arg, const struct deploy_rec *d)
{
	*(struct deploy_rec *)arg = *d;
	return 1;
}

static void
age_text(int64_t secs, char *out, size_t len)
{
	if (secs < 120)
		snprintf(out, len, "%llds", (long long)secs);
	else if (secs < 7200)
		snprintf(out, len, "%lldm", (long long)secs / 60);
	else if (secs < 2 * 86400)
		snprintf(out, len, "%lldh", (long long)secs / 3600);
	else
		snprintf(out, len, "%lldd", (long long)secs / 86400);
}

/* live, building, failed (nothing live), or live with the last deploy
 * failed */
static const char *
preview_state(const struct preview_rec *p, const struct deploy_rec *d)
{
	if (strcmp(d->status, "running") == 0)
		return "building";
	if (strcmp(d->status, "failed") == 0)
		return p->current_release ? "live (last deploy failed)" : "failed";
	return p->current_release ? "live" : "new";
}

static int
list_one(void *arg, const struct preview_rec *p)
{
	struct list *l = arg;
	struct deploy_rec d;
	char host[STORE_NAME_MAX + CONF_NAME_MAX + 16], url[sizeof(host) + 32];
	char age[32];

	memset(&d, 0, sizeof(d));
	if (store_deploy_each(l->g->st, p->app_id, 1, last_deploy, &d) == -1)
		return l->failed = 1;
	if (preview_app_host(l->g->conf, p->name, 1, host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "?");
	tls_site_url(l->g->conf, host, url, sizeof(url));
	age_text(time(NULL) - p->pushed_at, age, sizeof(age));
	json_array_append_new(l->rows, json_pack("{s:o, s:s, s:s, s:s, s:s,"
	    " s:I, s:s, s:i}", "branch", gitd_json_text(p->branch), "url", url,
	    "commit", d.commit[0] ? d.commit : "-", "age", age, "state",
	    preview_state(p, &d), "pushed_at", (json_int_t)p->pushed_at, "app",
	    p->name, "release", p->current_release));
	return 0;
}

int
cmd_previews(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "branch", "url", "commit", "age",
	    "state", NULL };
	struct list l = { g, json_array(), 0 };
	char pattern[PREVIEW_PATTERN_MAX];
	int rc;

	(void)argc, (void)argv;
	rc = store_previews_pattern(g->st, g->app.id, pattern, sizeof(pattern));
	if (rc == -1 || store_preview_each(g->st, g->app.id, list_one,
	    &l) == -1 || l.failed) {
		json_decref(l.rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (!g->json)
		gitd_printf(g, "previews of %s: %s%s%s\n", g->app.name,
		    rc == 0 ? "on, for branches matching '" : "off",
		    rc == 0 ? pattern : "", rc == 0 ? "'" : "");
	return gitd_emit_list(g, l.rows, cols) == 0 ? 0 : 1;
}

int
cmd_previews_enable(struct gitd_ctx *g, int argc, char **argv)
{
	const char *pattern = "*";
	char why[256], name[STORE_NAME_MAX], dom[CONF_NAME_MAX + 16];
	char host[STORE_NAME_MAX + sizeof(dom) + 16], url[sizeof(host) + 32];

	if (argc == 4 && strcmp(argv[2], "--pattern") == 0)
		pattern = argv[3];
	else if (argc != 2) {
		gitd_errorf(g, "berth: unexpected '%.40s'\nusage: previews:enable"
		    " APP [--pattern GLOB]", argv[2]);
		return 2;
	}
	if (preview_pattern_valid(pattern, why, sizeof(why)) == -1 ||
	    preview_name(g->app.name, "x", name, sizeof(name), why,
	    sizeof(why)) == -1) {
		gitd_errorf(g, "berth: %s", why);
		return 2;
	}
	if (g->app.parent_id != 0) {
		gitd_errorf(g, "berth: '%s' is a preview; a preview has no"
		    " previews", g->app.name);
		return 1;
	}
	if (store_previews_enable(g->st, g->app.id, pattern) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (preview_domain(g->conf, dom, sizeof(dom)) == -1)
		snprintf(dom, sizeof(dom), "?");
	snprintf(host, sizeof(host), "%s--BRANCH.%s", g->app.name, dom);
	tls_site_url(g->conf, host, url, sizeof(url));
	gitd_printf(g, "previews of %s on: a push of a branch matching '%s'"
	    " deploys it at %s\n", g->app.name, pattern, url);
	return 0;
}

int
cmd_previews_disable(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	if (store_previews_disable(g->st, g->app.id) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	gitd_printf(g, "previews of %s off: pushed branches are only stored;"
	    " the previews that exist stay until deleted (previews:destroy)"
	    " or idle for [previews] ttl\n", g->app.name);
	return 0;
}

int
cmd_previews_destroy(struct gitd_ctx *g, int argc, char **argv)
{
	char why[1024], holder[APPLOCK_WHAT_MAX];
	int fd, rc;

	(void)argc;
	gitd_holder(g, "previews:destroy", holder, sizeof(holder));
	if ((fd = applock_take(g->conf, g->app.name, holder, NULL, NULL, why,
	    sizeof(why))) == -1) {
		gitd_errorf(g, "berth: %s", why);
		return 1;
	}
	rc = preview_destroy(g->conf, g->st, &g->app, argv[2], holder, why,
	    sizeof(why));
	close(fd);
	if (rc == STORE_NOTFOUND) {
		gitd_errorf(g, "berth: app '%s' has no preview of branch '%.200s'",
		    g->app.name, argv[2]);
		return 1;
	}
	if (rc == -1) {
		gitd_errorf(g, "berth: cannot destroy the preview: %s", why);
		return 1;
	}
	gitd_printf(g, "destroyed the preview of branch '%s'\n", argv[2]);
	return 0;
}

int
gitd_preview_target(struct gitd_ctx *g, int argc, char **argv, int *first)
{
	struct preview_rec p;
	int rc;

	*first = 2;
	if (argc < 3 || strcmp(argv[2], "--preview") != 0)
		return 0;
	if (argc < 5) {
		gitd_errorf(g, "berth: --preview needs a branch, then the"
		    " vars\nusage: %s APP --preview BRANCH ...", argv[0]);
		return 2;
	}
	*first = 4;
	rc = store_preview_get(g->st, g->app.id, argv[3], &p);
	if (rc == 0)
		rc = store_app_get(g->st, p.name, &g->app);
	if (rc == STORE_NOTFOUND)
		gitd_errorf(g, "berth: app '%s' has no preview of branch '%.200s'"
		    " (push the branch first)", g->app.name, argv[3]);
	else if (rc == -1)
		gitd_errorf(g, "berth: %s", store_error(g->st));
	return rc == 0 ? 0 : 1;
}
