/*
 * plan.c - what a swap starts and what it retires (run/swap.c runs
 * the plan).  The wanted set is the release's process types (those
 * that run for long: not `release`, the hooks or the cron jobs) times
 * the formation (1 of each unless scaled).  A full swap (a deploy, rollback, ps:restart) starts all of it and retires every
 * running process; ps:restart APP TYPE does the same for one type; a
 * scale starts only the instances that are missing and retires only those
 * beyond the new count, so the rest keep serving untouched.
 */
#include <stdio.h>
#include <string.h>

#include "run/procfile.h"
#include "run/swap.h"

/* Is instance type.idx in the running set? */
static int
running_has(const struct procset *running, const char *type, int idx)
{
	for (size_t i = 0; i < running->n; i++)
		if (strcmp(running->p[i].type, type) == 0 &&
		    running->p[i].idx == idx)
			return 1;
	return 0;
}

static int
plan_add(struct plan *pl, const struct app_rec *app, int version,
    const char *type, int idx, char *why, size_t whylen)
{
	struct proc_rec *p;

	if (pl->n == MAX_INSTANCES) {
		snprintf(why, whylen, "more than %d processes", MAX_INSTANCES);
		return -1;
	}
	p = &pl->p[pl->n++];
	memset(p, 0, sizeof(*p));
	p->app_id = app->id;
	p->release = version;
	snprintf(p->type, sizeof(p->type), "%s", type);
	p->idx = idx;
	snprintf(p->state, sizeof(p->state), "starting");
	return 0;
}

/* The release's count of type (its formation, 1 if never scaled). */
static int
wanted(struct store *st, const struct app_rec *app, const char *type,
    int *count, char *why, size_t whylen)
{
	*count = 1;
	if (store_formation_get(st, app->id, type, count) == -1) {
		snprintf(why, whylen, "%s", store_error(st));
		return -1;
	}
	return 0;
}

/* 1 when the running process p is retired by this swap (count: how many
 * of its type the release wants, -1 when it has no such type, which a
 * scale leaves alone). */
static int
retires(const struct swap_scope *scope, const struct proc_rec *p, int count)
{
	if (scope->type != NULL && strcmp(p->type, scope->type) != 0)
		return 0;
	if (!scope->scale)
		return 1;
	return count >= 0 && p->idx > count;
}

/* The count the release wants of type, or -1 when it has no such type. */
static int
count_of(struct store *st, const struct app_rec *app,
    const struct release_rec *rel, const char *type, int *count, char *why,
    size_t whylen)
{
	size_t len = strlen(type);

	*count = -1;
	for (const char *l = rel->process_types; *l; l = strchr(l, '\n') + 1)
		if (strncmp(l, type, len) == 0 && l[len] == ':')
			return wanted(st, app, type, count, why, whylen);
	return 0;
}

int
plan_swap(struct store *st, const struct app_rec *app,
    const struct release_rec *rel, const struct swap_scope *scope,
    const struct procset *running, struct plan *pl, struct procset *old,
    char *why, size_t whylen)
{
	pl->n = old->n = 0;
	/* each type becomes a file name under the app's dirs: the stored list
	 * is checked again, whatever wrote it */
	if (procfile_check(rel->process_types, why, whylen) == -1)
		return -1;
	for (const char *l = rel->process_types; *l; l = strchr(l, '\n') + 1) {
		char type[PROC_NAME_MAX + 1];
		int count;
		snprintf(type, sizeof(type), "%.*s", (int)strcspn(l, ":"), l);
		if (!procfile_name_valid(type)) {
			snprintf(why, whylen, "release v%d has a bad process type",
			    rel->version);
			return -1;
		}
		if (!procfile_is_process(type) ||
		    (scope->type != NULL && strcmp(type, scope->type) != 0))
			continue;
		if (wanted(st, app, type, &count, why, whylen) == -1)
			return -1;
		for (int i = 1; i <= count; i++)
			if ((!scope->scale || !running_has(running, type, i)) &&
			    plan_add(pl, app, rel->version, type, i, why,
			    whylen) == -1)
				return -1;
	}
	for (size_t i = 0; i < running->n; i++) {
		int count;
		if (count_of(st, app, rel, running->p[i].type, &count, why,
		    whylen) == -1)
			return -1;
		if (retires(scope, &running->p[i], count))
			old->p[old->n++] = running->p[i];
	}
	return 0;
}
