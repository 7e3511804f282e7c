/*
 * router_tls.c - which domains are served over HTTPS, where their
 * certificates are, why one is missing, and berth serve's part in keeping
 * them (see router_tls.h).  The ACME work itself is Caddy's, or certbot's
 * (router_certbot.c); the renderers are router_caddy_tls.c and
 * router_nginx_tls.c.
 */
#include "router/router_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/path.h"

#define TLS_PASS_EVERY 10          /* seconds between looks at the certs */
#define TLS_RETRY_AFTER 3600       /* seconds before a failed domain again */
#define TLS_RENEW_EVERY (12 * 3600) /* seconds between certbot renews */
#define TLS_SERVED_MAX (1024 * 1024) /* the names served over HTTPS */

/* HTTPS is on and d is a name that can have a certificate. */
static int
https_name(const struct conf *c, const char *d)
{
	size_t n = strlen(d);

	return conf_https(c) && strcmp(d, "localhost") != 0 &&
	    !(n > 10 && strcmp(d + n - 10, ".localhost") == 0);
}

int
tls_wanted(const struct conf *c, const char *d)
{
	/* no ACME order per preview: the wildcard or plain HTTP */
	return https_name(c, d) && (!tls_preview_host(c, d) || tls_wildcard(c));
}

int
tls_certbot_paths(const struct conf *c, const char *d, char *crt, char *key,
    size_t len)
{
	return pathf(crt, len, "%s/certbot/config/live/%s/fullchain.pem",
	    c->router_config_dir, d) == -1 || pathf(key, len,
	    "%s/certbot/config/live/%s/privkey.pem", c->router_config_dir,
	    d) == -1 ? -1 : 0;
}

int
tls_cert_paths(const struct conf *c, const char *d, char *crt, char *key,
    size_t len)
{
	if (!tls_preview_host(c, d))
		return tls_certbot_paths(c, d, crt, key, len);
	return tls_wildcard_paths(c, crt, key, len);
}

int
tls_has_cert(const struct conf *c, const char *d)
{
	char crt[PATH_MAX], key[PATH_MAX];

	if (!tls_wanted(c, d))
		return 0;
	if (tls_preview_host(c, d))
		return 1; /* tls_wanted: the wildcard is there */
	if (strcmp(c->router_kind, "caddy") == 0)
		return caddy_tls_has_cert(c, d);
	return tls_certbot_paths(c, d, crt, key, sizeof(crt)) == 0 &&
	    access(crt, R_OK) == 0 && access(key, R_OK) == 0;
}

void
tls_url(const struct conf *c, const char *d, char *out, size_t len)
{
	if (c->https_listen_port == 443)
		snprintf(out, len, "https://%s", d);
	else
		snprintf(out, len, "https://%s:%d", d, c->https_listen_port);
}

/* CONFIG_DIR/tls/NAME (with its directories made). */
static int
tls_file(const struct conf *c, const char *name, char *out, size_t len)
{
	char dir[PATH_MAX];

	if (pathf(dir, sizeof(dir), "%s/tls/failed", c->router_config_dir) == -1 ||
	    mkdirs(dir, 0700) == -1)
		return -1;
	return pathf(out, len, "%s/tls/%s", c->router_config_dir, name);
}

void
tls_note(const struct conf *c, const char *d, const char *why)
{
	char path[PATH_MAX], name[DOMAIN_MAX + 16];
	FILE *f;

	snprintf(name, sizeof(name), "failed/%s", d);
	if (tls_file(c, name, path, sizeof(path)) == -1) {
		log_warn("cannot note the certificate of %s", d);
		return;
	}
	if (why == NULL) {
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("cannot remove '%s'", path);
		return;
	}
	if ((f = fopen(path, "we")) == NULL) {
		log_warn("cannot write '%s'", path);
		return;
	}
	fprintf(f, "%s\n", why);
	if (fclose(f) == EOF)
		log_warn("cannot write '%s'", path);
}

