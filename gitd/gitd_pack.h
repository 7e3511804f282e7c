/*
 * gitd_pack.h - receiving a pushed pack into quarantine.
 *
 * The pack is streamed from the pkt_io into libgit2's indexer, which writes
 * it under REPO/objects/incoming-XXXXXX/pack/ (a quarantine directory, as git
 * does since 2.11), fixes thin packs against the repository's odb and checks
 * connectivity (verify=1).  The end of the pack is found from its trailer
 * checksum, not from EOF, because some clients keep the channel open while
 * they wait for the report.  Nothing reaches objects/pack until
 * pack_migrate(); a rejected push calls pack_discard() and leaves nothing.
 */
#ifndef BERTH_GITD_PACK_H
#define BERTH_GITD_PACK_H

#include <git2.h>
#include <limits.h>
#include <stdint.h>

#include "gitd/gitd_pktline.h"

struct pack_quarantine {
	char dir[PATH_MAX];   /* "" until objects arrive */
	char name[64];        /* "pack-<hex>" once indexed */
	uint32_t objects;     /* objects in the pack as sent */
	uint64_t bytes;       /* pack bytes received */
};

/* The most objects a pack may declare for a max_bytes push: the indexer
 * allocates by the declared count, so it is checked before the indexer
 * sees the header (at least 64 bytes an object, at most 5M, at least 10k). */
uint32_t pack_max_objects(uint64_t max_bytes);

/* Read one pack (or the empty pack) from io.  0 or -1 with err set. */
int pack_receive(struct pkt_io *io, git_repository *repo, uint64_t max_bytes,
    struct pack_quarantine *q, char *err, size_t errlen);

/* Let repo's odb see the quarantined objects (for checks and the deploy). */
int pack_expose(git_repository *repo, const struct pack_quarantine *q,
    char *err, size_t errlen);

/* Move the pack, then its index, into objects/pack; remove the quarantine. */
int pack_migrate(git_repository *repo, struct pack_quarantine *q, char *err,
    size_t errlen);

/* Remove the quarantine directory and everything in it. */
void pack_discard(struct pack_quarantine *q);

/* libgit2's last error message, or fallback. */
const char *git_errmsg(const char *fallback);

#endif
