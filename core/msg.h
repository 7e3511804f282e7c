/*
 * msg.h - the two conventions for text meant for people, used across the
 * tree:
 *   say_fn   a line for whoever started the operation (a pusher sees it
 *            as "remote: ..." while a deploy runs; a local command prints
 *            it); ctx is the caller's, passed back unchanged.
 *   err      a failing function fills the caller's buffer (char *err,
 *            size_t errlen) with one lower-case line saying what went
 *            wrong, and returns -1; ERR_MAX is the size callers give it.
 * What the operator sees goes through core/log.h instead.
 */
#ifndef BERTH_MSG_H
#define BERTH_MSG_H

typedef void (*say_fn)(void *ctx, const char *line);

#define ERR_MAX 1024

#endif
