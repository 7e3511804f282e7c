/*
 * router.h - pointing the reverse proxy (Caddy or nginx) at the apps.
 *
 * What enters: the state in sqlite (apps, their live release, domains, the
 * ports of running web processes), optionally with one app shown at a
 * release that is not live yet (the deploy in progress).  What leaves: the
 * proxy's configuration, validated by the proxy itself before it is used,
 * then applied (Caddy: POST /load of the whole JSON config; nginx: one file
 * per app, nginx -t, rename, reload).  A change that the proxy rejects is
 * not applied and the proxy keeps its old configuration; the caller gets the
 * proxy's own message.  All writers take DATA/locks/router.lock.
 */
#ifndef BERTH_ROUTER_H
#define BERTH_ROUTER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "core/ident.h"
#include "core/store.h"

#define ROUTE_DOMAINS_MAX 64
#define ROUTE_PORTS_MAX 32
#define DOMAIN_MAX 253

struct route {
	char app[STORE_NAME_MAX];
	int release;
	char domains[ROUTE_DOMAINS_MAX][DOMAIN_MAX + 1];
	size_t ndomains;
	char static_root[PATH_MAX]; /* absolute, "" unless a static site */
	int ports[ROUTE_PORTS_MAX];
	size_t nports;
};

struct routes {
	struct route *v;
	size_t n;
};

/* Everything routable; app `show` (if not NULL) at release `at`. */
int routes_collect(const struct conf *c, struct store *st, const char *show,
    int at, struct routes *out, char *err, size_t errlen);
void routes_free(struct routes *r);

/* Render, validate, apply; with show, app `show` is first recorded as live
 * at release `at` (and put back if the proxy rejects the result).  0, or -1
 * with the reason in err. */
int router_update(const struct conf *c, struct store *st, const char *show,
    int at, char *err, size_t errlen);

/* Managed mode: start the proxy if it is not running, then apply the
 * current state.  Unmanaged: just apply.  0 or -1 with err. */
int router_start(const struct conf *c, struct store *st, char *err,
    size_t errlen);

/* Managed mode: stop the proxy berth started. */
void router_stop(const struct conf *c);

/* Back ends (router_caddy.c, router_nginx.c). */
int caddy_apply(const struct conf *c, const struct routes *r, char *err,
    size_t errlen);
int caddy_start(const struct conf *c, char *err, size_t errlen);
void caddy_stop(const struct conf *c);
int nginx_apply(const struct conf *c, const struct routes *r, char *err,
    size_t errlen);
int nginx_start(const struct conf *c, char *err, size_t errlen);
void nginx_stop(const struct conf *c);

/* The live process whose pid is in pidfile, or 0.  With owner other than
 * (uid_t)-1, only a process of that real uid counts (the file is in a
 * directory that uid can write: it cannot name someone else's process). */
pid_t router_pidfile(const char *pidfile, uid_t owner);

/* Run a program (no shell), collecting its output. 0 when it exited 0. */
int router_run(char *const argv[], char *out, size_t outlen);

/* Run a command that starts a daemon (`caddy start`, `nginx`): in a new
 * session, output appended to logfile, nothing killed afterwards.  0 when
 * the command exited 0; else -1 with the end of its log in err.  With who,
 * it runs as that identity (ident_drop). */
int router_daemon(char *const argv[], const char *logfile,
    const struct ident *who, char *err, size_t errlen);

#endif
