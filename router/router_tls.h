/*
 * router_tls.h - HTTPS for the apps' domains, for both back ends.
 *
 * What enters: [router] https, https_listen and acme_* (conf.h), the
 * routing table, and what the ACME client left on disk (Caddy's storage,
 * certbot's live dir).  What leaves: which domains have a certificate (so
 * the renderers serve them over HTTPS and redirect their HTTP), where the
 * files are, and why a domain has none (for `status`).
 *
 * Caddy gets and renews certificates by itself (router_caddy_tls.c tells it
 * the CA); for nginx, berth runs certbot (router_certbot.c) on domains:add
 * and from berth serve's repair passes.  A domain without a certificate
 * stays on plain HTTP, so a failed ACME order never takes a site down.
 *
 * Files, all under CONFIG_DIR (root's):
 *   certbot/{config,work,logs}  certbot's dirs; live/DOMAIN/ holds the cert
 *   certbot/webroot             served at /.well-known/acme-challenge/
 *   tls/failed/DOMAIN           why the last attempt for DOMAIN failed
 *   tls/served                  the domains with a certificate at the last
 *                               render (a pass re-renders when it changes)
 *
 * The previews' hosts (APP--LABEL.[previews] domain) are the exception:
 * they never get an ACME certificate; they are served over HTTPS with the
 * operator's wildcard certificate ([previews] cert and key) when there is
 * one, else over plain HTTP (router_wildcard.c).
 */
#ifndef BERTH_ROUTER_TLS_H
#define BERTH_ROUTER_TLS_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "conf/conf.h"
#include "router/router.h"

#define TLS_WHY_MAX 1024

/* 1 when domain is to be served over HTTPS: conf_https() and the name
 * is not localhost or under .localhost. */
int tls_wanted(const struct conf *c, const char *domain);

/* router_wildcard.c: 1 when domain is a preview's host, one label under
 * [previews] domain (what *.DOMAIN covers). */
int tls_preview_host(const struct conf *c, const char *domain);
/* 1 when [previews] cert and key are set and berth's copy of them is
 * there to serve. */
int tls_wildcard(const struct conf *c);
/* The copy's chain and key (what the proxies serve).  0 or -1. */
int tls_wildcard_paths(const struct conf *c, char *crt, char *key,
    size_t len);
/* The copy's content, malloc'd (the caller frees, and clears *key).  0
 * or -1. */
int tls_wildcard_pem(const struct conf *c, char **crt, char **key);
/* 16 hex digits of the copy's SHA-256, for tls/served.  0 or -1. */
int tls_wildcard_stamp(const struct conf *c, char *out, size_t len);
/* 1 when the operator's files differ from the copy (and that content
 * was not refused already): a render would sync them. */
int tls_wildcard_changed(const struct conf *c);
/* For `status`: why the previews have no HTTPS ([previews] cert unset),
 * or why the operator's current files are not served (a refused
 * renewal).  1 with out, or 0 when there is nothing to say. */
int tls_wildcard_why(const struct conf *c, char *out, size_t len);
/* Under the router lock, before a render: copy the operator's files when
 * they changed and pass conf_wildcard_check_pem; else log why (once per
 * content) and keep the copy. */
void tls_wildcard_sync(const struct conf *c);
/* Where host answers, for the pusher: "https://HOST[:PORT]/" when it has
 * a certificate, else "http://HOST:HTTP_PORT/". */
void tls_site_url(const struct conf *c, const char *host, char *out,
    size_t len);

/* 1 when domain has a certificate the proxy can serve now. */
int tls_has_cert(const struct conf *c, const char *domain);

/* nginx: certbot's certificate chain and key for domain (they may not
 * exist).  0, or -1 when a path is too long. */
int tls_certbot_paths(const struct conf *c, const char *domain, char *crt,
    char *key, size_t len);

/* The certificate chain and key the proxy serves for domain: the
 * wildcard's for a preview host, else certbot's.  0, or -1 (too long). */
int tls_cert_paths(const struct conf *c, const char *domain, char *crt,
    char *key, size_t len);

/* "https://DOMAIN" with ":PORT" unless https_listen's port is 443. */
void tls_url(const struct conf *c, const char *domain, char *out, size_t len);

