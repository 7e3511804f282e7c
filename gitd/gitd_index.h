/*
 * gitd_index.h - berth's own pack indexer, in place of libgit2's: it reads a
 * pushed pack as it streams in, writes it to a file in the quarantine, and
 * then resolves its deltas on every core, fixes a thin pack against the
 * repository, and writes the .idx (version 2), as git's index-pack does.
 *
 * Why our own: libgit2's indexer resolves deltas on one thread, allocates
 * whatever size a delta announces, and its verify pass counts submodule
 * entries as missing objects.  Here every size is checked against the limits
 * before anything is allocated for it:
 *   - an entry's declared size (the object, or its delta data) and every
 *     delta's result size (from the delta header, read after inflating its
 *     first bytes) against max_object;
 *   - the sum of all objects' sizes against max_inflated, while the pack
 *     streams in, so a 167-byte pack cannot make 1 GiB of work.
 * While deltas are resolved, the links of every commit, tree and tag
 * (gitd_objrefs.h) are collected, so the connectivity check (gitd_connect.c)
 * never reads an object of the pack a second time.
 *
 * Files: gitd_index.c (streaming phase, orchestration), gitd_resolve.c
 * (delta resolution on threads), gitd_index_write.c (thin bases, trailer,
 * .idx).
 */
#ifndef BERTH_GITD_INDEX_H
#define BERTH_GITD_INDEX_H

#include <git2.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gitd/gitd_oidset.h"
#include "gitd/gitd_packfmt.h"
#include "gitd/gitd_packset.h"

struct pack_limits {
	uint64_t max_object;   /* one object, inflated (max_object_size) */
	uint64_t max_inflated; /* all objects of the pack (max_push_inflated) */
};

/* One entry of the pack, in pack order. */
struct pack_obj {
	uint64_t offset;       /* of the entry's header */
	uint64_t dsize;        /* inflated size of the entry's data */
	uint64_t size;         /* the object's size (a delta's result size) */
	uint32_t base;         /* OFS_DELTA: base's index; REF_DELTA: refs[] */
	uint32_t crc;          /* CRC-32 of the entry's bytes (for the .idx) */
	uint8_t kind;          /* enum pack_kind as sent */
	uint8_t type;          /* the object's type, once known */
	uint8_t hlen;          /* bytes of the entry's header */
	uint8_t done;          /* id known (deltas: resolved) */
	uint8_t claimed;       /* a resolver thread took this delta */
	unsigned char id[OID_RAW];
};

struct pack_index {
	struct pack_limits lim;
	int fd;
	char dir[PATH_MAX];      /* QUARANTINE/pack */
	char tmp[PATH_MAX];      /* the pack file while it is written */
	uint32_t count;          /* objects the header declares */
	struct pack_obj *objs;
	uint32_t n, cap;
	unsigned char (*refs)[OID_RAW]; /* REF_DELTA bases */
	uint32_t nrefs, refcap;
	uint64_t pos;            /* pack bytes taken so far */
	uint64_t end;            /* where the objects end (the trailer) */
	uint64_t inflated;       /* sum of the objects' sizes */
	void *stream;            /* streaming state (gitd_index.c) */
	unsigned char sum[OID_RAW]; /* the pack's checksum */
	int complete;            /* the trailer was checked */
	int threads;             /* for delta resolution */
	uint32_t thin;           /* bases appended from the repository */
	uint32_t *sorted;        /* indexes of objs by id, no duplicates */
	uint32_t nsorted;
	struct oidset links;     /* ids the pack's objects link to, value: type */
	char name[64];           /* "pack-HEX" once written */
};

/* Start indexing a pack whose 12-byte header is hdr (declaring count > 0
 * objects) into the directory dir.  0 or -1 with err. */
int pindex_new(struct pack_index **out, const char *dir,
    const unsigned char *hdr, uint32_t count, const struct pack_limits *lim,
    char *err, size_t errlen);

/* Take the next bytes of the pack.  Returns the bytes used (fewer than len
 * only when the pack ended: then ix->complete is set), or -1 with err
 * ("bad pack: ...", a limit, or a write error). */
ssize_t pindex_feed(struct pack_index *ix, const unsigned char *p, size_t len,
    char *err, size_t errlen);

/* After the trailer: resolve the deltas, take missing bases of a thin pack
 * from the repository (repo: its packs, read without libgit2, so a pack
 * naming many bases that do not exist costs no rescans), write the .idx
 * and give both files their final names (ix->name).  0 or -1 with err. */
int pindex_finish(struct pack_index *ix, struct packset *repo, char *err,
    size_t errlen);

/* The pack's object with this id, or NULL (after pindex_finish). */
const struct pack_obj *pindex_lookup(const struct pack_index *ix,
    const unsigned char *id);

/* Close and free; a pack file not finished is removed. */
void pindex_free(struct pack_index *ix);

/* gitd_resolve.c: resolve every delta whose base is in the pack (and the
 * children of objects appended since the last call, from index first on).
 * Collects links into ix->links.  0 or -1 with err. */
int resolve_deltas(struct pack_index *ix, uint32_t first, char *err,
    size_t errlen);

/* gitd_index_write.c: append the bases a thin pack lacks (from repo), 1
 * when some were added, 0 when none could be, -1 on error. */
int index_fix_thin(struct pack_index *ix, struct packset *repo, char *err,
    size_t errlen);
/* gitd_index_write.c: header count and trailer after appends, sorted ids,
 * .idx, final names.  0 or -1 with err. */
int index_write(struct pack_index *ix, char *err, size_t errlen);

/* Room for one more entry and one more REF_DELTA base.  0 or -1. */
int index_grow(struct pack_index *ix);

/* Read and inflate entry i's data (dsize bytes) with z: a malloc'd buffer,
 * or NULL with *why.  Shared by the resolver and the thin-pack fixer. */
unsigned char *index_read_entry(const struct pack_index *ix, uint32_t i,
    void *z, unsigned char **zbuf, size_t *zcap, const char **why);

#endif
