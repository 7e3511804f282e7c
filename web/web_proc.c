/*
 * web_proc.c - the endpoint's socket and process under berth serve
 * (web_proc.h).  Why a process of its own rather than serve's poll loop:
 * a handler's bug or a stuck request then ends one process that serve
 * starts again, never the SSH side; and the endpoint's loop
 * (web_server.c) stays a plain single-threaded one that may fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "web/web_int.h"
#include "web/web_proc.h"

static int listen_unix(const char *, char *, size_t);
static int listen_tcp(const char *, char *, size_t);
static long long now_ms(void);
static int web_tick(void *);
static int web_reaped(void *, pid_t, int);
static void web_stop(void *);

int
web_listen(const struct conf *c, char *err, size_t errlen)
{
	err[0] = '\0';
	if (c->dash_listen[0] == '\0')
		return -1;
	if (c->dash_listen[0] == '/')
		return listen_unix(c->dash_listen, err, errlen);
	return listen_tcp(c->dash_listen, err, errlen);
}

static int
listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "dashboard socket path too long: '%s'",
		    path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    unlink(path) == -1) {
		snprintf(err, errlen, "cannot remove '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0666) == -1 || listen(fd, 64) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		snprintf(err, errlen, "cannot listen on '%s': %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static int
listen_tcp(const char *listen_at, char *err, size_t errlen)
{
	char addr[CONF_ADDR_MAX], port[16];
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
		.ai_socktype = SOCK_STREAM }, *ai = NULL;
	int p, fd = -1, one = 1, rc;

	if (conf_parse_listen(listen_at, addr, sizeof(addr), &p) == -1) {
		snprintf(err, errlen, "bad dashboard listen '%s'", listen_at);
		return -1;
	}
	snprintf(port, sizeof(port), "%d", p);
	if ((rc = getaddrinfo(addr, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "'%s': %s", listen_at, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1 || fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen_at,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

void
web_chore_init(struct web_chore *w, const struct conf *c, int fd,
    const struct gitd_chores *inner, struct gitd_chores *out)
{
	memset(w, 0, sizeof(*w));
	w->conf = c;
	w->fd = fd;
	w->inner = *inner;
	*out = (struct gitd_chores){ web_tick, web_reaped, web_stop, w };
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
start_child(struct web_chore *w)
{
	pid_t pid;

	if ((pid = fork()) == -1) {
		log_warn("web: cannot fork the dashboard endpoint");
		w->next_start_ms = now_ms() + WEB_RESTART_MS;
		return;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_NAME, "berth-web", 0, 0, 0);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		log_init("berth web", getenv("BERTH_DEBUG") != NULL);
		_exit(web_server_run(w->conf, w->fd));
	}
	w->child = pid;
	log_info("dashboard endpoint on %s (process %ld)", w->conf->dash_listen,
	    (long)pid);
}

static int
web_tick(void *arg)
{
	struct web_chore *w = arg;
	int inner = w->inner.tick(w->inner.arg);
	long long wait;

	if (w->fd == -1)
		return inner;
	if (w->child == 0 && now_ms() >= w->next_start_ms)
		start_child(w);
	wait = w->child != 0 ? 60000 : w->next_start_ms - now_ms();
	if (wait < 0)
		wait = 0;
	return inner >= 0 && inner < wait ? inner : (int)wait;
}

static int
web_reaped(void *arg, pid_t pid, int status)
{
	struct web_chore *w = arg;

	if (pid != w->child || pid == 0)
		return w->inner.reaped(w->inner.arg, pid, status);
	w->child = 0;
	w->next_start_ms = now_ms() + WEB_RESTART_MS;
	log_warnx("dashboard endpoint %ld ended %s %d; starting it again",
	    (long)pid, WIFSIGNALED(status) ? "by signal" : "with status",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return 1;
}

static void
web_stop(void *arg)
{
	struct web_chore *w = arg;
	int status;

	w->inner.stop(w->inner.arg);
	if (w->child == 0)
		return;
	(void)kill(w->child, SIGTERM);
	while (waitpid(w->child, &status, 0) == -1 && errno == EINTR)
		;
	w->child = 0;
}
