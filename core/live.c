/*
 * live.c - see live.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/live.h"

int
live_record(struct store *st, int64_t app_id, int version, char *err,
    size_t errlen)
{
	if (store_app_set_current(st, app_id, version) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	return 0;
}

int
live_link(const char *data_dir, const char *app, int version,
    const char *tag, char *was, size_t waslen, char *err, size_t errlen)
{
	char want[64], name[64], cur[PATH_MAX], tmp[PATH_MAX];
	ssize_t n;

	snprintf(want, sizeof(want), "releases/%d", version);
	snprintf(name, sizeof(name), "current.%s", tag);
	if (datadir_app_part(data_dir, app, "current", cur, sizeof(cur)) == -1 ||
	    datadir_app_part(data_dir, app, name, tmp, sizeof(tmp)) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	was[0] = '\0';
	if ((n = readlink(cur, was, waslen - 1)) >= 0) {
		was[n] = '\0';
		if (strcmp(was, want) == 0)
			return 0;
	} else {
		was[0] = '\0';
	}
	(void)unlink(tmp);
	if (symlink(want, tmp) == -1) {
		snprintf(err, errlen, "cannot create '%s': %s", tmp,
		    strerror(errno));
		return -1;
	}
	if (rename(tmp, cur) == -1) {
		snprintf(err, errlen, "cannot swap '%s': %s", cur,
		    strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 1;
}
