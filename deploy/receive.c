/*
 * receive.c - the entry point of the deploy pipeline, called by gitd
 * between "pack received and checked" and "refs moved".  It picks the update
 * that touches the app's deploy branch (server.deploy_branch; when that is
 * "main" and the repo has no main, a push to master deploys too) and runs
 * the deploy for it; other branches go to deploy/preview.c (a preview
 * deploy, or a word that they were only stored).  A failed deploy
 * rejects that update, so the branch does not move.
 */
#include <stdio.h>
#include <string.h>

#include "deploy/receive.h"

static int
is_deploy_ref(const struct hook_push *p, const char *ref)
{
	const char *branch = p->conf->deploy_branch;
	git_oid main_id;

	if (strncmp(ref, "refs/heads/", 11) != 0)
		return 0;
	if (strcmp(ref + 11, branch) == 0)
		return 1;
	return strcmp(branch, "main") == 0 && strcmp(ref + 11, "master") == 0 &&
	    git_reference_name_to_id(&main_id, p->repo, "refs/heads/main") != 0;
}

void
hooks_receive(struct hook_push *push)
{
	struct hook_update *deployed = NULL;

	for (size_t i = 0; i < push->n && deployed == NULL; i++) {
		struct hook_update *u = &push->updates[i];
		if (git_oid_is_zero(&u->new_id) || !is_deploy_ref(push, u->ref))
			continue;
		(void)deploy_update(push, u);
		deployed = u; /* one deploy of the app per push */
	}
	/* then the other branches: previews, or a word that they are only
	 * stored (deploy/preview.c) */
	for (size_t i = 0; i < push->n; i++)
		if (&push->updates[i] != deployed &&
		    !is_deploy_ref(push, push->updates[i].ref))
			preview_update(push, &push->updates[i]);
}
