/*
 * ident.c - who an app's code runs as, and who owns its files.  See ident.h.
 *
 * The tree walks work on directory file descriptors only (openat with
 * O_NOFOLLOW, fchown/fchmod on what was opened), so an app that swaps a
 * directory for a symlink while a walk runs cannot steer it outside the
 * tree.  Only inodes owned by the giver change hands: giving moves root's
 * own files (never a hard link: one may lead to any root file), taking
 * moves the build's files (a hard link to someone else's stays theirs).
 * Taking gives them to root and the app's group: the group bits become the
 * owner's without write, group/other write and the setuid and setgid bits
 * go, read after the chown, so the build cannot chmod in between.  The
 * order of a walk keeps it in directories the giver cannot change
 * (own_open).  Nothing of the build's uid runs by the time of a take
 * (core/spawn.h's reap_all, ident_kill_all), and ident_check_tree looks at
 * the result afterwards (ident_check.c).
 *
 * Closing a taken tree shuts out every other user (ident_close_tree).
 */
#include "core/ident.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/procinfo.h"

#define IDENT_KILL_TRIES 1000 /* 10 ms apart: 10 s for the last to go */

struct owner {
	uid_t from;  /* only inodes owned by this uid change hands */
	uid_t uid;
	gid_t gid;
	int strip;   /* clear group/other write, setuid and setgid */
	int post;    /* a directory after its contents (see own_entry) */
};

static int own_dir(int fd, const struct owner *o, int depth);
static int own_open(int fd, const struct owner *o, int depth);

void
ident_of_app(const struct conf *c, int64_t app_id, struct ident *id)
{
	id->drop = geteuid() == 0;
	id->uid = (uid_t)(c->app_uid_base + app_id);
	id->gid = (gid_t)(c->app_uid_base + app_id);
	id->nproc = (unsigned long)c->app_max_processes;
	id->bind = 0;
}

void
ident_of_build(const struct conf *c, int64_t app_id, struct ident *id)
{
	ident_of_app(c, app_id, id);
	id->uid = (uid_t)((uint64_t)c->app_uid_base + IDENT_BUILD_OFFSET +
	    (uint64_t)app_id);
	id->gid = (gid_t)id->uid;
}

void
ident_of_proxy(const struct conf *c, struct ident *id)
{
	ident_of_app(c, 0, id);
	id->bind = 1;
}

void
ident_of_uid(uid_t uid, unsigned long nproc, struct ident *id)
{
	id->drop = geteuid() == 0 && uid != 0;
	id->uid = uid;
	id->gid = (gid_t)uid;
	id->nproc = nproc;
	id->bind = 0;
}

/* At most n processes and threads for the real uid (its builds and
 * processes together); never above the hard limit berth itself got, which
 * a container's root may not raise. */
static int
limit_nproc(unsigned long n)
{
	struct rlimit rl;

	if (n == 0)
		return 0;
	if (getrlimit(RLIMIT_NPROC, &rl) == -1)
		return -1;
	if (rl.rlim_max == RLIM_INFINITY || n < rl.rlim_max)
		rl.rlim_max = n;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NPROC, &rl);
}

/* After the uid change (with PR_SET_KEEPCAPS): CAP_NET_BIND_SERVICE alone
 * stays, and as an ambient capability it survives the exec. */
static int
keep_bind(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1U << CAP_NET_BIND_SERVICE;

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = data[0].inheritable = bit;
	if (syscall(SYS_capset, &hdr, data) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE,
	    0, 0) == -1 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
		return -1;
	return 0;
}

