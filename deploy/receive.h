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
	void (*say)(void *ctx, const char *line);
	void *say_ctx;
	/* move the pushed objects out of quarantine (called with say_ctx once
	 * the build succeeded, before anything goes live); NULL: nothing to do */
	int (*store_objects)(void *ctx, char *err, size_t errlen);
};

/* Run the deploy for the push (see deploy/receive.c). */
void hooks_receive(struct hook_push *push);

/* Deploy update u of the push: build, release, activate.  0 when the new
 * release is live; -1 with u->reject set. */
int hooks_deploy(const struct hook_push *push, struct hook_update *u);

/*
 * The operations below take the app's lock (core/applock.h) for holder,
 * what the caller is ("ps:restart by key 'dev'"), which a caller kept
 * waiting longer than [server] lock_timeout is told.
 */

/* Make an earlier release live (version 0: the one before the live one),
 * under the app's lock.  0, or -1 with reason. */
int hooks_rollback(const struct conf *c, struct store *st, const char *app,
    const char *holder, int version, void (*say)(void *, const char *),
    void *say_ctx, char *reason, size_t rlen);

/* How hooks_restart goes about it. */
#define RESTART_SCALE      1 /* only what the formation adds or removes */
#define RESTART_IF_RUNNING 2 /* a stopped app (ps:stop) stays stopped */

/* Replace the app's processes (those of type, when not NULL) with fresh
 * ones of the live release (after a config change, ps:restart, ps:scale,
 * ps:start), with the zero-downtime swap, under the app's lock.  0 when
 * done; 1 when RESTART_IF_RUNNING found the app stopped and did nothing;
 * -1 with why. */
int hooks_restart(const struct conf *c, struct store *st, const char *app,
    const char *holder, const char *type, int flags,
    void (*say)(void *, const char *), void *say_ctx, char *why,
    size_t wlen);

/* Stop all of the app's processes (ps:stop).  0 or -1 with why. */
int hooks_stop(const struct conf *c, struct store *st, const char *app,
    const char *holder, char *why, size_t wlen);

/* On `berth serve` start: remove what a crash left half-done (quarantines,
 * build dirs, temp links), mark interrupted deploys failed; apps with a
 * push still in progress are left alone. */
void hooks_recover(const struct conf *c, struct store *st);

/* On `berth serve` start, first: if [server] app_uid_base is not the base
 * the apps' files belong to (recorded in sqlite), move their files and
 * processes (and the managed Caddy's home) to the new uids, or refuse
 * with what to do.  0, or -1 with err (berth serve does not start). */
int hooks_uidbase(const struct conf *c, struct store *st, char *err,
    size_t errlen);

/* After the router is up: retire what cut-off swaps left draining. */
void hooks_recover_routed(const struct conf *c, struct store *st);

/* Delete an app: processes, routing, repository, releases, rows, in that
 * order; safe to run again after a crash half-way.  0 or -1 with why. */
int hooks_destroy(const struct conf *c, struct store *st, const char *app,
    const char *holder, char *why, size_t wlen);

/* Rename an app (its processes are restarted under the new name). */
int hooks_rename(const struct conf *c, struct store *st, const char *from,
    const char *to, const char *holder, char *why, size_t wlen);

#endif
