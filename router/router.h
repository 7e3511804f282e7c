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
#define ROUTE_PAGE_MAX 8192 /* a maintenance page, bytes */

struct route {
	char app[STORE_NAME_MAX];
	int release;
	char *domains[ROUTE_DOMAINS_MAX]; /* malloc'd, at most DOMAIN_MAX */
	size_t ndomains;
	char static_root[PATH_MAX]; /* absolute, "" unless a static site */
	int ports[ROUTE_PORTS_MAX];
	size_t nports;
	int upstream; /* the app's stable upstream port, 0: none yet */
	char *page; /* maintenance:on: the 503 page (malloc'd), else NULL */
	char dial[PATH_MAX]; /* "" or berth's own endpoint ([dashboard]
	                      * listen: a socket path or loopback
	                      * address:port), for the route ROUTE_DASHBOARD */
};

/* The dashboard's route ([dashboard] host to [dashboard] listen) is named
 * so: no app can be (core/names.h), so neither can its files. */
#define ROUTE_DASHBOARD "_dashboard"

struct routes {
	struct route *v;
	size_t n;
};

/* Everything routable; app `show` (if not NULL) at release `at`. */
int routes_collect(const struct conf *c, struct store *st, const char *show,
    int at, struct routes *out, char *err, size_t errlen);
void routes_free(struct routes *r);
/* Free what one route holds (its domains and page), not the route. */
void route_release(struct route *r);

/* The 503 page of an app in maintenance (router_page.c): its release's
 * maintenance.html, or berth's; printable text and newlines only, at most
 * ROUTE_PAGE_MAX bytes; *page is malloc'd.  0 or -1 (out of memory). */
int router_page_load(const struct conf *c, const char *app, int release,
    char **page);

/* Render, validate, apply; with show, app `show` is first recorded as live
 * at release `at` (and put back if the proxy rejects the result).  0, or -1
 * with the reason in err. */
int router_update(const struct conf *c, struct store *st, const char *show,
    int at, char *err, size_t errlen);

/* Managed mode: start the proxy with the current state if it is not
 * running (*started = 1), else apply the current state.  Unmanaged: just
 * apply.  The proxy is started only where nobody else listens on
 * http_listen, and must be the only listener there after; the errors say
 * who holds it, or why the proxy did not start (from its own log).  0 or
 * -1 with err. */
int router_start(const struct conf *c, struct store *st, int *started,
    char *err, size_t errlen);

/* Managed mode: the pid of the running proxy, 0 when it is not running.
 * Unmanaged: 0. */
pid_t router_pid(const struct conf *c);

/* Leftovers of proxy work by processes that are gone (nginx's staging
 * dirs), for every back end: one kind may have been switched for another.
 * Crash recovery calls this at start. */
void router_sweep(const struct conf *c);

/*
 * A back end: one per proxy, all in one table (router_backends.c),
 * picked by [router] kind.  The names are conf/conf.h's
 * conf_router_kinds, the list the config is checked against;
 * tests/unit/test_render.c checks that each has a back end.
 *   apply  render routes r, have the proxy validate them, switch to them
 *   start  start the managed proxy with r (it is not running)
 *   pid    the managed proxy's pid, 0 when it is not running
 *   sweep  remove leftovers of processes that are gone (NULL: none)
 * apply and start: 0, or -1 with the reason in err.
 */
struct router_backend {
	const char *name;
	int (*apply)(const struct conf *c, const struct routes *r, char *err,
	    size_t errlen);
	int (*start)(const struct conf *c, const struct routes *r, char *err,
	    size_t errlen);
	pid_t (*pid)(const struct conf *c);
	void (*sweep)(const struct conf *c);
};

/* The back end called name, or NULL. */
const struct router_backend *router_backend_find(const char *name);
/* The back end of [router] kind (never NULL: conf_load checked it). */
const struct router_backend *router_backend(const struct conf *c);

extern const struct router_backend router_caddy;  /* router_caddy.c */
extern const struct router_backend router_nginx;  /* router_nginx.c */

/*
 * The renderers, pure (no files, no processes), public for the golden
 * tests (tests/unit/test_render.c).  caddy_render: the whole JSON config
 * Caddy gets for routes r (malloc'd), or NULL.  nginx_render_site: the
 * file sites/APP.conf for one route; nginx_render_main: the main config of
 * a managed nginx whose prefix is dir and whose sites are in sites.  Both
 * return the length written into out, or -1 if len is too small.
 */
