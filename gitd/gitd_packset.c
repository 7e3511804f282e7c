/*
 * gitd_packset.c - see gitd_packset.h.  The .idx files are mapped and
 * checked once (gitformat-pack "Version 2 pack-*.idx files"); entries are
 * read with pread.  Delta chains are followed down to a cached base or a
 * whole object, then applied upwards; each object made on the way goes into
 * a direct-mapped cache of PACKSET_CACHE_BYTES (like git's delta base cache).
 */
#include "gitd/gitd_packset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/path.h"

#define IDX_FANOUT (8 + 1024)
/* make test-asan sets both small, so that the tests evict all the time */
#ifndef PACKSET_CACHE_SLOTS
#define PACKSET_CACHE_SLOTS 4096
#define PACKSET_CACHE_BYTES (16u << 20)
#endif
#define MAX_CHAIN 10000
#define MAX_OBJECT ((uint64_t)INT32_MAX)
#define WINDOW (64u << 10)       /* read-ahead for small reads */
#define SMALL_READ (8u << 10)

struct base_slot {
	uint32_t p;
	uint64_t off;
	int type;
	size_t len;
	unsigned char *data;     /* NULL: empty */
};

struct step {
	uint32_t p;
	uint64_t off;
	struct pack_head h;
};

static int psfail(struct packset *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
psfail(struct packset *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof(ps->err), fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Map and check one .idx, open its .pack.  0, or -1 (skip this pack). */
static int
open_pack(struct pack_file *pf, const char *idx, const char *pack)
{
	struct stat st;
	unsigned char hdr[PACK_HDR];
	uint64_t n, need;
	int fd = open(idx, O_RDONLY | O_CLOEXEC);

	memset(pf, 0, sizeof(*pf));
	pf->fd = -1;
	if (fd == -1 || fstat(fd, &st) == -1 || st.st_size < IDX_FANOUT + 40) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	pf->maplen = (size_t)st.st_size;
	pf->map = mmap(NULL, pf->maplen, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (pf->map == MAP_FAILED) {
		pf->map = NULL;
		return -1;
	}
	if (memcmp(pf->map, "\377tOc\0\0\0\2", 8) != 0)
		return -1;
	for (int b = 1; b < 256; b++)
		if (be32(pf->map + 8 + 4 * b) < be32(pf->map + 8 + 4 * (b - 1)))
			return -1;
	n = be32(pf->map + 8 + 4 * 255);
	need = IDX_FANOUT + n * 28 + 40;
	if (need > pf->maplen || (pf->maplen - need) % 8 != 0)
		return -1;
	pf->n = (uint32_t)n;
	pf->ids = pf->map + IDX_FANOUT;
	pf->crcs = pf->ids + n * OID_RAW;
	pf->offs = pf->crcs + n * 4;
	pf->large = pf->offs + n * 4;
	pf->nlarge = (uint32_t)((pf->maplen - need) / 8);
	if ((pf->fd = open(pack, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(pf->fd, &st) == -1 || st.st_size < PACK_HDR + PACK_TRAILER ||
	    pread(pf->fd, hdr, PACK_HDR, 0) != PACK_HDR ||
	    memcmp(hdr, "PACK", 4) != 0 || be32(hdr + 8) != pf->n)
		return -1;
	pf->size = (uint64_t)st.st_size;
	return 0;
}

static void
close_pack(struct pack_file *pf)
{
	if (pf->map != NULL)
		munmap(pf->map, pf->maplen);
	if (pf->fd != -1)
		close(pf->fd);
	free(pf->byoff);
	free(pf->offsorted);
}

int
packset_open(struct packset *ps, git_repository *repo)
{
	char dir[PATH_MAX], idx[PATH_MAX], pack[PATH_MAX];
	struct dirent *de;
	DIR *d;
	z_stream *z;

	memset(ps, 0, sizeof(*ps));
	if ((ps->cache = calloc(PACKSET_CACHE_SLOTS, sizeof(*ps->cache))) == NULL ||
	    (ps->win = malloc(WINDOW)) == NULL ||
	    (ps->chain = malloc(MAX_CHAIN * sizeof(struct step))) == NULL ||
	    (z = calloc(1, sizeof(*z))) == NULL)
		return psfail(ps, "out of memory");
	ps->z = z;
	if (inflateInit(z) != Z_OK)
		return psfail(ps, "cannot start zlib");
	if (git_repository_odb(&ps->odb, repo) < 0)
		return psfail(ps, "cannot open the object database");
	if (pathf(ps->objdir, sizeof(ps->objdir), "%sobjects",
	    git_repository_path(repo)) == -1 ||
	    pathf(dir, sizeof(dir), "%s/pack", ps->objdir) == -1 ||
	    (d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : psfail(ps, "cannot read '%s': %s",
		    dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct pack_file *nv;
		if (len < 5 || strcmp(de->d_name + len - 4, ".idx") != 0 ||
		    pathf(idx, sizeof(idx), "%s/%s", dir, de->d_name) == -1 ||
		    pathf(pack, sizeof(pack), "%s/%.*s.pack", dir,
		    (int)(len - 4), de->d_name) == -1)
			continue;
		if ((nv = realloc(ps->p, (ps->n + 1) * sizeof(*nv))) == NULL) {
			closedir(d);
			return psfail(ps, "out of memory");
		}
		ps->p = nv;
		if (open_pack(&ps->p[ps->n], idx, pack) == 0) {
			ps->n++;
		} else {
			close_pack(&ps->p[ps->n]); /* libgit2 reads it instead */
			ps->skipped = 1;
		}
	}
	closedir(d);
	return 0;
}

void
packset_close(struct packset *ps)
{
	for (uint32_t i = 0; i < ps->n; i++)
		close_pack(&ps->p[i]);
	free(ps->p);
	for (size_t i = 0; ps->cache != NULL && i < PACKSET_CACHE_SLOTS; i++)
		free(ps->cache[i].data);
	free(ps->cache);
	free(ps->win);
	free(ps->chain);
	free(ps->out);
	free(ps->zbuf);
	if (ps->z != NULL) {
		(void)inflateEnd(ps->z);
		free(ps->z);
	}
	git_odb_free(ps->odb);
	memset(ps, 0, sizeof(*ps));
}

/* The offset of .idx position pos, or 0 when it is not a valid one. */
static uint64_t
offset_at(const struct pack_file *pf, uint32_t pos)
{
	uint32_t v = be32(pf->offs + 4 * (size_t)pos);
	uint64_t off = v;

	if (v & 0x80000000u) {
		v &= 0x7fffffffu;
		if (v >= pf->nlarge)
			return 0;
		off = (uint64_t)be32(pf->large + 8 * (size_t)v) << 32 |
		    be32(pf->large + 8 * (size_t)v + 4);
	}
	return off >= PACK_HDR && off < pf->size - PACK_TRAILER ? off : 0;
}

int
packset_find(const struct packset *ps, const unsigned char *id,
    uint32_t *pack, uint64_t *offset, uint32_t *pos)
{
	for (uint32_t i = 0; i < ps->n; i++) {
		const struct pack_file *pf = &ps->p[i];
		uint32_t lo = id[0] ? be32(pf->map + 8 + 4 * (id[0] - 1)) : 0;
		uint32_t hi = be32(pf->map + 8 + 4 * id[0]);
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			int c = memcmp(pf->ids + (size_t)mid * OID_RAW, id, OID_RAW);
			if (c == 0) {
				if ((*offset = offset_at(pf, mid)) == 0)
					break;
				*pack = i;
				*pos = mid;
				return 1;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return 0;
}

static int
by_offset(const void *a, const void *b, void *arg)
{
	uint64_t x = offset_at(arg, *(const uint32_t *)a);
	uint64_t y = offset_at(arg, *(const uint32_t *)b);

	return x < y ? -1 : x > y;
}

int
packset_entry_end(struct packset *ps, uint32_t p, uint64_t offset,
    uint64_t *end, uint32_t *pos)
{
	struct pack_file *pf = &ps->p[p];
	uint32_t lo = 0, hi = pf->n;

	if (pf->byoff == NULL) {
		if ((pf->byoff = malloc(((size_t)pf->n + 1) * sizeof(uint32_t))) ==
		    NULL || (pf->offsorted = malloc(((size_t)pf->n + 1) *
		    sizeof(uint64_t))) == NULL)
			return psfail(ps, "out of memory");
		for (uint32_t i = 0; i < pf->n; i++)
			pf->byoff[i] = i;
		qsort_r(pf->byoff, pf->n, sizeof(uint32_t), by_offset, pf);
		for (uint32_t i = 0; i < pf->n; i++)
			pf->offsorted[i] = offset_at(pf, pf->byoff[i]);
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (pf->offsorted[mid] < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == pf->n || pf->offsorted[lo] != offset)
		return psfail(ps, "no entry at offset %llu of a pack",
		    (unsigned long long)offset);
	*pos = pf->byoff[lo];
	*end = lo + 1 < pf->n ? pf->offsorted[lo + 1] :
	    pf->size - PACK_TRAILER;
	if (*end <= offset)
		return psfail(ps, "bad entry at offset %llu of a pack",
		    (unsigned long long)offset);
	return 0;
}

uint32_t
packset_crc(const struct packset *ps, uint32_t p, uint32_t pos)
{
	return be32(ps->p[p].crcs + 4 * (size_t)pos);
}

const unsigned char *
packset_id(const struct packset *ps, uint32_t p, uint32_t pos)
{
	return ps->p[p].ids + (size_t)pos * OID_RAW;
}

static int
pread_all(int fd, unsigned char *b, size_t len, uint64_t offset)
{
	while (len > 0) {
		ssize_t n = pread(fd, b, len, (off_t)offset);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int
packset_pread(struct packset *ps, uint32_t p, uint64_t offset, void *buf,
    size_t len)
{
	const struct pack_file *pf = &ps->p[p];

	if (offset > pf->size || len > pf->size - offset)
		return -1;
	if (ps->wlen > 0 && ps->wp == p && offset >= ps->woff &&
	    offset + len <= ps->woff + ps->wlen) {
		memcpy(buf, ps->win + (offset - ps->woff), len);
		return 0;
	}
	if (len > SMALL_READ)
		return pread_all(pf->fd, buf, len, offset);
	ps->wp = p;
	ps->woff = offset;
	ps->wlen = pf->size - offset < WINDOW ? pf->size - offset : WINDOW;
	if (pread_all(pf->fd, ps->win, (size_t)ps->wlen, offset) == -1) {
		ps->wlen = 0;
		return -1;
	}
	memcpy(buf, ps->win, len);
	return 0;
}

static size_t
slot_of(uint32_t p, uint64_t off)
{
	uint64_t h = (off ^ ((uint64_t)p << 40)) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 52) & (PACKSET_CACHE_SLOTS - 1);
}

static struct base_slot *
cache_get(struct packset *ps, uint32_t p, uint64_t off)
{
	struct base_slot *s = &ps->cache[slot_of(p, off)];

	return s->data != NULL && s->p == p && s->off == off ? s : NULL;
}

static void
slot_free(struct packset *ps, struct base_slot *s)
{
	if (s->data != NULL) {
		ps->held -= s->len;
		free(s->data);
		s->data = NULL;
	}
}

/* Keep data (malloc'd) as the object at (p, off): the cache takes it, or
 * it becomes ps->out when too big to cache.  Returns where it now is. */
static const unsigned char *
keep(struct packset *ps, uint32_t p, uint64_t off, int type,
    unsigned char *data, size_t len)
{
	struct base_slot *s;
	size_t k = slot_of(p, off);

	if (len > PACKSET_CACHE_BYTES / 4) {
		free(ps->out);
		ps->out = data;
		return data;
	}
	s = &ps->cache[k];
	slot_free(ps, s);
	*s = (struct base_slot){ .p = p, .off = off, .type = type, .len = len,
	    .data = data };
	ps->held += len;
	while (ps->held > PACKSET_CACHE_BYTES) {
		ps->hand = (ps->hand + 1) & (PACKSET_CACHE_SLOTS - 1);
		if (ps->hand != k)
			slot_free(ps, &ps->cache[ps->hand]);
	}
	return data;
}

/* Inflate the data of an entry (header h at off) into a new buffer. */
static unsigned char *
inflate_entry(struct packset *ps, uint32_t p, uint64_t off,
    const struct pack_head *h)
{
	uint64_t end;
	uint32_t pos;
	size_t zlen;
	unsigned char *out;
	z_stream *z = ps->z;

	if (h->size > MAX_OBJECT ||
	    packset_entry_end(ps, p, off, &end, &pos) == -1 ||
	    end - off < h->len)
		return psfail(ps, "bad pack entry at %llu",
		    (unsigned long long)off), NULL;
	zlen = (size_t)(end - off - h->len);
	if (zlen > ps->zcap) {
		unsigned char *nb = realloc(ps->zbuf, zlen);
		if (nb == NULL)
			return psfail(ps, "out of memory"), NULL;
		ps->zbuf = nb;
		ps->zcap = zlen;
	}
	if (packset_pread(ps, p, off + h->len, ps->zbuf, zlen) == -1)
		return psfail(ps, "cannot read a pack: %s", strerror(errno)),
		    NULL;
	if ((out = malloc(h->size ? h->size : 1)) == NULL)
		return psfail(ps, "out of memory"), NULL;
	z->next_in = ps->zbuf;
	z->avail_in = (uInt)zlen;
	z->next_out = out;
	z->avail_out = (uInt)h->size;
	if (inflateReset(z) != Z_OK || inflate(z, Z_FINISH) != Z_STREAM_END ||
	    z->total_out != h->size) {
		free(out);
		return psfail(ps, "corrupt pack entry at %llu",
		    (unsigned long long)off), NULL;
	}
	return out;
}

static int
read_head(struct packset *ps, uint32_t p, uint64_t off, struct pack_head *h)
{
	unsigned char buf[PACK_HEAD_MAX];
	size_t len = sizeof(buf);
	const char *why = "?";

	if (ps->p[p].size - off < len)
		len = (size_t)(ps->p[p].size - off);
	if (packset_pread(ps, p, off, buf, len) == -1 ||
	    packfmt_head(buf, len, h, &why) != 1)
		return psfail(ps, "bad pack entry at %llu: %s",
		    (unsigned long long)off, why);
	return 0;
}

/* The chain from (p, off) down to a cached or whole object: chain[0] is
 * the object asked for.  Returns the base's bytes (cached or kept). */
static const unsigned char *
chain_down(struct packset *ps, struct step *chain, size_t *depth, int *type,
    size_t *len)
{
	struct step cur = chain[0];
	struct base_slot *s;
	unsigned char *data;
	uint32_t pos;

	*depth = 0;
	for (;;) {
		if ((s = cache_get(ps, cur.p, cur.off)) != NULL) {
			*type = s->type;
			*len = s->len;
			return s->data;
		}
		if (read_head(ps, cur.p, cur.off, &cur.h) == -1)
			return NULL;
		if (cur.h.kind != PACK_OFS_DELTA && cur.h.kind != PACK_REF_DELTA)
			break;
		if (*depth == MAX_CHAIN)
			return psfail(ps, "delta chain too long"), NULL;
		chain[(*depth)++] = cur;
		if (cur.h.kind == PACK_OFS_DELTA) {
			if (cur.h.ofs == 0 || cur.h.ofs > cur.off - PACK_HDR)
				return psfail(ps, "bad delta base"), NULL;
			cur.off -= cur.h.ofs;
		} else if (!packset_find(ps, cur.h.ref, &cur.p, &cur.off, &pos)) {
			return psfail(ps, "delta base not in a pack"), NULL;
		}
	}
	if ((data = inflate_entry(ps, cur.p, cur.off, &cur.h)) == NULL)
		return NULL;
	*type = cur.h.kind;
	*len = (size_t)cur.h.size;
	return keep(ps, cur.p, cur.off, *type, data, *len);
}

static int
read_at(struct packset *ps, uint32_t p, uint64_t off, int *type,
    const unsigned char **data, size_t *len)
{
	struct step *chain = ps->chain;
	const unsigned char *base;
	size_t depth, blen;

	chain[0] = (struct step){ .p = p, .off = off };
	if ((base = chain_down(ps, chain, &depth, type, &blen)) == NULL)
		return -1;
	while (depth > 0) {
		struct step *st = &chain[--depth];
		uint64_t bsize, rsize;
		size_t used;
		unsigned char *delta = inflate_entry(ps, st->p, st->off, &st->h);
		unsigned char *res = NULL;
		const char *why = "?";
		if (delta == NULL)
			return -1;
		if (packfmt_delta_sizes(delta, (size_t)st->h.size, &bsize,
		    &rsize, &used) != 1 || rsize > MAX_OBJECT ||
		    (res = malloc(rsize ? rsize : 1)) == NULL ||
		    packfmt_delta_apply(base, blen, delta, (size_t)st->h.size,
		    res, (size_t)rsize, &why) == -1) {
			free(delta);
			free(res);
			return psfail(ps, "bad delta at %llu: %s",
			    (unsigned long long)st->off, why);
		}
		free(delta);
		blen = (size_t)rsize;
		base = keep(ps, st->p, st->off, *type, res, blen);
	}
	*data = base;
	*len = blen;
	return 0;
}

int
packset_has(const struct packset *ps, const unsigned char *id)
{
	char path[PATH_MAX], hex[GIT_OID_HEXSZ + 1];
	uint32_t p, pos;
	uint64_t off;
	git_oid oid;

	if (packset_find(ps, id, &p, &off, &pos))
		return 1;
	memcpy(oid.id, id, OID_RAW);
	git_oid_tostr(hex, sizeof(hex), &oid);
	if (ps->skipped)
		return git_odb_exists(ps->odb, &oid);
	return pathf(path, sizeof(path), "%s/%.2s/%s", ps->objdir, hex,
	    hex + 2) == 0 && access(path, F_OK) == 0;
}

int
packset_type(struct packset *ps, const unsigned char *id, int *type)
{
	struct pack_head h;
	size_t size;
	uint32_t p, pos;
	uint64_t off;
	git_object_t t;
	git_oid oid;

	if (!packset_find(ps, id, &p, &off, &pos)) {
		if (!packset_has(ps, id))
			return 0;
		memcpy(oid.id, id, OID_RAW);
		if (git_odb_read_header(&size, &t, ps->odb, &oid) < 0)
			return psfail(ps, "cannot read %s", git_oid_tostr_s(&oid));
		*type = (int)t;
		return 1;
	}
	for (int depth = 0; depth < MAX_CHAIN; depth++) {
		if (read_head(ps, p, off, &h) == -1)
			return -1;
		if (h.kind == PACK_OFS_DELTA) {
			if (h.ofs == 0 || h.ofs > off - PACK_HDR)
				return psfail(ps, "bad delta base");
			off -= h.ofs;
		} else if (h.kind == PACK_REF_DELTA) {
			if (!packset_find(ps, h.ref, &p, &off, &pos))
				return psfail(ps, "delta base not in a pack");
		} else {
			*type = h.kind;
			return 1;
		}
	}
	return psfail(ps, "delta chain too long");
}

int
packset_read(struct packset *ps, const unsigned char *id, int *type,
    const unsigned char **data, size_t *len)
{
	git_odb_object *obj;
	uint32_t p, pos;
	uint64_t off;
	git_oid oid;

	if (packset_find(ps, id, &p, &off, &pos))
		return read_at(ps, p, off, type, data, len);
	memcpy(oid.id, id, OID_RAW);
	if (git_odb_read(&obj, ps->odb, &oid) < 0)
		return psfail(ps, "cannot read %s: %s", git_oid_tostr_s(&oid),
		    git_error_last() ? git_error_last()->message : "?");
	*len = git_odb_object_size(obj);
	free(ps->out);
	if ((ps->out = malloc(*len ? *len : 1)) == NULL) {
		git_odb_object_free(obj);
		return psfail(ps, "out of memory");
	}
	memcpy(ps->out, git_odb_object_data(obj), *len);
	*type = (int)git_odb_object_type(obj);
	*data = ps->out;
	git_odb_object_free(obj);
	return 0;
}
