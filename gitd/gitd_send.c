/*
 * gitd_send.c - the pack a clone or fetch receives, written from the
 * objects of a fetchset (gitd_fetchset.h) by copying what the repository's
 * packs already store, as git's pack-objects reuses its packs:
 *   - objects go out in the order of the packs that hold them, so a delta
 *     whose base is sent comes after that base (within one pack, git and
 *     berth always put a base before its OFS_DELTAs);
 *   - a whole object is copied byte for byte;
 *   - a delta whose base is sent is copied with a new header: OFS_DELTA
 *     with the distance in the new pack when its base is already out (and
 *     the client takes ofs-delta), else REF_DELTA naming the base;
 *   - a delta whose base is not sent is sent against it all the same
 *     (REF_DELTA, a thin pack) when the client asked for thin-pack and is
 *     known to have the base; otherwise it is made whole and deflated;
 *   - an object in no pack (a loose one) is deflated from the odb.
 * When the client wants everything a pack holds, the copy is that pack's
 * bytes as they are.  Every copied entry is checked against the CRC-32 its
 * .idx records, so damage on disk is not passed on.
 */
#include "gitd/gitd_send.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define OUT_BUF 65515           /* one side-band-64k packet */
#define READ_CHUNK (1u << 20)

struct sender {
	struct packset *ps;
	struct fetchset *fs;
	int ofs_ok, thin_ok;
	send_out_fn out;
	void *ctx;
	EVP_MD_CTX *sha;
	unsigned char buf[OUT_BUF];
	size_t len;
	uint64_t pos;            /* bytes of the pack so far */
	unsigned char *rbuf;     /* READ_CHUNK bytes */
	z_stream z;
	int zinit;
	char *err;
	size_t errlen;
};

