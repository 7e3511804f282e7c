/*
 * export_load.c - what an export needs of a release (see export/export.h),
 * read once from sqlite and the data dir: the release row (its process
 * list checked again: it becomes argv and YAML), the release's files,
 * ps:scale, the health check path, the domains, and the names (only) of
 * the config vars.
 */
#include "export/export.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/datadir.h"
#include "core/names.h"
#include "core/vars.h"

static int
add_domain(void *arg, const char *domain)
{
	struct export_release *r = arg;
	char why[128];

	if (r->ndomains < EXPORT_DOMAINS_MAX &&
	    name_domain_valid(domain, why, sizeof(why)) == 0)
		snprintf(r->domains[r->ndomains++], sizeof(r->domains[0]), "%s",
		    domain);
	return 0;
}

/* Types and their scale, from the checked list. */
static int
load_types(struct store *st, const struct app_rec *app,
    struct export_release *r, char *err, size_t errlen)
{
	for (const char *p = r->procs; *p && r->ntypes < PROC_TYPES_MAX;
	    p = strchr(p, '\n') + 1) {
		size_t n = strcspn(p, ":");
		int count;
		snprintf(r->types[r->ntypes], sizeof(r->types[0]), "%.*s",
		    (int)n, p);
		if (strcmp(r->types[r->ntypes], "release") == 0)
			continue; /* a command run once per deploy, not a process */
		switch (store_formation_get(st, app->id, r->types[r->ntypes],
		    &count)) {
		case 0:
			r->scale[r->ntypes] = count;
			break;
		case STORE_NOTFOUND:
			r->scale[r->ntypes] = 1;
			break;
		default:
			snprintf(err, errlen, "%s", store_error(st));
			return -1;
		}
		r->ntypes++;
	}
	return 0;
}

/* Config var names and the health path (HEALTHCHECK_PATH, checked as
 * the deploy checks it, else [health] path). */
static int
load_vars(const struct conf *c, struct store *st, const struct app_rec *app,
    struct export_release *r, char *err, size_t errlen)
{
	struct vars vs;
	const char *h;
	char why[128];

	if (vars_load(c, st, app, &vs, err, errlen) == -1)
		return -1;
	/* PORT is the image's, as under berth (run/shim_spawn.c): a config
	 * var of that name is not passed on there either */
	for (size_t i = 0; i < vs.n && r->nvars < EXPORT_VARS_MAX; i++)
		if (vars_name_valid(vs.v[i].name, why, sizeof(why)) == 0 &&
		    strcmp(vs.v[i].name, "PORT") != 0)
			snprintf(r->vars[r->nvars++], sizeof(r->vars[0]), "%s",
			    vs.v[i].name);
	h = vars_get(&vs, "HEALTHCHECK_PATH");
	if (h == NULL || h[0] != '/' || strlen(h) >= sizeof(r->health) ||
	    strpbrk(h, "@#\\ \t\r\n\"") != NULL)
		h = c->health_path;
	snprintf(r->health, sizeof(r->health), "%s", h);
	vars_free(&vs);
	return 0;
}

int
export_load(const struct conf *c, struct store *st, const struct app_rec *app,
    int version, struct export_release *r, char *err, size_t errlen)
{
	struct release_rec rel;
	struct stat sb;
	char why[256];

	memset(r, 0, sizeof(*r));
	snprintf(r->app, sizeof(r->app), "%s", app->name);
	r->version = version ? version : app->current_release;
	r->port = c->export_port;
	r->uid = c->export_user;
	if (r->version == 0) {
		snprintf(err, errlen, "'%s' has no live release; name one with"
		    " --release N", app->name);
		return -1;
	}
	switch (store_release_get(st, app->id, r->version, &rel)) {
	case 0:
		break;
	case STORE_NOTFOUND:
		snprintf(err, errlen, "'%s' has no release %d", app->name,
		    r->version);
		return -1;
	default:
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	if (rel.static_root[0] != '\0') {
		snprintf(err, errlen, "release %d of '%s' is a static site: it"
		    " has no process to run in an image", r->version, app->name);
		return -1;
	}
	if (procfile_check(rel.process_types, why, sizeof(why)) == -1 ||
	    rel.process_types[0] == '\0') {
		snprintf(err, errlen, "release %d of '%s': %s", r->version,
		    app->name, rel.process_types[0] ? why : "no process types");
		return -1;
	}
	snprintf(r->commit, sizeof(r->commit), "%s", rel.commit);
	snprintf(r->procs, sizeof(r->procs), "%s", rel.process_types);
	if (datadir_release(c->data_dir, app->name, r->version, r->dir,
	    sizeof(r->dir)) == -1 || stat(r->dir, &sb) == -1 ||
	    !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "release %d of '%s' is not on disk (archived"
		    " or pruned); roll back to it first", r->version, app->name);
		return -1;
	}
	if (load_types(st, app, r, err, errlen) == -1 ||
	    load_vars(c, st, app, r, err, errlen) == -1 ||
	    store_domain_each(st, app->id, add_domain, r) == -1)
		return -1;
	return 0;
}

int
export_tag_valid(const char *tag)
{
	size_t n = strlen(tag);

	if (n == 0 || n > EXPORT_TAG_MAX || tag[0] == '.' || tag[0] == '-')
		return 0;
	return strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}
