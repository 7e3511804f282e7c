/*
 * router_same.c - does an nginx apply change anything?  A deploy behind
 * an app's stable upstream renders the very same files (router_model.c),
 * and reloading nginx for nothing would close its idle keep-alive
 * connections (clients without retry see resets).  So the apply is
 * skipped when every app's staged file equals the installed one, no
 * berth file would be removed, and the last apply reached nginx (the
 * stamp file APPLIED in the nginx dir, removed before an install and
 * written after a reload).
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

#define SAME_MAX (64 * 1024)

/* The file's bytes (at most SAME_MAX), or -1. */
static ssize_t
slurp(const char *path, char *buf)
{
	ssize_t n, len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < SAME_MAX && (n = read(fd, buf + len, SAME_MAX - len)) > 0)
		len += n;
	close(fd);
	return len;
}

/* How many of berth's own files (its marker line first) sites holds. */
static size_t
berth_files(const char *sites, char *buf)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(sites)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && pathf(path, sizeof(path), "%s/%s",
		    sites, de->d_name) == 0 && slurp(path, buf) > 13 &&
		    strncmp(buf, "# berth: app ", 13) == 0)
			n++;
	closedir(d);
	return n;
}

static int
same_file(const char *a, const char *b, char *ba, char *bb)
{
	ssize_t na = slurp(a, ba), nb = slurp(b, bb);

	return na >= 0 && na == nb && memcmp(ba, bb, (size_t)na) == 0;
}

int
router_sites_same(const struct routes *r, const char *base,
    const char *sites, const char *stg)
{
	char a[PATH_MAX], b[PATH_MAX], *ba, *bb;
	int same = 0;

	if (pathf(a, sizeof(a), "%s/applied", base) == -1 ||
	    access(a, F_OK) == -1)
		return 0;
	if ((ba = malloc(SAME_MAX)) == NULL || (bb = malloc(SAME_MAX)) == NULL) {
		free(ba);
		return 0;
	}
	if (berth_files(sites, ba) != r->n)
		goto out;
	for (size_t i = 0; i < r->n; i++)
		if (pathf(a, sizeof(a), "%s/sites/%s.conf", stg, r->v[i].app) == -1 ||
		    pathf(b, sizeof(b), "%s/%s.conf", sites, r->v[i].app) == -1 ||
		    !same_file(a, b, ba, bb))
			goto out;
	same = 1;
out:
	free(ba);
	free(bb);
	return same;
}

int
router_applied_mark(const char *base, int applied)
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
