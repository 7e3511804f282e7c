/*
 * front.c - berth-serve, the front process of `berth serve`: a program
 * of its own, static and libc only, so that the idle daemon maps none of
 * berth's heavy libraries (libssh, libgit2, sqlite, OpenSSL...).
 *
 * berth serve (cmd/serve.c) settles the data dir, repairs, starts the
 * router, binds the SSH and dashboard sockets, then execs this under its
 * own command line (ps and pkill still see `berth serve`), with
 *     BERTH_FRONT_FDS=BERTH_FD,CONF_FD,LISTEN_FD,WEB_FD
 * in the environment (the berth binary held open, the daemon's config in
 * a sealed memfd, the two sockets; WEB_FD -1 when the dashboard is off);
 * the front removes it, so no child sees it.  From then on
 * the same pid runs gitd/gitd_server.h's loop with the daemon's chores:
 * the repairs (run/reconcile.h), the disk upkeep (gitd/gitd_upkeep.h),
 * the scheduled jobs (gitd/gitd_cron.h) and the dashboard's endpoint
 * (web/web_proc.h).  Each connection and each chore pass is a fork that
 * execs berth (core/childexec.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/childexec.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "gitd/gitd_cron.h"
#include "gitd/gitd_server.h"
#include "gitd/gitd_upkeep.h"
#include "run/reconcile.h"
#include "web/web_proc.h"

/* What gitd_serve runs between connections, each wrapping the one before:
 * the repairs, the disk upkeep, the scheduled jobs and the dashboard's
 * endpoint (when there is one). */
struct serve_chores {
	struct reconcile rec;
	struct upkeep_chore up;
	struct cron_chore cr;
	struct web_chore web;
	struct gitd_chores reconcile, upkeep, cron;
};

static int
serve_chores_init(struct serve_chores *sc, const struct conf *c,
    const struct childexec *x, int webfd, struct gitd_chores *all)
{
	if (reconcile_init(&sc->rec, x) == -1)
		return -1;
	sc->reconcile = (struct gitd_chores){ reconcile_tick, reconcile_reaped,
	    reconcile_stop, &sc->rec, sc->rec.ep };
	upkeep_chore_init(&sc->up, c, x, &sc->reconcile, &sc->upkeep);
	cron_chore_init(&sc->cr, x, &sc->upkeep, &sc->cron);
	web_chore_init(&sc->web, c, x, webfd, &sc->cron, all);
	return 0;
}

/* The next fd of the list at *s, made close-on-exec (-1 stays -1);
 * -2 if bad. */
static int
take_fd(char **s)
{
	char *comma = strchr(*s, ',');
	long long n;

	if (comma != NULL)
		*comma = '\0';
	if (num_parse(*s, -1, 65535, &n) == -1)
		return -2;
	*s = comma != NULL ? comma + 1 : *s + strlen(*s);
	if (n >= 0 && fcntl((int)n, F_SETFD, FD_CLOEXEC) == -1)
		return -2;
	return (int)n;
}

int
main(void)
{
	static struct conf conf; /* the daemon's, as berth serve settled it */
	struct serve_chores sc;
	struct gitd_chores all;
	struct childexec x;
	char err[ERR_MAX], fds[64], *p = fds;
	const char *env = getenv(FRONT_FDS_ENV);
	int lfd, webfd;

	log_init("berth serve", getenv("BERTH_DEBUG") != NULL);
	if (env == NULL || snprintf(fds, sizeof(fds), "%s", env) >=
	    (int)sizeof(fds) || unsetenv(FRONT_FDS_ENV) == -1 ||
	    (x.berth_fd = take_fd(&p)) < 0 || (x.conf_fd = take_fd(&p)) < 0 ||
	    (lfd = take_fd(&p)) < 0 || (webfd = take_fd(&p)) < -1) {
		fprintf(stderr, "berth-serve is started by 'berth serve'\n");
		return 2;
	}
	if (childexec_conf(x.conf_fd, &conf, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	if (serve_chores_init(&sc, &conf, &x, webfd, &all) == -1)
		return 1;
	return gitd_serve(&conf, lfd, &x, &all);
}
