/*
 * gitd_connect.h - the connectivity check of a push (see gitd_connect.c):
 * after the pack is indexed and before anything moves, every object the new
 * tips need must be in the pack or in the repository, submodule entries
 * aside, as git's receive-pack requires.
 */
#ifndef BERTH_GITD_CONNECT_H
#define BERTH_GITD_CONNECT_H

#include <git2.h>
#include <stddef.h>

#include "gitd/gitd_index.h"

/* Check the links of every object of the indexed pack ix (NULL for an
 * empty pack) and the tips (the new ids of the commands that are not
 * deletes) against ix and repo's object database, which must not see the
 * quarantine yet.  0, or -1 with err naming one missing or mistyped
 * object. */
int connect_check(git_repository *repo, const struct pack_index *ix,
    const git_oid *tips, size_t ntips, char *err, size_t errlen);

#endif
