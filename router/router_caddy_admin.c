/*
 * router_caddy_admin.c - berth's HTTP/1.1 client for Caddy's admin API
 * (router_caddy_admin.h): POST /load of the config router_caddy.c
 * rendered, as these steps, all under one deadline:
 *
 *   1. connect: the managed Caddy's unix socket, or an operator's Caddy
 *      over TCP, trying each address getaddrinfo gives for its name;
 *   2. on the unix socket, before a byte is sent, the listener's uid
 *      (SO_PEERCRED): the socket lives in a directory the proxy's uid can
 *      write, so a symlink there could lead berth to someone else;
 *   3. send the request line, Host, Content-Type, Content-Length and
 *      Connection: close, then the body;
 *   4. read the reply until Caddy closes, keeping its first
 *      CADDY_ADMIN_REPLY_MAX bytes;
 *   5. parse the status line strictly (HTTP/1.x and three digits), and on
 *      any status but 200 take Caddy's {"error": "..."} from the body, sent
 *      with Content-Length or chunked (Go's net/http chooses).
 *
 * Why not libcurl: this is one request to a local server berth knows (as
 * the supervisor's health check is, run/relay_health.c), and loading
 * libcurl's chain (gnutls, nghttp2, ldap ...) cost each route change 5-7 ms
 * of CPU on the push's path.  The socket is
 * non-blocking and close-on-exec, and sends use MSG_NOSIGNAL: a Caddy that
 * goes away mid-request is an error, not a SIGPIPE.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/num.h"
#include "router/router_caddy_admin.h"

#define MALFORMED "Caddy's admin API sent a malformed reply"

struct exchange {
	const struct caddy_admin *a;
	int fd;
	struct timespec end; /* the deadline */
	char *err;
	size_t errlen;
};

struct reply {
	char buf[CADDY_ADMIN_REPLY_MAX + 1];
	size_t len;
	int status;
	long long clen; /* Content-Length, or -1 */
	int chunked;
	size_t body, bodylen; /* where the (decoded) body is in buf */
};

static int fail(struct exchange *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int ms_left(const struct timespec *);
static int wait_fd(int, short, const struct timespec *);
static int connect_by(int, const struct sockaddr *, socklen_t,
    const struct timespec *);
static int open_unix(struct exchange *);
static int open_tcp(struct exchange *);
static int check_peer(struct exchange *);
static int send_all(struct exchange *, const char *, size_t);
static int send_request(struct exchange *, const char *);
static int read_reply(struct exchange *, struct reply *);
static int parse_status(struct reply *, size_t *);
static int parse_header(struct reply *, const char *, size_t);
static int parse_headers(struct reply *, size_t);
static int dechunk(struct reply *);
static int parse_reply(struct reply *);
static int refused(struct exchange *, struct reply *);

int
caddy_admin_load(const struct caddy_admin *a, const char *body, char *err,
    size_t errlen)
{
	struct exchange ex = { a, -1, { 0, 0 }, err, errlen };
	struct reply r = { .len = 0 };
	int rc;

	if (clock_gettime(CLOCK_MONOTONIC, &ex.end) == -1)
		return fail(&ex, "cannot read the clock: %s", strerror(errno));
	ex.end.tv_sec += a->timeout_ms / 1000;
	ex.end.tv_nsec += (long)(a->timeout_ms % 1000) * 1000000;
	if (ex.end.tv_nsec >= 1000000000) {
		ex.end.tv_sec++;
		ex.end.tv_nsec -= 1000000000;
	}
	rc = a->sock != NULL ? open_unix(&ex) : open_tcp(&ex);
	if (rc == 0 && a->sock != NULL)
		rc = check_peer(&ex);
	if (rc == 0)
		rc = send_request(&ex, body);
	if (rc == 0)
		rc = read_reply(&ex, &r);
	if (ex.fd != -1 && close(ex.fd) == -1 && rc == 0)
		rc = fail(&ex, "cannot close the admin API's socket: %s",
		    strerror(errno));
	if (rc == 0 && parse_reply(&r) == -1)
		rc = fail(&ex, MALFORMED);
	if (rc == 0 && r.status != 200)
		rc = refused(&ex, &r);
	return rc;
}

/* err = the message, with any control character (from Caddy's text) made a
 * space; always -1. */
static int
fail(struct exchange *ex, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ex->err, ex->errlen, fmt, ap);
	va_end(ap);
	for (char *p = ex->err; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			*p = ' ';
	return -1;
}

/* Milliseconds before the deadline, 0 once it has passed. */
static int
ms_left(const struct timespec *end)
{
	struct timespec now;
	long long ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	ms = (long long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Wait until fd is ready for events: 1, 0 at the deadline, -1 (errno). */
static int
wait_fd(int fd, short events, const struct timespec *end)
{
	struct pollfd p = { fd, events, 0 };
	int n;

	while ((n = poll(&p, 1, ms_left(end))) == -1 && errno == EINTR)
		;
	return n;
}

/* Connect the non-blocking fd to sa by the deadline: 0, or -1 with errno
 * (ETIMEDOUT once the deadline passed). */
static int
connect_by(int fd, const struct sockaddr *sa, socklen_t salen,
    const struct timespec *end)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	switch (wait_fd(fd, POLLOUT, end)) {
	case -1:
		return -1;
	case 0:
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return -1;
	errno = soerr;
	return soerr == 0 ? 0 : -1;
}

/* Step 1, managed Caddy: its unix socket. */
static int
open_unix(struct exchange *ex)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = ex->a->sock;

	if (strlen(path) >= sizeof(sun.sun_path))
		return fail(ex, "Caddy's admin socket path '%s' is too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ex->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ex->fd == -1 || connect_by(ex->fd, (struct sockaddr *)&sun,
	    sizeof(sun), &ex->end) == -1)
		return fail(ex, "cannot connect to Caddy's admin socket '%s': %s",
		    path, strerror(errno));
	return 0;
}

/* Step 1, an operator's Caddy: each address of host:port in turn. */
static int
open_tcp(struct exchange *ex)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *res, *ai;
	int gai, saved = ECONNREFUSED;

	if ((gai = getaddrinfo(ex->a->host, ex->a->port, &hints, &res)) != 0)
		return fail(ex, "cannot resolve '%s' for Caddy's admin API: %s",
		    ex->a->host, gai_strerror(gai));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		ex->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (ex->fd != -1 && connect_by(ex->fd, ai->ai_addr,
		    ai->ai_addrlen, &ex->end) == 0)
			break;
		saved = errno;
		if (ex->fd != -1)
			(void)close(ex->fd); /* never connected: nothing lost */
		ex->fd = -1;
	}
	freeaddrinfo(res);
	if (ex->fd == -1)
		return fail(ex, "cannot connect to Caddy's admin API at %s:%s: %s",
		    ex->a->host, ex->a->port, strerror(saved));
	return 0;
}

