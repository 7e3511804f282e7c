/*
 * web_listen.c - the dashboard endpoint's listening socket (web_proc.h):
 * bound by berth serve at start, before it execs the front process that
 * keeps it, and served by each endpoint process the front starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "web/web_int.h"
#include "web/web_proc.h"

static int listen_unix(const char *, char *, size_t);
static int listen_tcp(const char *, char *, size_t);

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

int
web_proc_main(const struct conf *c, int fd)
{
	(void)prctl(PR_SET_NAME, "berth-web", 0, 0, 0);
	log_init("berth web", getenv("BERTH_DEBUG") != NULL);
	return web_server_run(c, fd);
}
