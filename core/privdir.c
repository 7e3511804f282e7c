/*
 * privdir.c - a step's private files on a tmpfs of its own; see privdir.h.
 */
#include "core/privdir.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int
privdir_mount(const char *dir, const struct ident *id)
{
	char opts[128];
	uid_t uid = id != NULL && id->drop ? id->uid : getuid();
	gid_t gid = id != NULL && id->drop ? id->gid : getgid();

	snprintf(opts, sizeof(opts), "mode=0700,uid=%lu,gid=%lu,size=%s",
	    (unsigned long)uid, (unsigned long)gid, PRIVDIR_SIZE);
	/* a namespace of the step's own, whose mounts never reach the host */
	if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
		char noswap[sizeof(opts) + 8];
		snprintf(noswap, sizeof(noswap), "%s,noswap", opts);
		if (mount("berth-env", dir, "tmpfs", MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, noswap) == 0 || mount("berth-env", dir, "tmpfs",
		    MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) == 0)
			return 1;
	}
	/* on disk: the directory is the step's, the caller removes it */
	if (id != NULL && id->drop && chown(dir, uid, gid) == -1)
		return -1;
	return 0;
}

int
privdir_write(const char *dir, const struct spawn_file *files, size_t n)
{
	int dfd, fd, rc = 0;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		size_t len = strlen(files[i].data);
		if (strchr(files[i].name, '/') != NULL || files[i].name[0] == '.' ||
		    files[i].name[0] == '\0') {
			errno = EINVAL;
			rc = -1;
		} else if ((fd = openat(dfd, files[i].name, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
			rc = -1;
		} else {
			if (write(fd, files[i].data, len) != (ssize_t)len)
				rc = -1;
			if (close(fd) == -1)
				rc = -1;
		}
	}
	close(dfd);
	return rc;
}