int
tls_why(const struct conf *c, const char *d, char *out, size_t len, time_t *at)
{
	char path[PATH_MAX], name[DOMAIN_MAX + 16];
	struct stat sb;
	FILE *f;

	out[0] = '\0';
	snprintf(name, sizeof(name), "failed/%s", d);
	if (tls_file(c, name, path, sizeof(path)) == -1 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (at != NULL)
		*at = fstat(fileno(f), &sb) == 0 ? sb.st_mtime : 0;
	fclose(f);
	return 1;
}

/* The version of domain's certificate for tls/served: the wildcard's
 * content stamp for a preview host; for nginx, certbot's file's mtime. */
static void
served_at(const struct conf *c, const char *d, const char *stamp, char *out,
    size_t len)
{
	char crt[PATH_MAX], key[PATH_MAX];
	struct stat sb;
	long long at = 0;

	if (tls_preview_host(c, d)) {
		snprintf(out, len, "%s", stamp);
		return;
	}
	if (strcmp(c->router_kind, "nginx") == 0 &&
	    tls_certbot_paths(c, d, crt, key, sizeof(crt)) == 0 &&
	    stat(crt, &sb) == 0)
		at = (long long)sb.st_mtime;
	snprintf(out, len, "%lld", at);
}

int
tls_served(const struct conf *c, const struct routes *r, char *out,
    size_t len)
{
	char stamp[32] = "?", at[32];
	size_t o = 0;
	int n;

	out[0] = '\0';
	if (tls_wildcard(c) && tls_wildcard_stamp(c, stamp, sizeof(stamp)) == -1)
		snprintf(stamp, sizeof(stamp), "?");
	for (size_t i = 0; i < r->n; i++)
		for (size_t d = 0; d < r->v[i].ndomains; d++) {
			const char *dom = r->v[i].domains[d];
			if (!tls_has_cert(c, dom))
				continue;
			served_at(c, dom, stamp, at, sizeof(at));
			n = snprintf(out + o, len - o, "%s%s@%s", o ? " " : "",
			    dom, at);
			if (n < 0 || (size_t)n >= len - o)
				return -1;
			o += (size_t)n;
		}
	return 0;
}

void
tls_note_served(const struct conf *c, const struct routes *r)
{
	char path[PATH_MAX], tmp[PATH_MAX], *served;
	FILE *f;

	if ((served = malloc(TLS_SERVED_MAX)) == NULL ||
	    tls_served(c, r, served, TLS_SERVED_MAX) == -1 ||
	    tls_file(c, "served", path, sizeof(path)) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s.tmp", path) == -1 ||
	    (f = fopen(tmp, "we")) == NULL) {
		log_warn("cannot note the served certificates");
		free(served);
		return;
	}
	fprintf(f, "%s\n", served);
	if (fclose(f) == EOF || rename(tmp, path) == -1)
		log_warn("cannot save '%s'", path);
	free(served);
}

int
tls_served_changed(const struct conf *c, const struct routes *r)
{
	char path[PATH_MAX], *now, *was;
	FILE *f;
	int changed = 0;

	if ((now = malloc(TLS_SERVED_MAX)) == NULL ||
	    (was = malloc(TLS_SERVED_MAX)) == NULL) {
		free(now);
		return 0;
	}
	was[0] = '\0';
	if (tls_served(c, r, now, TLS_SERVED_MAX) == 0) {
		if (tls_file(c, "served", path, sizeof(path)) == 0 &&
		    (f = fopen(path, "re")) != NULL) {
			if (fgets(was, TLS_SERVED_MAX, f) == NULL)
				was[0] = '\0';
			fclose(f);
		}
		was[strcspn(was, "\n")] = '\0';
		changed = strcmp(now, was) != 0;
	}
	free(now);
	free(was);
	return changed;
}

json_t *
tls_status(const struct conf *c, const struct routes *r)
{
	json_t *out = json_array();
	char why[TLS_WHY_MAX];
	int caddy = strcmp(c->router_kind, "caddy") == 0, has, found;

	for (size_t i = 0; i < r->n; i++)
		for (size_t d = 0; d < r->v[i].ndomains; d++) {
			const char *dom = r->v[i].domains[d];
			if (!https_name(c, dom))
				continue;
			has = tls_has_cert(c, dom);
			if (tls_preview_host(c, dom))
				found = tls_wildcard_why(c, why, sizeof(why));
			else
				found = !has && (caddy ? caddy_tls_why(c, dom, why,
				    sizeof(why)) : tls_why(c, dom, why, sizeof(why),
				    NULL));
			json_array_append_new(out, json_pack("{s:s, s:s, s:b,"
			    " s:s?}", "domain", dom, "app", r->v[i].app, "https",
			    has, "error", found ? why : NULL));
		}
	return out;
}

/* 1 when the stamp CONFIG_DIR/tls/NAME is older than seconds (and touch
 * it then). */
static int
due(const struct conf *c, const char *name, int seconds)
{
	char path[PATH_MAX];
	struct stat sb;
	int fd;

	if (tls_file(c, name, path, sizeof(path)) == -1)
		return 0;
	if (stat(path, &sb) == 0 && time(NULL) - sb.st_mtime < seconds &&
	    sb.st_mtime <= time(NULL))
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("cannot open '%s'", path);
		return 0;
	}
	if (futimens(fd, NULL) == -1) {
		log_warn("cannot touch '%s'", path);
		close(fd);
		return 0;
	}
	return close(fd) == 0;
}

