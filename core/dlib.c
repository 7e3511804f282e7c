/*
 * dlib.c - dlopen of a library and the lookup of its functions into a
 * table (see dlib.h).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dlib.h"

int
dlib_load(const struct dlib *l, const struct dlib_sym *syms, size_t n,
    void *table, size_t tablelen, char *err, size_t errlen)
{
	const char *name = getenv(l->test_env);
	const char *why;
	void *h, *fn;

	if (name == NULL || *name == '\0')
		name = l->soname;
	if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load '%s' (%s; install %s): %s",
		    name, l->what, l->package, why ? why : "unknown error");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((fn = dlsym(h, syms[i].name)) == NULL) {
			snprintf(err, errlen, "'%s' has no function '%s'", name,
			    syms[i].name);
			memset(table, 0, tablelen);
			(void)dlclose(h); /* not that library: none of it in use */
			return -1;
		}
		/* POSIX: a function's address converts to and from void * */
		memcpy((char *)table + syms[i].off, &fn, sizeof(fn));
	}
	return 0;
}
