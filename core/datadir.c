/*
 * datadir.c - creating the data dir and naming the files in it.
 * See datadir.h.
 */
#include "core/datadir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/path.h"

int
datadir_init(const struct conf *c, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "repos", "apps", "locks" };
	char path[PATH_MAX];

	/* 0711: traversable, not listable, so a proxy running as another
	 * user reaches apps/APP/releases/N; secrets inside stay 0600 */
	if (mkdirs(c->data_dir, 0711) == -1 || chmod(c->data_dir, 0711) == -1) {
		snprintf(err, errlen, "cannot create data dir '%s': %s",
		    c->data_dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (pathf(path, sizeof(path), "%s/%s", c->data_dir,
		    subdirs[i]) == -1 || mkdirs(path, 0700) == -1 ||
		    chmod(path, strcmp(subdirs[i], "apps") == 0 ? 0711 : 0700) == -1) {
			snprintf(err, errlen, "cannot create '%s/%s': %s",
			    c->data_dir, subdirs[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
datadir_path(const struct conf *c, const char *name, char *out, size_t len)
{
	return pathf(out, len, "%s/%s", c->data_dir, name);
}

int
datadir_db(const struct conf *c, char *out, size_t len)
{
	return pathf(out, len, "%s/berth.db", c->data_dir);
}

int
datadir_blocked(const char *path_in, char *out, size_t len)
{
	char path[PATH_MAX];
	struct stat sb;

	out[0] = '\0';
	if (pathf(path, sizeof(path), "%s", path_in) == -1)
		return -1;
	for (char *p = path + 1;; p++) {
		char saved = *p;
		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (stat(path, &sb) == 0 && !(sb.st_mode & S_IXOTH)) {
			snprintf(out, len, "%s", path);
			return 0;
		}
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}
