/*
 * test_caddy_admin.c - unit tests of router/router_caddy_admin.c, berth's
 * HTTP/1.1 client for Caddy's admin API, against a stand-in server: a
 * forked child on a real unix socket in a temp dir (or on 127.0.0.1) that
 * checks the request it gets byte for byte and answers with a canned
 * reply: 200 with and without a body, Caddy's {"error"} sent with
 * Content-Length and chunked, replies cut off or not HTTP at all, a server
 * that never answers (a short deadline), one that hangs up mid-request
 * (no SIGPIPE), a listener of another uid (nothing is sent to it), a
 * socket nobody listens on, and TCP to "localhost" whose first address
 * may refuse.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "router/router_caddy_admin.h"
#include "unit.h"

#define NOBODY 65534

static char dir[] = "/tmp/berth-caddy-admin.XXXXXX";
static char sock[96];

enum mode { ANSWER, HANG, HANG_UP, EXPECT_NOTHING };

struct standin {
	enum mode mode;
	const char *reply;  /* what it answers (ANSWER) */
	size_t replylen;    /* 0: strlen(reply) */
	const char *host;   /* the Host header it expects */
	uid_t as;           /* listen as this uid (when root), or -1 */
};

/* A unix socket bound at sock (not yet listening). */
static int
bind_unix(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)unlink(sock);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("bind");
		exit(2);
	}
	return fd;
}

/* A TCP socket bound on 127.0.0.1 at a free port, written to port. */
static int
bind_tcp(char *port, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		perror("bind");
		exit(2);
	}
	snprintf(port, len, "%d", ntohs(sin.sin_port));
	return fd;
}

/* The child: read one request into buf until its body (want bytes after
 * the headers) is all there or the client closes; the bytes read. */
