/*
 * gitlib.c - libgit2's start without parsing the system's CA bundle until
 * an https fetch needs it (see gitlib.h).
 *
 * Debian's libgit2 1.5 is built with mbedTLS, and git_libgit2_init()
 * parses the whole system CA bundle (its compiled-in
 * /etc/ssl/certs/ca-certificates.crt, about 140 certificates, each
 * base64-decoded in constant time): 10-13 ms of CPU at the start of every
 * SSH connection, on a push's critical path, for certificates that only
 * an https fetch (deploy/fetch.c) ever reads.  libgit2 has no option to
 * skip it: the path is compiled in and no environment variable is read.
 *
 * So berth defines mbedtls_x509_crt_parse_file itself.  The dynamic
 * linker looks a symbol up in the executable before any library, so
 * libgit2's call to it lands here.  During gitlib_init the call is
 * recorded (the chain libgit2 then hands to its TLS configuration, and
 * the file) and answered "no certificate failed"; every other call goes
 * on to mbedTLS's own function (dlsym RTLD_NEXT).  gitlib_load_cas parses
 * the recorded file into the recorded chain: the TLS configuration holds
 * the chain by its address, so the certificates are there for the next
 * handshake.  A later GIT_OPT_SET_SSL_CERT_LOCATIONS (an operator's
 * [webhooks] ca_file) replaces the chain in libgit2, so it also drops
 * what was owed.  An https fetch that did not call gitlib_load_cas fails
 * the certificate check (an empty chain trusts nobody): the failure is
 * safe.  With a libgit2 built against OpenSSL the function is never
 * called and nothing changes.
 *
 * The record is this file's static state, the one exception to "no
 * global mutable state": an interposed function gets no argument of ours.
 */
#include <dlfcn.h> /* RTLD_NEXT: the Makefile defines _GNU_SOURCE */
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "deploy/gitlib.h"

/* mbedTLS's MBEDTLS_ERR_X509_FILE_IO_ERROR */
#define X509_FILE_IO_ERROR (-0x2900)

typedef int (*parse_file_fn)(void *chain, const char *path);

static struct {
	int deferring;           /* inside gitlib_init */
	void *chain;             /* libgit2's chain, its CAs owed; or NULL */
	char file[4096];         /* the bundle they are owed from */
} owed;

/* mbedtls_x509_crt_parse_file(mbedtls_x509_crt *, const char *); berth
 * does not build against mbedTLS's headers, and needs the chain only as
 * an address.  Declared here: the definition below is the interposer. */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);

static parse_file_fn
mbedtls_parse_file(void)
{
	void *sym = dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
	parse_file_fn fn = NULL;

	/* POSIX: a function's address converts to and from void * */
	if (sym != NULL)
		memcpy(&fn, &sym, sizeof(fn));
	return fn;
}

int
mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	parse_file_fn parse;
	size_t len;

	if (owed.deferring && chain != NULL && path != NULL &&
	    (len = strlen(path)) < sizeof(owed.file)) {
		owed.chain = chain;
		memcpy(owed.file, path, len + 1);
		return 0;
	}
	owed.chain = NULL; /* libgit2 replaces its chain: nothing is owed */
	if ((parse = mbedtls_parse_file()) == NULL)
		return X509_FILE_IO_ERROR;
	return parse(chain, path);
}

int
gitlib_init(void)
{
	int rc;

	owed.deferring = 1;
	rc = git_libgit2_init();
	owed.deferring = 0;
	return rc;
}

int
gitlib_load_cas(char *err, size_t errlen)
{
	parse_file_fn parse;
	void *chain = owed.chain;
	int rc;

	if (chain == NULL)
		return 0;
	owed.chain = NULL;
	if ((parse = mbedtls_parse_file()) == NULL) {
		snprintf(err, errlen, "cannot find mbedTLS's certificate parser");
		return -1;
	}
	/* > 0: that many certificates of the bundle did not parse; the rest
	 * are in the chain, as libgit2 itself accepts at its start */
	if ((rc = parse(chain, owed.file)) < 0) {
		snprintf(err, errlen, "cannot read the system's CA bundle '%s'"
		    " (mbedTLS error -0x%04x)", owed.file, (unsigned)-rc);
		return -1;
	}
	return 0;
}

int
gitlib_cas_owed(char *file, size_t filelen)
{
	if (owed.chain == NULL)
		return 0;
	snprintf(file, filelen, "%s", owed.file);
	return 1;
}
