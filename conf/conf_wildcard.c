/*
 * conf_wildcard.c - the check of [previews] cert and key at load.
 *
 * Previews answer at APP--LABEL.DOMAIN (core/preview.h), so one wildcard
 * certificate *.DOMAIN, which the operator gets (ACME gives wildcards only
 * through DNS-01, which berth does not do), serves every preview over
 * HTTPS (router/router_wildcard.c).  Caught here, once, before any proxy
 * sees the files: one of the two keys set without the other, a file
 * berth cannot read or that holds no PEM certificate or key, a key that
 * is not the certificate's, a certificate that does not cover a sample
 * host under DOMAIN (OpenSSL's own host matching, as a client's), and a
 * path nginx's config could not carry inside quotes.
 */
#include "conf/conf.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "core/preview.h"

/* the host a certificate for *.DOMAIN must cover */
#define WILDCARD_SAMPLE "berth-check--sample"

/* An encrypted key is refused, never prompted for. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static int
path_ok(const char *key, const char *path, char *err, size_t errlen)
{
	if (strpbrk(path, "\"'\\$;{}# \t\r\n") == NULL)
		return 0;
	snprintf(err, errlen, "[previews] %s: '%s' holds characters a proxy's"
	    " config cannot carry (quotes, '$', ';', braces, '#', spaces)",
	    key, path);
	return -1;
}

/* The first certificate of the PEM file at path, or NULL with err. */
static X509 *
read_cert(const char *path, char *err, size_t errlen)
{
	FILE *f;
	X509 *x;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "[previews] cert: cannot read '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, no_password, NULL);
	fclose(f);
	if (x == NULL)
		snprintf(err, errlen, "[previews] cert: '%s' holds no PEM"
		    " certificate", path);
	return x;
}

static EVP_PKEY *
read_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *k;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "[previews] key: cannot read '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, no_password, NULL);
	fclose(f);
	if (k == NULL)
		snprintf(err, errlen, "[previews] key: '%s' holds no PEM private"
		    " key (an encrypted one cannot be used)", path);
	return k;
}

/* The certificate x covers every APP--LABEL.DOMAIN. */
static int
covers(const struct conf *c, X509 *x, char *err, size_t errlen)
{
	char dom[CONF_NAME_MAX + 16], host[CONF_NAME_MAX + 64];

	if (preview_domain(c, dom, sizeof(dom)) == -1) {
		snprintf(err, errlen, "[previews] domain: too long");
		return -1;
	}
	snprintf(host, sizeof(host), "%s.%s", WILDCARD_SAMPLE, dom);
	if (X509_check_host(x, host, strlen(host), 0, NULL) == 1)
		return 0;
	snprintf(err, errlen, "[previews] cert: '%s' does not cover the preview"
	    " hosts (*.%s; tried '%s'): it must be a certificate for *.%s",
	    c->preview_cert, dom, host, dom);
	return -1;
}

int
conf_wildcard_check(const struct conf *c, char *err, size_t errlen)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int rc = -1;

	if (c->preview_cert[0] == '\0' && c->preview_key[0] == '\0')
		return 0;
	if (c->preview_cert[0] == '\0' || c->preview_key[0] == '\0') {
		snprintf(err, errlen, "[previews] cert and key: set both (the"
		    " wildcard certificate's chain and its key) or neither");
		return -1;
	}
	if (path_ok("cert", c->preview_cert, err, errlen) == -1 ||
	    path_ok("key", c->preview_key, err, errlen) == -1 ||
	    (x = read_cert(c->preview_cert, err, errlen)) == NULL ||
	    (k = read_key(c->preview_key, err, errlen)) == NULL)
		goto out;
	if (X509_check_private_key(x, k) != 1) {
		snprintf(err, errlen, "[previews] key: '%s' is not the key of the"
		    " certificate in '%s'", c->preview_key, c->preview_cert);
		goto out;
	}
	rc = covers(c, x, err, errlen);
out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}
