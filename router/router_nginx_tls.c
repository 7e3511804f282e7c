/*
 * router_nginx_tls.c - the HTTPS parts of nginx's config (see
 * router_tls.h): for each of an app's domains that has a certificate
 * (certbot's, router_certbot.c, or for a preview host the operator's
 * wildcard, router_wildcard.c), a server on [router] https_listen with
 * that certificate and the app's usual locations, and a plain server that
 * redirects the name to it.  A domain without a certificate stays in the
 * app's plain server, so HTTP keeps working until certbot succeeds.
 * Every plain server answers ACME's http-01 challenges from certbot's
 * webroot.  The main config gets a default TLS server that refuses the
 * handshake, so a name nobody serves gets no certificate at all.
 */
#include "router/router_tls.h"

#include <stdio.h>
#include <string.h>

#include "core/path.h"

#define EMIT(...) do { \
	int n_ = snprintf(out + *o, len - *o, __VA_ARGS__); \
	if (n_ < 0 || (size_t)n_ >= len - *o) return -1; \
	*o += (size_t)n_; } while (0)

static void
listen_on(const char *addr, int port, char *out, size_t len)
{
	int v6 = strchr(addr, ':') != NULL;

	snprintf(out, len, "%s%s%s:%d", v6 ? "[" : "", addr, v6 ? "]" : "",
	    port);
}

int
nginx_tls_challenge(const struct conf *c, char *out, size_t len)
{
	int n;

	if (!conf_https(c)) {
		out[0] = '\0';
		return 0;
	}
	n = snprintf(out, len, "\tlocation ^~ /.well-known/acme-challenge/ {\n"
	    "\t\troot \"%s/certbot/webroot\";\n\t\tdefault_type text/plain;\n"
	    "\t}\n", c->router_config_dir);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
nginx_tls_main(const struct conf *c, char *out, size_t len)
{
	char on[96];
	int n;

	out[0] = '\0';
	if (!conf_https(c))
		return 0;
	listen_on(c->https_listen_addr, c->https_listen_port, on, sizeof(on));
	n = snprintf(out, len, "\tserver {\n\t\tlisten %s ssl default_server;\n"
	    "\t\tssl_reject_handshake on;\n\t}\n", on);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The plain server of the names that have a certificate: a redirect. */
static int
redirect(const struct conf *c, const struct route *r, char *out, size_t len,
    size_t *o)
{
	char on[96], acme[PATH_MAX + 128], port[16] = "";

	listen_on(c->http_listen_addr, c->http_listen_port, on, sizeof(on));
	if (nginx_tls_challenge(c, acme, sizeof(acme)) == -1)
		return -1;
	if (c->https_listen_port != 443)
		snprintf(port, sizeof(port), ":%d", c->https_listen_port);
	EMIT("server {\n\tlisten %s;\n\tserver_name", on);
	for (size_t i = 0; i < r->ndomains; i++)
		if (tls_has_cert(c, r->domains[i]))
			EMIT(" %s", r->domains[i]);
	EMIT(";\n%s\tlocation / {\n\t\treturn 308 https://$host%s$request_uri;\n"
	    "\t}\n}\n", acme, port);
	return 0;
}

int
nginx_tls_render(const struct conf *c, const struct route *r, char *out,
    size_t len, size_t *o)
{
	char on[96], crt[PATH_MAX], key[PATH_MAX];
	size_t any = 0;

	listen_on(c->https_listen_addr, c->https_listen_port, on, sizeof(on));
	for (size_t i = 0; i < r->ndomains; i++) {
		const char *d = r->domains[i];
		if (!tls_has_cert(c, d))
			continue;
		if (tls_cert_paths(c, d, crt, key, sizeof(crt)) == -1)
			return -1;
		EMIT("server {\n\tlisten %s ssl;\n\tserver_name %s;\n"
		    "\tssl_certificate \"%s\";\n\tssl_certificate_key \"%s\";\n",
		    on, d, crt, key);
		if (nginx_site_body(c, r, out, len, o) == -1)
			return -1;
		EMIT("}\n");
		any++;
	}
	return any > 0 ? redirect(c, r, out, len, o) : 0;
}
