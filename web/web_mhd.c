/*
 * web_mhd.c - dlopen of libmicrohttpd and the lookup of the functions the
 * endpoint calls (see web_mhd.h for why it is not linked).
 */
#include "core/dlib.h"
#include "web/web_mhd.h"

#define SYM(name, field) { "MHD_" name, offsetof(struct web_mhd, field) }

static const struct dlib_sym syms[] = {
	SYM("start_daemon", start_daemon),
	SYM("stop_daemon", stop_daemon),
	SYM("run", run),
	SYM("add_connection", add_connection),
	SYM("get_daemon_info", get_daemon_info),
	SYM("get_timeout", get_timeout),
	SYM("get_connection_info", get_connection_info),
	SYM("lookup_connection_value", lookup_connection_value),
	SYM("suspend_connection", suspend_connection),
	SYM("resume_connection", resume_connection),
	SYM("queue_response", queue_response),
	SYM("create_response_from_buffer", create_response_from_buffer),
	SYM("create_response_from_callback", create_response_from_callback),
	SYM("add_response_header", add_response_header),
	SYM("destroy_response", destroy_response),
};

int
web_mhd_load(struct web_mhd *m, char *err, size_t errlen)
{
	static const struct dlib lib = { WEB_MHD_SONAME, "BERTH_TEST_LIBMHD",
	    "the HTTP server", "libmicrohttpd12" };

	return dlib_load(&lib, syms, sizeof(syms) / sizeof(syms[0]), m,
	    sizeof(*m), err, errlen);
}
