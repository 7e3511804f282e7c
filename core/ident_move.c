/*
 * ident_move.c - renumbering files when [server] app_uid_base changes: an
 * app's cache is its uid's, its releases are root's with its group, the
 * managed Caddy's home is the proxy's uid's (see ident.h).  Each inode of
 * the old uid goes to the new uid, each of the old gid to the new gid;
 * nothing else changes.  The walk goes by file descriptor and never
 * follows a symlink; it runs while nothing of the old uid runs any more
 * (run/uidbase.c stops it first), so nobody changes the tree
 * under it.
 */
#include "core/ident.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOVE_DEPTH_MAX 256

/* The owner and group sb should get: -1 for what stays. */
static int
moved(const struct stat *sb, const struct ident *from, const struct ident *to,
    uid_t *uid, gid_t *gid)
{
	*uid = sb->st_uid == from->uid ? to->uid : (uid_t)-1;
	*gid = sb->st_gid == from->gid ? to->gid : (gid_t)-1;
	return *uid != (uid_t)-1 || *gid != (gid_t)-1;
}

static int move_dir(int fd, const struct ident *from, const struct ident *to,
    int depth);

static int
move_entry(int dfd, const char *name, const struct ident *from,
    const struct ident *to, int depth)
{
	struct stat sb;
	uid_t uid;
	gid_t gid;
	int fd, rc;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
		/* a symlink, fifo or socket: the entry itself */
		return moved(&sb, from, to, &uid, &gid) ? fchownat(dfd, name, uid,
		    gid, AT_SYMLINK_NOFOLLOW) : 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | (S_ISDIR(sb.st_mode) ? O_DIRECTORY : 0))) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == -1 || (moved(&sb, from, to, &uid, &gid) &&
	    fchown(fd, uid, gid) == -1)) {
		close(fd);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		close(fd);
		return 0;
	}
	rc = move_dir(fd, from, to, depth + 1); /* closes fd */
	return rc;
}

/* Every entry of the directory open at fd; closes fd. */
static int
move_dir(int fd, const struct ident *from, const struct ident *to, int depth)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > MOVE_DEPTH_MAX) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = move_entry(dirfd(d), de->d_name, from, to, depth);
	closedir(d);
	return rc;
}

int
ident_move_tree(const char *path, const struct ident *from,
    const struct ident *to)
{
	struct stat sb;
	uid_t uid;
	gid_t gid;
	int fd;

	if (!from->drop)
		return 0;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == -1 || (moved(&sb, from, to, &uid, &gid) &&
	    fchown(fd, uid, gid) == -1)) {
		close(fd);
		return -1;
	}
	return move_dir(fd, from, to, 0);
}
