/*
 * reconcile.c - berth serve's repairs (see run/reconcile.h).
 *
 * The daemon starts each pass as a process of its own
 * (reconcile_chore.c): a pass may wait (for the router's lock, for Caddy
 * or nginx to start, for a supervisor to exec), and the accept loop must
 * not.  Its exit status tells the daemon whether a proxy start failed, so
 * the next attempt backs off.
 *
 * A pass looks without locks first (the process rows, /proc) and takes an
 * app's lock only when something of it needs a repair, without waiting:
 * an app busy with a push or a ps command is repaired by a later pass.
 */
#include "run/reconcile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/store.h"
#include "run/procs.h"
#include "router/router.h"
#include "router/router_tls.h"

static void
record(struct store *st, const char *app, int ok, const char *what)
{
	if (store_repair_add(st, app, what, ok) == -1)
		log_warnx("cannot record a repair: %s", store_error(st));
}

/* The managed proxy: started again when it is not running. */
static int
repair_proxy(const struct conf *c, struct store *st, int may, int first)
{
	char err[ERR_MAX], what[1200];
	const char *kind = c->router_kind;
	int started = 0;

	if (!c->router_manage || router_pid(c) != 0)
		return RECONCILE_PROXY_OK;
	if (!may)
		return RECONCILE_PROXY_WAITING;
	if (router_start(c, st, &started, err, sizeof(err)) == -1) {
		snprintf(what, sizeof(what), "%s is not running and could not be"
		    " started: %s", kind, err);
		log_warnx("repair: %s", what);
		if (first)
			record(st, NULL, 0, what);
		return RECONCILE_PROXY_FAILED;
	}
	if (started) {
		snprintf(what, sizeof(what), "%s restarted", kind);
		log_info("repair: %s was not running: restarted it (pid %ld)",
		    kind, (long)router_pid(c));
		record(st, NULL, 1, what);
	}
	return RECONCILE_PROXY_OK;
}

struct app_pass {
	const struct conf *c;
	struct store *st;
	const char *app;
	int needed;   /* rows that want a revive (the look before the lock) */
	int locked;   /* the lock is held: revive them */
	FILE *out;    /* what the daemon is told (reconcile.h), or NULL */
	int again;    /* something waits for a later pass */
};

static int
revive_row(void *arg, const struct proc_rec *p)
{
	struct app_pass *ap = arg;
	struct proc_status ps;
	char err[ERR_MAX], what[ERR_MAX + 200];
	int rc;

	if (strcmp(p->state, "running") != 0)
		return 0;
	proc_status(ap->c->data_dir, ap->app, p, &ps);
	if (strcmp(ps.state, "gone") != 0 && strcmp(ps.state, "stopped") != 0) {
		if (!ap->locked && ap->out != NULL && p->shim_pid > 0)
			fprintf(ap->out, "watch %d\n", p->shim_pid);
		return 0;
	}
	if (!ap->locked) {
		ap->needed++;
		return 0;
	}
	if ((rc = proc_revive(ap->c, ap->st, ap->app, p, err,
	    sizeof(err))) == 0)
		return 0;
	ap->again = 1; /* the next pass watches the new supervisor, or
	                  tries again */
	if (rc == 1)
		snprintf(what, sizeof(what), "%s.%d of %s restarted (its supervisor"
		    " was gone)", p->type, p->idx, ap->app);
	else
		snprintf(what, sizeof(what), "%s.%d of %s could not be restarted:"
		    " %s", p->type, p->idx, ap->app, err);
	if (rc == 1)
		log_info("repair: %s", what);
	else
		log_warnx("repair: %s", what);
	record(ap->st, ap->app, rc == 1, what);
	return 0;
}

/* The app's routed processes whose supervisor is gone: revived, under the
 * app's lock when nobody else holds it. */
static int
repair_app(void *arg, const struct app_rec *a)
{
	struct app_pass *all = arg;
	struct app_pass ap = { all->c, all->st, a->name, 0, 0, all->out, 0 };
	char err[ERR_MAX];
	int fd;

	if (store_proc_each(ap.st, a->id, "running", revive_row, &ap) == -1 ||
	    ap.needed == 0)
		return 0;
	if (applock_try(ap.c, a->name, "berth serve's repairs", &fd, err,
	    sizeof(err)) != 1) {
		log_debug("repair: '%s' is busy; next pass", a->name);
		all->again = 1;
		return 0;
	}
	ap.locked = 1;
	if (store_proc_each(ap.st, a->id, "running", revive_row, &ap) == -1)
		log_warnx("repair: %s", store_error(ap.st));
	close(fd);
	all->again |= ap.again;
	return 0;
}

int
reconcile_pass(const struct conf *c, int may_start_proxy, int first_failure,
    int out_fd)
{
	struct app_pass ap = { c, NULL, NULL, 0, 0, NULL, 0 };
	char db[PATH_MAX], err[512] = "data dir path too long";
	pid_t proxy;
	int rc;

	if (out_fd >= 0 && (ap.out = fdopen(out_fd, "w")) == NULL)
		log_warn("repair: cannot tell the daemon what to watch");
	if (datadir_db(c->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&ap.st, db, err, sizeof(err)) == -1) {
		log_warnx("repair: %s", err);
		if (ap.out != NULL)
			fclose(ap.out);
		return 1;
	}
	rc = repair_proxy(c, ap.st, may_start_proxy, first_failure);
	if (ap.out != NULL && c->router_manage && (proxy = router_pid(c)) > 0)
		fprintf(ap.out, "watch %ld\n", (long)proxy);
	if (store_app_each(ap.st, repair_app, &ap) == -1) {
		log_warnx("repair: %s", store_error(ap.st));
		ap.again = 1;
	}
	if (rc == RECONCILE_PROXY_OK)
		tls_pass(c, ap.st); /* certificates (router_tls.h) */
	store_close(ap.st);
	if (ap.out != NULL) {
		if (ap.again)
			fputs("again\n", ap.out);
		fputs("end\n", ap.out);
		if (fclose(ap.out) == EOF)
			log_warn("repair: cannot tell the daemon what to watch");
	}
	return rc;
}
