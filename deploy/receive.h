/*
 * receive.h - the receive hook: what runs after a pack has been received and
 * checked, and before any ref moves.  gitd calls hooks_receive() once per
 * push with the updates that are still good; the hook may reject any of them
 * by filling its reject reason, which the pusher sees as
 * "! [remote rejected] main -> main (reason)".  Lines passed to say() reach
 * the pusher as "remote: ..." while the hook runs.
 *
 * The objects of the push are readable through repo (the quarantine is
 * attached to its odb) but are not yet in objects/pack.
 */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include <git2.h>
#include <stddef.h>

#include "conf/conf.h"
#include "core/msg.h"
#include "core/store.h"

struct hook_update {
	const char *ref;
	git_oid old_id, new_id;
	char reject[256]; /* set by the hook to refuse this update */
};

struct hook_push {
	const struct conf *conf;
	struct store *st;
	const char *app;
	git_repository *repo;
	struct hook_update *updates;
	size_t n;
	say_fn say;
	void *say_ctx;
	int atomic;     /* --atomic: every ref moves, or none */
	/* move the pushed objects out of quarantine (called with say_ctx once
	 * the build succeeded, before anything goes live); NULL: nothing to do */
	int (*store_objects)(void *ctx, char *err, size_t errlen);
	/* what started the deploy: NULL for "push", or "pull", "webhook"
	 * (deploy/pull.c), with a note for the log's first line */
	const char *kind;
	const char *note;
};

/* Run the deploy for the push (see deploy/receive.c). */
void hooks_receive(struct hook_push *push);

/* Deploy update u of the push: build, release, activate.  0 when the new
 * release is live; -1 with u->reject set. */
int deploy_update(const struct hook_push *push, struct hook_update *u);

/* An update to a branch other than the deploy branch: deploy (or, for a
 * delete, destroy) its preview, or say it was only stored
 * (deploy/preview.c).  u->reject set when it fails. */
void preview_update(const struct hook_push *push, struct hook_update *u);

/* Make an earlier release live (version 0: the one before the live one),
 * under the app's lock (core/applock.h), taken for holder: what the caller
 * is ("rollback by key 'dev'"), which a caller kept waiting longer than
 * [server] lock_timeout is told.  0, or -1 with reason. */
int deploy_rollback(const struct conf *c, struct store *st, const char *app,
    const char *holder, int version, say_fn say, void *say_ctx,
    char *reason, size_t rlen);

#endif