/* Record why the last attempt for domain failed (why NULL: it worked). */
void tls_note(const struct conf *c, const char *domain, const char *why);

/* Why the last attempt failed and when: 1, or 0 when nothing is noted. */
int tls_why(const struct conf *c, const char *domain, char *out, size_t len,
    time_t *at);

/* The domains of r that have a certificate, as one "a b c" string, for
 * tls/served (nginx: "a@MTIME", so a renewed certificate is a change).
 * 0 or -1 (too many). */
int tls_served(const struct conf *c, const struct routes *r, char *out,
    size_t len);

/* Remember what the proxy took: the domains of r with a certificate. */
void tls_note_served(const struct conf *c, const struct routes *r);

/* 1 when the certificates on disk differ from what was last rendered. */
int tls_served_changed(const struct conf *c, const struct routes *r);

/* For `status`: [{domain, app, https: bool, error: text or null}] for
 * every domain of r that is to be served over HTTPS, and with HTTPS on,
 * every preview host (its error: tls_wildcard_why). */
json_t *tls_status(const struct conf *c, const struct routes *r);

/* Caddy's storage: the error Caddy last logged for domain's certificate
 * (router_caddy_tls.c).  1 found, 0 none. */
int caddy_tls_why(const struct conf *c, const char *domain, char *out,
    size_t len);
/* 1 when Caddy holds a certificate for domain in its storage. */
int caddy_tls_has_cert(const struct conf *c, const char *domain);

/* Caddy: the "tls" app (issuer: acme_ca, acme_email, acme_ca_root). */
json_t *caddy_tls_app(const struct conf *c);
/* Caddy: the HTTPS server on https_listen with routes (no certificate
 * management for the preview hosts of rs: the wildcard serves them), or
 * NULL when HTTPS is off. */
json_t *caddy_tls_server(const struct conf *c, const struct routes *rs,
    json_t *routes);
/* Caddy: a route on the HTTP server that redirects the hosts of app that
 * have a certificate to HTTPS, or NULL when none has. */
json_t *caddy_tls_redirect(const struct conf *c, const struct route *r);

/* nginx: an app's locations (router_nginx.c), appended to out at *o. */
int nginx_site_body(const struct conf *c, const struct route *r, char *out,
    size_t len, size_t *o);
/* nginx: the TLS server blocks of route r (one per domain with a
 * certificate) and the redirects of their HTTP names, appended to out at
 * *o.  0 or -1 (no room). */
int nginx_tls_render(const struct conf *c, const struct route *r, char *out,
    size_t len, size_t *o);
/* nginx: the main config's TLS part (a default server on https_listen
 * that refuses the handshake for unknown names), "" when HTTPS is off. */
int nginx_tls_main(const struct conf *c, char *out, size_t len);
/* nginx: the location that serves ACME's http-01 challenges. */
int nginx_tls_challenge(const struct conf *c, char *out, size_t len);

/* nginx: get a certificate for domain with certbot (webroot).  0, or -1
 * with certbot's reason in err.  The outcome is noted (tls_note). */
int certbot_obtain(const struct conf *c, const char *domain, char *err,
    size_t errlen);
/* nginx: `certbot delete` of domain's certificate.  0 or -1. */
int certbot_delete(const struct conf *c, const char *domain, char *err,
    size_t errlen);
/* nginx: `certbot renew` of every certificate near its end.  0 or -1. */
int certbot_renew(const struct conf *c, char *err, size_t errlen);

/*
 * A repair pass's part (berth serve): with nginx, obtain the missing
 * certificates (a domain that failed is tried again after an hour) and
 * renew twice a day; for both, re-render when the certificates on disk
 * differ from what the proxy serves.  Never waits for the router lock
 * longer than the update itself.
 */
void tls_pass(const struct conf *c, struct store *st);

/* domains:add with nginx: obtain domain's certificate now and serve it.
 * 0 (served over HTTPS, or HTTPS is off / not wanted for it), or -1 with
 * why in err (the domain stays on HTTP). */
int tls_domain_added(const struct conf *c, struct store *st,
    const char *domain, char *err, size_t errlen);

/* domains:remove: forget domain's certificate (nginx: certbot delete, so
 * it is not renewed for nothing) and its notes. */
void tls_domain_removed(const struct conf *c, const char *domain);

#endif