char *caddy_render(const struct conf *c, const struct routes *r);
int nginx_render_site(const struct conf *c, const struct route *r, char *out,
    size_t len);
int nginx_render_main(const struct conf *c, const char *dir,
    const char *sites, char *out, size_t len);
/* SIGHUP to the managed nginx's master, then wait (at most 3 s) until no
 * old worker takes new requests (router_nginx_reload.c).  -1 only if the
 * signal cannot be sent. */
int nginx_reload_master(pid_t master, char *err, size_t errlen);

/*
 * The staging of an nginx apply (router_nginx_stage.c).  nginx_stage:
 * in stg/sites, the file of each app of r whose rendering differs from
 * sites/ (fresh[i] set, counted in nfresh), and stg/list/sites.conf, which
 * includes by name every file the live config will hold (the fresh ones
 * from stg/sites); stale counts berth's files of apps r no longer routes.
 * 0, or -1 with errno set.  nginx_stage_install: rename the fresh files
 * into sites and remove the stale ones.  nginx_applied: 1 if the last
 * apply reached nginx (base/applied); mark sets or clears that.
 */
struct nginx_stage {
	unsigned char *fresh; /* one per route */
	size_t *order;        /* the routes' indexes sorted by app name */
	size_t nfresh;
	size_t stale;
};
int nginx_stage(const struct conf *c, const struct routes *r,
    const char *sites, const char *stg, struct nginx_stage *s);
int nginx_stage_install(const struct routes *r, const struct nginx_stage *s,
    const char *sites, const char *stg, char *err, size_t errlen);
void nginx_stage_free(struct nginx_stage *s);
int nginx_applied(const char *base);
int nginx_applied_mark(const char *base, int applied);

/* Listeners (router_listen.c): the processes listening on addr:port (a
 * wildcard address on that port counts), at most max.  A socket whose
 * holder berth cannot see (another user's, when not root) has pid 0.  0,
 * or -1 when addr is not a numeric address. */
struct holder {
	pid_t pid;
	uid_t uid;        /* the socket's owner */
	char cmd[200];    /* its command line, arguments joined by spaces */
};
#define HOLDERS_MAX 32
int router_holders(const char *addr, int port, struct holder *out,
    size_t max, size_t *n);
/* "pid 123 (caddy run --config ...)" */
void router_holder_describe(const struct holder *h, char *out, size_t len);
/* The command line of pid, arguments joined by spaces ("?" if gone). */
void router_cmdline(pid_t pid, char *out, size_t len);
/* 1 when process pid has path open (e.g. nginx's error log). */
int router_holds_file(pid_t pid, const char *path);
/* Send sig, wait up to seconds for pid to go, then SIGKILL. */
void router_kill_wait(pid_t pid, int sig, int seconds);
/* Before a start: refuse (-1 with err naming the holder) when anyone
 * listens on http_listen.  After it: -1 unless only the processes that
 * ours(pid, arg) accepts listen there. */
int router_listen_free(const struct conf *c, const char *proxy, char *err,
    size_t errlen);
int router_listen_ours(const struct conf *c, const char *proxy,
    int (*ours)(pid_t, void *), void *arg, char *err, size_t errlen);

/* The live process (not a zombie) whose pid is in pidfile, or 0.  With
 * owner other than
 * (uid_t)-1, only a process of that real uid counts (the file is in a
 * directory that uid can write: it cannot name someone else's process). */
pid_t router_pidfile(const char *pidfile, uid_t owner);

/* 1 when pid is alive (a zombie is not). */
int router_alive(pid_t pid);

/* Run a program (no shell), collecting its output. 0 when it exited 0. */
int router_run(char *const argv[], char *out, size_t outlen);

/* Run a command that starts a daemon (`caddy start`, `nginx`): in a new
 * session, output appended to logfile, nothing killed afterwards.  0 when
 * the command exited 0; else -1 with the cause in err: the first error
 * line it wrote to its log this time (Caddy's "Error: ..." or a JSON
 * entry of level error, nginx's "[emerg]"), not just the last line.  With
 * who, it runs as that identity (ident_drop). */
int router_daemon(char *const argv[], const char *logfile,
    const struct ident *who, char *err, size_t errlen);

#endif