int
ident_drop(const struct ident *id)
{
	if (!id->drop)
		return 0;
	if (limit_nproc(id->nproc) == -1 || setgroups(0, NULL) == -1 ||
	    (id->bind && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) ||
	    setresgid(id->gid, id->gid, id->gid) == -1 ||
	    setresuid(id->uid, id->uid, id->uid) == -1 ||
	    (id->bind && keep_bind() == -1) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if (setuid(0) == 0) { /* paranoia: the drop must be for good */
		errno = EPERM;
		return -1;
	}
	return 0;
}

/*
 * As the uid being emptied: 1 when no other task of it exists, not even a
 * zombie, so ident_kill_all need not read /proc.  The kernel counts a
 * uid's tasks against RLIMIT_NPROC: with the limit at 2 (this process and
 * the child it tries to make), a vfork fails (EAGAIN) exactly when a third
 * task of the uid exists.  0 when one may (or the probe failed).  Not
 * kill(-1, 0): it succeeds whenever the system has any other process, even
 * one the caller may not signal (Linux counts those it tried).
 */
static int
uid_alone(void)
{
	struct rlimit rl = { 2, 2 };
	int status;
	pid_t pid;

	if (setrlimit(RLIMIT_NPROC, &rl) == -1)
		return 0;
	if ((pid = vfork()) == 0)
		_exit(0);
	if (pid == -1)
		return 0;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return 0;
	return 1;
}

int
ident_kill_all(const struct ident *id)
{
	int status;
	pid_t pid;

	if (!id->drop)
		return 0;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* as the uid itself, kill(-1) reaches exactly its processes (all
		 * at once: a process with SIGKILL pending cannot fork); again
		 * until none runs, so that none can still write when we return */
		if (ident_drop(id) == -1)
			_exit(1);
		for (int i = 0; i < IDENT_KILL_TRIES; i++) {
			(void)kill(-1, SIGKILL);
			/* none left, not even a zombie: no need to read /proc */
			if (uid_alone())
				_exit(0);
			switch (procinfo_uid_running(id->uid, getpid())) {
			case 0:
				_exit(0);
			case -1:
				_exit(1);
			}
			usleep(10000);
		}
		_exit(1);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* May the inode described by sb change hands? */
static int
movable(const struct stat *sb, const struct owner *o)
{
	if (sb->st_uid != o->from)
		return 0;
	return o->from != 0 || S_ISDIR(sb->st_mode) || sb->st_nlink == 1;
}

/* Own the object open at fd. */
static int
own_fd(int fd, const struct owner *o)
{
	struct stat sb;
	mode_t mode, bad = S_IWGRP | S_IWOTH | S_ISUID | S_ISGID;

	if (fstat(fd, &sb) == -1)
		return -1;
	if (!movable(&sb, o))
		return 0;
	if (!o->strip)
		return fchown(fd, o->uid, o->gid);
	/* root's alone while the bits change: the app's group gets the
	 * inode only once it can no longer write to it */
	if (fchown(fd, o->uid, 0) == -1 || fstat(fd, &sb) == -1)
		return -1;
	/* the app keeps its own read and exec access, through its group */
	mode = sb.st_mode & 07777;
	mode = (mode & ~(mode_t)S_IRWXG) | ((mode & (S_IRUSR | S_IXUSR)) >> 3);
	mode &= ~bad;
	if (mode != (sb.st_mode & 07777) && fchmod(fd, mode) == -1)
		return -1;
	return fchown(fd, (uid_t)-1, o->gid);
}

/* Own entry name of the directory open at dfd, and everything under it. */
static int
own_entry(int dfd, const char *name, const struct owner *o, int depth)
{
	struct stat sb;
	int fd, rc;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
		/* a symlink, fifo or socket: the entry itself, never its target */
		return movable(&sb, o) ? fchownat(dfd, name, o->uid, o->gid,
		    AT_SYMLINK_NOFOLLOW) : 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | (S_ISDIR(sb.st_mode) ? O_DIRECTORY : 0))) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = own_open(fd, o, depth);
	close(fd);
	return rc;
}

/*
 * Own what is open at fd, and for a directory everything in it.  Whoever
 * owns a directory can change its entries, so the order keeps the walk in
 * directories the app cannot touch: giving does the contents first (the
 * directory is still root's), taking the directory first (it is root's
 * from then on).
 */
