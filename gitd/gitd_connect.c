/*
 * gitd_connect.c - after a pack is indexed: is everything the pushed refs
 * need present?  What git's receive-pack asks of `git rev-list --objects
 * NEW-TIPS --not --all`: every object reachable from the new tips, short of
 * what the existing refs already reach, must exist, and submodule entries
 * (gitlinks) are not followed.
 *
 * How, without reading the pack again: the indexer recorded every link out
 * of every commit, tree and tag of the pack (ix->links, with the type each
 * target must have).  A link into the pack is checked against the pack's
 * index in memory.  A link out of the pack must name an object of the
 * repository (outside the quarantine, read through gitd_packset.h, which
 * never rescans objects/pack on a miss as libgit2's odb does), and then:
 *   - a commit must be reachable from an existing ref (a revwalk of these
 *     commits with every ref hidden); one that is not (an unreachable
 *     object) is walked like a new one, as git does;
 *   - a tree is walked down to its blobs (stricter than git, which stops at
 *     the trees of the boundary commits: the same work for a push on top of
 *     a ref, and it never trusts an unreachable tree);
 *   - a tag's target is checked in turn; a blob only has to exist.
 * Every link of every object in the pack is checked, not only those
 * reachable from the tips: at least as strict as git.  A failure names one
 * missing (or mistyped) object.
 */
#include "core/grow.h"
#include "gitd/gitd_connect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitd/gitd_objrefs.h"

struct ext {
	unsigned char id[OID_RAW];
	int type;                  /* what it must be; 0: anything */
};

struct walk {
	git_repository *repo;
	struct packset ps;
	const struct pack_index *ix;
	struct oidset seen;        /* external objects already looked at */
	struct ext *todo;
	size_t ntodo, cap;
	git_oid *commits;          /* external commits, for the revwalk */
	size_t ncommits, ccap;
	char *err;
	size_t errlen;
};

