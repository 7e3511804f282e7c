/*
 * serve.c - berth serve: the daemon.  Before it takes connections it
 * settles the data dir, follows a changed app_uid_base, repairs what a
 * crash left (run/recover.h) and starts the router; then gitd serves,
 * with run/reconcile.h's repairs and gitd/gitd_upkeep.h's disk upkeep as
 * its chores between connections, and the dashboard's HTTP endpoint
 * (web/web_proc.h) in a process of its own.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/testpoint.h"
#include "gitd/gitd_server.h"
#include "gitd/gitd_upkeep.h"
#include "router/router.h"
#include "run/reconcile.h"
#include "run/recover.h"
#include "run/shim_spawn.h"
#include "web/web_proc.h"

/* DATA/serve.started: when this daemon started, for `status`. */
static void
stamp_start(const struct conf *c)
{
	char path[PATH_MAX];
	FILE *f;

	if (datadir_path(c->data_dir, "serve.started", path,
	    sizeof(path)) == -1 ||
	    (f = fopen(path, "we")) == NULL)
		return;
	fprintf(f, "%lld\n", (long long)time(NULL));
	fclose(f);
}

int
cmd_serve(struct conf *c, int argc, char **argv, const char *note)
{
	struct reconcile *rec;
	struct upkeep_chore *up;
	struct web_chore *web;
	struct gitd_chores chores, more, all;
	struct store *st;
	char err[ERR_MAX], packs[PATH_MAX + 256];
	int created = 0, keys = 0, started, rc, webfd;

	(void)argc, (void)argv;
	log_init("berth serve", getenv("BERTH_DEBUG") != NULL);
	if (cmd_prepare(c, &st, &created) == -1)
		return 1;
	if (datadir_buildpacks(c, packs, sizeof(packs), err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		store_close(st);
		return 1;
	}
	if (note[0] != '\0')
		log_info("%s", note);
	if (packs[0] != '\0')
		log_info("%s", packs);
	if (created)
		log_info("created host key %s", c->host_key);
	if (store_admin_count(st, &keys) == 0 && keys == 0)
		log_warnx("no admin key yet: run 'berth init --admin-key FILE'");
	stamp_start(c);
	/* the apps' files and processes follow a changed app_uid_base */
	if (uidbase_follow(c, st, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		store_close(st);
		return 1;
	}
	upstream_migrate_req(); /* run/shim_spawn.h */
	/* what a crash or kill -9 left half-done; processes before routing */
	recover_start(c, st);
	if (router_start(c, st, &started, err, sizeof(err)) == -1)
		log_warnx("router: %s (apps are not reachable over HTTP until"
		    " this is fixed; berth serve tries again; pushes still work;"
		    " draining processes are kept)", err);
	else
		recover_routed(c, st);
	testpoint_arm(c);
	store_close(st);
	if ((webfd = web_listen(c, err, sizeof(err))) == -1 && err[0] != '\0') {
		log_warnx("dashboard: %s", err);
		return 1;
	}
	/* forked children open their own libgit2 and sqlite state */
	git_libgit2_shutdown();
	/* from now on, what dies is repaired (run/reconcile.h) */
	if ((rec = malloc(sizeof(*rec))) == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	reconcile_init(rec, c);
	chores = (struct gitd_chores){ reconcile_tick, reconcile_reaped,
	    reconcile_stop, rec };
	/* and beside the repairs, the disk upkeep (gitd/gitd_upkeep.h) */
	if ((up = malloc(sizeof(*up))) == NULL) {
		log_warnx("out of memory");
		free(rec);
		return 1;
	}
	upkeep_chore_init(up, c, &chores, &more);
	/* and the dashboard's endpoint (web/web_proc.h), when there is one */
	if ((web = malloc(sizeof(*web))) == NULL) {
		log_warnx("out of memory");
		free(up);
		free(rec);
		return 1;
	}
	web_chore_init(web, c, webfd, &more, &all);
	rc = gitd_serve(c, &all);
	free(web);
	free(up);
	free(rec);
	return rc;
}