static int
own_open(int fd, const struct owner *o, int depth)
{
	struct stat sb;
	int sub;

	if (fstat(fd, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode))
		return own_fd(fd, o);
	if (!o->post && own_fd(fd, o) == -1)
		return -1;
	if ((sub = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    own_dir(sub, o, depth + 1) == -1)
		return -1;  /* own_dir closes sub */
	return o->post ? own_fd(fd, o) : 0;
}

/* Own everything in the directory open at fd; closes fd. */
static int
own_dir(int fd, const struct owner *o, int depth)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > IDENT_DEPTH_MAX) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = own_entry(dirfd(d), de->d_name, o, depth);
	}
	closedir(d);
	return rc;
}

static int
own_tree(const char *path, const struct owner *o)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	rc = own_open(fd, o, 0);
	close(fd);
	return rc;
}

int
ident_give_tree(const char *path, const struct ident *id)
{
	struct owner o = { 0, id->uid, id->gid, 0, 1 };

	return id->drop ? own_tree(path, &o) : 0;
}

int
ident_take_tree(const char *path, const struct ident *from,
    const struct ident *app)
{
	struct owner o = { from->uid, 0, app->gid, 1, 0 };

	return from->drop ? own_tree(path, &o) : 0;
}

/* The mode of an inode of id's taken tree with its "other" bits set to
 * bits, in *mode; 1 when that changes it, 0 when it does not or the inode
 * was not taken from the app (a symlink, a hard link of someone else's). */
static int
other_mode(const struct stat *sb, mode_t bits, const struct ident *id,
    mode_t *mode)
{
	if (S_ISLNK(sb->st_mode) || sb->st_uid != 0 || sb->st_gid != id->gid)
		return 0;
	*mode = (sb->st_mode & 07777 & ~(mode_t)S_IRWXO) | bits;
	return *mode != (sb->st_mode & 07777);
}

/* The "other" bits of what is open at fd become bits. */
static int
other_fd(int fd, mode_t bits, const struct ident *id)
{
	struct stat sb;
	mode_t mode;

	if (fstat(fd, &sb) == -1)
		return -1;
	return other_mode(&sb, bits, id, &mode) ? fchmod(fd, mode) : 0;
}

/* Shut other users out of every entry of the directory dfd but keep.  The
 * tree is root's by now, so the entries cannot change under the walk. */
static int
close_siblings(int dfd, const char *keep, const struct ident *id)
{
	struct dirent *de;
	struct stat sb;
	mode_t mode;
	DIR *d;
	int fd, rc = 0;

	if ((fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, keep) == 0)
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			rc = -1;
		else if (other_mode(&sb, 0, id, &mode))
			rc = fchmodat(dfd, de->d_name, mode, 0);
	}
	closedir(d);
	return rc;
}

/*
 * Open the way from the directory top down to sub for other users: each
 * directory on it becomes traversable only (--x), everything beside it is
 * closed to them, and sub itself is readable (r-x).  sub has no symlinks
 * and no "..".
 */
static int
open_way(int top, const char *sub, const struct ident *id)
{
	char comp[NAME_MAX + 1];
	size_t n;
	int fd, next, rc = 0;

	if ((fd = fcntl(top, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	for (;;) {
		sub += strspn(sub, "/");
		if (*sub == '\0')
			break;
		if ((n = strcspn(sub, "/")) > NAME_MAX ||
		    (n == 2 && memcmp(sub, "..", 2) == 0)) {
			errno = EINVAL;
			rc = -1;
			break;
		}
		memcpy(comp, sub, n);
		comp[n] = '\0';
		sub += n;
		if (strcmp(comp, ".") == 0)
			continue;
		if (other_fd(fd, S_IXOTH, id) == -1 ||
		    close_siblings(fd, comp, id) == -1 ||
		    (next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1) {
			rc = -1;
			break;
		}
		close(fd);
		fd = next;
	}
	if (rc == 0)
		rc = other_fd(fd, S_IROTH | S_IXOTH, id);
	close(fd);
	return rc;
}

int
ident_close_tree(const char *path, const char *open_sub,
    const struct ident *id)
{
	int fd, rc;

	if (!id->drop)
		return 0;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	rc = open_sub == NULL ? other_fd(fd, 0, id) : open_way(fd, open_sub, id);
	close(fd);
	return rc;
}
