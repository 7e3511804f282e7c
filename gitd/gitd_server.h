/*
 * gitd_server.h - `berth serve`: the listening socket and the supervisor of
 * connection processes.  The parent only accepts, counts and reaps; every
 * connection is served by a forked child (gitd_session.c), so a crash or a
 * hung client ends one connection and nothing else.
 */
#ifndef BERTH_GITD_SERVER_H
#define BERTH_GITD_SERVER_H

#include "conf/conf.h"

/* Run until SIGTERM/SIGINT.  Returns the process exit status. */
int gitd_serve(const struct conf *conf);

#endif
