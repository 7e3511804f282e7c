/*
 * router_nginx_stage.c - the staging dir of an nginx apply, and what of it
 * goes live (router_nginx.c drives: write the main config, stage, nginx -t,
 * install, reload).
 *
 * Staging STG/sites/ holds a new file only for each app whose rendered
 * file differs from the installed one.  STG/list/sites.conf includes, by
 * name, every file the live config will hold, in the order the live
 * config's glob of sites/ reads them (sorted, no dot files): the new
 * files from STG/sites/, every other entry (berth's unchanged files,
 * hand-written ones) where it is installed; berth's files of apps no
 * longer routed are left out.  So `nginx -t` checks the whole config as
 * it will be, without a copy or a link per app (500 links and their
 * removal cost more than the check itself).  Installing renames only the
 * new files and removes berth's files of apps no longer routed.  An
 * apply that would change no file is skipped when the last apply reached
 * nginx (the stamp file APPLIED in the nginx dir, removed before an
 * install and written after a reload): a deploy behind an app's stable
 * upstream renders the very same file (router_model.c), and reloading
 * nginx for nothing would close its idle keep-alive connections.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/path.h"
#include "router/router.h"

#define SITE_MAX (64 * 1024)
#define MARKER "# berth: app "

/* The file's first len bytes at most; its length, or -1. */
static ssize_t
slurp(const char *path, char *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	close(fd);
	return (ssize_t)got;
}

/* Config files list every app's domains and paths: only nginx's master
 * (root, or berth's own user) reads them, so they are 0600. */
static int
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Is this sites/ file one of berth's (starts with our marker line)? */
static int
ours(const char *path)
{
	char line[sizeof(MARKER)];
	ssize_t n = slurp(path, line, sizeof(MARKER) - 1);

	return n == (ssize_t)sizeof(MARKER) - 1 &&
	    memcmp(line, MARKER, sizeof(MARKER) - 1) == 0;
}

