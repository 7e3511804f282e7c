/*
 * router_caddy_tls.c - the HTTPS parts of Caddy's config, and what Caddy's
 * storage and log say about a domain's certificate (see router_tls.h).
 *
 * With HTTPS on, the apps' real domains get a second server,
 * "berth_tls", on [router] https_listen and nowhere else: Caddy's
 * automatic HTTPS manages a certificate for each of its host names from
 * [router] acme_ca (account acme_email; acme_ca_root trusted for the CA's
 * own HTTPS), solving http-01 on the plain server (every Caddy server
 * answers the challenges before its routes) or tls-alpn-01 on the TLS one.
 * Caddy's own redirect server is disabled: it would listen on all
 * addresses.  berth renders the redirect itself, on http_listen, and only
 * for names whose certificate Caddy holds; the others keep answering over
 * HTTP until it does.  The preview hosts are not Caddy's to manage: they
 * are served with the operator's wildcard certificate, loaded inline, or
 * stay on HTTP (router_wildcard.c).
 */
#include "router/router_tls.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/path.h"

#define CADDY_LOG_TAIL (256 * 1024) /* bytes of caddy.log read for a cause */

/* The previews' wildcard (router_wildcard.c), inline: Caddy runs as its
 * own uid and cannot read root's key file; the config reaches it only
 * over the admin socket, and berth's copy is root's alone. */
static void
add_wildcard(const struct conf *c, json_t *app)
{
	char *crt, *key;

	if (!tls_wildcard(c) || tls_wildcard_pem(c, &crt, &key) == -1)
		return;
	json_object_set_new(app, "certificates", json_pack("{s:[{s:s, s:s,"
	    " s:[s]}]}", "load_pem", "certificate", crt, "key", key, "tags",
	    "berth-previews"));
	explicit_bzero(key, strlen(key));
	free(crt);
	free(key);
}

json_t *
caddy_tls_app(const struct conf *c)
{
	json_t *issuer, *app;

	issuer = json_pack("{s:s, s:s}", "module", "acme", "ca", c->acme_ca);
	if (c->acme_email[0] != '\0')
		json_object_set_new(issuer, "email", json_string(c->acme_email));
	if (c->acme_ca_root[0] != '\0')
		json_object_set_new(issuer, "trusted_roots_pem_files",
		    json_pack("[s]", c->acme_ca_root));
	app = json_pack("{s:{s:[{s:[o]}]}}", "automation", "policies",
	    "issuers", issuer);
	if (conf_https(c))
		add_wildcard(c, app);
	return app;
}

/* The automatic HTTPS of the TLS server: no redirect server (berth
 * renders its own), no certificate management for the preview hosts. */
static json_t *
auto_https(const struct conf *c, const struct routes *rs)
{
	json_t *skip = json_array(), *a;

	for (size_t i = 0; i < rs->n; i++)
		for (size_t d = 0; d < rs->v[i].ndomains; d++)
			if (tls_preview_host(c, rs->v[i].domains[d]) &&
			    tls_has_cert(c, rs->v[i].domains[d]))
				json_array_append_new(skip,
				    json_string(rs->v[i].domains[d]));
	a = json_pack("{s:b}", "disable_redirects", 1);
	if (json_array_size(skip) > 0)
		json_object_set_new(a, "skip_certificates", skip);
	else
		json_decref(skip);
	return a;
}

json_t *
caddy_tls_server(const struct conf *c, const struct routes *rs,
    json_t *routes)
{
	char listen[96];
	int v6 = strchr(c->https_listen_addr, ':') != NULL;

	if (!conf_https(c)) {
		json_decref(routes);
		return NULL;
	}
	snprintf(listen, sizeof(listen), "%s%s%s:%d", v6 ? "[" : "",
	    c->https_listen_addr, v6 ? "]" : "", c->https_listen_port);
	return json_pack("{s:[s], s:o, s:o}", "listen", listen, "routes",
	    routes, "automatic_https", auto_https(c, rs));
}

json_t *
caddy_tls_redirect(const struct conf *c, const struct route *r)
{
	json_t *hosts = json_array();
	char loc[64];

	for (size_t d = 0; d < r->ndomains; d++)
		if (tls_has_cert(c, r->domains[d]))
			json_array_append_new(hosts, json_string(r->domains[d]));
	if (json_array_size(hosts) == 0) {
		json_decref(hosts);
		return NULL;
	}
	if (c->https_listen_port == 443)
		snprintf(loc, sizeof(loc), "https://{http.request.host}"
		    "{http.request.uri}");
	else
		snprintf(loc, sizeof(loc), "https://{http.request.host}:%d"
		    "{http.request.uri}", c->https_listen_port);
	return json_pack("{s:[{s:o}], s:[{s:s, s:i, s:{s:[s]}}], s:b}",
	    "match", "host", hosts, "handle", "handler", "static_response",
	    "status_code", 308, "headers", "Location", loc, "terminal", 1);
}

int
caddy_tls_has_cert(const struct conf *c, const char *d)
{
	char pattern[PATH_MAX];
	glob_t g;
	int yes;

	/* the domain passed name_domain_valid: no glob characters in it */
	if (pathf(pattern, sizeof(pattern),
	    "%s/caddy/home/data/certificates/*/%s/%s.crt",
	    c->router_config_dir, d, d) == -1)
		return 0;
	yes = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return yes;
}

/* A caddy.log line about domain's certificate at level error: its cause. */
static int
log_line_why(const char *line, const char *d, char *out, size_t len)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *level, *id, *msg, *e;
	int yes = 0;

	if (j == NULL)
		return 0;
	level = json_string_value(json_object_get(j, "level"));
	id = json_string_value(json_object_get(j, "identifier"));
	msg = json_string_value(json_object_get(j, "msg"));
	e = json_string_value(json_object_get(j, "error"));
	if (level != NULL && strcmp(level, "error") == 0 && id != NULL &&
	    strcmp(id, d) == 0) {
		snprintf(out, len, "%s%s%s", msg ? msg : "", msg && e ? ": " : "",
		    e ? e : "");
		yes = 1;
	}
	json_decref(j);
	return yes;
}

int
caddy_tls_why(const struct conf *c, const char *d, char *out, size_t len)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	struct stat sb;
	int found = 0;
	FILE *f;

	out[0] = '\0';
	if (pathf(path, sizeof(path), "%s/caddy/caddy.log",
	    c->router_config_dir) == -1 || (f = fopen(path, "re")) == NULL)
		return 0;
	if (fstat(fileno(f), &sb) == 0 && sb.st_size > CADDY_LOG_TAIL &&
	    fseek(f, sb.st_size - CADDY_LOG_TAIL, SEEK_SET) == 0 &&
	    getline(&line, &cap, f) == -1) /* a partial line */
		found = 0;
	while (getline(&line, &cap, f) != -1)
		if (strstr(line, d) != NULL && line[0] == '{')
			found |= log_line_why(line, d, out, len);
	free(line);
	fclose(f);
	return found;
}