/* The first domain of r that lacks a certificate and did not fail within
 * the hour, or NULL. */
static const char *
next_missing(const struct conf *c, const struct routes *r)
{
	char why[TLS_WHY_MAX];
	time_t at;

	for (size_t i = 0; i < r->n; i++)
		for (size_t d = 0; d < r->v[i].ndomains; d++) {
			const char *dom = r->v[i].domains[d];
			if (tls_wanted(c, dom) && !tls_has_cert(c, dom) &&
			    !(tls_why(c, dom, why, sizeof(why), &at) &&
			    time(NULL) - at < TLS_RETRY_AFTER))
				return dom;
		}
	return NULL;
}

/* nginx: one missing certificate per pass (a pass that waits for certbot
 * delays the other repairs), then a renew now and then. */
static void
certbot_pass(const struct conf *c, const struct routes *r)
{
	char why[TLS_WHY_MAX];
	const char *dom;

	if ((dom = next_missing(c, r)) != NULL) {
		if (certbot_obtain(c, dom, why, sizeof(why)) == 0)
			log_info("got a certificate for %s", dom);
		else
			log_warnx("no certificate for %s: %s", dom, why);
	} else if (due(c, "renewed", TLS_RENEW_EVERY) &&
	    certbot_renew(c, why, sizeof(why)) == -1) {
		log_warnx("certbot renew: %s", why);
	}
}

void
tls_pass(const struct conf *c, struct store *st)
{
	char err[1024];
	struct routes r;

	if (!conf_https(c) || !due(c, "checked", TLS_PASS_EVERY))
		return;
	if (routes_collect(c, st, NULL, 0, &r, err, sizeof(err)) == -1) {
		log_warnx("https: %s", err);
		return;
	}
	if (strcmp(c->router_kind, "nginx") == 0)
		certbot_pass(c, &r);
	if ((tls_served_changed(c, &r) || tls_wildcard_changed(c)) &&
	    router_update(c, st, NULL, 0, err, sizeof(err)) == -1)
		log_warnx("https: cannot serve the new certificates: %s", err);
	routes_free(&r);
}

int
tls_domain_added(const struct conf *c, struct store *st, const char *d,
    char *err, size_t errlen)
{
	if (!tls_wanted(c, d) || strcmp(c->router_kind, "nginx") != 0)
		return 0;
	if (!tls_has_cert(c, d) && certbot_obtain(c, d, err, errlen) == -1)
		return -1;
	return router_update(c, st, NULL, 0, err, errlen);
}

void
tls_domain_removed(const struct conf *c, const char *d)
{
	char err[TLS_WHY_MAX];

	tls_note(c, d, NULL);
	if (strcmp(c->router_kind, "nginx") == 0 && !tls_preview_host(c, d) &&
	    tls_has_cert(c, d) && certbot_delete(c, d, err, sizeof(err)) == -1)
		log_warnx("cannot delete the certificate of %s: %s", d, err);
}
