/*
 * path.h - building file paths without silent truncation.  pathf() is
 * snprintf that fails (errno ENAMETOOLONG) instead of cutting a path short.
 */
#ifndef BERTH_PATH_H
#define BERTH_PATH_H

#include <linux/openat2.h>
#include <stddef.h>

int pathf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* berth's helper program NAME (berth-shim, berth-serve): beside the
 * running berth binary (a checkout's build), else ../lib/berth/NAME from
 * its directory (an install: LIBDIR).  0, or -1 with errno. */
int path_beside_berth(const char *name, char *out, size_t len);

/* mkdir -p with the given mode for each missing component. 0 or -1. */
int mkdirs(const char *path, unsigned int mode);

/* Remove a file or a directory tree of any depth: no symlink followed,
 * nothing outside the tree touched, at most 17 directories open.  0, or
 * -1 with errno (what could be removed is gone). */
int rmtree(const char *path);

/* openat2(2): open path under directory dfd with the RESOLVE_* flags in
 * resolve (RESOLVE_BENEATH: every step of the resolution, symlinks
 * included, stays beneath dfd, else EXDEV).  The fd (close-on-exec), or
 * -1 with errno (ENOSYS before Linux 5.6). */
int path_open_beneath(int dfd, const char *path, int flags,
    unsigned long long resolve);

#endif
