/*
 * gitd_objrefs.h - the links out of a commit, tree or tag object, as git's
 * object walk (rev-list --objects) follows them: a commit's tree and
 * parents, a tree's entries, a tag's target.  Submodule entries (gitlinks,
 * mode 160000) name a commit of another repository and are skipped, as git
 * does.  The parser is bounds-checked and refuses what git's own parsers
 * refuse (a commit without its tree line, a tree entry with a bad mode or an
 * empty name, a tag without object, type and tag lines).
 */
#ifndef BERTH_GITD_OBJREFS_H
#define BERTH_GITD_OBJREFS_H

#include <stddef.h>

/* Called for each link: the id and the type (PACK_COMMIT, PACK_TREE,
 * PACK_BLOB or PACK_TAG) the target must have.  Nonzero stops the walk. */
typedef int (*objrefs_fn)(void *ctx, const unsigned char *id, int type);

/* Call fn for each link of an object of type kind (a blob has none).
 * Returns 0, -1 when the object is malformed (*why), or fn's nonzero. */
int objrefs_each(int kind, const unsigned char *data, size_t len,
    objrefs_fn fn, void *ctx, const char **why);

/* Parse 40 hex digits into a raw id.  0 or -1. */
int objrefs_hex(const unsigned char *hex, unsigned char *raw);

#endif
