/*
 * conf_wildcard.c - the check of [previews] cert and key, at load and of
 * every renewal before berth serves it (router/router_wildcard.c).
 *
 * Previews answer at APP--LABEL.DOMAIN (core/preview.h), so one wildcard
 * certificate *.DOMAIN, which the operator gets (ACME gives wildcards only
 * through DNS-01, which berth does not do), serves every preview over
 * HTTPS (router/router_wildcard.c).  Caught here, once, before any proxy
 * sees the files: one of the two keys set without the other, a file
 * berth cannot read or that holds no PEM certificate or key, a key that
 * is not the certificate's, a certificate that does not cover a sample
 * host under DOMAIN (OpenSSL's own host matching, as a client's).
 */
#include "conf/conf.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The whole file at path (at most CONF_PEM_MAX bytes), malloc'd and
 * NUL-terminated, or NULL with errno. */
char *
conf_read_pem(const char *path)
{
	char *buf;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	if ((buf = malloc(CONF_PEM_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, CONF_PEM_MAX + 1, f);
	if (ferror(f) || n > CONF_PEM_MAX) {
		errno = ferror(f) ? EIO : EFBIG;
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static X509 *
parse_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;

	if (b == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, no_password, NULL);
	BIO_free(b);
	return x;
}

static EVP_PKEY *
parse_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k;

	if (b == NULL)
		return NULL;
	k = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	BIO_free(b);
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
conf_wildcard_check_pem(const struct conf *c, const char *crt,
    const char *key, char *err, size_t errlen)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int rc = -1;

	if ((x = parse_cert(crt)) == NULL)
		snprintf(err, errlen, "[previews] cert: '%s' holds no PEM"
		    " certificate", c->preview_cert);
	else if ((k = parse_key(key)) == NULL)
		snprintf(err, errlen, "[previews] key: '%s' holds no PEM private"
		    " key (an encrypted one cannot be used)", c->preview_key);
	else if (X509_check_private_key(x, k) != 1)
		snprintf(err, errlen, "[previews] key: '%s' is not the key of the"
		    " certificate in '%s'", c->preview_key, c->preview_cert);
	else
		rc = covers(c, x, err, errlen);
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}

int
conf_wildcard_check(const struct conf *c, char *err, size_t errlen)
{
	char *crt = NULL, *key = NULL;
	int rc = -1;

	if (c->preview_cert[0] == '\0' && c->preview_key[0] == '\0')
		return 0;
	if (c->preview_cert[0] == '\0' || c->preview_key[0] == '\0') {
		snprintf(err, errlen, "[previews] cert and key: set both (the"
		    " wildcard certificate's chain and its key) or neither");
		return -1;
	}
	if ((crt = conf_read_pem(c->preview_cert)) == NULL)
		snprintf(err, errlen, "[previews] cert: cannot read '%s': %s",
		    c->preview_cert, strerror(errno));
	else if ((key = conf_read_pem(c->preview_key)) == NULL)
		snprintf(err, errlen, "[previews] key: cannot read '%s': %s",
		    c->preview_key, strerror(errno));
	else
		rc = conf_wildcard_check_pem(c, crt, key, err, errlen);
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(crt);
	free(key);
	return rc;
}
