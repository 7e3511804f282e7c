/*
 * test_pktline.c - unit tests of the pkt-line reader/writer, side-band
 * writer and capability lookup (gitd_pktline.c), the command-line splitter
 * (gitd_dispatch.c) and the name checks (core/names.c), over an in-memory
 * transport.
 */
#include <string.h>
#include <stdlib.h>

#include "core/names.h"
#include "gitd/gitd_dispatch.h"
#include "gitd/gitd_pktline.h"
#include "unit.h"

struct mem {
	const char *in;
	size_t in_len, in_pos, chunk; /* chunk: max bytes per read (0: all) */
	char out[200000];
	size_t out_len;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	struct mem *m = ctx;
	size_t n = m->in_len - m->in_pos;

	(void)err, (void)errlen;
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->in + m->in_pos, n);
	m->in_pos += n;
	return (ssize_t)n;
}

static int
mem_write(void *ctx, const void *buf, size_t len, char *err, size_t errlen)
{
	struct mem *m = ctx;

	(void)err, (void)errlen;
	if (m->out_len + len > sizeof(m->out))
		return -1;
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	return 0;
}

static struct pkt_io io;
static char buf[PKT_DATA_MAX + 1];

static void
start(struct mem *m, const char *in, size_t len, size_t chunk)
{
	struct pkt_transport t = { mem_read, mem_write, m };

	memset(m, 0, sizeof(*m));
	m->in = in;
	m->in_len = len;
	m->chunk = chunk;
	pkt_init(&io, &t);
}

static void
test_read(void)
{
	static const char s[] = "0009hello0000000100020008abc\n0004";
	struct mem m;
	size_t len;

	for (size_t chunk = 0; chunk < 4; chunk++) { /* also 1 byte at a time */
		start(&m, s, sizeof(s) - 1, chunk);
		CHECK(pkt_read(&io, buf, &len) == PKT_DATA && len == 5 &&
		    strcmp(buf, "hello") == 0);
		CHECK(pkt_read(&io, buf, &len) == PKT_FLUSH);
		CHECK(pkt_read(&io, buf, &len) == PKT_DELIM);
		CHECK(pkt_read(&io, buf, &len) == PKT_END);
		CHECK(pkt_read_line(&io, buf, &len) == PKT_DATA && len == 3 &&
		    strcmp(buf, "abc") == 0);
		CHECK(pkt_read(&io, buf, &len) == PKT_DATA && len == 0);
		CHECK(pkt_read(&io, buf, &len) == PKT_EOF);
	}
}

static void
test_read_errors(void)
{
	struct mem m;
	size_t len;
	char *big;

	start(&m, "zz01", 4, 0);
	CHECK(pkt_read(&io, buf, &len) == PKT_ERROR &&
	    strstr(io.err, "not hexadecimal") != NULL);
	start(&m, "\x01\x02\x03\x04", 4, 0);
	CHECK(pkt_read(&io, buf, &len) == PKT_ERROR &&
	    strstr(io.err, "'?" "?" "?" "?'") != NULL);
	start(&m, "0003", 4, 0);
	CHECK(pkt_read(&io, buf, &len) == PKT_ERROR);
	start(&m, "fff1", 4, 0);
	CHECK(pkt_read(&io, buf, &len) == PKT_ERROR &&
	    strstr(io.err, "longer than") != NULL);
	start(&m, "0010abc", 7, 0);
	CHECK(pkt_read(&io, buf, &len) == PKT_ERROR &&
	    strstr(io.err, "unexpected end") != NULL);
	start(&m, "00", 2, 0);
	CHECK(pkt_read(&io, buf, &len) == PKT_ERROR);
	/* the largest legal packet */
	big = malloc(PKT_MAX);
	memcpy(big, "fff0", 4);
	memset(big + 4, 'x', PKT_MAX - 4);
	start(&m, big, PKT_MAX, 1000);
	CHECK(pkt_read(&io, buf, &len) == PKT_DATA && len == PKT_DATA_MAX);
	free(big);
}

static void
test_raw_after_lines(void)
{
	static const char s[] = "0008abc\n0000PACKrest";
	struct mem m;
	size_t len;
	char raw[16];

	start(&m, s, sizeof(s) - 1, 0);
	CHECK(pkt_read_line(&io, buf, &len) == PKT_DATA);
	CHECK(pkt_read(&io, buf, &len) == PKT_FLUSH);
	CHECK(pkt_read_raw(&io, raw, sizeof(raw)) == 8 &&
	    memcmp(raw, "PACKrest", 8) == 0);
	CHECK(pkt_read_raw(&io, raw, sizeof(raw)) == 0);
}

