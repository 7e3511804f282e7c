/*
 * gitd_cmd_domains.c - domains, domains:add, domains:remove.  A domain is
 * validated (core/names.c), must not belong to another app (the error names
 * the app that has it), and takes effect through the router; if the proxy
 * rejects the result, the change is undone and the proxy's message shown.
 * With HTTPS on, a new domain's certificate is asked for (router_tls.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "core/path.h"
#include "gitd/gitd_dispatch.h"
#include "router/router.h"
#include "router/router_tls.h"

static int
add_domain(void *arg, const char *domain)
{
	json_array_append_new(arg, json_pack("{s:s, s:b}", "domain", domain,
	    "default", 0));
	return 0;
}

int
cmd_domains(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "domain", "default", NULL };
	char def[STORE_NAME_MAX + CONF_NAME_MAX + 2];
	json_t *rows = json_array();

	(void)argc, (void)argv;
	snprintf(def, sizeof(def), "%s.%s", g->app.name, g->conf->base_domain);
	json_array_append_new(rows, json_pack("{s:s, s:b}", "domain", def,
	    "default", 1));
	if (store_domain_each(g->st, g->app.id, add_domain, rows) == -1) {
		json_decref(rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_emit_list(g, rows, cols) == 0 ? 0 : 1;
}

/* Lower-case and validate argv[2] into out. 0 or an exit status. */
static int
domain_arg(struct gitd_ctx *g, const char *arg, char *out, size_t len)
{
	char why[128];
	size_t n = strlen(arg);

	if (n >= len) {
		gitd_errorf(g, "berth: domain is longer than 253 characters");
		return 2;
	}
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)arg[i]);
	if (name_domain_valid(out, why, sizeof(why)) == -1) {
		gitd_errorf(g, "berth: invalid domain '%.80s': %s", arg, why);
		return 2;
	}
	return 0;
}

/* Apply the routing table; on failure undo with undo() and say why. */
static int
apply(struct gitd_ctx *g, int (*undo)(struct store *, int64_t, const char *),
    const char *domain)
{
	char err[1024];

	if (g->app.current_release == 0)
		return 0; /* nothing routed yet: the first deploy routes it */
	if (router_update(g->conf, g->st, NULL, 0, err, sizeof(err)) == 0)
		return 0;
	(void)undo(g->st, g->app.id, domain);
	gitd_errorf(g, "berth: %s\nberth: the change was not applied", err);
	return 1;
}

/* HTTPS for a new domain (router_tls.h): nginx gets its certificate now;
 * a failure leaves the domain on HTTP, and says why. */
static void
https_added(struct gitd_ctx *g, const char *domain)
{
	char err[TLS_WHY_MAX], url[DOMAIN_MAX + 32];

	if (!tls_wanted(g->conf, domain))
		return;
	tls_url(g->conf, domain, url, sizeof(url));
	if (strcmp(g->conf->router_kind, "caddy") == 0) {
		gitd_printf(g, "Caddy is getting a certificate for %s; until it"
		    " has one, the domain is served over HTTP (see 'status')\n",
		    domain);
		return;
	}
	if (tls_domain_added(g->conf, g->st, domain, err, sizeof(err)) == 0) {
		gitd_printf(g, "%s is served over HTTPS\n", url);
		return;
	}
	gitd_errorf(g, "berth: no certificate for %s: %s\nberth: %s is served"
	    " over HTTP; berth serve tries again within the hour (see"
	    " 'status')", domain, err, domain);
}

static int
undo_add(struct store *st, int64_t app, const char *domain)
{
	return store_domain_remove(st, app, domain);
}

int
cmd_domains_add(struct gitd_ctx *g, int argc, char **argv)
{
	char domain[DOMAIN_MAX + 1], owner[STORE_NAME_MAX], self[DOMAIN_MAX + 1];
	int rc;

	(void)argc;
	if ((rc = domain_arg(g, argv[2], domain, sizeof(domain))) != 0)
		return rc;
	if (strcmp(domain, g->conf->dash_host) == 0) { /* a login page's */
		gitd_errorf(g, "berth: '%s' is the dashboard's ([dashboard]"
		    " host)", domain);
		return 1;
	}
	{
		size_t dl = strlen(domain), bl = strlen(g->conf->base_domain);
		if (dl > bl + 1 && domain[dl - bl - 1] == '.' &&
		    strcmp(domain + dl - bl, g->conf->base_domain) == 0) {
			gitd_errorf(g, "berth: names under '%s' are the apps' own"
			    " (APP.%s); pick a domain outside it",
			    g->conf->base_domain, g->conf->base_domain);
			return 1;
		}
	}
	if (pathf(self, sizeof(self), "%s.%s", g->app.name,
	    g->conf->base_domain) == 0 && strcmp(domain, self) == 0) {
		gitd_errorf(g, "berth: '%s' is already the app's default domain",
		    domain);
		return 1;
	}
	if ((rc = store_domain_owner(g->st, domain, owner, sizeof(owner))) == 0) {
		gitd_errorf(g, "berth: domain '%s' already belongs to app '%s'",
		    domain, owner);
		return 1;
	}
	if (rc == -1 || store_domain_add(g->st, g->app.id, domain) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (apply(g, undo_add, domain) != 0)
		return 1;
	gitd_printf(g, "added %s to %s\n", domain, g->app.name);
	https_added(g, domain);
	return 0;
}

static int
undo_remove(struct store *st, int64_t app, const char *domain)
{
	return store_domain_add(st, app, domain);
}

int
cmd_domains_remove(struct gitd_ctx *g, int argc, char **argv)
{
	char domain[DOMAIN_MAX + 1];
	int rc;

	(void)argc;
	if ((rc = domain_arg(g, argv[2], domain, sizeof(domain))) != 0)
		return rc;
	if ((rc = store_domain_remove(g->st, g->app.id, domain)) != 0) {
		if (rc == STORE_NOTFOUND)
			gitd_errorf(g, "berth: app '%s' has no domain '%s'",
			    g->app.name, domain);
		else
			gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (apply(g, undo_remove, domain) != 0)
		return 1;
	tls_domain_removed(g->conf, domain);
	gitd_printf(g, "removed %s from %s\n", domain, g->app.name);
	return 0;
}
