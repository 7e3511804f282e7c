/*
 * local.c - berth [-c FILE] COMMAND ...: any SSH command, run on the
 * server by whoever can read its config, as admin ("local" in the audit
 * log).  The command goes through the same gate as over SSH
 * (gitd/gitd_dispatch.h), with stdin and stdout as its channel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "gitd/gitd.h"
#include "gitd/gitd_dispatch.h"

static ssize_t
local_read(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	ssize_t n;

	(void)ctx;
	while ((n = read(0, buf, len)) == -1 && errno == EINTR)
		;
	if (n == -1)
		snprintf(err, errlen, "read: %s", strerror(errno));
	return n;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
local_write(void *ctx, const void *buf, size_t len, char *err, size_t errlen)
{
	(void)ctx;
	if (write_all(1, buf, len) == -1) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
local_write_err(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	return write_all(2, buf, len);
}

int
cmd_local(struct conf *c, int argc, char **argv, const char *note)
{
	struct gitd_ctx g;
	struct store *st;
	int created = 0, rc;

	(void)note;

	if (cmd_prepare(c, &st, &created) == -1)
		return 1;
	memset(&g, 0, sizeof(g));
	g.conf = c;
	g.st = st;
	g.local = 1;
	g.key.is_admin = 1;
	snprintf(g.key.name, sizeof(g.key.name), "local");
	snprintf(g.key.fingerprint, sizeof(g.key.fingerprint), "local");
	g.io.in_out = (struct pkt_transport){ .read = local_read,
	    .write = local_write, .ctx = NULL };
	g.io.write_err = local_write_err;
	rc = gitd_dispatch(&g, argc, argv);
	store_close(st);
	return rc;
}
