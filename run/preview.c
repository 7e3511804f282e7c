/*
 * preview.c - ending preview deploys (see preview.h; what a preview is:
 * core/preview.h).  Each goes through app_destroy, so it leaves nothing
 * an app would not: no process, route, release, file or row.
 */
#include "run/preview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/log.h"
#include "core/store_preview.h"
#include "run/app.h"

int
preview_destroy(const struct conf *c, struct store *st,
    const struct app_rec *parent, const char *branch, const char *holder,
    char *why, size_t wlen)
{
	struct preview_rec p;
	int rc = store_preview_get(st, parent->id, branch, &p);

	if (rc == -1) {
		snprintf(why, wlen, "%s", store_error(st));
		return -1;
	}
	if (rc == STORE_NOTFOUND)
		return STORE_NOTFOUND;
	return app_destroy(c, st, p.name, holder, why, wlen);
}

struct list {
	struct preview_rec *v;
	size_t n;
	int failed;
};

/* Listed first, destroyed after: no read stays open while they go. */
static int
list_one(void *arg, const struct preview_rec *p)
{
	struct list *l = arg;
	struct preview_rec *nv;

	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
		return l->failed = 1;
	l->v = nv;
	l->v[l->n++] = *p;
	return 0;
}

static int
list_previews(struct store *st, int64_t parent_id, struct list *l, char *why,
    size_t wlen)
{
	memset(l, 0, sizeof(*l));
	if (store_preview_each(st, parent_id, list_one, l) == -1 || l->failed) {
		snprintf(why, wlen, "%s", l->failed ? "out of memory" :
		    store_error(st));
		free(l->v);
		return -1;
	}
	return 0;
}

int
preview_destroy_all(const struct conf *c, struct store *st,
    const struct app_rec *parent, const char *holder, char *why,
    size_t wlen)
{
	struct list l;
	int rc = 0;

	if (list_previews(st, parent->id, &l, why, wlen) == -1)
		return -1;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = app_destroy(c, st, l.v[i].name, holder, why, wlen);
	free(l.v);
	return rc;
}

/* One idle preview, under its app's lock if free now. */
static int
expire_one(const struct conf *c, struct store *st, const struct preview_rec *p)
{
	char parent[STORE_NAME_MAX], why[1024];
	int fd, rc;

	if (store_app_name(st, p->parent_id, parent, sizeof(parent)) != 0)
		return 0;
	if (applock_try(c, parent, "berth serve's upkeep", &fd, why,
	    sizeof(why)) != 1)
		return 0; /* busy: a later pass */
	rc = app_destroy(c, st, p->name, "berth serve's upkeep", why,
	    sizeof(why));
	close(fd);
	if (rc == -1) {
		log_warnx("upkeep: cannot destroy preview '%s': %s", p->name, why);
		return -1;
	}
	log_info("upkeep: destroyed preview '%s' of '%s' (branch '%s'; no push"
	    " for %lld s, [previews] ttl %d)", p->name, parent, p->branch,
	    (long long)(time(NULL) - p->pushed_at), c->preview_ttl);
	return 1;
}

int
preview_expire(const struct conf *c, struct store *st, int *n)
{
	time_t now = time(NULL);
	struct list l;
	char why[256];
	int rc = 0, r;

	*n = 0;
	if (list_previews(st, 0, &l, why, sizeof(why)) == -1) {
		log_warnx("upkeep: %s", why);
		return -1;
	}
	for (size_t i = 0; i < l.n; i++) {
		if (now - l.v[i].pushed_at < c->preview_ttl)
			continue;
		if ((r = expire_one(c, st, &l.v[i])) == -1)
			rc = -1;
		else
			*n += r;
	}
	free(l.v);
	return rc;
}
