/*
 * libcurl.c - dlopen of libcurl and the lookup of the functions berth
 * calls (see libcurl.h for why it is not linked).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/libcurl.h"

static const struct {
	const char *sym;
	size_t off;
} syms[] = {
	{ "curl_easy_init", offsetof(struct libcurl, easy_init) },
	{ "curl_easy_setopt", offsetof(struct libcurl, easy_setopt) },
	{ "curl_easy_perform", offsetof(struct libcurl, easy_perform) },
	{ "curl_easy_getinfo", offsetof(struct libcurl, easy_getinfo) },
	{ "curl_easy_cleanup", offsetof(struct libcurl, easy_cleanup) },
	{ "curl_easy_strerror", offsetof(struct libcurl, easy_strerror) },
	{ "curl_slist_append", offsetof(struct libcurl, slist_append) },
	{ "curl_slist_free_all", offsetof(struct libcurl, slist_free_all) },
};

int
libcurl_load(struct libcurl *lc, char *err, size_t errlen)
{
	const char *name = getenv("BERTH_TEST_LIBCURL");
	const char *why;
	void *h, *fn;

	if (name == NULL || *name == '\0')
		name = LIBCURL_SONAME;
	/* RTLD_NOW: a library that lacks a symbol fails here, not mid-call */
	if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load '%s' (the HTTP client; install"
		    " libcurl4): %s", name, why ? why : "unknown error");
		return -1;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((fn = dlsym(h, syms[i].sym)) == NULL) {
			snprintf(err, errlen, "'%s' has no function '%s'", name,
			    syms[i].sym);
			memset(lc, 0, sizeof(*lc));
			(void)dlclose(h); /* not curl: nothing of it is in use */
			return -1;
		}
		/* POSIX: a function's address converts to and from void * */
		memcpy((char *)lc + syms[i].off, &fn, sizeof(fn));
	}
	return 0;
}
