/*
 * fuzz_web.c - the dashboard's HTTP endpoint (web/): the fuzzer's bytes
 * are one client's side of a connection, handed to the real server
 * (libmicrohttpd and every route of web_routes.c) over a socketpair.
 * Bad input must get an answer that is not a 500 (our own failure), and
 * never a crash.  The store is a real sqlite file in a temp dir, with no
 * session in it: the pages behind a login answer 401.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/datadir.h"
#include "core/store.h"
#include "web/web_int.h"

static struct conf conf;
static struct web_server *srv;

static void
setup(void)
{
	char tmpl[] = "/tmp/fuzz-web.XXXXXX", db[PATH_MAX], err[256];
	struct store *st;

	conf_defaults(&conf);
	if (mkdtemp(tmpl) == NULL)
		abort();
	snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", tmpl);
	snprintf(conf.dash_metrics_token, sizeof(conf.dash_metrics_token),
	    "0123456789abcdef0123");
	conf.dash_max_body = 2048;
	if (datadir_db(conf.data_dir, db, sizeof(db)) == -1 ||
	    store_open(&st, db, err, sizeof(err)) == -1)
		abort();
	store_close(st);
	if ((srv = web_server_start(&conf, -1)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char out[65536];
	size_t sent = 0, got = 0;
	ssize_t n;
	int sv[2], i;

	if (srv == NULL)
		setup();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (web_server_feed(srv, sv[1]) == -1)
		abort();
	for (i = 0; i < 2000; i++) {
		if (sent < len && (n = write(sv[0], data + sent, len - sent)) > 0)
			sent += (size_t)n;
		if (sent == len)
			(void)shutdown(sv[0], SHUT_WR);
		(void)web_server_step(srv, 1);
		n = read(sv[0], out + got, sizeof(out) - 1 - got);
		if (n == 0 || got == sizeof(out) - 1)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	out[got] = '\0';
	close(sv[0]);
	/* a 500 is the server's own failure, never the answer to input */
	for (char *p = out; (p = strstr(p, "HTTP/1.")) != NULL; p += 7)
		if (strncmp(p + 8, " 500 ", 5) == 0)
			abort();
	return 0;
}
