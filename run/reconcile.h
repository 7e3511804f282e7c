/*
 * reconcile.h - berth serve's repairs: desired state in sqlite
 * against what runs.  The daemon's front process (cmd/front.c) runs the
 * repairs' clock from its poll loop and starts one pass at a time, a
 * process of its own, which:
 *   - restarts the managed proxy when it is not running, with the whole
 *     routing table (router_start: nobody else may hold http_listen);
 *   - revives the supervisor (shim) of every routed process whose shim is
 *     gone, on the same port, unless the process crashed for good;
 *   - with HTTPS on, keeps the certificates (tls_pass, router_tls.h):
 *     certbot for nginx, and a re-render when a certificate appeared or
 *     was renewed;
 * and records each repair (the `repairs` table, shown by `status`) and
 * logs it.  An app whose lock is held (a push, a rollback, a ps command)
 * is left alone until the next pass; an app the user stopped has no
 * process rows, so nothing of it is started.  A proxy that fails to start
 * is tried again after 1, 2, 4 ... 30 s.
 *
 * When a pass runs: the pass tells the daemon, on a pipe, the pids of
 * what it found running (the proxy, every routed process's supervisor:
 * "watch PID" lines) and whether something waits ("again": a busy app, a
 * revive that needs a look), then "end".  The daemon watches those pids with pidfds,
 * so a death starts a pass at once (within RECONCILE_GAP_MS of the last)
 * instead of at the next poll; otherwise a pass runs RECONCILE_SOON_MS
 * after a connection ends, RECONCILE_INTERVAL_MS after one that said
 * "again" (or could not say), and every RECONCILE_IDLE_MS when all is
 * well (certificates, anything a pidfd cannot see).  So an idle daemon
 * starts a pass every few seconds, not twice a second.
 */
#ifndef BERTH_HOOKS_RECONCILE_H
#define BERTH_HOOKS_RECONCILE_H

#include <sys/types.h>

#include "conf/conf.h"
#include "core/childexec.h"

#define RECONCILE_INTERVAL_MS 500  /* after a pass that said "again" */
#define RECONCILE_IDLE_MS 5000     /* after a pass that found all well */
#define RECONCILE_SOON_MS 100      /* after a connection ended ... */
#define RECONCILE_GAP_MS 250       /* ... but never closer to the last */
#define RECONCILE_PROXY_BACKOFF 30 /* seconds between failed starts, at most */
#define RECONCILE_WATCH_MAX 4096   /* pids watched at once */
#define RECONCILE_OUT_MAX (RECONCILE_WATCH_MAX * 16) /* a pass's words */

/* The daemon's side of the repairs (one per berth serve). */
struct reconcile {
	const struct childexec *x; /* how a pass is started */
	pid_t child;               /* the pass running now, 0 if none */
	int ep;                    /* epoll: the pidfds and the pass's pipe */
	int out;                   /* the running pass's pipe, -1 if none */
	char *said;                /* what it wrote (RECONCILE_OUT_MAX) */
	size_t nsaid;
	int *watch;                /* pidfds watched (RECONCILE_WATCH_MAX) */
	size_t nwatch;
	long long last_ms;         /* when the last pass started */
	long long next_ms;         /* when the next pass may start */
	long long proxy_retry_ms;  /* no proxy start before this */
	int proxy_fails;           /* failed proxy starts in a row */
};

/* Set r up.  0, or -1 (out of memory or of fds: logged).  r->ep is the
 * fd for the daemon's poll: readable when reconcile_tick has work. */
int reconcile_init(struct reconcile *r, const struct childexec *x);

/* From the daemon's poll loop: note what ended and what a pass said,
 * start a pass if one is due.  Returns the milliseconds until it wants
 * to be called again. */
int reconcile_tick(void *r);

/* The daemon reaped pid: 1 when it was a pass (what it said is taken
 * in, its outcome noted), else 0 (a connection ended: a pass runs soon,
 * unless no_login says it never logged in). */
int reconcile_reaped(void *r, pid_t pid, int status, int no_login);

/* On shutdown: wait for a pass that is still running. */
void reconcile_stop(void *r);

/* One pass, in the calling process: repairs, each recorded and logged.
 * may_start_proxy 0 skips a proxy start (backing off); first_failure 1
 * records a failed start in the repairs table (later ones of the same
 * streak are only logged); out_fd (-1: none) gets the "watch PID",
 * "again" and "end" lines and is closed.  Returns what became of the proxy: */
#define RECONCILE_PROXY_OK 0      /* running, started, or not managed */
#define RECONCILE_PROXY_FAILED 2  /* not running, and the start failed */
#define RECONCILE_PROXY_WAITING 3 /* not running; not tried (backing off) */
int reconcile_pass(const struct conf *c, int may_start_proxy,
    int first_failure, int out_fd);

#endif
