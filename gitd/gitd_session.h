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

/* Exit statuses of a connection process, read by the daemon. */
#define SESSION_OK 0          /* authenticated (whatever the command did) */
#define SESSION_NO_AUTH 3     /* gone before trying to log in */
#define SESSION_AUTH_FAILED 4 /* offered keys, none was accepted */
#define SESSION_OK_DISK_QUIET 5 /* authenticated, and the command left no
                                 * repository wanting a repack
                                 * ([upkeep] gc_auto_packs): no upkeep
                                 * pass needed for it */

/* Serve the connection on fd; returns one of the statuses above.  Once the
 * client has logged in, the process writes its pid (int32_t) to login_fd,
 * so the daemon stops counting it as unauthenticated. */
int gitd_session_run(const struct conf *conf, ssh_bind bind, int fd,
    const char *peer, int login_fd);

#endif
