/*
 * libcurl.h - libcurl, loaded on first use instead of linked.
 *
 * Every SSH connection and every chore pass starts the berth binary anew,
 * and a linked libcurl makes each start load its whole chain (gnutls,
 * krb5, ldap, nghttp2, rtmp, psl, brotli ...: about 3 ms of CPU) although
 * only the Caddy router (router/router_caddy.c, its admin API) makes HTTP
 * requests.  So berth keeps curl's header for the types and constants and
 * reaches the few functions it calls through this table, which
 * libcurl_load() fills with dlopen("libcurl.so.4") when a caller first
 * needs it.  The library then stays loaded for the rest of the process
 * (dlopen counts references; nothing is closed), so later loads are a
 * cheap lookup.
 *
 * Test only: BERTH_TEST_LIBCURL=NAME in the environment makes the loader
 * open NAME instead of libcurl.so.4 (tests/unit/test_libcurl.c points it
 * at a missing library and at one without curl's functions).
 */
#ifndef BERTH_LIBCURL_H
#define BERTH_LIBCURL_H

#include <curl/curl.h>
#include <stddef.h>

#define LIBCURL_SONAME "libcurl.so.4"

/* The functions berth calls, named as in curl without the "curl_", each
 * of the type the header declares (the declaration is not a link to it). */
#define LIBCURL_FN(name) __typeof__(curl_##name) *name
struct libcurl {
	LIBCURL_FN(easy_init);
	LIBCURL_FN(easy_setopt);
	LIBCURL_FN(easy_perform);
	LIBCURL_FN(easy_getinfo);
	LIBCURL_FN(easy_cleanup);
	LIBCURL_FN(easy_strerror);
	LIBCURL_FN(slist_append);
	LIBCURL_FN(slist_free_all);
};
#undef LIBCURL_FN

/* Fill lc with libcurl's functions, loading the library if this process
 * has not yet.  0, or -1 with err saying which library could not be
 * loaded or which function it lacks (lc is then unusable). */
int libcurl_load(struct libcurl *lc, char *err, size_t errlen);

#endif
