/*
 * swap.c - the zero-downtime swap; see run/swap.h.  Order:
 *   plan      what to start and what to retire (run/plan.c): all of
 *             the release's process types x formation, one type of them,
 *             or only what a scale adds and removes
 *   start     a row (state starting) and a shim per instance; web ones get
 *             a free loopback port and PORT
 *   check     health_wait() on every new instance
 *   promote   one transaction: old running -> draining, new -> running
 *   route     router_update() (not when a partial swap changes no
 *             port; the proxy names the app's stable upstream, so it is
 *             told only when its config changes); on failure promote is
 *             undone
 *   retire    old web processes leave the app's upstream before the push
 *             returns (run/retire.c), then drain and stop by themselves;
 *             a detached process stops the rest after the grace
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/detach.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "core/testpoint.h"
#include "core/path.h"
#include "core/preview.h"
#include "core/vars.h"
#include "run/procfile.h"
#include "run/procs.h"
#include "run/swap.h"
#include "router/router.h"
#include "router/router_tls.h"
#include "run/shim_spawn.h"

static void
sayf(say_fn say, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void retire_old(const struct conf *c, const char *app,
    const struct procset *old);

static void
sayf(say_fn say, void *ctx, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say(ctx, line);
}

/* A free loopback port (the kernel's pick). */
static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd, port = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
stop_plan(const struct conf *c, struct store *st, const struct app_rec *app,
    struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->p[i].id != 0)
			proc_stop(c, st, app->name, &pl->p[i]);
}

static int
start_plan(const struct conf *c, struct store *st, const struct app_rec *app,
    struct plan *pl, int *ready, char *why, size_t whylen)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct proc_rec *p = &pl->p[i];
		if (strcmp(p->type, "web") == 0 && (p->port = free_port()) == 0) {
			snprintf(why, whylen, "no free port: %s", strerror(errno));
			return -1;
		}
		if (store_proc_add(st, p) == -1) {
			snprintf(why, whylen, "%s", store_error(st));
			return -1;
		}
		if (proc_spawn_ready(c, st, app->name, p, p->port ? &ready[i] :
		    NULL, why, whylen) == -1)
			return -1;
	}
	return 0;
}

/* A web process is ready once its shim joined the app's upstream
 * (run/shim_spawn.h); another once it runs (health_wait). */
static int
check_plan(const struct conf *c, const struct app_rec *app, struct plan *pl,
    const int *ready, const char *path, say_fn say, void *ctx, char *why,
    size_t whylen)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct proc_rec *p = &pl->p[i];
		if ((p->port ? shim_wait_ready(c, app->name, p, ready[i], path,
		    c->health_timeout, why, whylen) : health_wait(c, app->name, p,
		    c->health_timeout, why, whylen)) == -1)
			return -1;
		if (p->port)
			sayf(say, ctx, "       %s.%d healthy on port %d", p->type,
			    p->idx, p->port);
		else
			sayf(say, ctx, "       %s.%d running", p->type, p->idx);
	}
	return 0;
}

/*
 * Stop the app's draining processes after the grace period, in a detached
 * process: a push returns now, the old set keeps serving meanwhile.  It is
 * a fresh exec of berth (`berth retire ...`), never a plain fork: SQLite's
 * state must not cross a fork, and the client's socket must not linger.
 */
static void
retire_later(const struct conf *c, const char *app, const int64_t *ids,
    size_t nids, int grace_s)
{
	char grace[16], idbuf[MAX_INSTANCES * 4][24], err[ERR_MAX];
	char *argv[MAX_INSTANCES * 4 + 6];
	size_t argc = 0;

	snprintf(grace, sizeof(grace), "%d", grace_s);
	argv[argc++] = "berth";
	argv[argc++] = "retire";
	argv[argc++] = (char *)c->data_dir;
	argv[argc++] = (char *)app;
	argv[argc++] = grace;
	for (size_t i = 0; i < nids && i < MAX_INSTANCES * 4; i++) {
		snprintf(idbuf[i], sizeof(idbuf[i]), "%lld", (long long)ids[i]);
		argv[argc++] = idbuf[i];
	}
	argv[argc] = NULL;
	if (detach_self(argv, err, sizeof(err)) == -1)
		log_warnx("cannot retire the old processes of '%s': %s", app, err);
}

