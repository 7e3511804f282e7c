/*
 * gitd_resolve.c - delta resolution for berth's indexer (gitd_index.h), the
 * second phase of git's index-pack: every whole object is the root of a
 * tree of deltas (OFS_DELTA children by offset, REF_DELTA children by id);
 * each root's tree is walked depth first, applying each delta to its base
 * and hashing the result, on as many threads as there are cores (a thread
 * takes the next root when it is done with one).
 *
 * Memory: a walk holds the data of the objects on its path that still have
 * children to do; the data of the last child's parent is freed before the
 * child is made, so a chain holds one object at a time.  When a thread holds
 * more than RESOLVE_CACHE bytes, the oldest are dropped and made again from
 * the nearest one still held if they are needed.  Every size was checked
 * against max_object_size while the pack streamed in.
 *
 * Every commit, tree and tag made here has its links recorded (one set per
 * thread, merged into ix->links at the end), for the connectivity check.
 */
#include "core/grow.h"
#include "gitd/gitd_index.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gitd/gitd_objrefs.h"

#define RESOLVE_CACHE (32u << 20) /* bytes of bases a thread keeps */
#define MAX_THREADS 4

struct refkid {
	unsigned char id[OID_RAW]; /* the base */
	uint32_t kid;              /* the REF_DELTA entry */
};

struct frame {
	uint32_t obj;
	unsigned char *data;       /* NULL when dropped */
	uint32_t ofs_next, ofs_end; /* OFS children still to do */
	uint32_t ref_next, ref_end; /* REF children still to do */
};

struct resolver {
	struct pack_index *ix;
	uint32_t *cstart, *clist;  /* OFS children of each entry */
	struct refkid *rmap;       /* REF children, sorted by base id */
	uint32_t nrmap;
	uint32_t *roots, nroots;
	uint32_t next;             /* next root (atomic) */
	int stop;                  /* a thread failed (atomic) */
};

struct worker {
	struct resolver *r;
	pthread_t tid;
	z_stream z;
	int zinit;
	EVP_MD_CTX *sha;
	unsigned char *zbuf;
	size_t zcap;
	struct frame *stack;
	size_t depth, cap, held;
	struct oidset links;
	char err[256];
};