/* qsort_r: the routes' indexes by app name. */
static int
by_app(const void *a, const void *b, void *arg)
{
	const struct routes *r = arg;

	return strcmp(r->v[*(const size_t *)a].app, r->v[*(const size_t *)b].app);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The index of the route whose file is name (APP.conf), or -1. */
static long
routed(const struct routes *r, const struct nginx_stage *s, const char *name)
{
	char app[NAME_MAX + 1];
	size_t n = strlen(name), lo = 0, hi = r->n;

	if (n <= 5 || n > NAME_MAX || strcmp(name + n - 5, ".conf") != 0)
		return -1;
	memcpy(app, name, n - 5);
	app[n - 5] = '\0';
	while (lo < hi) { /* s->order is sorted by app name */
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(app, r->v[s->order[mid]].app);
		if (cmp == 0)
			return (long)s->order[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Render each app's file; stage it only if it differs from sites/. */
static int
stage_new(const struct conf *c, const struct routes *r, const char *sites,
    const char *ssites, struct nginx_stage *s)
{
	char path[PATH_MAX], *buf, *old;
	int rc = -1;

	buf = malloc(SITE_MAX);
	old = malloc(SITE_MAX);
	if (buf == NULL || old == NULL)
		goto out;
	for (size_t i = 0; i < r->n; i++) {
		int n = nginx_render_site(c, &r->v[i], buf, SITE_MAX);
		ssize_t o;
		if (n < 0 || pathf(path, sizeof(path), "%s/%s.conf", sites,
		    r->v[i].app) == -1)
			goto out;
		o = slurp(path, old, SITE_MAX);
		if (o == n && memcmp(buf, old, (size_t)n) == 0)
			continue;
		if (pathf(path, sizeof(path), "%s/%s.conf", ssites,
		    r->v[i].app) == -1 || write_file(path, buf, (size_t)n) == -1)
			goto out;
		s->fresh[i] = 1;
		s->nfresh++;
	}
	rc = 0;
out:
	free(buf);
	free(old);
	return rc;
}

/* 1 for a name the live config's glob of sites/ reads (glob(3): names
 * ending in .conf, no dot files). */
static int
globbed(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

struct names {
	char **v;
	size_t n, cap;
};

static int
names_add(struct names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The names of the files the live config will include: every globbed
 * entry of sites/ but berth's files of apps no longer routed (counted in
 * s->stale), and the new apps' files. */
static int
live_names(const struct routes *r, const char *sites, struct nginx_stage *s,
    struct names *l)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	unsigned char *seen;
	struct dirent *de;
	DIR *d;
	int rc = -1;

	if ((seen = calloc(r->n + 1, 1)) == NULL || (d = opendir(sites)) == NULL) {
		free(seen);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		long i = routed(r, s, de->d_name);
		if (!globbed(de->d_name))
			continue;
		if (i < 0 && pathf(path, sizeof(path), "%s/%s", sites,
		    de->d_name) == 0 && ours(path)) {
			s->stale++;
			continue;
		}
		if (i >= 0)
			seen[i] = 1;
		if (names_add(l, de->d_name) == -1)
			goto out;
	}
	for (size_t i = 0; i < r->n; i++)
		if (s->fresh[i] && !seen[i] && (pathf(name, sizeof(name),
		    "%s.conf", r->v[i].app) == -1 || names_add(l, name) == -1))
			goto out;
	if (l->n > 0) /* glob(3)'s order */
		qsort(l->v, l->n, sizeof(l->v[0]), by_name);
	rc = 0;
out:
	closedir(d);
	free(seen);
	return rc;
}

/* One include line: the path in nginx's double quotes. */
static int
put_include(FILE *f, const char *dir, const char *name)
{
	const char *parts[] = { dir, "/", name };

	if (fputs("include \"", f) == EOF)
		return -1;
	for (size_t i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p != '\0'; p++) {
			if ((*p == '"' || *p == '\\') && fputc('\\', f) == EOF)
				return -1;
			if (fputc(*p, f) == EOF)
				return -1;
		}
	return fputs("\";\n", f) == EOF ? -1 : 0;
}

/* STG/list/sites.conf: the live config's site files, by name. */
static int
stage_list(const struct routes *r, const char *sites, const char *ssites,
    const char *list, struct nginx_stage *s)
{
	struct names l = { NULL, 0, 0 };
	char path[PATH_MAX];
	FILE *f = NULL;
	int ok = 0;

	if (live_names(r, sites, s, &l) == -1 ||
	    pathf(path, sizeof(path), "%s/sites.conf", list) == -1 ||
	    (f = fopen(path, "we")) == NULL)
		goto out;
	ok = 1;
	for (size_t k = 0; ok && k < l.n; k++) {
		long i = routed(r, s, l.v[k]);
		ok = put_include(f, i >= 0 && s->fresh[i] ? ssites : sites,
		    l.v[k]) == 0;
	}
out:
	if (f != NULL && fclose(f) == EOF)
		ok = 0;
	names_free(&l);
	return ok ? 0 : -1;
}

int
nginx_stage(const struct conf *c, const struct routes *r, const char *sites,
    const char *stg, struct nginx_stage *s)
{
	char ssites[PATH_MAX], list[PATH_MAX];

	memset(s, 0, sizeof(*s));
	if ((s->fresh = calloc(r->n + 1, 1)) == NULL ||
	    (s->order = calloc(r->n + 1, sizeof(*s->order))) == NULL)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		s->order[i] = i;
	qsort_r(s->order, r->n, sizeof(*s->order), by_app, (void *)r);
	if (pathf(ssites, sizeof(ssites), "%s/sites", stg) == -1 ||
	    pathf(list, sizeof(list), "%s/list", stg) == -1 ||
	    mkdirs(ssites, 0755) == -1 || mkdirs(list, 0755) == -1 ||
	    stage_new(c, r, sites, ssites, s) == -1 ||
	    stage_list(r, sites, ssites, list, s) == -1)
		return -1;
	return 0;
}

void
nginx_stage_free(struct nginx_stage *s)
{
	free(s->fresh);
	free(s->order);
	s->fresh = NULL;
	s->order = NULL;
}

int
nginx_stage_install(const struct routes *r, const struct nginx_stage *s,
    const char *sites, const char *stg, char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct dirent *de;
	DIR *d;

	for (size_t i = 0; i < r->n; i++) {
		if (!s->fresh[i])
			continue;
		if (pathf(from, sizeof(from), "%s/sites/%s.conf", stg,
		    r->v[i].app) == -1 || pathf(to, sizeof(to), "%s/%s.conf",
		    sites, r->v[i].app) == -1 || rename(from, to) == -1) {
			snprintf(err, errlen, "cannot install '%s': %s", to,
			    strerror(errno));
			return -1;
		}
	}
	if (s->stale == 0 || (d = opendir(sites)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) /* apps that are no longer routed */
		if (globbed(de->d_name) && routed(r, s, de->d_name) < 0 &&
		    pathf(to, sizeof(to), "%s/%s", sites, de->d_name) == 0 &&
		    ours(to))
			(void)unlink(to);
	closedir(d);
	return 0;
}

int
nginx_applied(const char *base)
{
	char path[PATH_MAX];

	return pathf(path, sizeof(path), "%s/applied", base) == 0 &&
	    access(path, F_OK) == 0;
}

int
nginx_applied_mark(const char *base, int applied)
{
	char path[PATH_MAX];
	int fd;

	if (pathf(path, sizeof(path), "%s/applied", base) == -1)
		return -1;
	if (!applied)
		return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return -1;
	return close(fd);
}
