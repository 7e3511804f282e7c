/*
 * router_wildcard.c - the previews' one certificate (see router_tls.h).
 *
 * Every preview answers at APP--LABEL.DOMAIN (core/preview.h), so the
 * operator's wildcard certificate for *.DOMAIN, [previews] cert and key
 * (checked at load by conf/conf_wildcard.c), serves them all: no ACME
 * order for any preview host, no per-preview file to clean up when a
 * preview goes.  Without it the preview hosts stay on plain HTTP (one
 * ACME order per branch would meet the CA's rate limits and delay every
 * new branch).  nginx reads the files where they are (its master runs as
 * root); Caddy runs as its own uid and gets them inline in the config it
 * is posted.  A stamp of the files' content goes into tls/served, so an
 * operator's renewal (the files replaced) makes berth serve's next pass
 * re-render, and nginx reload or Caddy take the new certificate.
 */
#include "router/router_tls.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/preview.h"

#define WILDCARD_FILE_MAX (1024 * 1024) /* a PEM chain or key, bytes */

int
tls_preview_host(const struct conf *c, const char *d)
{
	char dom[CONF_NAME_MAX + 16];
	size_t n = strlen(d), m;

	if (preview_domain(c, dom, sizeof(dom)) == -1)
		return 0;
	m = strlen(dom);
	/* one label, then ".DOMAIN": what *.DOMAIN covers */
	return n > m + 1 && d[n - m - 1] == '.' && strcmp(d + n - m, dom) == 0 &&
	    memchr(d, '.', n - m - 1) == NULL;
}

int
tls_wildcard(const struct conf *c)
{
	return c->preview_cert[0] != '\0' && c->preview_key[0] != '\0' &&
	    access(c->preview_cert, R_OK) == 0 &&
	    access(c->preview_key, R_OK) == 0;
}

/* The whole file at path (at most WILDCARD_FILE_MAX bytes), malloc'd and
 * NUL-terminated, or NULL. */
static char *
slurp(const char *path)
{
	char *buf;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	if ((buf = malloc(WILDCARD_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, WILDCARD_FILE_MAX + 1, f);
	if (ferror(f) || n > WILDCARD_FILE_MAX) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

int
tls_wildcard_pem(const struct conf *c, char **crt, char **key)
{
	*crt = slurp(c->preview_cert);
	*key = *crt != NULL ? slurp(c->preview_key) : NULL;
	if (*key != NULL)
		return 0;
	free(*crt);
	*crt = NULL;
	return -1;
}

int
tls_wildcard_stamp(const struct conf *c, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *crt, *key;
	EVP_MD_CTX *ctx;
	int ok;

	if (tls_wildcard_pem(c, &crt, &key) == -1)
		return -1;
	ok = (ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, crt, strlen(crt)) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	explicit_bzero(key, strlen(key));
	free(crt);
	free(key);
	if (!ok || len < 2 * 8 + 1)
		return -1;
	for (unsigned int i = 0; i < 8 && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void
tls_site_url(const struct conf *c, const char *host, char *out, size_t len)
{
	size_t n;

	if (!tls_has_cert(c, host)) {
		snprintf(out, len, "http://%s:%d/", host, c->http_listen_port);
		return;
	}
	tls_url(c, host, out, len);
	if ((n = strlen(out)) + 1 < len) {
		out[n] = '/';
		out[n + 1] = '\0';
	}
}
