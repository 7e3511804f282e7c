/*
 * serve.c - berth serve: the daemon's start.  Before it takes connections
 * it settles the data dir, follows a changed app_uid_base, repairs what a
 * crash left (run/recover.h), starts the router, and binds the SSH and
 * dashboard sockets; then it execs the front process (cmd/front.c, the
 * same pid), which accepts and runs the chores, and starts the full
 * berth again for each connection and pass (core/childexec.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/childexec.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/path.h"
#include "core/testpoint.h"
#include "gitd/gitd_listen.h"
#include "router/router.h"
#include "run/recover.h"
#include "run/shim_spawn.h"
#include "web/web_proc.h"

/* DATA/serve.started: when this daemon started, for `status`. */
static void
stamp_start(const struct conf *c)
{
	char path[PATH_MAX];
	FILE *f;

	if (datadir_path(c->data_dir, "serve.started", path,
	    sizeof(path)) == -1 ||
	    (f = fopen(path, "we")) == NULL)
		return;
	fprintf(f, "%lld\n", (long long)time(NULL));
	fclose(f);
}

/* The sockets the front takes over: SSH's, and the dashboard's (-1: off).
 * 0, or -1 (logged). */
static int
bind_sockets(const struct conf *c, int *lfd, int *webfd)
{
	char err[ERR_MAX];
	ssh_bind bind;

	/* the host key loads here, so that a bad one stops the start */
	if ((bind = gitd_bind(c, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	ssh_bind_free(bind);
	if ((*lfd = gitd_listen(c, err, sizeof(err))) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	if ((*webfd = web_listen(c, err, sizeof(err))) == -1 &&
	    err[0] != '\0') {
		log_warnx("dashboard: %s", err);
		close(*lfd);
		return -1;
	}
	return 0;
}

/* This process's own command line as an argv (in buf): the front keeps
 * it, so ps and pkill see the `berth serve` that the operator started.
 * NULL if it cannot be read. */
static char **
own_argv(char *buf, size_t len, char **argv, size_t max)
{
	ssize_t n;
	size_t k = 0;
	int fd;

	if ((fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (char *p = buf; p < buf + n && k + 1 < max; p += strlen(p) + 1)
		argv[k++] = p;
	argv[k] = NULL;
	return argv;
}

/* Exec the front (cmd/front.c) with the sockets, the binary and c, under
 * this process's command line.  Returns only on failure (logged). */
static void
exec_front(const struct conf *c, int lfd, int webfd)
{
	struct childexec x;
	char err[ERR_MAX], front[PATH_MAX], fds[64], cmdline[4096];
	char *argv[32];

	if (childexec_open(&x, c, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return;
	}
	if (path_beside_berth("berth-serve", front, sizeof(front)) == -1) {
		log_warn("cannot find berth-serve beside berth");
		return;
	}
	snprintf(fds, sizeof(fds), "%d,%d,%d,%d", x.berth_fd, x.conf_fd, lfd,
	    webfd);
	if (own_argv(cmdline, sizeof(cmdline), argv, 32) == NULL) {
		argv[0] = (char *)"berth-serve";
		argv[1] = NULL;
	}
	if (setenv(FRONT_FDS_ENV, fds, 1) == -1 ||
	    fcntl(x.berth_fd, F_SETFD, 0) == -1 ||
	    fcntl(x.conf_fd, F_SETFD, 0) == -1 ||
	    fcntl(lfd, F_SETFD, 0) == -1 ||
	    (webfd != -1 && fcntl(webfd, F_SETFD, 0) == -1)) {
		log_warn("cannot hand the sockets on");
		return;
	}
	execv(front, argv);
	log_warn("cannot start %s", front);
}

int
cmd_serve(struct conf *c, int argc, char **argv, const char *note)
{
	struct store *st;
	char err[ERR_MAX], packs[PATH_MAX + 256];
	int created = 0, keys = 0, started, lfd, webfd;

	(void)argc, (void)argv;
	log_init("berth serve", getenv("BERTH_DEBUG") != NULL);
	if (cmd_prepare(c, &st, &created) == -1)
		return 1;
	if (datadir_buildpacks(c, packs, sizeof(packs), err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		store_close(st);
		return 1;
	}
	if (note[0] != '\0')
		log_info("%s", note);
	if (packs[0] != '\0')
		log_info("%s", packs);
	if (created)
		log_info("created host key %s", c->host_key);
	if (store_admin_count(st, &keys) == 0 && keys == 0)
		log_warnx("no admin key yet: run 'berth init --admin-key FILE'");
	stamp_start(c);
	/* the apps' files and processes follow a changed app_uid_base */
	if (uidbase_follow(c, st, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		store_close(st);
		return 1;
	}
	upstream_migrate_req(); /* run/shim_spawn.h */
	/* what a crash or kill -9 left half-done; processes before routing */
	recover_start(c, st);
	if (router_start(c, st, &started, err, sizeof(err)) == -1)
		log_warnx("router: %s (apps are not reachable over HTTP until"
		    " this is fixed; berth serve tries again; pushes still work;"
		    " draining processes are kept)", err);
	else
		recover_routed(c, st);
	testpoint_arm(c);
	store_close(st);
	if (bind_sockets(c, &lfd, &webfd) == -1)
		return 1;
	exec_front(c, lfd, webfd);
	return 1;
}
