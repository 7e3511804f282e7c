/*
 * router_page.c - the page the proxy answers with (503) while an app is
 * in maintenance (maintenance:on): the app's own maintenance.html at the
 * top of its live release, else a plain one of berth's.  The release is
 * root's and sealed (hooks/), but its files are the app's text: the file
 * is read without following a symlink, must be a regular file of at most
 * ROUTE_PAGE_MAX bytes, and its control characters (but tab and newline)
 * are dropped.  Both back ends embed the page in their config (Caddy: a
 * static_response body; nginx: a `return 503` string, see router_nginx.c),
 * so the proxy's workers need not reach the release.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "router/router.h"

/* The app's own page, NUL-terminated in a malloc'd buffer; NULL when it
 * has none (or one that does not qualify). */
static char *
own_page(const struct conf *c, const char *app, int release)
{
	char path[PATH_MAX], *buf;
	struct stat sb;
	ssize_t n;
	int fd;

	if (pathf(path, sizeof(path), "%s/apps/%s/releases/%d/maintenance.html",
	    c->data_dir, app, release) == -1 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1)
		return NULL;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > ROUTE_PAGE_MAX || (buf = malloc(ROUTE_PAGE_MAX + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, ROUTE_PAGE_MAX);
	close(fd);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int
router_page_load(const struct conf *c, const char *app, int release,
    char **page)
{
	size_t o = 0;
	char *p;

	if ((p = own_page(c, app, release)) == NULL) {
		if (asprintf(&p, "<!doctype html>\n<title>%s: down for maintenance"
		    "</title>\n<h1>%s is down for maintenance</h1>\n<p>Please try"
		    " again in a few minutes.</p>\n", app, app) == -1)
			return -1;
	}
	for (size_t i = 0; p[i] != '\0'; i++)
		if ((unsigned char)p[i] >= 0x20 || p[i] == '\n' || p[i] == '\t')
			p[o++] = p[i];
	p[o] = '\0';
	*page = p;
	return 0;
}
