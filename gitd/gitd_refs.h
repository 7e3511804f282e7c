/*
 * gitd_refs.h - the repository's refs as the protocol sees them: the sorted
 * list for the advertisement (with peeled tags), and the compare-and-swap
 * update of pushed refs, one by one or all-or-nothing (the "atomic"
 * capability).  Per-ref failures are data (cmd->error), reported to the
 * pusher as "ng REF reason".
 */
#ifndef BERTH_GITD_REFS_H
#define BERTH_GITD_REFS_H

#include <git2.h>
#include <stddef.h>

#define REF_NAME_MAX 1024

struct ref_ent {
	char name[REF_NAME_MAX];
	git_oid oid;
	git_oid peeled;  /* for annotated tags */
	int has_peeled;
};

struct ref_list {
	struct ref_ent *v;
	size_t n;
};

struct ref_cmd {
	git_oid old_id, new_id;
	char name[REF_NAME_MAX];
	char error[256]; /* "" while the command is still good */
};

/* All refs under refs/ in C-locale order (HEAD is not included). */
int refs_list(git_repository *repo, struct ref_list *out, char *err,
    size_t errlen);
void refs_list_free(struct ref_list *l);

int ref_cmd_is_create(const struct ref_cmd *c);
int ref_cmd_is_delete(const struct ref_cmd *c);

/*
 * Apply the commands that have no error yet.  Each command moves only if
 * the ref still has old_id (compare-and-swap).  With atomic, either every
 * command is applied or none is, and all get an error if one fails.
 */
void refs_apply(git_repository *repo, struct ref_cmd *cmds, size_t n,
    int atomic);

#endif
