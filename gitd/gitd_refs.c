/*
 * gitd_refs.c - listing refs for the advertisement and applying pushed ref
 * updates with compare-and-swap.  See gitd_refs.h and gitprotocol-pack
 * "Reference Update Request and Packfile Transfer".
 *
 * Single updates use git_reference_create_matching (libgit2 compares the old
 * value under the ref's lock).  Atomic pushes lock every ref in a
 * git_transaction first, compare each current value by hand (the locks keep
 * other writers out), then commit.
 */
#include "core/grow.h"
#include "gitd/gitd_refs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitd/gitd_pack.h"

#define REFLOG_MSG "push via berth"

static int ref_cmp(const void *a, const void *b);
static int ref_current(git_repository *repo, const char *name, git_oid *out);
static void apply_one(git_repository *repo, struct ref_cmd *c);
static void apply_atomic(git_repository *repo, struct ref_cmd *cmds, size_t n);

int
refs_list(git_repository *repo, struct ref_list *out, char *err, size_t errlen)
{
	git_reference_iterator *it = NULL;
	git_reference *ref, *resolved;
	git_object *peeled;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (git_reference_iterator_glob_new(&it, repo, "refs/*") < 0) {
		snprintf(err, errlen, "cannot list refs: %s", git_errmsg("?"));
		return -1;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		struct ref_ent *e;
		if (git_reference_resolve(&resolved, ref) < 0) {
			git_reference_free(ref); /* dangling symref: skip */
			continue;
		}
		if (grow(&out->v, &cap, out->n, sizeof(*out->v), 32) == -1) {
			git_reference_free(resolved);
			git_reference_free(ref);
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		e = &out->v[out->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", git_reference_name(ref));
		git_oid_cpy(&e->oid, git_reference_target(resolved));
		if (git_reference_peel(&peeled, resolved, GIT_OBJECT_ANY) == 0) {
			if (git_oid_cmp(git_object_id(peeled), &e->oid) != 0) {
				git_oid_cpy(&e->peeled, git_object_id(peeled));
				e->has_peeled = 1;
			}
			git_object_free(peeled);
		}
		git_reference_free(resolved);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER) {
		if (rc != -1)
			snprintf(err, errlen, "cannot list refs: %s",
			    git_errmsg("?"));
		refs_list_free(out);
		return -1;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), ref_cmp);
	return 0;
}

static int
ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ref_ent *)a)->name,
	    ((const struct ref_ent *)b)->name);
}

void
refs_list_free(struct ref_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
ref_cmd_is_create(const struct ref_cmd *c)
{
	return git_oid_is_zero(&c->old_id);
}

int
ref_cmd_is_delete(const struct ref_cmd *c)
{
	return git_oid_is_zero(&c->new_id);
}

void
refs_apply(git_repository *repo, struct ref_cmd *cmds, size_t n, int atomic)
{
	if (atomic) {
		apply_atomic(repo, cmds, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (cmds[i].error[0] == '\0')
			apply_one(repo, &cmds[i]);
}

/* The ref's current target: 0 found, 1 missing, -1 error. */
static int
ref_current(git_repository *repo, const char *name, git_oid *out)
{
	int rc = git_reference_name_to_id(out, repo, name);

	if (rc == GIT_ENOTFOUND) {
		memset(out, 0, sizeof(*out));
		return 1;
	}
	return rc < 0 ? -1 : 0;
}

static void
set_error(struct ref_cmd *c, const char *msg)
{
	snprintf(c->error, sizeof(c->error), "%s", msg);
}

static void
apply_delete(git_repository *repo, struct ref_cmd *c)
{
	git_reference *ref;
	int rc;

	if (git_reference_lookup(&ref, repo, c->name) < 0) {
		set_error(c, "stale info: ref does not exist");
		return;
	}
	if (git_oid_cmp(git_reference_target(ref), &c->old_id) != 0) {
		set_error(c, "stale info: ref has moved");
		git_reference_free(ref);
		return;
	}
	rc = git_reference_delete(ref);
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED)
		set_error(c, "stale info: ref has moved");
	else if (rc < 0)
		set_error(c, git_errmsg("failed to delete"));
}

static void
apply_one(git_repository *repo, struct ref_cmd *c)
{
	git_reference *ref = NULL;
	int rc;

	if (ref_cmd_is_delete(c)) {
		apply_delete(repo, c);
		return;
	}
	if (ref_cmd_is_create(c))
		rc = git_reference_create_matching(&ref, repo, c->name,
		    &c->new_id, 0, NULL, REFLOG_MSG);
	else
		rc = git_reference_create_matching(&ref, repo, c->name,
		    &c->new_id, 1, &c->old_id, REFLOG_MSG);
	git_reference_free(ref);
	if (rc == GIT_EEXISTS)
		set_error(c, "stale info: ref already exists");
	else if (rc == GIT_EMODIFIED || rc == GIT_ENOTFOUND)
		set_error(c, "stale info: ref has moved");
	else if (rc == GIT_ELOCKED)
		set_error(c, "failed to lock");
	else if (rc < 0)
		set_error(c, git_errmsg("failed to update ref"));
}

static void
fail_all(struct ref_cmd *cmds, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++)
		if (cmds[i].error[0] == '\0')
			set_error(&cmds[i], why);
}

static void
apply_atomic(git_repository *repo, struct ref_cmd *cmds, size_t n)
{
	git_transaction *tx = NULL;
	git_signature *sig = NULL;
	git_oid cur;
	size_t i;

	for (i = 0; i < n; i++)
		if (cmds[i].error[0] != '\0') {
			fail_all(cmds, n, "atomic push failed");
			return;
		}
	if (git_signature_now(&sig, "berth", "berth@localhost") < 0 ||
	    git_transaction_new(&tx, repo) < 0) {
		fail_all(cmds, n, git_errmsg("cannot start transaction"));
		goto out;
	}
	for (i = 0; i < n; i++)
		if (git_transaction_lock_ref(tx, cmds[i].name) < 0) {
			set_error(&cmds[i], "failed to lock");
			goto failed;
		}
	for (i = 0; i < n; i++) {
		int rc = ref_current(repo, cmds[i].name, &cur);
		if (rc < 0 || git_oid_cmp(&cur, &cmds[i].old_id) != 0) {
			set_error(&cmds[i], "stale info: ref has moved");
			goto failed;
		}
		rc = ref_cmd_is_delete(&cmds[i]) ?
		    git_transaction_remove(tx, cmds[i].name) :
		    git_transaction_set_target(tx, cmds[i].name,
		    &cmds[i].new_id, sig, REFLOG_MSG);
		if (rc < 0) {
			set_error(&cmds[i], git_errmsg("cannot update"));
			goto failed;
		}
	}
	if (git_transaction_commit(tx) < 0) {
		fail_all(cmds, n, git_errmsg("transaction failed"));
		goto out;
	}
	goto out;
failed:
	fail_all(cmds, n, "atomic push failed");
out:
	git_transaction_free(tx);
	git_signature_free(sig);
}
