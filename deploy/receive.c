/*
 * receive.c - the entry point of the deploy pipeline, called by gitd
 * between "pack received and checked" and "refs moved".  It picks the update
 * that touches the app's deploy branch (server.deploy_branch; when that is
 * "main" and the repo has no main, a push to master deploys too) and runs
 * the deploy for it; other refs are only stored.  A failed deploy rejects
 * that update, so the branch does not move.
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
	for (size_t i = 0; i < push->n; i++) {
		struct hook_update *u = &push->updates[i];
		if (git_oid_is_zero(&u->new_id) || !is_deploy_ref(push, u->ref))
			continue;
		(void)deploy_update(push, u);
		return; /* one deploy per push */
	}
}
