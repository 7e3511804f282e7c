/*
 * uidbase.c - a change of [server] app_uid_base, handled when berth
 * serve starts (before anything of the apps or the proxy starts).
 *
 * As root, an app runs as app_uid_base + its id and builds as that plus
 * IDENT_BUILD_OFFSET, and its files follow: its releases are root's with
 * the app's group, its cache is the builds' uid's; the
 * managed Caddy runs as app_uid_base itself and owns its home (core/
 * ident.h).  The base those files belong to is recorded in sqlite
 * (settings "app_uid_base").  When the config names another base, berth
 * moves them, app by app under the app's lock (a push in progress is
 * waited for): it stops the app's supervisors (their rows stay, so the
 * recovery that follows starts them again as the new uid, on the same
 * ports), kills what still runs as the old uid, and renumbers the app's
 * release and cache trees; then it stops the old Caddy and renumbers its
 * home.  Only then is the new base recorded, so a crash half-way makes
 * the next start do it again (the walks are idempotent).  A new range of
 * uids that overlaps the old one is refused, with what to do: the two
 * could not be told apart.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/ident.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "core/path.h"
#include "run/recover.h"
#include "run/procs.h"
#include "router/router.h"

#define UIDBASE_SETTING "app_uid_base"

struct move {
	const struct conf *c;
	struct conf old;  /* the config as the files know it: the old base */
	struct store *st;
	int64_t max_id;
	char err[PATH_MAX + 256];
};

static int
max_id(void *arg, const struct app_rec *a)
{
	struct move *m = arg;

	if (a->id > m->max_id)
		m->max_id = a->id;
	return 0;
}

static int
halt_one(void *arg, const struct proc_rec *p)
{
	struct move *m = arg;
	char app[STORE_NAME_MAX];

	if (store_app_name(m->st, p->app_id, app, sizeof(app)) == 0)
		proc_halt(m->c, app, p);
	return 0;
}

static void
waiting(void *arg, const char *busy)
{
	log_info("app_uid_base: waiting for '%s' (%s)", (const char *)arg, busy);
}

/* Give tree DATA/apps/APP/SUB from one identity to the other. */
static int
move_tree(struct move *m, const struct app_rec *a, const char *sub,
    const struct ident *from, const struct ident *to)
{
	char dir[PATH_MAX];

	if (datadir_app_part(m->c->data_dir, a->name, sub, dir,
	    sizeof(dir)) == -1 || ident_move_tree(dir, from, to) == -1) {
		snprintf(m->err, sizeof(m->err), "cannot give '%.*s' from uid %lu"
		    " to uid %lu: %m", PATH_MAX, dir, (unsigned long)from->uid,
		    (unsigned long)to->uid);
		return -1;
	}
	return 0;
}

/* One app's processes stopped, its trees renumbered: the releases carry
 * the app's group, the cache belongs to its builds' uid. */
static int
move_app(void *arg, const struct app_rec *a)
{
	struct move *m = arg;
	struct ident from, to, bfrom, bto;
	char err[ERR_MAX], holder[APPLOCK_WHAT_MAX];
	int lock, rc = 0;

	snprintf(holder, sizeof(holder), "berth serve moving app_uid_base");
	if ((lock = applock_take(m->c, a->name, holder, waiting,
	    (void *)a->name, err, sizeof(err))) == -1) {
		snprintf(m->err, sizeof(m->err), "%s", err);
		return 1;
	}
	ident_of_app(&m->old, a->id, &from);
	ident_of_app(m->c, a->id, &to);
	ident_of_build(&m->old, a->id, &bfrom);
	ident_of_build(m->c, a->id, &bto);
	if (store_proc_each(m->st, a->id, NULL, halt_one, m) == -1 ||
	    ident_kill_all(&from) == -1 || ident_kill_all(&bfrom) == -1)
		log_warn("app_uid_base: cannot stop everything of '%s' (uid %lu)",
		    a->name, (unsigned long)from.uid);
	if (move_tree(m, a, "releases", &from, &to) == -1 ||
	    move_tree(m, a, "cache", &bfrom, &bto) == -1)
		rc = 1;
	if (rc == 0)
		log_info("app_uid_base: '%s' now runs as uid %lu (was %lu)",
		    a->name, (unsigned long)to.uid, (unsigned long)from.uid);
	close(lock);
	return rc;
}