static int werr(struct worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int build_children(struct resolver *r, uint32_t first);
static int fill_children(struct resolver *r);
static void *worker_main(void *arg);
static int merge_links(struct pack_index *ix, struct worker *w, char *err,
    size_t errlen);

int
resolve_deltas(struct pack_index *ix, uint32_t first, char *err,
    size_t errlen)
{
	struct resolver r = { .ix = ix };
	struct worker w[MAX_THREADS];
	int nt = ix->threads < 1 ? 1 : ix->threads > MAX_THREADS ?
	    MAX_THREADS : ix->threads, started = 1, rc = 0;

	memset(w, 0, sizeof(w));
	if (build_children(&r, first) == -1) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	if (r.nroots < 64)
		nt = 1;
	for (int t = 0; t < nt; t++) {
		w[t].r = &r;
		oidset_init(&w[t].links);
	}
	for (; started < nt; started++)
		if (pthread_create(&w[started].tid, NULL, worker_main,
		    &w[started]) != 0)
			break;
	(void)worker_main(&w[0]);
	for (int t = 1; t < started; t++)
		(void)pthread_join(w[t].tid, NULL);
	for (int t = 0; t < nt && rc == 0; t++)
		if (w[t].err[0] != '\0') {
			snprintf(err, errlen, "%s", w[t].err);
			rc = -1;
		}
	if (rc == 0 && ix->links.n == 0) { /* the first round: take over */
		oidset_free(&ix->links);
		ix->links = w[0].links;
		oidset_init(&w[0].links);
	}
	for (int t = 0; t < nt && rc == 0; t++) {
		rc = merge_links(ix, &w[t], err, errlen);
		oidset_free(&w[t].links);
	}
out:
	for (int t = 0; t < nt; t++)
		oidset_free(&w[t].links);
	free(r.cstart);
	free(r.clist);
	free(r.rmap);
	free(r.roots);
	return rc;
}

static int
refkid_cmp(const void *a, const void *b)
{
	return memcmp(((const struct refkid *)a)->id,
	    ((const struct refkid *)b)->id, OID_RAW);
}

/* OFS children in CSR form, REF children sorted by base, and the roots:
 * whole objects from entry first on. */
static int
build_children(struct resolver *r, uint32_t first)
{
	struct pack_index *ix = r->ix;
	uint32_t n = ix->n, nofs = 0;

	if ((r->cstart = calloc((size_t)n + 1, sizeof(uint32_t))) == NULL ||
	    (r->roots = malloc(((size_t)n - first + 1) * sizeof(uint32_t))) ==
	    NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const struct pack_obj *o = &ix->objs[i];
		if (o->kind == PACK_OFS_DELTA && !o->done) {
			r->cstart[o->base + 1]++;
			nofs++;
		} else if (o->kind == PACK_REF_DELTA && !o->done) {
			r->nrmap++;
		} else if (i >= first && o->kind != PACK_OFS_DELTA &&
		    o->kind != PACK_REF_DELTA) {
			r->roots[r->nroots++] = i;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		r->cstart[i + 1] += r->cstart[i];
	if ((r->clist = malloc(((size_t)nofs + 1) * sizeof(uint32_t))) == NULL ||
	    (r->rmap = malloc(((size_t)r->nrmap + 1) * sizeof(*r->rmap))) ==
	    NULL)
		return -1;
	return fill_children(r);
}

/* Second pass of build_children: the lists themselves. */
static int
fill_children(struct resolver *r)
{
	struct pack_index *ix = r->ix;
	uint32_t *fill = calloc((size_t)ix->n + 1, sizeof(uint32_t)), k = 0;

	if (fill == NULL)
		return -1;
	for (uint32_t i = 0; i < ix->n; i++) {
		const struct pack_obj *o = &ix->objs[i];
		if (o->done)
			continue;
		if (o->kind == PACK_OFS_DELTA) {
			r->clist[r->cstart[o->base] + fill[o->base]++] = i;
		} else if (o->kind == PACK_REF_DELTA) {
			memcpy(r->rmap[k].id, ix->refs[o->base], OID_RAW);
			r->rmap[k++].kid = i;
		}
	}
	free(fill);
	qsort(r->rmap, r->nrmap, sizeof(*r->rmap), refkid_cmp);
	return 0;
}

unsigned char *
index_read_entry(const struct pack_index *ix, uint32_t i, void *zp,
    unsigned char **zbuf, size_t *zcap, const char **why)
{
	const struct pack_obj *o = &ix->objs[i];
	uint64_t start = o->offset + o->hlen;
	uint64_t stop = i + 1 < ix->n ? ix->objs[i + 1].offset : ix->end;
	size_t zlen = (size_t)(stop - start), got = 0;
	z_stream *z = zp;
	unsigned char *out;
	int r;

	if (zlen > *zcap) {
		unsigned char *nb = realloc(*zbuf, zlen);
		if (nb == NULL) {
			*why = "out of memory";
			return NULL;
		}
		*zbuf = nb;
		*zcap = zlen;
	}
	while (got < zlen) {
		ssize_t n = pread(ix->fd, *zbuf + got, zlen - got,
		    (off_t)(start + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why = "cannot read the pack file back";
			return NULL;
		}
		got += (size_t)n;
	}
	if ((out = malloc(o->dsize ? o->dsize : 1)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (inflateReset(z) != Z_OK) {
		free(out);
		*why = "zlib reset failed";
		return NULL;
	}
	z->next_in = *zbuf;
	z->avail_in = (uInt)zlen;
	z->next_out = out;
	z->avail_out = (uInt)o->dsize;
	r = inflate(z, Z_FINISH);
	if (r != Z_STREAM_END || z->total_out != o->dsize) {
		free(out);
		*why = "object does not inflate to its size";
		return NULL;
	}
	return out;
}

static int
werr(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	__atomic_store_n(&w->r->stop, 1, __ATOMIC_RELAXED);
	return -1;
}

static void
hexid(const unsigned char *id, char *hex)
{
	git_oid oid;

	memcpy(oid.id, id, OID_RAW);
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &oid);
}

static int
link_cb(void *ctx, const unsigned char *id, int type)
{
	struct worker *w = ctx;
	uint32_t *slot;
	int r = oidset_add(&w->links, id, (uint32_t)type, &slot);

	char hex[GIT_OID_HEXSZ + 1];

	if (r == -1)
		return werr(w, "out of memory");
	if (r == 0 && *slot - 1 != (uint32_t)type) {
		hexid(id, hex);
		return werr(w, "bad pack: object %s is linked to as a %s and"
		    " as a %s", hex, packfmt_type_name((int)*slot - 1),
		    packfmt_type_name(type));
	}
	return 0;
}

static int
collect_links(struct worker *w, uint32_t i, const unsigned char *data)
{
	const struct pack_obj *o = &w->r->ix->objs[i];
	const char *why = "?";
	char hex[GIT_OID_HEXSZ + 1];
	int r;

	if (o->type == PACK_BLOB)
		return 0;
	r = objrefs_each(o->type, data, (size_t)o->size, link_cb, w, &why);
	if (r == 0)
		return 0;
	if (w->err[0] == '\0') {
		hexid(o->id, hex);
		return werr(w, "bad pack: malformed %s %s: %s",
		    packfmt_type_name(o->type), hex, why);
	}
	return -1;
}

/* The REF children of base id: [*lo, *hi) in rmap. */
static void
ref_range(const struct resolver *r, const unsigned char *id, uint32_t *lo,
    uint32_t *hi)
{
	uint32_t a = 0, b = r->nrmap;

	while (a < b) {
		uint32_t mid = a + (b - a) / 2;
		if (memcmp(r->rmap[mid].id, id, OID_RAW) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = *hi = a;
	while (*hi < r->nrmap && memcmp(r->rmap[*hi].id, id, OID_RAW) == 0)
		(*hi)++;
}

static int
has_children(const struct resolver *r, uint32_t i, struct frame *f)
{
	f->obj = i;
	f->data = NULL;
	f->ofs_next = r->cstart[i];
	f->ofs_end = r->cstart[i + 1];
	ref_range(r, r->ix->objs[i].id, &f->ref_next, &f->ref_end);
	return f->ofs_next < f->ofs_end || f->ref_next < f->ref_end;
}

/* Make delta kid from the data of its base (entry bi); with hash, also
 * its type and id. */
static unsigned char *
apply_delta(struct worker *w, uint32_t kid, uint32_t bi,
    const unsigned char *base, int hash)
{
	struct pack_index *ix = w->r->ix;
	struct pack_obj *o = &ix->objs[kid];
	const struct pack_obj *b = &ix->objs[bi];
	unsigned char *delta, *out;
	const char *why = "?";
	char prefix[32];
	unsigned int dlen = 0;

	if ((delta = index_read_entry(ix, kid, &w->z, &w->zbuf, &w->zcap,
	    &why)) == NULL)
		return werr(w, "bad pack: %s", why), NULL;
	if ((out = malloc(o->size ? o->size : 1)) == NULL) {
		free(delta);
		return werr(w, "out of memory"), NULL;
	}
	if (packfmt_delta_apply(base, (size_t)b->size, delta, (size_t)o->dsize,
	    out, (size_t)o->size, &why) == -1) {
		free(delta);
		free(out);
		return werr(w, "bad pack: %s", why), NULL;
	}
	free(delta);
	if (!hash)
		return out;
	o->type = b->type;
	if (EVP_DigestInit_ex(w->sha, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(w->sha, prefix, packfmt_obj_prefix(prefix,
	    o->type, o->size)) != 1 ||
	    EVP_DigestUpdate(w->sha, out, (size_t)o->size) != 1 ||
	    EVP_DigestFinal_ex(w->sha, o->id, &dlen) != 1) {
		free(out);
		return werr(w, "SHA-1 failed"), NULL;
	}
	__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	return out;
}

static int
push_frame(struct worker *w, const struct frame *f, unsigned char *data)
{
	if (grow(&w->stack, &w->cap, w->depth, sizeof(*w->stack), 64) == -1) {
		free(data);
		return werr(w, "out of memory");
	}
	w->stack[w->depth] = *f;
	w->stack[w->depth++].data = data;
	w->held += (size_t)w->r->ix->objs[f->obj].size;
	/* over budget: drop the oldest bases; the top one stays */
	for (size_t k = 0; w->held > RESOLVE_CACHE && k + 1 < w->depth; k++)
		if (w->stack[k].data != NULL) {
			free(w->stack[k].data);
			w->stack[k].data = NULL;
			w->held -= (size_t)w->r->ix->objs[w->stack[k].obj].size;
		}
	return 0;
}

static void
drop_top(struct worker *w)
{
	struct frame *f = &w->stack[--w->depth];

	if (f->data != NULL) {
		free(f->data);
		w->held -= (size_t)w->r->ix->objs[f->obj].size;
	}
}

/* The top frame's data was dropped: make it again from the nearest frame
 * below that still has its data (or from the root, which is whole). */
static int
remake_top(struct worker *w)
{
	struct pack_index *ix = w->r->ix;
	size_t top = w->depth - 1, j = top;
	unsigned char *data = NULL;
	const char *why = "?";

	while (j > 0 && w->stack[j - 1].data == NULL)
		j--;
	if (j == 0) {
		if ((data = index_read_entry(ix, w->stack[0].obj, &w->z,
		    &w->zbuf, &w->zcap, &why)) == NULL)
			return werr(w, "bad pack: %s", why);
		j = 1;
	} else {
		data = w->stack[j - 1].data;
	}
	for (; j <= top; j++) {
		unsigned char *next = apply_delta(w, w->stack[j].obj,
		    w->stack[j - 1].obj, data, 0);
		if (data != w->stack[j - 1].data)
			free(data);
		if ((data = next) == NULL)
			return -1;
	}
	w->stack[top].data = data;
	w->held += (size_t)ix->objs[w->stack[top].obj].size;
	return 0;
}

/* The next child of frame f not taken by another thread: 1, or 0. */
static int
next_child(struct worker *w, struct frame *f, uint32_t *kid)
{
	struct pack_obj *objs = w->r->ix->objs;

	if (f->ofs_next < f->ofs_end) {
		*kid = w->r->clist[f->ofs_next++];
		return 1;
	}
	while (f->ref_next < f->ref_end) {
		*kid = w->r->rmap[f->ref_next++].kid;
		if (!__atomic_exchange_n(&objs[*kid].claimed, 1,
		    __ATOMIC_ACQ_REL))
			return 1;
	}
	return 0;
}

static int
run_stack(struct worker *w)
{
	struct frame kidf;
	uint32_t kid, base;
	unsigned char *data;

	while (w->depth > 0) {
		struct frame *f = &w->stack[w->depth - 1];
		if (__atomic_load_n(&w->r->stop, __ATOMIC_RELAXED))
			return -1;
		if (!next_child(w, f, &kid)) {
			drop_top(w);
			continue;
		}
		if (f->data == NULL && remake_top(w) == -1)
			return -1;
		base = f->obj;
		if ((data = apply_delta(w, kid, base, f->data, 1)) == NULL)
			return -1;
		if (f->ofs_next == f->ofs_end && f->ref_next == f->ref_end)
			drop_top(w); /* its last child: a chain holds one object */
		if (collect_links(w, kid, data) == -1) {
			free(data);
			return -1;
		}
		if (!has_children(w->r, kid, &kidf))
			free(data);
		else if (push_frame(w, &kidf, data) == -1)
			return -1;
	}
	return 0;
}

static int
resolve_root(struct worker *w, uint32_t root)
{
	struct pack_index *ix = w->r->ix;
	struct frame f;
	unsigned char *data;
	const char *why = "?";
	int kids = has_children(w->r, root, &f);

	if (!kids && ix->objs[root].type == PACK_BLOB)
		return 0;
	if ((data = index_read_entry(ix, root, &w->z, &w->zbuf, &w->zcap,
	    &why)) == NULL)
		return werr(w, "bad pack: %s", why);
	if (collect_links(w, root, data) == -1 || !kids) {
		free(data);
		return w->err[0] != '\0' ? -1 : 0;
	}
	if (push_frame(w, &f, data) == -1)
		return -1;
	return run_stack(w);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct resolver *r = w->r;
	uint32_t i;

	if (inflateInit(&w->z) != Z_OK || (w->sha = EVP_MD_CTX_new()) == NULL) {
		werr(w, "cannot start zlib or SHA-1");
		goto out;
	}
	w->zinit = 1;
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED) &&
	    (i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED)) < r->nroots)
		if (resolve_root(w, r->roots[i]) == -1)
			break;
out:
	while (w->depth > 0)
		drop_top(w);
	free(w->stack);
	free(w->zbuf);
	EVP_MD_CTX_free(w->sha);
	if (w->zinit)
		(void)inflateEnd(&w->z);
	return NULL;
}

static int
merge_links(struct pack_index *ix, struct worker *w, char *err, size_t errlen)
{
	char hex[GIT_OID_HEXSZ + 1];

	for (size_t i = 0; i < w->links.cap; i++) {
		const struct oidset_ent *e = &w->links.v[i];
		uint32_t *slot;
		int r;
		if (e->val == 0)
			continue;
		r = oidset_add(&ix->links, e->id, oidset_val(e), &slot);
		if (r == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (r == 0 && *slot != e->val) {
			hexid(e->id, hex);
			snprintf(err, errlen, "bad pack: object %s is linked to"
			    " as a %s and as a %s", hex,
			    packfmt_type_name((int)*slot - 1),
			    packfmt_type_name((int)oidset_val(e)));
			return -1;
		}
	}
	return 0;
}
