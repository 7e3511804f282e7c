/*
 * gitd_session.h - one SSH connection, run in its own forked process:
 * key exchange, public-key authentication against the keys in sqlite, one
 * session channel with one exec request, then the command through the
 * dispatch gate, and the exit status back to the client.
 */
#ifndef BERTH_GITD_SESSION_H
#define BERTH_GITD_SESSION_H

#include <libssh/server.h>

#include "conf/conf.h"

/* Serve the connection on fd; returns when it is over (the caller exits). */
void gitd_session_run(const struct conf *conf, ssh_bind bind, int fd,
    const char *peer);

#endif