/* The old base's Caddy stopped, its home renumbered. */
static int
move_proxy(struct move *m)
{
	char home[PATH_MAX], pidf[PATH_MAX];
	struct ident from, to;
	pid_t pid;

	ident_of_proxy(&m->old, &from);
	ident_of_proxy(m->c, &to);
	if (pathf(home, sizeof(home), "%s/caddy/home",
	    m->c->router_config_dir) == -1 ||
	    pathf(pidf, sizeof(pidf), "%s/caddy.pid", home) == -1)
		return -1;
	if ((pid = router_pidfile(pidf, from.uid)) != 0) {
		log_info("app_uid_base: stopping the Caddy of uid %lu (pid %ld)",
		    (unsigned long)from.uid, (long)pid);
		router_kill_wait(pid, SIGTERM, 5);
	}
	if (ident_move_tree(home, &from, &to) == -1) {
		snprintf(m->err, sizeof(m->err), "cannot give '%.*s' from uid %lu"
		    " to uid %lu: %m", PATH_MAX, home, (unsigned long)from.uid,
		    (unsigned long)to.uid);
		return -1;
	}
	return 0;
}

/* Do the uids of bases a and b (apps at base + id, their builds at base +
 * IDENT_BUILD_OFFSET + id, ids up to max) share any uid? */
static int
overlaps(long long a, long long b, int64_t max)
{
	const long long off = IDENT_BUILD_OFFSET;

	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++) {
			long long lo1 = a + i * off, lo2 = b + k * off;
			if (lo1 <= lo2 + max && lo2 <= lo1 + max)
				return 1;
		}
	return 0;
}

static int
record(struct store *st, int base, char *err, size_t errlen)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", base);
	if (store_setting_set(st, UIDBASE_SETTING, v) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	return 0;
}

int
uidbase_follow(const struct conf *c, struct store *st, char *err,
    size_t errlen)
{
	struct move *m;
	char v[32];
	long long v64;
	int rc, old;

	if ((rc = store_setting_get(st, UIDBASE_SETTING, v, sizeof(v))) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	if (rc != 0)
		old = c->app_uid_base;
	else
		old = num_parse(v, 0, INT32_MAX, &v64) == 0 ? (int)v64 : 0;
	if (old == c->app_uid_base || geteuid() != 0)
		return rc == 0 && old == c->app_uid_base ? 0 :
		    record(st, c->app_uid_base, err, errlen);
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->c = c;
	m->old = *c;
	m->old.app_uid_base = old;
	m->st = st;
	rc = -1;
	if (store_app_each(st, max_id, m) == -1)
		snprintf(err, errlen, "%s", store_error(st));
	else if (overlaps(old, c->app_uid_base, m->max_id))
		snprintf(err, errlen, "[server] app_uid_base changed from %d to"
		    " %d, but the apps use uids %d to %lld: the new range"
		    " overlaps the old one.  Set it back to %d, or to a base"
		    " below %lld or above %lld", old, c->app_uid_base, old,
		    (long long)old + m->max_id, old, (long long)old - m->max_id,
		    (long long)old + m->max_id);
	else {
		log_info("app_uid_base changed from %d to %d: moving the apps'"
		    " files and processes to the new uids", old, c->app_uid_base);
		if (store_app_each(st, move_app, m) == -1 || m->err[0] != '\0' ||
		    move_proxy(m) == -1)
			snprintf(err, errlen, "[server] app_uid_base changed from %d"
			    " to %d, and moving the files failed: %s.  Fix that and"
			    " start again, or set app_uid_base back to %d", old,
			    c->app_uid_base, m->err[0] ? m->err : store_error(st),
			    old);
		else
			rc = record(st, c->app_uid_base, err, errlen);
	}
	free(m);
	return rc;
}
