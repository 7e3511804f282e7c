/*
 * gitd_gc.h - repository upkeep: repack an app's bare repository into one
 * pack of everything its refs reach, then drop the packs and loose objects
 * that pack replaces (gitd_gc.c).  The caller holds the app's lock
 * (core/applock.h), so no push writes into the repository meanwhile.
 *
 * Safe against a crash half-way: the new pack and its .idx are written in
 * a directory of their own (objects/gc-XXXXXX) and renamed into
 * objects/pack, .pack first; only then are old files removed, each .idx
 * before its .pack.  A gc killed at any point leaves a repository that
 * holds every reachable object (maybe twice); the next gc removes what the
 * killed one left (its directory, quarantines of killed pushes) and
 * finishes.
 *
 * Grace (git's gc.pruneExpire): an object no ref reaches is only dropped
 * when the file holding it (its pack, or the loose object) is older than
 * grace seconds; a younger pack holding such objects is kept whole.
 */
#ifndef BERTH_GITD_GC_H
#define BERTH_GITD_GC_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

struct gc_result {
	uint32_t packs_before, packs_after;
	uint32_t loose_before, loose_after;
	uint64_t bytes_before, bytes_after;  /* of objects/ */
	uint32_t objects;                    /* in the new pack */
	uint32_t kept;       /* young packs kept for unreachable objects */
	int packed;          /* 0: the repository was packed already */
	double seconds;
};

/* Repack the repository at path (a bare repo) with grace seconds of grace
 * for unreachable objects.  Stops at testpoints "gc-packed" (new pack
 * written aside) and "gc-renamed" (in place, old files not removed yet).
 * 0, or -1 with err. */
int gc_repo(const struct conf *c, const char *path, long long grace,
    struct gc_result *res, char *err, size_t errlen);

#endif
