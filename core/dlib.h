/*
 * dlib.h - a library loaded with dlopen on first use, and the functions
 * berth calls looked up into a table of function pointers.  For the
 * libraries only a few paths use (core/libarchive.c, web/web_mhd.c):
 * linked, they would be loaded by every start of berth, which every SSH
 * connection and chore pass makes.
 */
#ifndef BERTH_CORE_DLIB_H
#define BERTH_CORE_DLIB_H

#include <stddef.h>

/* A function the library must have, and the offset in the table where its
 * address goes. */
struct dlib_sym {
	const char *name;
	size_t off;
};

/* What to load: the soname, unless the environment variable test_env
 * (a knob of the tests) names another; what it is and the package that
 * has it, for the error. */
struct dlib {
	const char *soname;
	const char *test_env;
	const char *what;
	const char *package;
};

/* Load l (RTLD_NOW: a library that lacks a symbol fails here, not
 * mid-call) and fill table with the address of each of the n syms.
 * 0; or -1 with err ("cannot load 'NAME' (WHAT; install PACKAGE): why",
 * or "'NAME' has no function 'F'": nothing of that library is used, the
 * table is zeroed and the library closed). */
int dlib_load(const struct dlib *l, const struct dlib_sym *syms, size_t n,
    void *table, size_t tablelen, char *err, size_t errlen);

#endif