static void
test_write(void)
{
	struct mem m;
	char *data;

	start(&m, "", 0, 0);
	CHECK(pkt_writef(&io, "hello %d\n", 42) == 0);
	CHECK(pkt_flush(&io) == 0);
	CHECK(m.out_len == 0); /* buffered until sent */
	CHECK(pkt_send(&io) == 0);
	CHECK(m.out_len == 17 && memcmp(m.out, "000dhello 42\n0000", 17) == 0);

	/* band 2 goes out at once; band 1 is split at PKT_BAND_MAX */
	start(&m, "", 0, 0);
	CHECK(pkt_band(&io, 2, "hi\n", 3) == 0);
	CHECK(m.out_len == 8 && memcmp(m.out, "0008\002hi\n", 8) == 0);
	data = calloc(1, 70000);
	start(&m, "", 0, 0);
	CHECK(pkt_band(&io, 1, data, 70000) == 0 && pkt_send(&io) == 0);
	CHECK(m.out_len == 70000 + 2 * 5);
	CHECK(memcmp(m.out, "fff0\001", 5) == 0);
	CHECK(memcmp(m.out + 65520, "118a\001", 5) == 0); /* 70000-65515+5 */
	free(data);
	start(&m, "", 0, 0);
	data = calloc(1, PKT_DATA_MAX + 1);
	CHECK(pkt_write(&io, data, PKT_DATA_MAX + 1) == -1);
	free(data);
}

static void
test_caps(void)
{
	char v[64];

	CHECK(pkt_cap_has(" report-status side-band-64k agent=git/2.39", "side-band-64k", NULL, 0));
	CHECK(!pkt_cap_has("side-band-64k", "side-band", NULL, 0));
	CHECK(pkt_cap_has("a agent=git/2.39 b", "agent", v, sizeof(v)) &&
	    strcmp(v, "git/2.39") == 0);
	CHECK(!pkt_cap_has("", "quiet", NULL, 0));
}

static void
test_split(void)
{
	char b[256], err[64], *argv[8];
	int argc;

	argc = gitd_split_args("git-receive-pack 'my app'", b, sizeof(b), argv,
	    8, err, sizeof(err));
	CHECK(argc == 2 && strcmp(argv[1], "my app") == 0);
	argc = gitd_split_args("  a \"b \\\" c\" d\\ e  ", b, sizeof(b), argv,
	    8, err, sizeof(err));
	CHECK(argc == 3 && strcmp(argv[1], "b \" c") == 0 &&
	    strcmp(argv[2], "d e") == 0);
	CHECK(gitd_split_args("a 'b", b, sizeof(b), argv, 8, err,
	    sizeof(err)) == -1);
	CHECK(gitd_split_args("a b c", b, sizeof(b), argv, 2, err,
	    sizeof(err)) == -1);
	CHECK(gitd_split_args("", b, sizeof(b), argv, 8, err, sizeof(err)) == 0);
	CHECK(gitd_split_args("a\tb\x01", b, sizeof(b), argv, 8, err,
	    sizeof(err)) == -1);
	CHECK(gitd_split_args("aaaaaaaaaaaaaaaaaaaa", b, 8, argv, 8, err,
	    sizeof(err)) == -1);
}

static void
test_names(void)
{
	char why[128], app[80];
	char longname[201];

	memset(longname, 'a', 200);
	longname[200] = '\0';
	CHECK(name_app_valid("myapp", why, sizeof(why)) == 0);
	CHECK(name_app_valid("my-app-2", why, sizeof(why)) == 0);
	CHECK(name_app_valid("", why, sizeof(why)) == -1);
	CHECK(name_app_valid("../x", why, sizeof(why)) == -1);
	CHECK(name_app_valid("a b", why, sizeof(why)) == -1);
	CHECK(name_app_valid("MyApp", why, sizeof(why)) == -1);
	CHECK(name_app_valid("1app", why, sizeof(why)) == -1);
	CHECK(name_app_valid("app-", why, sizeof(why)) == -1);
	CHECK(name_app_valid(longname, why, sizeof(why)) == -1);
	longname[63] = '\0';
	CHECK(name_app_valid(longname, why, sizeof(why)) == 0);
	CHECK(name_repo_arg("/myapp.git", app, sizeof(app), why,
	    sizeof(why)) == 0 && strcmp(app, "myapp") == 0);
	CHECK(name_repo_arg("~/myapp", app, sizeof(app), why, sizeof(why)) == 0);
	CHECK(name_repo_arg("a/b", app, sizeof(app), why, sizeof(why)) == -1);
	CHECK(name_repo_arg(".git", app, sizeof(app), why, sizeof(why)) == -1);
	CHECK(name_key_valid("alice@laptop", why, sizeof(why)) == 0);
	CHECK(name_key_valid("-x", why, sizeof(why)) == -1);
	CHECK(name_key_valid("a;b", why, sizeof(why)) == -1);
}

int
main(void)
{
	test_read();
	test_read_errors();
	test_raw_after_lines();
	test_write();
	test_caps();
	test_split();
	test_names();
	return unit_done();
}
