/*
 * gitd_oidset.h - a hash set of object ids, each with a 32-bit value: the
 * "seen" and "referenced" sets of the indexer, the connectivity check and
 * upload-pack's object walk.  Open addressing over one array; the slot is
 * chosen by a keyed mix of the id, so ids picked to share a prefix do not
 * pile up in one chain.
 */
#ifndef BERTH_GITD_OIDSET_H
#define BERTH_GITD_OIDSET_H

#include <stddef.h>
#include <stdint.h>

#include "gitd/gitd_packfmt.h"

struct oidset_ent {
	unsigned char id[OID_RAW];
	uint32_t val;  /* 0: empty slot; else the value + 1 */
};

struct oidset {
	struct oidset_ent *v;
	size_t cap;    /* a power of two, or 0 */
	size_t n;
	uint64_t key;
};

void oidset_init(struct oidset *s);
void oidset_free(struct oidset *s);

/* Add id with value val (< UINT32_MAX) unless present.  1 added, 0 already
 * there, -1 out of memory.  *slot (if not NULL) points at the stored value
 * (stored as value + 1: use oidset_val). */
int oidset_add(struct oidset *s, const unsigned char *id, uint32_t val,
    uint32_t **slot);

/* The entry of id, or NULL. */
struct oidset_ent *oidset_find(const struct oidset *s, const unsigned char *id);

static inline uint32_t
oidset_val(const struct oidset_ent *e)
{
	return e->val - 1;
}

#endif
