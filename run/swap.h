/*
 * swap.h - replacing an app's running processes without a failed
 * request: start the new set on fresh ports behind the app's stable
 * upstream (run/relay.h), wait until it is healthy and has joined, make it
 * the routed set in one transaction, tell the router (a no-op unless its
 * config changes), then retire the old set: web processes leave the
 * upstream at once and drain, others stop after health.grace seconds.  If
 * anything before the router switch fails, the new set is stopped and the
 * old one never stopped serving.
 */
#ifndef BERTH_HOOKS_SWAP_H
#define BERTH_HOOKS_SWAP_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/msg.h"
#include "core/store.h"

#define MAX_INSTANCES 64

/* Instances to start (rows not yet written). */
struct plan {
	struct proc_rec p[MAX_INSTANCES];
	size_t n;
};

/* Process rows, as listed from the store. */
struct procset {
	struct proc_rec p[MAX_INSTANCES * 4];
	size_t n;
};

/* Which of the app's processes a swap replaces. */
struct swap_scope {
	const char *type; /* only this process type; NULL: every type */
	int scale;        /* only what the formation adds or removes */
};

/* Run release `version` of app with its formation and route to it.
 * 0, or -1 with why (nothing live changed). */
int swap_release(const struct conf *c, struct store *st,
    const struct app_rec *app, int version, say_fn say, void *ctx, char *why,
    size_t whylen);

/* The same for the processes in scope only; the others keep running
 * untouched.  0, or -1 with why (nothing live changed). */
int swap_processes(const struct conf *c, struct store *st,
    const struct app_rec *app, int version, const struct swap_scope *scope,
    say_fn say, void *ctx, char *why, size_t whylen);

/* run/plan.c: out of the running set, what a swap of rel in scope
 * starts (pl) and retires (old).  0 or -1 with why. */
int plan_swap(struct store *st, const struct app_rec *app,
    const struct release_rec *rel, const struct swap_scope *scope,
    const struct procset *running, struct plan *pl, struct procset *old,
    char *why, size_t whylen);

/* Stop the app's draining processes now. */
void swap_stop_draining(const struct conf *c, struct store *st,
    const struct app_rec *app);

/* Give the draining processes a cut-off swap left (no retire of their own
 * survived) their grace period and stop them after it; called once the
 * router shows the running set again. */
void swap_retire_left(const struct conf *c, struct store *st,
    const struct app_rec *app);

/* `berth retire DATA_DIR APP GRACE ID...`: after GRACE s, stop the given
 * processes (those one swap replaced) if they are still draining. */
int swap_retire_main(const char *data_dir, const char *app, int grace,
    char **ids, int nids);

/* Stop every process of the app now (the router first). */
int swap_stop_all(const struct conf *c, struct store *st,
    const struct app_rec *app, char *why, size_t whylen);

/* run/health.c: wait until process p, which has no port, has run for a
 * second.  0 or -1 with why. */
struct proc_rec;
int health_wait(const struct conf *c, const char *app,
    const struct proc_rec *p, int timeout_s, char *why, size_t whylen);

#endif
