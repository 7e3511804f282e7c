/*
 * path.h - building file paths without silent truncation.  pathf() is
 * snprintf that fails (errno ENAMETOOLONG) instead of cutting a path short.
 */
#ifndef BERTH_PATH_H
#define BERTH_PATH_H

#include <stddef.h>

int pathf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mkdir -p with the given mode for each missing component. 0 or -1. */
int mkdirs(const char *path, unsigned int mode);

/* Remove a file or a directory tree of any depth: no symlink followed,
 * nothing outside the tree touched, at most 17 directories open.  0, or
 * -1 with errno (what could be removed is gone). */
int rmtree(const char *path);

#endif
