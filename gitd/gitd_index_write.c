/*
 * gitd_index_write.c - the end of berth's indexer (gitd_index.h): a thin
 * pack gets the bases it lacks appended from the repository (as git's
 * index-pack --fix-thin does), then a new object count and trailer; then
 * the objects are sorted by id and the .idx (version 2, gitformat-pack
 * "Version 2 pack-*.idx files") is written beside the pack, and both get
 * their final names, pack-<checksum>.{pack,idx}.
 */
#include "gitd/gitd_index.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/path.h"

#define IDX_BUF 65536

struct idx_out {
	int fd;
	EVP_MD_CTX *sha;
	unsigned char buf[IDX_BUF];
	size_t len;
	uint64_t at;           /* file offset of buf[0] */
	int failed;
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
pwrite_all(int fd, const unsigned char *p, size_t len, uint64_t at)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)at);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		at += (uint64_t)n;
	}
	return 0;
}

/* 1 when id is already one of the bases appended so far. */
static int
appended(const struct pack_index *ix, const unsigned char *id)
{
	for (uint32_t i = ix->n - ix->thin; i < ix->n; i++)
		if (memcmp(ix->objs[i].id, id, OID_RAW) == 0)
			return 1;
	return 0;
}

/* Append a whole object (from the repository) at the end of the objects. */
static int
append_object(struct pack_index *ix, const unsigned char *id, int type,
    const void *data, size_t size, char *err, size_t errlen)
{
	unsigned char head[16], *z;
	uLongf zlen = compressBound((uLong)size);
	size_t hlen = packfmt_put_head(head, type, size);
	struct pack_obj *o;
	int rc = -1;

	if (index_grow(ix) == -1 || (z = malloc(zlen)) == NULL)
		return fail(err, errlen, "out of memory");
	if (compress2(z, &zlen, data, (uLong)size, Z_DEFAULT_COMPRESSION) !=
	    Z_OK) {
		fail(err, errlen, "cannot compress a thin pack's base");
		goto out;
	}
	if (pwrite_all(ix->fd, head, hlen, ix->end) == -1 ||
	    pwrite_all(ix->fd, z, zlen, ix->end + hlen) == -1) {
		fail(err, errlen, "cannot write pack: %s", strerror(errno));
		goto out;
	}
	o = &ix->objs[ix->n++];
	memset(o, 0, sizeof(*o));
	o->offset = ix->end;
	o->kind = o->type = (uint8_t)type;
	o->dsize = o->size = size;
	o->hlen = (uint8_t)hlen;
	o->crc = (uint32_t)crc32(crc32(0, head, (uInt)hlen), z, (uInt)zlen);
	o->done = 1;
	memcpy(o->id, id, OID_RAW);
	ix->end += hlen + zlen;
	ix->thin++;
	rc = 0;
out:
	free(z);
	return rc;
}

int
index_fix_thin(struct pack_index *ix, struct packset *repo, char *err,
    size_t errlen)
{
	uint32_t n = ix->n, before = ix->thin;

	for (uint32_t i = 0; i < n; i++) {
		const struct pack_obj *o = &ix->objs[i];
		const unsigned char *id = ix->refs[o->base], *data;
		size_t size;
		int type;
		if (o->kind != PACK_REF_DELTA || o->done || appended(ix, id) ||
		    !packset_has(repo, id))
			continue;
		if (packset_read(repo, id, &type, &data, &size) == -1)
			return fail(err, errlen, "cannot read a thin pack's base:"
			    " %s", repo->err);
		if (append_object(ix, id, type, data, size, err, errlen) == -1)
			return -1;
	}
	return ix->thin > before;
}

/* After appends: the new object count and the trailer over everything. */
static int
rewrite_trailer(struct pack_index *ix, char *err, size_t errlen)
{
	unsigned char cnt[4], *buf;
	EVP_MD_CTX *sha;
	unsigned int dlen = 0;
	uint64_t at = 0;
	int rc = -1;

	cnt[0] = (unsigned char)(ix->n >> 24);
	cnt[1] = (unsigned char)(ix->n >> 16);
	cnt[2] = (unsigned char)(ix->n >> 8);
	cnt[3] = (unsigned char)ix->n;
	if (ftruncate(ix->fd, (off_t)ix->end) == -1 ||
	    pwrite_all(ix->fd, cnt, 4, 8) == -1)
		return fail(err, errlen, "cannot write pack: %s",
		    strerror(errno));
	if ((buf = malloc(IDX_BUF)) == NULL || (sha = EVP_MD_CTX_new()) == NULL) {
		free(buf);
		return fail(err, errlen, "out of memory");
	}
	if (EVP_DigestInit_ex(sha, EVP_sha1(), NULL) != 1)
		goto out;
	while (at < ix->end) {
		size_t want = ix->end - at < IDX_BUF ? (size_t)(ix->end - at) :
		    IDX_BUF;
		ssize_t n = pread(ix->fd, buf, want, (off_t)at);
		if (n <= 0 || EVP_DigestUpdate(sha, buf, (size_t)n) != 1)
			goto out;
		at += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(sha, ix->sum, &dlen) != 1 ||
	    pwrite_all(ix->fd, ix->sum, OID_RAW, ix->end) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		fail(err, errlen, "cannot rewrite the pack's trailer: %s",
		    strerror(errno));
	free(buf);
	EVP_MD_CTX_free(sha);
	return rc;
}

static int
by_id(const void *a, const void *b, void *arg)
{
	const struct pack_obj *objs = arg;

	return memcmp(objs[*(const uint32_t *)a].id,
	    objs[*(const uint32_t *)b].id, OID_RAW);
}

/* ix->sorted: every object once, by id (a duplicate keeps its first). */
static int
sort_ids(struct pack_index *ix)
{
	uint32_t k = 0;

	if ((ix->sorted = malloc(((size_t)ix->n + 1) * sizeof(uint32_t))) ==
	    NULL)
		return -1;
	for (uint32_t i = 0; i < ix->n; i++)
		ix->sorted[i] = i;
	qsort_r(ix->sorted, ix->n, sizeof(uint32_t), by_id, ix->objs);
	for (uint32_t i = 0; i < ix->n; i++)
		if (k == 0 || memcmp(ix->objs[ix->sorted[i]].id,
		    ix->objs[ix->sorted[k - 1]].id, OID_RAW) != 0)
			ix->sorted[k++] = ix->sorted[i];
	ix->nsorted = k;
	return 0;
}

static void
out_flush(struct idx_out *o)
{
	if (!o->failed && (EVP_DigestUpdate(o->sha, o->buf, o->len) != 1 ||
	    pwrite_all(o->fd, o->buf, o->len, o->at) == -1))
		o->failed = 1;
	o->at += o->len;
	o->len = 0;
}

static void
out_put(struct idx_out *o, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len > 0 && !o->failed) {
		size_t take = IDX_BUF - o->len < len ? IDX_BUF - o->len : len;
		memcpy(o->buf + o->len, c, take);
		o->len += take;
		c += take;
		len -= take;
		if (o->len == IDX_BUF)
			out_flush(o);
	}
}

