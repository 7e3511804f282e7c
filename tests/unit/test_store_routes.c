/*
 * test_store_routes.c - the router's three queries (core/store_routes.c)
 * on an in-memory sqlite: which apps are routed and at which release
 * (the live one, or the one a deploy shows), a release without its row,
 * and every domain and running web port in app name order, as
 * router/router_model.c merges them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "tests/unit/unit.h"

#define OID "cccccccccccccccccccccccccccccccccccccccc"

static struct store *st;

/* Each callback appends "name:value " to a buffer. */
struct seen {
	char buf[1024];
	int stop_after; /* stop after this many rows, 0: never */
	int rows;
};

static int
seen_add(struct seen *s, const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(s->buf);

	snprintf(s->buf + n, sizeof(s->buf) - n, fmt, a, b);
	return s->stop_after && ++s->rows >= s->stop_after;
}

static int
route_row(void *arg, const struct route_rec *r)
{
	char v[400];

	snprintf(v, sizeof(v), "v%d%s/%d/%s", r->release, r->has_release ? "" :
	    "(none)", r->upstream_port, r->static_root);
	return seen_add(arg, "%s:%s ", r->name, v);
}

static int
domain_row(void *arg, const char *app, const char *domain)
{
	return seen_add(arg, "%s:%s ", app, domain);
}

static int
port_row(void *arg, const char *app, int port)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", port);
	return seen_add(arg, "%s:%s ", app, v);
}

static int64_t
app(const char *name, int release, const char *root)
{
	struct app_rec a;
	struct release_rec rel;

	CHECK(store_app_create(st, name, &a) == 0);
	if (release == 0)
		return a.id;
	memset(&rel, 0, sizeof(rel));
	rel.app_id = a.id;
	rel.version = release;
	snprintf(rel.commit, sizeof(rel.commit), OID);
	snprintf(rel.buildpack, sizeof(rel.buildpack), "static");
	snprintf(rel.static_root, sizeof(rel.static_root), "%s", root);
	CHECK(store_release_add(st, &rel) == 0);
	CHECK(store_app_set_current(st, a.id, release) == 0);
	return a.id;
}

static void
proc(int64_t app_id, const char *type, int idx, int port, const char *state)
{
	struct proc_rec p;

	memset(&p, 0, sizeof(p));
	p.app_id = app_id;
	p.release = 1;
	snprintf(p.type, sizeof(p.type), "%s", type);
	p.idx = idx;
	p.port = port;
	snprintf(p.state, sizeof(p.state), "%s", state);
	CHECK(store_proc_add(st, &p) == 0);
}

static void
test_routes(void)
{
	struct seen s = { "", 0, 0 };
	int64_t alpha, mid, ghost;
	struct release_rec rel;

	(void)app("zeta", 1, "public");
	alpha = app("alpha", 1, "");
	mid = app("mid", 0, "");
	ghost = app("ghost", 0, "");
	CHECK(store_app_set_current(st, ghost, 3) == 0); /* no such row */
	CHECK(store_app_set_upstream(st, alpha, 7000) == 0);
	CHECK(store_route_each(st, NULL, 0, route_row, &s) == 0);
	CHECK(strcmp(s.buf, "alpha:v1/7000/ ghost:v3(none)/0/ "
	    "zeta:v1/0/public ") == 0);

	/* a deploy shows mid at its first release, zeta at one not live */
	memset(&rel, 0, sizeof(rel));
	rel.app_id = mid;
	rel.version = 1;
	snprintf(rel.commit, sizeof(rel.commit), OID);
	snprintf(rel.static_root, sizeof(rel.static_root), "site");
	CHECK(store_release_add(st, &rel) == 0);
	s.buf[0] = '\0';
	CHECK(store_route_each(st, "mid", 1, route_row, &s) == 0);
	CHECK(strcmp(s.buf, "alpha:v1/7000/ ghost:v3(none)/0/ mid:v1/0/site "
	    "zeta:v1/0/public ") == 0);
	s.buf[0] = '\0';
	CHECK(store_route_each(st, "zeta", 2, route_row, &s) == 0);
	CHECK(strstr(s.buf, "zeta:v2(none)/0/ ") != NULL);
	s = (struct seen){ "", 1, 0 }; /* fn stops it early */
	CHECK(store_route_each(st, NULL, 0, route_row, &s) == 0);
	CHECK(strcmp(s.buf, "alpha:v1/7000/ ") == 0);
}

static void
test_domains_and_ports(void)
{
	struct seen s = { "", 0, 0 };
	struct app_rec a, z, m;

	CHECK(store_app_get(st, "alpha", &a) == 0);
	CHECK(store_app_get(st, "zeta", &z) == 0);
	CHECK(store_app_get(st, "mid", &m) == 0);
	CHECK(store_domain_add(st, z.id, "b.example") == 0);
	CHECK(store_domain_add(st, z.id, "a.example") == 0);
	CHECK(store_domain_add(st, m.id, "m.example") == 0);
	CHECK(store_domain_add(st, a.id, "x.example") == 0);
	CHECK(store_domain_all(st, domain_row, &s) == 0);
	CHECK(strcmp(s.buf, "alpha:x.example mid:m.example zeta:a.example "
	    "zeta:b.example ") == 0);

	/* running web processes only, by instance */
	proc(a.id, "web", 2, 5002, "running");
	proc(z.id, "web", 1, 6001, "draining");
	proc(a.id, "worker", 1, 0, "running");
	proc(a.id, "web", 1, 5001, "running");
	proc(a.id, "web", 3, 5003, "starting");
	s.buf[0] = '\0';
	CHECK(store_web_port_all(st, port_row, &s) == 0);
	CHECK(strcmp(s.buf, "alpha:5001 alpha:5002 ") == 0);
}

int
main(void)
{
	char err[256];

	if (store_open(&st, ":memory:", err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot open the store: %s\n", err);
		CHECK(0);
		return unit_done();
	}
	test_routes();
	test_domains_and_ports();
	store_close(st);
	return unit_done();
}
