/*
 * packs.h - installing a copy of the shipped buildpacks where the apps'
 * uids can reach them.  A root berth run from a checkout under /root finds
 * its buildpacks beside it, behind a directory no app uid may enter; it
 * copies them into DATA/buildpacks at start (core/datadir.c decides when)
 * and builds with that copy.
 */
#ifndef BERTH_PACKS_H
#define BERTH_PACKS_H

#include <stddef.h>

/*
 * Copy the tree src to dst, replacing what dst held with one rename
 * (RENAME_EXCHANGE), so a build that starts meanwhile sees the old tree or
 * the new one, never half of either.  The copy is owned by berth's user
 * (root), every directory 0755, every file 0644, or 0755 when its owner
 * could execute it.  Symlinks are copied as links; the writer refuses to
 * follow one or to leave dst (libarchive's secure options; libarchive
 * is loaded first, core/libarchive.h).  0, or -1 with err.
 */
int packs_install(const char *src, const char *dst, char *err, size_t errlen);

#endif
