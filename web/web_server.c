/*
 * web_server.c - the HTTP endpoint's event loop: libmicrohttpd in
 * "external select" mode, driven by one poll loop in the endpoint's own
 * process (web_proc.c forks it from berth serve).  One thread: berth
 * serve forks a child per SSH connection and must stay single-threaded,
 * and so does this process, because web_defer forks too.  MHD parses
 * HTTP; this file gathers a request's body (capped by [dashboard]
 * max_body_size), finds its route (web_routes.c), runs the handler and
 * hands MHD the response.  A streamed body (server-sent events) whose
 * reader has nothing yet suspends its connection; the loop resumes the
 * suspended ones every WEB_STREAM_POLL_MS, so nobody busy-waits.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/log.h"
#include "core/num.h"
#include "web/web.h"
#include "web/web_int.h"
#include "web/web_mhd.h"

struct web_conn {            /* one request, across MHD's calls */
	char *body;
	size_t len, cap;
	int too_big;
	int answered;            /* a response is queued already */
};

struct web_stream {          /* one streamed body */
	struct web_server *srv;
	struct MHD_Connection *conn;
	web_read_fn read;
	web_done_fn done;
	void *arg;
	int suspended;
	struct web_stream *next;
};

struct web_server {
	const struct conf *conf;
	struct web_mhd mhd;      /* libmicrohttpd, loaded at start */
	struct MHD_Daemon *d;
	struct web_stream *streams;
};

static volatile sig_atomic_t web_term;

static enum MHD_Result on_request(void *, struct MHD_Connection *,
    const char *, const char *, const char *, const char *, size_t *,
    void **);
static void on_completed(void *, struct MHD_Connection *, void **,
    enum MHD_RequestTerminationCode);
static int gather(struct web_server *, struct MHD_Connection *,
    struct web_conn *, const char *, size_t);
static enum MHD_Result answer(struct web_server *, struct MHD_Connection *,
    const char *, const char *, struct web_conn *);
static void fill_peer(struct web_server *, struct MHD_Connection *, char *,
    size_t);
static int declared_too_big(struct web_server *, struct MHD_Connection *);
static enum MHD_Result queue(struct web_server *, struct MHD_Connection *,
    const struct web_req *, struct web_resp *);
static struct MHD_Response *make_response(struct web_server *,
    struct MHD_Connection *, struct web_resp *);
static ssize_t stream_read(void *, uint64_t, char *, size_t);
static void stream_free(void *);
static void resume_streams(struct web_server *);
static void on_term(int);
static void mhd_log(void *, const char *, va_list);
static int loop_timeout(struct web_server *);

