/*
 * gitd_fetchset.c - see gitd_fetchset.h.  In order:
 *   wants     a wanted tag is sent with what it peels to; wanted commits
 *             are pushed on a revwalk that hides the common commits;
 *   commits   every commit the walk yields is sent;
 *   edges     the parents of those commits that the walk did not yield
 *             (the client has them): their trees, and all below, are
 *             marked as the client's, as git marks the trees of its
 *             boundary commits uninteresting;
 *   trees     the tree of each commit sent, down to the blobs, skipping
 *             what is marked or already counted.
 */
#include "core/grow.h"
#include "gitd/gitd_fetchset.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitd/gitd_objrefs.h"

struct fwalk {
	struct fetchset *fs;
	struct packset *ps;
	git_revwalk *rw;
	unsigned char (*stack)[OID_RAW]; /* trees to read */
	size_t depth, cap;
	struct oidset *into;     /* where the tree walk records (v or have) */
	unsigned char (*trees)[OID_RAW]; /* the tree of each commit sent */
	size_t ntrees, tcap;
	unsigned char (*parents)[OID_RAW]; /* their parents, for the edges */
	size_t nparents, pcap;
	int edges;               /* there are common commits */
	char *err;
	size_t errlen;
};

static int ffail(struct fwalk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
ffail(struct fwalk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void
fetchset_free(struct fetchset *fs)
{
	free(fs->v);
	oidset_free(&fs->index);
	oidset_free(&fs->have);
	memset(fs, 0, sizeof(*fs));
}

/* Count id to be sent (once).  1 added, 0 already there or the client's. */
static int
add(struct fwalk *w, const unsigned char *id)
{
	struct fetchset *fs = w->fs;
	int r;

	if (oidset_find(&fs->have, id) != NULL)
		return 0;
	if ((r = oidset_add(&fs->index, id, (uint32_t)fs->n, NULL)) != 1)
		return r == -1 ? ffail(w, "out of memory") : 0;
	if (grow(&fs->v, &fs->cap, fs->n, sizeof(*fs->v), 1024) == -1)
		return ffail(w, "out of memory");
	memset(&fs->v[fs->n], 0, sizeof(fs->v[0]));
	memcpy(fs->v[fs->n++].id, id, OID_RAW);
	return 1;
}

static int
push_tree(struct fwalk *w, const unsigned char *id)
{
	if (grow(&w->stack, &w->cap, w->depth, OID_RAW, 256) == -1)
		return ffail(w, "out of memory");
	memcpy(w->stack[w->depth++], id, OID_RAW);
	return 0;
}

/* A tree entry: into the set being filled, subtrees onto the stack. */
static int
entry(void *ctx, const unsigned char *id, int type)
{
	struct fwalk *w = ctx;
	int r;

	if (w->into == &w->fs->have) {
		if ((r = oidset_add(&w->fs->have, id, 0, NULL)) == -1)
			return ffail(w, "out of memory");
	} else if ((r = add(w, id)) == -1) {
		return -1;
	}
	return r == 1 && type == PACK_TREE ? push_tree(w, id) : 0;
}

/* Walk the tree root (already recorded) and everything below it. */
static int
walk_tree(struct fwalk *w, const unsigned char *root)
{
	const unsigned char *data;
	const char *why = "?";
	size_t len;
	int type;

	if (push_tree(w, root) == -1)
		return -1;
	while (w->depth > 0) {
		unsigned char id[OID_RAW];
		memcpy(id, w->stack[--w->depth], OID_RAW);
		if (packset_read(w->ps, id, &type, &data, &len) == -1)
			return ffail(w, "%s", w->ps->err);
		if (type != PACK_TREE)
			return ffail(w, "a tree link names a %s",
			    packfmt_type_name(type));
		if (objrefs_each(PACK_TREE, data, len, entry, w, &why) != 0)
			return w->err[0] ? -1 : ffail(w, "bad tree: %s", why);
	}
	return 0;
}

static int
first_link(void *ctx, const unsigned char *id, int type)
{
	unsigned char *out = ctx;

	memcpy(out, id, OID_RAW);
	out[OID_RAW] = (unsigned char)type;
	return 1; /* stop: the first link is the tree (or a tag's target) */
}

/* A want: tags are sent and peeled; commits go to the revwalk. */
static int
add_want(struct fwalk *w, const git_oid *want)
{
	unsigned char id[OID_RAW + 1];
	const unsigned char *data;
	const char *why = "?";
	size_t len;
	int type;

	memcpy(id, want->id, OID_RAW);
	for (int hops = 0; hops < 100; hops++) {
		git_oid oid;
		if (packset_read(w->ps, id, &type, &data, &len) == -1)
			return ffail(w, "%s", w->ps->err);
		if (type == PACK_COMMIT) {
			memcpy(oid.id, id, OID_RAW);
			return git_revwalk_push(w->rw, &oid) < 0 ?
			    ffail(w, "revwalk: %s", git_error_last() ?
			    git_error_last()->message : "?") : 0;
		}
		if (add(w, id) == -1)
			return -1;
		if (type == PACK_TREE)
			return walk_tree(w, id);
		if (type != PACK_TAG)
			return 0;
		if (objrefs_each(PACK_TAG, data, len, first_link, id, &why) != 1)
			return ffail(w, "bad tag: %s", why);
	}
	return ffail(w, "tag chain too long");
}

/* Append id to a growing array of ids. */
static int
push_id(struct fwalk *w, unsigned char (**v)[OID_RAW], size_t *n, size_t *cap,
    const unsigned char *id)
{
	if (grow(v, cap, *n, OID_RAW, 1024) == -1)
		return ffail(w, "out of memory");
	memcpy((*v)[(*n)++], id, OID_RAW);
	return 0;
}

/* A commit's links: its tree, and (when there are edges) its parents.
 * Kept aside: the commit's bytes are only valid until the next read. */
static int
commit_link(void *ctx, const unsigned char *id, int type)
{
	struct fwalk *w = ctx;

	if (type == PACK_TREE)
		return push_id(w, &w->trees, &w->ntrees, &w->tcap, id);
	if (w->edges)
		return push_id(w, &w->parents, &w->nparents, &w->pcap, id);
	return 0;
}

/* Mark a parent the walk did not yield: the client has its whole tree. */
static int
edge(void *ctx, const unsigned char *id, int type)
{
	struct fwalk *w = ctx;
	const unsigned char *data;
	unsigned char tree[OID_RAW + 1];
	const char *why = "?";
	size_t len;
	int t;

	if (type != PACK_COMMIT || oidset_find(&w->fs->index, id) != NULL ||
	    oidset_add(&w->fs->have, id, 0, NULL) != 1)
		return 0;
	if (packset_read(w->ps, id, &t, &data, &len) == -1)
		return 0; /* not here: nothing to mark */
	if (objrefs_each(PACK_COMMIT, data, len, first_link, tree, &why) != 1)
		return ffail(w, "bad commit: %s", why);
	if (oidset_add(&w->fs->have, tree, 0, NULL) != 1)
		return 0;
	w->into = &w->fs->have;
	t = walk_tree(w, tree);
	w->into = &w->fs->index;
	return t;
}

/* The commits of the walk; then the edges; then every tree. */
static int
walk_commits(struct fwalk *w)
{
	const unsigned char *data;
	const char *why = "?";
	size_t len, first = w->fs->n;
	git_oid id;
	int r, type;

	while ((r = git_revwalk_next(&id, w->rw)) == 0)
		if (add(w, id.id) == -1)
			return -1;
	if (r != GIT_ITEROVER)
		return ffail(w, "revwalk: %s", git_error_last() ?
		    git_error_last()->message : "?");
	for (size_t i = first, n = w->fs->n; i < n; i++) {
		if (packset_read(w->ps, w->fs->v[i].id, &type, &data, &len) ==
		    -1)
			return ffail(w, "%s", w->ps->err);
		if (objrefs_each(PACK_COMMIT, data, len, commit_link, w, &why) !=
		    0)
			return w->err[0] ? -1 : ffail(w, "bad commit: %s", why);
	}
	for (size_t i = 0; i < w->nparents; i++)
		if (edge(w, w->parents[i], PACK_COMMIT) == -1)
			return -1;
	for (size_t i = 0; i < w->ntrees; i++)
		if ((r = add(w, w->trees[i])) == -1 ||
		    (r == 1 && walk_tree(w, w->trees[i]) == -1))
			return -1;
	return 0;
}

int
fetchset_build(struct fetchset *fs, git_repository *repo, struct packset *ps,
    const git_oid *wants, size_t nwants, const git_oid *commons,
    size_t ncommons, char *err, size_t errlen)
{
	struct fwalk w = { .fs = fs, .ps = ps, .err = err, .errlen = errlen };
	int rc = -1;

	memset(fs, 0, sizeof(*fs));
	oidset_init(&fs->index);
	oidset_init(&fs->have);
	w.into = &fs->index;
	err[0] = '\0';
	/* newest first: an older version of a tree is usually stored as a
	 * delta on the newer one, which the base cache then still holds */
	if (git_revwalk_new(&w.rw, repo) < 0 ||
	    git_revwalk_sorting(w.rw, GIT_SORT_TIME) < 0) {
		ffail(&w, "revwalk: %s", git_error_last() ?
		    git_error_last()->message : "?");
		goto out;
	}
	for (size_t i = 0; i < ncommons; i++)
		if (git_revwalk_hide(w.rw, &commons[i]) < 0) {
			ffail(&w, "cannot hide a common commit: %s",
			    git_error_last() ? git_error_last()->message : "?");
			goto out;
		}
	for (size_t i = 0; i < nwants; i++)
		if (add_want(&w, &wants[i]) == -1)
			goto out;
	w.edges = ncommons > 0;
	if (walk_commits(&w) == -1)
		goto out;
	rc = 0;
out:
	git_revwalk_free(w.rw);
	free(w.stack);
	free(w.trees);
	free(w.parents);
	return rc;
}
