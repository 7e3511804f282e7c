/*
 * router_nginx_stage.c - the staging dir of an nginx apply, and what of it
 * goes live (router_nginx.c drives: write the main config, stage, nginx -t,
 * install, reload).
 *
 * Staging STG/sites/ holds a new file only for each app whose rendered
 * file differs from the installed one; every other entry of sites/ (berth's
 * unchanged files, hand-written ones, files of apps that are gone) is a
 * hard link to the installed file (a symlink where berth may not link
 * it), so `nginx -t` checks the whole config as it will be without
 * copying it.  Installing renames only the new files
 * and removes berth's files of apps no longer routed.  An apply that would
 * change no file is skipped when the last apply reached nginx (the stamp
 * file APPLIED in the nginx dir, removed before an install and written
 * after a reload): a deploy behind an app's stable upstream renders the
 * very same file (router_model.c), and reloading nginx for nothing would
 * close its idle keep-alive connections.
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

/* The index of the route whose file is name (APP.conf), or -1. */
static long
routed(const struct routes *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++) {
		size_t n = strlen(r->v[i].app);
		if (strncmp(name, r->v[i].app, n) == 0 &&
		    strcmp(name + n, ".conf") == 0)
			return (long)i;
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

/* Link every other entry of sites/ into the staging dir; count berth's
 * files that installing would remove. */
static int
stage_rest(const struct routes *r, const char *sites, const char *ssites,
    struct nginx_stage *s)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(sites)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		long i = routed(r, de->d_name);
		if (de->d_name[0] == '.' || (i >= 0 && s->fresh[i]))
			continue;
		/* a hard link costs no inode (500 symlinks took 0.3 s on
		 * ext4); a file berth may not link (another user's, with
		 * fs.protected_hardlinks) gets a symlink */
		if (pathf(from, sizeof(from), "%s/%s", sites, de->d_name) == -1 ||
		    pathf(to, sizeof(to), "%s/%s", ssites, de->d_name) == -1 ||
		    (link(from, to) == -1 && symlink(from, to) == -1)) {
			closedir(d);
			return -1;
		}
		if (i < 0 && ours(from))
			s->stale++;
	}
	closedir(d);
	return 0;
}

int
nginx_stage(const struct conf *c, const struct routes *r, const char *sites,
    const char *stg, struct nginx_stage *s)
{
	char ssites[PATH_MAX];

	memset(s, 0, sizeof(*s));
	if ((s->fresh = calloc(r->n + 1, 1)) == NULL ||
	    pathf(ssites, sizeof(ssites), "%s/sites", stg) == -1 ||
	    mkdirs(ssites, 0755) == -1 ||
	    stage_new(c, r, sites, ssites, s) == -1 ||
	    stage_rest(r, sites, ssites, s) == -1)
		return -1;
	return 0;
}

void
nginx_stage_free(struct nginx_stage *s)
{
	free(s->fresh);
	s->fresh = NULL;
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
		if (de->d_name[0] != '.' && routed(r, de->d_name) < 0 &&
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
