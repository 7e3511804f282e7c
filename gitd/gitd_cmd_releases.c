/*
 * gitd_cmd_releases.c - releases, deploys, rollback, and the build logs
 * behind `logs APP --build`.  The
 * listing handlers read sqlite; rollback hands over to deploy/ (data flows
 * gitd -> hooks), which takes the app's lock and swaps `current`.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/applock.h"
#include "core/num.h"
#include "gitd/gitd_dispatch.h"
#include "deploy/receive.h"
#include "run/procfile.h"

static int
release_row(void *arg, const struct release_rec *r)
{
	struct gitd_ctx *g = arg;
	json_t *procs = json_array();
	char why[256];

	/* stored text reaches the terminal: only a list that checks out */
	if (procfile_check(r->process_types, why, sizeof(why)) == -1)
		json_array_append_new(procs, json_string("?"));
	else
		for (const char *p = r->process_types; *p;
		    p = strchr(p, '\n') + 1) {
			char type[PROC_NAME_MAX + 1];
			snprintf(type, sizeof(type), "%.*s", (int)strcspn(p, ":"), p);
			json_array_append_new(procs, json_string(type));
		}
	json_array_append_new(g->rows, json_pack("{s:i, s:b, s:s, s:s, s:I, s:I,"
	    " s:o, s:b}", "version", r->version, "live",
	    r->version == g->app.current_release, "commit", r->commit,
	    "buildpack", r->buildpack, "created_at", (json_int_t)r->created_at,
	    "build_ms", (json_int_t)r->build_ms, "processes", procs, "static",
	    r->static_root[0] != '\0'));
	return 0;
}

int
cmd_releases(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "version", "live", "commit",
	    "buildpack", "build_ms", "processes", "static", NULL };

	(void)argc, (void)argv;
	g->rows = json_array();
	if (store_release_each(g->st, g->app.id, release_row, g) == -1) {
		json_decref(g->rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_emit_list(g, g->rows, cols) == 0 ? 0 : 1;
}

static int
deploy_row(void *arg, const struct deploy_rec *d)
{
	struct gitd_ctx *g = arg;
	char hooks[512];

	/* what the app's deploy hooks did (deploy/hooks.c) */
	if (store_deploy_hooks(g->st, d->id, hooks, sizeof(hooks)) == -1)
		return -1;
	json_array_append_new(g->rows, json_pack("{s:I, s:s, s:s, s:s, s:i, s:I,"
	    " s:I, s:o, s:o}", "id", (json_int_t)d->number, "kind", d->kind,
	    "commit", d->commit, "status", d->status, "release", d->release,
	    "started_at", (json_int_t)d->started_at, "duration_ms",
	    (json_int_t)d->duration_ms, "hooks", gitd_json_text(hooks),
	    "reason", gitd_json_text(d->reason)));
	return 0;
}

int
cmd_deploys(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "id", "kind", "commit", "status",
	    "release", "duration_ms", "hooks", "reason", NULL };

	(void)argc, (void)argv;
	g->rows = json_array();
	if (store_deploy_each(g->st, g->app.id, 50, deploy_row, g) == -1) {
		json_decref(g->rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_emit_list(g, g->rows, cols) == 0 ? 0 : 1;
}

static void
say_stdout(void *ctx, const char *line)
{
	gitd_printf(ctx, "%s\n", line);
}

int
cmd_rollback(struct gitd_ctx *g, int argc, char **argv)
{
	char reason[1024], holder[APPLOCK_WHAT_MAX];
	long long v = 0;

	if (argc == 3) {
		const char *s = argv[2][0] == 'v' ? argv[2] + 1 : argv[2];
		if (num_parse(s, 1, 1000000, &v) == -1) {
			gitd_errorf(g, "berth: '%.40s' is not a release number\n"
			    "usage: rollback APP [RELEASE]", argv[2]);
			return 2;
		}
	}
	gitd_holder(g, "a rollback", holder, sizeof(holder));
	if (deploy_rollback(g->conf, g->st, g->app.name, holder, (int)v,
	    say_stdout, g, reason, sizeof(reason)) == -1) {
		gitd_errorf(g, "berth: rollback failed: %s", reason);
		return 1;
	}
	return 0;
}

struct last {
	int64_t id;
};

static int
last_deploy(void *arg, const struct deploy_rec *d)
{
	((struct last *)arg)->id = d->number;
	return 1;
}

/* logs APP --build [DEPLOY]: the full log of a deploy (the last one). */
int
cmd_build_log(struct gitd_ctx *g, const char *deploy)
{
	struct last l = { 0 };
	long long id;
	char *log;
	int rc;

	if (deploy != NULL) {
		if (num_parse(deploy, 1, INT64_MAX, &id) == -1) {
			gitd_errorf(g, "berth: '%.40s' is not a deploy id", deploy);
			return 2;
		}
		l.id = id;
	} else if (store_deploy_each(g->st, g->app.id, 1, last_deploy, &l) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (l.id == 0 || l.id > INT_MAX ||
	    (rc = store_deploy_log(g->st, g->app.id, (int)l.id, &log)) ==
	    STORE_NOTFOUND) {
		gitd_errorf(g, "berth: no such deploy for app '%s'", g->app.name);
		return 1;
	}
	if (rc == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	for (char *p = log; *p;) {
		size_t n = strcspn(p, "\n");
		gitd_printf(g, "%.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	free(log);
	return 0;
}
