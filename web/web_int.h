/*
 * web_int.h - what the files of web/ share among themselves and nobody
 * else: the server's loop, the dispatch gate and the response's
 * life cycle.  Handlers see web.h only.
 */
#ifndef BERTH_WEB_INT_H
#define BERTH_WEB_INT_H

#include <microhttpd.h>

#include "web/web.h"
#include "web/web_mhd.h"

#define WEB_CONN_MAX 64            /* connections at once */
#define WEB_IDLE_SECONDS 60        /* a silent connection is closed */
#define WEB_CONN_MEMORY (64 * 1024) /* MHD's buffer: request line, headers */
#define WEB_STREAM_BLOCK 4096      /* a streamed body's read size */

/* Serve HTTP on the listening socket fd until SIGTERM; the process's
 * exit status. */
int web_server_run(const struct conf *c, int fd);

/* Its parts, for web_server_run and the fuzz target: a server on fd (-1:
 * none, connections come from web_server_feed); one turn of its loop,
 * waiting at most max_ms; a connected socket handed over (MHD closes
 * it); the end.  start: NULL (logged); step, feed: 0 or -1. */
struct web_server;
struct web_server *web_server_start(const struct conf *c, int fd);
int web_server_step(struct web_server *srv, int max_ms);
int web_server_feed(struct web_server *srv, int fd);
void web_server_stop(struct web_server *srv);

/* The one gate: find req's route (web_routes), answer 404/405 when there
 * is none, else run the handler (500 when it fails). */
void web_dispatch(const struct web_req *req, struct web_resp *resp);

void web_resp_init(struct web_resp *resp);
void web_resp_release(struct web_resp *resp);   /* frees body, stream */
void web_resp_fail(struct web_resp *resp);      /* now a plain 500 */
/* The content type and the headers every answer carries. */
int web_resp_common(const struct web_mhd *m, struct MHD_Response *r,
    const char *type);

/* The server's libmicrohttpd table, for the getters of a request. */
static inline const struct web_mhd *
web_mhd_of(const struct web_req *req)
{
	return req->mhd;
}

#endif
