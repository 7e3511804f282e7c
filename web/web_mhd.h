/*
 * web_mhd.h - libmicrohttpd, loaded when the HTTP endpoint starts instead
 * of linked.
 *
 * Only the endpoint's process (web_server.c) speaks HTTP, but a linked
 * libmicrohttpd (and gnutls, which it pulls in) would be loaded at every
 * start of the berth binary, which every connection and chore makes.  So
 * berth keeps its header for the types and constants and calls the
 * functions through this table, which web_mhd_load() fills with
 * dlopen("libmicrohttpd.so.12").  The library then stays loaded for the
 * process's life (nothing is closed; a second load is a lookup).
 *
 * Test only: BERTH_TEST_LIBMHD=NAME in the environment makes the loader
 * open NAME instead (tests/unit/test_web_mhd.c).
 */
#ifndef BERTH_WEB_MHD_H
#define BERTH_WEB_MHD_H

#include <microhttpd.h>
#include <stddef.h>

#define WEB_MHD_SONAME "libmicrohttpd.so.12"

/* The functions berth calls, named as in MHD without the "MHD_", each of
 * the type the header declares (the declaration is not a link to it). */
#define WEB_MHD_FN(name) __typeof__(MHD_##name) *name
struct web_mhd {
	WEB_MHD_FN(start_daemon);
	WEB_MHD_FN(stop_daemon);
	WEB_MHD_FN(run);
	WEB_MHD_FN(add_connection);
	WEB_MHD_FN(get_daemon_info);
	WEB_MHD_FN(get_timeout);
	WEB_MHD_FN(get_connection_info);
	WEB_MHD_FN(lookup_connection_value);
	WEB_MHD_FN(suspend_connection);
	WEB_MHD_FN(resume_connection);
	WEB_MHD_FN(queue_response);
	WEB_MHD_FN(create_response_from_buffer);
	WEB_MHD_FN(create_response_from_callback);
	WEB_MHD_FN(add_response_header);
	WEB_MHD_FN(destroy_response);
};
#undef WEB_MHD_FN

/* Fill m with libmicrohttpd's functions, loading the library if this
 * process has not yet.  0, or -1 with err saying which library could not
 * be loaded or which function it lacks (m is then unusable). */
int web_mhd_load(struct web_mhd *m, char *err, size_t errlen);

#endif
