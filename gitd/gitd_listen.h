/*
 * gitd_listen.h - what berth serve prepares for the daemon's loop before
 * it execs the front (cmd/front.c): the listening socket, and the host
 * key, loaded once to fail at start and again by each connection process
 * for its own ssh_bind.
 */
#ifndef BERTH_GITD_LISTEN_H
#define BERTH_GITD_LISTEN_H

#include <libssh/server.h>

#include "conf/conf.h"

/* A nonblocking listening socket on conf's listen address (close-on-exec),
 * or -1 with err. */
int gitd_listen(const struct conf *c, char *err, size_t errlen);

/* An ssh_bind holding the host key, or NULL with err. */
ssh_bind gitd_bind(const struct conf *c, char *err, size_t errlen);

#endif