int
swap_retire_main(const char *data_dir, const char *app, int grace,
    char **ids, int nids)
{
	struct proc_rec p;
	struct store *st;
	struct conf c;
	char db[PATH_MAX], err[256];
	long long id;

	conf_defaults(&c);
	snprintf(c.data_dir, sizeof(c.data_dir), "%s", data_dir);
	sleep((unsigned int)grace);
	if (datadir_db(data_dir, db, sizeof(db)) == -1 ||
	    store_open(&st, db, err, sizeof(err)) == -1)
		return 1;
	/* only the processes this swap replaced: a later swap's old set
	 * gets its own grace period from its own retire */
	for (int i = 0; i < nids; i++)
		if (num_parse(ids[i], 1, INT64_MAX, &id) == 0 &&
		    store_proc_get(st, id, &p) == 0 &&
		    strcmp(p.state, "draining") == 0)
			proc_stop(&c, st, app, &p);
	store_close(st);
	return 0;
}

static int
collect(void *arg, const struct proc_rec *p)
{
	struct procset *ci = arg;

	if (ci->n < sizeof(ci->p) / sizeof(ci->p[0]))
		ci->p[ci->n++] = *p;
	return 0;
}

void
swap_stop_draining(const struct conf *c, struct store *st,
    const struct app_rec *app)
{
	struct procset *ci = calloc(1, sizeof(*ci));

	if (ci == NULL)
		return;
	if (store_proc_each(st, app->id, "draining", collect, ci) == 0)
		for (size_t i = 0; i < ci->n; i++)
			proc_stop(c, st, app->name, &ci->p[i]);
	free(ci);
}

void
swap_retire_left(const struct conf *c, struct store *st,
    const struct app_rec *app)
{
	struct procset *ci = calloc(1, sizeof(*ci));

	if (ci == NULL)
		return;
	if (store_proc_each(st, app->id, "draining", collect, ci) == 0 &&
	    ci->n > 0) {
		log_info("recovery: '%s' has %zu draining process%s; retiring"
		    " them", app->name, ci->n, ci->n == 1 ? "" : "es");
		retire_old(c, app->name, ci);
	}
	free(ci);
}

int
swap_release(const struct conf *c, struct store *st, const struct app_rec *app,
    int version, say_fn say, void *ctx, char *why, size_t whylen)
{
	struct swap_scope all = { NULL, 0 };

	return swap_processes(c, st, app, version, &all, say, ctx, why, whylen);
}

/* The health check path: [health] path, or the app's HEALTHCHECK_PATH. */
static int
health_path(const struct conf *c, const struct vars *vs, const char **path,
    char *why, size_t whylen)
{
	*path = c->health_path;
	if (vars_get(vs, "HEALTHCHECK_PATH") == NULL)
		return 0;
	*path = vars_get(vs, "HEALTHCHECK_PATH");
	if ((*path)[0] != '/' || strlen(*path) > 200 ||
	    strpbrk(*path, "@#\\ \t\r\n") != NULL) {
		snprintf(why, whylen, "HEALTHCHECK_PATH must be a path on the"
		    " app (start with '/', no '@', '#', spaces)");
		return -1;
	}
	return 0;
}

/* Does a set route anything (a web process with a port)? */
static int
has_port(const struct proc_rec *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].port > 0)
			return 1;
	return 0;
}

/* Retire the old set: web processes at once (their relays leave the
 * upstream and hand their connections to the new set, draining for up
 * to [health] grace themselves), others after [health] grace. */
static void
retire_old(const struct conf *c, const char *app, const struct procset *old)
{
	int64_t web[MAX_INSTANCES * 4], other[MAX_INSTANCES * 4];
	size_t nw = 0, no = 0;

	for (size_t i = 0; i < old->n; i++) {
		if (old->p[i].port > 0)
			web[nw++] = old->p[i].id;
		else
			other[no++] = old->p[i].id;
	}
	if (nw > 0) {
		shim_leave(c, app, old->p, old->n);
		retire_later(c, app, web, nw, 0);
	}
	if (no > 0)
		retire_later(c, app, other, no, c->health_grace);
}

/* New set running, old set draining, the router told; -1 undoes it. */
static int
switch_over(const struct conf *c, struct store *st, const struct app_rec *app,
    int version, int route, const struct plan *pl, const struct procset *old,
    char *why, size_t whylen)
{
	int64_t ids[MAX_INSTANCES], oids[MAX_INSTANCES * 4];
	char err[ERR_MAX];

	for (size_t i = 0; i < pl->n; i++)
		ids[i] = pl->p[i].id;
	for (size_t i = 0; i < old->n; i++)
		oids[i] = old->p[i].id;
	if (store_proc_promote(st, ids, pl->n, oids, old->n, 0) == -1) {
		snprintf(why, whylen, "%s", store_error(st));
		return -1;
	}
	testpoint(c, "promoted");
	if (route && router_update(c, st, app->name, version, err,
	    sizeof(err)) == -1) {
		snprintf(why, whylen, "%s", err);
		(void)store_proc_promote(st, ids, pl->n, oids, old->n, 1);
		return -1;
	}
	retire_old(c, app->name, old);
	return 0;
}