static void
out_be32(struct idx_out *o, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v };

	out_put(o, b, 4);
}

static void
write_idx_body(struct pack_index *ix, struct idx_out *o)
{
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c', 0, 0, 0,
	    2 };
	uint32_t fan = 0, nlarge = 0;

	out_put(o, magic, sizeof(magic));
	for (int b = 0; b < 256; b++) {
		while (fan < ix->nsorted && ix->objs[ix->sorted[fan]].id[0] == b)
			fan++;
		out_be32(o, fan);
	}
	for (uint32_t i = 0; i < ix->nsorted; i++)
		out_put(o, ix->objs[ix->sorted[i]].id, OID_RAW);
	for (uint32_t i = 0; i < ix->nsorted; i++)
		out_be32(o, ix->objs[ix->sorted[i]].crc);
	for (uint32_t i = 0; i < ix->nsorted; i++) {
		uint64_t off = ix->objs[ix->sorted[i]].offset;
		out_be32(o, off < 0x80000000u ? (uint32_t)off :
		    0x80000000u | nlarge++);
	}
	for (uint32_t i = 0; i < ix->nsorted; i++) {
		uint64_t off = ix->objs[ix->sorted[i]].offset;
		if (off >= 0x80000000u) {
			out_be32(o, (uint32_t)(off >> 32));
			out_be32(o, (uint32_t)off);
		}
	}
	out_put(o, ix->sum, OID_RAW);
}

/* Write the .idx to a temporary file; its name back in tmp. */
static int
write_idx(struct pack_index *ix, char *tmp, size_t tmplen, char *err,
    size_t errlen)
{
	struct idx_out *o;
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int rc = -1;

	if (pathf(tmp, tmplen, "%s/tmp_idx_XXXXXX", ix->dir) == -1)
		return fail(err, errlen, "quarantine path too long");
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return fail(err, errlen, "out of memory");
	if ((o->fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		fail(err, errlen, "cannot create index file: %s", strerror(errno));
		tmp[0] = '\0';
		free(o);
		return -1;
	}
	if ((o->sha = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(o->sha, EVP_sha1(), NULL) == 1) {
		write_idx_body(ix, o);
		out_flush(o);
		if (!o->failed && EVP_DigestFinal_ex(o->sha, sum, &dlen) == 1 &&
		    pwrite_all(o->fd, sum, OID_RAW, o->at) == 0 &&
		    fsync(o->fd) == 0 && fchmod(o->fd, 0444) == 0)
			rc = 0;
	}
	if (rc == -1)
		fail(err, errlen, "cannot write index file: %s", strerror(errno));
	EVP_MD_CTX_free(o->sha);
	close(o->fd);
	free(o);
	return rc;
}

int
index_write(struct pack_index *ix, char *err, size_t errlen)
{
	char tmpidx[PATH_MAX], hex[GIT_OID_HEXSZ + 1], to[PATH_MAX];
	git_oid sum;

	if (ix->thin > 0 && rewrite_trailer(ix, err, errlen) == -1)
		return -1;
	if (sort_ids(ix) == -1)
		return fail(err, errlen, "out of memory");
	if (fsync(ix->fd) == -1 || fchmod(ix->fd, 0444) == -1)
		return fail(err, errlen, "cannot write pack: %s", strerror(errno));
	if (write_idx(ix, tmpidx, sizeof(tmpidx), err, errlen) == -1) {
		if (tmpidx[0] != '\0')
			(void)unlink(tmpidx);
		return -1;
	}
	memcpy(sum.id, ix->sum, OID_RAW);
	git_oid_tostr(hex, sizeof(hex), &sum);
	snprintf(ix->name, sizeof(ix->name), "pack-%s", hex);
	/* the .pack first: a pack is only found through its .idx */
	if (pathf(to, sizeof(to), "%s/%s.pack", ix->dir, ix->name) == -1 ||
	    rename(ix->tmp, to) == -1) {
		(void)unlink(tmpidx);
		return fail(err, errlen, "cannot name the pack: %s",
		    strerror(errno));
	}
	snprintf(ix->tmp, sizeof(ix->tmp), "%s", to);
	if (pathf(to, sizeof(to), "%s/%s.idx", ix->dir, ix->name) == -1 ||
	    rename(tmpidx, to) == -1) {
		(void)unlink(tmpidx);
		return fail(err, errlen, "cannot name the index: %s",
		    strerror(errno));
	}
	return 0;
}