struct web_server *
web_server_start(const struct conf *c, int fd)
{
	struct web_server *srv = calloc(1, sizeof(*srv));
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG | (fd == -1 ? MHD_USE_NO_LISTEN_SOCKET : 0);
	struct MHD_OptionItem listen[] = { /* the socket, when there is one */
		{ fd != -1 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END, fd,
		    NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	char err[512];

	if (srv == NULL)
		return NULL;
	if (web_mhd_load(&srv->mhd, err, sizeof(err)) == -1) {
		log_warnx("web: %s", err);
		free(srv);
		return NULL;
	}
	srv->conf = c;
	srv->d = srv->mhd.start_daemon(flags, 0, NULL, NULL, on_request, srv,
	    MHD_OPTION_ARRAY, listen,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_IDLE_SECONDS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_CONN_MEMORY,
	    MHD_OPTION_END);
	if (srv->d == NULL) {
		log_warnx("web: cannot start the HTTP server");
		free(srv);
		return NULL;
	}
	return srv;
}

int
web_server_step(struct web_server *srv, int max_ms)
{
	const union MHD_DaemonInfo *info;
	struct pollfd pfd;
	int t = loop_timeout(srv);

	if ((info = srv->mhd.get_daemon_info(srv->d,
	    MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
		return -1;
	pfd = (struct pollfd){ .fd = info->epoll_fd, .events = POLLIN };
	if (poll(&pfd, 1, t < max_ms ? t : max_ms) == -1 && errno != EINTR) {
		log_warn("web: poll");
		return -1;
	}
	resume_streams(srv);
	if (srv->mhd.run(srv->d) != MHD_YES)
		log_warnx("web: MHD_run failed");
	return 0;
}

int
web_server_feed(struct web_server *srv, int fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	return srv->mhd.add_connection(srv->d, fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == MHD_YES ? 0 : -1;
}

void
web_server_stop(struct web_server *srv)
{
	resume_streams(srv); /* MHD stops only resumed connections */
	srv->mhd.stop_daemon(srv->d);
	free(srv);
}

int
web_server_run(const struct conf *c, int fd)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct web_server *srv;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGCHLD, SIG_DFL) == SIG_ERR) {
		log_warn("web: signals");
		return 1;
	}
	if ((srv = web_server_start(c, fd)) == NULL)
		return 1;
	while (!web_term) {
		if (web_server_step(srv, 1000) == -1)
			break;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			; /* web_defer's children */
	}
	web_server_stop(srv);
	return 0;
}

/* MHD's own messages (a client that went away, TCP options a unix
 * socket has not): for debugging only; refusals are logged by queue(). */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("web: %s", line);
}

static void
on_term(int sig)
{
	(void)sig;
	web_term = 1;
}

/* MHD's own deadline, but at most a second (web_defer's children are
 * reaped then) and WEB_STREAM_POLL_MS while a stream waits. */
static int
loop_timeout(struct web_server *srv)
{
	MHD_UNSIGNED_LONG_LONG ms;
	int t = srv->streams != NULL ? WEB_STREAM_POLL_MS : 1000;

	if (srv->mhd.get_timeout(srv->d, &ms) == MHD_YES && ms < (unsigned)t)
		t = (int)ms;
	return t;
}

static void
resume_streams(struct web_server *srv)
{
	for (struct web_stream *s = srv->streams; s != NULL; s = s->next)
		if (s->suspended) {
			s->suspended = 0;
			srv->mhd.resume_connection(s->conn);
		}
}

/* MHD calls this first with no data (*ctx NULL), then with each piece of
 * the body, then once more with none: the moment to answer. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ctx)
{
	struct web_server *srv = cls;
	struct web_conn *wc = *ctx;

	(void)version;
	if (wc == NULL) {
		if ((wc = calloc(1, sizeof(*wc))) == NULL)
			return MHD_NO;
		*ctx = wc;
		/* a declared body over the cap: refused before it is read */
		wc->too_big = declared_too_big(srv, conn);
		return wc->too_big ? answer(srv, conn, url, method, wc) :
		    MHD_YES;
	}
	if (*upload_size > 0) {
		if (gather(srv, conn, wc, upload, *upload_size) == -1)
			return MHD_NO;
		*upload_size = 0;
		/* a chunked one over the cap is read to its end but not
		 * kept (the proxy in front caps it at [router]
		 * max_body_size), then refused */
		return MHD_YES;
	}
	if (wc->answered)
		return MHD_YES;
	return answer(srv, conn, url, method, wc);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
    enum MHD_RequestTerminationCode why)
{
	struct web_conn *wc = *ctx;

	(void)cls, (void)conn, (void)why;
	if (wc != NULL) {
		free(wc->body);
		free(wc);
		*ctx = NULL;
	}
}

/* Keep the body up to the cap; past it, remember only that it was too
 * big (answered 413 at the end). */
static int
gather(struct web_server *srv, struct MHD_Connection *conn,
    struct web_conn *wc, const char *data, size_t n)
{
	size_t cap;
	char *nb;

	(void)conn;
	if (wc->too_big || n > srv->conf->dash_max_body - wc->len) {
		wc->too_big = 1;
		return 0;
	}
	if (wc->len + n + 1 > wc->cap) {
		cap = wc->cap == 0 ? 4096 : wc->cap;
		while (cap < wc->len + n + 1)
			cap *= 2;
		if ((nb = realloc(wc->body, cap)) == NULL) {
			log_warnx("web: out of memory");
			return -1;
		}
		wc->body = nb;
		wc->cap = cap;
	}
	memcpy(wc->body + wc->len, data, n);
	wc->len += n;
	wc->body[wc->len] = '\0';
	return 0;
}

