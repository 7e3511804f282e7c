/*
 * web.h - berth's HTTP endpoint, as its handlers see it: a request (method,
 * path, headers, a capped body, the peer), a response (status, content
 * type, body or a stream, extra headers), and the route table that maps a
 * method and a path prefix to a handler (web_routes.c: one line a route).
 * The server itself (libmicrohttpd, web_server.c) and its process
 * (web_proc.c) stay behind this header; a handler needs nothing else.
 *
 * Handlers run one at a time in the endpoint's own process (single
 * threaded), so a handler must not block: anything slow (a restart, a
 * rollback, a deploy) goes to web_defer, which runs it in a forked child,
 * and the handler answers at once.
 */
#ifndef BERTH_WEB_H
#define BERTH_WEB_H

#include <stddef.h>
#include <sys/types.h>

#include "conf/conf.h"

#define WEB_PEER_MAX 64          /* "127.0.0.1", "::1", "unix" */
#define WEB_TYPE_MAX 64          /* a content type */
#define WEB_HEADERS_MAX 8        /* extra response headers */
#define WEB_HEADER_MAX 1024      /* a response header's name or value */
#define WEB_FIELD_MAX 4096       /* one decoded form field */

struct web_req {
	const struct conf *conf;
	const char *method;          /* "GET", "POST", ... */
	const char *path;            /* the URL's path, %-decoded, no query */
	char peer[WEB_PEER_MAX];     /* the socket's peer ("unix" on one);
	                              * behind the proxy, the proxy: its
	                              * X-Forwarded-For is a header */
	const char *body;            /* NUL-terminated, at most [dashboard]
	                              * max_body_size bytes (more is refused
	                              * with 413 before a handler runs) */
	size_t body_len;
	void *conn;                  /* the server's; for the getters below */
	const void *mhd;             /* the server's too (its HTTP library) */
};

/* Stream a body (server-sent events): read(arg, buf, max) returns the
 * bytes it put in buf, 0 when it has none yet (it is called again about
 * every WEB_STREAM_POLL_MS), -1 to end the body; done(arg) once at the
 * end, also when the client went away. */
#define WEB_STREAM_POLL_MS 250
typedef ssize_t (*web_read_fn)(void *arg, char *buf, size_t max);
typedef void (*web_done_fn)(void *arg);

struct web_resp {
	int status;                  /* 200 unless set */
	char type[WEB_TYPE_MAX];     /* "text/html; charset=utf-8" unless set */
	char *body;                  /* owned; web_resp_printf appends */
	size_t len, cap;
	int nheaders;
	char hname[WEB_HEADERS_MAX][WEB_HEADER_MAX];
	char hvalue[WEB_HEADERS_MAX][WEB_HEADER_MAX];
	web_read_fn stream;          /* set by web_resp_stream */
	web_done_fn stream_done;
	void *stream_arg;
	int failed;                  /* out of memory while building */
};

/* A handler fills resp and returns 0; -1 means a failure of the server's
 * own (logged by the handler), answered with 500.  Bad input is not -1:
 * the handler answers it with a 4xx (web_resp_error). */
typedef int (*web_handler)(const struct web_req *req, struct web_resp *resp);

/* One line of web_routes.c: method ("GET", "POST"; "*" any) and a path
 * prefix ("/metrics" matches "/metrics" and "/metrics/..." only; "/"
 * matches every path).  The first match wins; a path that matches with
 * another method gets 405. */
struct web_route {
	const char *method;
	const char *prefix;
	web_handler handler;
};

extern const struct web_route web_routes[]; /* ends with { NULL } */

/* A request header, a query parameter, a cookie: its value, or NULL. */
const char *web_header(const struct web_req *req, const char *name);
const char *web_query(const struct web_req *req, const char *name);
const char *web_cookie(const struct web_req *req, const char *name);

/* Field name of an application/x-www-form-urlencoded body, decoded into
 * out.  0; 1 if absent; -1 if malformed or longer than outlen - 1. */
int web_form(const struct web_req *req, const char *name, char *out,
    size_t outlen);

/* Responses.  Each returns 0, or -1 (resp->failed set) when out of memory
 * or a header is too long or holds a CR/LF; the server answers 500 then. */
int web_resp_set(struct web_resp *resp, int status, const char *type,
    const char *body, size_t len);
int web_resp_printf(struct web_resp *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int web_resp_html(struct web_resp *resp, const char *text); /* escaped */
int web_resp_header(struct web_resp *resp, const char *name,
    const char *value);
/* status with a one-line text/plain body: web_resp_error(r, 404, "no
 * such app") */
int web_resp_error(struct web_resp *resp, int status, const char *msg);
/* 303 See Other to location */
int web_resp_redirect(struct web_resp *resp, const char *location);
void web_resp_stream(struct web_resp *resp, web_read_fn read,
    web_done_fn done, void *arg);

/* Run fn(conf, arg) in a forked child of the endpoint (the endpoint reaps
 * it); what names the work in the log.  Close every store handle first:
 * sqlite's state must not cross a fork (the child opens its own).  The child's exit status is fn's
 * return value.  0, or -1 if fork failed (logged). */
int web_defer(const struct web_req *req, const char *what,
    int (*fn)(const struct conf *conf, void *arg), void *arg);

#endif
