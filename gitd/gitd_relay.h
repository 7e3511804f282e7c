/*
 * gitd_relay.h - a one-off's streams over an SSH channel (`run`): the
 * client's input to the process, its output back as channel data (its
 * stderr as extended data), until it has ended or the client has gone.
 */
#ifndef BERTH_GITD_RELAY_H
#define BERTH_GITD_RELAY_H

#include <libssh/libssh.h>

#include "run/oneoff.h"

/* 0 when the process ended (its exit status is oneoff_finish's), 1 when
 * the client went away first (the caller stops the process). */
int gitd_relay(ssh_session s, ssh_channel ch, struct oneoff_proc *p);

#endif
