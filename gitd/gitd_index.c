/*
 * gitd_index.c - the streaming phase of berth's indexer (gitd_index.h): a
 * state machine over the pack's bytes as they arrive, in chunks of any size.
 *   HEAD     an entry's header (type, size, delta base), gathered in hbuf
 *   DATA     its zlib stream: inflated to count and hash, never kept
 *   TRAILER  the 20-byte SHA-1 of everything before it
 * Each chunk is written to the quarantine file as it is taken.  A whole
 * object's id is its SHA-1 over "TYPE SIZE\0" and the inflated bytes; a
 * delta only yields its two sizes here, and its id in gitd_resolve.c.
 */
#include "gitd/gitd_index.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/path.h"

#define INFLATE_BUF 65536
#define DELTA_HDR_MAX 20

enum ix_state { IX_HEAD, IX_DATA, IX_TRAILER, IX_DONE };

struct ix_stream {
	enum ix_state st;
	unsigned char hbuf[PACK_HEAD_MAX];
	size_t hlen;
	struct pack_head head;
	z_stream z;
	int zinit;
	uint64_t out;                 /* inflated bytes of this entry */
	unsigned char dhdr[DELTA_HDR_MAX];
	size_t dhlen;
	int dsizes;                   /* the delta's sizes are known */
	EVP_MD_CTX *pack_sha, *obj_sha;
	unsigned char trailer[PACK_TRAILER];
	size_t tlen;
	unsigned char obuf[INFLATE_BUF];
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t feed_head(struct pack_index *, const unsigned char *, size_t,
    char *, size_t);
static size_t feed_data(struct pack_index *, const unsigned char *, size_t,
    char *, size_t);
static size_t feed_trailer(struct pack_index *, const unsigned char *, size_t,
    char *, size_t);
static int write_all(int fd, const unsigned char *p, size_t len);

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
pindex_new(struct pack_index **out, const char *dir, const unsigned char *hdr,
    uint32_t count, const struct pack_limits *lim, char *err, size_t errlen)
{
	struct pack_index *ix;
	struct ix_stream *s;

	*out = NULL;
	if ((ix = calloc(1, sizeof(*ix))) == NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		free(ix);
		return fail(err, errlen, "out of memory");
	}
	ix->stream = s;
	ix->fd = -1;
	ix->lim = *lim;
	ix->count = count;
	oidset_init(&ix->links);
	*out = ix;
	if (pathf(ix->dir, sizeof(ix->dir), "%s", dir) == -1 ||
	    pathf(ix->tmp, sizeof(ix->tmp), "%s/tmp_pack_XXXXXX", dir) == -1)
		return fail(err, errlen, "quarantine path too long");
	if ((ix->fd = mkostemp(ix->tmp, O_CLOEXEC)) == -1) {
		ix->tmp[0] = '\0';
		return fail(err, errlen, "cannot create pack file: %s",
		    strerror(errno));
	}
	if ((s->pack_sha = EVP_MD_CTX_new()) == NULL ||
	    (s->obj_sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->pack_sha, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(s->pack_sha, hdr, PACK_HDR) != 1)
		return fail(err, errlen, "cannot start SHA-1");
	if (inflateInit(&s->z) != Z_OK)
		return fail(err, errlen, "cannot start zlib");
	s->zinit = 1;
	if (write_all(ix->fd, hdr, PACK_HDR) == -1)
		return fail(err, errlen, "cannot write pack: %s",
		    strerror(errno));
	ix->pos = PACK_HDR;
	return 0;
}

ssize_t
pindex_feed(struct pack_index *ix, const unsigned char *p, size_t len,
    char *err, size_t errlen)
{
	struct ix_stream *s = ix->stream;
	size_t used = 0, n = 0;

	while (used < len && s->st != IX_DONE) {
		switch (s->st) {
		case IX_HEAD:
			n = feed_head(ix, p + used, len - used, err, errlen);
			break;
		case IX_DATA:
			n = feed_data(ix, p + used, len - used, err, errlen);
			break;
		case IX_TRAILER:
			n = feed_trailer(ix, p + used, len - used, err, errlen);
			break;
		case IX_DONE:
			break;
		}
		if (n == (size_t)-1)
			return -1;
		used += n;
	}
	if (write_all(ix->fd, p, used) == -1)
		return fail(err, errlen, "cannot write pack: %s",
		    strerror(errno));
	return (ssize_t)used;
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Find the entry that starts at offset (entries are in offset order). */
static int
entry_at(const struct pack_index *ix, uint64_t offset, uint32_t *out)
{
	uint32_t lo = 0, hi = ix->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ix->objs[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ix->n || ix->objs[lo].offset != offset)
		return -1;
	*out = lo;
	return 0;
}

int
index_grow(struct pack_index *ix)
{
	if (ix->n == ix->cap) {
		uint32_t ncap = ix->cap ? ix->cap * 2 : 1024;
		struct pack_obj *nv;
		if (!ix->complete && ncap > ix->count)
			ncap = ix->count; /* never past what is declared */
		if (ncap <= ix->n)
			return -1;
		if ((nv = realloc(ix->objs, ncap * sizeof(*nv))) == NULL)
			return -1;
		ix->objs = nv;
		ix->cap = ncap;
	}
	if (ix->nrefs == ix->refcap) {
		uint32_t ncap = ix->refcap ? ix->refcap * 2 : 64;
		void *nv = realloc(ix->refs, (size_t)ncap * OID_RAW);
		if (nv == NULL)
			return -1;
		ix->refs = nv;
		ix->refcap = ncap;
	}
	return 0;
}

static int
add_inflated(struct pack_index *ix, uint64_t size, char *err, size_t errlen)
{
	ix->inflated += size;
	if (ix->inflated > ix->lim.max_inflated)
		return fail(err, errlen, "push refused: its objects inflate to"
		    " more than max_push_inflated (%llu bytes)",
		    (unsigned long long)ix->lim.max_inflated);
	return 0;
}

/* A new entry at ix->pos - h->len: record it, check its size, start its
 * zlib stream and (for a whole object) its id's SHA-1. */
static int
start_entry(struct pack_index *ix, const struct pack_head *h, char *err,
    size_t errlen)
{
	struct ix_stream *s = ix->stream;
	struct pack_obj *o;
	char prefix[32];
	uint64_t at = ix->pos - h->len;

	if (index_grow(ix) == -1)
		return fail(err, errlen, "out of memory");
	o = &ix->objs[ix->n];
	memset(o, 0, sizeof(*o));
	o->offset = at;
	o->kind = (uint8_t)h->kind;
	o->dsize = o->size = h->size;
	o->hlen = (uint8_t)h->len;
	o->crc = (uint32_t)crc32(0, s->hbuf, (uInt)h->len);
	if (h->size > ix->lim.max_object)
		return fail(err, errlen, "push refused: an object of %llu bytes"
		    " (at offset %llu) is larger than max_object_size (%llu"
		    " bytes)", (unsigned long long)h->size,
		    (unsigned long long)at,
		    (unsigned long long)ix->lim.max_object);
	if (h->kind == PACK_OFS_DELTA) {
		if (h->ofs == 0 || h->ofs > at - PACK_HDR ||
		    entry_at(ix, at - h->ofs, &o->base) == -1)
			return fail(err, errlen, "bad pack: delta at offset %llu"
			    " names no object as its base",
			    (unsigned long long)at);
	} else if (h->kind == PACK_REF_DELTA) {
		memcpy(ix->refs[ix->nrefs], h->ref, OID_RAW);
		o->base = ix->nrefs++;
	} else {
		o->type = o->kind;
		if (add_inflated(ix, h->size, err, errlen) == -1 ||
		    EVP_DigestInit_ex(s->obj_sha, EVP_sha1(), NULL) != 1 ||
		    EVP_DigestUpdate(s->obj_sha, prefix,
		    packfmt_obj_prefix(prefix, h->kind, h->size)) != 1)
			return -1;
	}
	if (inflateReset(&s->z) != Z_OK)
		return fail(err, errlen, "zlib reset failed");
	s->head = *h;
	s->out = 0;
	s->dhlen = 0;
	s->dsizes = 0;
	s->st = IX_DATA;
	return 0;
}

static size_t
feed_head(struct pack_index *ix, const unsigned char *p, size_t len,
    char *err, size_t errlen)
{
	struct ix_stream *s = ix->stream;
	size_t take = sizeof(s->hbuf) - s->hlen, old = s->hlen;
	struct pack_head h;
	const char *why = "?";
	int r;

	if (take > len)
		take = len;
	memcpy(s->hbuf + s->hlen, p, take);
	r = packfmt_head(s->hbuf, s->hlen + take, &h, &why);
	if (r == -1)
		return (size_t)fail(err, errlen, "bad pack: %s at offset %llu",
		    why, (unsigned long long)(ix->pos - old));
	if (r == 0) {
		s->hlen += take;
		ix->pos += take;
		if (EVP_DigestUpdate(s->pack_sha, p, take) != 1)
			return (size_t)fail(err, errlen, "SHA-1 failed");
		return take;
	}
	take = h.len - old;
	s->hlen = 0;
	ix->pos += take;
	if (EVP_DigestUpdate(s->pack_sha, p, take) != 1 ||
	    start_entry(ix, &h, err, errlen) == -1)
		return (size_t)-1;
	return take;
}

/* Look at inflated bytes: hash a whole object, read a delta's sizes. */
static int
take_output(struct pack_index *ix, const unsigned char *p, size_t n,
    char *err, size_t errlen)
{
	struct ix_stream *s = ix->stream;
	struct pack_obj *o = &ix->objs[ix->n];
	uint64_t bsize, rsize;
	size_t used, take;
	int r;

	s->out += n;
	if (s->out > o->dsize)
		return fail(err, errlen, "bad pack: object at offset %llu"
		    " inflates past its size", (unsigned long long)o->offset);
	if (o->type != 0)
		return EVP_DigestUpdate(s->obj_sha, p, n) == 1 ? 0 :
		    fail(err, errlen, "SHA-1 failed");
	if (s->dsizes)
		return 0;
	take = DELTA_HDR_MAX - s->dhlen < n ? DELTA_HDR_MAX - s->dhlen : n;
	memcpy(s->dhdr + s->dhlen, p, take);
	s->dhlen += take;
	r = packfmt_delta_sizes(s->dhdr, s->dhlen, &bsize, &rsize, &used);
	if (r == -1 || (r == 0 && s->dhlen == DELTA_HDR_MAX))
		return fail(err, errlen, "bad pack: malformed delta at offset"
		    " %llu", (unsigned long long)o->offset);
	if (r == 0)
		return 0;
	s->dsizes = 1;
	o->size = rsize;
	if (rsize > ix->lim.max_object)
		return fail(err, errlen, "push refused: a delta (at offset %llu)"
		    " makes an object of %llu bytes, larger than"
		    " max_object_size (%llu bytes)",
		    (unsigned long long)o->offset, (unsigned long long)rsize,
		    (unsigned long long)ix->lim.max_object);
	return add_inflated(ix, rsize, err, errlen);
}

static int
end_entry(struct pack_index *ix, char *err, size_t errlen)
{
	struct ix_stream *s = ix->stream;
	struct pack_obj *o = &ix->objs[ix->n];
	unsigned int dlen = 0;

	if (s->out != o->dsize || (o->type == 0 && !s->dsizes))
		return fail(err, errlen, "bad pack: object at offset %llu is"
		    " shorter than its size", (unsigned long long)o->offset);
	if (o->type != 0) {
		if (EVP_DigestFinal_ex(s->obj_sha, o->id, &dlen) != 1 ||
		    dlen != OID_RAW)
			return fail(err, errlen, "SHA-1 failed");
		o->done = 1;
	}
	ix->n++;
	s->st = ix->n == ix->count ? IX_TRAILER : IX_HEAD;
	if (s->st == IX_TRAILER)
		ix->end = ix->pos;
	return 0;
}

static size_t
feed_data(struct pack_index *ix, const unsigned char *p, size_t len,
    char *err, size_t errlen)
{
	struct ix_stream *s = ix->stream;
	size_t used;
	int r;

	s->z.next_in = (unsigned char *)p;
	s->z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	do {
		s->z.next_out = s->obuf;
		s->z.avail_out = sizeof(s->obuf);
		r = inflate(&s->z, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			return (size_t)fail(err, errlen, "bad pack: object at"
			    " offset %llu: zlib: %s", (unsigned long long)
			    ix->objs[ix->n].offset, s->z.msg ? s->z.msg : "?");
		if (take_output(ix, s->obuf, sizeof(s->obuf) - s->z.avail_out,
		    err, errlen) == -1)
			return (size_t)-1;
	} while (r != Z_STREAM_END && (s->z.avail_out == 0 ||
	    (s->z.avail_in > 0 && r != Z_BUF_ERROR)));
	used = (size_t)(s->z.next_in - p);
	ix->objs[ix->n].crc = (uint32_t)crc32(ix->objs[ix->n].crc, p,
	    (uInt)used);
	ix->pos += used;
	if (EVP_DigestUpdate(s->pack_sha, p, used) != 1)
		return (size_t)fail(err, errlen, "SHA-1 failed");
	if (r == Z_STREAM_END && end_entry(ix, err, errlen) == -1)
		return (size_t)-1;
	if (r == Z_BUF_ERROR && s->z.avail_in > 0)
		return (size_t)fail(err, errlen, "bad pack: zlib stalled");
	return used;
}

static size_t
feed_trailer(struct pack_index *ix, const unsigned char *p, size_t len,
    char *err, size_t errlen)
{
	struct ix_stream *s = ix->stream;
	size_t take = PACK_TRAILER - s->tlen < len ? PACK_TRAILER - s->tlen : len;
	unsigned int dlen = 0;

	memcpy(s->trailer + s->tlen, p, take);
	s->tlen += take;
	ix->pos += take;
	if (s->tlen < PACK_TRAILER)
		return take;
	if (EVP_DigestFinal_ex(s->pack_sha, ix->sum, &dlen) != 1 ||
	    dlen != OID_RAW || memcmp(ix->sum, s->trailer, OID_RAW) != 0)
		return (size_t)fail(err, errlen, "bad pack: checksum mismatch");
	s->st = IX_DONE;
	ix->complete = 1;
	return take;
}

int
pindex_finish(struct pack_index *ix, struct packset *repo, char *err,
    size_t errlen)
{
	char hex[GIT_OID_HEXSZ + 1];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t before;
	git_oid id;
	int r;

	if (!ix->complete)
		return fail(err, errlen, "pack truncated");
	ix->threads = cpus < 1 ? 1 : (int)cpus;
	if (resolve_deltas(ix, 0, err, errlen) == -1)
		return -1;
	for (;;) {
		before = ix->n;
		if ((r = index_fix_thin(ix, repo, err, errlen)) == -1)
			return -1;
		if (r == 0)
			break;
		if (resolve_deltas(ix, before, err, errlen) == -1)
			return -1;
	}
	for (uint32_t i = 0; i < ix->n; i++)
		if (!ix->objs[i].done) {
			if (ix->objs[i].kind == PACK_REF_DELTA) {
				memcpy(id.id, ix->refs[ix->objs[i].base], OID_RAW);
				git_oid_tostr(hex, sizeof(hex), &id);
			} else {
				snprintf(hex, sizeof(hex), "at offset %llu",
				    (unsigned long long)ix->objs[i].offset);
			}
			return fail(err, errlen, "bad pack: a delta's base is"
			    " missing (%s)", hex);
		}
	return index_write(ix, err, errlen);
}

const struct pack_obj *
pindex_lookup(const struct pack_index *ix, const unsigned char *id)
{
	uint32_t lo = 0, hi = ix->nsorted;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(ix->objs[ix->sorted[mid]].id, id, OID_RAW);
		if (c == 0)
			return &ix->objs[ix->sorted[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
pindex_free(struct pack_index *ix)
{
	struct ix_stream *s;

	if (ix == NULL)
		return;
	s = ix->stream;
	if (ix->fd != -1)
		close(ix->fd);
	if (ix->name[0] == '\0' && ix->tmp[0] != '\0')
		(void)unlink(ix->tmp);
	if (s != NULL) {
		if (s->zinit)
			(void)inflateEnd(&s->z);
		EVP_MD_CTX_free(s->pack_sha);
		EVP_MD_CTX_free(s->obj_sha);
		free(s);
	}
	oidset_free(&ix->links);
	free(ix->objs);
	free(ix->refs);
	free(ix->sorted);
	free(ix);
}
