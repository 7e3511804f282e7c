/*
 * gitd_fetchset.h - the objects a clone or fetch needs (gitd_fetchset.c):
 * everything reachable from the wants, less what the common commits reach,
 * as git's `pack-objects --revs` counts it (submodule entries are not
 * followed).  Trees are read through gitd_packset.h; libgit2's revwalk
 * orders the commits.  The result feeds the pack writer (gitd_send.c).
 */
#ifndef BERTH_GITD_FETCHSET_H
#define BERTH_GITD_FETCHSET_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "gitd/gitd_oidset.h"
#include "gitd/gitd_packset.h"

struct send_obj {
	unsigned char id[OID_RAW];
	uint32_t pack;       /* PACKSET_NONE: not in a pack */
	uint32_t pos;        /* its position in that pack's .idx */
	uint64_t offset;     /* of its entry in that pack */
	uint64_t out;        /* of its entry in the pack sent; 0 until then */
};

struct fetchset {
	struct send_obj *v;
	size_t n, cap;
	struct oidset index; /* id -> position in v */
	struct oidset have;  /* objects the client is known to have */
};

/* Collect what the wants need beyond the commons (commits the client has).
 * 0, or -1 with err. */
int fetchset_build(struct fetchset *fs, git_repository *repo,
    struct packset *ps, const git_oid *wants, size_t nwants,
    const git_oid *commons, size_t ncommons, char *err, size_t errlen);
void fetchset_free(struct fetchset *fs);

#endif
