/*
 * path.c - path building and directory helpers used by every stage that
 * touches the data dir.  See path.h.
 */
#include "core/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			out[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
path_beside_berth(const char *name, char *out, size_t len)
{
	char exe[PATH_MAX], *dir, *del;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if ((del = strstr(exe, " (deleted)")) != NULL && del[10] == '\0')
		*del = '\0'; /* an upgrade replaced berth: its dir still holds */
	dir = dirname(exe);
	if (pathf(out, len, "%s/%s", dir, name) == 0 && access(out, X_OK) == 0)
		return 0;
	return pathf(out, len, "%s/../lib/berth/%s", dir, name);
}

int
mkdirs(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
path_open_beneath(int dfd, const char *path, int flags,
    unsigned long long resolve)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = resolve;
	return (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
}

/*
 * rmtree: a tree of any depth with a bounded number of open directories.
 * The walk goes down by openat(O_NOFOLLOW) from directories it holds open,
 * so it never follows a symlink and never leaves the tree by a path.  It
 * holds at most RMTREE_DEPTH directories below the top; a directory found
 * deeper than that is moved up into the top under a fresh name (rename
 * within the tree) and removed by a later pass over the top, which
 * repeats until it finds the top empty.  A chain 5,000 deep is removed
 * 16 levels at a time.
 */
#define RMTREE_DEPTH 16

struct rm {
	int top;               /* the tree's root directory */
	unsigned long hoisted; /* names for what was moved up */
};

static int rm_empty(struct rm *rm, DIR *d, int depth);

/* Move directory name (in dfd) up into the top, out of the deep chain. */
static int
rm_hoist(struct rm *rm, int dfd, const char *name)
{
	char to[32];

	for (;;) {
		snprintf(to, sizeof(to), ".rmtree-%lu", rm->hoisted++);
		if (renameat2(dfd, name, rm->top, to, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return errno == ENOENT ? 0 : -1;
	}
}

/* Remove entry name of directory dfd, which is depth levels down. */
static int
rm_entry(struct rm *rm, int dfd, const char *name, int depth)
{
	DIR *d;
	int fd, rc;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno != ENOTEMPTY && errno != EEXIST)
		return -1;
	if (depth >= RMTREE_DEPTH)
		return rm_hoist(rm, dfd, name);
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rc = rm_empty(rm, d, depth + 1);
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* Remove everything in d: passes until one finds nothing (what was moved
 * up into the top arrives after the pass that moved it). */
static int
rm_empty(struct rm *rm, DIR *d, int depth)
{
	struct dirent *de;
	int rc, seen;

	do {
		rc = 0;
		seen = 0;
		rewinddir(d);
		errno = 0;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			seen++;
			if (rm_entry(rm, dirfd(d), de->d_name, depth) == -1)
				rc = -1;
			errno = 0;
		}
		if (errno != 0)
			rc = -1;
	} while (rc == 0 && seen > 0);
	return rc;
}

int
rmtree(const char *path)
{
	struct rm rm = { -1, 0 };
	DIR *d;
	int rc;

	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if ((rm.top = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(rm.top)) == NULL) {
		close(rm.top);
		return -1;
	}
	rc = rm_empty(&rm, d, 0);
	closedir(d);
	if (rc == 0 && rmdir(path) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}
