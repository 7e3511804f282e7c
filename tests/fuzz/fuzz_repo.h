/*
 * fuzz_repo.h - a data dir with one app whose bare repository has two
 * commits on main, made once per fuzzing process, for the receive-pack and
 * upload-pack targets, packed.  The deploy branch is set to one that is never
 * pushed, so the deploy pipeline stays out of the loop.
 */
#ifndef BERTH_FUZZ_REPO_H
#define BERTH_FUZZ_REPO_H

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/datadir.h"
#include "core/store.h"
#include "gitd/gitd.h"
#include "tests/fuzz/fuzz.h"

static struct conf fuzz_conf;
static struct store *fuzz_st;
static struct app_rec fuzz_app;
static char fuzz_old[GIT_OID_HEXSZ + 1], fuzz_new[GIT_OID_HEXSZ + 1];

static inline void
fuzz_commit(git_repository *repo, const char *text, git_oid *parent, git_oid *out)
{
	git_treebuilder *tb;
	git_signature *sig;
	git_oid blob, tree;
	git_tree *t;
	git_commit *p = NULL;

	if (git_blob_create_from_buffer(&blob, repo, text, strlen(text)) < 0 ||
	    git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "file", &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree, tb) < 0 ||
	    git_tree_lookup(&t, repo, &tree) < 0 ||
	    git_signature_now(&sig, "fuzz", "fuzz@example.com") < 0)
		abort();
	if (parent != NULL && git_commit_lookup(&p, repo, parent) < 0)
		abort();
	if (git_commit_create_v(out, repo, "refs/heads/main", sig, sig, NULL,
	    text, t, p ? 1 : 0, p) < 0)
		abort();
	git_commit_free(p);
	git_tree_free(t);
	git_treebuilder_free(tb);
	git_signature_free(sig);
}

/* Pack what main reaches, so upload-pack reads from a pack as it would
 * after a push (the loose copies stay). */
static inline void
fuzz_pack(git_repository *repo)
{
	git_packbuilder *pb;
	git_revwalk *w;

	if (git_packbuilder_new(&pb, repo) < 0 || git_revwalk_new(&w, repo) < 0 ||
	    git_revwalk_push_ref(w, "refs/heads/main") < 0 ||
	    git_packbuilder_insert_walk(pb, w) < 0 ||
	    git_packbuilder_write(pb, NULL, 0, NULL, NULL) < 0)
		abort();
	git_revwalk_free(w);
	git_packbuilder_free(pb);
}

static inline void
fuzz_repo_init(void)
{
	char dir[] = "/tmp/berth-fuzz-XXXXXX", err[256], path[PATH_MAX], db[PATH_MAX];
	git_repository *repo;
	git_oid a, b;

	if (mkdtemp(dir) == NULL)
		abort();
	conf_defaults(&fuzz_conf);
	snprintf(fuzz_conf.data_dir, sizeof(fuzz_conf.data_dir), "%s", dir);
	snprintf(fuzz_conf.deploy_branch, sizeof(fuzz_conf.deploy_branch),
	    "never-deployed");
	fuzz_conf.max_push_size = 1 << 20;
	fuzz_conf.max_object_size = 1 << 20;   /* each input stays quick */
	fuzz_conf.max_push_inflated = 8 << 20;
	if (git_libgit2_init() < 0 || datadir_init(&fuzz_conf, err, sizeof(err)) ||
	    datadir_db(fuzz_conf.data_dir, db, sizeof(db)) ||
	    store_open(&fuzz_st, db, err, sizeof(err)) ||
	    store_app_create(fuzz_st, "app", &fuzz_app) ||
	    gitd_repo_path(&fuzz_conf, "app", path, sizeof(path)) ||
	    git_repository_init(&repo, path, 1) < 0)
		abort();
	fuzz_commit(repo, "one", NULL, &a);
	fuzz_commit(repo, "two", &a, &b);
	git_oid_tostr(fuzz_old, sizeof(fuzz_old), &a);
	git_oid_tostr(fuzz_new, sizeof(fuzz_new), &b);
	fuzz_pack(repo);
	git_repository_free(repo);
}

static inline void
fuzz_ctx(struct gitd_ctx *g, struct fuzz_in *in)
{
	memset(g, 0, sizeof(*g));
	g->conf = &fuzz_conf;
	g->st = fuzz_st;
	g->app = fuzz_app;
	g->key.is_admin = 1;
	g->io.in_out = (struct pkt_transport){ fuzz_read, fuzz_write, in };
	g->io.write_err = fuzz_write_err;
}

#endif
