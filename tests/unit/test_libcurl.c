/*
 * test_libcurl.c - unit tests of core/libcurl.c, the loader that opens
 * libcurl on first use: it loads and its functions work; with
 * BERTH_TEST_LIBCURL pointing at a library that is not there, or at one
 * without curl's functions, it fails with an error that names the library
 * (and the missing function) instead of crashing later.
 */
#include <stdlib.h>
#include <string.h>

#include "core/libcurl.h"
#include "unit.h"

int
main(void)
{
	struct libcurl lc;
	char err[512] = "";
	CURL *curl;

	CHECK(libcurl_load(&lc, err, sizeof(err)) == 0);
	CHECK((curl = lc.easy_init()) != NULL);
	CHECK(lc.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK);
	lc.easy_cleanup(curl);
	CHECK(strcmp(lc.easy_strerror(CURLE_OK), "No error") == 0);
	/* a second load finds the library loaded and fills the table again */
	CHECK(libcurl_load(&lc, err, sizeof(err)) == 0);

	setenv("BERTH_TEST_LIBCURL", "libberth-no-such-curl.so.4", 1);
	CHECK(libcurl_load(&lc, err, sizeof(err)) == -1);
	CHECK(strstr(err, "cannot load 'libberth-no-such-curl.so.4'") != NULL);
	CHECK(strstr(err, "install libcurl4") != NULL);

	setenv("BERTH_TEST_LIBCURL", "libz.so.1", 1);
	err[0] = '\0';
	CHECK(libcurl_load(&lc, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "'libz.so.1' has no function 'curl_easy_init'") == 0);
	CHECK(lc.easy_init == NULL);
	return unit_done();
}
