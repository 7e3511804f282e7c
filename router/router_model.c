/*
 * router_model.c - the routing table as data: for every app with a live
 * release (or the one being deployed), its host names (APP.BASE_DOMAIN
 * first, then domains:add ones), and either the absolute directory of its
 * static files in that release or the ports of its web processes (the
 * app's one stable upstream port once it has one), and the page it
 * answers with while in maintenance (router_page.c); and the dashboard's
 * host to berth's own HTTP endpoint (web/), when [dashboard] sets both.
 * Both back ends render from this, so they route the same way.  Three
 * queries whatever the number of apps (core/store_routes.c): the apps,
 * then every domain and every running port, merged in by app name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "core/preview.h"
#include "router/router.h"

struct collect {
	const struct conf *c;
	struct store *st;
	struct routes *out;
	size_t cap;
	size_t first;  /* the first app's route (after the dashboard's) */
	size_t next;   /* where the merge of domains and ports stands */
	int failed;
	char *err;
	size_t errlen;
};

/* Append a copy of name to r's domains (at most ROUTE_DOMAINS_MAX). */
static int
push_domain(struct route *r, const char *name)
{
	if (r->ndomains == ROUTE_DOMAINS_MAX)
		return 0;
	if ((r->domains[r->ndomains] = strdup(name)) == NULL)
		return -1;
	r->ndomains++;
	return 0;
}

static int
fill_route(struct collect *k, const struct route_rec *a, struct route *r)
{
	char host[DOMAIN_MAX + 1];

	memset(r, 0, sizeof(*r));
	snprintf(r->app, sizeof(r->app), "%s", a->name);
	r->release = a->release;
	if (!a->has_release) {
		snprintf(k->err, k->errlen, "app '%s' has no release v%d", a->name,
		    a->release);
		return -1;
	}
	/* a preview answers under [previews] domain (core/preview.h) */
	if (preview_app_host(k->c, a->name, a->parent_id != 0, host,
	    sizeof(host)) == -1) {
		snprintf(k->err, k->errlen, "the host of '%s' is too long for a"
		    " domain", a->name);
		return -1;
	}
	if (push_domain(r, host) == -1) {
		snprintf(k->err, k->errlen, "out of memory");
		return -1;
	}
	if (a->static_root[0] != '\0' && pathf(r->static_root,
	    sizeof(r->static_root), "%s/apps/%s/releases/%d/%s", k->c->data_dir,
	    a->name, a->release, a->static_root) == -1) {
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
collect_app(void *arg, const struct route_rec *a)
{
	struct collect *k = arg;
	struct route *r;

	if (grow_routes(k) != 0)
		return 1;
	r = &k->out->v[k->out->n];
	if (fill_route(k, a, r) == -1) {
		route_release(r);
		return k->failed = 1;
	}
	k->out->n++;
	r->upstream = a->upstream_port;
	if (a->maintenance && router_page_load(k->c, a->name, a->release,
	    &r->page) == -1) {
		snprintf(k->err, k->errlen, "out of memory");
		return k->failed = 1;
	}
	return 0;
}

/* The route of app, or NULL: rows come in app name order, as the routes
 * do, so the search only moves forward. */
static struct route *
merge_to(struct collect *k, const char *app)
{
	struct routes *rs = k->out;

	while (k->next < rs->n && strcmp(rs->v[k->next].app, app) < 0)
		k->next++;
	return k->next < rs->n && strcmp(rs->v[k->next].app, app) == 0 ?
	    &rs->v[k->next] : NULL;
}

static int
add_domain(void *arg, const char *app, const char *domain)
{
	struct collect *k = arg;
	struct route *r = merge_to(k, app);

	if (r != NULL && push_domain(r, domain) == -1) {
		snprintf(k->err, k->errlen, "out of memory");
		return k->failed = 1;
	}
	return 0;
}

/* Web processes run behind the app's stable upstream port (run/relay.h):
 * each running instance adds that port, the same for every release, so
 * that a proxy retries a request that one instance's relay dropped (it
 * died) and the kernel gives the retry to another.  An app without one
 * yet names the instance's own port. */
static int
add_port(void *arg, const char *app, int port)
{
	struct collect *k = arg;
	struct route *r = merge_to(k, app);

	if (r != NULL && r->nports < ROUTE_PORTS_MAX)
		r->ports[r->nports++] = r->upstream > 0 ? r->upstream : port;
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
	if (strlen(k->c->dash_host) > DOMAIN_MAX ||
	    push_domain(r, k->c->dash_host) == -1) {
		snprintf(k->err, k->errlen, "dashboard host too long");
		k->failed = 1;
		return -1;
	}
	snprintf(r->dial, sizeof(r->dial), "%s", k->c->dash_listen);
	return 0;
}

/* The apps, then their domains and ports merged in (all three in app
 * name order). */
static int
collect_apps(struct collect *k, const char *show, int at)
{
	k->first = k->out->n;
	if (store_route_each(k->st, show, at, collect_app, k) == -1 ||
	    k->failed)
		return -1;
	k->next = k->first;
	if (store_domain_all(k->st, add_domain, k) == -1 || k->failed)
		return -1;
	k->next = k->first;
	if (store_web_port_all(k->st, add_port, k) == -1 || k->failed)
		return -1;
	return 0;
}

int
routes_collect(const struct conf *c, struct store *st, const char *show,
    int at, struct routes *out, char *err, size_t errlen)
{
	struct collect k = { c, st, out, 0, 0, 0, 0, err, errlen };

	memset(out, 0, sizeof(*out));
	/* the dashboard first: the proxies take the first route of a host */
	if (collect_dashboard(&k) == -1 || collect_apps(&k, show, at) == -1) {
		if (!k.failed)
			snprintf(err, errlen, "%s", store_error(st));
		routes_free(out);
		return -1;
	}
	return 0;
}

void
route_release(struct route *r)
{
	for (size_t i = 0; i < r->ndomains; i++)
		free(r->domains[i]);
	r->ndomains = 0;
	free(r->page);
	r->page = NULL;
}

void
routes_free(struct routes *r)
{
	for (size_t i = 0; i < r->n; i++)
		route_release(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
