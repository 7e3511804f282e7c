/*
 * web_mhd.c - dlopen of libmicrohttpd and the lookup of the functions the
 * endpoint calls (see web_mhd.h for why it is not linked).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_mhd.h"

#define SYM(name, field) { "MHD_" name, offsetof(struct web_mhd, field) }

static const struct {
	const char *sym;
	size_t off;
} syms[] = {
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
	const char *name = getenv("BERTH_TEST_LIBMHD");
	const char *why;
	void *h, *fn;

	if (name == NULL || *name == '\0')
		name = WEB_MHD_SONAME;
	/* RTLD_NOW: a library that lacks a symbol fails here, not mid-call */
	if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load '%s' (the HTTP server;"
		    " install libmicrohttpd12): %s", name,
		    why ? why : "unknown error");
		return -1;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((fn = dlsym(h, syms[i].sym)) == NULL) {
			snprintf(err, errlen, "'%s' has no function '%s'", name,
			    syms[i].sym);
			memset(m, 0, sizeof(*m));
			(void)dlclose(h); /* not MHD: nothing of it is in use */
			return -1;
		}
		/* POSIX: a function's address converts to and from void * */
		memcpy((char *)m + syms[i].off, &fn, sizeof(fn));
	}
	return 0;
}
