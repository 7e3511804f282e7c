/*
 * gitd_pack.h - receiving a pushed pack into quarantine.
 *
 * The pack is streamed from the pkt_io into berth's indexer (gitd_index.h),
 * which writes it under REPO/objects/incoming-XXXXXX/pack/ (a quarantine
 * directory, as git does since 2.11), holds every object to the size
 * limits before inflating it, resolves deltas, fixes thin packs against
 * the repository's odb and writes the .idx.  The end of the pack is found
 * by parsing it up to its trailer checksum, not from EOF, because some
 * clients keep the channel open while they wait for the report.  The
 * connectivity check (gitd_connect.h) runs on the indexed pack before the
 * quarantine is exposed.  Nothing reaches objects/pack until
 * pack_migrate(); a rejected push calls pack_discard() and leaves nothing.
 */
#ifndef BERTH_GITD_PACK_H
#define BERTH_GITD_PACK_H

#include <git2.h>
#include <limits.h>
#include <stdint.h>

#include "conf/conf.h"
#include "gitd/gitd_index.h"
#include "gitd/gitd_pktline.h"

struct pack_quarantine {
	char dir[PATH_MAX];   /* "" until objects arrive */
	char name[64];        /* "pack-<hex>" once indexed */
	uint32_t objects;     /* objects in the pack as sent */
	uint64_t bytes;       /* pack bytes received */
	struct pack_index *ix; /* the indexed pack, until discard or migrate */
};

/* The most objects a pack may declare for a max_bytes push, checked before
 * the indexer starts (at least 64 bytes an object, at most 5M, at least
 * 10k); the indexer's table then grows with the entries that arrive. */
uint32_t pack_max_objects(uint64_t max_bytes);

/* Read one pack (or the empty pack) from io and index it, within the
 * limits of conf (max_push_size, max_object_size, max_push_inflated).  A
 * pack that inflates to more than PACK_LIGHT bytes resolves its deltas
 * only in one of the PACK_SLOTS machine-wide slots (flocks on
 * DATA/locks/index-slot-K.lock), so that many pushes at once cannot each
 * hold large objects in memory.  0 or -1 with err set. */
#define PACK_LIGHT (8u << 20)
#define PACK_SLOTS 2
int pack_receive(struct pkt_io *io, git_repository *repo,
    const struct conf *conf, struct pack_quarantine *q, char *err,
    size_t errlen);

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
