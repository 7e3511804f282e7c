/*
 * gitd_packfmt.c - pack entry headers and delta data, see gitd_packfmt.h and
 * gitformat-pack "Deltified representation".  Every varint is bounded: a
 * size needs at most 10 bytes and may not overflow 64 bits.
 */
#include "gitd/gitd_packfmt.h"

#include <stdio.h>
#include <string.h>

#define VARINT_MAX 10

int
packfmt_head(const unsigned char *p, size_t avail, struct pack_head *h,
    const char **why)
{
	size_t i = 0;
	unsigned shift = 4;
	unsigned char c;

	memset(h, 0, sizeof(*h));
	if (avail == 0)
		return 0;
	c = p[i++];
	h->kind = (c >> 4) & 7;
	h->size = c & 15;
	while (c & 0x80) {
		if (i == avail)
			return 0;
		if (i == VARINT_MAX || shift > 57) {
			*why = "entry size too long";
			return -1;
		}
		c = p[i++];
		h->size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	switch (h->kind) {
	case PACK_COMMIT: case PACK_TREE: case PACK_BLOB: case PACK_TAG:
		break;
	case PACK_OFS_DELTA:
		if (i == avail)
			return 0;
		c = p[i++];
		h->ofs = c & 0x7f;
		while (c & 0x80) {
			if (i == avail)
				return 0;
			if (h->ofs >> 56) {
				*why = "delta base offset too large";
				return -1;
			}
			c = p[i++];
			h->ofs = ((h->ofs + 1) << 7) | (c & 0x7f);
		}
		break;
	case PACK_REF_DELTA:
		if (avail - i < OID_RAW)
			return 0;
		memcpy(h->ref, p + i, OID_RAW);
		i += OID_RAW;
		break;
	default:
		*why = "unknown object type";
		return -1;
	}
	h->len = i;
	return 1;
}

size_t
packfmt_put_head(unsigned char *out, int kind, uint64_t size)
{
	size_t n = 0;
	unsigned char c = (unsigned char)((kind & 7) << 4 | (size & 15));

	size >>= 4;
	while (size) {
		out[n++] = c | 0x80;
		c = size & 0x7f;
		size >>= 7;
	}
	out[n++] = c;
	return n;
}

size_t
packfmt_put_ofs(unsigned char *out, uint64_t ofs)
{
	unsigned char tmp[VARINT_MAX];
	size_t pos = sizeof(tmp) - 1;

	tmp[pos] = ofs & 0x7f;
	while (ofs >>= 7)
		tmp[--pos] = 0x80 | (--ofs & 0x7f);
	memcpy(out, tmp + pos, sizeof(tmp) - pos);
	return sizeof(tmp) - pos;
}

/* One little-endian base-128 size: 1, 0 (need more) or -1. */
static int
delta_varint(const unsigned char *d, size_t len, size_t *i, uint64_t *out)
{
	unsigned shift = 0;
	unsigned char c;

	*out = 0;
	do {
		if (*i == len)
			return 0;
		if (shift > 56)
			return -1;
		c = d[(*i)++];
		*out |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	return 1;
}

int
packfmt_delta_sizes(const unsigned char *d, size_t len, uint64_t *base,
    uint64_t *result, size_t *used)
{
	size_t i = 0;
	int r;

	if ((r = delta_varint(d, len, &i, base)) != 1 ||
	    (r = delta_varint(d, len, &i, result)) != 1)
		return r;
	*used = i;
	return 1;
}

/* A copy op: offset and size from the bytes its flags announce. */
static int
delta_copy(unsigned char op, const unsigned char *d, size_t dlen, size_t *i,
    uint64_t *off, uint64_t *size)
{
	*off = *size = 0;
	for (int b = 0; b < 4; b++)
		if (op & (1 << b)) {
			if (*i == dlen)
				return -1;
			*off |= (uint64_t)d[(*i)++] << (8 * b);
		}
	for (int b = 0; b < 3; b++)
		if (op & (0x10 << b)) {
			if (*i == dlen)
				return -1;
			*size |= (uint64_t)d[(*i)++] << (8 * b);
		}
	if (*size == 0)
		*size = 0x10000;
	return 0;
}

int
packfmt_delta_apply(const unsigned char *base, size_t blen,
    const unsigned char *d, size_t dlen, unsigned char *out, size_t outlen,
    const char **why)
{
	uint64_t bsize, rsize, off, size;
	size_t i, pos = 0;

	if (packfmt_delta_sizes(d, dlen, &bsize, &rsize, &i) != 1) {
		*why = "truncated delta header";
		return -1;
	}
	if (bsize != blen || rsize != outlen) {
		*why = "delta sizes do not match its base";
		return -1;
	}
	while (i < dlen) {
		unsigned char op = d[i++];
		if (op & 0x80) {
			if (delta_copy(op, d, dlen, &i, &off, &size) == -1) {
				*why = "truncated delta copy";
				return -1;
			}
			if (off > blen || size > blen - off || size > outlen - pos) {
				*why = "delta copies outside its base or result";
				return -1;
			}
			memcpy(out + pos, base + off, size);
		} else if (op != 0) {
			size = op;
			if (size > dlen - i || size > outlen - pos) {
				*why = "delta inserts past its end";
				return -1;
			}
			memcpy(out + pos, d + i, size);
			i += size;
		} else {
			*why = "reserved delta op 0";
			return -1;
		}
		pos += size;
	}
	if (pos != outlen) {
		*why = "delta result shorter than announced";
		return -1;
	}
	return 0;
}

const char *
packfmt_type_name(int kind)
{
	static const char *const names[] = { "?", "commit", "tree", "blob",
	    "tag" };

	return kind >= PACK_COMMIT && kind <= PACK_TAG ? names[kind] : "?";
}

size_t
packfmt_obj_prefix(char *buf, int kind, uint64_t size)
{
	int n = snprintf(buf, 32, "%s %llu", packfmt_type_name(kind),
	    (unsigned long long)size);

	return (size_t)n + 1; /* snprintf wrote the NUL */
}
