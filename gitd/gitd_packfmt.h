/*
 * gitd_packfmt.h - the byte formats inside a pack (gitformat-pack): entry
 * headers (type and size varint, OFS_DELTA distance, REF_DELTA base id),
 * delta data (the two size varints, then copy and insert ops) and the
 * "TYPE SIZE\0" prefix an object id is hashed over.
 *
 * Everything here reads untrusted bytes through explicit lengths and says
 * "need more" or "bad" instead of reading past them; nothing allocates.
 * The indexer (gitd_index.c), the delta resolver (gitd_resolve.c) and the
 * pack writer of upload-pack (gitd_send.c) are built on it.
 */
#ifndef BERTH_GITD_PACKFMT_H
#define BERTH_GITD_PACKFMT_H

#include <stddef.h>
#include <stdint.h>

#define OID_RAW 20
#define PACK_HDR 12
#define PACK_TRAILER 20
#define PACK_HEAD_MAX 32 /* longest entry header: 10 size + 20 ref bytes */

enum pack_kind {
	PACK_COMMIT = 1,
	PACK_TREE = 2,
	PACK_BLOB = 3,
	PACK_TAG = 4,
	PACK_OFS_DELTA = 6,
	PACK_REF_DELTA = 7,
};

struct pack_head {
	int kind;                /* enum pack_kind */
	uint64_t size;           /* inflated size of the entry's data */
	uint64_t ofs;            /* OFS_DELTA: distance back to the base */
	unsigned char ref[OID_RAW]; /* REF_DELTA: the base's id */
	size_t len;              /* bytes of the header */
};

/* Parse the entry header at p (avail bytes): 1 when parsed, 0 when more
 * bytes are needed, -1 when malformed (*why says how). */
int packfmt_head(const unsigned char *p, size_t avail, struct pack_head *h,
    const char **why);

/* Encode a type-and-size header (at most 10 bytes) / an OFS_DELTA distance
 * (at most 10 bytes) into out; return the bytes written. */
size_t packfmt_put_head(unsigned char *out, int kind, uint64_t size);
size_t packfmt_put_ofs(unsigned char *out, uint64_t ofs);

/* The two sizes at the start of delta data: 1 when both are there, 0 when
 * more bytes are needed, -1 when malformed.  *used: their length. */
int packfmt_delta_sizes(const unsigned char *d, size_t len, uint64_t *base,
    uint64_t *result, size_t *used);

/* Apply delta d to base, writing exactly outlen bytes (the delta's result
 * size) to out.  0, or -1 with *why (a copy outside the base, a result of
 * another size, a reserved op). */
int packfmt_delta_apply(const unsigned char *base, size_t blen,
    const unsigned char *d, size_t dlen, unsigned char *out, size_t outlen,
    const char **why);

/* "commit", "tree", "blob", "tag", or "?". */
const char *packfmt_type_name(int kind);

/* Write "TYPE SIZE" and its NUL into buf (at least 32 bytes); return the
 * length including the NUL. */
size_t packfmt_obj_prefix(char *buf, int kind, uint64_t size);

#endif