static int sfail(struct sender *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
sfail(struct sender *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
flush_out(struct sender *s)
{
	if (s->len == 0)
		return 0;
	if (EVP_DigestUpdate(s->sha, s->buf, s->len) != 1 ||
	    s->out(s->ctx, s->buf, s->len) == -1)
		return sfail(s, "sending the pack failed");
	s->len = 0;
	return 0;
}

static int
emit(struct sender *s, const void *p, size_t n)
{
	const unsigned char *c = p;

	s->pos += n;
	while (n > 0) {
		size_t take = OUT_BUF - s->len < n ? OUT_BUF - s->len : n;
		memcpy(s->buf + s->len, c, take);
		s->len += take;
		c += take;
		n -= take;
		if (s->len == OUT_BUF && flush_out(s) == -1)
			return -1;
	}
	return 0;
}

/* The object made whole (from its delta chain or the odb), deflated. */
static int
send_whole(struct sender *s, const struct send_obj *o)
{
	const unsigned char *data;
	unsigned char head[16], zout[OUT_BUF];
	size_t len;
	int type, r;

	if (packset_read(s->ps, o->id, &type, &data, &len) == -1)
		return sfail(s, "%s", s->ps->err);
	if (emit(s, head, packfmt_put_head(head, type, len)) == -1 ||
	    deflateReset(&s->z) != Z_OK)
		return sfail(s, "deflate failed");
	s->z.next_in = (unsigned char *)data;
	s->z.avail_in = (uInt)len;
	do {
		s->z.next_out = zout;
		s->z.avail_out = sizeof(zout);
		r = deflate(&s->z, Z_FINISH);
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			return sfail(s, "deflate failed");
		if (emit(s, zout, sizeof(zout) - s->z.avail_out) == -1)
			return -1;
	} while (r != Z_STREAM_END);
	return 0;
}

/* Copy the stored entry [o->offset, end), with head (hlen bytes) in place
 * of its first skip bytes when head is not NULL. */
static int
copy_entry(struct sender *s, const struct send_obj *o, uint64_t end,
    const unsigned char *head, size_t hlen, size_t skip)
{
	uint64_t at = o->offset;
	uint32_t crc = 0;

	if (head != NULL && emit(s, head, hlen) == -1)
		return -1;
	while (at < end) {
		size_t n = end - at < READ_CHUNK ? (size_t)(end - at) : READ_CHUNK;
		size_t from = at == o->offset && head != NULL ? skip : 0;
		if (packset_pread(s->ps, o->pack, at, s->rbuf, n) == -1)
			return sfail(s, "cannot read a pack");
		crc = (uint32_t)crc32(crc, s->rbuf, (uInt)n);
		if (at + n == end && crc != packset_crc(s->ps, o->pack, o->pos))
			return sfail(s, "a pack entry is damaged (CRC mismatch at"
			    " offset %llu)", (unsigned long long)o->offset);
		if (emit(s, s->rbuf + from, n - from) == -1)
			return -1;
		at += n;
	}
	return 0;
}

/* The id of the base of the delta at o (header h). */
static const unsigned char *
base_id(struct sender *s, const struct send_obj *o, const struct pack_head *h)
{
	uint64_t end;
	uint32_t pos;

	if (h->kind == PACK_REF_DELTA)
		return h->ref;
	if (h->ofs == 0 || h->ofs > o->offset - PACK_HDR ||
	    packset_entry_end(s->ps, o->pack, o->offset - h->ofs, &end, &pos) ==
	    -1)
		return NULL;
	return packset_id(s->ps, o->pack, pos);
}

static int
send_one(struct sender *s, struct send_obj *o)
{
	unsigned char raw[PACK_HEAD_MAX], head[PACK_HEAD_MAX];
	const unsigned char *bid;
	const struct oidset_ent *b;
	struct pack_head h;
	const char *why = "?";
	uint64_t end;
	uint32_t pos;
	size_t hlen;

	o->out = s->pos;
	if (o->pack == PACKSET_NONE)
		return send_whole(s, o);
	if (packset_entry_end(s->ps, o->pack, o->offset, &end, &pos) == -1)
		return sfail(s, "%s", s->ps->err);
	hlen = end - o->offset < sizeof(raw) ? (size_t)(end - o->offset) :
	    sizeof(raw);
	if (packset_pread(s->ps, o->pack, o->offset, raw, hlen) == -1 ||
	    packfmt_head(raw, hlen, &h, &why) != 1)
		return sfail(s, "bad pack entry: %s", why);
	if (h.kind != PACK_OFS_DELTA && h.kind != PACK_REF_DELTA)
		return copy_entry(s, o, end, NULL, 0, 0);
	if ((bid = base_id(s, o, &h)) == NULL)
		return sfail(s, "bad delta base at offset %llu",
		    (unsigned long long)o->offset);
	hlen = packfmt_put_head(head, PACK_REF_DELTA, h.size);
	b = oidset_find(&s->fs->index, bid);
	if (b != NULL && s->ofs_ok && s->fs->v[oidset_val(b)].out != 0) {
		hlen = packfmt_put_head(head, PACK_OFS_DELTA, h.size);
		hlen += packfmt_put_ofs(head + hlen,
		    o->out - s->fs->v[oidset_val(b)].out);
		return copy_entry(s, o, end, head, hlen, h.len);
	}
	if (b != NULL || (s->thin_ok && oidset_find(&s->fs->have, bid))) {
		memcpy(head + hlen, bid, OID_RAW);
		return copy_entry(s, o, end, head, hlen + OID_RAW, h.len);
	}
	return send_whole(s, o);
}

static int
by_place(const void *a, const void *b)
{
	const struct send_obj *x = a, *y = b;

	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Find where each object is stored, put them in pack order, and point
 * the index by id at the new positions. */
static int
place_objects(struct sender *s)
{
	struct fetchset *fs = s->fs;

	for (size_t i = 0; i < fs->n; i++)
		if (!packset_find(s->ps, fs->v[i].id, &fs->v[i].pack,
		    &fs->v[i].offset, &fs->v[i].pos))
			fs->v[i].pack = PACKSET_NONE;
	qsort(fs->v, fs->n, sizeof(fs->v[0]), by_place);
	for (size_t i = 0; i < fs->n; i++) {
		uint32_t *slot;
		if (oidset_add(&fs->index, fs->v[i].id, 0, &slot) == -1)
			return sfail(s, "out of memory");
		*slot = (uint32_t)i + 1;    /* stored as value + 1 */
	}
	return 0;
}

int
send_pack(struct packset *ps, struct fetchset *fs, int ofs_ok, int thin_ok,
    send_out_fn out, void *ctx, char *err, size_t errlen)
{
	struct sender *s;
	unsigned char hdr[PACK_HDR] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int rc = -1;

	err[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*s = (struct sender){ .ps = ps, .fs = fs, .ofs_ok = ofs_ok,
	    .thin_ok = thin_ok, .out = out, .ctx = ctx, .err = err,
	    .errlen = errlen };
	if ((s->rbuf = malloc(READ_CHUNK)) == NULL ||
	    (s->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->sha, EVP_sha1(), NULL) != 1 ||
	    deflateInit(&s->z, Z_DEFAULT_COMPRESSION) != Z_OK) {
		sfail(s, "out of memory");
		goto out;
	}
	s->zinit = 1;
	if (place_objects(s) == -1)
		goto out;
	hdr[8] = (unsigned char)(fs->n >> 24);
	hdr[9] = (unsigned char)(fs->n >> 16);
	hdr[10] = (unsigned char)(fs->n >> 8);
	hdr[11] = (unsigned char)fs->n;
	if (emit(s, hdr, sizeof(hdr)) == -1)
		goto out;
	for (size_t i = 0; i < fs->n; i++)
		if (send_one(s, &fs->v[i]) == -1)
			goto out;
	if (flush_out(s) == -1 ||
	    EVP_DigestFinal_ex(s->sha, sum, &dlen) != 1 ||
	    out(ctx, sum, PACK_TRAILER) == -1) {
		sfail(s, "sending the pack failed");
		goto out;
	}
	rc = 0;
out:
	if (s->zinit)
		(void)deflateEnd(&s->z);
	EVP_MD_CTX_free(s->sha);
	free(s->rbuf);
	free(s);
	return rc;
}