static int cfail(struct walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
cfail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
hex_of(const unsigned char *id, char *buf)
{
	git_oid oid;

	memcpy(oid.id, id, OID_RAW);
	return git_oid_tostr(buf, GIT_OID_HEXSZ + 1, &oid);
}

/* A link (or a tip, type 0): fine when it is in the pack with the right
 * type; else queued for the repository. */
static int
link_to(void *ctx, const unsigned char *id, int type)
{
	struct walk *w = ctx;
	const struct pack_obj *o = w->ix ? pindex_lookup(w->ix, id) : NULL;
	char hex[GIT_OID_HEXSZ + 1];

	if (o != NULL) {
		if (type != 0 && o->type != type)
			return cfail(w, "object %s is a %s, not a %s",
			    hex_of(id, hex), packfmt_type_name(o->type),
			    packfmt_type_name(type));
		return 0;
	}
	if (grow(&w->todo, &w->cap, w->ntodo, sizeof(*w->todo), 256) == -1)
		return cfail(w, "out of memory");
	memcpy(w->todo[w->ntodo].id, id, OID_RAW);
	w->todo[w->ntodo++].type = type;
	return 0;
}

static int
add_commit(struct walk *w, const git_oid *id)
{
	if (grow(&w->commits, &w->ccap, w->ncommits, sizeof(*w->commits), 64) == -1)
		return cfail(w, "out of memory");
	git_oid_cpy(&w->commits[w->ncommits++], id);
	return 0;
}

/* A commit's links but its parents (the revwalk goes there itself). */
static int
tree_of_commit(void *ctx, const unsigned char *id, int type)
{
	return type == PACK_COMMIT ? 0 : link_to(ctx, id, type);
}

/* Queue the links of a repository object (a tree, a tag or a commit). */
static int
ext_links(struct walk *w, const git_oid *id)
{
	const unsigned char *data;
	const char *why = "?";
	char hex[GIT_OID_HEXSZ + 1];
	size_t len;
	int r, type;

	if (packset_read(&w->ps, id->id, &type, &data, &len) == -1)
		return cfail(w, "cannot read %s: %s", hex_of(id->id, hex),
		    w->ps.err);
	r = objrefs_each(type, data, len, type == PACK_COMMIT ?
	    tree_of_commit : link_to, w, &why);
	if (r == -1 && w->err[0] == '\0')
		return cfail(w, "object %s is malformed: %s", hex_of(id->id, hex),
		    why);
	return r == 0 ? 0 : -1;
}

/* Everything queued: present, of the right type, and its links too. */
static int
drain(struct walk *w)
{
	char hex[GIT_OID_HEXSZ + 1];

	while (w->ntodo > 0) {
		struct ext e = w->todo[--w->ntodo];
		git_oid id;
		int type, r = oidset_add(&w->seen, e.id, 0, NULL);
		if (r == -1)
			return cfail(w, "out of memory");
		if (r == 0)
			continue;
		memcpy(id.id, e.id, OID_RAW);
		if ((r = packset_type(&w->ps, e.id, &type)) == -1)
			return cfail(w, "%s", w->ps.err);
		if (r == 0)
			return cfail(w, "missing necessary objects: %s %s is"
			    " neither in the pack nor in the repository",
			    e.type ? packfmt_type_name(e.type) : "object",
			    hex_of(e.id, hex));
		if (e.type != 0 && type != e.type)
			return cfail(w, "object %s is a %s, not a %s",
			    hex_of(e.id, hex), packfmt_type_name(type),
			    packfmt_type_name(e.type));
		r = 0;
		if (type == PACK_COMMIT)
			r = add_commit(w, &id);
		else if (type == PACK_TREE || type == PACK_TAG)
			r = ext_links(w, &id);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* The external commits no ref reaches: walk them (and their trees) too. */
static int
unreachable_commits(struct walk *w)
{
	git_revwalk *rw = NULL;
	git_oid id;
	int r = 0;
	size_t n = w->ncommits;

	if (n == 0)
		return 0;
	if (git_revwalk_new(&rw, w->repo) < 0 ||
	    git_revwalk_hide_glob(rw, "refs/*") < 0)
		r = -1;
	for (size_t i = 0; i < n && r == 0; i++)
		r = git_revwalk_push(rw, &w->commits[i]);
	w->ncommits = 0;
	while (r == 0 && (r = git_revwalk_next(&id, rw)) == 0)
		if (oidset_add(&w->seen, id.id, 0, NULL) == -1 ||
		    ext_links(w, &id) == -1) {
			git_revwalk_free(rw);
			return -1;
		}
	git_revwalk_free(rw);
	if (r != GIT_ITEROVER)
		return cfail(w, "missing necessary objects: %s",
		    git_error_last() ? git_error_last()->message : "?");
	return 0;
}

int
connect_check(git_repository *repo, const struct pack_index *ix,
    const git_oid *tips, size_t ntips, char *err, size_t errlen)
{
	struct walk w = { .repo = repo, .ix = ix, .err = err,
	    .errlen = errlen };
	int rc = -1;

	err[0] = '\0';
	oidset_init(&w.seen);
	if (packset_open(&w.ps, repo) == -1) {
		cfail(&w, "cannot read the repository: %s", w.ps.err);
		goto out;
	}
	for (size_t i = 0; ix != NULL && i < ix->links.cap; i++)
		if (ix->links.v[i].val != 0 && link_to(&w, ix->links.v[i].id,
		    (int)oidset_val(&ix->links.v[i])) == -1)
			goto out;
	for (size_t i = 0; i < ntips; i++)
		if (link_to(&w, tips[i].id, 0) == -1)
			goto out;
	do {
		if (drain(&w) == -1 || unreachable_commits(&w) == -1)
			goto out;
	} while (w.ntodo > 0);
	rc = 0;
out:
	packset_close(&w.ps);
	oidset_free(&w.seen);
	free(w.todo);
	free(w.commits);
	return rc;
}
