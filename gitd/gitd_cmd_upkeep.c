/*
 * gitd_cmd_upkeep.c - disk upkeep on demand: `apps:gc APP` repacks the
 * app's repository now (gitd/gitd_gc.h; berth serve also does it by itself
 * once gc_auto_packs packs pile up), `apps:purge-cache APP` empties its
 * build cache (core/upkeep.h).  Both hold the app's lock, so they never
 * overlap a push, a rollback or each other.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/path.h"
#include "core/upkeep.h"
#include "gitd/gitd_dispatch.h"
#include "gitd/gitd_gc.h"

static void
lock_waiting(void *arg, const char *busy)
{
	struct gitd_ctx *g = arg;

	gitd_errorf(g, "berth: app '%s' is busy: %s; waiting for it to finish"
	    " (at most %d s)", g->app.name, busy, g->conf->lock_timeout);
}

static int
take_lock(struct gitd_ctx *g, const char *what)
{
	char holder[APPLOCK_WHAT_MAX], err[512];
	int fd;

	gitd_holder(g, what, holder, sizeof(holder));
	if ((fd = applock_take(g->conf, g->app.name, holder, lock_waiting, g,
	    err, sizeof(err))) == -1)
		gitd_errorf(g, "berth: %s", err);
	return fd;
}

int
cmd_apps_gc(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const keys[] = { "app", "packed", "packs_before",
	    "packs_after", "objects", "bytes_before", "bytes_after",
	    "kept_packs", "seconds", NULL };
	struct gc_result r;
	char path[PATH_MAX], err[512];
	json_t *obj;
	int fd, rc;

	(void)argc, (void)argv;
	if (gitd_repo_path(g->conf, g->app.name, path, sizeof(path)) == -1) {
		gitd_errorf(g, "berth: repository path too long");
		return 1;
	}
	if ((fd = take_lock(g, "a gc")) == -1)
		return 1;
	rc = gc_repo(g->conf, path, (long long)g->conf->gc_grace_days * 86400,
	    &r, err, sizeof(err));
	close(fd);
	if (rc == -1) {
		gitd_errorf(g, "berth: gc of '%s' failed: %s", g->app.name, err);
		return 1;
	}
	obj = json_pack("{s:s, s:b, s:i, s:i, s:i, s:I, s:I, s:i, s:f}", "app",
	    g->app.name, "packed", r.packed, "packs_before", (int)r.packs_before,
	    "packs_after", (int)r.packs_after, "objects", (int)r.objects,
	    "bytes_before", (json_int_t)r.bytes_before, "bytes_after",
	    (json_int_t)r.bytes_after, "kept_packs", (int)r.kept, "seconds",
	    r.seconds);
	if (obj == NULL) {
		gitd_errorf(g, "berth: out of memory");
		return 1;
	}
	return gitd_emit_object(g, obj, keys) == 0 ? 0 : 1;
}

int
cmd_apps_purge_cache(struct gitd_ctx *g, int argc, char **argv)
{
	char err[512];
	uint64_t freed = 0;
	int fd, rc;

	(void)argc, (void)argv;
	if ((fd = take_lock(g, "a cache purge")) == -1)
		return 1;
	rc = upkeep_purge_cache(g->conf, g->app.name, &freed, err, sizeof(err));
	close(fd);
	if (rc == -1) {
		gitd_errorf(g, "berth: %s", err);
		return 1;
	}
	gitd_printf(g, "build cache of '%s' cleared (%llu bytes freed)\n",
	    g->app.name, (unsigned long long)freed);
	return 0;
}

/* status: what one app takes on disk. */
json_t *
upkeep_app_json(const struct conf *c, const char *app)
{
	struct app_usage u;

	upkeep_app_usage(c, app, &u);
	return json_pack("{s:s, s:I, s:i, s:I, s:i, s:I, s:I, s:I}", "app", app,
	    "repo_bytes", (json_int_t)u.repo, "packs", u.packs,
	    "releases_bytes", (json_int_t)u.releases, "archives", u.archives,
	    "archives_bytes", (json_int_t)u.archive_bytes, "cache_bytes",
	    (json_int_t)u.cache, "logs_bytes", (json_int_t)u.logs);
}

/* status: the data dir's free space, and whether pushes are refused. */
json_t *
upkeep_disk_json(const struct conf *c)
{
	uint64_t avail = 0, total = 0, db = 0;
	int known = upkeep_free_space(c, &avail, &total) == 0;
	char p[PATH_MAX];

	if (pathf(p, sizeof(p), "%s/berth.db", c->data_dir) == 0)
		db += upkeep_du(p);
	if (pathf(p, sizeof(p), "%s/berth.db-wal", c->data_dir) == 0)
		db += upkeep_du(p);
	return json_pack("{s:s, s:I, s:I, s:I, s:b, s:I}", "data_dir",
	    c->data_dir, "free_bytes", (json_int_t)avail, "total_bytes",
	    (json_int_t)total, "min_free_bytes", (json_int_t)c->min_free_space,
	    "low", known && c->min_free_space > 0 && avail < c->min_free_space,
	    "db_bytes", (json_int_t)db);
}

static long long
num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
human(long long n, char *out, size_t len)
{
	upkeep_human(n < 0 ? 0 : (uint64_t)n, out, len);
}

/* status's lines about the disk: the free space, then one line an app. */
void
upkeep_status_text(struct gitd_ctx *g, json_t *disk, json_t *apps)
{
	char f[16], t[16], r[16], rel[16], a[16], ca[16], l[16];
	json_t *o;
	size_t i;

	human(num(disk, "free_bytes"), f, sizeof(f));
	human(num(disk, "total_bytes"), t, sizeof(t));
	human(num(disk, "db_bytes"), r, sizeof(r));
	gitd_printf(g, "disk:              %s free of %s in %s (berth.db %s)\n",
	    f, t, json_string_value(json_object_get(disk, "data_dir")), r);
	if (json_is_true(json_object_get(disk, "low"))) {
		human(num(disk, "min_free_bytes"), f, sizeof(f));
		gitd_printf(g, "LOW DISK:          pushes are refused below [upkeep]"
		    " min_free_space (%s); free space (apps:gc APP,"
		    " apps:purge-cache APP) or lower min_free_space\n", f);
	}
	json_array_foreach(apps, i, o) {
		human(num(o, "repo_bytes"), r, sizeof(r));
		human(num(o, "releases_bytes"), rel, sizeof(rel));
		human(num(o, "archives_bytes"), a, sizeof(a));
		human(num(o, "cache_bytes"), ca, sizeof(ca));
		human(num(o, "logs_bytes"), l, sizeof(l));
		gitd_printf(g, "  %-16s repo %s (%lld packs), releases %s, archives"
		    " %s (%lld), cache %s, logs %s\n", json_string_value(
		    json_object_get(o, "app")), r, num(o, "packs"), rel, a,
		    num(o, "archives"), ca, l);
	}
}
