/*
 * gitd.h - the git side of an SSH session: what a command handler gets
 * (who is asking, for which app, the streams) and the two git services.
 * The session (gitd_session.c) fills a gitd_ctx after authentication and the
 * dispatch gate (gitd_dispatch.c) has checked the key's rights on the app.
 */
#ifndef BERTH_GITD_H
#define BERTH_GITD_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "core/store.h"
#include "gitd/gitd_pktline.h"
#include "run/oneoff.h"

#define BERTH_VERSION "0.1.0"

/* The streams of one command: stdin, stdout and stderr of the SSH channel
 * (or of the local process, for `berth COMMAND`). */
struct gitd_stream {
	struct pkt_transport in_out; /* read = stdin, write = stdout */
	int (*write_err)(void *ctx, const void *buf, size_t len);
	/* Optional (NULL for a local command): from now on, reads must be
	 * done within `seconds` (0: no deadline again); a read past it fails
	 * with the message why. */
	void (*set_deadline)(void *ctx, int seconds, const char *why);
	/* Optional (NULL for a local command): copy the client's input to the
	 * one-off p and its output back (gitd_relay.c) until it has ended or
	 * the client is gone.  0 when it ended, 1 when the client went. */
	int (*relay)(void *ctx, struct oneoff_proc *p);
	/* the client asked for a terminal (ssh -t): its size and TERM */
	int pty;
	struct winsize ws;
	char term[64];
};

struct gitd_ctx {
	const struct conf *conf;
	struct store *st;
	struct key_rec key;  /* the caller (a synthetic admin key when local) */
	int local;           /* run by `berth COMMAND` on the server */
	int json;            /* --json was given (listings) */
	int no_restart;      /* --no-restart was given (config:set, unset) */
	void *rows;          /* a listing being built (json_t *) */
	struct app_rec app;  /* the app named by the command, if any */
	struct gitd_stream io;
};

/* The git services.  Return the exit status for the SSH channel. */
int gitd_receive_pack(struct gitd_ctx *g);
int gitd_upload_pack(struct gitd_ctx *g);

/* A protocol failure of `service` for the client: logged, and sent on
 * side-band 3 when negotiated, else as an ERR pkt-line (err_pkt) or on
 * stderr.  Returns -1. */
int gitd_protocol_fail(struct gitd_ctx *g, struct pkt_io *io, int sideband,
    int err_pkt, const char *service, const char *msg);

/* stderr helper: printf to the caller's stderr. */
void gitd_errorf(struct gitd_ctx *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What the caller is doing, for the app's lock (core/applock.h): "WHAT by
 * key 'NAME'", or "WHAT run on the server" for a local command. */
void gitd_holder(const struct gitd_ctx *g, const char *what, char *out,
    size_t len);

/* The repo path of an app: DATA/repos/APP.git. 0 or -1. */
int gitd_repo_path(const struct conf *c, const char *app, char *out, size_t len);

#endif