int
swap_processes(const struct conf *c, struct store *st,
    const struct app_rec *app, int version, const struct swap_scope *scope,
    say_fn say, void *ctx, char *why, size_t whylen)
{
	struct release_rec rel;
	struct procset *running = NULL, *old = NULL;
	struct plan *pl = NULL;
	struct vars vs;
	const char *path;
	char host[STORE_NAME_MAX + CONF_NAME_MAX + 16], url[sizeof(host) + 32];
	int rc = -1, route, ready[MAX_INSTANCES];

	for (size_t i = 0; i < MAX_INSTANCES; i++)
		ready[i] = -1;
	if (store_release_get(st, app->id, version, &rel) != 0) {
		snprintf(why, whylen, "app '%s' has no release v%d", app->name,
		    version);
		return -1;
	}
	memset(&vs, 0, sizeof(vs));
	if ((pl = calloc(1, sizeof(*pl))) == NULL ||
	    (old = calloc(1, sizeof(*old))) == NULL ||
	    (running = calloc(1, sizeof(*running))) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	/* the set that is live now, of which this swap retires old */
	if (store_proc_each(st, app->id, "running", collect, running) == -1) {
		snprintf(why, whylen, "%s", store_error(st));
		goto out;
	}
	if (vars_load(c, st, app, &vs, why, whylen) == -1 ||
	    health_path(c, &vs, &path, why, whylen) == -1 ||
	    plan_swap(st, app, &rel, scope, running, pl, old, why,
	    whylen) == -1)
		goto out;
	if (pl->n > 0)
		sayf(say, ctx, "-----> Starting %zu process%s of v%d (health check"
		    " %s, timeout %d s)", pl->n, pl->n == 1 ? "" : "es", version,
		    path, c->health_timeout);
	if (start_plan(c, st, app, pl, ready, why, whylen) == -1 ||
	    check_plan(c, app, pl, ready, path, say, ctx, why, whylen) == -1)
		goto fail;
	testpoint(c, "healthy");
	/* a full swap always routes (a static site, a rollback); a partial
	 * one only when it changes the ports */
	route = scope->type == NULL && !scope->scale ? 1 :
	    has_port(pl->p, pl->n) || has_port(old->p, old->n);
	if (switch_over(c, st, app, version, route, pl, old, why, whylen) == -1)
		goto fail;
	if (route && preview_app_host(c, app->name, app->parent_id != 0, host,
	    sizeof(host)) == 0) {
		tls_site_url(c, host, url, sizeof(url));
		sayf(say, ctx, "-----> Routed %s to v%d (%s)", url, version,
		    c->router_kind);
	}
	for (size_t i = 0; i < old->n && (scope->type || scope->scale); i++)
		sayf(say, ctx, "       %s.%d stops after %d s", old->p[i].type,
		    old->p[i].idx, c->health_grace);
	rc = 0;
	goto out;
fail:
	stop_plan(c, st, app, pl);
out:
	for (size_t i = 0; pl != NULL && i < pl->n; i++)
		if (ready[i] >= 0)
			close(ready[i]);
	vars_free(&vs);
	free(running);
	free(old);
	free(pl);
	return rc;
}

int
swap_stop_all(const struct conf *c, struct store *st, const struct app_rec *app,
    char *why, size_t whylen)
{
	struct procset *old = calloc(1, sizeof(*old));
	int64_t oids[MAX_INSTANCES * 4];
	char err[ERR_MAX];
	int rc = -1;

	if (old == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (store_proc_each(st, app->id, "running", collect, old) == -1) {
		snprintf(why, whylen, "%s", store_error(st));
		goto out;
	}
	for (size_t i = 0; i < old->n; i++)
		oids[i] = old->p[i].id;
	if (store_proc_promote(st, NULL, 0, oids, old->n, 0) == -1) {
		snprintf(why, whylen, "%s", store_error(st));
		goto out;
	}
	if (router_update(c, st, NULL, 0, err, sizeof(err)) == -1) {
		(void)store_proc_promote(st, NULL, 0, oids, old->n, 1);
		snprintf(why, whylen, "%s", err);
		goto out;
	}
	swap_stop_draining(c, st, app);
	rc = 0;
out:
	free(old);
	return rc;
}