static enum MHD_Result
answer(struct web_server *srv, struct MHD_Connection *conn, const char *url,
    const char *method, struct web_conn *wc)
{
	struct web_req req = { .conf = srv->conf, .method = method,
		.path = url, .body = wc->body != NULL ? wc->body : "",
		.body_len = wc->len, .conn = conn, .mhd = &srv->mhd };
	struct web_resp resp;

	fill_peer(srv, conn, req.peer, sizeof(req.peer));
	wc->answered = 1;
	web_resp_init(&resp);
	if (wc->too_big)
		web_resp_error(&resp, 413, "request body too large");
	else
		web_dispatch(&req, &resp);
	return queue(srv, conn, &req, &resp);
}

static int
declared_too_big(struct web_server *srv, struct MHD_Connection *conn)
{
	const char *cl = srv->mhd.lookup_connection_value(conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long n;

	if (cl == NULL)
		return 0;
	/* digits beyond any number are too big; other junk is MHD's to refuse */
	if (num_parse(cl, 0, LLONG_MAX, &n) == -1)
		return cl[0] != '\0' && cl[strspn(cl, "0123456789")] == '\0';
	return (unsigned long long)n > srv->conf->dash_max_body;
}

static void
fill_peer(struct web_server *srv, struct MHD_Connection *conn, char *out,
    size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, len, "unix");
	ci = srv->mhd.get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)len);
}

/* Hand the response to MHD; log what was refused or failed. */
static enum MHD_Result
queue(struct web_server *srv, struct MHD_Connection *conn,
    const struct web_req *req, struct web_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (resp->failed)
		web_resp_fail(resp);
	if (resp->status >= 400)
		log_info("web: %d %s %.200s from %s", resp->status, req->method,
		    req->path, req->peer);
	if ((r = make_response(srv, conn, resp)) == NULL) {
		log_warnx("web: cannot build a response");
		web_resp_release(resp);
		return MHD_NO;
	}
	rc = srv->mhd.queue_response(conn, (unsigned)resp->status, r);
	srv->mhd.destroy_response(r);
	return rc;
}

static struct MHD_Response *
make_response(struct web_server *srv, struct MHD_Connection *conn,
    struct web_resp *resp)
{
	struct MHD_Response *r;
	struct web_stream *s;
	int i;

	if (resp->stream != NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return NULL;
		*s = (struct web_stream){ srv, conn, resp->stream,
			resp->stream_done, resp->stream_arg, 0, srv->streams };
		resp->stream = NULL; /* the stream owns arg now */
		if ((r = srv->mhd.create_response_from_callback(MHD_SIZE_UNKNOWN,
		    WEB_STREAM_BLOCK, stream_read, s, stream_free)) == NULL) {
			s->next = NULL;
			stream_free(s);
			return NULL;
		}
		srv->streams = s;
	} else {
		r = srv->mhd.create_response_from_buffer(resp->len, resp->body,
		    MHD_RESPMEM_MUST_FREE);
		if (r == NULL)
			return NULL;
		resp->body = NULL;
	}
	for (i = 0; i < resp->nheaders; i++)
		if (srv->mhd.add_response_header(r, resp->hname[i],
		    resp->hvalue[i]) != MHD_YES)
			break;
	if (i < resp->nheaders || web_resp_common(&srv->mhd, r, resp->type) == -1) {
		srv->mhd.destroy_response(r);
		return NULL;
	}
	web_resp_release(resp);
	return r;
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct web_stream *s = cls;
	ssize_t n;

	(void)pos;
	n = s->read(s->arg, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n == 0 && !s->suspended) {
		s->suspended = 1;
		s->srv->mhd.suspend_connection(s->conn);
	}
	return n;
}

static void
stream_free(void *cls)
{
	struct web_stream *s = cls, **pp;

	for (pp = &s->srv->streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->done != NULL)
		s->done(s->arg);
	free(s);
}
