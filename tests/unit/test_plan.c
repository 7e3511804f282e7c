/*
 * test_plan.c - run/plan.c: what a swap starts and retires, for a
 * release's process types times the formation (in an in-memory store):
 * a full swap (deploy, rollback, ps:restart), one type (ps:restart APP
 * TYPE), a scale up and down, a type the new release dropped, the
 * `release` type that never runs, and the refusals (a stored list that
 * is not canonical, more instances than MAX_INSTANCES).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "run/procfile.h"
#include "run/swap.h"
#include "tests/unit/unit.h"

static struct store *st;
static struct app_rec app;

/* A release whose Procfile is text. */
static struct release_rec
release(int version, const char *text)
{
	struct release_rec rel;
	char err[256];

	memset(&rel, 0, sizeof(rel));
	rel.app_id = app.id;
	rel.version = version;
	CHECK(procfile_parse(text, rel.process_types,
	    sizeof(rel.process_types), err, sizeof(err)) == 0);
	return rel;
}

/* A running set from "type.idx" words. */
static void
running(struct procset *ps, const char *const *words)
{
	ps->n = 0;
	for (; *words; words++) {
		struct proc_rec *p = &ps->p[ps->n++];
		memset(p, 0, sizeof(*p));
		p->app_id = app.id;
		p->release = 1;
		snprintf(p->type, sizeof(p->type), "%.*s",
		    (int)strcspn(*words, "."), *words);
		p->idx = atoi(strchr(*words, '.') + 1);
		p->id = (int64_t)ps->n;
		snprintf(p->state, sizeof(p->state), "running");
	}
}

/* The plan (or the retired set) as "type.idx" words, sorted as made. */
static void
words(const struct proc_rec *p, size_t n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s.%d", i ? " " : "",
		    p[i].type, p[i].idx);
}

/* Plan rel in scope over the running set; starts and retires as words. */
static int
plan(const struct release_rec *rel, const char *type, int scale,
    const char *const *run, char *start, char *retire)
{
	static struct procset ps, old;
	static struct plan pl;
	struct swap_scope scope = { type, scale };
	char why[256] = "";
	int rc;

	running(&ps, run);
	rc = plan_swap(st, &app, rel, &scope, &ps, &pl, &old, why, sizeof(why));
	words(pl.p, pl.n, start, 512);
	words(old.p, old.n, retire, 512);
	for (size_t i = 0; rc == 0 && i < pl.n; i++)
		CHECK(pl.p[i].release == rel->version && pl.p[i].app_id ==
		    app.id && strcmp(pl.p[i].state, "starting") == 0);
	if (rc == -1)
		snprintf(start, 512, "%s", why);
	return rc;
}

#define EXPECT(got, want) do { \
	CHECK(strcmp(got, want) == 0); \
	if (strcmp(got, want) != 0) \
		fprintf(stderr, "  got '%s', want '%s'\n", got, want); \
} while (0)

static void
test_full_swap(void)
{
	struct release_rec rel = release(2, "web: ./web\nworker: ./work\n"
	    "release: ./migrate\n");
	const char *const run[] = { "web.1", "worker.1", "clock.1", NULL };
	char s[512], r[512];

	CHECK(plan(&rel, NULL, 0, run, s, r) == 0);
	EXPECT(s, "web.1 worker.1");
	EXPECT(r, "web.1 worker.1 clock.1"); /* all of it, dropped types too */

	CHECK(store_formation_set(st, app.id, "web", 3) == 0);
	CHECK(store_formation_set(st, app.id, "worker", 0) == 0);
	CHECK(plan(&rel, NULL, 0, run, s, r) == 0);
	EXPECT(s, "web.1 web.2 web.3");
	EXPECT(r, "web.1 worker.1 clock.1");
}

/* ps:restart APP web: web only, the others keep running. */
static void
test_one_type(void)
{
	struct release_rec rel = release(2, "web: ./web\nworker: ./work\n");
	const char *const run[] = { "web.1", "web.2", "web.3", "worker.1",
		NULL };
	char s[512], r[512];

	CHECK(store_formation_set(st, app.id, "web", 2) == 0);
	CHECK(store_formation_set(st, app.id, "worker", 1) == 0);
	CHECK(plan(&rel, "web", 0, run, s, r) == 0);
	EXPECT(s, "web.1 web.2");
	EXPECT(r, "web.1 web.2 web.3");
	CHECK(plan(&rel, "worker", 0, run, s, r) == 0);
	EXPECT(s, "worker.1");
	EXPECT(r, "worker.1");
}

/* A scale starts only what is missing and retires only what is beyond. */
static void
test_scale(void)
{
	struct release_rec rel = release(2, "web: ./web\nworker: ./work\n");
	const char *const run[] = { "web.1", "worker.1", "worker.2", "old.1",
		NULL };
	char s[512], r[512];

	CHECK(store_formation_set(st, app.id, "web", 3) == 0);
	CHECK(store_formation_set(st, app.id, "worker", 1) == 0);
	CHECK(plan(&rel, NULL, 1, run, s, r) == 0);
	EXPECT(s, "web.2 web.3");
	EXPECT(r, "worker.2"); /* old.1: not in the release, left alone */

	CHECK(store_formation_set(st, app.id, "web", 0) == 0);
	CHECK(plan(&rel, NULL, 1, run, s, r) == 0);
	EXPECT(s, "");
	EXPECT(r, "web.1 worker.2");
}

static void
test_refusals(void)
{
	struct release_rec rel = release(2, "web: ./web\n");
	const char *const none[] = { NULL };
	char s[512], r[512];

	/* what the store gives back is checked again */
	snprintf(rel.process_types, sizeof(rel.process_types),
	    "../../x: ./web\n");
	CHECK(plan(&rel, NULL, 0, none, s, r) == -1);
	snprintf(rel.process_types, sizeof(rel.process_types),
	    "web: ./web | sh\n");
	CHECK(plan(&rel, NULL, 0, none, s, r) == -1);

	rel = release(3, "web: ./web\n");
	CHECK(store_formation_set(st, app.id, "web", MAX_INSTANCES) == 0);
	CHECK(plan(&rel, NULL, 0, none, s, r) == 0);
	CHECK(store_formation_set(st, app.id, "web", MAX_INSTANCES + 1) == 0);
	CHECK(plan(&rel, NULL, 0, none, s, r) == -1);
	CHECK(strstr(s, "more than 64 processes") != NULL);

	/* no process types (a static site): nothing starts, all retire */
	rel = release(4, "web: ./web\n");
	rel.process_types[0] = '\0';
	{
		const char *const run[] = { "web.1", NULL };
		CHECK(plan(&rel, NULL, 0, run, s, r) == 0);
		EXPECT(s, "");
		EXPECT(r, "web.1");
	}
}

int
main(void)
{
	char err[256];

	if (store_open(&st, ":memory:", err, sizeof(err)) != 0 ||
	    store_app_create(st, "web", &app) != 0) {
		fprintf(stderr, "cannot set up the store: %s\n", err);
		CHECK(0);
		return unit_done();
	}
	test_full_swap();
	test_one_type();
	test_scale();
	test_refusals();
	store_close(st);
	return unit_done();
}
