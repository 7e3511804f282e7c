/*
 * test_gitlib.c - unit tests of deploy/gitlib.c: libgit2's start leaves
 * the system's CA bundle owed instead of parsing it (proof that libgit2's
 * call reached berth's mbedtls_x509_crt_parse_file), gitlib_load_cas
 * parses it once, and every other certificate location libgit2 is given
 * still goes to mbedTLS's parser: a missing or unreadable file is refused.
 * (tests/e2e/test_source_cas.sh pulls over https with the owed bundle.)
 */
#include <git2.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deploy/gitlib.h"
#include "unit.h"

#define BUNDLE "/etc/ssl/certs/ca-certificates.crt"

int
main(void)
{
	char file[4096] = "", err[512] = "", junk[] = "/tmp/berth-gitlib-XXXXXX";
	int fd, have = access(BUNDLE, R_OK) == 0;

	CHECK(gitlib_init() >= 0);
	/* Debian's libgit2 (mbedTLS) with a bundle: owed, not parsed */
	CHECK(gitlib_cas_owed(file, sizeof(file)) == have);
	if (have)
		CHECK(strcmp(file, BUNDLE) == 0);
	CHECK(gitlib_load_cas(err, sizeof(err)) == 0);
	CHECK(gitlib_cas_owed(file, sizeof(file)) == 0);
	CHECK(gitlib_load_cas(err, sizeof(err)) == 0); /* nothing left */

	/* a second start (libgit2 counts them) owes nothing new */
	CHECK(gitlib_init() >= 0);
	CHECK(gitlib_cas_owed(file, sizeof(file)) == 0);

	/* an explicit location is parsed at once, by mbedTLS */
	CHECK(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
	    "/nonexistent/berth-ca.pem", NULL) < 0);
	CHECK((fd = mkstemp(junk)) != -1);
	CHECK(write(fd, "not a certificate\n", 18) == 18);
	CHECK(close(fd) == 0);
	CHECK(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, junk, NULL) < 0);
	CHECK(unlink(junk) == 0);
	if (have)
		CHECK(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, BUNDLE,
		    NULL) == 0);
	CHECK(gitlib_cas_owed(file, sizeof(file)) == 0);
	CHECK(git_libgit2_shutdown() >= 0);
	CHECK(git_libgit2_shutdown() >= 0);
	return unit_done();
}
