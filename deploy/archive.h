/*
 * archive.h - moving trees between git, disk and archives with
 * libarchive: export a commit's tree into a new directory (no git binary,
 * no checkout index), pack a release directory into a tar.gz, and unpack one
 * again.  Writing to disk always goes through libarchive's secure writer:
 * no "..", no writing through symlinks.  Each of the three loads
 * libarchive first (core/libarchive.h) and fails with the loader's error
 * when it cannot.
 */
#ifndef BERTH_HOOKS_ARCHIVE_H
#define BERTH_HOOKS_ARCHIVE_H

#include <git2.h>
#include <stddef.h>

/* What an export may write: each file at most max_file bytes
 * ([server] max_object_size), all files together at most max_total
 * ([build] max_export_size).  Sizes are read from the object headers
 * before a blob is read into memory. */
struct export_limits {
	uint64_t max_file;
	uint64_t max_total;
};

/* Write the tree of commit into dir (which must exist and be empty).
 * Regular files keep the executable bit, symlinks stay symlinks; a submodule
 * is an error.  Returns 0 or -1 with err; *files counts what was written. */
int archive_export_commit(git_repository *repo, const git_oid *commit,
    const char *dir, const struct export_limits *lim, size_t *files,
    char *err, size_t errlen);

/* dir -> tarball (tar.gz, pax).  0 or -1 with err. */
int archive_pack_dir(const char *dir, const char *tarball, char *err,
    size_t errlen);

/* tarball -> dir (created).  0 or -1 with err. */
int archive_unpack(const char *tarball, const char *dir, char *err,
    size_t errlen);

#endif
