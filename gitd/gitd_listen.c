/*
 * gitd_listen.c - the daemon's listening socket and its host key (see
 * gitd_listen.h).
 */
#include "gitd/gitd_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

ssh_bind
gitd_bind(const struct conf *c, char *err, size_t errlen)
{
	ssh_bind bind = ssh_bind_new();
	bool no = false;

	if (bind == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, c->host_key) < 0) {
		snprintf(err, errlen, "cannot load host key '%s': %s",
		    c->host_key, ssh_get_error(bind));
		ssh_bind_free(bind);
		return NULL;
	}
	return bind;
}

int
gitd_listen(const struct conf *c, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char port[16];
	int fd, one = 1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", c->listen_port);
	if ((rc = getaddrinfo(c->listen_addr, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "bad listen address '%s': %s",
		    c->listen_addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s",
		    c->listen_addr, c->listen_port, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}
