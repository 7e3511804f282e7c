/*
 * pull.h - a deploy from the app's Git source (apps:source): fetch its
 * branch (deploy/fetch.c) into the app's repository, then the same deploy
 * as a push (deploy_update), under the same app lock; the app's deploy
 * branch moves (compare-and-swap) only once the new release is live.
 * `apps:pull APP` runs it in the SSH connection's process, a webhook
 * delivery in a detached `berth hook-deploy` (cmd/).
 */
#ifndef BERTH_DEPLOY_PULL_H
#define BERTH_DEPLOY_PULL_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/msg.h"
#include "core/store.h"

struct pull_req {
	const char *app;
	const char *kind;   /* "pull" or "webhook": the deploy's kind */
	const char *holder; /* what takes the app's lock ("a pull by key 'dev'") */
	const char *note;   /* for the log's first line, or NULL */
};

/* 0 when the source's branch is live (deployed now, or already), -1 with
 * reason.  A fetch that fails is recorded as a failed deploy of kind,
 * with its log; nothing live changes. */
int deploy_pull(const struct conf *c, struct store *st,
    const struct pull_req *r, say_fn say, void *say_ctx, char *reason,
    size_t rlen);

#endif
