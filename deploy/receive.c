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

/* The updates of branches other than the deploy branch: previews, or a
 * word that they are only stored (deploy/preview.c).  1 when one of them
 * was rejected. */
static int
other_branches(struct hook_push *push, const struct hook_update *deploy)
{
	int rejected = 0;

	for (size_t i = 0; i < push->n; i++) {
		struct hook_update *u = &push->updates[i];
		if (u == deploy || is_deploy_ref(push, u->ref))
			continue;
		preview_update(push, u);
		rejected |= u->reject[0] != '\0';
	}
	return rejected;
}

void
hooks_receive(struct hook_push *push)
{
	struct hook_update *deploy = NULL;

	for (size_t i = 0; i < push->n && deploy == NULL; i++) {
		struct hook_update *u = &push->updates[i];
		if (!git_oid_is_zero(&u->new_id) && is_deploy_ref(push, u->ref))
			deploy = u; /* one deploy of the app per push */
	}
	if (!push->atomic) {
		if (deploy != NULL)
			(void)deploy_update(push, deploy);
		(void)other_branches(push, deploy);
		return;
	}
	/* --atomic moves every ref or none: the previews first, and the
	 * app's own deploy only when none of them failed */
	if (other_branches(push, deploy) && deploy != NULL)
		snprintf(deploy->reject, sizeof(deploy->reject), "atomic push"
		    " failed: a preview's deploy failed");
	else if (deploy != NULL)
		(void)deploy_update(push, deploy);
}
