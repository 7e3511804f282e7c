/*
 * datadir.c - creating the data dir, naming the files in it, and for a
 * root berth, settling the data dir and buildpacks where the apps' uids
 * can reach them.  See datadir.h.
 */
#include "core/datadir.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/packs.h"
#include "core/path.h"

static int way_blocked(const char *path, char *out, size_t len);

int
datadir_settle(struct conf *c, char *note, size_t notelen, char *err,
    size_t errlen)
{
	char blocked[PATH_MAX], was[PATH_MAX];
	struct stat sb;

	note[0] = '\0';
	if (geteuid() != 0)
		return 0;
	if (way_blocked(c->data_dir, blocked, sizeof(blocked)) == -1)
		goto toolong;
	if (blocked[0] != '\0' && (c->auto_paths & CONF_AUTO_DATA_DIR) &&
	    stat(c->data_dir, &sb) == -1 && errno == ENOENT) {
		snprintf(was, sizeof(was), "%s", c->data_dir);
		if (conf_move_data_dir(c, DATADIR_SYSTEM, err, errlen) == -1)
			return -1;
		snprintf(note, notelen, "data dir %s, not %s: apps run as their"
		    " own uids, who cannot enter '%s' (set data_dir in berth.ini"
		    " to choose)", c->data_dir, was, blocked);
		if (way_blocked(c->data_dir, blocked, sizeof(blocked)) == -1)
			goto toolong;
	}
	if (blocked[0] != '\0') {
		snprintf(err, errlen, "apps run as their own uids, who cannot"
		    " enter '%s' on the way to data_dir '%s': set data_dir to a"
		    " directory they can reach, such as %s, or chmod o+x '%s'",
		    blocked, c->data_dir, DATADIR_SYSTEM, blocked);
		return -1;
	}
	if (c->auto_paths & CONF_AUTO_BUILDPACKS)
		return 0;
	if (datadir_blocked(c->buildpacks_dir, blocked, sizeof(blocked)) == -1)
		goto toolong;
	if (blocked[0] != '\0') {
		snprintf(err, errlen, "apps run as their own uids, who cannot"
		    " enter '%s' on the way to buildpacks_dir '%s': move the"
		    " buildpacks where they can (such as /usr/local/lib/berth/"
		    "buildpacks), or chmod o+x '%s'", blocked, c->buildpacks_dir,
		    blocked);
		return -1;
	}
	return 0;
toolong:
	snprintf(err, errlen, "path too long: '%.64s...'", c->data_dir);
	return -1;
}

int
datadir_buildpacks(struct conf *c, char *note, size_t notelen, char *err,
    size_t errlen)
{
	char blocked[PATH_MAX], copy[PATH_MAX];

	note[0] = '\0';
	if (geteuid() != 0 || !(c->auto_paths & CONF_AUTO_BUILDPACKS))
		return 0;
	if (datadir_blocked(c->buildpacks_dir, blocked, sizeof(blocked)) == -1 ||
	    datadir_path(c->data_dir, "buildpacks", copy, sizeof(copy)) == -1) {
		snprintf(err, errlen, "path too long: '%.64s...'",
		    c->buildpacks_dir);
		return -1;
	}
	if (blocked[0] == '\0')
		return 0;
	if (packs_install(c->buildpacks_dir, copy, err, errlen) == -1)
		return -1;
	snprintf(note, notelen, "buildpacks: using a copy of %s in %s: apps"
	    " run as their own uids, who cannot enter '%s'", c->buildpacks_dir,
	    copy, blocked);
	memcpy(c->buildpacks_dir, copy, sizeof(copy));
	return 0;
}

/* The first directory on the way to path, path itself excluded, that
 * others cannot enter; "" if none.  0 or -1. */
static int
way_blocked(const char *path, char *out, size_t len)
{
	char parent[PATH_MAX];

	if (pathf(parent, sizeof(parent), "%s", path) == -1)
		return -1;
	return datadir_blocked(dirname(parent), out, len);
}

int
datadir_init(const struct conf *c, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "repos", "apps", "locks" };
	char path[PATH_MAX], parent[PATH_MAX];
	mode_t old;
	int rc;

	/* missing parents as mkdir -p makes them, not with berth's 077 */
	if (pathf(parent, sizeof(parent), "%s", c->data_dir) == -1) {
		snprintf(err, errlen, "path too long: '%.64s...'", c->data_dir);
		return -1;
	}
	old = umask(022);
	rc = mkdirs(dirname(parent), 0755);
	umask(old);
	/* 0711: traversable, not listable, so a proxy running as another
	 * user reaches apps/APP/releases/N; secrets inside stay 0600 */
	if (rc == -1 || mkdirs(c->data_dir, 0711) == -1 ||
	    chmod(c->data_dir, 0711) == -1) {
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
