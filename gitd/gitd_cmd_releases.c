/*
 * gitd_cmd_releases.c - releases, deploys, rollback, and the build logs
 * behind `logs APP --build`.  The
 * listing handlers read sqlite; rollback hands over to hooks/ (data flows
 * gitd -> hooks), which takes the app's lock and swaps `current`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gitd/gitd_dispatch.h"
#include "hooks/hooks.h"

static void
when(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, len,
	    "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "-");
}

static int
release_row(void *arg, const struct release_rec *r)
{
	struct gitd_ctx *g = arg;
	char at[32], procs[128] = "";
	size_t o = 0;

	when(r->created_at, at, sizeof(at));
	for (const char *p = r->process_types; *p && o < sizeof(procs) - 1;
	    p = strchr(p, '\n') + 1)
		o += (size_t)snprintf(procs + o, sizeof(procs) - o, "%s%.*s",
		    o ? "," : "", (int)strcspn(p, ":"), p);
	if (r->static_root[0] && o < sizeof(procs) - 1)
		snprintf(procs + o, sizeof(procs) - o, "%sstatic", o ? "," : "");
	gitd_printf(g, "%s v%-5d %.7s  %-10s %-20s %7.2fs  %s\n",
	    r->version == g->app.current_release ? "*" : " ", r->version,
	    r->commit, r->buildpack, at, r->build_ms / 1000.0,
	    procs[0] ? procs : "-");
	return 0;
}

int
cmd_releases(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	gitd_printf(g, "  %-6s %-8s %-10s %-20s %8s  %s\n", "REL", "COMMIT",
	    "BUILDPACK", "CREATED", "BUILD", "PROCESSES");
	if (store_release_each(g->st, g->app.id, release_row, g) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return 0;
}

static int
deploy_row(void *arg, const struct deploy_rec *d)
{
	struct gitd_ctx *g = arg;
	char at[32], rel[16] = "-";

	when(d->started_at, at, sizeof(at));
	if (d->release)
		snprintf(rel, sizeof(rel), "v%d", d->release);
	gitd_printf(g, "%-6lld %-8s %-8.7s %-10s %-6s %-20s %7.2fs  %s\n",
	    (long long)d->id, d->kind, d->commit[0] ? d->commit : "-", d->status,
	    rel, at, d->duration_ms / 1000.0, d->reason);
	return 0;
}

int
cmd_deploys(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	gitd_printf(g, "%-6s %-8s %-8s %-10s %-6s %-20s %8s  %s\n", "ID", "KIND",
	    "COMMIT", "STATUS", "REL", "STARTED", "TIME", "REASON");
	if (store_deploy_each(g->st, g->app.id, 50, deploy_row, g) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return 0;
}

static void
say_stdout(void *ctx, const char *line)
{
	gitd_printf(ctx, "%s\n", line);
}

int
cmd_rollback(struct gitd_ctx *g, int argc, char **argv)
{
	char reason[256], *end;
	long v = 0;

	if (argc == 3) {
		const char *s = argv[2][0] == 'v' ? argv[2] + 1 : argv[2];
		v = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || v <= 0 || v > 1000000) {
			gitd_errorf(g, "berth: '%.40s' is not a release number\n"
			    "usage: rollback APP [RELEASE]", argv[2]);
			return 2;
		}
	}
	if (hooks_rollback(g->conf, g->st, g->app.name, (int)v, say_stdout, g,
	    reason, sizeof(reason)) == -1) {
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
	((struct last *)arg)->id = d->id;
	return 1;
}

/* logs APP --build [DEPLOY]: the full log of a deploy (the last one). */
int
cmd_build_log(struct gitd_ctx *g, const char *deploy)
{
	struct last l = { 0 };
	char *log, *end;
	int rc;

	if (deploy != NULL) {
		l.id = strtoll(deploy, &end, 10);
		if (*end != '\0' || l.id <= 0) {
			gitd_errorf(g, "berth: '%.40s' is not a deploy id", deploy);
			return 2;
		}
	} else if (store_deploy_each(g->st, g->app.id, 1, last_deploy, &l) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (l.id == 0 || (rc = store_deploy_log(g->st, g->app.id, l.id, &log)) ==
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
