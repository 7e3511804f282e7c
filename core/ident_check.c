/*
 * ident_check.c - the check of a sealed tree (ident_check_tree in
 * ident.h): after the build's files were taken back and nothing of the
 * build's uid runs any more, every inode must be what the take makes of
 * them.  It looks at the tree after the fact instead of trusting the walk
 * that changed it: an inode the take left alone (a hard link to another
 * uid's file, something created while it ran) shows here.  The walk goes
 * by directory descriptors and never follows a symlink, like the take.
 */
#include "core/ident.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


struct check {
	const struct ident *app;
	char path[PATH_MAX]; /* of the entry being looked at, in the tree */
	char *bad;
	size_t badlen;
};

static int check_dir(struct check *c, int fd, size_t plen, int depth);

/* Is the inode described by sb as the take leaves it?  0, or -1 with why. */
static int
check_inode(struct check *c, const struct stat *sb)
{
	const char *why = NULL;
	mode_t bad = S_IWGRP | S_IWOTH | S_ISUID | S_ISGID;

	if (!S_ISDIR(sb->st_mode) && !S_ISREG(sb->st_mode) &&
	    !S_ISLNK(sb->st_mode))
		why = "is not a file, a directory or a symlink";
	else if (!c->app->drop)
		return 0;
	else if (sb->st_uid != 0 || sb->st_gid != c->app->gid)
		why = "is not the release's (a hard link to another user's file?)";
	else if (!S_ISLNK(sb->st_mode) && (sb->st_mode & bad) != 0)
		why = "is writable by others, setuid or setgid";
	if (why == NULL)
		return 0;
	/* the name is the build's: shown without control or other bytes
	 * that a terminal or JSON would take for something else */
	snprintf(c->bad, c->badlen, "'%s' %s", c->path[0] ? c->path : ".", why);
	for (char *p = c->bad; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return -1;
}

/* Check entry name of the directory dfd (whose path is c->path[0..plen)). */
static int
check_entry(struct check *c, int dfd, const char *name, size_t plen,
    int depth)
{
	struct stat sb;
	int fd, rc;

	if (snprintf(c->path + plen, sizeof(c->path) - plen, "%s%s",
	    plen ? "/" : "", name) >= (int)(sizeof(c->path) - plen)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    check_inode(c, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode))
		return 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	rc = check_dir(c, fd, strlen(c->path), depth + 1);
	return rc;
}

/* Check everything in the directory open at fd; closes fd. */
static int
check_dir(struct check *c, int fd, size_t plen, int depth)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > IDENT_DEPTH_MAX) {
		close(fd);
		snprintf(c->bad, c->badlen, "'%s' is nested too deep", c->path);
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = check_entry(c, dirfd(d), de->d_name, plen, depth);
		c->path[plen] = '\0';
	}
	closedir(d);
	return rc;
}

int
ident_check_tree(const char *path, const struct ident *app, char *bad,
    size_t badlen)
{
	struct check c = { .app = app, .bad = bad, .badlen = badlen };
	struct stat sb;
	int fd;

	bad[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || check_inode(&c, &sb) == -1) {
		close(fd);
		return -1;
	}
	return check_dir(&c, fd, 0, 0);
}
