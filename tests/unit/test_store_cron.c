/*
 * test_store_cron.c - core/store_cron.c on an in-memory sqlite: a job's
 * row before its first run, the claim that keeps a second run out, the
 * takeover of a claim whose holder is gone, the end of a run (only by
 * its holder), rows going with their app, and a deploy's hooks summary.
 */
#include <stdio.h>
#include <string.h>

#include "core/store.h"
#include "unit.h"

static struct store *st;

static void
test_claims(int64_t app)
{
	struct cron_rec r;
	int claimed, holder;

	CHECK(store_cron_get(st, app, "cron-x", &r) == 0 && r.last_exit == -1 &&
	    r.last_run == 0 && r.running_pid == 0);
	CHECK(store_cron_claim(st, app, "cron-x", 100, 0, 1000, &claimed,
	    &holder) == 0 && claimed && holder == 0);
	/* a second run while the first holds it */
	CHECK(store_cron_claim(st, app, "cron-x", 200, 0, 1060, &claimed,
	    &holder) == 0 && !claimed && holder == 100);
	CHECK(store_cron_get(st, app, "cron-x", &r) == 0 && r.last_run == 1000 &&
	    r.running_pid == 100);
	/* a gone holder named wrongly takes nothing over */
	CHECK(store_cron_claim(st, app, "cron-x", 200, 99, 1060, &claimed,
	    &holder) == 0 && !claimed && holder == 100);
	/* only the holder ends the run */
	CHECK(store_cron_done(st, app, "cron-x", 200, 5, 10) == 0);
	CHECK(store_cron_get(st, app, "cron-x", &r) == 0 && r.running_pid == 100 &&
	    r.last_exit == -1);
	/* the holder gone: taken over */
	CHECK(store_cron_claim(st, app, "cron-x", 200, 100, 1120, &claimed,
	    &holder) == 0 && claimed);
	CHECK(store_cron_done(st, app, "cron-x", 200, 3, 1500) == 0);
	CHECK(store_cron_get(st, app, "cron-x", &r) == 0 && r.running_pid == 0 &&
	    r.last_exit == 3 && r.last_ms == 1500 && r.last_run == 1120);
	/* other jobs are apart */
	CHECK(store_cron_claim(st, app, "cron-y", 300, 0, 1200, &claimed,
	    &holder) == 0 && claimed);
	CHECK(store_cron_get(st, app, "cron-x", &r) == 0 && r.running_pid == 0);
}

static void
test_hooks(int64_t app)
{
	char hooks[256];
	int64_t id;

	CHECK(store_deploy_start(st, app, "push", "", &id) == 0);
	CHECK(store_deploy_hooks(st, id, hooks, sizeof(hooks)) == 0 &&
	    hooks[0] == '\0');
	CHECK(store_deploy_hooks_add(st, id, "predeploy exit 0 in 1.00 s") == 0);
	CHECK(store_deploy_hooks_add(st, id, "postdeploy exit 1 in 0.50 s") == 0);
	CHECK(store_deploy_hooks(st, id, hooks, sizeof(hooks)) == 0 &&
	    strcmp(hooks, "predeploy exit 0 in 1.00 s; postdeploy exit 1 in"
	    " 0.50 s") == 0);
	CHECK(store_deploy_hooks(st, id + 100, hooks, sizeof(hooks)) == 0 &&
	    hooks[0] == '\0');
}

int
main(void)
{
	struct app_rec a, b;
	struct cron_rec r;
	char err[256];

	if (store_open(&st, ":memory:", err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot open the store: %s\n", err);
		CHECK(0);
		return unit_done();
	}
	CHECK(store_app_create(st, "shop", &a) == 0);
	CHECK(store_app_create(st, "blog", &b) == 0);
	test_claims(a.id);
	test_hooks(a.id);
	/* the other app's job of the same name is its own */
	CHECK(store_cron_get(st, b.id, "cron-x", &r) == 0 && r.last_exit == -1);
	CHECK(store_app_delete(st, a.id) == 0);
	CHECK(store_cron_get(st, a.id, "cron-y", &r) == 0 && r.running_pid == 0 &&
	    r.last_run == 0);
	store_close(st);
	return unit_done();
}
