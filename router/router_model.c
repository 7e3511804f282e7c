/*
 * router_model.c - the routing table as data: for every app with a live
 * release (or the one being deployed), its host names (APP.BASE_DOMAIN
 * first, then domains:add ones), and either the absolute directory of its
 * static files in that release or the ports of its web processes (the
 * app's one stable upstream port once it has one), and the page it
 * answers with while in maintenance (router_page.c); and the dashboard's
 * host to berth's own HTTP endpoint (web/), when [dashboard] sets both.
 * Both back ends render from this, so they route the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "router/router.h"

struct collect {
	const struct conf *c;
	struct store *st;
	const char *show;
	int at;
	struct routes *out;
	size_t cap;
	int failed;
	char *err;
	size_t errlen;
};

static int
add_domain(void *arg, const char *domain)
{
	struct route *r = arg;

	if (r->ndomains < ROUTE_DOMAINS_MAX)
		snprintf(r->domains[r->ndomains++], sizeof(r->domains[0]), "%s",
		    domain);
	return 0;
}

/* Web processes run behind the app's stable upstream port (run/relay.h):
 * the route names that port, the same for every release, once per
 * instance, so that a proxy retries a request that one instance's
 * relay dropped (it died) and the kernel gives the retry to another. */
static int
route_upstream(struct store *st, const struct app_rec *a, struct route *r)
{
	int port;

	if (store_app_upstream(st, a->id, &port) != 0)
		return -1;
	for (size_t i = 0; port > 0 && i < r->nports; i++)
		r->ports[i] = port;
	return 0;
}

static int
fill_route(struct collect *k, const struct app_rec *a, int release,
    struct route *r)
{
	struct release_rec rel;

	memset(r, 0, sizeof(*r));
	snprintf(r->app, sizeof(r->app), "%s", a->name);
	r->release = release;
	if (store_release_get(k->st, a->id, release, &rel) != 0) {
		snprintf(k->err, k->errlen, "app '%s' has no release v%d", a->name,
		    release);
		return -1;
	}
	if (pathf(r->domains[r->ndomains++], sizeof(r->domains[0]), "%s.%s",
	    a->name, k->c->base_domain) == -1) {
		snprintf(k->err, k->errlen, "'%s.%s' is too long for a domain",
		    a->name, k->c->base_domain);
		return -1;
	}
	if (store_domain_each(k->st, a->id, add_domain, r) == -1 ||
	    store_web_ports(k->st, a->id, release, r->ports, ROUTE_PORTS_MAX,
	    &r->nports) == -1) {
		snprintf(k->err, k->errlen, "%s", store_error(k->st));
		return -1;
	}
	if (r->nports > 0 && route_upstream(k->st, a, r) == -1) {
		snprintf(k->err, k->errlen, "%s", store_error(k->st));
		return -1;
	}
	if (rel.static_root[0] != '\0' && pathf(r->static_root,
	    sizeof(r->static_root), "%s/apps/%s/releases/%d/%s", k->c->data_dir,
	    a->name, release, rel.static_root) == -1) {
		snprintf(k->err, k->errlen, "static root path too long");
		return -1;
	}
	/* static_root itself is plain (run/procfile.c); the data dir is the
	 * admin's, and must not hold what nginx would read as syntax */
	if (strpbrk(r->static_root, "\"'\\$;{}# \t\r\n") != NULL) {
		snprintf(k->err, k->errlen, "static root '%s' holds characters the"
		    " proxy's config cannot carry (quotes, '$', ';', braces,"
		    " spaces); move data_dir", r->static_root);
		return -1;
	}
	return 0;
}

static int
grow_routes(struct collect *k)
{
	if (k->out->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 16;
		struct route *nv = realloc(k->out->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			snprintf(k->err, k->errlen, "out of memory");
			return k->failed = 1;
		}
		k->out->v = nv;
		k->cap = ncap;
	}
	return 0;
}

static int
collect_app(void *arg, const struct app_rec *a)
{
	struct collect *k = arg;
	int release = k->show && strcmp(a->name, k->show) == 0 ? k->at :
	    a->current_release;

	if (release == 0)
		return 0;
	if (grow_routes(k) != 0)
		return 1;
	if (fill_route(k, a, release, &k->out->v[k->out->n]) == -1)
		return k->failed = 1;
	k->out->n++;
	if (a->maintenance && router_page_load(k->c, a->name, release,
	    &k->out->v[k->out->n - 1].page) == -1) {
		snprintf(k->err, k->errlen, "out of memory");
		return k->failed = 1;
	}
	return 0;
}

/* [dashboard] host, proxied to [dashboard] listen (conf.c checked both:
 * a host name, a plain path or a numeric address). */
static int
collect_dashboard(struct collect *k)
{
	struct route *r;

	if (k->c->dash_host[0] == '\0' || k->c->dash_listen[0] == '\0')
		return 0;
	if (grow_routes(k) != 0)
		return -1; /* k->failed set */
	r = &k->out->v[k->out->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->app, sizeof(r->app), "%s", ROUTE_DASHBOARD);
	/* a host name of at most 253 characters (conf.c) */
	if (pathf(r->domains[r->ndomains++], sizeof(r->domains[0]), "%s",
	    k->c->dash_host) == -1) {
		snprintf(k->err, k->errlen, "dashboard host too long");
		k->failed = 1;
		return -1;
	}
	snprintf(r->dial, sizeof(r->dial), "%s", k->c->dash_listen);
	return 0;
}

int
routes_collect(const struct conf *c, struct store *st, const char *show,
    int at, struct routes *out, char *err, size_t errlen)
{
	struct collect k = { c, st, show, at, out, 0, 0, err, errlen };

	memset(out, 0, sizeof(*out));
	/* the dashboard first: the proxies take the first route of a host */
	if (collect_dashboard(&k) == -1 ||
	    store_app_each(st, collect_app, &k) == -1 || k.failed) {
		if (!k.failed)
			snprintf(err, errlen, "%s", store_error(st));
		routes_free(out);
		return -1;
	}
	return 0;
}

void
routes_free(struct routes *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].page);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