/* Step 2: the listener at the other end must be the proxy's uid. */
static int
check_peer(struct exchange *ex)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(ex->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return fail(ex, "cannot tell who holds Caddy's admin socket: %s",
		    strerror(errno));
	if (cred.uid != ex->a->peer)
		return fail(ex, "Caddy's admin socket is held by uid %ld, not the"
		    " proxy's uid %lu", (long)cred.uid,
		    (unsigned long)ex->a->peer);
	return 0;
}

/* All of buf, waiting for room in the socket as long as the deadline
 * allows. */
static int
send_all(struct exchange *ex, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(ex->fd, buf, len, MSG_NOSIGNAL)) > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(ex, "cannot send the config to Caddy's admin"
			    " API: %s", strerror(errno));
		switch (wait_fd(ex->fd, POLLOUT, &ex->end)) {
		case -1:
			return fail(ex, "cannot wait for Caddy's admin API: %s",
			    strerror(errno));
		case 0:
			return fail(ex, "timed out sending the config to Caddy's"
			    " admin API (%d ms)", ex->a->timeout_ms);
		}
	}
	return 0;
}

/* Step 3: the head, then the body. */
static int
send_request(struct exchange *ex, const char *body)
{
	const struct caddy_admin *a = ex->a;
	size_t len = strlen(body);
	char host[256], head[512];
	int n;

	if (a->sock != NULL)
		n = snprintf(host, sizeof(host), "localhost");
	else
		n = snprintf(host, sizeof(host), strchr(a->host, ':') != NULL ?
		    "[%s]:%s" : "%s:%s", a->host, a->port);
	if (n < 0 || (size_t)n >= sizeof(host))
		return fail(ex, "Caddy's admin API address is too long");
	n = snprintf(head, sizeof(head), "POST /load HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", host, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return fail(ex, "Caddy's admin API address is too long");
	if (send_all(ex, head, (size_t)n) == -1 || send_all(ex, body, len) == -1)
		return -1;
	return 0;
}

/* Step 4: until Caddy closes (the request said Connection: close). */
static int
read_reply(struct exchange *ex, struct reply *r)
{
	char drop[4096];
	size_t room;
	ssize_t n;

	for (;;) {
		room = sizeof(r->buf) - 1 - r->len;
		n = room > 0 ? recv(ex->fd, r->buf + r->len, room, 0) :
		    recv(ex->fd, drop, sizeof(drop), 0);
		if (n == 0)
			return 0;
		if (n > 0 && room > 0)
			r->buf[r->len += (size_t)n] = '\0';
		if (n > 0 || errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(ex, "cannot read the reply of Caddy's admin"
			    " API: %s", strerror(errno));
		switch (wait_fd(ex->fd, POLLIN, &ex->end)) {
		case -1:
			return fail(ex, "cannot wait for Caddy's admin API: %s",
			    strerror(errno));
		case 0:
			return fail(ex, "timed out waiting for the reply of"
			    " Caddy's admin API (%d ms)", ex->a->timeout_ms);
		}
	}
}

/* "HTTP/1.x NNN reason\r\n": the status, and *pos after the line. */
static int
parse_status(struct reply *r, size_t *pos)
{
	const char *s = r->buf, *eol, *end;
	long long code;

	eol = memmem(s, r->len, "\r\n", 2);
	if (eol == NULL || eol - s < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)s[7]) || s[8] != ' ' ||
	    !isdigit((unsigned char)s[9]) || (s[12] != ' ' && s[12] != '\r'))
		return -1;
	if (num_prefix(s + 9, 100, 999, &code, &end) == -1 || end != s + 12)
		return -1;
	r->status = (int)code;
	*pos = (size_t)(eol + 2 - s);
	return 0;
}

