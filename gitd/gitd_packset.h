/*
 * gitd_packset.h - read access to a repository's packs for upload-pack:
 * where an object is stored (which pack, which offset), the raw bytes of a
 * stored entry (so a fetch can send stored deltas as they are), and whole
 * objects made from delta chains through a small cache of bases (so walking
 * every tree of a history reads each tree version once, from its newer
 * neighbour).  Packs are read with pread through their .idx (version 2);
 * objects outside the packs (loose ones) come from libgit2's odb.
 *
 * All files are berth's own or git's, but every offset and size read from
 * them is still checked against the file it points into.
 */
#ifndef BERTH_GITD_PACKSET_H
#define BERTH_GITD_PACKSET_H

#include <git2.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "gitd/gitd_packfmt.h"

#define PACKSET_NONE UINT32_MAX /* not in any pack */

struct pack_file {
	int fd;
	uint64_t size;           /* of the .pack */
	uint32_t n;              /* objects */
	unsigned char *map;      /* the .idx, mapped */
	size_t maplen;
	const unsigned char *ids, *crcs, *offs, *large;
	uint32_t nlarge;
	uint32_t *byoff;         /* positions in offset order (made lazily) */
	uint64_t *offsorted;     /* their offsets, in that order */
};

struct base_slot;

struct packset {
	struct pack_file *p;
	uint32_t n;
	git_odb *odb;
	struct base_slot *cache; /* bases, direct-mapped (gitd_packset.c) */
	size_t held;             /* bytes in the cache */
	uint32_t hand;           /* next slot to evict */
	void *chain;             /* delta chain being followed */
	unsigned char *out;      /* the last object made, when not cached */
	unsigned char *zbuf;
	size_t zcap;
	unsigned char *win;      /* read-ahead: WINDOW bytes of pack wp */
	uint32_t wp;
	uint64_t woff, wlen;
	void *z;                 /* a z_stream */
	char objdir[PATH_MAX];   /* REPO/objects */
	int skipped;             /* a pack we cannot read: ask the odb */
	char err[256];
};

/* Open every pack of repo.  0 or -1 with ps->err. */
int packset_open(struct packset *ps, git_repository *repo);
void packset_close(struct packset *ps);

/* Where id is stored: 1 with *pack, *offset (and *pos, its position in
 * that pack's .idx), or 0 when no pack has it. */
int packset_find(const struct packset *ps, const unsigned char *id,
    uint32_t *pack, uint64_t *offset, uint32_t *pos);

/* The offset just past the entry at offset of pack p (the next entry, or
 * the trailer), and the .idx position of that entry.  0 or -1. */
int packset_entry_end(struct packset *ps, uint32_t p, uint64_t offset,
    uint64_t *end, uint32_t *pos);

/* The stored CRC-32 and id of the entry at .idx position pos. */
uint32_t packset_crc(const struct packset *ps, uint32_t p, uint32_t pos);
const unsigned char *packset_id(const struct packset *ps, uint32_t p,
    uint32_t pos);

/* Read len bytes at offset of pack p into buf.  Small reads go through a
 * read-ahead window (an entry's header and data, or neighbouring entries,
 * come from one system call).  0 or -1. */
int packset_pread(struct packset *ps, uint32_t p, uint64_t offset,
    void *buf, size_t len);

/* 1 when the repository has id (in a pack, or as a loose object), else 0.
 * Never rescans objects/pack (libgit2's odb does, on every miss). */
int packset_has(const struct packset *ps, const unsigned char *id);

/* The type of id (PACK_COMMIT ... PACK_TAG), from entry headers alone:
 * 1, 0 when the repository does not have it, -1 with ps->err. */
int packset_type(struct packset *ps, const unsigned char *id, int *type);

/* The whole object id: its type and bytes, valid until the next call.
 * 0, or -1 with ps->err. */
int packset_read(struct packset *ps, const unsigned char *id, int *type,
    const unsigned char **data, size_t *len);

#endif