static size_t
read_request(int c, char *buf, size_t cap, size_t want)
{
	size_t len = 0;
	char *end;
	ssize_t n;

	while (len < cap && (n = read(c, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if ((end = memmem(buf, len, "\r\n\r\n", 4)) != NULL &&
		    len - (size_t)(end + 4 - buf) >= want)
			break;
	}
	return len;
}

/* The child: is buf the request caddy_admin_load should send? */
static int
request_ok(const char *buf, size_t len, const char *host, const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "POST /load HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", host, strlen(body));
	return len == (size_t)n + strlen(body) && memcmp(buf, head, n) == 0 &&
	    memcmp(buf + n, body, strlen(body)) == 0;
}

/* The child's life: listen, accept one connection, act out s.  Exits 0
 * when what it got was what it expected. */
static void
standin(int fd, int ready, const struct standin *s, const char *body)
{
	size_t cap = strlen(body) + 4096, len;
	char *buf = malloc(cap);
	int c, ok;

	if (getuid() == 0 && s->as != (uid_t)-1 && setuid(s->as) == -1)
		_exit(3);
	if (buf == NULL || listen(fd, 4) == -1 || write(ready, "x", 1) != 1 ||
	    (c = accept(fd, NULL, NULL)) == -1)
		_exit(3);
	if (s->mode == HANG_UP) /* unread data: the close resets the client */
		_exit(close(c) == 0 ? 0 : 1);
	len = read_request(c, buf, cap, s->mode == EXPECT_NOTHING ? 1 :
	    strlen(body));
	if (s->mode == EXPECT_NOTHING)
		_exit(len == 0 ? 0 : 1);
	ok = request_ok(buf, len, s->host ? s->host : "localhost", body);
	if (s->mode == HANG)
		pause();
	len = s->replylen ? s->replylen : strlen(s->reply);
	_exit(ok && write(c, s->reply, len) == (ssize_t)len ? 0 : 1);
}

/* Start the stand-in on the bound fd; its pid, once it listens. */
static pid_t
serve(int fd, const struct standin *s, const char *body)
{
	int p[2];
	char x;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		exit(2);
	if (pid == 0) {
		close(p[0]);
		standin(fd, p[1], s, body);
	}
	close(p[1]);
	close(fd);
	if (read(p[0], &x, 1) != 1)
		fprintf(stderr, "stand-in did not start\n");
	close(p[0]);
	return pid;
}

/* The stand-in's verdict (it is killed first when kill_it). */
static int
standin_ok(pid_t pid, int kill_it)
{
	int st;

	if (kill_it)
		(void)kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return kill_it ? 1 : WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* POST body to a stand-in on the unix socket answering reply; the return
 * of caddy_admin_load, err, and whether the stand-in got the request. */
static int
post(const char *reply, const char *body, char *err, size_t errlen, int *ok)
{
	struct standin s = { ANSWER, reply, 0, NULL, (uid_t)-1 };
	struct caddy_admin a = { sock, getuid(), NULL, NULL, 10000 };
	pid_t pid = serve(bind_unix(), &s, body);
	int rc;

	err[0] = '\0';
	rc = caddy_admin_load(&a, body, err, errlen);
	*ok = standin_ok(pid, 0);
	return rc;
}

static void
test_accepted(void)
{
	char err[512], *big;
	int ok;

	CHECK(post("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "{}", err,
	    sizeof(err), &ok) == 0 && ok);
	/* no Content-Length: the body ends where Caddy closes */
	CHECK(post("HTTP/1.1 200 OK\r\n\r\n", "{\"apps\":{}}", err, sizeof(err),
	    &ok) == 0 && ok);
	CHECK(post("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n", "{}",
	    err, sizeof(err), &ok) == 0 && ok);
	CHECK(post("HTTP/1.1 200\r\n\r\n", "{}", err, sizeof(err), &ok) == 0 && ok);
	/* a config far bigger than the socket's buffer goes out whole */
	big = malloc(3 << 20);
	memset(big, 'x', 3 << 20);
	big[(3 << 20) - 1] = '\0';
	CHECK(post("HTTP/1.1 200 OK\r\n\r\n", big, err, sizeof(err), &ok) == 0 &&
	    ok);
	/* a reply bigger than what is kept is read to the end */
	memset(big, 'y', 1 << 20);
	memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
	big[1 << 20] = '\0';
	CHECK(post(big, "{}", err, sizeof(err), &ok) == 0 && ok);
	free(big);
}

static void
test_rejected(void)
{
	char err[512];
	int ok;

	CHECK(post("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json"
	    "\r\nContent-Length: 44\r\n\r\n{\"error\":\"loading config: bad"
	    " listener\"}\n", "{}", err, sizeof(err), &ok) == -1 && ok);
	CHECK(strcmp(err, "Caddy rejected the new configuration: loading"
	    " config: bad listener") == 0);
	/* chunked, in two chunks, one with an extension */
	CHECK(post("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n"
	    "\r\nf\r\n{\"error\":\"provi\r\n12;x=y\r\nsioning: no such\"}\r\n"
	    "0\r\n\r\n", "{}", err, sizeof(err), &ok) == -1 && ok);
	CHECK(strcmp(err, "Caddy rejected the new configuration: provisioning:"
	    " no such") == 0);
	/* not JSON: the body itself, its control characters made spaces */
	CHECK(post("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 11\r\n"
	    "\r\nboom\x1b[2Jx\n", "{}", err, sizeof(err), &ok) == -1 && ok);
	CHECK(strcmp(err, "Caddy rejected the new configuration: boom [2Jx") == 0);
	CHECK(post("HTTP/1.1 403 Forbidden\r\n\r\n", "{}", err, sizeof(err),
	    &ok) == -1 && ok);
	CHECK(strcmp(err, "Caddy rejected the new configuration (HTTP 403, no"
	    " message)") == 0);
}

static void
test_malformed(void)
{
	static const char *bad[] = {
		"",                               /* closed without a word */
		"HTTP/1.1 2",                     /* cut off mid status line */
		"HTTP/1.1 200 OK",                /* ... before its CRLF */
		"HTTP/1.1 200 OK\r\nContent-Le",  /* ... in the headers */
		"SSH-2.0-OpenSSH_9.2\r\n\r\n",    /* garbage */
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 -20 OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 400 x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	char err[512];
	int ok;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(post(bad[i], "{}", err, sizeof(err), &ok) == -1 && ok);
		CHECK(strcmp(err, "Caddy's admin API sent a malformed reply") == 0);
	}
}

/* A stand-in that acts out mode on the unix socket; caddy_admin_load's
 * return with a deadline of ms. */
static int
against(enum mode mode, uid_t as, uid_t peer, int ms, char *err,
    size_t errlen, int *ok)
{
	struct standin s = { mode, NULL, 0, NULL, as };
	struct caddy_admin a = { sock, peer, NULL, NULL, ms };
	const char *body = mode == HANG_UP ? "" : "{}";
	char *big = NULL;
	pid_t pid;
	int rc;

	if (mode == HANG_UP) { /* enough to fill the socket's buffers */
		big = malloc(8 << 20);
		memset(big, 'x', 8 << 20);
		big[(8 << 20) - 1] = '\0';
	}
	pid = serve(bind_unix(), &s, body);
	rc = caddy_admin_load(&a, big ? big : body, err, errlen);
	*ok = standin_ok(pid, mode == HANG);
	free(big);
	return rc;
}

static void
test_failures(void)
{
	struct timespec t0, t1;
	char err[512], want[128];
	int ok, fd;
	uid_t other = getuid() == 0 ? NOBODY : getuid() + 1;

	/* never answers: the deadline ends it */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(against(HANG, (uid_t)-1, getuid(), 300, err, sizeof(err),
	    &ok) == -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(strcmp(err, "timed out waiting for the reply of Caddy's admin"
	    " API (300 ms)") == 0);
	CHECK(t1.tv_sec - t0.tv_sec < 5);
	/* hangs up mid-request: an error, not a SIGPIPE that kills us */
	CHECK(against(HANG_UP, (uid_t)-1, getuid(), 10000, err, sizeof(err),
	    &ok) == -1 && ok);
	CHECK(strstr(err, "cannot send the config to Caddy's admin API: ") ==
	    err);
	/* another uid listens (as root: nobody; else the proxy's uid is not
	 * ours): refused before a byte is sent */
	CHECK(against(EXPECT_NOTHING, getuid() == 0 ? NOBODY : (uid_t)-1,
	    getuid() == 0 ? 0 : other, 10000, err, sizeof(err), &ok) == -1 && ok);
	snprintf(want, sizeof(want), "Caddy's admin socket is held by uid %lu,"
	    " not the proxy's uid %lu", (unsigned long)(getuid() == 0 ? NOBODY :
	    getuid()), (unsigned long)(getuid() == 0 ? 0 : other));
	CHECK(strcmp(err, want) == 0);
	/* a socket nobody listens on; no socket at all */
	fd = bind_unix();
	close(fd);
	CHECK(caddy_admin_load(&(struct caddy_admin){ sock, getuid(), NULL,
	    NULL, 10000 }, "{}", err, sizeof(err)) == -1);
	CHECK(strstr(err, "cannot connect to Caddy's admin socket '") == err &&
	    strstr(err, "admin.sock': Connection refused") != NULL);
	unlink(sock);
	CHECK(caddy_admin_load(&(struct caddy_admin){ sock, getuid(), NULL,
	    NULL, 10000 }, "{}", err, sizeof(err)) == -1);
	CHECK(strstr(err, "admin.sock': No such file or directory") != NULL);
}

static void
test_tcp(void)
{
	struct standin s = { ANSWER, "HTTP/1.1 200 OK\r\n\r\n", 0, NULL,
	    (uid_t)-1 };
	struct caddy_admin a = { NULL, 0, "localhost", NULL, 10000 };
	char port[16], host[64], err[512];
	pid_t pid;
	int fd;

	/* "localhost" may be ::1 first, where nobody listens: the next
	 * address answers */
	fd = bind_tcp(port, sizeof(port));
	snprintf(host, sizeof(host), "localhost:%s", port);
	s.host = host;
	a.port = port;
	pid = serve(fd, &s, "{\"admin\":{}}");
	CHECK(caddy_admin_load(&a, "{\"admin\":{}}", err, sizeof(err)) == 0);
	CHECK(standin_ok(pid, 0));
	/* nobody listens there any more */
	a.host = "127.0.0.1";
	CHECK(caddy_admin_load(&a, "{}", err, sizeof(err)) == -1);
	snprintf(host, sizeof(host), "127.0.0.1:%s: Connection refused", port);
	CHECK(strstr(err, "cannot connect to Caddy's admin API at ") == err &&
	    strstr(err, host) != NULL);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(sock, sizeof(sock), "%s/admin.sock", dir);
	test_accepted();
	test_rejected();
	test_malformed();
	test_failures();
	test_tcp();
	(void)unlink(sock);
	(void)rmdir(dir);
	return unit_done();
}