/* One "Name: value" line (without its CRLF): the two that frame the body
 * count, the others are skipped. */
static int
parse_header(struct reply *r, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n), *v, *e = line + n;
	char num[24];

	if (colon == NULL || colon == line)
		return -1;
	for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(colon - line) == 14 &&
	    strncasecmp(line, "Content-Length", 14) == 0) {
		if (e - v <= 0 || (size_t)(e - v) >= sizeof(num))
			return -1;
		memcpy(num, v, (size_t)(e - v));
		num[e - v] = '\0';
		return num_parse(num, 0, LLONG_MAX, &r->clen);
	}
	if ((size_t)(colon - line) == 17 &&
	    strncasecmp(line, "Transfer-Encoding", 17) == 0)
		r->chunked = e - v == 7 && strncasecmp(v, "chunked", 7) == 0;
	return 0;
}

/* The header lines from pos to the empty one; the body follows it. */
static int
parse_headers(struct reply *r, size_t pos)
{
	const char *line, *eol;

	for (;;) {
		line = r->buf + pos;
		if ((eol = memmem(line, r->len - pos, "\r\n", 2)) == NULL)
			return -1; /* cut off in the headers */
		pos = (size_t)(eol + 2 - r->buf);
		if (eol == line)
			break;
		if (parse_header(r, line, (size_t)(eol - line)) == -1)
			return -1;
	}
	r->body = pos;
	r->bodylen = r->len - pos;
	return 0;
}

/* A chunked body decoded in place ("SIZE[;ext]\r\nDATA\r\n" ... "0\r\n");
 * a body cut off (by Caddy, or at CADDY_ADMIN_REPLY_MAX) keeps what came. */
static int
dechunk(struct reply *r)
{
	char *in = r->buf + r->body, *out = in, *end = in + r->bodylen, *eol;
	char hex[17];
	unsigned long long size;
	size_t n, take;

	while ((eol = memmem(in, (size_t)(end - in), "\r\n", 2)) != NULL) {
		for (n = 0; in + n < eol && isxdigit((unsigned char)in[n]); n++)
			;
		if (n == 0 || n >= sizeof(hex) || (in + n != eol && in[n] != ';'))
			return -1;
		memcpy(hex, in, n);
		hex[n] = '\0';
		if (num_parse_hex(hex, ULLONG_MAX, &size) == -1)
			return -1;
		if (size == 0)
			break;
		in = eol + 2;
		take = size < (size_t)(end - in) ? size : (size_t)(end - in);
		memmove(out, in, take);
		out += take;
		in += take;
		if (take < size || end - in < 2)
			break;
		if (memcmp(in, "\r\n", 2) != 0)
			return -1;
		in += 2;
	}
	r->bodylen = (size_t)(out - (r->buf + r->body));
	return 0;
}

/* Step 5: status line, headers, body. */
static int
parse_reply(struct reply *r)
{
	size_t pos;

	r->clen = -1;
	if (parse_status(r, &pos) == -1 || parse_headers(r, pos) == -1)
		return -1;
	if (r->chunked)
		return dechunk(r);
	if (r->clen >= 0 && (unsigned long long)r->clen < r->bodylen)
		r->bodylen = (size_t)r->clen;
	return 0;
}

/* A status other than 200: Caddy's {"error": "..."}, else its body. */
static int
refused(struct exchange *ex, struct reply *r)
{
	const char *body = r->buf + r->body, *msg;
	size_t len = r->bodylen;
	json_t *j = json_loadb(body, len, 0, NULL);
	int rc;

	if ((msg = json_string_value(json_object_get(j, "error"))) != NULL)
		rc = fail(ex, "Caddy rejected the new configuration: %s", msg);
	else {
		while (len > 0 && isspace((unsigned char)body[len - 1]))
			len--;
		rc = len > 0 ? fail(ex, "Caddy rejected the new configuration:"
		    " %.*s", (int)len, body) : fail(ex, "Caddy rejected the new"
		    " configuration (HTTP %d, no message)", r->status);
	}
	json_decref(j);
	return rc;
}
