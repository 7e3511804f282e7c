/*
 * child.c - `berth __child CONF_FD KIND ARGS...`: one process the front
 * of berth serve (cmd/front.c) starts through core/childexec.h, never a
 * command for people.  It takes the daemon's config from the sealed
 * memfd CONF_FD and runs one of:
 *   conn FD ADDR LOGIN_FD   an SSH connection (gitd/gitd_session.h)
 *   repair MAY FIRST FD     a repair pass (run/reconcile.h), telling
 *                           the daemon on FD what to watch
 *   upkeep FULL             a disk upkeep pass (gitd/gitd_upkeep.h)
 *   cron FROM TO            the scheduled jobs of those minutes
 *   web FD                  the dashboard's endpoint (web/web_proc.h)
 * Every fd it was given is made close-on-exec first: nothing of the
 * daemon reaches a build or an app.  Its exit status is the work's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/childexec.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "gitd/gitd_listen.h"
#include "gitd/gitd_session.h"
#include "gitd/gitd_upkeep.h"
#include "run/cron_sched.h"
#include "run/reconcile.h"
#include "web/web_proc.h"

struct kind {
	const char *name;
	int nargs;
	const char *comm;  /* the process's name in ps */
	int (*run)(struct conf *c, char **args);
};

static int run_conn(struct conf *c, char **args);
static int run_repair(struct conf *c, char **args);
static int run_upkeep(struct conf *c, char **args);
static int run_cron(struct conf *c, char **args);
static int run_web(struct conf *c, char **args);

static const struct kind kinds[] = {
	{ "conn", 3, "berth", run_conn },
	{ "repair", 3, "berth-repair", run_repair },
	{ "upkeep", 1, "berth-upkeep", run_upkeep },
	{ "cron", 2, "berth-cron", run_cron },
	{ "web", 1, "berth-web", run_web },
};

/* An fd named on the command line, made close-on-exec; -1 if bad. */
static int
arg_fd(const char *s)
{
	long long n;

	if (num_parse(s, 0, 65535, &n) == -1 ||
	    fcntl((int)n, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return (int)n;
}

static int
arg_flag(const char *s)
{
	return strcmp(s, "1") == 0;
}

int
cmd_child(struct conf *c, int argc, char **argv, const char *note)
{
	char err[ERR_MAX];
	int fd;

	(void)note;
	log_init("berth serve", getenv("BERTH_DEBUG") != NULL);
	if (argc < 3 || (fd = arg_fd(argv[1])) == -1) {
		log_warnx("__child: no daemon config (berth serve runs this)");
		return 2;
	}
	if (childexec_conf(fd, c, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 2;
	}
	close(fd);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].name, argv[2]) != 0)
			continue;
		if (argc - 3 != kinds[i].nargs)
			break;
		(void)prctl(PR_SET_NAME, kinds[i].comm, 0, 0, 0);
		return kinds[i].run(c, argv + 3);
	}
	log_warnx("__child: bad arguments");
	return 2;
}

static int
run_conn(struct conf *c, char **args)
{
	char err[ERR_MAX];
	ssh_bind bind;
	int fd, login, rc;

	if ((fd = arg_fd(args[0])) == -1 || (login = arg_fd(args[2])) == -1) {
		log_warnx("__child conn: bad fds");
		return 2;
	}
	if ((bind = gitd_bind(c, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		close(fd);
		return 2;
	}
	rc = gitd_session_run(c, bind, fd, args[1], login);
	ssh_bind_free(bind);
	return rc;
}

static int
run_repair(struct conf *c, char **args)
{
	int fd;

	c->test_pause[0] = '\0'; /* repairs never stop at a test point */
	if ((fd = arg_fd(args[2])) == -1) {
		log_warnx("__child repair: bad fd");
		return 2;
	}
	return reconcile_pass(c, arg_flag(args[0]), arg_flag(args[1]), fd);
}

static int
run_upkeep(struct conf *c, char **args)
{
	c->test_pause[0] = '\0';
	return upkeep_pass(c, arg_flag(args[0]));
}

static int
run_cron(struct conf *c, char **args)
{
	long long from, to;

	c->test_pause[0] = '\0';
	if (num_parse(args[0], 0, LLONG_MAX, &from) == -1 ||
	    num_parse(args[1], 0, LLONG_MAX, &to) == -1) {
		log_warnx("__child cron: bad times");
		return 2;
	}
	return cron_pass(c, (time_t)from, (time_t)to);
}

static int
run_web(struct conf *c, char **args)
{
	int fd;

	if ((fd = arg_fd(args[0])) == -1) {
		log_warnx("__child web: bad fd");
		return 2;
	}
	return web_proc_main(c, fd);
}
