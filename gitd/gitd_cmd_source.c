/*
 * gitd_cmd_source.c - deploys from a Git host (README.md, "Webhooks"):
 *   apps:source APP [URL [--branch B] | --unset]   the app's source, and
 *                      for an ssh URL its deploy key (core/source.h)
 *   apps:pull APP      fetch the source's branch and deploy it now
 *                      (deploy/pull.h), the log streamed as for rollback
 *   webhooks:secret APP  make (or rotate) the webhook secret, printed once
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/source.h"
#include "core/webhook_secret.h"
#include "deploy/pull.h"
#include "gitd/gitd_dispatch.h"

static int
source_show(struct gitd_ctx *g)
{
	struct source_rec src;
	char pub[SOURCE_PUBKEY_MAX], err[512];
	int rc;

	if ((rc = store_source_get(g->st, g->app.id, &src)) == STORE_NOTFOUND) {
		gitd_printf(g, "app '%s' has no source (apps:source %s URL"
		    " [--branch B])\n", g->app.name, g->app.name);
		return 0;
	}
	if (rc == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	gitd_printf(g, "source: %s\nbranch: %s\n", src.url, src.branch);
	if (source_check_url(src.url, err, sizeof(err)) != SOURCE_SSH)
		return 0;
	if ((rc = source_key_read(g->conf, g->app.name, pub, sizeof(pub), err,
	    sizeof(err))) == -1) {
		gitd_errorf(g, "berth: %s", err);
		return 1;
	}
	gitd_printf(g, "deploy key: %s\n", rc == 0 ? pub : "(none)");
	return 0;
}

static int
source_unset(struct gitd_ctx *g)
{
	char err[512];

	if (store_source_unset(g->st, g->app.id) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (source_key_remove(g->conf, g->app.name, err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: %s", err);
		return 1;
	}
	gitd_printf(g, "app '%s' has no source now; its deploy key is gone\n",
	    g->app.name);
	return 0;
}

/* The host key learnt for the old URL is not the new host's. */
static int
forget_host(struct gitd_ctx *g, char *err, size_t errlen)
{
	char known[PATH_MAX];

	if (datadir_app_part(g->conf->data_dir, g->app.name,
	    "source/known_host", known, sizeof(known)) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (unlink(known) == -1 && access(known, F_OK) == 0) {
		snprintf(err, errlen, "cannot remove '%.300s'", known);
		return -1;
	}
	return 0;
}

static int
source_set(struct gitd_ctx *g, const char *url, const char *branch)
{
	char why[512], pub[SOURCE_PUBKEY_MAX];
	int kind;

	if ((kind = source_check_url(url, why, sizeof(why))) == -1 ||
	    source_check_branch(branch, why, sizeof(why)) == -1) {
		gitd_errorf(g, "berth: %s", why);
		return 2;
	}
	if ((kind == SOURCE_SSH && source_key_ensure(g->conf, g->app.name, pub,
	    sizeof(pub), why, sizeof(why)) == -1) ||
	    forget_host(g, why, sizeof(why)) == -1) {
		gitd_errorf(g, "berth: %s", why);
		return 1;
	}
	if (store_source_set(g->st, g->app.id, url, branch) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	gitd_printf(g, "app '%s' deploys branch %s of %s (apps:pull %s, or a"
	    " webhook: webhooks:secret %s)\n", g->app.name, branch, url,
	    g->app.name, g->app.name);
	if (kind == SOURCE_SSH)
		gitd_printf(g, "add this deploy key (read-only) on the Git host:\n"
		    "%s\n", pub);
	return 0;
}

int
cmd_apps_source(struct gitd_ctx *g, int argc, char **argv)
{
	if (argc == 2)
		return source_show(g);
	if (argc == 3 && strcmp(argv[2], "--unset") == 0)
		return source_unset(g);
	if (argc == 3 && argv[2][0] != '-')
		return source_set(g, argv[2], g->conf->deploy_branch);
	if (argc == 5 && argv[2][0] != '-' && strcmp(argv[3], "--branch") == 0)
		return source_set(g, argv[2], argv[4]);
	gitd_errorf(g, "usage: apps:source APP [URL [--branch BRANCH] |"
	    " --unset]");
	return 2;
}

static void
say_stdout(void *ctx, const char *line)
{
	gitd_printf(ctx, "%s\n", line);
}

int
cmd_apps_pull(struct gitd_ctx *g, int argc, char **argv)
{
	char reason[1024], holder[APPLOCK_WHAT_MAX];
	struct pull_req r = { .app = g->app.name, .kind = "pull",
	    .holder = holder };

	(void)argc, (void)argv;
	gitd_holder(g, "a pull", holder, sizeof(holder));
	if (deploy_pull(g->conf, g->st, &r, say_stdout, g, reason,
	    sizeof(reason)) == -1) {
		gitd_errorf(g, "berth: pull failed: %s", reason);
		return 1;
	}
	return 0;
}

int
cmd_webhooks_secret(struct gitd_ctx *g, int argc, char **argv)
{
	char hex[WEBHOOK_SECRET_HEX], err[512];

	(void)argc, (void)argv;
	if (webhook_secret_make(g->conf, g->st, &g->app, hex, err,
	    sizeof(err)) == -1) {
		gitd_errorf(g, "berth: %s", err);
		return 1;
	}
	gitd_printf(g, "%s\n", hex);
	return 0;
}
