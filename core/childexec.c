/*
 * childexec.c - the daemon's config in a sealed memfd, and the fork+exec
 * of the full berth for a connection or a chore pass (see childexec.h).
 * Built into both berth and the static front: libc only.
 */
#include "core/childexec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

#define ARGS_MAX 8

struct conf_header {
	char magic[8];
	uint32_t size;    /* sizeof(struct conf) */
	uint32_t layout;  /* where some of its fields lie: another build of
	                     struct conf with the same size still differs */
};

static uint32_t
conf_layout(void)
{
	return (uint32_t)(offsetof(struct conf, listen_port) * 131 +
	    offsetof(struct conf, router_kind) * 31 +
	    offsetof(struct conf, upkeep_interval) * 7 +
	    offsetof(struct conf, health_path) * 3 +
	    offsetof(struct conf, export_base));
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
childexec_open(struct childexec *x, const struct conf *c, char *err,
    size_t errlen)
{
	struct conf_header h = { "berthcf", sizeof(struct conf),
	    conf_layout() };

	x->conf_fd = -1;
	if ((x->berth_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open berth's own binary: %s",
		    strerror(errno));
		return -1;
	}
	if ((x->conf_fd = memfd_create("berth-conf",
	    MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    write_all(x->conf_fd, &h, sizeof(h)) == -1 ||
	    write_all(x->conf_fd, c, sizeof(*c)) == -1 ||
	    fcntl(x->conf_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		snprintf(err, errlen, "cannot hand the config on: %s",
		    strerror(errno));
		close(x->berth_fd);
		if (x->conf_fd != -1)
			close(x->conf_fd);
		x->berth_fd = x->conf_fd = -1;
		return -1;
	}
	return 0;
}

int
childexec_conf(int fd, struct conf *c, char *err, size_t errlen)
{
	struct conf_header h;
	ssize_t n;

	if ((n = pread(fd, &h, sizeof(h), 0)) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, "berthcf", 8) != 0) {
		snprintf(err, errlen, "fd %d holds no berth config", fd);
		return -1;
	}
	if (h.size != sizeof(*c) || h.layout != conf_layout()) {
		snprintf(err, errlen, "the daemon's config comes from another"
		    " build of berth (restart berth serve after an upgrade)");
		return -1;
	}
	if ((n = pread(fd, c, sizeof(*c), sizeof(h))) != (ssize_t)sizeof(*c)) {
		snprintf(err, errlen, "cannot read the daemon's config: %s",
		    n == -1 ? strerror(errno) : "short");
		return -1;
	}
	c->path[sizeof(c->path) - 1] = '\0';
	return 0;
}

/* In the forked child: the fds it keeps, its priority, then berth. */
static void
child_exec(const struct childexec *x, const struct childexec_opts *o,
    char *const argv[])
{
	struct sigaction sa;

	/* the front's handlers write to its wake pipe: not until the exec */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	if (fcntl(x->conf_fd, F_SETFD, 0) == -1)
		_exit(127);
	for (size_t i = 0; i < CHILDEXEC_KEEP_MAX; i++)
		if (o->keep[i] >= 0 && fcntl(o->keep[i], F_SETFD, 0) == -1)
			_exit(127);
	if (o->nice != 0 && setpriority(PRIO_PROCESS, 0, o->nice) == -1)
		_exit(127);
	if (o->die_with_parent &&
	    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		_exit(127);
	fexecve(x->berth_fd, argv, environ);
	_exit(127);
}

pid_t
childexec_spawn(const struct childexec *x, const struct childexec_opts *o,
    const char *const args[])
{
	char conf_fd[16], *argv[ARGS_MAX + 4];
	size_t n = 0;
	pid_t pid;

	snprintf(conf_fd, sizeof(conf_fd), "%d", x->conf_fd);
	argv[n++] = (char *)"berth";
	argv[n++] = (char *)"__child";
	argv[n++] = conf_fd;
	for (size_t i = 0; args[i] != NULL; i++) {
		if (i == ARGS_MAX) {
			errno = E2BIG;
			return -1;
		}
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	if ((pid = fork()) == 0)
		child_exec(x, o, argv);
	return pid;
}
